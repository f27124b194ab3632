"""The reading transforms as a Python-Markdown extension, so each document's HTML leaves
its reader finished: sections start at h2, footnotes are sidenotes, scrolling boxes are
keyboard regions, numbers in tables do not wrap, and TeX is KaTeX's HTML + MathML.

`_on_initialized` (__init__.py) adds one `ReadingExtension` per Pelican run to the run's
MARKDOWN settings, so Pelican's Markdown reader and execblocks' reader (which builds its
Markdown from the same settings) both apply it, to the body and to formatted metadata
such as `Summary:`. Its postprocessor runs last (priority 10): after the raw-HTML stash is
restored (30, where execblocks' code and output boxes come back), the footnote
postprocessor (25), cross-references (25) and `&` restoration (20).

A formula KaTeX rejects cannot stop the build from here: Pelican turns a reader's
exception into a logged "Could not process" and goes on. So it is kept in `MathRun`
until a content object whose source holds it exists (`content_object_init` names its
file, `locate`), and the build stops when every document is read (`raise_first`), before
anything is written: the same outcome as a formula error always had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markdown import Extension
from markdown.postprocessors import Postprocessor

from . import divs, fences, links
from .mathcache import FormulaCache
from .mathrender import Formula, MathError, bad_formula, first_line, formulas, render_batch, replace_math
from .regions import mark_scroll_regions, number_regions
from .sidenotes import to_sidenotes
from .tables import mark_numeric_cells
from .toc import raise_headings

PRIORITY = 10  # below raw_html (30), footnote (25), crossref_resolve (25), amp_substitute (20)


@dataclass
class MathRun:
    """One Pelican run's math: the formula cache, and the errors found so far."""

    katex_js: Path
    cache: FormulaCache
    unplaced: list[tuple[Formula, str]] = field(default_factory=list)  # the document being read: (formula, KaTeX's reason)
    errors: list[MathError] = field(default_factory=list)  # located, in reading order
    node_failed: bool = False  # node missing or KaTeX crashed: said once, not per document
    documents: list = field(default_factory=list)  # the run's content objects (their formulas stay cached)

    def render(self, markup: str) -> str:
        found = formulas(markup)
        if not found:
            return markup
        rendered: dict[Formula, str | Exception] = {}
        missing = []
        for formula in dict.fromkeys(found):
            known = self.cache.get(formula.tex, formula.display)
            if known is None:
                missing.append(formula)
            else:
                rendered[formula] = known
        if missing and not self.node_failed:
            try:
                fresh = render_batch(missing, self.katex_js)
            except MathError as error:
                self.node_failed = True
                self.errors.append(error)
                fresh = {}
            for formula, result in fresh.items():
                if isinstance(result, Exception):
                    self.unplaced.append((formula, str(result)))
                else:
                    self.cache.put(formula.tex, formula.display, result)
            rendered.update(fresh)
        return replace_math(markup, rendered)

    def locate(self, source_path: str) -> None:
        """A document read from `source_path` became a page: the rejected formulas its source
        holds become errors there. Others stay: a document whose reader failed after its
        Markdown ran never becomes a page, and its formulas must not be blamed on the next."""
        try:
            text = Path(source_path).read_text(encoding="utf-8")
        except OSError:
            return
        here = [(f, reason) for f, reason in self.unplaced if first_line(f.tex) in text]
        self.errors.extend(bad_formula(source_path, formula.tex, reason) for formula, reason in here)
        self.unplaced = [item for item in self.unplaced if item not in here]

    def raise_first(self) -> None:
        """Every document is read: stop the build at the first rejected formula."""
        self.errors.extend(bad_formula(None, formula.tex, reason) for formula, reason in self.unplaced)
        self.unplaced.clear()
        if self.errors:
            raise self.errors[0]


def finish(markup: str, math: MathRun) -> str:
    """A document's HTML as pages show it (the order matters: headings are raised before
    anything looks at them; math after the regions, so KaTeX's own markup is never rewritten;
    then every region, display math's included, has a name of its own)."""
    markup = mark_numeric_cells(mark_scroll_regions(to_sidenotes(raise_headings(markup))))
    return number_regions(math.render(markup))


class ReadingPostprocessor(Postprocessor):
    def __init__(self, md, math: MathRun):
        super().__init__(md)
        self.math = math

    def run(self, text: str) -> str:
        return finish(text, self.math)


class ReadingExtension(Extension):
    def __init__(self, math: MathRun):
        super().__init__()
        self.math = math

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.postprocessors.register(ReadingPostprocessor(md, self.math), "reading", PRIORITY)
        divs.register(md)  # Pandoc's fenced divs: callouts, layouts, figure divs, margin notes
        fences.register(md)  # ```python title="x"```, MyST's ```{margin}``` / ```{note}```: fences, not prose
        links.register(md)  # `surus.png`, `other.ipynb#x` beside the article: Pelican's {attach}/{filename}
