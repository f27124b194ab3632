"""Stored results -> HTML. The Markdown extension swaps each executable block for its
code and stored outputs, and each inline `{python} expr` for its stored value.

This module never executes anything: it reads the results store (and nbformat JSON),
so a site builds from committed results on a machine without torch.
"""

from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

from markdown import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.util import AtomicString

from execblocks.render.highlight import Highlighter
from execblocks.render.interactive import chart_html, chart_title, find_chart
from execblocks.render.libraries import BUILT_IN_MODULES, INSTALL, BrowserLibraries
from execblocks.render.widgets import WidgetState, repr_name, state_html, view_html, view_of
from execblocks.render.progress_bars import tqdm_text
from execblocks.render.mime import (IMAGE_MIMES, has_vega, markdown_to_html, pick_mime, render_data,  # noqa: F401
                      sanitize_html, with_table_caption)
from execblocks.source.parse import CODE_SPAN, EXECUTABLE_INFO, FENCE_OPEN, Article, Block, inline_expression
from execblocks.store.records import Environment
from execblocks.store.results_folder import StoredEntry
from execblocks.render.ansi import ansi_to_html, plain_text, show_controls

logger = logging.getLogger(__name__)
# A warning as Python prints it: "file:12: UserWarning: text" (plus the source line, indented),
# or as the engine names cells: "content/a.md, line 12: UserWarning: text".
WARNING_TEXT = re.compile(r"^[^\n]*(?::\d+|, line \d+): [A-Za-z_][\w.]*Warning: [^\n]*\n(?:  [^\n]*\n)?",
                          re.MULTILINE)


@dataclass
class RenderedArticle:
    """What the page template and the copy step need from one article's results."""

    article: Article
    entry: StoredEntry | None
    figures: list[str] = field(default_factory=list)  # file names used on the page
    warnings: list[str] = field(default_factory=list)
    tables: list[int] = field(default_factory=list)  # indexes of blocks with a numbered table
    undescribed: list[int] = field(default_factory=list)  # fence lines of figures with no fig-alt/fig-cap
    highlighter: Highlighter = field(default_factory=Highlighter)  # the code's HTML, cached per article
    # Interactive outputs: where their browser libraries are installed, which ones the page
    # uses (site/browser_libraries.py copies those), the widget libraries its widgets need,
    # and the stored widget models its views need (in the page's one state script).
    libraries: BrowserLibraries = field(default_factory=BrowserLibraries)
    scripts: set[str] = field(default_factory=set)  # "plotly", "vega", "widgets"
    widget_modules: set[str] = field(default_factory=set)
    widget_ids: list[str] = field(default_factory=list)
    widget_state: WidgetState = field(default_factory=WidgetState)
    warned: set = field(default_factory=set)  # causes already warned about (once per article)

    @property
    def base_url(self) -> str:
        """Where the page links its result files: Pelican's `{static}` syntax, which it
        resolves for each page (site/results_generator.py registers the files as static content)."""
        return f"{{static}}/results/{self.article.article_id}/"


class ExecBlocksExtension(Extension):
    """Register with `ExecBlocksExtension(rendered=RenderedArticle(...))` per article."""

    def __init__(self, rendered: RenderedArticle, **kwargs):
        self.rendered = rendered
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # After normalize_whitespace (30), before fenced code (25) and metadata (27), so
        # the lines still match the file's and fenced_code never sees our blocks.
        md.preprocessors.register(BlockPreprocessor(md, self.rendered), "execblocks", 29)
        # Before backtick code spans (190), which would otherwise eat `{python} x`. It takes
        # every code span and declines those that are not inline values (parse.inline_expression):
        # the backtick pattern then makes them code, as they would be without us.
        md.inlinePatterns.register(InlineValueProcessor(CODE_SPAN.pattern, md, self.rendered),
                                   "execblocks_inline", 195)


