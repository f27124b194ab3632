"""Rich outputs -> HTML: what a block displayed, shown the way JupyterLab would show it.

A display output carries one bundle of representations (`{"text/html": ..., "text/plain":
...}`); `pick_mime` chooses the one JupyterLab's renderers would (their ranks, below), and
`render_data` turns it into markup. Images are not rendered here: they become figures in
render/blocks.py. Everything a block produced is escaped or sanitised before it reaches the page:

- text/html (a pandas DataFrame's `_repr_html_`): sanitised with nh3 (render/sanitize.py);
  scripts, style sheets, event handlers and anything that would load from another host go. A DataFrame keeps its `dataframe` class, which the theme styles.
- text/markdown (`display(Markdown(...))`, `_repr_markdown_`): Python-Markdown, then nh3.
  TeX in it stays in arithmatex's generic markup, which the theme's math renderer handles.
- text/latex (`display(Latex(...))`): display math, left as `\\[...\\]` in a
  `div.arithmatex`, as pymdownx.arithmatex marks `$$...$$` in prose.
- application/json: pretty-printed and escaped.
- Vega-Lite / Vega specs (Altair charts): rendered in the browser from the JSON spec by the
  copy of Vega the site ships (from npm, copied at build time; no CDN); with
  `#| interactive: false` the bundle's next representation (a PNG, or the text) is shown,
  or a note where that shows nothing (Plotly's HTML that loads Plotly from a CDN).
  Raw HTML never runs scripts.

`tbl-cap` turns the block's first table (from HTML or Markdown, `output: asis` text
included) into a numbered one:
a `<caption>` "Table n. ..." inside the `<table>`, whose id is the block's `tbl-` label.
"""

from __future__ import annotations

import html
import json
import re

import markdown

from execblocks.render.ansi import ansi_to_html, plain_text
from execblocks.render.sanitize import sanitize_html

# JupyterLab's renderer ranks (lower wins): html 50, vega 57, markdown 60, latex 70,
# json 75, svg 80, images 90, text 120 (the store keeps PNG and SVG images as files). Vega specs only count where the block opted in.
MIME_RANK = (
    "text/html",
    "application/vnd.vegalite.v6+json", "application/vnd.vegalite.v5+json",
    "application/vnd.vegalite.v4+json", "application/vnd.vegalite.v3+json",
    "application/vnd.vega.v6+json", "application/vnd.vega.v5+json",
    "text/markdown",
    "text/latex",
    "application/json",
    "image/svg+xml",
    "image/png",
    "text/plain",
)
IMAGE_MIMES = ("image/svg+xml", "image/png")
VEGA_MIME = re.compile(r"^application/vnd\.(?P<kind>vega|vegalite)\.v\d+\+json$")
OWN_CAPTION = re.compile(r"<caption\b[^>]*>(.*?)</caption>", re.S)
EMPTY_HEADER_CELL = re.compile(r"<th(?P<attrs>(?:\s[^>]*)?)>\s*</th>")
TABLE_OPEN = re.compile(r"<table\b[^>]*>(?:\s*<caption\b[^>]*>.*?</caption>)?", re.S)
MATH_DELIMITERS = re.compile(r"^\s*(?:\$\$(?P<a>.*)\$\$|\\\[(?P<b>.*)\\\]|\$(?P<c>.*)\$)\s*$", re.S)



def pick_mime(data: dict, interactive: bool = False) -> str | None:
    """The representation JupyterLab would show; Vega specs only when `interactive`."""
    for mime in MIME_RANK:
        if mime in data and (interactive or not VEGA_MIME.match(mime)):
            return mime
    return None


def has_vega(data: dict) -> bool:
    return any(VEGA_MIME.match(mime) for mime in data)


def render_data(mime: str | None, data: dict, options, table_number=None) -> str:
    """One display output's chosen representation -> markup ("" when it shows nothing).

    `options` is the block's BlockOptions; `table_number()` is called when a `tbl-cap`
    block shows a table: it returns the table's number in the article, or None when the
    block's table is already numbered (only a block's first table is captioned).
    """
    if mime is None:
        return ""
    value = data[mime]
    if mime == "text/html":
        body = blank_corner_cells(sanitize_html(_text(value)))
    elif mime == "text/markdown":
        body = markdown_to_html(_text(value))
    elif mime == "text/latex":
        body = latex_to_html(_text(value))
    elif mime == "application/json":
        body = json_to_html(value)
    elif VEGA_MIME.match(mime):
        return vega_to_html(mime, value)
    elif mime == "text/plain":
        text = _text(value)
        if not text.strip():
            return ""
        body = f"<pre>{ansi_to_html(''.join(value) if isinstance(value, list) else str(value))}</pre>"
    else:
        return ""
    return f'<div class="cell-output cell-output-display">{with_table_caption(body, options, table_number)}</div>'


