/* Previews of what a link points to, without leaving the sentence (as Quarto, distill and
 * Gwern's pages do): a cross-reference shows its figure, table, equation or section start,
 * a citation its reference entry, a footnote mark its note.
 *
 * Mouse: hover the link (the preview stays while the pointer moves onto it). Keyboard:
 * focus the link; Escape hides it; Enter still follows the link. Touch: the first tap shows
 * the preview, with a link to go there; a second tap on the same link follows it.
 * The preview is a copy (ids and tab stops removed) in one role="tooltip" element that
 * describes the link while it is shown. Without JavaScript the links work as links.
 */
(function () {
  "use strict";
  var LINKS = "a.cross-ref, a.citation-link, a.footnote-ref";
  var popup, current = null, showTimer = null, hideTimer = null, touched = null;

  function target(link) {
    var id = decodeURIComponent(link.hash.slice(1));
    return id ? document.getElementById(id) : null;
  }

  // What to show for a link's target.
  function content(link, el) {
    var shown;
    if (el.matches("h2, h3, h4, h5, h6")) {
      shown = document.createElement("div");
      shown.append(el.cloneNode(true));
      var next = el.nextElementSibling;
      while (next && !next.matches("p")) next = next.nextElementSibling;
      if (next) shown.append(next.cloneNode(true));
    } else if (el.matches("table")) {
      shown = (el.closest(".cell-output") || el).cloneNode(true);
    } else if (el.matches("li")) {  // a footnote kept at the end: its text
      shown = document.createElement("div");
      shown.innerHTML = el.innerHTML;
    } else {
      shown = el.cloneNode(true);
    }
    // A copy: no duplicate ids, nothing to tab to, no back-links, no lightbox buttons.
    shown.querySelectorAll(".ref-backlinks, .footnote-backref, .headerlink, .copy-button, .figure-zoom-dark").forEach(function (n) { n.remove(); });
    shown.querySelectorAll("a.figure-zoom").forEach(function (a) { a.replaceWith.apply(a, Array.from(a.childNodes)); });
    [shown].concat(Array.from(shown.querySelectorAll("*"))).forEach(function (n) {
      n.removeAttribute("id");
      if (n.hasAttribute("tabindex")) n.setAttribute("tabindex", "-1");
      if (n.getAttribute("role") === "region") n.removeAttribute("role");
      if (n.matches("a[href]")) n.setAttribute("tabindex", "-1");
      if (n.matches("img")) n.loading = "eager";
    });
    return shown;
  }

  function build() {
    popup = document.createElement("div");
    popup.className = "preview";
    popup.id = "link-preview";
    popup.setAttribute("role", "tooltip");
    popup.hidden = true;
    popup.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    popup.addEventListener("mouseleave", function () { hideSoon(); });
    document.body.append(popup);
  }

  function place(link) {
    var box = link.getBoundingClientRect();
    var width = Math.min(popup.offsetWidth, document.documentElement.clientWidth - 16);
    var left = Math.min(Math.max(8, box.left + box.width / 2 - width / 2),
                        document.documentElement.clientWidth - width - 8);
    var below = box.bottom + 8;
    var top = (below + popup.offsetHeight > window.innerHeight && box.top - 8 - popup.offsetHeight > 0)
      ? box.top - 8 - popup.offsetHeight : below;
    popup.style.left = (left + window.scrollX) + "px";
    popup.style.top = (top + window.scrollY) + "px";
  }

  function show(link, viaTouch) {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    var el = target(link);
    if (!el) return;
    if (!popup) build();
    if (current && current !== link) current.removeAttribute("aria-describedby");
    popup.replaceChildren(content(link, el));
    if (viaTouch) {
      var go = document.createElement("a");
      go.className = "preview-go";
      go.href = link.hash;
      go.textContent = "Go there \u2192";
      popup.append(go);
    }
    popup.hidden = false;
    current = link;
    link.setAttribute("aria-describedby", popup.id);
    place(link);
    // Images arrive later and change the height: place again when they do.
    popup.querySelectorAll("img").forEach(function (img) {
      if (!img.complete) img.addEventListener("load", function () { if (current === link) place(link); }, { once: true });
    });
  }

  function hide() {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    if (!popup || popup.hidden) return;
    popup.hidden = true;
    if (current) current.removeAttribute("aria-describedby");
    current = null;
    touched = null;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  document.querySelectorAll(LINKS).forEach(function (link) {
    if (!link.hash) return;
    link.addEventListener("mouseenter", function () {
      clearTimeout(hideTimer);
      showTimer = setTimeout(function () { show(link); }, 200);
    });
    link.addEventListener("mouseleave", hideSoon);
    link.addEventListener("focus", function () { if (!touched) show(link); });
    link.addEventListener("blur", function () { if (touched !== link) hideSoon(); });
    link.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "touch" && touched !== link) touched = "pending";
    });
    link.addEventListener("click", function (event) {
      if (touched === "pending") {  // first tap: show, do not go
        event.preventDefault();
        touched = link;
        show(link, true);
        return;
      }
      hide();
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && popup && !popup.hidden) hide();
  });
  document.addEventListener("pointerdown", function (event) {
    if (popup && !popup.hidden && !popup.contains(event.target) && !event.target.closest(LINKS)) hide();
  });
  window.addEventListener("resize", function () { if (current) place(current); });
  window.addEventListener("hashchange", hide);
})();
