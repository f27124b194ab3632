"""Citations: `[@key]`, `@key`, `[see @a; @b, p. 3]` against a BibTeX file, formatted
with a CSL style by citeproc-py, and a generated "References" section with back-links.

Where the bibliography comes from: the article's header (`Bibliography: refs.bib`, a path
relative to the article; several paths separated by commas, or a YAML list in front
matter), else the site's `EXECBLOCKS_BIBLIOGRAPHY` (relative to the project root). The
style: the header's `Csl:`, else `EXECBLOCKS_CSL`, else the author-date style shipped in
`csl/` (Cite Them Right Harvard, CC BY-SA, from the CSL project).

references/crossref.py finds the citations in the prose (its docstring says how `@` is told apart
from e-mail addresses and code); `CitationProcessor` renders them in document order:

- bracketed, `[@a; @b, p. 3]` -> "(A and B, 2015; C, 2020, p. 3)": each item rendered by
  citeproc and joined with the style's own layout prefix, delimiter and suffix, so each
  item can link to its entry;
- narrative, `@a` -> "A and B (2015)"; `@a [p. 3]` -> "A and B (2015, p. 3)";
- `-@a` inside brackets -> "(2015)" (the author is named in the sentence).

Each rendered item is a link `#ref-<key>` with id `cite-<key>-<n>`; each entry of the
References section links back to every citation of it. An unknown key is an
`ArticleSyntaxError` naming the file and line of its first use.

What citeproc renders is remembered under CACHE_PATH (references/citecache.py): a build
whose .bib, style and citations are unchanged reads neither the .bib nor citeproc.
"""

from __future__ import annotations

import html
import re
import warnings
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path

import nh3
from markdown.treeprocessors import Treeprocessor

from execblocks.errors import ArticleSyntaxError
from execblocks.references import citecache
from execblocks.render.sanitize import sanitize_inline
from execblocks.source.header import Header

DEFAULT_STYLE = Path(__file__).resolve().parent / "csl" / "harvard-cite-them-right.csl"
# `, p. 3` / `, pp. 3-4` / `, chap. 2`: Pandoc's locator labels -> CSL locator types.
LOCATOR = re.compile(r"^,?\s*(?P<label>pp?|pages?|chap|chapter|sec|section|§|fig|figure|vol|volume|"
                     r"para|paragraph|l|line|n|note)\.?\s+(?P<value>[\w–—\-:., ]+?)\s*$", re.I)
LOCATOR_TYPES = {"p": "page", "pp": "page", "page": "page", "pages": "page", "chap": "chapter",
                 "chapter": "chapter", "sec": "section", "section": "section", "§": "section",
                 "fig": "figure", "figure": "figure", "vol": "volume", "volume": "volume",
                 "para": "paragraph", "paragraph": "paragraph", "l": "line", "line": "line",
                 "n": "note", "note": "note"}
INLINE_TAGS = {"i", "b", "em", "strong", "span", "sup", "sub"}


@dataclass
class Bibliography:
    """The references an article may cite, and the style they are formatted in. Read from
    the files (citeproc, pylatexenc) on first use: a build whose citations are all in the
    rendering cache (references/citecache.py) never reads them."""

    bib_paths: list[Path]
    style_path: Path
    paths: list[str]  # as shown in messages
    files_shown: list[str]  # each .bib's name in error messages (project-relative)
    cache_file: Path | None = None  # where this article's rendering is remembered
    bib_key: str | None = None  # citecache.bib_key of the files, with a cache file
    cached: dict = field(default_factory=dict)  # that file's contents as read
    contents: tuple | None = field(default=None, repr=False)  # (source, style, urls) once read

    def load(self) -> "Bibliography":
        """Read the .bib files and the style now (errors at the .bib's own line)."""
        if self.contents is None:
            from citeproc import CitationStylesStyle

            from execblocks.references.bibrefs import load_source

            # Not citeproc's own BibTeX reader: it hangs on a truncated file and stops on \emph
            # (references/bibfile.py says why); ours errors at the .bib's line instead.
            source, urls = load_source(self.bib_paths, self.files_shown)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                style = CitationStylesStyle(str(self.style_path), validate=False)
            self.contents = (source, style, urls)
        return self

    @property
    def was_read(self) -> bool:
        """Whether this build read the files (citeproc and all), or the cache served."""
        return self.contents is not None

    @property
    def source(self):  # citeproc BibliographySource (keys lowercased)
        return self.load().contents[0]

    @property
    def style(self):  # citeproc CitationStylesStyle
        return self.load().contents[1]

    @property
    def urls(self) -> dict[str, str]:  # key -> url field of the entry
        return self.load().contents[2]

    def __contains__(self, key: str) -> bool:
        return key.lower() in self.source


