"""Cross-references and citations in prose: `@fig-x`, `@tbl-x`, `@eq-x`, `@sec-x`,
`@key`, `[@key]`, `[see @a; @b, p. 3]` (Quarto's and Pandoc's syntax).

A Python-Markdown extension, one per article (`ReferencesExtension(rel_path, text, bib)`).
How it works, stage by stage:

1. Preprocessor `EquationPreprocessor` (after fenced code is stashed): display math
   followed by a label,
   `$$ ... $$ {#eq-x}` (on one line or several), becomes
   `<div class="equation" id="eq-x"><div class="arithmatex">\\[...\\]</div>
   <span class="equation-number">(n)</span></div>`: arithmatex's generic markup, so the
   theme's math renderer typesets it, plus a visible number. Unlabelled math is
   arithmatex's as before.
2. Inline pattern `ReferenceProcessor` (after code spans, links, autolinks and raw HTML,
   so `@` in code, URLs, e-mail addresses and tags is never read; `@` after a letter or
   digit, as in `me@example.com`, is never a reference; `\\@` is a literal `@`):
   - a label with a `fig-`, `tbl-`, `eq-` or `sec-` prefix becomes a placeholder link
     `<a class="cross-ref" href="#fig-x">@fig-x</a>`;
   - any other key, when the article has a bibliography, becomes a citation placeholder
     (`<span class="citation" data-cite="n">`) that references/citations.py renders. Without a
     bibliography it stays text, as Pandoc leaves it.
3. Treeprocessor `CitationProcessor` (references/citations.py): renders every citation in document
   order and appends the "References" section with back-links.
4. Treeprocessor `SectionNumberer` (after toc, so ids and the TOC are untouched): when
   the article labels a heading `{#sec-x}` (attr_list), every heading gets a visible
   number, "2.1", in a `span.header-section-number`.
5. Postprocessor `CrossRefResolver`, on the final HTML (after the raw HTML stash is put
   back, so the figures that render/blocks.py emits are there): it collects the numbered
   targets, an element whose id has one of the prefixes followed by its number span
   (`span.figure-number` "Figure 3.", `span.table-number` "Table 1.",
   `span.equation-number` "(2)", `span.header-section-number` "4"), and rewrites each
   placeholder as "Figure 3" etc., linked to the target. Whoever renders a target only
   has to give it the id and the number span: figure markup (render/blocks.py) is read, never
   changed. A label with no target is an `ArticleSyntaxError` naming the file and the
   line of its first use.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

from markdown import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from execblocks.errors import ArticleSyntaxError
from execblocks.source.parse import find_fences

# Quarto's words for each kind of target, and the class of the span holding its number.
KINDS = {"fig": "Figure", "tbl": "Table", "eq": "Equation", "sec": "Section"}
NUMBER_CLASSES = {"figure-number": "fig", "table-number": "tbl", "equation-number": "eq",
                  "header-section-number": "sec"}
# Pandoc's citation key: starts with a letter, digit or _, and may hold internal
# punctuation (:.#$%&-+?<>~/) when a letter or digit follows it.
KEY = r"[^\W][\w]*(?:[:.#$%&+?<>~/-][\w]+)*"
NARRATIVE = rf"(?<![\w@\\])@(?P<key>{KEY})(?:\s\[(?P<locator>[^\[\]@]*)\])?"
# Not followed by `(` or `[`: that is a link. (`[x]: url` definitions are gone before inline.)
BRACKETED = r"\[(?P<body>[^\[\]]*@[^\[\]]*)\](?![(\[])"
ITEM = re.compile(rf"^(?P<prefix>.*?)(?:^|(?<=\s))(?P<suppress>-)?@(?P<key>{KEY})(?P<suffix>.*)$", re.S)
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
XREF_PREFIX = re.compile(r"^(?P<kind>fig|tbl|eq|sec)-")
PLACEHOLDER = re.compile(r'<a class="cross-ref" href="#(?P<label>[^"]+)">@(?P=label)</a>')
# Display math starts a line (indented 4 spaces it would be a code block).
LABELLED_MATH_ONE_LINE = re.compile(r"^ {0,3}\$\$(?P<tex>.+?)\$\$\s*\{#(?P<label>eq-[\w:.-]+)\}\s*$")
MATH_OPEN = re.compile(r"^ {0,3}\$\$(?P<tex>.*)$")
MATH_CLOSE = re.compile(r"^(?P<tex>.*?)\$\$\s*(?:\{#(?P<label>eq-[\w:.-]+)\})?\s*$")


@dataclass(frozen=True)
class CiteItem:
    """One `@key` of a citation: `[see @a, p. 3]` has prefix "see", key a, suffix ", p. 3"."""

    key: str
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False


@dataclass
class Citation:
    """A citation as written: several items in brackets, or one narrative `@key`."""

    items: list[CiteItem]
    narrative: bool


@dataclass
class ReferenceState:
    """What the stages of one conversion share."""

    rel_path: str
    lines: list[str]  # the article's lines, to say where an unknown label is used
    bibliography: object | None = None  # citations.Bibliography, when the article has one
    citations: list[Citation] = field(default_factory=list)

    def line_of(self, key: str) -> int:
        """1-based line of the first use of `@key` outside code fences (1 if not found)."""
        fenced = set()
        for fence in find_fences(self.lines):
            fenced.update(range(fence.open_line, fence.close_line + 1))
        use = re.compile(rf"(?<![\w@\\])-?@{re.escape(key)}(?![\w])")
        for number, line in enumerate(self.lines):
            if number not in fenced and use.search(_without_code_spans(line)):
                return number + 1
        return 1


def _without_code_spans(line: str) -> str:
    return re.sub(r"(`+).*?\1", "", line)


class ReferencesExtension(Extension):
    def __init__(self, rel_path: str, text: str, bibliography=None, **kwargs):
        self.state = ReferenceState(rel_path, text.split("\n"), bibliography)
        # Stages whose trigger the text never contains are not registered: an inline
        # pattern is tried at every position of every paragraph, a preprocessor on every line.
        self.has_references = "@" in text
        self.has_display_math = "$$" in text
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        md.registerExtension(self)
        if self.has_display_math:
            # After fenced_code (25) has stashed code fences, so `$$` in code is never math;
            # before arithmatex (a block processor) sees the `$$`.
            md.preprocessors.register(EquationPreprocessor(md), "crossref_equations", 24)
        if self.has_references:
            from execblocks.references.citations import CitationProcessor

            if "@" not in md.ESCAPED_CHARS:  # `\@` is a literal @, never a reference
                md.ESCAPED_CHARS = [*md.ESCAPED_CHARS, "@"]
            # After raw inline HTML (90), autolinks (120) and links (160); before emphasis
            # (60), so `_` inside a key is not read as emphasis.
            md.inlinePatterns.register(ReferenceProcessor(BRACKETED, md, self.state, bracketed=True),
                                       "crossref_bracketed", 86)
            md.inlinePatterns.register(ReferenceProcessor(NARRATIVE, md, self.state, bracketed=False),
                                       "crossref_narrative", 85)
            # After inline patterns (20) and attr_list (8), before toc (5): the References
            # heading is in the table of contents.
            md.treeprocessors.register(CitationProcessor(md, self.state), "citations", 7)
            # After the raw HTML stash is restored (30): figures and tables are in the text.
            md.postprocessors.register(CrossRefResolver(md, self.state), "crossref_resolve", 25)
        md.treeprocessors.register(SectionNumberer(md), "section_numbers", 4)

    def reset(self):
        self.state.citations.clear()


class EquationPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out, i, number = [], 0, 0
        while i < len(lines):
            line = lines[i]
            one = LABELLED_MATH_ONE_LINE.match(line)
            opening = MATH_OPEN.match(line) if not one else None
            if one:
                number += 1
                out += self._equation(one["tex"], one["label"], number)
                i += 1
                continue
            if opening and "$$" not in opening["tex"]:
                close = next((j for j in range(i + 1, len(lines)) if MATH_CLOSE.match(lines[j])), None)
                if close is not None and MATH_CLOSE.match(lines[close])["label"]:
                    number += 1
                    tex = "\n".join([opening["tex"], *lines[i + 1:close], MATH_CLOSE.match(lines[close])["tex"]])
                    out += self._equation(tex, MATH_CLOSE.match(lines[close])["label"], number)
                    i = close + 1
                    continue
                if close is not None:  # unlabelled: arithmatex's, untouched
                    out += lines[i:close + 1]
                    i = close + 1
                    continue
            out.append(line)
            i += 1
        return out

    def _equation(self, tex: str, label: str, number: int) -> list[str]:
        markup = (f'<div class="equation" id="{html.escape(label, quote=True)}">'
                  f'<div class="arithmatex">\\[{html.escape(tex.strip(), quote=False)}\\]</div>'
                  f'<span class="equation-number">({number})</span></div>')
        return ["", self.md.htmlStash.store(markup), ""]


class ReferenceProcessor(InlineProcessor):
    def __init__(self, pattern, md, state: ReferenceState, bracketed: bool):
        super().__init__(pattern, md)
        self.state, self.bracketed = state, bracketed

    def handleMatch(self, m, data):
        if self.bracketed:
            items = _parse_items(m["body"])
            if items is None:
                return None, None, None
        else:
            suffix = f", {m['locator']}" if m["locator"] else ""
            items = [CiteItem(m["key"], suffix=suffix)]
        is_xref = [bool(XREF_PREFIX.match(item.key)) for item in items]
        if all(is_xref):
            return self._cross_refs(items), m.start(0), m.end(0)
        if any(is_xref):
            raise ArticleSyntaxError(self.state.rel_path, self.state.line_of(items[0].key),
                                     f"a citation mixes cross-references and bibliography keys: {m.group(0)}",
                                     "Write the cross-reference and the citation separately.")
        if self.state.bibliography is None:
            return None, None, None  # no bibliography: `@name` is text, as Pandoc leaves it
        self.state.citations.append(Citation(items, narrative=not self.bracketed))
        element = etree.Element("span")
        element.set("class", "citation")
        element.set("data-cite", str(len(self.state.citations) - 1))
        element.text = AtomicString(m.group(0))
        return element, m.start(0), m.end(0)

    def _cross_refs(self, items: list[CiteItem]) -> etree.Element:
        """`@fig-x` -> a placeholder link; `[see @fig-a; @fig-b]` -> "see Figure 1; Figure 2"."""
        wrapper = etree.Element("span")
        for n, item in enumerate(items):
            link = etree.SubElement(wrapper, "a")
            link.set("class", "cross-ref")
            link.set("href", f"#{item.key}")
            link.text = AtomicString(f"@{item.key}")  # read once: never a reference again
            before = ("; " if n else "") + (item.prefix + " " if item.prefix else "")
            if n == 0:
                wrapper.text = before
            else:
                wrapper[n - 1].tail = (wrapper[n - 1].tail or "") + before
            link.tail = item.suffix
        if len(items) == 1 and not items[0].prefix and not items[0].suffix:
            return wrapper[0]
        wrapper.set("class", "cross-refs")
        return wrapper


def _parse_items(body: str) -> list[CiteItem] | None:
    """`see @a, p. 3; -@b` -> items; None when a part is not a citation (plain brackets)."""
    items = []
    for part in body.split(";"):
        match = ITEM.match(part.strip())
        if not match or "@" in match["suffix"] or "@" in match["prefix"]:
            return None
        items.append(CiteItem(match["key"], match["prefix"].strip(), match["suffix"].rstrip(),
                              bool(match["suppress"])))
    return items


class SectionNumberer(Treeprocessor):
    """Numbers headings ("2.1") when the article refers to sections at all."""

    def run(self, root):
        headings = [e for e in root.iter() if e.tag in HEADINGS
                    and "unnumbered" not in (e.get("class") or "").split()]
        if not any((h.get("id") or "").startswith("sec-") for h in headings):
            return
        top = min(int(h.tag[1]) for h in headings)
        counters = [0] * 6
        for heading in headings:
            depth = int(heading.tag[1]) - top
            counters[depth] += 1
            counters[depth + 1:] = [0] * (5 - depth)
            number = etree.Element("span")
            number.set("class", "header-section-number")
            number.text = ".".join(str(c) for c in counters[:depth + 1])
            number.tail = " " + (heading.text or "")
            heading.text = None
            heading.insert(0, number)


class TargetCollector:
    """Ids with a cross-reference prefix, paired with the next number span of their kind
    (the innermost open target wins, so a sub-figure inside a figure gets its own).
    A sub-figure's number is its letter span "(a)" after its figure's number: "2(a)", as
    Quarto writes `@fig-x-1`; the figure's own number comes after its sub-figures, so
    sub-figures are numbered when the whole page is read (`close`).

    A parser target of lxml's HTML parser (libxml2: start, data, end, close), which reads
    the page in C and calls these for each event: the BatchNorm article's HTML (13,000 tags)
    took 46 ms with the standard library's HTMLParser, 15 ms so, on every build."""

    def __init__(self):
        self.numbers: dict[str, str] = {}
        self.pending: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.reading: tuple[str, list[str]] | None = None
        self.subfigures: dict[str, tuple[str, str]] = {}  # sub-figure label -> (its figure's label, letter)
        self._letter: tuple[str, str, list[str]] | None = None

    def start(self, tag, attrs):
        match = XREF_PREFIX.match(attrs.get("id") or "")
        if match:
            self.pending[match["kind"]].append(attrs["id"])
        classes = (attrs.get("class") or "").split()
        if "subfigure-letter" in classes and len(self.pending["fig"]) >= 2:
            sub = self.pending["fig"].pop()
            self._letter = (sub, self.pending["fig"][-1], [])
            return
        kind = next((NUMBER_CLASSES[c] for c in classes if c in NUMBER_CLASSES), None)
        if kind and self.pending[kind]:
            self.reading = (self.pending[kind].pop(), [])

    def data(self, data):
        if self._letter:
            self._letter[2].append(data)
        if self.reading:
            self.reading[1].append(data)

    def end(self, tag):
        if self._letter and tag == "span":
            sub, parent, text = self._letter
            letter = re.search(r"\([a-z0-9]+\)", "".join(text))
            if letter:
                self.subfigures[sub] = (parent, letter.group(0))
            self._letter = None
        if self.reading and tag == "span":
            label, text = self.reading
            number = re.search(r"\d+(?:\.\d+)*(?:\s*\([a-z]\))?", "".join(text))
            if number:
                self.numbers[label] = number.group(0)
            self.reading = None

    def close(self) -> dict[str, str]:
        for sub, (parent, letter) in self.subfigures.items():
            if parent in self.numbers:
                self.numbers[sub] = self.numbers[parent] + letter
        return self.numbers


