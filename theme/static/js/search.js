// The search page: Pagefind's own UI over the index the build made (pagefind/); loaded
// only where the build had Pagefind (search.html says so otherwise). `?q=word` searches.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  new PagefindUI({ element: "#search", showSubResults: true, showImages: false, resetStyles: false });
  var input = document.querySelector("#search input");
  if (input) {
    input.setAttribute("aria-label", "Search the articles");
    var query = new URLSearchParams(location.search).get("q");
    if (query) {
      input.value = query;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    input.focus();
  }
});
