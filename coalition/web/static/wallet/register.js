// The wallet's service worker: the card page shows at the counter without a network.
"use strict";
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/wallet/service-worker.js", { scope: "/wallet" }).catch(function () {
      // Without it the wallet still works online; nothing to tell the member.
    });
  });
}