class BlockPreprocessor(Preprocessor):
    def __init__(self, md, rendered: RenderedArticle):
        super().__init__(md)
        self.rendered = rendered

    def run(self, lines: list[str]) -> list[str]:
        # The parser already found each block's lines (the article is parsed once per
        # build); Markdown's lines at this point are the file's, so they index directly.
        blocks = self.rendered.article.blocks
        for block in blocks:
            opening = block.markdown_lines[0]
            if not _opens_block(lines[opening - 1] if opening <= len(lines) else ""):
                raise RuntimeError(f"execblocks: {self.rendered.article.rel_path}:{block.fence_line}: "
                                   f"Markdown's line {opening} is not the block the parser found")
        notebook = _notebook(self.rendered.entry)
        cells = _cells_by_block(notebook)
        self.rendered.widget_state = WidgetState.of(notebook)
        figure_counter = [0]
        out, position = [], 0
        for block in blocks:
            out += lines[position:block.markdown_lines[0] - 1]
            markup = render_block(block, cells.get(block.index), self.rendered, figure_counter)
            out += ["", self.md.htmlStash.store(markup), ""]
            position = block.markdown_lines[1]
        _warn_undescribed(self.rendered)
        self.rendered.highlighter.save()
        out += lines[position:]
        if self.rendered.widget_ids:  # once per page, after the views (nbconvert puts it last too)
            out += ["", self.md.htmlStash.store(state_html(self.rendered.widget_state, self.rendered.widget_ids)), ""]
        return out


def _opens_block(line: str) -> bool:
    match = FENCE_OPEN.match(line)
    return bool(match and EXECUTABLE_INFO.match(match["info"]))


class InlineValueProcessor(InlineProcessor):
    def __init__(self, pattern, md, rendered: RenderedArticle):
        super().__init__(pattern, md)
        record = rendered.entry.record if rendered.entry else None
        self.values = {item.expr: item.value for item in record.inline} if record else {}
        self.markdown = {item.expr for item in record.inline if item.markdown} if record else set()

    def handleMatch(self, m, data):
        expr = inline_expression(m)
        if expr is None:  # another code span: Python-Markdown's backtick pattern's to render
            return None, None, None
        element = etree.Element("span")
        element.set("class", "inline-value")
        if expr in self.markdown:
            # Asked for (`Markdown(...)`): rendered as inline Markdown, then sanitised like HTML output.
            markup = markdown_to_html(plain_text(self.values[expr])).strip()
            markup = re.sub(r"^<p>(.*)</p>$", r"\1", markup, flags=re.S)
            element.text = AtomicString(self.md.htmlStash.store(markup))
        elif expr in self.values:
            # Text, never markup: AtomicString keeps other inline patterns (emphasis, raw
            # HTML) off it, ElementTree escapes it, control characters are made visible.
            element.text = AtomicString(plain_text(self.values[expr]))
        else:
            element.set("class", "inline-value not-executed")
            element.text = AtomicString(f"{{python}} {expr}")
        return element, m.start(0), m.end(0)


def _notebook(entry: StoredEntry | None):
    return entry.notebook() if entry is not None and entry.record is not None else None


def _cells_by_block(notebook) -> dict:
    if notebook is None:
        return {}
    return {c.metadata["execblocks"]["block"]: c for c in notebook.cells
            if "block" in c.metadata.get("execblocks", {})}


def render_block(block: Block, cell, rendered: RenderedArticle, figure_counter: list[int]) -> str:
    options = block.options
    if not options.include:
        return ""  # Quarto's `include: false`: the block ran; nothing of it is shown
    # The label names the figure (Quarto's `fig-` labels); the cell gets its own id.
    cell_id = html.escape(_cell_id(block), quote=True)
    parts = [f'<div class="cell" id="{cell_id}">', _code(block, rendered.highlighter)]
    if cell is None and options.eval:
        parts.append('<div class="cell-output cell-output-missing"><p>Not executed yet: '
                     'run <code>invoke build</code> to see this block\'s output.</p></div>')
    elif cell is not None and options.output is not False:
        figures = [o for o in cell.outputs if _is_figure(o)]
        # fig-subcap, or layout-ncol over several figures: the block's figures form one
        # grid, placed where the first one was.
        grouped = bool(options.fig_subcap) or (options.layout_ncol is not None and len(figures) > 1)
        in_block = 0  # figures so far in this block: the 2nd gets id "fig-label-2"
        shown = []
        for output in cell.outputs:
            if grouped and _is_figure(output):
                if output is figures[0]:
                    shown.append(_figure_grid(figures, block, rendered, figure_counter))
                continue
            shown.append(_render_output(output, block, rendered, figure_counter, in_block))
            in_block += _is_figure(output)
        shown = [p for p in shown if p]
        if options.output_fold and shown:  # Jupyter Book's hide-output: folded, one click away
            shown = ['<details class="output-fold"><summary>Output</summary>', *shown, "</details>"]
        parts += shown
        if shown:  # a block that shows nothing gets no provenance line either
            parts.append(_provenance(block, rendered, cell))
    parts.append("</div>")
    # Last line of defence for the page and the feed: no control character in any markup.
    return show_controls("\n".join(p for p in parts if p))


