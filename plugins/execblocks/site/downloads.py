"""The article as something a reader can rerun: the executed notebook (images put
back inline), a plain script with `# %%` cell markers, and the runnable bundle (a .zip
with the notebook and the project files it read, see site/bundle.py)."""

from __future__ import annotations

import base64
import copy

import nbformat

from execblocks.site.bundle import reader_bundle
from execblocks.config import EngineSettings
from execblocks.render.blocks import RenderedArticle
from execblocks.site.script_export import script
from execblocks.store.results_folder import atomic_write


def downloadable_notebook(rendered: RenderedArticle) -> nbformat.NotebookNode:
    notebook = copy.deepcopy(rendered.entry.notebook())
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            files = output.get("metadata", {}).get("execblocks", {}).get("files", {})
            for mime, name in files.items():
                data = rendered.entry.file(name).read_bytes()
                output["data"][mime] = base64.b64encode(data).decode() if mime == "image/png" else data.decode()
            output.get("metadata", {}).pop("execblocks", None)
        cell.metadata.pop("execblocks", None)
    return notebook


def write_downloads(rendered: RenderedArticle, target, settings: EngineSettings) -> None:
    slug = rendered.article.slug
    notebook = downloadable_notebook(rendered)
    atomic_write(target / f"{slug}.ipynb", nbformat.writes(notebook).encode())
    atomic_write(target / f"{slug}.py", script(rendered).encode())
    bundle = reader_bundle(rendered.article, rendered.entry, notebook, settings)
    atomic_write(target / f"{slug}.zip", bundle.zip_bytes())
