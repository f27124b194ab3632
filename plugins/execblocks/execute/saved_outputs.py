"""A notebook article that ships its outputs (`execute: enabled: false`): nothing runs; its
saved outputs become the run's result, stored and shown like a run's."""

from __future__ import annotations

import copy

import nbformat

from execblocks.errors import ArticleSyntaxError
from execblocks.execute.kernel_run import ExecutionResult
from execblocks.source.parse import Article


def saved_outputs_result(article: Article) -> ExecutionResult:
    """The notebook's own saved outputs as an ExecutionResult, so they are stored and shown
    like a run's. The notebook file is its dependency: saving new outputs re-imports them."""
    if article.inline:
        raise ArticleSyntaxError(article.rel_path, article.inline[0].line,
                                 "an inline `{python}` value needs the notebook to run",
                                 "Remove `execute: enabled: false` from the header, or the inline value.")
    nb = nbformat.read(str(article.path), as_version=4)
    saved = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]
    public = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    for block, cell in zip(article.blocks, saved):
        copied = nbformat.v4.new_code_cell(block.code, execution_count=cell.get("execution_count"))
        copied.id = f"block-{block.index + 1}"
        copied.metadata["execblocks"] = {"block": block.index}
        copied.outputs = copy.deepcopy(cell.get("outputs", []))
        public.cells.append(copied)
    return ExecutionResult(article=article, notebook=public, inline_values=[], reads=[article.path],
                           device="saved in the notebook", versions={}, block_seconds=[0.0] * len(article.blocks),
                           duration_s=0.0, executed_at="")
