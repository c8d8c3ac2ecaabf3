// YABOT admin: refresh the dashboard totals every 15 s and an auction's figures every
// few seconds (same origin; no inline script).
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

// An auction's page: its live figures (#auction-live) follow the auction every few seconds.
(function () {
  "use strict";
  var live = document.getElementById("auction-live");
  if (!live || !window.fetch) { return; }
  var seconds = parseInt(live.getAttribute("data-watch"), 10) || 5;
  window.setInterval(function () {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("auction-live");
        var old = document.getElementById("auction-live");
        if (fresh && old) { old.replaceWith(fresh); }
      })
      .catch(function () { /* keep the last figures */ });
  }, seconds * 1000);
})();
