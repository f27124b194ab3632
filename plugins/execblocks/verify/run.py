"""`invoke verify` as one function: select -> rerun -> observe -> compare -> report -> record.

It never writes `results/` or `output/`, except the record of each verification, which
the store keeps beside the results it checked (`verifications.json`). Diff images go to
`cache/verify/<article>/<how>/` (never committed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from execblocks.config import EngineSettings, checked_executor
from execblocks.errors import ExecBlocksError, VerifyFailed
from execblocks.source.parse import Article
from execblocks.pipeline import executable_articles, select
from execblocks.execute.plan import FRESH, execution_key, hash_dependencies, plan_article
from execblocks.store.results_folder import ResultsStore, StoredEntry
from execblocks.store.records import Verification
from execblocks.verify import drift, summary
from execblocks.verify.compare import Comparison, compare
from execblocks.verify.observe import inline_items, notebook_items
from execblocks.verify.rerun import VENVS, Rerun, from_bundle, in_scratch
from execblocks.verify.tolerance import Tolerances, check_setting, header_tolerances, tolerances_for

__all__ = ["verify", "Outcome", "status_lines"]


@dataclass
class Outcome:
    article: Article
    comparison: Comparison
    verification: Verification
    report_dir: Path  # diff images of the figures that moved


def inline_labels(article: Article) -> list[str]:
    labels = []
    for number, inline in enumerate(article.inline, 1):
        expr = inline.expr if len(inline.expr) <= 60 else inline.expr[:59] + "…"
        labels.append(f"inline {number} (line {inline.line}) `{expr}`")
    return labels


def stored_items(article: Article, entry: StoredEntry):
    values = [v.value for v in entry.record.inline]
    return inline_items(values, inline_labels(article)) + notebook_items(entry.notebook(), entry.directory)


def rerun_items(article: Article, rerun: Rerun):
    return inline_items(rerun.inline_values, inline_labels(article)) + notebook_items(rerun.notebook)


def inputs_digest(article: Article, entry: StoredEntry, settings: EngineSettings) -> str:
    """What decides a run, as now: the execution key and the files the stored run read."""
    files = hash_dependencies([settings.root / rel for rel in entry.record.dependencies], settings)
    payload = {"key": execution_key(article, settings), "files": files}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _chosen(settings: EngineSettings, names, changed: bool) -> list[Article]:
    articles = executable_articles(settings)
    chosen = select(articles, names) if names else articles
    if not changed:
        return chosen
    store = ResultsStore(settings.results_dir)
    picked = []
    for article in chosen:
        entry = store.read(article.article_id)
        if entry is None or entry.record is None:
            continue  # nothing stored: `invoke check` is what fails on that
        records = store.verifications(article.article_id)
        if not records or records[-1].inputs != inputs_digest(article, entry, settings):
            picked.append(article)
    return picked


def _fresh_entry(article: Article, store: ResultsStore, settings: EngineSettings) -> StoredEntry:
    plan = plan_article(article, store, settings)
    if plan.state != FRESH:
        raise ExecBlocksError(f"verify: {article.rel_path} is {plan.state} ({'; '.join(plan.reasons)}): its stored "
                              f"results are not what its code makes now; `invoke run {article.slug}` first")
    return plan.entry


def _save_diffs(comparison: Comparison, rerun_images: dict, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for d in comparison.drifts:
        if d.kind == "figure" and d.diff_image is not None:
            folder.mkdir(parents=True, exist_ok=True)
            stem = d.item.label.replace(" ", "-")
            (folder / f"{stem}.diff.png").write_bytes(d.diff_image)
            (folder / f"{stem}.stored.png").write_bytes(d.item.image)
            (folder / f"{stem}.rerun.png").write_bytes(rerun_images[d.item.key])


def verify(settings: EngineSettings, setting: dict | None, names=(), *, bundle: bool = False,
           venv: str = "fresh", executor: str | None = None, device: str | None = None, changed: bool = False,
           overrides: dict | None = None, record: bool = True, say=print) -> list[Outcome]:
    """Rerun each named article (all, or with `changed` those whose inputs changed since
    their last verification), compare, print the drift table, record. Raises VerifyFailed
    when anything is beyond tolerance, after every article was verified and recorded."""
    check_setting(setting)
    if venv not in VENVS:
        raise ExecBlocksError(f"verify: --venv must be one of {', '.join(VENVS)}, got {venv!r}")
    if executor is not None:
        checked_executor(executor)
    outcomes = []
    articles = _chosen(settings, names, changed)
    if not articles:
        say("verify: nothing to verify" + (" (no inputs changed since the last verification)" if changed else ""))
    store = ResultsStore(settings.results_dir)
    for article in articles:
        entry = _fresh_entry(article, store, settings)
        tolerances: Tolerances = tolerances_for(setting, article.article_id, overrides,
                                                header_tolerances(article.header, article.rel_path))
        if bundle:
            rerun = from_bundle(article, entry, settings, venv, device, say=say)
        else:
            rerun = in_scratch(article, entry, settings, executor, device)
        fresh = rerun_items(article, rerun)
        comparison = compare(stored_items(article, entry), fresh, tolerances)
        folder = settings.root / "cache" / "verify" / article.article_id / rerun.how.split(",")[0].split()[0]
        _save_diffs(comparison, {i.key: i.image for i in fresh if i.kind == "figure"}, folder)
        counts = {kind: list(comparison.count(kind)) for kind in drift.NAMES}
        verification = Verification(
            at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(), how=rerun.how,
            machine=rerun.machine, results=store.record_digest(article.article_id),
            inputs=inputs_digest(article, entry, settings),
            tolerance={"rel": tolerances.article.rel, "abs": tolerances.article.abs,
                       "figure": tolerances.article.figure, "pixel": tolerances.article.pixel},
            counts={k: v for k, v in counts.items() if v[2]}, passed=comparison.passed,
            drifted=[d.item.label for d in comparison.drifts if d.beyond][:50])
        say(drift.table(comparison))
        say(drift.summary(article.rel_path, rerun.how, rerun.machine.device, comparison, tolerances))
        if any(d.diff_image is not None for d in comparison.drifts):
            say(f"verify: diff images of the figures that moved: {folder}")
        if record:
            store.add_verification(article.article_id, verification)
        outcomes.append(Outcome(article, comparison, verification, folder))
    if any(not o.comparison.passed for o in outcomes):
        raise VerifyFailed([o.article.rel_path for o in outcomes if not o.comparison.passed])
    return outcomes


def status_lines(settings: EngineSettings, plans) -> list[str]:
    """`invoke status`: each article's last verification."""
    store = ResultsStore(settings.results_dir)
    lines = []
    for plan in plans:
        if plan.entry is None or plan.entry.record is None:
            continue
        article_id = plan.article.article_id
        verifications = store.verifications(article_id)
        # The record's digest tells "of earlier results" apart; without a verification there
        # is nothing to tell apart (2,000 articles: 2,000 record.json files read again for nothing).
        line = summary.status_line(verifications, store.record_digest(article_id) if verifications else "")
        lines.append(f"{plan.article.rel_path}: verified: {line}")
    return lines
