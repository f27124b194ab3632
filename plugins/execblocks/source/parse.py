"""Articles -> executable blocks, with their options and source lines.

The syntax is Quarto's: a fence whose info string is `{python}` runs; `#| key: value`
lines at the top of the block are its options (YAML values); `` `{python} expr` `` in
prose is an inline value. A plain ```` ```python ```` fence is only highlighted.

`find_fences` is the one fence scanner, run once per article per build: the Markdown
extension in render/blocks.py swaps the lines each Block records (fence_line..close_line), so
execution and rendering can never disagree about which block is which.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path


from execblocks.source.header import Header, blank_front_matter, execution_options, read_header
from execblocks.source.options import BlockOptions, OptionError, YamlError, ignored_notes, is_option, load_yaml, \
    unknown_option_message, validate_options
from execblocks.errors import ArticleSyntaxError

# An opening fence: up to 3 spaces, then 3+ backticks or tildes, then the info string.
FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
EXECUTABLE_INFO = re.compile(r"^\{\s*python3?\s*(?P<attrs>[^}]*)\}$")
OPTION_LINE = re.compile(r"^#\|(?P<body>.*)$")
# A Markdown code span (CommonMark: a run of n backticks, its text, the next run of exactly
# n; Python-Markdown's own rule). An inline value is a code span of ONE backtick whose text is
# `{python} expr`, as in Quarto: ``{python} x`` (two backticks) and `` `{python} x` `` are
# how Quarto's documentation shows the syntax without running it.
CODE_SPAN = re.compile(r"(?<![\\`])(?P<ticks>`+)(?P<body>.+?)(?<!`)(?P=ticks)(?!`)")
INLINE_BODY = re.compile(r"\{python\}\s+(?P<expr>[^`]+?)\s*")


def inline_expression(span: re.Match) -> str | None:
    """The expression of a CODE_SPAN match that is an inline value, else None."""
    body = INLINE_BODY.fullmatch(span["body"]) if len(span["ticks"]) == 1 else None
    return body["expr"] if body else None


# What every executable fence's info and every inline value contains: a text without it
# is prose only, and its lines need no scanning for either.
MAY_EXECUTE = re.compile(r"\{\s*python")
ARTICLE_OPTION_PREFIX = "execute-"  # `Execute-Echo: false` in the header sets echo for every block


@dataclass(frozen=True)
class Fence:
    """A fenced region of the file; lines are 0-based indexes into the file's lines."""

    open_line: int
    close_line: int  # index of the closing fence (== len(lines) when unclosed)
    info: str
    executable: bool

    @property
    def body_range(self) -> range:
        return range(self.open_line + 1, self.close_line)


@dataclass(frozen=True)
class Block:
    """One executable block. Line numbers are 1-based lines of the article file."""

    index: int  # 0-based position among the article's executable blocks
    code: str  # the source without its `#|` option lines
    options: BlockOptions
    fence_line: int  # the ```{python} line
    code_line: int  # file line of the first line of `code`
    close_line: int = 0  # the closing fence's line
    fenced_source: str = ""  # the opening fence and `#|` lines, as written (`echo: fenced`)
    # (opening, closing) fence lines in the Markdown text the article renders from:
    # render/blocks.py swaps them for the block's HTML. The file's own lines, except in a
    # notebook, whose Markdown form is generated (source/notebook_article.py).
    markdown_lines: tuple[int, int] = (0, 0)

    @property
    def code_hash(self) -> str:
        return hashlib.sha256(self.code.encode()).hexdigest()


@dataclass(frozen=True)
class InlineExpr:
    expr: str
    line: int


@dataclass(frozen=True)
class Article:
    path: Path  # absolute path of the source file
    rel_path: str  # path relative to the project root, as shown in messages
    article_id: str  # path relative to the content folder, without suffix: the results key
    slug: str
    blocks: tuple[Block, ...]
    inline: tuple[InlineExpr, ...]
    title: str | None = None  # the `Title:` header, for the slug Pelican derives from it
    notes: tuple[str, ...] = ()  # "file:line: ..." lines for the author (ignored options)
    saved_outputs: bool = False  # a notebook shown with the outputs saved in it, not run
    header: Header = field(default_factory=Header, compare=False, repr=False)  # read once, here
    # The Markdown the article amounts to (a notebook's is generated, once per build) and, for a
    # notebook, the file line of each of its lines.
    text: str = field(default="", compare=False, repr=False)
    file_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def file_line(self, line: int) -> int:
        """A line of `text` -> the line of the article's own file."""
        return self.file_lines[line - 1] if 0 < line <= len(self.file_lines) else line

    @property
    def executable(self) -> bool:
        return bool(self.blocks or self.inline)


