// Passkeys in the wallet: the buttons the pages render hidden are shown
// where the browser can use passkeys. The server speaks WebAuthn's JSON
// (base64url for bytes); navigator.credentials wants ArrayBuffers.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrftoken": token },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Error(answer.error || ""); }
        return answer;
      });
    });
  }

  function showError(section, error) {
    var place = section.querySelector("[data-passkey-error]");
    if (!place) { return; }
    place.textContent = (error && error.message) || place.getAttribute("data-default") || "";
    place.hidden = !place.textContent;
  }

  function add(button, section) {
    var token = button.getAttribute("data-csrf");
    var nameField = section.querySelector("input[name=passkey_name]");
    post("/wallet/passkeys/options", token).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.create({ publicKey: options });
    }).then(function (made) {
      var credential = {
        id: made.id,
        rawId: toText(made.rawId),
        type: made.type,
        response: {
          clientDataJSON: toText(made.response.clientDataJSON),
          attestationObject: toText(made.response.attestationObject),
          transports: made.response.getTransports ? made.response.getTransports() : []
        },
        clientExtensionResults: made.getClientExtensionResults ? made.getClientExtensionResults() : {}
      };
      return post("/wallet/passkeys", token, { credential: credential, name: nameField ? nameField.value : "" });
    }).then(function (answer) {
      window.location.assign(answer.redirect);
    }).catch(function (error) { showError(section, error); });
  }

  function signIn(button, section) {
    var token = button.getAttribute("data-csrf");
    var ceremony;
    post("/wallet/sign-in/passkey/options", token).then(function (answer) {
      ceremony = answer.ceremony;
      var options = answer.options;
      options.challenge = toBytes(options.challenge);
      (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({ publicKey: options });
    }).then(function (used) {
      var credential = {
        id: used.id,
        rawId: toText(used.rawId),
        type: used.type,
        response: {
          clientDataJSON: toText(used.response.clientDataJSON),
          authenticatorData: toText(used.response.authenticatorData),
          signature: toText(used.response.signature),
          userHandle: used.response.userHandle ? toText(used.response.userHandle) : null
        },
        clientExtensionResults: used.getClientExtensionResults ? used.getClientExtensionResults() : {}
      };
      return post("/wallet/sign-in/passkey", token, {
        ceremony: ceremony,
        credential: credential,
        next: button.getAttribute("data-next"),
        coalition: button.getAttribute("data-coalition")
      });
    }).then(function (answer) {
      window.location.assign(answer.redirect);
    }).catch(function (error) { showError(section, error); });
  }

  if (!window.PublicKeyCredential || !navigator.credentials) { return; }
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) { note.hidden = true; });
  document.querySelectorAll("[data-passkey-add], [data-passkey-sign-in]").forEach(function (section) {
    section.hidden = false;
    var button = section.querySelector("[data-passkey-action]");
    button.addEventListener("click", function () {
      if (button.getAttribute("data-passkey-action") === "add") { add(button, section); } else { signIn(button, section); }
    });
  });
})();