def _code(block: Block, highlighter: Highlighter) -> str:
    """The block's source as Quarto shows it: hidden (`echo: false`), plain, with its fence
    and `#|` lines (`echo: fenced`), folded (`code-fold: true`) or folded open (`show`)."""
    options = block.options
    if options.echo is False:
        return ""
    numbered = bool(options.code_line_numbers)
    if options.echo == "fenced":
        source = "\n".join(block.fenced_source.split("\n")[1:] + [block.code])
        code = highlighter.html(source, numbered)
        fence = block.fenced_source.split("\n")[0]
        closing = "`" * (len(fence) - len(fence.lstrip("`"))) or "```"
        # The fence lines are Markdown, not Python: added around the highlighted body.
        code = code.replace("<pre><span></span>", f'<pre><span></span><span class="cell-fence">'
                            f'{html.escape(fence)}</span>\n', 1)
        code = code.replace("</pre>", f'<span class="cell-fence">{closing}</span></pre>', 1)
    else:
        code = highlighter.html(block.code, numbered)
    if options.code_fold is False:
        return f'<div class="cell-code">{code}</div>'
    opened = " open" if options.code_fold == "show" else ""
    return (f'<details class="cell-fold"{opened}><summary>{html.escape(options.code_summary)}</summary>'
            f'<div class="cell-code">{code}</div></details>')


def _is_figure(output) -> bool:
    return output.get("output_type") in ("display_data", "execute_result") and any(
        m in output.get("data", {}) for m in ("image/png", "image/svg+xml"))


def _render_output(output, block: Block, rendered: RenderedArticle, counter: list[int], in_block: int) -> str:
    kind = output.get("output_type")
    if kind == "stream" and output.get("name") == "stderr":
        return _stderr(output["text"], block.options)
    if kind == "stream":
        if block.options.output == "asis":
            body = with_table_caption(markdown_to_html(output["text"]), block.options,
                                      lambda: _table_number(block, rendered))
            return f'<div class="cell-output cell-output-asis">{body}</div>'
        return f'<div class="cell-output cell-output-stdout"><pre>{ansi_to_html(output["text"])}</pre></div>'
    if kind == "error":
        text = ansi_to_html("\n".join(output.get("traceback", [])))
        return (f'<div class="cell-output cell-output-error" role="note"><pre>'
                f'{text}</pre></div>')
    data = output.get("data", {})
    chart = find_chart(data)
    if chart is not None and block.options.interactive:
        if rendered.libraries.available(chart.library):
            rendered.scripts.add(chart.library)
            return _chart_figure(chart, block, counter, in_block)
        name = "Plotly" if chart.library == "plotly" else "Vega-Lite"
        return _static_alternative(output, {chart.source_mime}, block, rendered, counter, in_block,
                                   f"an interactive {name} chart", ("library", chart.library),
                                   f"its library is not installed here: {INSTALL[chart.library]}")
    bar = tqdm_text(data, rendered.widget_state.models)
    if bar is not None:  # tqdm's notebook bar in its last state, as its text bar (a message, like tqdm's on stderr)
        return _stderr(bar + "\n", block.options) if bar else ""
    model_id = view_of(data)
    if model_id is not None:
        return _widget(output, model_id, block, rendered, counter, in_block)
    mime = pick_mime({m: v for m, v in data.items() if chart is None or m != chart.source_mime},
                     block.options.interactive)
    if mime in IMAGE_MIMES:
        return _figure(output, mime, block, rendered, counter, in_block)
    shown = render_data(mime, data, block.options, lambda: _table_number(block, rendered))
    if chart is not None:  # `interactive: false`: the bundle's best static representation
        if _shows_nothing(shown):  # Plotly's own HTML: a script loading it from a CDN, empty once sanitised
            name = "Plotly" if chart.library == "plotly" else "Vega-Lite"
            return _static_alternative(output, {chart.source_mime}, block, rendered, counter, in_block,
                                       f"an interactive {name} chart", ("static", chart.library),
                                       "the block asks for its static form (interactive: false) and the "
                                       "output holds none", opted_out=True)
        _warn(rendered, f"{rendered.article.rel_path}:{block.fence_line}: an interactive chart is shown as "
                        f"{mime or 'nothing'} (interactive: false)")
    return shown


