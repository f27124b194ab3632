"""Pandoc's fenced divs, as Quarto documents use them, through Python-Markdown's block API.

    ::: {.callout-tip collapse="true"}       a callout: note, tip, warning, important, caution;
    ## Learn more                            its title is `title="..."` or its first heading
    ...                                      (never a heading of the article, never in the TOC)
    :::
    ::: {#fig-x layout-ncol=2}               a numbered figure; `![Cap](a.png){#fig-x-a}` images
    ![Surus](surus.png){#fig-surus}          inside are sub-figures (a), (b); the last paragraph
    Famous Elephants                         that is not an image is the caption
    :::
    ::: {layout="[[1,1],[1]]"}               a grid (`layout-ncol`, `layout-nrow`, `layout`)
    ::: {.column-margin}  / {.aside}         a note in the right margin (under the text on phones)
    ::: {#tbl-x}                             a numbered table: its caption, the last paragraph
    Table: caption {#tbl-x}                  Pandoc's caption paragraph after (or before) a table
    ::: {#some-id .any-class key=value}      a plain <div>, other attributes as data-*

A div's body is ordinary Markdown (nested divs included), parsed by the same parser.
Quarto numbers figures and tables in document order, whoever made them: `Numberer`
renumbers every "Figure N." / "Table N." span of the finished HTML (the engine's block
figures included) before cross-references are resolved from those spans.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

from markdown.blockprocessors import BlockProcessor
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor

# An opening fence: three or more colons, then `{attributes}` or one bare class word.
OPENER = re.compile(r"^ {0,3}(?P<colons>:{3,})\s*(?:\{(?P<attrs>[^{}]*)\}|(?P<word>[\w-]+))\s*:*\s*$")
CLOSER = re.compile(r"^ {0,3}:{3,}\s*$")
ATTRIBUTE = re.compile(r"""\s*(?:\#(?P<id>[\w:.-]+)|\.(?P<cls>[\w:.-]+)|(?P<key>[\w:.-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'}]+)))""")
CALLOUTS = ("note", "tip", "warning", "important", "caution")
HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
LAYOUT_KEYS = ("layout-ncol", "layout-nrow", "layout")


@dataclass
class DivAttributes:
    """Pandoc's attribute block: `{#id .class key=value}`."""

    id: str = ""
    classes: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


def parse_attributes(text: str) -> DivAttributes | None:
    """The attributes, or None when the text is not a Pandoc attribute block."""
    attrs, pos = DivAttributes(), 0
    text = text.strip()
    while pos < len(text):
        match = ATTRIBUTE.match(text, pos)
        if not match or match.end() == pos:
            return None
        if match["id"]:
            attrs.id = match["id"]
        elif match["cls"]:
            attrs.classes.append(match["cls"])
        else:
            attrs.values[match["key"]] = next(v for v in (match["dq"], match["sq"], match["bare"]) if v is not None)
        pos = match.end()
    return attrs


def opener_attributes(line: str) -> DivAttributes | None:
    match = OPENER.match(line)
    if not match:
        return None
    if match["word"]:
        return DivAttributes(classes=[match["word"]])
    return parse_attributes(match["attrs"])


def layout_rows(values: dict[str, str], count: int) -> list[list[float]]:
    """Column widths per row (negative: an empty spacer), as Quarto reads `layout*`."""
    if "layout" in values:
        try:
            rows = json.loads(values["layout"])
        except ValueError:
            rows = None
        if isinstance(rows, list) and rows and all(isinstance(x, (int, float)) for x in rows):
            rows = [rows]  # `layout="[15,-2,10]"`: one row
        if isinstance(rows, list) and all(isinstance(r, list) and r and
                                          all(isinstance(x, (int, float)) and x for x in r) for r in rows):
            return [[float(x) for x in row] for row in rows]
    ncol = _positive(values.get("layout-ncol"))
    nrow = _positive(values.get("layout-nrow"))
    if not ncol:
        ncol = -(-count // nrow) if nrow else max(count, 1)
    rows, left = [], count
    while left > 0:
        rows.append([1.0] * ncol)
        left -= ncol
    return rows or [[1.0]]


def _positive(value: str | None) -> int:
    try:
        number = int(value) if value is not None else 0
    except ValueError:
        return 0
    return number if number > 0 else 0


class TableCaptionProcessor(BlockProcessor):
    """`Table: caption {#tbl-x}` (or `: caption` right after a table) is a paragraph that
    Numberer turns into the table's caption, never a definition list's term (def_list, 25)."""

    def test(self, parent, block):
        if re.match(r"[Tt]able:\s+\S", block):
            return True
        last = parent[-1] if len(parent) else None
        return re.match(r":\s+\S", block) is not None and last is not None and last.tag == "table"

    def run(self, parent, blocks):
        paragraph = etree.SubElement(parent, "p")
        paragraph.text = blocks.pop(0).strip()


class FencedDivProcessor(BlockProcessor):
    """Reads one `:::` div (to its matching closer, divs nest) and parses its body."""

    def test(self, parent, block):
        return opener_attributes(block.split("\n", 1)[0]) is not None

    def run(self, parent, blocks):
        first_line, _, rest = blocks[0].partition("\n")
        attrs = opener_attributes(first_line)
        body, remainder, consumed = _split_at_closer([rest, *blocks[1:]])
        if body is None:
            return False  # never closed: not a div (Pandoc's rule); the line stays text
        del blocks[:consumed]
        if remainder:
            blocks.insert(0, remainder)
        build(self.parser, parent, attrs, body)
        return True


def _split_at_closer(blocks: list[str]) -> tuple[list[str] | None, str, int]:
    """The body blocks up to the closer that matches depth 0, the text after the closer in
    its block, and how many of the original blocks (the opener's included) were used."""
    depth, body = 1, []
    for index, block in enumerate(blocks):
        lines = block.split("\n") if block else []
        for n, line in enumerate(lines):
            if opener_attributes(line) is not None:
                depth += 1
            elif CLOSER.match(line):
                depth -= 1
                if depth == 0:
                    body.append("\n".join(lines[:n]))
                    return [b for b in body if b.strip()], "\n".join(lines[n + 1:]), index + 1
        body.append(block)
    return None, "", 0


def build(parser, parent, attrs: DivAttributes, body: list[str]) -> None:
    kind = next((c.removeprefix("callout-") for c in attrs.classes if c.removeprefix("callout-") in CALLOUTS
                 and c.startswith("callout-")), None)
    if kind:
        _callout(parser, parent, attrs, kind, body)
    elif attrs.id.startswith("fig-"):
        _float(parser, parent, attrs, body, "figure")
    elif attrs.id.startswith("tbl-"):
        _float(parser, parent, attrs, body, "table")
    elif {"column-margin", "aside"} & set(attrs.classes):
        aside = etree.SubElement(parent, "aside")
        _set_common(aside, attrs, ["column-margin"])
        parser.parseBlocks(aside, body)
    elif any(key in attrs.values for key in LAYOUT_KEYS):
        holder = etree.SubElement(parent, "div")
        _set_common(holder, attrs, [], skip=LAYOUT_KEYS)
        _layout(parser, holder, attrs.values, body)
    else:
        div = etree.SubElement(parent, "div")
        _set_common(div, attrs, [])
        parser.parseBlocks(div, body)


def _set_common(element, attrs: DivAttributes, extra_classes: list[str], skip=()) -> None:
    """id, classes, and other key=value pairs as data-* (as Pandoc writes them in HTML)."""
    if attrs.id:
        element.set("id", attrs.id)
    classes = [*extra_classes, *[c for c in attrs.classes if c not in extra_classes]]
    if classes:
        element.set("class", " ".join(classes))
    for key, value in attrs.values.items():
        if key not in skip and key not in ("title", "collapse", "appearance", "icon"):
            element.set(f"data-{key}", value)


def _callout(parser, parent, attrs: DivAttributes, kind: str, body: list[str]) -> None:
    title = attrs.values.get("title")
    if title is None and body:
        heading_line, _, rest = body[0].partition("\n")
        heading = HEADING.match(heading_line)
        if heading:  # `## Learn more` is the callout's title, not a section of the article
            title = heading["text"]
            body = [rest, *body[1:]] if rest.strip() else body[1:]
    collapse = attrs.values.get("collapse", "").lower()
    folded = collapse in ("true", "false")
    box = etree.SubElement(parent, "details" if folded else "div")
    _set_common(box, attrs, ["callout", f"callout-{kind}"])
    if collapse == "false":
        box.set("open", "")
    if not folded:
        box.set("role", "note")
    head = etree.SubElement(box, "summary" if folded else "div")
    head.set("class", "callout-title")
    # Inline Markdown in the title (`**x**`, code) is parsed like the body's text.
    head.text = title if title is not None else kind.capitalize()
    content = etree.SubElement(box, "div")
    content.set("class", "callout-body")
    parser.parseBlocks(content, body)


def _is_image_paragraph(block: str) -> bool:
    return bool(re.fullmatch(r"\s*!\[[^\]]*\]\([^)]*\)(\{[^}]*\})?\s*", block))


def _float(parser, parent, attrs: DivAttributes, body: list[str], kind: str) -> None:
    """`::: {#fig-x}` / `{#tbl-x}`: the body, then a caption "Figure N. ..." from its
    last paragraph (a figure) or from a paragraph that is neither image nor table."""
    caption = ""
    if body and not _is_image_paragraph(body[-1]) and not body[-1].lstrip().startswith(("|", "<", "```")) \
            and opener_attributes(body[-1].split("\n", 1)[0]) is None:
        caption, body = body[-1].strip(), body[:-1]
    element = etree.SubElement(parent, "figure" if kind == "figure" else "div")
    _set_common(element, attrs, ["quarto-float", f"quarto-{kind}"], skip=LAYOUT_KEYS)
    if kind == "table" and caption:
        _caption(element, "table", caption)
    holder = element
    if any(key in attrs.values for key in LAYOUT_KEYS) or kind == "figure":
        holder = etree.SubElement(element, "div")
        _layout(parser, holder, attrs.values, body)
    else:
        parser.parseBlocks(holder, body)
    if kind == "figure" and caption:
        _caption(element, "figure", caption)


def _caption(element, kind: str, text: str) -> None:
    cap = etree.SubElement(element, "figcaption" if kind == "figure" else "div")
    if kind == "table":
        cap.set("class", "table-caption")
    number = etree.SubElement(cap, "span")
    number.set("class", f"{kind}-number")
    number.text = f"{kind.capitalize()} 0."  # numbered in document order by Numberer
    number.tail = " " + text


def _layout(parser, holder, values: dict[str, str], body: list[str]) -> None:
    """The body's blocks as cells of a grid, row by row (Quarto's `layout*` attributes)."""
    rows = layout_rows(values, len(body))
    holder.set("class", " ".join(filter(None, [holder.get("class"), "quarto-layout"])))
    items = iter(body)
    for widths in rows:
        row = etree.SubElement(holder, "div")
        row.set("class", "figure-grid layout-row")
        # fr units keep Quarto's proportions; a negative width is an empty spacer column
        # (a custom property, so the theme's phone rule can still stack the cells)
        row.set("style", "--layout-columns: " + " ".join(f"minmax(0, {abs(w):g}fr)" for w in widths))
        for width in widths:
            cell = etree.SubElement(row, "div")
            cell.set("class", "layout-cell" if width > 0 else "layout-spacer")
            if width > 0:
                block = next(items, None)
                if block is not None:
                    parser.parseBlocks(cell, [block])
    rest = list(items)
    if rest:  # more blocks than cells: they follow, as Quarto lets them
        parser.parseBlocks(holder, rest)


class SubfigureProcessor(Treeprocessor):
    """An image alone in a paragraph becomes a figure with its alt text as caption
    (Pandoc's implicit figures); inside a `#fig-` div, an image with an id is a sub-figure
    (a), (b)... of it. Runs after attr_list (8), which puts `{#id width=...}` on the image."""

    def run(self, root):
        parents = {child: parent for parent in root.iter() for child in parent}
        letters: dict[int, int] = {}  # id() of a figure div -> sub-figures lettered so far
        for paragraph in [e for e in root.iter("p")]:
            if len(paragraph) != 1 or paragraph[0].tag != "img" or (paragraph.text or "").strip() \
                    or (paragraph[0].tail or "").strip():
                continue
            image, parent = paragraph[0], parents[paragraph]
            caption = image.get("alt", "")
            image_id = image.attrib.pop("id", "")
            owner = _figure_div(parents, parent) if image_id else None
            figure = etree.Element("figure")
            if image_id:
                figure.set("id", image_id)
            figure.set("class", "cell-subfigure" if owner is not None else "image-figure")
            image.tail = None
            figure.append(image)
            if caption or owner is not None:
                cap = etree.SubElement(figure, "figcaption")
                if owner is not None:
                    letters[id(owner)] = letters.get(id(owner), 0) + 1
                    letter = etree.SubElement(cap, "span")
                    letter.set("class", "subfigure-letter")
                    letter.text = f"({chr(ord('a') + letters[id(owner)] - 1)})"
                    letter.tail = " " + caption if caption else None
                else:
                    cap.text = caption
            index = list(parent).index(paragraph)
            parent.remove(paragraph)
            parent.insert(index, figure)


def _figure_div(parents: dict, element):
    """The `#fig-` div holding `element`, if any."""
    node = element
    while node is not None:
        if node.tag == "figure" and "quarto-figure" in (node.get("class") or "").split():
            return node
        node = parents.get(node)
    return None


NUMBER_SPAN = re.compile(r'<span class="(?P<kind>figure|table)-number">(?P<word>Figure|Table) \d+\.</span>')


# Pandoc's table caption: a paragraph `Table: text {#tbl-x}` (or `: text`) right after or
# right before a table. attr_list may already have moved `{#tbl-x}` onto the paragraph.
_CAPTION_P = r'<p(?: id="(?P<{n}pid>tbl-[^"]+)")?>\s*(?:[Tt]able)?:\s+(?P<{n}cap>.*?)(?:\s*\{{#(?P<{n}aid>tbl-[\w:.-]+)\}})?\s*</p>'
CAPTION_AFTER = re.compile(r'(?P<open><table\b[^>]*>)(?P<rest>(?:(?!<table\b).)*?</table>)\s*' + _CAPTION_P.format(n=""), re.S)
CAPTION_BEFORE = re.compile(_CAPTION_P.format(n="") + r'\s*(?P<open><table\b[^>]*>)(?P<rest>)', re.S)


def pandoc_table_captions(text: str) -> tuple[str, bool]:
    """Each Pandoc table caption becomes the table's <caption> "Table N. text" (its id on
    the table); returns the text and whether any was found."""
    found = False

    def caption(match) -> str:
        nonlocal found
        found = True
        label = match["pid"] or match["aid"]
        opening = match["open"]
        if label and " id=" not in opening:
            opening = opening[:-1] + f' id="{label}">'
        number = '<span class="table-number">Table 0.</span> ' if label else ""
        return f'{opening}<caption>{number}{match["cap"]}</caption>{match["rest"]}'

    text = CAPTION_AFTER.sub(caption, text)
    text = CAPTION_BEFORE.sub(caption, text)
    return text, found


class Numberer(Postprocessor):
    """Figures and tables numbered in document order, whichever stage made them. Runs
    after the raw HTML stash is restored (30), so the engine's block figures and outputs
    are there, and before cross-references are resolved (25), which read these numbers."""

    def run(self, text: str) -> str:
        if "<table" in text:
            text, captioned = pandoc_table_captions(text)
        else:
            captioned = False
        if not captioned and "quarto-float" not in text:
            return text  # nothing of ours: the engine's own numbering stands
        counters = {"figure": 0, "table": 0}

        def number(match):
            counters[match["kind"]] += 1
            return f'<span class="{match["kind"]}-number">{match["word"]} {counters[match["kind"]]}.</span>'

        return NUMBER_SPAN.sub(number, text)


def register(md) -> None:
    """Add the fenced-div stages to a Markdown instance (the reading extension calls this)."""
    # Before every core block processor (empty lines 100, code 80, paragraphs 10), like admonition (105).
    md.parser.blockprocessors.register(FencedDivProcessor(md.parser), "fenced_div", 106)
    md.parser.blockprocessors.register(TableCaptionProcessor(md.parser), "table_caption", 76)
    # After attr_list (8) put ids on images; before toc (5) and the reading postprocessor.
    md.treeprocessors.register(SubfigureProcessor(md), "implicit_figures", 7.5)
    md.postprocessors.register(Numberer(md), "float_numbers", 27)

