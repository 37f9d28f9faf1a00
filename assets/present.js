/* Presenter mode (pages/present.py): keyboard navigation, and the slide number shared by the
   audience window and the presenter's view through localStorage. */
(function () {
  "use strict";

  function root() { return document.getElementById("present--root"); }

  function storageKey(deck) { return "mams-present-slide-" + deck; }

  var started = {};

  function click(id) {
    var button = document.getElementById(id);
    if (button) { button.click(); }
  }

  var KEYS = {
    ArrowRight: "present--next", PageDown: "present--next", " ": "present--next",
    ArrowLeft: "present--prev", PageUp: "present--prev",
    Home: "present--first", End: "present--last"
  };

  document.addEventListener("keydown", function (event) {
    var el = root();
    if (!el || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    if (event.key === "Escape") {
      event.preventDefault();
      var deck = el.getAttribute("data-deck");
      window.location.assign(deck ? "/decks?deck=" + encodeURIComponent(deck) : "/decks");
      return;
    }
    if (event.key === "f" || event.key === "F") {
      if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
        document.documentElement.requestFullscreen().catch(function () { /* refused: stay */ });
      } else if (document.exitFullscreen) {
        document.exitFullscreen();
      }
      return;
    }
    var id = KEYS[event.key];
    if (id) {
      event.preventDefault();
      click(id);
    }
  });

  // the other window of the same deck moved: follow it
  window.addEventListener("storage", function (event) {
    var el = root();
    if (!el || !event.key || event.key !== storageKey(el.getAttribute("data-deck"))) { return; }
    var index = parseInt(event.newValue, 10);
    if (!isNaN(index) && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("present--sync", { data: index });
    }
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    mamsPresent: {
      remember: function (index, meta) {
        if (meta && meta.view === "presenter" && !started[meta.deck]) {
          // the presenter's window opens on the slide the audience sees, not on slide 1
          started[meta.deck] = true;
          var stored = null;
          try { stored = parseInt(window.localStorage.getItem(storageKey(meta.deck)), 10); } catch (e) { /* none */ }
          if (stored !== null && !isNaN(stored) && stored !== index && window.dash_clientside.set_props) {
            window.dash_clientside.set_props("present--sync", { data: stored });
            return index;
          }
        }
        if (meta && meta.deck !== undefined && index !== undefined && index !== null) {
          try { window.localStorage.setItem(storageKey(meta.deck), String(index)); } catch (e) { /* private mode */ }
        }
        return index;
      }
    }
  });
})();