def bibliography_for(header: Header, article_path: Path, rel_path: str, settings: dict, root: Path,
                     cache_dir: Path | None = None) -> Bibliography | None:
    """The article's bibliography (its header's, else the site's default), or None when it has none.
    With `cache_dir` (Pelican's CACHE_PATH), files whose rendering is on record there are
    read only if the citations must be rendered again (references/citecache.py)."""
    if header.fields.get("bibliography"):
        entries, base, where = _paths(header.fields["bibliography"]), article_path.parent, header.line_of("bibliography")
    elif settings.get("EXECBLOCKS_BIBLIOGRAPHY"):
        entries, base, where = _paths(settings["EXECBLOCKS_BIBLIOGRAPHY"]), root, 0
    else:
        return None
    style_name = header.fields.get("csl") or settings.get("EXECBLOCKS_CSL")
    style_base = article_path.parent if header.fields.get("csl") else root
    style = (style_base / str(style_name)) if style_name else DEFAULT_STYLE
    paths = [(base / entry) for entry in entries]
    for path, entry in zip(paths, entries):
        if not path.is_file():
            raise _setting_error(rel_path, where, f"bibliography {entry} not found (looked for {path})",
                                 "Give the .bib file's path relative to the article.")
    if not style.is_file():
        raise _setting_error(rel_path, header.line_of("csl") if header.fields.get("csl") else 0,
                             f"CSL style {style_name} not found (looked for {style})",
                             "Give the .csl file's path relative to the article (or the project root in EXECBLOCKS_CSL).")
    bib = Bibliography(paths, style, entries, [_shown(path, root) for path in paths],
                       citecache.cache_file(cache_dir, rel_path))
    try:
        if bib.cache_file is not None:
            bib.bib_key, bib.cached = citecache.bib_key(paths, style), citecache.read(bib.cache_file)
        if bib.cached.get("bib") != bib.bib_key or bib.bib_key is None:
            bib.load()  # files never read without error: read now, so a broken .bib fails here
        return bib
    except ArticleSyntaxError:  # at the .bib file's own line, naming the entry
        raise
    except Exception as error:  # citeproc's CSL reader raises bare exceptions on a malformed style
        raise _setting_error(rel_path, where, f"cannot read bibliography {', '.join(entries)} with style "
                                              f"{style.name}: {type(error).__name__}: {error}",
                             "Check the .csl file (an XML CSL style).") from None


