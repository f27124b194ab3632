"""The article as something a reader can rerun: the executed notebook (images put
back inline) and a plain script with `# %%` cell markers."""

from __future__ import annotations

import base64
import copy

import nbformat

from .render import RenderedArticle
from .scripts import script
from .store import atomic_write


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


def write_downloads(rendered: RenderedArticle, target) -> None:
    slug = rendered.article.slug
    atomic_write(target / f"{slug}.ipynb", nbformat.writes(downloadable_notebook(rendered)).encode())
    atomic_write(target / f"{slug}.py", script(rendered).encode())
