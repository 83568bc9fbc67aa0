// The till's camera: reads a member's QR card and fills the card fields.
// Only an enhancement: without a camera, this file or jsQR, the cashier
// types the number and every form works the same.
(function () {
  "use strict";
  var button = document.getElementById("scan-card");
  var media = navigator.mediaDevices;
  if (!button || !media || typeof media.getUserMedia !== "function" || typeof window.jsQR !== "function") {
    return;
  }
  var panel = document.getElementById("scanner");
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var label = button.textContent;
  var stream = null;
  // A card's QR holds its number, maybe inside a link: take the number.
  var CARD = /[A-Za-z0-9-]{4,32}$/;

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    video.srcObject = null;
    panel.hidden = true;
    button.textContent = label;
  }

  function found(text) {
    var match = CARD.exec(text.trim());
    if (!match) {
      return false;
    }
    document.querySelectorAll("[data-card-input]").forEach(function (input) { input.value = match[0]; });
    status.textContent = button.dataset.found + " " + match[0];
    stop();
    var next = document.getElementById("earn-amount");
    if (next) {
      next.focus();
    }
    return true;
  }

  function look() {
    if (!stream) {
      return;
    }
    if (video.readyState >= 2 && video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (code && code.data && found(code.data)) {
        return;
      }
    }
    window.setTimeout(look, 150);
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (stream) {
      stop();
      return;
    }
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (opened) {
      stream = opened;
      video.srcObject = opened;
      panel.hidden = false;
      button.textContent = button.dataset.stop;
      status.textContent = button.dataset.scanning;
      return video.play();
    }).then(look).catch(function () {
      stop();
      status.textContent = button.dataset.failed;
    });
  });
})();
