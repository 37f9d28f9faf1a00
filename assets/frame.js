/* The analysis frame's callbacks that need no server (pages/_frame.py): each one saved a
   request on every page change. */
(function () {
  "use strict";
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    mamsFrame: {
      // A new page closes the click menu (it was about the last page's chart).
      closeMenu: function () { return false; }
    }
  });
})();