def _shows_nothing(markup: str) -> bool:
    """Markup with no text and no image, table or drawing in it."""
    return not re.sub(r"<[^>]*>", "", markup).strip() and not re.search(r"<(img|table|svg)\b", markup)


def _warn(rendered: RenderedArticle, warning: str) -> None:
    rendered.warnings.append(warning)
    logger.warning(warning)


def _widget(output, model_id: str, block: Block, rendered: RenderedArticle, counter: list[int], in_block: int) -> str:
    """A Jupyter widget drawn from the run's stored state (render/widgets.py), or, where it
    cannot be, its best static alternative and one warning per article and cause."""
    state = rendered.widget_state
    ids = state.needed(model_id)
    kind = state.kind(model_id) if ids else (repr_name(output.get("data", {})) or "Jupyter")
    what = f"a {kind} widget"
    if ids is None:
        return _static_alternative(output, set(), block, rendered, counter, in_block, what, ("state",),
                                   "the run stored no state for it (the notebook's `widgets` metadata)")
    if not rendered.libraries.available("widgets"):
        return _static_alternative(output, set(), block, rendered, counter, in_block, what, ("library", "widgets"),
                                   INSTALL["widgets"])
    modules = [m for m in state.modules(ids) if m not in BUILT_IN_MODULES]
    missing = [m for m in modules if rendered.libraries.widget_module(m) is None]
    if missing:
        return _static_alternative(output, set(), block, rendered, counter, in_block, what, ("module", missing[0]),
                                   f"no bundle of its widget library `{missing[0]}` is installed here (its Python "
                                   f"package installs one in share/jupyter/nbextensions/{missing[0]}/)")
    rendered.scripts.add("widgets")
    rendered.widget_modules.update(modules)
    rendered.widget_ids.extend(i for i in ids if i not in rendered.widget_ids)
    options = block.options
    caption_text = options.figure_caption(in_block)
    label = options.figure_alt(in_block) or caption_text or f"A {kind} widget"
    figure_id, caption = _numbered(options, caption_text, counter, in_block)
    return (f'<figure class="{_figure_classes(options)} cell-output-widget"{figure_id}>'
            f'{view_html(model_id, label, kind, state.version)}{caption}</figure>')


# What a page without the interactive output shows in its place: what the bundle also holds,
# never the interactive library's own HTML shell (a script that loads it from a CDN, empty
# once sanitised) or a Python repr ("Map(center=...)", "Figure({...})").
STATIC_MIMES = ("image/svg+xml", "image/png", "text/html", "text/markdown", "text/latex")


def _static_alternative(output, exclude: set[str], block: Block, rendered: RenderedArticle, counter: list[int],
                        in_block: int, what: str, cause: tuple, why: str, opted_out: bool = False) -> str:
    data = {m: v for m, v in output.get("data", {}).items() if m not in exclude and m in STATIC_MIMES}
    mime = pick_mime(data)
    shown = ""
    if mime in IMAGE_MIMES:
        shown, kind = _figure(output, mime, block, rendered, counter, in_block), "its image"
    elif mime is not None:
        shown, kind = render_data(mime, data, block.options, lambda: _table_number(block, rendered)), f"its {mime}"
        if _shows_nothing(shown):
            shown = ""  # e.g. a chart's own HTML: a script that its page would load from a CDN
    if not shown:
        kind = "a note"
        why_not = ("; this block asks for a static form of it (interactive: false), and the output holds none"
                   if opted_out else ", which this site cannot draw")
        shown = (f'<div class="cell-output cell-output-unavailable" role="note"><p>Here the notebook shows '
                 f'{html.escape(what)}{why_not}.</p></div>')
    if cause not in rendered.warned:
        rendered.warned.add(cause)
        _warn(rendered, f"{rendered.article.rel_path}:{block.fence_line}: {what} is shown as {kind}: {why}")
    return shown


