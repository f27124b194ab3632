/* Figure lightbox: a figure's image opens enlarged over the page.
 *
 * Without JavaScript each figure is a plain link to its full-size image. With it, the
 * link becomes a button (Enter or Space, or a tap) that opens a modal <dialog> with the
 * full-size rendition in the colour scheme the page shows (theme.js may have chosen it),
 * and its caption. Escape, the close button or a click on the backdrop closes it; focus
 * returns to the figure that opened it.
 *
 * Enlarged means larger than on the page, at any width: a figure that fits the window
 * larger than on the page is fitted to it; a tall one (fitting the window's height would
 * shrink it) fills the window's width instead, up to 1.5x its rendition's pixels, and the
 * reader scrolls down it; never narrower than its natural size (a phone scrolls both ways).
 * Then zoom (1x to 4x of that) and pan: Ctrl + wheel or a trackpad pinch, two-finger pinch
 * on a touch screen, the + / - / 0 keys or the toolbar's buttons; the arrow keys, the
 * wheel, a drag or one finger pan.
 */
(function () {
  "use strict";
  var MIN_ZOOM = 1, MAX_ZOOM = 4, STEP = 1.25;
  var dialog, stage, image, caption, zoomLabel, opener;
  var base = 0, zoom = 1, ratio = 1;

  function button(label, text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "lightbox-button";
    b.setAttribute("aria-label", label);
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Enlarged figure");
    var bar = document.createElement("div");
    bar.className = "lightbox-toolbar";
    zoomLabel = document.createElement("output");
    zoomLabel.className = "lightbox-zoom";
    zoomLabel.setAttribute("aria-live", "polite");
    var close = button("Close the enlarged figure", "\u00d7", function () { dialog.close(); });
    close.className = "lightbox-close";
    close.autofocus = true;  // what showModal() focuses: Enter or Space closes at once
    bar.append(button("Zoom out", "\u2212", function () { zoomBy(1 / STEP); }),
               zoomLabel,
               button("Zoom in", "+", function () { zoomBy(STEP); }),
               button("Fit to the window", "Fit", function () { setZoom(1); }),
               close);
    // The stage scrolls (pans) the image; it is focusable so arrow keys pan it.
    stage = document.createElement("div");
    stage.className = "lightbox-stage";
    stage.tabIndex = 0;
    stage.setAttribute("role", "region");
    stage.setAttribute("aria-label", "Figure: + and - zoom, arrow keys move");
    image = document.createElement("img");
    image.className = "lightbox-image";
    image.draggable = false;
    caption = document.createElement("p");
    caption.className = "lightbox-caption";
    stage.append(image, caption);
    dialog.append(bar, stage);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog || event.target === stage) dialog.close();
    });
    dialog.addEventListener("close", function () {
      document.documentElement.classList.remove("lightbox-open");
      if (opener) opener.focus();
    });
    dialog.addEventListener("keydown", onKey);
    stage.addEventListener("wheel", onWheel, { passive: false });
    enablePointers();
    window.addEventListener("resize", function () { if (dialog.open) layout(); });
    document.body.append(dialog);
  }

  // ---- size --------------------------------------------------------------------

  function layout() {
    var thumb = opener.querySelector("img");
    var onPage = thumb.getBoundingClientRect().width;
    var natural = parseFloat(thumb.getAttribute("width")) || onPage;
    var height = parseFloat(thumb.getAttribute("height"));
    ratio = height ? natural / height : (thumb.naturalWidth / thumb.naturalHeight || 1);
    var pixels = image.naturalWidth || thumb.naturalWidth || natural * 2;
    var room = stage.clientWidth - 32;
    var roomHeight = stage.clientHeight - 32 - Math.min(caption.offsetHeight, stage.clientHeight / 4);
    var fit = Math.min(room, roomHeight * ratio);
    // Larger than on the page: fitted when that is clearly larger, else as wide as the window.
    base = fit >= onPage * 1.5 ? fit : Math.max(natural, Math.min(room, 1.5 * pixels));
    base = Math.max(base, onPage * 1.15);
    apply();
  }

  function apply(anchorX, anchorY) {
    // Keep the point under the pointer (or the stage's centre) where it is.
    var box = stage.getBoundingClientRect();
    var x = anchorX === undefined ? box.width / 2 : anchorX - box.left;
    var y = anchorY === undefined ? box.height / 2 : anchorY - box.top;
    var before = image.getBoundingClientRect();
    var fx = before.width ? (x + box.left - before.left) / before.width : 0.5;
    var fy = before.height ? (y + box.top - before.top) / before.height : 0.5;
    image.style.width = Math.round(base * zoom) + "px";
    var after = image.getBoundingClientRect();
    stage.scrollLeft += after.left + fx * after.width - (x + box.left);
    stage.scrollTop += after.top + fy * after.height - (y + box.top);
    zoomLabel.textContent = Math.round(zoom * 100) + "%";
    dialog.classList.toggle("is-zoomed", zoom > 1);
  }

  function setZoom(value, x, y) {
    zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, value));
    apply(x, y);
  }

  function zoomBy(factor, x, y) { setZoom(zoom * factor, x, y); }

  // ---- input -------------------------------------------------------------------

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "+" || event.key === "=") zoomBy(STEP);
    else if (event.key === "-" || event.key === "_") zoomBy(1 / STEP);
    else if (event.key === "0") setZoom(1);
    else return;
    event.preventDefault();
  }

  function onWheel(event) {
    // A trackpad pinch arrives as Ctrl + wheel; a plain wheel scrolls (pans) the stage.
    if (!event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    zoomBy(Math.exp(-event.deltaY / 300), event.clientX, event.clientY);
  }

  function enablePointers() {
    var pointers = new Map(), pinch = null, drag = null;
    var spread = function () {
      var p = Array.from(pointers.values());
      return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y);
    };
    stage.addEventListener("pointerdown", function (event) {
      if (event.target !== image) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        drag = null;
        pinch = { distance: spread(), zoom: zoom };
      } else if (event.pointerType === "mouse") {
        drag = { x: event.clientX, y: event.clientY, left: stage.scrollLeft, top: stage.scrollTop };
        image.setPointerCapture(event.pointerId);
        event.preventDefault();
      }
    });
    stage.addEventListener("pointermove", function (event) {
      if (!pointers.has(event.pointerId)) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size === 2) {
        var p = Array.from(pointers.values());
        setZoom(pinch.zoom * spread() / pinch.distance, (p[0].x + p[1].x) / 2, (p[0].y + p[1].y) / 2);
      } else if (drag) {
        stage.scrollLeft = drag.left - (event.clientX - drag.x);
        stage.scrollTop = drag.top - (event.clientY - drag.y);
      }
    });
    var end = function (event) {
      pointers.delete(event.pointerId);
      if (pointers.size < 2) pinch = null;
      if (!pointers.size) drag = null;
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
  }

  // ---- open --------------------------------------------------------------------

  // The full-size file of the rendition the page shows: the dark <source>'s first (widest)
  // candidate while its media matches (theme.js rewrites it when the reader picks a scheme).
  function fullSize(link) {
    var source = link.querySelector("source");
    if (source && source.srcset && window.matchMedia(source.media || "all").matches) {
      return new URL(source.srcset.split(",")[0].trim().split(/\s+/)[0], document.baseURI).href;
    }
    return link.href;
  }

  function open(link) {
    if (!dialog) build();
    opener = link;
    var thumb = link.querySelector("img");
    zoom = 1;
    image.style.width = Math.round(thumb.getBoundingClientRect().width * 1.15) + "px";
    image.src = fullSize(link);
    image.alt = thumb ? thumb.alt : "";
    var figure = link.closest("figure");
    var text = figure && figure.querySelector(":scope > figcaption");
    caption.textContent = text ? text.textContent : "";
    caption.hidden = !text;
    document.documentElement.classList.add("lightbox-open");
    dialog.showModal();
    var first = function () { layout(); stage.scrollTo(0, 0); };
    first();
    if (!image.complete) image.addEventListener("load", first, { once: true });
  }

  document.querySelectorAll("a.figure-zoom").forEach(function (link) {
    link.setAttribute("role", "button");
    link.setAttribute("aria-haspopup", "dialog");
    // The image's alt text names the button; a figure without one still gets a name.
    var thumb = link.querySelector("img");
    if (!thumb || !thumb.alt) link.setAttribute("aria-label", "Enlarge the figure");
    link.addEventListener("click", function (event) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      open(link);
    });
    // Links answer Enter by themselves (a click); a button also answers Space.
    link.addEventListener("keydown", function (event) {
      if (event.key === " " || event.key === "Spacebar") {
        event.preventDefault();
        open(link);
      }
    });
  });
})();