def target_numbers(markup: str) -> dict[str, str]:
    """label -> its number ("3", "2(a)", "4.1") for every numbered target in `markup`."""
    from lxml import etree  # only for pages that refer to a target

    parser = etree.HTMLParser(target=TargetCollector(), huge_tree=True)
    parser.feed(markup)
    return parser.close()


class CrossRefResolver(Postprocessor):
    def __init__(self, md, state: ReferenceState):
        super().__init__(md)
        self.state = state

    def run(self, text: str) -> str:
        if "cross-ref" not in text:
            return text
        numbers = target_numbers(text)

        def resolve(m: re.Match) -> str:
            label = m["label"]
            if label not in numbers:
                kind = XREF_PREFIX.match(label)["kind"]
                known = ", ".join(f"@{k}" for k in sorted(numbers) if k.startswith(kind + "-"))
                raise ArticleSyntaxError(
                    self.state.rel_path, self.state.line_of(label), f"unknown cross-reference @{label}",
                    f"Known {KINDS[kind].lower()} labels: {known or 'none'}. " + _HOW_TO_LABEL[kind])
            word = KINDS[XREF_PREFIX.match(label)["kind"]]
            return (f'<a class="cross-ref" href="#{html.escape(label, quote=True)}">'
                    f'{word}&nbsp;{html.escape(numbers[label])}</a>')

        return PLACEHOLDER.sub(resolve, text)


_HOW_TO_LABEL = {
    "fig": "Label a block's figure with `#| label: fig-name`.",
    "tbl": "Label a block's table with `#| label: tbl-name` (and caption it with `#| tbl-cap: ...`).",
    "eq": "Label display math as `$$ ... $$ {#eq-name}`.",
    "sec": "Label a heading as `## Title {#sec-name}`.",
}
