// Keyboard shortcuts for the queue and the ticket page; everything works without this script.
//
// Queue (rows are tr[data-href]): j/k move a visible selection, Enter opens the selected ticket, x ticks its
// checkbox for a bulk action. Everywhere: an element with data-shortcut="X" is activated by key X (a field
// is focused, anything else clicked); "?" shows the shortcuts of the page. No shortcut fires while staff
// type in a field; Escape leaves the field (and closes the help). Under the CSP (script-src 'self',
// style-src 'self') this script sets classes only, never styles.
(function () {
  "use strict";

  var QUEUE_KEYS = [
    ["j", "Næste sag i listen"],
    ["k", "Forrige sag i listen"],
    ["Enter", "Åbn den valgte sag"],
    ["x", "Vælg/fravælg sagen til en fælles handling"]
  ];
  var help = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  }

  function current() {
    return document.querySelector("tr[data-href].kbd-current");
  }

  function typing(element) {
    if (!element || element === document.body) { return false; }
    if (element.isContentEditable) { return true; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    if (tag !== "INPUT") { return false; }
    var type = (element.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset", "image", "file", "range", "color"].indexOf(type) < 0;
  }

  function select(row) {
    var old = current();
    if (old) { old.classList.remove("kbd-current"); old.removeAttribute("aria-current"); }
    row.classList.add("kbd-current");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({block: "nearest"});
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return false; }
    var at = all.indexOf(current());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    select(all[next]);
    return true;
  }

  function open() {
    var row = current();
    if (!row) { return false; }
    window.location.href = row.getAttribute("data-href");
    return true;
  }

  function tick() {
    var row = current();
    var box = row && row.querySelector("input[type=checkbox]");
    if (!box) { return false; }
    box.click();  // a click, so that the form and any listener see it as staff ticking it
    return true;
  }

  function shortcutTarget(key) {
    var found = document.querySelectorAll("[data-shortcut]");
    for (var i = 0; i < found.length; i++) {
      if (found[i].getAttribute("data-shortcut") === key && !found[i].disabled && found[i].getClientRects().length) {
        return found[i];
      }
    }
    return null;
  }

  function activate(element) {
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && typing(element))) {
      element.focus();
      if (element.scrollIntoView) { element.scrollIntoView({block: "center"}); }
    } else {
      element.click();
    }
  }

  function describe(element) {
    var text = element.getAttribute("data-shortcut-label") || element.getAttribute("aria-label") ||
      element.getAttribute("title") || "";
    if (!text && element.id) {
      var label = document.querySelector("label[for='" + element.id + "']");
      if (label) { text = label.textContent; }
    }
    if (!text && element.closest("label")) { text = element.closest("label").textContent; }
    if (!text) { text = element.textContent || element.getAttribute("placeholder") || element.getAttribute("name") || ""; }
    return text.replace(/\s+/g, " ").trim();
  }

  function entry(list, key, text) {
    var term = document.createElement("dt");
    var kbd = document.createElement("kbd");
    kbd.textContent = key;
    term.appendChild(kbd);
    var what = document.createElement("dd");
    what.textContent = text;
    list.appendChild(term);
    list.appendChild(what);
  }

  function buildHelp() {
    var overlay = document.createElement("div");
    overlay.className = "keys-help";
    overlay.id = "keys-help";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Tastaturgenveje");
    var box = document.createElement("div");
    box.className = "keys-help-box";
    var title = document.createElement("h2");
    title.textContent = "Tastaturgenveje";
    box.appendChild(title);
    var list = document.createElement("dl");
    if (rows().length) {
      QUEUE_KEYS.forEach(function (item) { entry(list, item[0], item[1]); });
    }
    var seen = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-shortcut]"), function (element) {
      var key = element.getAttribute("data-shortcut");
      if (seen[key] || !element.getClientRects().length) { return; }
      seen[key] = true;
      entry(list, key, describe(element));
    });
    entry(list, "?", "Vis eller skjul denne hjælp");
    entry(list, "Esc", "Forlad et felt, eller luk hjælpen");
    box.appendChild(list);
    var note = document.createElement("p");
    note.textContent = "Genvejene virker ikke, mens du skriver i et felt.";
    box.appendChild(note);
    overlay.appendChild(box);
    overlay.addEventListener("click", function (event) {
      if (event.target === overlay) { hideHelp(); }
    });
    document.body.appendChild(overlay);
    return overlay;
  }

  function helpShown() {
    return help !== null && !help.hidden;
  }

  function showHelp() {
    if (help) { help.remove(); }  // built anew: the page's shortcuts may have changed (a section unfolded)
    help = buildHelp();
  }

  function hideHelp() {
    if (help) { help.hidden = true; }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    var target = event.target;
    if (event.key === "Escape") {
      if (helpShown()) { hideHelp(); event.preventDefault(); return; }
      if (typing(target)) { target.blur(); event.preventDefault(); }
      return;
    }
    if (typing(target)) { return; }
    if (event.key === "?") {
      if (helpShown()) { hideHelp(); } else { showHelp(); }
      event.preventDefault();
      return;
    }
    if (helpShown()) { return; }
    var handled = false;
    if (event.key === "Enter") {
      // Enter on a link, a button or a checkbox does what it does there; on the page it opens the selected row.
      var tag = target && target.tagName;
      if (tag === "A" || tag === "BUTTON" || tag === "INPUT" || tag === "SUMMARY") { return; }
      handled = open();
    } else if (event.key === "j") {
      handled = move(1);
    } else if (event.key === "k") {
      handled = move(-1);
    } else if (event.key === "x") {
      handled = tick();
    }
    if (!handled && event.key.length === 1) {
      var element = shortcutTarget(event.key);
      if (element) { activate(element); handled = true; }
    }
    if (handled) { event.preventDefault(); }
  });
  // The script is deferred: a mark that the shortcuts listen now (browser tests wait for it before a key).
  document.documentElement.setAttribute("data-keys", "ready");
}());