def _chart_figure(chart, block: Block, counter: list[int], in_block: int) -> str:
    """An interactive chart as a figure: numbered and captioned like an image figure when
    it is labelled or captioned (`@fig-x` finds it), its label for screen readers from
    fig-alt, the caption, or the chart's own title."""
    options = block.options
    caption_text = options.figure_caption(in_block)
    label = options.figure_alt(in_block) or caption_text or chart_title(chart)
    figure_id, caption = _numbered(options, caption_text, counter, in_block)
    return (f'<figure class="{_figure_classes(options)} cell-output-chart cell-output-{chart.library}"{figure_id}>'
            f'{chart_html(chart, label)}{caption}</figure>')


def _table_number(block: Block, rendered: RenderedArticle) -> int | None:
    """The block's `tbl-cap` table's number: its first table only."""
    if block.index in rendered.tables:
        return None
    rendered.tables.append(block.index)
    return len(rendered.tables)


def _stderr(text: str, options) -> str:
    """stderr split into warnings (`warning: false` hides them) and other messages (logging,
    progress bars: `message: false` hides them), in the order they were written."""
    pieces, position = [], 0
    for match in WARNING_TEXT.finditer(text):
        pieces += [("message", text[position:match.start()]), ("warning", match[0])]
        position = match.end()
    pieces.append(("message", text[position:]))
    shown = []
    for kind, piece in pieces:
        if not piece.strip() or not getattr(options, kind):
            continue
        css = " cell-output-warning" if kind == "warning" else ""
        shown.append(f'<div class="cell-output cell-output-stderr{css}"><pre>{ansi_to_html(piece)}</pre></div>')
    return "\n".join(shown)


def _numbered(options, caption_text: str | None, counter: list[int], in_block: int) -> tuple[str, str]:
    """A figure's id attribute (from its label; sub-figures `-2`, `-3`...) and its figcaption:
    "Figure N." and the caption, only when it is labelled or captioned (counter[0] counts)."""
    figure_id = ""
    if options.label:
        suffix = f"-{in_block + 1}" if in_block else ""
        figure_id = f' id="{_figure_anchor(options.label)}{suffix}"'
    if not (caption_text or options.label):
        return figure_id, ""
    counter[0] += 1
    caption = f'<span class="figure-number">Figure {counter[0]}.</span>'
    if caption_text:
        caption += f" {html.escape(caption_text)}"
    return figure_id, f"<figcaption>{caption}</figcaption>"


def _figure(output, mime, block, rendered, counter, in_block, columns: int = 1) -> str:
    """One figure: the image (a lightbox link), and, when it is labelled or captioned,
    its number and caption (as Quarto: an uncaptioned plot is not "Figure N."); `columns`:
    how many share the row (a `layout-ncol` grid)."""
    options = block.options
    caption_text = options.figure_caption(in_block)
    alt = _alt_text(output, block, rendered, caption_text, in_block)
    figure_id, caption = _numbered(options, caption_text, counter, in_block)
    return (f'<figure class="{_figure_classes(options)}"{figure_id}>'
            f'{_picture(output, mime, rendered, alt, options.column, columns)}{caption}</figure>')


def _figure_grid(figures: list, block: Block, rendered: RenderedArticle, counter: list[int]) -> str:
    """A block's figures in `layout-ncol` columns. With fig-subcap (or one fig-cap for
    them all) they are one numbered figure of sub-figures (a), (b)...; with a list of
    captions (or none), each is its own numbered figure, side by side (Quarto's rules)."""
    options = block.options
    columns = options.layout_ncol or len(figures)
    style = f' style="--layout-ncol: {int(columns)}"'
    one_figure = bool(options.fig_subcap) or isinstance(options.fig_cap, str)
    if not one_figure:
        items = [_figure(o, _image_mime(o), block, rendered, counter, i, columns) for i, o in enumerate(figures)]
        return f'<div class="figure-grid"{style}>{"".join(items)}</div>'
    counter[0] += 1
    label = _figure_anchor(options.label) if options.label else None
    subfigures = []
    for number, output in enumerate(figures):
        subcap = options.fig_subcap[number] if options.fig_subcap and number < len(options.fig_subcap) else ""
        letter = f"({chr(ord('a') + number)})" if number < 26 else f"({number + 1})"
        alt = _alt_text(output, block, rendered,
                        subcap or (options.fig_cap if isinstance(options.fig_cap, str) else None), number)
        sub_id = f' id="{label}-{number + 1}"' if label else ""
        subcaption = f'<span class="subfigure-letter">{letter}</span>'
        if subcap:
            subcaption += f" {html.escape(subcap)}"
        subfigures.append(f'<figure class="cell-subfigure"{sub_id}>'
                          f'{_picture(output, _image_mime(output), rendered, alt, "grid", int(columns))}'
                          f'<figcaption>{subcaption}</figcaption></figure>')
    caption = f'<span class="figure-number">Figure {counter[0]}.</span>'
    if isinstance(options.fig_cap, str):
        caption += f" {html.escape(options.fig_cap)}"
    elif options.fig_cap:
        caption += f" {html.escape(options.fig_cap[0])}"
    figure_id = f' id="{label}"' if label else ""
    return (f'<figure class="{_figure_classes(options)}"{figure_id}>'
            f'<div class="figure-grid"{style}>{"".join(subfigures)}</div>'
            f'<figcaption>{caption}</figcaption></figure>')


