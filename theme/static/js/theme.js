/* The light/dark toggle in the header.
 *
 * Without JavaScript (or before the reader chooses) the site follows the system's scheme:
 * the stylesheet's colours are light-dark() pairs, and each figure's <picture> has a
 * <source media="screen and (prefers-color-scheme: dark)"> with the dark rendition.
 * A choice is kept in localStorage ("theme": "light" or "dark"); base.html's inline
 * script puts it on <html data-theme> before the page is drawn, so there is no flash.
 * Here the figures follow it: a dark <source>'s media becomes "screen" (always, on
 * screen) or "not all" (never), and the browser picks the rendition again. Printing
 * stays light either way. The lightbox opens whichever rendition its <source> selects.
 */
(function () {
  "use strict";
  var KEY = "theme";
  var root = document.documentElement;
  var system = window.matchMedia("(prefers-color-scheme: dark)");
  var toggle = document.querySelector(".theme-toggle");

  function chosen() {
    var value = root.getAttribute("data-theme");
    return value === "light" || value === "dark" ? value : null;
  }

  function isDark() { return chosen() ? chosen() === "dark" : system.matches; }

  function syncFigures() {
    var choice = chosen();
    document.querySelectorAll("picture > source[media]").forEach(function (source) {
      if (!source.hasAttribute("data-system-media")) {
        if (source.media.indexOf("prefers-color-scheme: dark") < 0) return;
        source.setAttribute("data-system-media", source.media);
      }
      var media = choice === "dark" ? "screen" : choice === "light" ? "not all"
        : source.getAttribute("data-system-media");
      if (source.media !== media) source.media = media;
    });
  }

  function syncToggle() {
    if (!toggle) return;
    toggle.setAttribute("aria-pressed", String(isDark()));
    toggle.title = isDark() ? "Switch to the light theme" : "Switch to the dark theme";
  }

  function choose(value) {
    root.setAttribute("data-theme", value);
    try { localStorage.setItem(KEY, value); } catch (e) { /* private mode: this page only */ }
    syncFigures();
    syncToggle();
  }

  syncFigures();
  if (toggle) {
    toggle.hidden = false;
    syncToggle();
    toggle.addEventListener("click", function () { choose(isDark() ? "light" : "dark"); });
    system.addEventListener("change", syncToggle);
  }
})();
