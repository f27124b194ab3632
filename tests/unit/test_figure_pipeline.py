"""The figure pipeline's version is in every result's key: results whose figures an older
pipeline made are stale, and `invoke status` says why; and the version cannot be left
behind when the kernel's figure code changes."""

import ast
import hashlib
import json
from pathlib import Path

import nbformat

from execblocks.config import EngineSettings
from execblocks.execute import plan
from execblocks.execute.plan import FRESH, STALE, block_fingerprint, execution_key, plan_article
from execblocks.source.parse import parse_text
from execblocks.store.records import Environment, Record
from execblocks.store.results_folder import ResultsStore
from execkernel.policy import FIGURE_PIPELINE
from support import provenance, stored_record

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
# The figure code the version stands for, whole files: what saves, recolours and shows
# figures (figure_saving.py), draws their renditions (renditions.py) and ends them at
# plt.show() (backend.py); and the fingerprint of that code (docstrings and comments left
# out) when FIGURE_PIPELINE was last set. Whole files, so a renamed or new function is in it.
FIGURE_CODE = ("execkernel/figure_saving.py", "execkernel/renditions.py", "execkernel/backend.py")
# 3 moved from b27d4b630eaca333 when the figure code moved, unchanged, out of hooks.py
# into figure_saving.py (the same figures, byte for byte: see that commit's message).
FINGERPRINT = {2: "85750407c7edde52", 3: "061b0a43aed0d98d"}

TEXT = "Title: T\nDate: 2026-01-01\n\n```{python}\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n```\n"


def setup(root: Path):
    settings = EngineSettings.from_pelican({"PATH": str(root / "content"), "EXECBLOCKS_ROOT": str(root),
                                            "OUTPUT_PATH": str(root / "output")})
    article = parse_text(TEXT, root / "content/a.md", root, root / "content")
    return settings, article, ResultsStore(root / "results")


def store(results: ResultsStore, article, key: str, pipeline: int) -> None:
    record = stored_record(key, article=article.rel_path, blocks=tuple(block_fingerprint(b) for b in article.blocks),
                           environment=Environment("cpu", {}, {}), figure_pipeline=pipeline)
    results.write(article.article_id, record, nbformat.v4.new_notebook(), provenance(at="2026-12-07T09:00:00+00:00"))


def test_the_key_follows_the_figure_pipeline(tmp_path, monkeypatch):
    settings, article, _ = setup(tmp_path)
    now = execution_key(article, settings)
    monkeypatch.setattr(plan, "FIGURE_PIPELINE", FIGURE_PIPELINE + 1)
    assert execution_key(article, settings) != now


def test_results_of_an_older_pipeline_are_stale_and_say_why(tmp_path, monkeypatch):
    settings, article, results = setup(tmp_path)
    monkeypatch.setattr(plan, "FIGURE_PIPELINE", FIGURE_PIPELINE - 1)
    store(results, article, execution_key(article, settings), FIGURE_PIPELINE - 1)
    assert plan_article(article, results, settings).state == FRESH  # fresh for the pipeline that made it
    monkeypatch.setattr(plan, "FIGURE_PIPELINE", FIGURE_PIPELINE)
    stale = plan_article(article, results, settings)
    assert stale.state == STALE
    assert stale.reasons == [f"its figures were made by figure pipeline {FIGURE_PIPELINE - 1}, now "
                             f"{FIGURE_PIPELINE} (execkernel/policy.py: FIGURE_PIPELINE)"]
    store(results, article, execution_key(article, settings), FIGURE_PIPELINE)
    assert plan_article(article, results, settings).state == FRESH


def test_a_record_stored_before_the_version_existed_reads_as_pipeline_1(tmp_path):
    settings, article, results = setup(tmp_path)
    store(results, article, "an old key", FIGURE_PIPELINE)
    path = results.entry_dir(article.article_id) / "record.json"
    data = json.loads(path.read_text())
    assert data.pop("figure_pipeline") == FIGURE_PIPELINE
    assert Record.from_json(data).figure_pipeline == 1


def fingerprint() -> str:
    """sha256 of the figure code's syntax trees without docstrings: a comment or docstring
    edit keeps it, any change to what the code does moves it."""
    digest = hashlib.sha256()
    for rel in FIGURE_CODE:
        tree = ast.parse((PLUGINS / rel).read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        digest.update(ast.unparse(tree).encode())  # unparse: the same text on any Python 3.9+
    return digest.hexdigest()[:16]


def test_the_kernel_figure_code_is_in_the_fingerprinted_files():
    """hooks.py installs the pipeline and is not fingerprinted: it must hold no figure code,
    only hand over to figure_saving.py (its hidden-cell names included)."""
    from execkernel import figure_saving, hooks

    hook_names = {node.name for node in ast.parse((PLUGINS / "execkernel/hooks.py").read_text()).body
                  if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    moved = {"_save_open_figures", "show_figures", "_publish_figures", "_render_png", "_render_svg",
             "_recolour_for_dark", "_dark_colour", "_same_colour", "_figure_title", "_describe_axes"}
    assert moved <= set(vars(figure_saving)) and not moved & hook_names
    assert hooks.figure_options is figure_saving.figure_options and hooks.set_figsize is figure_saving.set_figsize


def test_the_figure_code_has_not_changed_since_the_version_was_set():
    """When this fails, the kernel's figure code changed: if a stored figure could come out
    differently (one pixel, one byte), raise FIGURE_PIPELINE in execkernel/policy.py (every
    result reruns; commit the rerun results); then record the new fingerprint here
    under the version."""
    assert FIGURE_PIPELINE in FINGERPRINT, f"record the fingerprint of version {FIGURE_PIPELINE}: {fingerprint()}"
    assert fingerprint() == FINGERPRINT[FIGURE_PIPELINE], (
        f"execkernel's figure code changed (fingerprint {fingerprint()}, {FINGERPRINT[FIGURE_PIPELINE]} when "
        f"FIGURE_PIPELINE became {FIGURE_PIPELINE}): raise FIGURE_PIPELINE if figures may come out differently, "
        f"then record the new fingerprint in this test")
