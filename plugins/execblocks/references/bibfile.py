"""A BibTeX file -> entries, read in bounded time and memory, errors at file:line.

Why not citeproc-py's own reader: it spins forever at the end of a file whose last entry
lacks its `}`, stops on `\\emph{...}` / `{\\em ...}` with "generator raised StopIteration"
naming no entry, and expands an `@string` doubling chain until memory runs out. Why not
bibtexparser: it would still need the limits and the line of every field added around it,
and its values are the same raw LaTeX. So the reading is one pass over the text here
(BibTeX's grammar is small: `@type{key, field = value # value, ...}`, `@string`,
`@preamble`, `@comment`), linear in the file's size, with caps on the file, on each
value after `@string` expansion and on all values together; the LaTeX in values is
converted by pylatexenc (bibrefs.py), as Pandoc renders it.

Every problem is an ArticleSyntaxError at the .bib file's line, naming the entry.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from execblocks.errors import ArticleSyntaxError

MAX_FILE_BYTES = 16 * 2**20  # the largest exports seen are a few MB
MAX_VALUE_CHARS = 100_000  # one field after @string expansion (a long abstract is ~5,000)
MAX_TOTAL_CHARS = 32 * 2**20  # all values and @strings together, after expansion
MAX_BRACE_DEPTH = 32  # LaTeX groups nest a few deep; the converter recurses per level

# BibTeX's predefined month macros (plain BibTeX spells them out in full).
MONTHS = {name[:3]: name for name in ("january", "february", "march", "april", "may", "june", "july",
                                      "august", "september", "october", "november", "december")}
IDENT = re.compile(r"[A-Za-z_][\w:.+/'-]*")
KEY = re.compile(r"[^\s,{}()\"#%'=]+")
NUMBER = re.compile(r"\d+")
SPACE = re.compile(r"\s*")
# Inside a braced or quoted value: a brace, a quote, or a line that opens the next entry.
# An entry line at depth 1 or more means a '}' is missing before it (an abstract that
# really holds "@article{" at the start of a line would be the only false alarm).
BRACED_STOP = re.compile(r"[{}]|\n[ \t]*@[A-Za-z]+[ \t]*[{(]")
QUOTED_STOP = re.compile(r"[{}\"]|\n[ \t]*@[A-Za-z]+[ \t]*[{(]")
HINT = "Fix the .bib file at that line (BibTeX syntax: @type{key, field = {value}, ...})."


@dataclass(frozen=True)
class BibEntry:
    """One entry, its values with @strings expanded (LaTeX still in them)."""

    key: str
    type: str  # lowercased: article, inproceedings, ...
    line: int  # of the `@type{`
    fields: dict[str, str] = field(default_factory=dict)  # lowercased names
    field_lines: dict[str, int] = field(default_factory=dict)


def read_bib(path: Path, shown: str) -> list[BibEntry]:
    """The file's entries; `shown` is its name in messages (project-relative)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArticleSyntaxError(shown, 1, f"the bibliography is {size / 2**20:.1f} MB, more than the "
                                               f"{MAX_FILE_BYTES // 2**20} MB a .bib file may have",
                                     "Keep only the entries the site cites.")
        raw = path.read_bytes()
    except OSError as error:
        raise ArticleSyntaxError(shown, 1, f"cannot read the bibliography: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ArticleSyntaxError(shown, line, f"the bibliography is not UTF-8 (byte {raw[error.start]:#x})",
                                 "Save the .bib file as UTF-8.") from None
    return parse_bib(text, shown)


# Characters no page or feed may hold (XML 1.0 refuses them): a .bib with one is damaged.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_bib(text: str, shown: str) -> list[BibEntry]:
    if found := CONTROL.search(text):
        line = text.count("\n", 0, found.start()) + 1
        raise ArticleSyntaxError(shown, line, f"the bibliography holds a control character "
                                              f"(U+{ord(found.group()):04X}), which no page or feed can show",
                                 "Remove it (the file may be damaged, or not a text file).")
    return _Reader(text, shown).entries()


class _Reader:
    def __init__(self, text: str, shown: str):
        self.text, self.shown, self.pos = text, shown, 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.strings: dict[str, str] = dict(MONTHS)
        self.total = 0  # characters of expanded values so far
        self.entry = ""  # the key being read, for messages

    # -- where --------------------------------------------------------------------------
    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def fail(self, pos: int, message: str, hint: str = HINT, is_line: bool = False) -> ArticleSyntaxError:
        """The error at the line of offset `pos` (or at line `pos` itself)."""
        where = f"entry '{self.entry}': " if self.entry else ""
        return ArticleSyntaxError(self.shown, pos if is_line else self.line(pos), where + message, hint)

    def skip_space(self) -> None:
        self.pos = SPACE.match(self.text, self.pos).end()

    # -- the file -----------------------------------------------------------------------
    def entries(self) -> list[BibEntry]:
        found: list[BibEntry] = []
        seen: dict[str, int] = {}
        text = self.text
        while (at := text.find("@", self.pos)) >= 0:
            self.pos, self.entry = at + 1, ""
            name = IDENT.match(text, self.pos)
            if not name:  # a stray @ between entries is a comment, as BibTeX reads it
                continue
            kind = name.group().lower()
            self.pos = name.end()
            self.skip_space()
            if kind == "comment":
                if text.startswith("{", self.pos):
                    self.braced(self.pos, keep=False)
                continue
            if self.pos >= len(text) or text[self.pos] not in "{(":
                raise self.fail(at, f"'@{name.group()}' must be followed by '{{'")
            closer = "}" if text[self.pos] == "{" else ")"
            self.pos += 1
            if kind == "preamble":  # LaTeX for BibTeX's own output: nothing to render here
                self.skip_space()
                self.value("preamble", what="@")
                self.close(closer, at, "@preamble")
            elif kind == "string":
                self.skip_space()
                label = IDENT.match(text, self.pos)
                if not label:
                    raise self.fail(self.pos, "@string needs a name: @string{name = {text}}")
                self.pos = label.end()
                self.expect_equals(label.group())
                self.strings[label.group().lower()] = self.value(label.group(), what="@string")
                self.close(closer, at, "@string")
            else:
                entry = self.read_entry(kind, at, closer)
                lowered = entry.key.lower()
                if lowered in seen:
                    raise self.fail(at, f"the key is used twice (lines {seen[lowered]} and {entry.line})",
                                    "Give each entry its own key.")
                seen[lowered] = entry.line
                found.append(entry)
        return found

    def read_entry(self, kind: str, at: int, closer: str) -> BibEntry:
        text = self.text
        self.skip_space()
        key = KEY.match(text, self.pos)
        if not key:
            raise self.fail(self.pos, f"@{kind} has no key: write @{kind}{{key, ...}}")
        self.entry, self.pos = key.group(), key.end()
        entry = BibEntry(key.group(), kind, self.line(at))
        while True:
            self.skip_space()
            if self.pos >= len(text):
                raise self.fail(at, f"the entry opened at line {self.line(at)} is never closed: "
                                    f"the file ends first", f"Add '{closer}' after its last field.")
            char = text[self.pos]
            if char == closer:
                self.pos += 1
                return entry
            if char == ",":
                self.pos += 1
                continue
            if char == "@":
                raise self.fail(self.pos, f"the entry opened at line {self.line(at)} is not closed before "
                                          f"the next one starts", f"Add '{closer}' after its last field.")
            name = IDENT.match(text, self.pos)
            if not name:
                raise self.fail(self.pos, f"expected a field (name = {{value}}) or '{closer}', found {char!r}")
            fname, name_line = name.group().lower(), self.line(self.pos)
            self.pos = name.end()
            self.expect_equals(fname)
            line = self.line(self.pos)
            value = self.value(fname, name_line)
            if fname in entry.fields:
                raise self.fail(self.pos, f"field '{fname}' is given twice (lines {entry.field_lines[fname]} "
                                          f"and {line})", "Keep one of them.")
            entry.fields[fname], entry.field_lines[fname] = value, line
            end = self.pos
            self.skip_space()
            if text.startswith("@", self.pos) and self.line(end) > line:
                # The value took the brace meant for the entry: one is missing inside it.
                raise self.fail(line, f"field '{fname}' runs from line {line} to line {self.line(end)} and the entry "
                                      f"is not closed before the next one (line {self.line(self.pos)})",
                                f"A '}}' is missing in field '{fname}'.", is_line=True)
            if self.pos < len(text) and text[self.pos] not in ("," + closer):
                raise self.fail(self.pos, f"field '{fname}' must be followed by ',' or '{closer}', "
                                          f"found {text[self.pos]!r}",
                                "Put a ',' between fields; join parts of a value with '#'.")

    def expect_equals(self, what: str) -> None:
        self.skip_space()
        if not self.text.startswith("=", self.pos):
            raise self.fail(self.pos, f"'{what}' must be followed by '='")
        self.pos += 1
        self.skip_space()

    def close(self, closer: str, at: int, what: str) -> None:
        self.skip_space()
        if not self.text.startswith(closer, self.pos):
            raise self.fail(at, f"{what} opened at line {self.line(at)} is not closed by '{closer}'")
        self.pos += 1

    # -- values -------------------------------------------------------------------------
    def value(self, fname: str, name_line: int = 0, what: str = "field") -> str:
        """`{...}`, `"..."`, a number or an @string name, joined by `#`, expanded."""
        text, parts, length = self.text, [], 0
        fname = f"{what} '{fname}'" if what != "@" else "@preamble"
        while True:
            start = self.pos
            char = text[self.pos] if self.pos < len(text) else ""
            if char == "{":
                part = self.braced(self.pos)
            elif char == '"':
                part = self.quoted(self.pos)
            elif number := NUMBER.match(text, self.pos):
                part, self.pos = number.group(), number.end()
            elif name := IDENT.match(text, self.pos):
                self.pos = name.end()
                if name.group().lower() not in self.strings:
                    raise self.fail(start, f"{fname}: {name.group()!r} is not an @string",
                                    "Put the value in braces: field = {text}.")
                part = self.strings[name.group().lower()]
            else:
                shown = repr(char) if char else "the end of the file"
                raise self.fail(name_line or self.line(start), f"{fname} has no value (found {shown})",
                                "Write field = {value}.", is_line=True)
            length += len(part)
            self.total += len(part)
            if length > MAX_VALUE_CHARS:
                raise self.fail(start, f"{fname} is longer than {MAX_VALUE_CHARS:,} characters "
                                       f"once its @strings are expanded",
                                "Shorten it (or an @string that refers to itself through '#').")
            if self.total > MAX_TOTAL_CHARS:
                raise self.fail(start, f"the bibliography's values add up to more than {MAX_TOTAL_CHARS:,} "
                                       f"characters once @strings are expanded", "Keep only the entries the site cites.")
            parts.append(part)
            self.skip_space()
            if not text.startswith("#", self.pos):
                return "".join(parts)
            self.pos += 1
            self.skip_space()

    def braced(self, start: int, keep: bool = True) -> str:
        """The text inside balanced braces that open at `start`."""
        return self._delimited(start, BRACED_STOP, "{", keep)

    def quoted(self, start: int) -> str:
        return self._delimited(start, QUOTED_STOP, '"', True)

    def _delimited(self, start: int, stops: re.Pattern, opener: str, keep: bool) -> str:
        text, depth, pos = self.text, 0, start + 1
        for stop in stops.finditer(text, pos):
            char = stop.group()
            if char == "{":
                depth += 1
                if depth > MAX_BRACE_DEPTH:
                    raise self.fail(stop.start(), f"braces nest more than {MAX_BRACE_DEPTH} deep")
            elif char == "}":
                if depth == 0:
                    if opener == "{":
                        self.pos = stop.end()
                        return text[start + 1:stop.start()] if keep else ""
                    raise self.fail(stop.start(), "a '}' closes nothing inside this quoted value",
                                    "BibTeX counts every brace, \\} included: balance them.")
                depth -= 1
            elif char == '"':
                if depth == 0:
                    self.pos = stop.end()
                    return text[start + 1:stop.start()]
            elif keep:  # a commented-out entry inside @comment{...} is fine
                raise self.fail(start, f"the '{opener}' opened at line {self.line(start)} is not closed before the "
                                       f"entry at line {self.line(stop.start() + 1)}",
                                f"Add the missing '{'}' if opener == '{' else opener}'.")
        raise self.fail(start, f"the '{opener}' opened at line {self.line(start)} is never closed: the file ends first",
                        f"Add the missing '{'}' if opener == '{' else opener}'.")