def find_fences(lines: list[str]) -> list[Fence]:
    """Every fenced region, outermost only (a ```{python} shown inside a ````markdown
    example fence is text, not a block)."""
    fences, i = [], 0
    while i < len(lines):
        comment_end = _comment_end(lines, i)
        if comment_end is not None:
            # An HTML comment that spans lines hides everything in it from the reader, fences
            # included (Python-Markdown renders them inside the comment): a region, never run.
            fences.append(Fence(i, comment_end, "<!--", False))
            i = comment_end + 1
            continue
        match = FENCE_OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match["fence"], match["info"]
        if fence[0] == "`" and "`" in info:  # CommonMark: backtick info may not hold backticks
            i += 1
            continue
        close = _find_close(lines, i + 1, fence)
        executable = not match["indent"] and bool(EXECUTABLE_INFO.match(info))
        fences.append(Fence(i, close, info, executable))
        i = close + 1
    return fences


def _comment_end(lines: list[str], start: int) -> int | None:
    """When line `start` opens an HTML comment it does not close, the line that closes it
    (the file's end when none does); else None."""
    line = lines[start]
    if "<!--" not in line or FENCE_OPEN.match(line):
        return None
    text = re.sub(r"`[^`]*`", "", line)  # `<!--` inside a code span is text
    opened = text.rfind("<!--")
    if opened < 0 or "-->" in text[opened + 4:]:
        return None
    for j in range(start + 1, len(lines)):
        if "-->" in lines[j]:
            return j
    return len(lines) - 1


def _find_close(lines: list[str], start: int, fence: str) -> int:
    closer = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start, len(lines)):
        if closer.match(lines[j]):
            return j
    return len(lines)


def parse_text(text: str, path: Path, root: Path, content_dir: Path, defaults: dict | None = None) -> Article:
    """`defaults`: the site's block options (EXECBLOCKS_BLOCK_DEFAULTS). Precedence is
    block `#|` lines > the article's header (YAML front matter or `Execute-<option>:`
    lines) > site defaults."""
    lines = text.split("\n")
    rel_path = _relative(path, root)
    notes: list[str] = []
    header = read_header(lines, rel_path)
    if header.front is not None:
        header_options, notes = execution_options(header.front, rel_path)
        lines = blank_front_matter(lines, header.front)
    else:
        header_options = _article_options(header, rel_path)
    inherited = {**(defaults or {}), **header_options}
    if "output" in header_options:
        inherited.pop("results", None)
    if "results" in header_options:
        inherited.pop("output", None)
    may_execute = MAY_EXECUTE.search(text) is not None
    fences = find_fences(lines) if may_execute else []
    blocks: list[Block] = []
    labels: dict[str, int] = {}
    for fence in fences:
        if not fence.executable:
            continue
        if fence.close_line >= len(lines):
            raise ArticleSyntaxError(rel_path, fence.open_line + 1, "executable block is never closed",
                                     "Close it with a line of backticks as long as its opening fence.")
        block = _parse_block(len(blocks), fence, lines, rel_path, inherited, notes)
        label = block.options.label
        if label is not None and label in labels:
            raise ArticleSyntaxError(rel_path, block.fence_line, f"label {label!r} is already used by the "
                                     f"block at line {labels[label]}", "Labels become HTML ids: make each unique.")
        if label is not None:
            labels[label] = block.fence_line
        blocks.append(block)
    inline = _inline_exprs(lines, fences) if may_execute else []
    resolved = _resolved(path)
    article_id = resolved.relative_to(_resolved(content_dir)).with_suffix("").as_posix()
    slug = header.text("slug").strip() if header.text("slug") else path.stem  # Pelican's `Slug:`, else the file's stem
    title = header.text("title") if header.front is not None else header.title
    return Article(path=resolved, rel_path=rel_path, article_id=article_id, slug=slug, blocks=tuple(blocks),
                   inline=tuple(inline), notes=tuple(notes), title=title, header=header, text=text)


