// Draw the page's Jupyter widgets (execblocks' render/widgets.py) from the widget state the
// run stored, as nbconvert's HTML export does, with @jupyter-widgets/html-manager. Every file
// comes from the site (../widgets/, copied by the build from npm and from the widget
// libraries' Python packages): html-manager gets a loader of its own that looks a widget
// library up beside it and nowhere else (html-manager's default one falls back to a CDN).
// Until drawn, each container says what it holds (never an empty box).
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL("../widgets/", script.src).href;
  var manager = base + "html-manager/libembed-amd";
  // The ids html-manager's AMD build defines, all in one file: loading one defines them all,
  // and each knows its own URL (the fonts it loads sit beside it).
  var paths = {};
  ["@jupyter-widgets/html-manager", "@jupyter-widgets/html-manager/dist/libembed-amd", "@jupyter-widgets/base",
   "@jupyter-widgets/controls", "@jupyter-widgets/base7", "@jupyter-widgets/controls7"].forEach(function (id) {
    paths[id] = manager;
  });
  window.requirejs.config({ paths: paths });

  function load(ids) {
    return new Promise(function (resolve, reject) { window.requirejs(ids, resolve, reject); });
  }

  // A widget library (jupyter-leaflet, ...): its notebook extension, copied to modules/<name>/.
  function loader(moduleName) {
    var conf = { paths: {} };
    conf.paths[moduleName] = base + "modules/" + moduleName + "/index";
    window.requirejs.config(conf);
    return load([moduleName]);
  }

  function failed(container, error) {
    var fallback = container.querySelector(".widget-fallback");
    if (fallback) fallback.textContent = "The widget could not be drawn: " + (error && error.message || error);
    console.warn("jupyter-widgets:", error);
  }

  function draw() {
    var stateTag = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
    if (!stateTag) return;
    var containers = Array.prototype.slice.call(document.querySelectorAll(".jupyter-widget"));
    load(["@jupyter-widgets/html-manager"]).then(function (htmlmanager) {
      var widgets = new htmlmanager.HTMLManager({ loader: loader });
      return widgets.set_state(JSON.parse(stateTag.textContent)).then(function (models) {
        containers.forEach(function (container) {
          var viewTag = container.querySelector('script[type="application/vnd.jupyter.widget-view+json"]');
          var modelId = JSON.parse(viewTag.textContent).model_id;
          var model = models.find(function (m) { return m.model_id === modelId; });
          if (!model) return failed(container, "its state is not on the page");
          var area = document.createElement("div");
          area.className = "widget-subarea";
          container.insertBefore(area, viewTag);
          widgets.create_view(model).then(function (view) {
            return widgets.display_view(view, area);
          }).then(function () {
            var fallback = container.querySelector(".widget-fallback");
            if (fallback) fallback.remove();
            container.dataset.widgetDrawn = "true";
          }, function (error) { failed(container, error); });
        });
      });
    }).catch(function (error) {
      containers.forEach(function (container) { failed(container, error); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
