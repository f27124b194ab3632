"""BibTeX entries (bibfile.py) -> citeproc-py references, with the LaTeX in their fields
rendered as Pandoc renders it: accents and escapes become characters (pylatexenc),
`\\emph{..}`, `\\textit{..}`, `{\\em ..}` italics, `\\textbf{..}`, `{\\bf ..}` bold,
`{Braced}` words keep their case, `--` is an en dash.

citeproc-py puts a reference's text into its HTML output as it is (it escapes only its own
terms), so the text is HTML-escaped here, and emphasis travels through citeproc as
private-use characters (EM/STRONG below) that `to_html` turns into `<i>`/`<b>` in its
output; those characters are stripped from the .bib text first, so none can be forged.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
from pathlib import Path

from execblocks.references.bibfile import BibEntry, read_bib
from execblocks.errors import ArticleSyntaxError

EM_OPEN, EM_CLOSE, STRONG_OPEN, STRONG_CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"
MARKERS = re.compile("[\ue000-\ue003]")
MARKUP = {EM_OPEN: "<i>", EM_CLOSE: "</i>", STRONG_OPEN: "<b>", STRONG_CLOSE: "</b>"}
ITALIC_MACROS = {"emph", "textit", "textsl", "mkbibemph", "mkbibitalic"}
BOLD_MACROS = {"textbf", "mkbibbold"}
ITALIC_SWITCHES = {"em", "it", "itshape", "sl", "slshape"}
BOLD_SWITCHES = {"bf", "bfseries"}
# BibTeX (and biblatex) entry types -> CSL types, as Pandoc maps them.
TYPES = {
    "article": "article-journal", "book": "book", "booklet": "pamphlet", "conference": "paper-conference",
    "inbook": "chapter", "incollection": "chapter", "inproceedings": "paper-conference", "manual": "book",
    "mastersthesis": "thesis", "misc": "article", "phdthesis": "thesis", "proceedings": "book",
    "techreport": "report", "unpublished": "manuscript", "thesis": "thesis", "report": "report",
    "online": "webpage", "electronic": "webpage", "www": "webpage", "software": "software",
    "dataset": "dataset", "collection": "book", "mvbook": "book", "reference": "book", "periodical": "book",
}
# BibTeX fields -> CSL variables (citeproc-py's names); year/month/date make `issued`.
FIELDS = {
    "abstract": "abstract", "address": "publisher_place", "location": "publisher_place",
    "annote": "annote", "booktitle": "container_title", "chapter": "chapter_number", "doi": "DOI",
    "edition": "edition", "journal": "container_title", "journaltitle": "container_title",
    "note": "note", "number": "issue", "pages": "page", "pmid": "PMID", "publisher": "publisher",
    "institution": "publisher", "school": "publisher", "organization": "publisher",
    "series": "collection_title", "title": "title", "volume": "volume", "isbn": "ISBN", "issn": "ISSN",
}
NAME_FIELDS = {"author": "author", "editor": "editor"}
YEAR = re.compile(r"^\s*(\d{1,4})\s*$")
ISO_DATE = re.compile(r"^\s*(\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def load_source(paths: list[Path], shown: list[str]):
    """Every entry of the files, later files overriding earlier ones (as Pandoc merges
    several bibliographies), as a citeproc BibliographySource; plus each entry's http(s)
    `url` field, which the References section links."""
    from citeproc.source import BibliographySource

    source, urls = BibliographySource(), {}
    for path, name in zip(paths, shown):
        for entry in read_bib(path, name):
            reference = to_reference(entry, name)
            source.add(reference)
            url = entry.fields.get("url", "").strip()
            if url.startswith(("https://", "http://")) and not any(c in url for c in ' "<>{}\\'):
                urls[entry.key.lower()] = url
    return source, urls


def to_reference(entry: BibEntry, shown: str):
    from citeproc.source import Reference

    csl_type = TYPES.get(entry.type)
    if csl_type is None:
        raise ArticleSyntaxError(shown, entry.line, f"entry '{entry.key}': unknown entry type @{entry.type}",
                                 f"Use one of: {', '.join('@' + t for t in sorted(TYPES))}.")
    variables = {}
    for name, value in entry.fields.items():
        where = (shown, entry.field_lines[name], entry.key, name)
        if name in NAME_FIELDS:
            names = _names(value, where)
            if names:
                variables[NAME_FIELDS[name]] = names
        elif name in FIELDS:
            if name == "pages":
                variables["page"] = _pages(value, where)
            elif name in ("number", "volume") and value.strip().isdigit():
                variables[FIELDS[name]] = int(value)
            else:
                variables[FIELDS[name]] = latex_string(value, where)
    issued = _issued(entry, shown)
    if issued is not None:
        variables["issued"] = issued
    return Reference(entry.key.lower(), csl_type, **variables)


def to_html(escaped: str) -> str:
    """citeproc's escaped HTML with the emphasis characters made tags."""
    return MARKERS.sub(lambda m: MARKUP[m.group()], escaped)


