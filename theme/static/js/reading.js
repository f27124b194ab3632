// Enhancements for reading; every page works without them.
// 1. A "Copy" button on each code box (name "Copy code", keyboard-operable, says "Copied").
// 2. The table of contents: open in the margin on wide screens, and the entry of the
//    section being read is marked (aria-current) as the reader scrolls.
// 3. A link into a folded <details> unfolds it.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain http on a non-local host: the old way, through a selected textarea.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      area.remove();
      if (ok) resolve(); else reject(new Error("copy refused"));
    });
  }

  function addCopyButtons() {
    var boxes = document.querySelectorAll(".post-body .highlight");
    if (!boxes.length) return;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    document.body.appendChild(status);
    boxes.forEach(function (box) {
      var pre = box.querySelector("pre");
      if (!pre) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.innerHTML = '<span class="copy-label">Copy</span><span class="visually-hidden"> code</span>';
      var label = button.querySelector(".copy-label");
      var timer = null;
      button.addEventListener("click", function () {
        copyText(pre.textContent.replace(/\n$/, "")).then(function () {
          label.textContent = "Copied";
          status.textContent = "Copied";
          button.classList.add("copied");
          clearTimeout(timer);
          timer = setTimeout(function () {
            label.textContent = "Copy";
            status.textContent = "";
            button.classList.remove("copied");
          }, 2000);
        }, function () {
          label.textContent = "Copy failed";
          status.textContent = "Copy failed: select the code and press Ctrl+C";
        });
      });
      box.classList.add("has-copy");
      box.insertBefore(button, box.firstChild);
    });
  }

  function followToc() {
    var toc = document.querySelector(".toc");
    if (!toc) return;
    var details = toc.querySelector("details");
    var wide = window.matchMedia("(min-width: 1200px)");
    var syncOpen = function () { if (wide.matches) details.open = true; };
    syncOpen();
    wide.addEventListener("change", syncOpen);

    var links = Array.prototype.slice.call(toc.querySelectorAll("a[href^='#']"));
    var byId = {};
    var headings = links.map(function (link) {
      var heading = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (heading) byId[heading.id] = link;
      return heading;
    }).filter(Boolean);
    if (!headings.length || !("IntersectionObserver" in window)) return;

    // The current section: the last heading above the upper third of the window.
    var mark = function () {
      var limit = window.innerHeight / 3, current = null;
      headings.forEach(function (h) { if (h.getBoundingClientRect().top <= limit) current = h; });
      links.forEach(function (link) { link.removeAttribute("aria-current"); });
      if (current) byId[current.id].setAttribute("aria-current", "true");
    };
    var observer = new IntersectionObserver(mark, { rootMargin: "0px 0px -66% 0px", threshold: [0, 1] });
    headings.forEach(function (h) { observer.observe(h); });
    mark();
  }

  // A link to something inside a folded <details> (the footer's run table, folded code)
  // unfolds it, so the link lands on what it names.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
  }

  function start() {
    addCopyButtons();
    followToc();
    openTarget();
    window.addEventListener("hashchange", openTarget);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
