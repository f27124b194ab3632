/* Figure lightbox: a figure's image opens full size over the page.
 *
 * Without JavaScript each figure is a plain link to its full-size image. With it, the
 * link becomes a button (Enter or Space, or a tap) that opens a modal <dialog>: the
 * full-size rendition in the current colour scheme, at its natural size (scrollable on
 * a phone, where the figure in the text column is too small to read), and its caption.
 * Escape, the close button or a click on the backdrop closes it; focus returns to the
 * figure that opened it.
 */
(function () {
  "use strict";
  var dark = window.matchMedia("screen and (prefers-color-scheme: dark)");
  var dialog, image, caption, opener;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Enlarged figure");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "lightbox-close";
    close.setAttribute("aria-label", "Close the enlarged figure");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { dialog.close(); });
    image = document.createElement("img");
    image.className = "lightbox-image";
    caption = document.createElement("p");
    caption.className = "lightbox-caption";
    dialog.append(close, image, caption);
    // A click on the backdrop (the dialog element itself, outside its content) closes it.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", function () {
      document.documentElement.classList.remove("lightbox-open");
      if (opener) opener.focus();
    });
    document.body.append(dialog);
  }

  // The dark rendition's full size: the first (widest) candidate of the dark <source>.
  function widest(source) {
    if (!source || !source.srcset) return "";
    return new URL(source.srcset.split(",")[0].trim().split(/\s+/)[0], document.baseURI).href;
  }

  function open(link) {
    if (!dialog) build();
    opener = link;
    var thumb = link.querySelector("img");
    image.src = (dark.matches && widest(link.querySelector("source"))) || link.href;
    image.alt = thumb ? thumb.alt : "";
    // Its size on the page, for the CSS: a phone shows it at that size (and scrolls), a
    // wider screen fits it to the window, up to twice that (the rendition's pixels).
    var width = thumb && parseFloat(thumb.getAttribute("width"));
    var height = thumb && parseFloat(thumb.getAttribute("height"));
    image.style.removeProperty("--natural-width");
    image.style.removeProperty("--ratio");
    if (width && height) {
      image.style.setProperty("--natural-width", width + "px");
      image.style.setProperty("--ratio", String(width / height));
    }
    var figure = link.closest("figure");
    var text = figure && figure.querySelector(":scope > figcaption");
    caption.textContent = text ? text.textContent : "";
    caption.hidden = !text;
    document.documentElement.classList.add("lightbox-open");
    dialog.showModal();
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
