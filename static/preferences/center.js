/* Preference center, progressive enhancement: "Enable browser notifications" registers the service
   worker, subscribes with the VAPID public key and stores the subscription. Without JavaScript (or
   without Push support) the button stays hidden and the rest of the page works as it is. */
(function () {
  "use strict";
  var section = document.getElementById("push");
  var button = document.getElementById("enable-push");
  var status = document.getElementById("push-status");
  if (!section || !button || !("serviceWorker" in navigator) || !("PushManager" in window) || !window.isSecureContext) return;
  button.hidden = false;

  function say(key) { status.textContent = status.dataset[key] || key; }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function activated(reg) {
    // The worker's scope is /static/preferences/, not this page: wait for it, not for `ready`.
    return new Promise(function (resolve) {
      if (reg.active) return resolve(reg);
      var worker = reg.installing || reg.waiting;
      worker.addEventListener("statechange", function () { if (worker.state === "activated") resolve(reg); });
    });
  }

  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say("denied"); button.disabled = false; return null; }
      return navigator.serviceWorker.register(section.dataset.swUrl).then(activated).then(function (reg) {
        return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(section.dataset.vapidKey)});
      }).then(function (subscription) {
        return fetch(section.dataset.subscribeUrl, {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
          body: JSON.stringify(subscription.toJSON ? subscription.toJSON() : subscription)
        });
      }).then(function (response) {
        if (!response || !response.ok) throw new Error("store failed");
        say("ok");
        section.dataset.subscribed = "true";
      });
    }).catch(function () { say("failed"); button.disabled = false; });
  });
})();