def _figure_anchor(label: str) -> str:
    return "fig-" + html.escape(label.removeprefix("fig-"), quote=True)


def _figure_classes(options) -> str:
    classes = ["cell-figure"]
    if options.column != "body":
        classes.append(f"column-{options.column}")
    if options.fig_align != "default":
        classes.append(f"figure-align-{options.fig_align}")
    return " ".join(classes)


def _image_mime(output) -> str:
    return next(m for m in IMAGE_MIMES if m in output.get("data", {}))


def _alt_text(output, block: Block, rendered: RenderedArticle, caption: str | None, number: int) -> str:
    """fig-alt, else the caption, else what the kernel read off the plot (its titles, axis
    labels, kind of chart). A figure without fig-alt or fig-cap is noted for one warning
    per article (_warn_undescribed), not one per figure."""
    given = block.options.figure_alt(number)
    described = output.get("data", {}).get("text/plain", "")
    if not (given or caption):
        rendered.undescribed.append(block.fence_line)
    return given or caption or (described if described and described != "Figure" else "Figure")


def _warn_undescribed(rendered: RenderedArticle) -> None:
    if not rendered.undescribed:
        return
    lines = sorted(set(rendered.undescribed))
    shown = ", ".join(str(n) for n in lines[:8]) + (", ..." if len(lines) > 8 else "")
    warning = (f"{rendered.article.rel_path}:{lines[0]}: {len(rendered.undescribed)} figure(s) have "
               f"neither fig-alt nor fig-cap (blocks at lines {shown}); their alt text is read off "
               f"the plot (titles, axis labels): add `#| fig-alt: ...` to describe them")
    rendered.warnings.append(warning)
    logger.warning(warning)


# The widest the page shows a figure, in CSS px: the text column (37em of 19 px) or the
# page column; a phone shows it across the screen less its gutters. Never too small: a
# browser picks the smallest rendition at least `sizes` x its pixel ratio.
# Figures side by side (`layout-ncol`) share the column, less the grid's gaps (1.25rem);
# on a phone (the same 600 px breakpoint as the theme's grid) they stack, one per row.
COLUMN_PX = {"body": 704, "page": 1100, "grid": 704}
GRID_GAP_PX = 24
PHONE_SIZES = "(max-width: 600px) calc(100vw - 2rem)"


