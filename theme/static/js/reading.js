// Enhancements for reading; every page works without them.
// 1. A "Copy" button on each code box (name "Copy code", keyboard-operable, says "Copied").
// 2. The table of contents: open in the margin on wide screens, and the entry of the
//    section in view is marked (aria-current) whichever way the reader got there.
// 3. A link into a folded <details> unfolds it.
// 4. A table that scrolls sideways says so.
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
    var boxes = document.querySelectorAll(".post-body .highlight, .cite-this .highlight");
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
    if (!headings.length) return;

    // The section in view, from where the page is, however it got there (End, the
    // scrollbar, find-in-page, a link): every scroll is measured, once per frame. It is the
    // last heading above the upper third of the window; at the very end of the page, where
    // the last sections can never reach that line, the last heading in the window. Right
    // after a jump to an anchor (a citation, a back-link), it is the section that holds
    // the anchor, until the reader scrolls on.
    var current = null, pending = false, jump = null;
    var mark = function () {
      pending = false;
      var limit = window.innerHeight / 3, found = null;
      if (jump && Math.abs(window.scrollY - jump.scrollY) < 2) limit = jump.top - window.scrollY;
      else jump = null;
      var atEnd = !jump && window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
      headings.forEach(function (h) {
        var top = h.getBoundingClientRect().top;
        if (top <= limit || (atEnd && top < window.innerHeight)) found = h;
      });
      if (found === current) return;
      current = found;
      links.forEach(function (link) { link.removeAttribute("aria-current"); });
      if (!found) return;
      var link = byId[found.id];
      link.setAttribute("aria-current", "location");
      // Keep the marked entry visible in a margin contents list taller than the window.
      var box = toc.getBoundingClientRect(), item = link.getBoundingClientRect();
      if (item.top < box.top || item.bottom > box.bottom) toc.scrollTop += item.top - box.top - box.height / 2;
    };
    var schedule = function () {
      if (!pending) { pending = true; window.requestAnimationFrame(mark); }
    };
    // The browser has scrolled to the anchor when hashchange arrives.
    var jumped = function () {
      var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      jump = target ? { top: window.scrollY + target.getBoundingClientRect().top + 1, scrollY: window.scrollY } : null;
      schedule();
    };
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    window.addEventListener("hashchange", jumped);
    if (location.hash) jumped(); else mark();

    // Phones: the "Contents" button that brings the reader back shows once the list at the
    // top is out of view.
    var back = document.querySelector(".toc-return");
    if (back && "IntersectionObserver" in window) {
      new IntersectionObserver(function (entries) {
        back.classList.toggle("is-hidden", entries[0].isIntersecting || entries[0].boundingClientRect.top > 0);
      }).observe(toc);
    }
  }

  // A table wider than its box gets a "Scroll sideways" hint (style.css), re-checked as
  // the window's width changes.
  function markScrollingTables() {
    var boxes = document.querySelectorAll(".table-scroll");
    if (!boxes.length || !("ResizeObserver" in window)) return;
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        var box = entry.target;
        box.classList.toggle("is-scrollable", box.scrollWidth > box.clientWidth + 1);
      });
    });
    boxes.forEach(function (box) { observer.observe(box); });
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
    markScrollingTables();
    openTarget();
    window.addEventListener("hashchange", openTarget);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