def parse_article(path: Path, root: Path, content_dir: Path, defaults: dict | None = None) -> Article:
    if Path(path).suffix == ".ipynb":
        return parse_notebook(Path(path), root, content_dir, defaults)
    return parse_text(Path(path).read_text(encoding="utf-8"), Path(path), root, content_dir, defaults)


def parse_notebook(path: Path, root: Path, content_dir: Path, defaults: dict | None = None) -> Article:
    """A `.ipynb` article: the same Article its Markdown form gives, with every line number
    pointing into the notebook file (see source/notebook_article.py)."""
    from execblocks.source.notebook_article import map_line, read_notebook, wants_saved_outputs  # only for notebook articles

    rel_path = _relative(path, root)
    source = read_notebook(path, rel_path)

    def at(line: int) -> int:
        return map_line(line, source.file_lines)

    try:
        article = parse_text(source.text, path, root, content_dir, defaults)
    except ArticleSyntaxError as error:
        raise ArticleSyntaxError(error.path, at(error.line), error.message, error.hint) from None
    notes = tuple(re.sub(r"^([^:]+):(\d+):", lambda m: f"{m[1]}:{at(int(m[2]))}:", note) for note in article.notes)
    return replace(article,
                   blocks=tuple(replace(b, fence_line=at(b.fence_line), code_line=at(b.code_line),
                                        close_line=at(b.close_line)) for b in article.blocks),
                   inline=tuple(replace(i, line=at(i.line)) for i in article.inline),
                   notes=notes, saved_outputs=wants_saved_outputs(article.header),
                   header=replace(article.header, lines={k: at(v) for k, v in article.header.lines.items()}),
                   file_lines=source.file_lines)


def _article_options(header: Header, rel_path: str) -> dict:
    """Block options a Pelican header sets for all its blocks (`Execute-Echo: false`)."""
    found = {}
    for key, value in header.fields.items():
        if not key.startswith(ARTICLE_OPTION_PREFIX):
            continue
        name = key.removeprefix(ARTICLE_OPTION_PREFIX)
        try:
            parsed = load_yaml(value) if value.strip() else None
            if not is_option(name):
                raise OptionError(name, unknown_option_message(name))
            validate_options({name: parsed})
        except (YamlError, OptionError) as error:
            raise ArticleSyntaxError(rel_path, header.line_of(key), f"header option {header.names[key]}: {error}") from None
        found[name] = parsed
    return found


def _parse_block(index: int, fence: Fence, lines: list[str], rel_path: str, inherited: dict,
                 notes: list[str]) -> Block:
    body = [lines[j] for j in fence.body_range]
    fence_line = fence.open_line + 1
    option_lines = []
    for number, line in enumerate(body):
        match = OPTION_LINE.match(line)
        if not match:
            break
        if match["body"] and not match["body"].startswith(" "):
            # Quarto only reads `#| ` (with the space) as an option; it would run this line
            # as a comment and silently drop the option. Say so instead.
            raise ArticleSyntaxError(rel_path, fence_line + 1 + number,
                                     f"option line {line.strip()!r} needs a space after '#|'",
                                     f"Write `#| {match['body'].strip()}`: Quarto reads only `#| ` lines as options.")
        option_lines.append(match["body"][1:])
    attrs = EXECUTABLE_INFO.match(fence.info)["attrs"].strip()
    if attrs:
        raise ArticleSyntaxError(rel_path, fence_line, f"unsupported fence attributes {attrs!r}",
                                 "Put options on `#| key: value` lines at the top of the block.")
    try:
        raw = _block_yaml("\n".join(option_lines)) if any(t.strip() for t in option_lines) else {}
    except YamlError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = fence_line + 1 + (mark.line if mark else 0)
        raise ArticleSyntaxError(rel_path, line, f"block options are not valid YAML: {exc}",
                                 "Write each option as `#| key: value`.") from None
    if not isinstance(raw, dict):
        raise ArticleSyntaxError(rel_path, fence_line + 1, "block options must be `#| key: value` lines")

    def line_of(key: str) -> int:
        return fence_line + 1 + next((n for n, text in enumerate(option_lines)
                                      if text.strip().startswith(f"{key}:")), 0)

    try:
        validate_options(raw)
    except OptionError as error:
        raise ArticleSyntaxError(rel_path, line_of(error.key), str(error)) from None
    for note in ignored_notes(raw):
        notes.append(f"{rel_path}:{line_of(note.split(chr(39))[1])}: {note}")
    merged = {**inherited, **raw}
    if "output" in raw and "results" in inherited:
        merged.pop("results")  # the block's own word wins over the article's
    if "results" in raw and "output" in inherited:
        merged.pop("output")
    options = BlockOptions(**validate_options(merged))
    code = "\n".join(body[len(option_lines):])
    return Block(index=index, code=code, options=options, fence_line=fence_line,
                 code_line=fence_line + 1 + len(option_lines), close_line=fence.close_line + 1,
                 fenced_source="\n".join([lines[fence.open_line].strip(), *body[:len(option_lines)]]),
                 markdown_lines=(fence_line, fence.close_line + 1))


