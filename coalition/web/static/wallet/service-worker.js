// The wallet's service worker (served at /wallet/service-worker.js, scope /wallet).
// It keeps the last card page the member saw (the QR code is drawn in it, with
// the balance of that moment) and the files it needs, and shows them when the
// network is gone. Every other page goes to the network as usual.
"use strict";
const CACHE = "coalition-wallet-v1";
const CARD = "/wallet";
const SHELL = ["/static/site.css", "/static/wallet/register.js", "/static/wallet/icon.svg"];

function keep(request, response) {
  // Only a real card page: not a redirect to the sign-in page, not an error.
  if (!response.ok || response.redirected || response.type !== "basic") {
    if (request === CARD && (response.redirected || response.type === "opaqueredirect" || response.status === 401)) {
      // Signed out (or the session ended) while online: the kept card must not
      // be shown to whoever holds the phone next, even without Clear-Site-Data.
      caches.open(CACHE).then(function (cache) { return cache.delete(CARD); });
    }
    return response;
  }
  const copy = response.clone();
  caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
  return response;
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all([
        cache.addAll(SHELL),
        fetch(CARD, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) {
            return cache.put(CARD, response);
          }
          return undefined;
        }).catch(function () { return undefined; }),
      ]);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  const card = url.pathname === CARD || url.pathname === CARD + "/";
  const shell = url.pathname.startsWith("/static/");
  if (!card && !shell) {
    return;
  }
  const key = card ? CARD : request;
  // The network first (the balance must be today's), the kept copy when it fails.
  event.respondWith(
    fetch(request).then(function (response) { return keep(key, response); }).catch(function () {
      return caches.match(key, { ignoreSearch: card, ignoreVary: true }).then(function (kept) { return kept || Response.error(); });
    })
  );
});
