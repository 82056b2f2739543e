// "Også åben hos" kept current on the ticket page, and a notice when the ticket changes under you.
// The page works without this script: it names who had the ticket open when it was loaded, and an action
// from a page that is out of date is refused by the server anyway.
(function () {
  "use strict";
  var box = document.getElementById("presence");
  if (!box || !window.fetch) { return; }
  var ticket = box.getAttribute("data-ticket");
  var version = box.getAttribute("data-version");
  var others = box.querySelector(".presence-others");
  var changed = box.querySelector(".presence-changed");

  function show(data) {
    var names = data.viewers.map(function (v) { return v.name + " (" + v.initials + ")"; });
    others.textContent = names.length ? "Også åben hos: " + names.join(", ") : "";
    var stale = String(data.version) !== version;
    changed.hidden = !stale;
    box.classList.toggle("nobody", !names.length && !stale);
  }

  function beat() {
    if (document.visibilityState !== "visible") { return; }
    fetch("/tickets/" + encodeURIComponent(ticket) + "/presence", {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* offline for a moment: try again at the next beat */ });
  }

  window.setInterval(beat, 30000);
  document.addEventListener("visibilitychange", beat);
}());
