// Draw the Plotly charts of the page (execblocks' render/interactive.py): each
// <div class="plotly-chart"> is followed by its {data, layout} as inert JSON. Plotly is the
// copy the site ships (static/plotly/, from the plotly Python package); nothing is fetched
// from another site. Until drawn, the container says what it holds (never an empty box).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".plotly-chart").forEach(function (el) {
    var script = el.nextElementSibling;
    if (!script || !script.classList.contains("plotly-spec")) return;
    try {
      var spec = JSON.parse(script.textContent);
      var layout = Object.assign({}, spec.layout || {}, { autosize: true });
      el.textContent = "";
      Plotly.newPlot(el, spec.data || [], layout, {
        responsive: true, displaylogo: false, showLink: false, showSendToCloud: false,
      }).then(function () { el.dataset.plotlyDrawn = "true"; }, function (error) {
        el.textContent = "The chart could not be drawn: " + error.message;
      });
    } catch (error) {
      el.textContent = "The chart could not be drawn: " + error.message;
    }
  });
});