def _shown(path: Path, root: Path) -> str:
    """A .bib file's name in messages: relative to the project, as the article's is."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _setting_error(rel_path: str, line: int, message: str, hint: str) -> Exception:
    if line:
        return ArticleSyntaxError(rel_path, line, message, hint)
    from execblocks.errors import ConfigError
    return ConfigError(f"EXECBLOCKS_BIBLIOGRAPHY / EXECBLOCKS_CSL: {message}")


def _paths(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _clean(markup: str) -> str:
    """citeproc's HTML of an entry (its text escaped by references/bibrefs.py, emphasis
    as marker characters) -> HTML with the emphasis as tags, only inline formatting kept."""
    from execblocks.references.bibrefs import to_html

    return sanitize_inline(to_html(str(markup)), INLINE_TAGS, {"span": {"style"}})


def _locator(suffix: str):
    """`, p. 3` -> (Locator, ""); `, and elsewhere` -> (None, ", and elsewhere")."""
    from citeproc import Locator

    match = LOCATOR.match(suffix)
    if not match:
        return None, suffix
    return Locator(LOCATOR_TYPES[match["label"].lower()], match["value"]), ""


class CitationProcessor(Treeprocessor):
    """Renders the citation placeholders references/crossref.py left, and appends the References."""

    def __init__(self, md, state):
        super().__init__(md)
        self.state = state

    def run(self, root):
        bib: Bibliography | None = self.state.bibliography
        spans = [e for e in root.iter("span") if e.get("class") == "citation" and e.get("data-cite")]
        if bib is None or not spans:
            return
        citations = [self.state.citations[int(span.get("data-cite"))] for span in spans]
        key = citecache.citations_key(bib.bib_key, citations) if bib.bib_key else None
        cited = [item.key.lower() for citation in citations for item in citation.items]
        rendered = citecache.lookup(bib.cached, key, _verified, cited) if key else None
        if rendered is None:
            rendered = self._render(bib, citations)
            if key:
                citecache.write(bib.cache_file, bib.bib_key, key, rendered)
        layout_prefix, delimiter, layout_suffix = rendered.layout
        texts = iter(rendered.texts)
        uses: dict[str, list[str]] = {}  # key -> ids of its citations, in document order
        for span, citation in zip(spans, citations):
            parts = []
            for item in citation.items:
                anchors = uses.setdefault(item.key.lower(), [])
                anchor = f"cite-{item.key.lower()}-{len(anchors) + 1}"
                anchors.append(anchor)
                link = (f'<a class="citation-link" id="{html.escape(anchor, quote=True)}" '
                        f'href="#ref-{html.escape(item.key.lower(), quote=True)}">{next(texts)}</a>')
                before = html.escape(item.prefix) + " " if item.prefix else ""
                extra = "" if LOCATOR.match(item.suffix) else item.suffix  # a locator is in the text
                parts.append(before + link + html.escape(extra))
            markup = parts[0] if citation.narrative else layout_prefix + delimiter.join(parts) + layout_suffix
            span.text = self.md.htmlStash.store(markup)
            del span.attrib["data-cite"]
        self._append_references(root, rendered.entries, uses)

    def _render(self, bib: "Bibliography", citations: list) -> "citecache.Rendered":
        """citeproc's text of every cited item, in document order, and the References."""
        from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter

        for citation in citations:
            for item in citation.items:
                if item.key not in bib:
                    raise ArticleSyntaxError(
                        self.state.rel_path, self.state.line_of(item.key),
                        f"unknown citation key @{item.key} (not in {', '.join(bib.paths)})",
                        "Add the entry to the .bib file, or fix the key's spelling.")
        engine = CitationStylesBibliography(bib.style, bib.source, formatter.html)
        singles = []  # (item, citeproc Citation of that one item, narrative)
        for citation in citations:
            for item in citation.items:
                locator, _ = _locator(item.suffix)
                cite = CitationItem(item.key, locator=locator) if locator else CitationItem(item.key)
                singles.append((item, Citation([cite]), citation.narrative))
        for _, cite, _ in singles:
            engine.register(cite)
        engine.sort()
        layout = bib.style.root.citation.layout
        prefix, suffix = layout.get("prefix", ""), layout.get("suffix", "")
        texts = tuple(self._item_text(engine, bib, item, cite, prefix, suffix, narrative)
                      for item, cite, narrative in singles)
        entries = tuple((item.key, _clean(entry), bib.urls.get(item.key))
                        for item, entry in zip(engine.items, engine.bibliography()))
        return citecache.Rendered(texts, entries, (prefix, layout.get("delimiter", "; "), suffix))

    def _item_text(self, engine, bib, item, cite, prefix, suffix, narrative) -> str:
        reference = bib.source[item.key.lower()]
        locator, _ = _locator(item.suffix)
        year = _year(reference)
        if narrative or item.suppress_author:
            located = year + (_locator_text(engine, bib, item) if locator else "")
            if item.suppress_author:
                return html.escape(located)
            return f"{_authors(reference, _et_al_min(bib.style))} ({html.escape(located)})"
        text = _clean(engine.cite(cite, lambda missing: None))
        if text.startswith(prefix) and text.endswith(suffix):
            text = text[len(prefix):len(text) - len(suffix)] if suffix else text[len(prefix):]
        return text

    def _append_references(self, root, entries, uses) -> None:
        """The bibliography goes where the document says, as in Pandoc and Quarto: into its
        `::: {#refs}` div; else under its own closing "References" heading; else into a
        "References" section of its own at the end (before the footnotes)."""
        placed = next((e for e in root.iter() if e.get("id") == "refs"), None)
        headings = [child for child in root if re.fullmatch(r"h[1-6]", child.tag)]
        closing = headings[-1] if headings and "".join(headings[-1].itertext()).strip().lower() in \
            ("references", "bibliography", "works cited") else None
        if placed is not None:
            section = placed
            section.set("class", " ".join(filter(None, [section.get("class"), "references"])))
        elif closing is not None:
            section = etree.Element("div")
            section.set("id", "refs")
            section.set("class", "references")
        else:
            section = etree.Element("section")
            section.set("class", "references")
            section.set("id", "refs")
            heading = etree.SubElement(section, "h2")
            heading.set("class", "unnumbered")
            heading.set("id", "references")
            heading.text = "References"
        section.set("role", "doc-bibliography")
        body = etree.SubElement(section, "div")
        body.set("class", "csl-bib-body")
        for key, entry_html, url in entries:
            if url and url not in entry_html:
                entry_html += f' <a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>'
            links = " ".join(
                f'<a class="ref-backlink" href="#{html.escape(anchor, quote=True)}" '
                f'aria-label="Back to citation {n} of {html.escape(key)}">↩{"" if len(uses[key]) == 1 else n}</a>'
                for n, anchor in enumerate(uses[key], 1))
            div = etree.SubElement(body, "div")
            div.set("class", "csl-entry")
            div.set("id", f"ref-{key}")
            div.text = self.md.htmlStash.store(f'{entry_html} <span class="ref-backlinks">{links}</span>')
        if placed is not None:
            return  # already where the author put it
        footnotes = next((i for i, child in enumerate(root) if "footnote" in (child.get("class") or "").split()), None)
        if footnotes is None:
            root.append(section)
        else:
            root.insert(footnotes, section)


