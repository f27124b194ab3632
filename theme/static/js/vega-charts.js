// Draw the Vega-Lite / Vega charts of the page (Altair's too; execblocks'
// render/interactive.py): each <div class="vega-chart"> is followed by its Vega-Lite or Vega spec as
// inert JSON. Vega is the theme's own copy (static/vega/); data is never fetched from
// another site: a spec that names a remote URL shows a note instead of a chart.
document.addEventListener("DOMContentLoaded", function () {
  var loader = vega.loader();
  var sanitize = loader.sanitize.bind(loader);
  loader.sanitize = function (uri, options) {
    if (/^([a-z][a-z0-9+.-]*:)?\/\//i.test(uri)) {
      return Promise.reject(new Error("remote data is not loaded: " + uri));
    }
    return sanitize(uri, options);
  };
  document.querySelectorAll(".vega-chart").forEach(function (el) {
    var script = el.nextElementSibling;
    if (!script || !script.classList.contains("vega-spec")) return;
    try {
      var spec = JSON.parse(script.textContent);
      if (el.dataset.vegaKind === "vegalite") spec = vegaLite.compile(spec).spec;
      el.textContent = "";  // the "needs JavaScript" line gives way to the chart
      var view = new vega.View(vega.parse(spec), {
        renderer: "svg", container: el, hover: true, loader: loader,
      });
      view.runAsync().then(function () { el.dataset.vegaDrawn = "true"; }, function (error) {
        el.textContent = "The chart could not be drawn: " + error.message;
      });
    } catch (error) {
      el.textContent = "The chart could not be drawn: " + error.message;
    }
  });
});