def blank_corner_cells(body: str) -> str:
    """An empty header cell (pandas' corner above an unnamed index) is a data cell: a `<th>`
    with no text is a header that names nothing to a screen reader (axe: empty-table-header)."""
    if "<thead" not in body:
        return body
    return EMPTY_HEADER_CELL.sub(lambda m: f"<td{m['attrs']}></td>", body)


def with_table_caption(body: str, options, table_number) -> str:
    """`body` with its first table numbered, when the block has `tbl-cap` (and captioned with
    it) or a `tbl-` label (a table the article refers to by name is numbered like one it
    captions: "Table 2.")."""
    caption = getattr(options, "tbl_cap", None)
    label = getattr(options, "label", None) or ""
    if (caption or label.startswith("tbl-")) and table_number and TABLE_OPEN.search(body):
        number = table_number()
        if number is not None:
            body = caption_table(body, caption or "", number, label or None)
    return body


def markdown_to_html(text: str) -> str:
    # A fresh converter per output: no state (footnotes, references) leaks between them.
    converter = markdown.Markdown(extensions=["markdown.extensions.extra", "pymdownx.arithmatex"],
                                  extension_configs={"pymdownx.arithmatex": {"generic": True}},
                                  output_format="html5")
    return sanitize_html(converter.convert(text))


def latex_to_html(text: str) -> str:
    """`$$x$$`, `\\[x\\]`, `$x$` or bare TeX -> display math the theme's renderer typesets."""
    match = MATH_DELIMITERS.match(text)
    tex = next((g for g in match.groups() if g is not None), text) if match else text
    return f'<div class="arithmatex">\\[{html.escape(tex.strip(), quote=False)}\\]</div>'


def json_to_html(value) -> str:
    if isinstance(value, str):  # some kernels send JSON as a string
        try:
            value = json.loads(value)
        except ValueError:
            return f'<pre class="json">{html.escape(value)}</pre>'
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return f'<pre class="json">{html.escape(text)}</pre>'


def vega_to_html(mime: str, spec) -> str:
    """A chart container plus its spec as inert JSON; theme/static/js/vega-charts.js draws it."""
    kind = VEGA_MIME.match(mime)["kind"]
    if isinstance(spec, str):
        spec = json.loads(spec)
    # `<`, `>` and `&` escaped as JSON unicode escapes: the text can never close the script.
    payload = (json.dumps(spec, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
               .replace("&", "\\u0026"))
    return (f'<div class="cell-output cell-output-display cell-output-vega">'
            f'<div class="vega-chart" data-vega-kind="{kind}"></div>'
            f'<script type="application/json" class="vega-spec">{payload}</script></div>')


def caption_table(body: str, caption: str, number: int, label: str | None) -> str:
    """The first <table> gets the id (a `tbl-` label) and a numbered <caption>, which
    replaces a caption the output brought along (`tbl-cap` is the author's word); without
    `tbl-cap`, the output's own caption (already sanitised) follows the number."""
    table_id = f' id="{html.escape(label, quote=True)}"' if label and label.startswith("tbl-") else ""

    def add(match: re.Match) -> str:
        tag = match.group(0)[:match.group(0).index(">")]
        own = OWN_CAPTION.search(match.group(0))
        text = f" {html.escape(caption)}" if caption else (f" {own[1].strip()}" if own and own[1].strip() else "")
        return f'{tag}{table_id}><caption><span class="table-number">Table {number}.</span>{text}</caption>'

    return TABLE_OPEN.sub(add, body, count=1)


def _text(value) -> str:
    """An output's text with terminal escapes removed and control characters made visible
    (render/ansi.py): neither may reach a page or the Atom feed, whatever the mime type."""
    return plain_text("".join(value) if isinstance(value, list) else str(value))
