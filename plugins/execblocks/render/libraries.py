"""The browser libraries pages load to draw interactive outputs, and where each is installed.

Nothing of them is committed: each is copied into the site, at build time, from the package
that installs it, and only when a page uses it (site/browser_libraries.py copies; the
templates load them only on pages with such an output):

| library  | files on the site                         | installed by                                  |
|----------|-------------------------------------------|-----------------------------------------------|
| plotly   | theme/plotly/plotly.min.js                 | the `plotly` Python package (its own bundle)  |
| vega     | theme/vega/vega.min.js, vega-lite.min.js   | npm: `vega`, `vega-lite` (package.json)        |
| widgets  | theme/widgets/require.js, html-manager/...  | npm: `requirejs`, `@jupyter-widgets/html-manager` |
| a widget module (jupyter-leaflet, ...) | theme/widgets/modules/<module>/ | its Python package's notebook extension (share/jupyter/nbextensions/<module>/) |

npm packages are looked up in the site's project (its node_modules, where `npm ci` puts
them), then in this repository's, as plugins/reading/search.py looks for Pagefind.

When one is not installed, the output that needs it is shown as its best static
alternative with a warning at file:line that says what to install (render/blocks.py): the
rule the engine keeps for every output it cannot show as its author saw it, and what the
site already does without npm (no search index, with a note). A build that stopped instead
would leave a machine without Node.js unable to publish an article whose chart has a still
image, and the warning names the fix.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

# This repository (plugins/execblocks/render/ -> the root), whose package.json pins the npm ones.
HOME = Path(__file__).resolve().parents[3]
STATIC_DIR = "theme"  # where the templates find them: `{{ static }}/plotly/...` (THEME_STATIC_DIR)

# library -> [(where it comes from, where the site has it)]; "npm:" paths are under node_modules/,
# "py:" paths under an installed Python package.
SOURCES: dict[str, list[tuple[str, str]]] = {
    "plotly": [("py:plotly/package_data/plotly.min.js", "plotly/plotly.min.js")],
    "vega": [("npm:vega/build/vega.min.js", "vega/vega.min.js"),
             ("npm:vega-lite/build/vega-lite.min.js", "vega/vega-lite.min.js"),
             ("npm:vega/LICENSE", "vega/LICENSE-vega"),
             ("npm:vega-lite/LICENSE", "vega/LICENSE-vega-lite")],
    # html-manager's AMD build (no CDN fallback is ever asked for: theme/static/js/jupyter-widgets.js
    # gives it a loader of its own) with the icon fonts it loads from beside itself.
    "widgets": [("npm:requirejs/require.js", "widgets/require.js"),
                ("npm:@jupyter-widgets/html-manager/dist/libembed-amd.js", "widgets/html-manager/libembed-amd.js"),
                ("npm:@jupyter-widgets/html-manager/dist/*.woff2", "widgets/html-manager/"),
                ("npm:@jupyter-widgets/html-manager/dist/*.woff", "widgets/html-manager/"),
                ("npm:@jupyter-widgets/html-manager/dist/*.ttf", "widgets/html-manager/"),
                ("npm:@jupyter-widgets/html-manager/dist/*.eot", "widgets/html-manager/"),
                ("npm:@jupyter-widgets/html-manager/dist/*.svg", "widgets/html-manager/")],
}
INSTALL = {
    "plotly": "plotly.js comes with the `plotly` Python package: add `plotly` to requirements.txt and "
              "run `.venv/bin/pip install -r requirements.txt`",
    "vega": "Vega comes from npm: run `npm ci` in the project (Node.js and npm; package.json pins vega and vega-lite)",
    "widgets": "the Jupyter widget manager comes from npm: run `npm ci` in the project (Node.js and npm; "
               "package.json pins @jupyter-widgets/html-manager and requirejs)",
}
# The widget modules html-manager carries itself.
BUILT_IN_MODULES = frozenset({"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"})
MODULES_DIR = "widgets/modules"


def _nbextension_dirs() -> tuple[Path, ...]:
    """Jupyter's data folders' nbextensions/ (this environment's share/jupyter first)."""
    from jupyter_core.paths import jupyter_path

    return tuple(Path(p) for p in jupyter_path("nbextensions"))


def _python_package_dir(name: str) -> Path | None:
    """An installed package's folder, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass
class BrowserLibraries:
    """Where this build finds each library (`node_roots`: folders holding node_modules/;
    `nbextensions`: folders holding widget modules' notebook extensions; `package_dir`:
    a Python package's folder)."""

    node_roots: tuple[Path, ...] = (HOME,)
    nbextensions: tuple[Path, ...] | None = None
    package_dir: object = _python_package_dir
    _found: dict = field(default_factory=dict, repr=False)

    @classmethod
    def for_project(cls, root: Path) -> "BrowserLibraries":
        roots = tuple(dict.fromkeys([Path(root).resolve(), HOME]))
        return cls(node_roots=roots)

    def files(self, library: str) -> list[tuple[Path, str]] | None:
        """(installed file, its path under the site's theme/) for each file of `library`;
        None when any of them is not installed."""
        if library not in self._found:
            self._found[library] = self._locate(library)
        return self._found[library]

    def available(self, library: str) -> bool:
        return self.files(library) is not None

    def _locate(self, library: str) -> list[tuple[Path, str]] | None:
        found = []
        for source, target in SOURCES[library]:
            kind, _, rel = source.partition(":")
            if kind == "py":
                package, _, inner = rel.partition("/")
                folder = self.package_dir(package)
                candidates = [folder / inner] if folder else []
            else:
                candidates = [root / "node_modules" / rel for root in self.node_roots]
            hits = []
            for candidate in candidates:
                hits = sorted(candidate.parent.glob(candidate.name)) if "*" in candidate.name else \
                    ([candidate] if candidate.is_file() else [])
                if hits:
                    break
            if not hits and "*" not in rel:
                return None
            found += [(hit, target + hit.name if target.endswith("/") else target) for hit in hits]
        return found

    def widget_module(self, module: str) -> Path | None:
        """The folder of a widget module's AMD bundle (its notebook extension: index.js and
        the files it loads from beside itself), or None."""
        if "_module:" + module not in self._found:
            folders = self.nbextensions if self.nbextensions is not None else _nbextension_dirs()
            parts = module.split("/")
            hit = None
            if all(p and p not in (".", "..") for p in parts):
                hit = next((d / module for d in folders if (d / module / "index.js").is_file()), None)
            self._found["_module:" + module] = hit
        return self._found["_module:" + module]

    def module_files(self, module: str) -> list[tuple[Path, str]]:
        """A widget module's files and their paths under the site's theme/ (its notebook
        extension's loader, extension.js, and source maps are not needed)."""
        folder = self.widget_module(module)
        if folder is None:
            return []
        return [(path, f"{MODULES_DIR}/{module}/{path.relative_to(folder).as_posix()}")
                for path in sorted(folder.rglob("*"))
                if path.is_file() and path.name != "extension.js" and not path.name.endswith(".map")]
