"""Pelican's Markdown reader, plus the execblocks extension for articles that have
executable blocks. It reads stored results; it never runs, parses or plans anything:
this run's BuildSession (site/session.py) already holds each article parsed and planned.

Besides Pelican's `Key: value` headers it reads a YAML front matter (source/header.py),
Quarto's `.qmd` files, and Jupyter notebooks as the Markdown they amount to (source/notebook_article.py)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from markdown import Markdown
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from execblocks.config import EngineSettings
from execblocks.references.crossref import ReferencesExtension
from execblocks.errors import ArticleMetadataError, ExecBlocksError
from execblocks.source.header import COMPUTED_DATES, Header, blank_front_matter, pelican_metadata, read_header
from execblocks.render.highlight import Highlighter, cache_file_for
from execblocks.render.libraries import BrowserLibraries
from execblocks.site.page_cache import (STORE_KEY as PAGES, PageCache, ReadPage, WarningsSaid, library_version,
                                        page_key, run_key, say_again)
from execblocks.site.results_generator import static_path
from execblocks.execute.plan import FRESH
from execblocks.render.blocks import ExecBlocksExtension, RenderedArticle, provenance_text, run_table
from execblocks.site.session import session_of
from execblocks.store.results_folder import ResultsStore
from execblocks.verify.summary import footer_line, of_results

logger = logging.getLogger(__name__)


QUARTO_NAMED = (".qmd", ".ipynb")


def file_date(path: Path, dated: bool = False) -> dt.datetime:
    """When the file was last changed: its last commit's date when git tracks it (a fresh
    clone's mtimes are all the clone's time), else its modification time. `dated`: the
    header has its own date, so only the mtime is wanted (no git process)."""
    if not dated:
        import subprocess

        try:
            done = subprocess.run(["git", "log", "-1", "--format=%cI", "--", path.name], cwd=path.parent,
                                  capture_output=True, text=True, timeout=10)
            if done.returncode == 0 and done.stdout.strip():
                return dt.datetime.fromisoformat(done.stdout.strip())
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)


class ExecMarkdownReader(MarkdownReader):
    """Markdown articles (`.md`, and Quarto's `.qmd`)."""

    file_extensions = [*MarkdownReader.file_extensions, "qmd"]
    _md: Markdown | None = None  # the instance Pelican's _parse_metadata uses (MarkdownReader sets it in read)

    def read(self, source_path):
        with pelican_open(source_path) as text:
            return self.read_text(source_path, text)

    def read_text(self, source_path, text: str):
        try:
            return self._read_text(source_path, text)
        except ExecBlocksError as error:
            # Pelican logs a reader's exception as "Could not process <file>" alone: say what
            # is wrong and where (an unknown cross-reference, file:line) before it does.
            logger.error("%s", error)
            raise

    def _read_text(self, source_path, text: str):
        from execblocks.site.article_results import ArticleResults

        session = session_of(self.settings)
        plan = session.plan_for(source_path) if session else None
        parsed = session.article_for(source_path) if session else None
        lines = text.split("\n")
        # The header as the update read it (one reader); a file it did not parse (outside
        # the content folder, or a read outside a build) is read here, the same way.
        header = parsed.header if parsed is not None else read_header(lines, str(source_path))
        front = header.front
        rendered = entry = None
        if plan is not None:  # executable blocks: render them from the stored results
            article, entry = plan.article, plan.entry
            if plan.state != FRESH:  # only in mode "off": strict and auto stop or run first
                logger.warning("execblocks: %s is %s (%s); rendering without its results",
                               article.rel_path, plan.state, "; ".join(plan.reasons))
                entry = None
            rendered = RenderedArticle(article, entry, highlighter=Highlighter(
                cache_file_for(self.settings, session.settings.root, article.article_id)),
                libraries=BrowserLibraries.for_project(session.settings.root))
        # Cross-references and citations work in every article, executable or not.
        references = self._references(text, header, source_path, session)
        self._source_path = source_path
        cache, key = self._page_cache(session, source_path, text, plan, entry, references)
        page = cache.get(str(source_path), key) if cache is not None else None
        if page is None:
            page, keepable = self._convert(lines, front, rendered, references)
            if cache is not None and keepable:
                cache.offer(str(source_path), key, page)
        else:
            say_again(page)
            if rendered is not None:
                rendered.figures = list(page.figures)
        content = page.content
        if front is not None:
            meta = pelican_metadata(front, file_date(Path(source_path), dated="date" in front.data))
            if Path(source_path).suffix in QUARTO_NAMED and "slug" not in front.data:
                # Quarto and Jupyter Book publish `lr-sweep.qmd` as lr-sweep.html, and its
                # results and downloads already carry that name: the page does too.
                meta["slug"] = [Path(source_path).stem]
        else:
            meta = {name: list(values) for name, values in (page.meta or {}).items()}
        # Pelican renders `Summary:` and other formatted fields through self._md: give it
        # one without the block extension, which belongs to the whole article only (made
        # only when there is such a field: a Markdown instance costs milliseconds).
        if any(name.lower() in self.settings["FORMATTED_FIELDS"] for name in meta):
            self._md = Markdown(**self.settings["MARKDOWN"])
        elif self._md is None or "meta" not in self._md.preprocessors:
            self._md = Markdown(extensions=["markdown.extensions.meta"])  # what _parse_metadata needs
        try:
            metadata = self._parse_metadata(meta)
        except ValueError as error:  # Pelican's date parser: its message names neither file nor field
            raise self._metadata_error(header, source_path, session, error) from None
        if rendered is not None and entry is not None and entry.record is not None:
            article = rendered.article
            session.rendered[article.article_id] = rendered
            provenance = entry.provenance.shown if entry.provenance else None  # what pages show
            metadata["execblocks"] = ArticleResults(
                notebook_path=static_path(article.article_id, f"{article.slug}.ipynb"),
                script_path=static_path(article.article_id, f"{article.slug}.py"),
                bundle_path=static_path(article.article_id, f"{article.slug}.zip"),
                provenance=provenance,
                environment=entry.record.environment,
                summary=provenance_text(entry.record.environment, provenance.duration_s if provenance else None,
                                        provenance.executed_at if provenance else None),
                run=run_table(article, entry),
                reproduced=reproduced(session.settings, article.article_id),
            )
        return content, metadata

    def _convert(self, lines: list[str], front, rendered: RenderedArticle | None, references) -> tuple[ReadPage, bool]:
        """The article through Markdown with the engine's extensions: the page (with the
        warnings its read logged), and whether a later build may reuse it (not when the read
        logged worse than a warning, or when the page uses a browser library, which depends
        on what is installed)."""
        extensions = list(self.settings["MARKDOWN"].get("extensions", []))
        if rendered is not None:
            extensions.append(ExecBlocksExtension(rendered))
        extensions.append(references)
        self._md = Markdown(**dict(self.settings["MARKDOWN"], extensions=extensions))
        # A YAML header is read here, not by the meta extension (which knows only flat
        # `Key: value` lines): Markdown sees blank lines in its place, so lines keep their numbers.
        with WarningsSaid() as warnings:
            content = self._md.convert("\n".join(blank_front_matter(lines, front)))
        meta = None if front is not None else getattr(self._md, "Meta", {})
        page = ReadPage(content, meta, tuple(rendered.figures) if rendered is not None else (), tuple(warnings.said))
        return page, warnings.replayable and not (rendered is not None and (rendered.scripts or rendered.widget_modules))

    def _page_cache(self, session, source_path, text: str, plan, entry, references) -> tuple[PageCache | None, str]:
        """This run's page cache (site/page_cache.py) and the page's key in it; (None, "")
        when there is none, or when this page's inputs cannot all be keyed."""
        cache = self.settings.get(PAGES)
        if not isinstance(cache, PageCache) or session is None:
            return None, ""
        bibliography = references.state.bibliography
        cited = None
        if bibliography is not None:
            if bibliography.bib_key is None:  # no CACHE_PATH: its files unstamped
                return None, ""
            cited = f"{bibliography.bib_key};{library_version('citeproc')}"
        if session.page_run_key is None:
            plugins = list(dict.fromkeys(path.resolve() for path in [Path(__file__).parents[2],
                                                                     *map(Path, self.settings.get("PLUGIN_PATHS") or [])]))
            session.page_run_key = run_key(self.settings, Path(self.settings.get("THEME", "")), plugins)
        return cache, page_key(session.page_run_key, str(source_path), text, plan.state if plan else None,
                               entry.directory if entry is not None else None, cited)

    def _metadata_error(self, header: Header, source_path, session, error: ValueError) -> ArticleMetadataError:
        """Pelican could not process the header (a date it cannot read): say where."""
        from pelican.utils import get_date

        settings = session.settings if session else EngineSettings.from_pelican(self.settings)
        try:
            rel_path = Path(source_path).resolve().relative_to(settings.root).as_posix()
        except ValueError:
            rel_path = str(source_path)
        for key in ("date", "modified"):
            value = header.fields.get(key)
            if isinstance(value, str) and value not in COMPUTED_DATES:
                try:
                    get_date(value)
                except ValueError:
                    return ArticleMetadataError(rel_path, header.line_of(key),
                                                f"{key.capitalize()} {value!r} is not a date Pelican can read",
                                                "Write it as `2026-11-25` (or `2026-11-25 14:30`).")
        return ArticleMetadataError(rel_path, 0, f"Pelican cannot read the header: {error}")

    def _references(self, text: str, header: Header, source_path, session) -> ReferencesExtension:
        settings = session.settings if session else EngineSettings.from_pelican(self.settings)
        path = Path(source_path).resolve()
        try:
            rel_path = path.relative_to(settings.root).as_posix()
        except ValueError:
            rel_path = str(source_path)
        bibliography = None
        if "bibliography" in header.fields or self.settings.get("EXECBLOCKS_BIBLIOGRAPHY"):
            from execblocks.references.citations import bibliography_for  # citeproc: only for articles that cite

            bibliography = bibliography_for(header, path, rel_path, self.settings, settings.root,
                                            settings.cache_dir)
        return ReferencesExtension(rel_path, text, bibliography)


class NotebookReader(ExecMarkdownReader):
    """Jupyter notebooks: read as the Markdown article they amount to (see source/notebook_article.py)."""

    file_extensions = ["ipynb"]

    def read(self, source_path):
        session = session_of(self.settings)
        parsed = session.article_for(source_path) if session else None
        if parsed is not None:  # converted once per build, by the update
            text = parsed.text
        else:
            from execblocks.source.notebook_article import read_notebook

            text = read_notebook(Path(source_path), str(source_path)).text
        # A notebook with no block never reaches the preflight: say here what works in a
        # notebook, instead of Pelican's "could not find information about 'title'".
        from execblocks.errors import ArticleMetadataError
        from execblocks.source.preflight import NOTEBOOK_TITLE_HINT

        header = parsed.header if parsed is not None else read_header(text.split("\n"), str(source_path))
        if header.title is None:
            error = ArticleMetadataError(str(source_path), 0, "missing Title", NOTEBOOK_TITLE_HINT)
            logger.error("%s", error)  # Pelican's own log of a failed reader shows no reason
            raise error
        return self.read_text(source_path, text)


def reproduced(settings: EngineSettings, article_id: str) -> str:
    """The footer's sentence from the verifications of the results shown (`invoke verify`)."""
    store = ResultsStore(settings.results_dir)
    verifications = store.verifications(article_id)
    return footer_line(of_results(verifications, store.record_digest(article_id))) if verifications else ""
