"""The figure pipeline's version is in every result's key: results whose figures an older
pipeline made are stale, and `invoke status` says why; and the version cannot be left
behind when the kernel's figure code changes."""

import ast
import hashlib
import json
import re
from pathlib import Path

import nbformat

from execblocks.config import EngineSettings
from execblocks.execute import plan
from execblocks.execute.plan import FRESH, STALE, block_fingerprint, execution_key, plan_article
from execblocks.source.parse import parse_text
from execblocks.store.records import Environment, Provenance, Record
from execblocks.store.results_folder import ResultsStore
from execkernel.policy import FIGURE_PIPELINE

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
# The figure code the version stands for: all of renditions.py, and of hooks.py the
# functions and constants that save, render and recolour figures (its audit hook, inline
# values and reports are not figure code: changing them must not ask for a new version);
# and the fingerprint of that code (docstrings and comments left out) when FIGURE_PIPELINE
# was last set.
FIGURE_CODE = {"execkernel/renditions.py": None, "execkernel/hooks.py": re.compile(r"figure|render|recolo|dark|svg|png|DARK_", re.I)}
FINGERPRINT = {2: "85750407c7edde52"}

TEXT = "Title: T\nDate: 2026-01-01\n\n```{python}\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n```\n"


def setup(root: Path):
    settings = EngineSettings.from_pelican({"PATH": str(root / "content"), "EXECBLOCKS_ROOT": str(root),
                                            "OUTPUT_PATH": str(root / "output")})
    article = parse_text(TEXT, root / "content/a.md", root, root / "content")
    return settings, article, ResultsStore(root / "results")


def store(results: ResultsStore, article, key: str, pipeline: int) -> None:
    record = Record(article=article.rel_path, key=key, kernel="python3",
                    blocks=tuple(block_fingerprint(b) for b in article.blocks), inline=(), dependencies={},
                    environment=Environment("cpu", {}, {}), figure_pipeline=pipeline)
    results.write(article.article_id, record, nbformat.v4.new_notebook(),
                  Provenance("2026-12-07T09:00:00+00:00", 1.0, (1.0,)))


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
    for rel, wanted in FIGURE_CODE.items():
        tree = ast.parse((PLUGINS / rel).read_text())
        if wanted is not None:  # only the top-level definitions whose names say they are figure code
            tree.body = [node for node in tree.body if wanted.search(_defined_name(node))]
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        digest.update(ast.unparse(tree).encode())  # unparse: the same text on any Python 3.9+
    return digest.hexdigest()[:16]


def _defined_name(node: ast.stmt) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign):
        return " ".join(target.id for target in node.targets if isinstance(target, ast.Name))
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return ""


def test_the_fingerprint_covers_the_figure_functions_of_hooks():
    tree = ast.parse((PLUGINS / "execkernel/hooks.py").read_text())
    names = {_defined_name(node) for node in tree.body}
    covered = {name for name in names if FIGURE_CODE["execkernel/hooks.py"].search(name)}
    assert {"_save_open_figures", "_publish_figures", "_render_png", "_recolour_for_dark"} <= covered
    assert "_audit" not in covered and "collect" not in covered


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