def strip_markup(text: str) -> str:
    return MARKERS.sub("", text)


# -- LaTeX ----------------------------------------------------------------------------------

def latex_string(value: str, where):
    """A field's LaTeX -> citeproc's MixedString: a top-level `{group}` not starting with a
    macro keeps its case (NoCase), as in BibTeX; the rest may be re-cased by the style."""
    nodes = _parse(value, where)
    with _located(where):
        return _mixed(nodes)


def _mixed(nodes):
    from citeproc.string import MixedString, NoCase, String
    from pylatexenc.latexwalker import LatexGroupNode, LatexMacroNode

    output, pending = MixedString(), []
    converter = _converter()
    for node in nodes:
        protected = (isinstance(node, LatexGroupNode) and node.delimiters == ("{", "}")
                     and not (node.nodelist and isinstance(node.nodelist[0], LatexMacroNode)))
        if protected:
            if pending:
                output += String(_escaped(converter.nodelist_to_text(pending)))
                pending = []
            output += NoCase(_escaped(converter.nodelist_to_text(node.nodelist)))
        else:
            pending.append(node)
    if pending:
        output += String(_escaped(converter.nodelist_to_text(pending)))
    return _trim(output)


def latex_text(value: str, where=("", 0, "", "")) -> str:
    """A value's LaTeX -> text (with emphasis characters)."""
    nodes = _parse(value, where)
    with _located(where):
        return _tidy(_converter().nodelist_to_text(nodes)).strip()


@contextlib.contextmanager
def _located(where):
    """Any failure of the LaTeX converter becomes an error at the field's line (the
    converter is a library: this is the backstop, not the expected path)."""
    try:
        yield
    except ArticleSyntaxError:
        raise
    except (Exception, RecursionError) as error:
        shown, line, key, name = where
        raise ArticleSyntaxError(shown, line, f"entry '{key}': field '{name}' cannot be read as LaTeX: "
                                              f"{type(error).__name__}: {error}",
                                 "Simplify the field's LaTeX.") from None