def _picture(output, mime: str, rendered: RenderedArticle, alt: str, column: str, columns: int = 1) -> str:
    """The image as `<picture>`: light renditions in `srcset`, dark ones in a
    `<source media="screen and (prefers-color-scheme: dark)">`, inside a link to the full-size
    image that theme/static/js/lightbox.js turns into a keyboard-accessible lightbox.
    `columns`: how many figures share the row, each getting its share of the column."""
    meta = output.get("metadata", {})
    stored = meta.get("execblocks", {})
    size = meta.get(mime, {})
    base = rendered.base_url
    renditions = stored.get("renditions") or {"light": [{"file": stored["files"][mime]}]}
    for role in renditions.values():
        rendered.figures.extend(item["file"] for item in role)
    width = int(size["width"]) if "width" in size else None
    dims = "".join(f' {k}="{int(size[k])}"' for k in ("width", "height") if k in size)
    slot = (COLUMN_PX[column] - GRID_GAP_PX * (columns - 1)) // max(columns, 1) if column in COLUMN_PX else None
    shown = min(width, slot) if width and slot else width

    def candidates(items) -> str:
        """srcset="a.png 2112w, b.png 1056w" (or one SVG), with sizes when widths are known."""
        srcset = ", ".join(f"{base}{html.escape(i['file'], quote=True)}" + (f" {int(i['width'])}w" if "width" in i else "")
                           for i in items)
        sizes = f' sizes="{PHONE_SIZES}, {shown}px"' if shown and "width" in items[0] else ""
        return f'srcset="{srcset}"{sizes}'

    light, dark = renditions["light"], renditions.get("dark")
    # "screen and": a printed page is light (as the theme), so it prints the light rendition.
    source = f'<source media="screen and (prefers-color-scheme: dark)" {candidates(dark)}>' if dark else ""
    img_srcset = f" {candidates(light)}" if len(light) > 1 else ""
    # One URL attribute per tag (href, src): Pelican resolves only one link per tag.
    full = f"{base}{html.escape(light[0]['file'], quote=True)}"
    link = (f'<a class="figure-zoom" href="{full}">'
            f'<picture>{source}<img src="{full}"{img_srcset} alt="{html.escape(alt, quote=True)}"{dims} '
            f'loading="lazy" decoding="async"></picture></a>')
    if not dark:
        return link
    # A link to the dark full size, `hidden`: the stylesheet lays it over the image where the
    # page is dark and has no JavaScript (which otherwise opens the rendition shown), so
    # that reader is not sent to the light file.
    label = html.escape(alt or "Enlarge the figure", quote=True)
    dark_full = f"{base}{html.escape(dark[0]['file'], quote=True)}"
    return (f'<div class="figure-media">{link}'
            f'<a class="figure-zoom-dark" href="{dark_full}" aria-label="{label}" hidden></a></div>')


def _provenance(block: Block, rendered: RenderedArticle, cell) -> str:
    """One short line under a block that showed something: how long it took, where. The
    versions and the per-block table are in the article's footer (#run-details). Times
    are the shown run's (Provenance.shown), so a rerun with the same outputs changes nothing."""
    entry = rendered.entry
    if entry is None or entry.record is None or entry.provenance is None or not cell.outputs:
        return ""
    seconds = entry.provenance.shown.block_seconds
    if block.index >= len(seconds):
        return ""
    return (f'<p class="cell-provenance"><a href="#run-details">{html.escape(_duration(seconds[block.index]))}'
            f' · {html.escape(entry.record.environment.device)}</a></p>')


@dataclass(frozen=True)
class BlockTime:
    """One row of the footer's table: a block, where it is, how long it ran."""

    number: int
    anchor: str | None  # the cell's id on the page; None for a block not shown (`include: false`)
    line: int  # its fence line in the article's file
    duration: str


@dataclass(frozen=True)
class RunTable:
    """The footer's account of the run that produced the page's results."""

    device: str
    versions: list[tuple[str, str]]  # (name, version), Python first
    executed_on: str  # YYYY-MM-DD
    total: str
    blocks: list[BlockTime]


def run_table(article: Article, entry: StoredEntry) -> RunTable:
    environment = entry.record.environment
    versions = environment.versions
    ordered = [("Python", versions["python"])] if "python" in versions else []
    ordered += [(name, version) for name, version in sorted(versions.items()) if name != "python"]
    shown = entry.provenance.shown if entry.provenance else None
    seconds = shown.block_seconds if shown else ()
    blocks = [BlockTime(block.index + 1, _cell_id(block) if block.options.include else None, block.fence_line,
                        _duration(seconds[block.index]))
              for block in article.blocks if block.index < len(seconds)]
    return RunTable(environment.device, ordered, shown.executed_at[:10] if shown else "",
                    _duration(shown.duration_s) if shown else "", blocks)


def _cell_id(block: Block) -> str:
    return f"cell-{block.options.label}" if block.options.label else f"cell-{block.index + 1}"


def provenance_text(environment: Environment, seconds: float | None, executed_at: str | None) -> str:
    """"1.5 s · cpu · Python 3.11.7 · torch 2.13.0 · 2026-11-25": how long, where, with what."""
    parts = [_duration(seconds)] if seconds is not None else []
    parts.append(environment.device)
    versions = environment.versions
    if "python" in versions:
        parts.append(f"Python {versions['python']}")
    parts += [f"{name} {version}" for name, version in sorted(versions.items()) if name != "python"]
    if executed_at:
        parts.append(executed_at[:10])
    return " · ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"