def _verified(markup: str) -> bool:
    """A cached string is used only when it is already what the sanitiser keeps of it."""
    return sanitize_inline(markup, INLINE_TAGS, {"span": {"style"}}) == markup


def _year(reference) -> str:
    issued = reference.get("issued") if hasattr(reference, "get") else None
    try:
        return str(issued["year"])
    except (TypeError, KeyError):
        return "n.d."


def _et_al_min(style) -> int:
    """From how many authors the style's citations write "et al." (CSL's et-al-min)."""
    try:
        return int(style.root.citation.get("et-al-min", 3))
    except (AttributeError, ValueError):
        return 3


def _authors(reference, et_al_min: int = 3) -> str:
    """Family names as an author-date style names them in running text (the reference's
    text is HTML-escaped already: references/bibrefs.py)."""
    names = reference.get("author") or reference.get("editor") or []
    # "van Laarhoven": a non-dropping particle stays with the family name in running text.
    families = [" ".join(str(part) for part in (n.get("non-dropping-particle"), n.get("family") or n.get("given"))
                         if part) for n in names]
    if not families:
        return _clean(str(reference.get("title", "")))
    if len(families) >= et_al_min:
        return f"{families[0]} <i>et al.</i>"
    if len(families) == 1:
        return families[0]
    return ", ".join(families[:-1]) + f" and {families[-1]}"


def _locator_text(engine, bib, item) -> str:
    """", p. 3" as the style writes it: the style's rendering of the citation, minus the
    same citation without its locator."""
    from citeproc import Citation, CitationItem

    locator, _ = _locator(item.suffix)
    with_locator, without = Citation([CitationItem(item.key, locator=locator)]), Citation([CitationItem(item.key)])
    for citation in (with_locator, without):
        engine.register(citation)  # cite() needs the citation bound to the bibliography
    with_locator, without = (str(engine.cite(c, lambda m: None)) for c in (with_locator, without))
    layout = bib.style.root.citation.layout
    suffix = layout.get("suffix", "")
    base = without[:len(without) - len(suffix)] if suffix and without.endswith(suffix) else without
    rest = with_locator[len(base):]
    rest = rest[:len(rest) - len(suffix)] if suffix and rest.endswith(suffix) else rest
    return html.unescape(nh3.clean(rest, tags=set()))