def _parse(value: str, where):
    from pylatexenc.latexwalker import LatexWalker

    with _located(where):  # bibfile.py caps the nesting, so the walker's recursion stays shallow
        walker = LatexWalker(MARKERS.sub("", value), latex_context=_walker_context(), tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
    return nodes


@functools.cache
def _walker_context():
    """pylatexenc's macros, plus the arguments of the ones BibTeX exports use that it lacks."""
    from pylatexenc.latexwalker import get_default_latex_context_db
    from pylatexenc.macrospec import MacroSpec

    context = get_default_latex_context_db()
    context.add_context_category("execblocks-bib", prepend=True, macros=[
        MacroSpec("href", "{{"), MacroSpec("url", "{"), MacroSpec("mkbibemph", "{"),
        MacroSpec("mkbibitalic", "{"), MacroSpec("mkbibbold", "{")])
    return context


def _escaped(text: str) -> str:
    return html.escape(_tidy(text), quote=False)


def _tidy(text: str) -> str:
    """Runs of white space (line breaks in the .bib, `\\\\`) become one space, as in TeX."""
    return re.sub(r"[ \t\r\n]+", " ", text)


def _trim(output):
    from citeproc.string import MixedString

    parts = list(output)
    while parts and not str(parts[0]).strip():
        parts.pop(0)
    while parts and not str(parts[-1]).strip():
        parts.pop()
    if parts:
        parts[0] = type(parts[0])(str(parts[0]).lstrip())
        parts[-1] = type(parts[-1])(str(parts[-1]).rstrip())
    return MixedString(parts)


@functools.cache
def _converter():
    """One converter for the process (its macro table costs milliseconds to build)."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    def wrap(opening: str, closing: str):
        """The macro's last argument (`\\href{url}{text}`: the text), between `opening`
        and `closing`; nothing when the argument is missing (a value cut short)."""
        def text(node, l2tobj):
            arguments = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
            return opening + l2tobj.nodelist_to_text(arguments[-1:]) + closing if arguments else ""
        return text

    macros = ([MacroTextSpec(name, simplify_repl=wrap(EM_OPEN, EM_CLOSE)) for name in ITALIC_MACROS]
              + [MacroTextSpec(name, simplify_repl=wrap(STRONG_OPEN, STRONG_CLOSE)) for name in BOLD_MACROS]
              + [MacroTextSpec("url", simplify_repl=wrap("", "")), MacroTextSpec("href", simplify_repl=wrap("", ""))])
    context = get_default_latex_context_db()
    context.add_context_category("execblocks-bib", macros=macros, prepend=True)

    class Converter(LatexNodes2Text):
        """`{\\em text}`: the switch applies to the rest of its group."""

        def group_node_to_text(self, node):
            from pylatexenc.latexwalker import LatexCharsNode, LatexMacroNode

            children = [n for n in node.nodelist
                        if not (isinstance(n, LatexCharsNode) and not n.chars.strip())]
            first = children[0] if children else None
            if isinstance(first, LatexMacroNode) and first.macroname in ITALIC_SWITCHES | BOLD_SWITCHES:
                rest = node.nodelist[node.nodelist.index(first) + 1:]
                opening, closing = ((EM_OPEN, EM_CLOSE) if first.macroname in ITALIC_SWITCHES
                                    else (STRONG_OPEN, STRONG_CLOSE))
                return opening + self.nodelist_to_text(rest).lstrip() + closing
            return super().group_node_to_text(node)

    return Converter(latex_context=context, math_mode="verbatim", strict_latex_spaces=True)


# -- names, pages, dates --------------------------------------------------------------------

def _names(value: str, where):
    from citeproc.source import Name
    from citeproc.source.bibtex.bibtex import parse_name, split_names

    names = []
    for raw in split_names(_tidy(value).strip()):
        if not raw.strip():
            continue
        if raw.strip() == "others":  # BibTeX's "and others": et al.
            continue
        try:
            first, von, last, jr = parse_name(raw.strip())
        except (ValueError, IndexError):
            shown, line, key, name = where
            raise ArticleSyntaxError(shown, line, f"entry '{key}': field '{name}' has a name that cannot be "
                                                  f"read: {raw.strip()!r}",
                                     "Write names as 'Family, Given and Family, Given'.") from None
        parts = {label: html.escape(strip_markup(latex_text(part, where)).strip(), quote=False)
                 for part, label in ((first, "given"), (von, "non-dropping-particle"), (last, "family"),
                                     (jr, "suffix")) if part}
        if parts.get("family") or parts.get("given"):
            names.append(Name(**{k: v for k, v in parts.items() if v}))
    return names


def _pages(value: str, where) -> str:
    text = strip_markup(latex_text(value, where)).replace(" ", "")
    return html.escape(re.sub(r"[-\u2013\u2014]+", "-", text), quote=False)


def _issued(entry: BibEntry, shown: str):
    from citeproc.source import Date

    def text(name: str) -> str:
        where = (shown, entry.field_lines.get(name, entry.line), entry.key, name)
        return strip_markup(latex_text(entry.fields.get(name, ""), where)).strip()

    if "date" in entry.fields and (match := ISO_DATE.match(text("date"))):
        year, month, day = (int(g) if g else None for g in match.groups())
    elif "year" in entry.fields:
        match = YEAR.match(text("year"))
        if not match:  # "in press", "2015a": shown as the style shows an undated work
            return None
        year, month, day = int(match.group(1)), _month(text("month")), None
    else:
        return None
    parts = {"year": year}
    if month and 1 <= month <= 12:
        parts["month"] = month
        if day and 1 <= day <= 31:
            parts["day"] = day
    return Date(**parts)


def _month(text: str) -> int | None:
    text = text.lower()
    if text.isdigit():
        return int(text)
    return MONTH_NAMES.index(text[:3]) + 1 if text[:3] in MONTH_NAMES else None
