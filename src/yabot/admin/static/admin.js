// YABOT admin: refresh the dashboard totals every 15 s (same origin; no inline script).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) { return; }
  var url = live.getAttribute("data-refresh");
  window.setInterval(function () {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("totals");
        var old = document.getElementById("totals");
        if (fresh && old) { old.replaceWith(fresh); }
      })
      .catch(function () { /* keep the last figures */ });
  }, 15000);
})();