def _block_yaml(text: str):
    """A block's `#|` lines as YAML, each distinct text read once per process: a site's blocks
    repeat the same few (`echo: false`), and libyaml plus the alias bound cost more than
    the rest of parsing a block. A copy each time, so no caller shares another's lists."""
    return copy.deepcopy(_block_yaml_once(text))


@functools.lru_cache(maxsize=4096)
def _block_yaml_once(text: str):
    return load_yaml(text)  # a YamlError is raised (and not cached) every time the text is read


def _inline_exprs(lines: list[str], fences: list[Fence]) -> list[InlineExpr]:
    inside = set()
    for fence in fences:
        inside.update(range(fence.open_line, fence.close_line + 1))
    found = []
    for number, line in enumerate(lines):
        if number in inside:
            continue
        # A comment within the line hides its inline values from the reader: never run them.
        if "{python}" not in line:
            continue
        for span in CODE_SPAN.finditer(re.sub(r"<!--.*?-->", "", line) if "<!--" in line else line):
            expr = inline_expression(span)
            if expr is not None:
                found.append(InlineExpr(expr=expr, line=number + 1))
    return found


def _relative(path: Path, root: Path) -> str:
    try:
        return _resolved(path).relative_to(_resolved(root)).as_posix()
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=4096)
def _resolved(path) -> Path:
    # Resolving is a system call per path component; a build asks for the same few
    # folders once per article (thousands of times on a big site). So a file is its
    # folder, resolved once, plus its name, when the name itself is no link (one lstat).
    path = Path(path)
    if path.name in ("", ".", "..") or not path.is_absolute() or os.path.islink(path):
        return path.resolve()
    return _resolved(path.parent) / path.name


def resolved_path(path) -> Path:
    """`Path(path).resolve()`, each folder resolved once per process (the reader asks for
    every article's path again: 200 articles, 400 resolves of six components each)."""
    return _resolved(Path(path).absolute())


ARTICLE_SUFFIXES = (".md", ".qmd", ".ipynb")


def _article_files(content_dir: Path) -> list[str]:
    """The article files under `content_dir`, hidden files and folders left out, in the order
    Path objects sort (by their parts). One os.walk with strings: with Path objects, listing
    2,000 articles cost more than reading them."""
    top = os.fspath(content_dir)
    found = []
    for folder, subfolders, files in os.walk(top):  # symlinked folders are not entered, as rglob does not
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if not name.startswith(".") and os.path.splitext(name)[1] in ARTICLE_SUFFIXES:
                path = os.path.join(folder, name)
                if os.path.isfile(path):  # a link to a file counts; a broken one does not
                    found.append(path)
    return sorted(found, key=lambda path: os.path.relpath(path, top).split(os.sep))


def discover(content_dir: Path, root: Path, defaults: dict | None = None) -> list[Article]:
    """Every article (Markdown, Quarto, Jupyter notebook) under the content folder, parsed, in a stable order."""
    articles = [parse_article(Path(p), root, content_dir, defaults) for p in _article_files(content_dir)]
    seen: dict[str, Article] = {}
    for article in articles:
        if article.article_id in seen:
            raise ArticleSyntaxError(article.rel_path, 1, f"{seen[article.article_id].rel_path} has the same "
                                     "name: their results would share one folder", "Rename one of them.")
        seen[article.article_id] = article
    return articles
