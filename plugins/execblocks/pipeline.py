"""The engine in one function per task: parse -> plan -> lock -> run -> store -> prune.

`update` is what each Pelican run calls before it reads any article (site/pelican_signals.py);
its build mode picks one strategy from `MODES`. `status` and `check` are the same pipeline
stopped after planning. Rendering (render/) only ever reads what `update` stored and planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from execkernel.policy import FIGURE_PIPELINE

from execblocks.config import EngineSettings
from execblocks.errors import BuildInterrupted, ExecBlocksError, StaleResultsError, StoreWriteError, WorkerLostError
from execblocks.source.parse import ARTICLE_SUFFIXES, Article, discover
from execblocks.source.preflight import check_inline_values, check_metadata
from execblocks.execute.plan import FRESH, ArticlePlan, block_fingerprint, current_environment, declared_dependencies, \
    execution_key, hash_dependencies, plan_articles
from execblocks.store.records import Environment, Failure, InlineValue, Provenance, Record
from execblocks.store.results_folder import ResultsStore, StoredEntry

if TYPE_CHECKING:  # execute/kernel_run.py pulls in nbclient and zmq: only loaded when something runs
    from execblocks.execute.kernel_run import ExecutionResult
    from execblocks.execute.progress import Progress


@dataclass
class BuildReport:
    plans: list[ArticlePlan]  # one per executable article
    executed: list["ExecutionResult"] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)  # every article, executable or not, parsed once

    @property
    def failures(self) -> list["ExecutionResult"]:
        return [r for r in self.executed if r.error is not None]


def parse(settings: EngineSettings) -> list[Article]:
    """Every article under the content folder, parsed once (header, blocks, options)."""
    return discover(settings.content_dir, settings.root, dict(settings.block_defaults))


def executable(articles: list[Article]) -> list[Article]:
    """The articles with blocks or inline values; what Pelican would reject, and an inline value
    that is not an expression, fail now, before any block runs."""
    found = [a for a in articles if a.executable]
    for article in found:
        check_metadata(article)
        check_inline_values(article)
    return found


def executable_articles(settings: EngineSettings) -> list[Article]:
    return executable(parse(settings))


def select(articles: list[Article], names) -> list[Article]:
    """Articles named by path (content/x.md), id (x), or slug: its `Slug:`, or the slug
    Pelican derives from its title."""
    chosen = []
    for name in names:
        wanted = _without_suffix(name.rstrip("/"))
        match = [a for a in articles
                 if wanted in (_without_suffix(a.rel_path), a.article_id, a.slug, title_slug(a))
                 or _without_suffix(str(a.path)) == wanted]
        if not match:
            known = ", ".join(a.slug for a in articles) or "none"
            raise ExecBlocksError(f"execblocks: no executable article matches {name!r} (known: {known})")
        chosen += [a for a in match if a not in chosen]
    return chosen


def _without_suffix(name: str) -> str:
    suffix = Path(name).suffix
    return name.removesuffix(suffix) if suffix in ARTICLE_SUFFIXES else name


def title_slug(article: Article) -> str | None:
    """The slug Pelican gives an article without `Slug:` (its default SLUG_REGEX_SUBSTITUTIONS)."""
    if article.title is None:
        return None
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import slugify

    return slugify(article.title, regex_subs=DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"])


def status(settings: EngineSettings, verify_files: bool = False) -> list[ArticlePlan]:
    store = ResultsStore(settings.results_dir, verify_files)
    return plan_articles(executable_articles(settings), store, settings)


def check(settings: EngineSettings) -> list[ArticlePlan]:
    """Raise StaleResultsError when anything is not fresh or a stored file fails its
    checksum (CI, publishing)."""
    plans = status(settings, verify_files=True)
    _raise_if_stale(plans)
    return plans


def _raise_if_stale(plans: list[ArticlePlan]) -> None:
    problems = [(p.article.rel_path, "; ".join(p.reasons) or p.state) for p in plans if p.state != FRESH]
    if problems:
        raise StaleResultsError(problems)


def update(settings: EngineSettings, progress: "Progress | None" = None) -> BuildReport:
    """Parse and plan every executable article once, run what settings.mode says must run,
    store it, and return the plans the render stage uses. Raises the first execution error,
    after every article that could run has been stored."""
    from execblocks.execute.progress import Progress

    progress = progress or Progress()
    every = parse(settings)
    articles = executable(every)
    for article in articles:
        for note in article.notes:  # options accepted for Quarto's sake that change nothing here
            progress.say(f"execblocks: note: {note}")
    store = ResultsStore(settings.results_dir, verify_files=settings.mode == "strict")  # publishing checks every file
    report = MODES[settings.mode](articles, store, settings, progress)
    report.articles = every
    return report


def _plan_only(articles, store, settings, progress) -> BuildReport:
    """Mode `off`: render what is stored, run nothing."""
    return BuildReport(plan_articles(articles, store, settings))


def _fresh_or_fail(articles, store, settings, progress) -> BuildReport:
    """Mode `strict` (publishing): stale results stop the build."""
    plans = plan_articles(articles, store, settings)
    _raise_if_stale(plans)
    return BuildReport(plans)


def _run_stale(articles, store, settings, progress) -> BuildReport:
    """Mode `auto`: run what is stale, and what `settings.only` names."""
    return _bring_up_to_date(articles, {a.article_id for a in select(articles, settings.only)},
                             store, settings, progress)


def _run_all(articles, store, settings, progress) -> BuildReport:
    """Mode `force`: run every executable article."""
    return _bring_up_to_date(articles, {a.article_id for a in articles}, store, settings, progress)


MODES = {"off": _plan_only, "strict": _fresh_or_fail, "auto": _run_stale, "force": _run_all}


def _bring_up_to_date(articles: list[Article], forced: set[str], store: ResultsStore, settings: EngineSettings,
                      progress: "Progress") -> BuildReport:
    """plan -> lock -> plan again -> run -> store -> prune."""
    live = {a.article_id for a in articles}
    plans = plan_articles(articles, store, settings, force=forced)
    if _nothing_to_write(plans, store, live):
        # The usual build: only reads, and entries are committed atomically (record.json
        # last, checksummed), so no lock is needed and nothing is planned twice.
        progress.say(f"execblocks: nothing to execute ({len(plans)} article(s) fresh)")
        return BuildReport(plans)
    with store.lock(settings.lock_timeout, say=progress.say):
        # Again under the lock: a build that held it may have just stored these results.
        plans = plan_articles(articles, store, settings, force=forced)
        stale = _prepare(plans, store, settings, progress)
        snapshots = _snapshots(settings)
        executed, interrupted = _execute(stale, settings, progress, snapshots)
        report = BuildReport(_store_all(executed, plans, store, settings), executed)
        for result in executed:
            for note in snapshots.keep(result) if snapshots else []:
                progress.say(f"execblocks: {result.article.rel_path}: {note}; an edit after it reruns from the top")
        report.pruned = store.prune(live)
        for article_id in report.pruned:
            progress.say(f"execblocks: pruned results of {article_id} (no such article any more)")
    if interrupted is not None:
        raise interrupted
    if report.failures:
        raise report.failures[0].error
    return report


def _prepare(plans: list[ArticlePlan], store: ResultsStore, settings: EngineSettings, progress: "Progress") \
        -> list[ArticlePlan]:
    """The plans that must run, each said with its reasons; failure records whose code went
    back to what the good results were made from are cleared."""
    stale = [p for p in plans if p.needs_run]
    for plan in stale:
        declared_dependencies(plan.article, settings.root)  # a missing or outside file stops the build before it runs
    for plan in plans:
        if not plan.needs_run and plan.entry and plan.entry.failure:
            store.clear_failure(plan.article.article_id)
    for plan in stale:
        progress.say(f"execblocks: {plan.article.rel_path} ({plan.state}): {'; '.join(plan.reasons)}")
    if not stale:
        progress.say(f"execblocks: nothing to execute ({len(plans)} article(s) fresh)")
    return stale


def _snapshots(settings: EngineSettings):
    """Kernel state kept after each block, for local kernels (a Dask worker's stays there)."""
    if settings.snapshot_dir is None or settings.executor != "local":
        return None
    from execblocks.execute.resume import Snapshots

    return Snapshots(settings)


def _execute(stale: list[ArticlePlan], settings: EngineSettings, progress: "Progress", snapshots=None) \
        -> tuple[list["ExecutionResult"], BuildInterrupted | None]:
    """Run the stale articles; on Ctrl-C or SIGTERM keep what ended before it."""
    executed = []
    saved = [p for p in stale if p.article.saved_outputs]
    if saved:  # notebooks that ship their outputs (opt-in): stored as they are, nothing runs
        from execblocks.execute.saved_outputs import saved_outputs_result

        executed = [saved_outputs_result(p.article) for p in saved]
    to_run = [p for p in stale if not p.article.saved_outputs]
    if not to_run:
        return executed, None
    from execblocks.execute.project_writes import run_watched
    from execblocks.execute.jobs import job_for
    from execblocks.execute.schedule import executor_for

    try:
        return executed + run_watched(settings, lambda: executor_for(settings, snapshots).run(
            [job_for(p) for p in to_run], settings, progress), progress.say), None
    except BuildInterrupted as error:
        return executed + error.finished, error


def _store_all(executed: list["ExecutionResult"], plans: list[ArticlePlan], store: ResultsStore,
               settings: EngineSettings) -> list[ArticlePlan]:
    """Store each run; the plans the render stage sees (what was just stored is fresh)."""
    stored = {}
    for result in executed:
        try:
            entry = store_result(store, result, settings)
        except OSError as error:  # a full disk: one plain line, the old entry stays whole
            raise StoreWriteError(result.article.rel_path, error) from None
        if entry is not None:
            stored[result.article.article_id] = ArticlePlan(result.article, FRESH, entry=entry)
    return [stored.get(p.article.article_id, p) for p in plans]


def _nothing_to_write(plans: list[ArticlePlan], store: ResultsStore, live: set[str]) -> bool:
    """Nothing to run, no failure record to clear, no entry to prune."""
    return (not any(p.needs_run or (p.entry and p.entry.failure) for p in plans)
            and set(store.entry_ids()) <= live)


def store_result(store: ResultsStore, result: "ExecutionResult", settings: EngineSettings) -> StoredEntry | None:
    """Write a run's results (or its failure, returning None); the entry as now stored."""
    article = result.article
    key = execution_key(article, settings)
    dependencies = hash_dependencies(result.reads + declared_dependencies(article, settings.root), settings)
    if isinstance(result.error, WorkerLostError):
        return None  # the machine failed, not the article: no failure on its record either
    if result.error is not None:
        error = result.error
        store.write_failure(article.article_id, Failure(
            key=key, path=error.path, line=error.line, block=error.block,
            error=f"{error.ename}: {error.evalue}", dependencies=dependencies, at=result.executed_at))
        return None
    record = Record(
        article=article.rel_path,
        key=key,
        kernel=settings.kernel_name,
        blocks=tuple(block_fingerprint(b) for b in article.blocks),
        inline=tuple(InlineValue(i.expr, v, bool(result.inline_markdown[n:n + 1] and result.inline_markdown[n]))
                     for n, (i, v) in enumerate(zip(article.inline, result.inline_values))),
        dependencies=dependencies,
        environment=Environment(result.device or "cpu", result.versions, current_environment(), result.packages),
        figure_pipeline=FIGURE_PIPELINE,
    )
    provenance = Provenance(result.executed_at, result.duration_s, tuple(result.block_seconds), result.host,
                            resumed=tuple(range(1, result.resume.start + 1)),
                            skipped=tuple(range(result.resume.skip_from + 1, len(article.blocks) + 1))
                            if result.resume.skip_from is not None else ())
    return store.write(article.article_id, record, result.notebook, provenance,
                       max_image_pixels=settings.max_figure_pixels)
