"""Articles -> executable blocks, with their options and source lines.

The syntax is Quarto's: a fence whose info string is `{python}` runs; `#| key: value`
lines at the top of the block are its options (YAML values); `` `{python} expr` `` in
prose is an inline value. A plain ```` ```python ```` fence is only highlighted.

`find_fences` is the one fence scanner, run once per article per build: the Markdown
extension in render.py swaps the lines each Block records (fence_line..close_line), so
execution and rendering can never disagree about which block is which.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .config import BlockOptions, OptionError, validate_options
from .errors import ArticleSyntaxError

# An opening fence: up to 3 spaces, then 3+ backticks or tildes, then the info string.
FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
EXECUTABLE_INFO = re.compile(r"^\{\s*python3?\s*(?P<attrs>[^}]*)\}$")
OPTION_LINE = re.compile(r"^#\|\s?(?P<body>.*)$")
INLINE_EXPR = re.compile(r"`\{python\}\s+(?P<expr>[^`]+?)\s*`")
METADATA_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*):\s*(?P<value>.*)$")
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
    close_line: int = 0  # the closing fence's line (render.py swaps fence_line..close_line)

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

    @property
    def executable(self) -> bool:
        return bool(self.blocks or self.inline)


def find_fences(lines: list[str]) -> list[Fence]:
    """Every fenced region, outermost only (a ```{python} shown inside a ````markdown
    example fence is text, not a block)."""
    fences, i = [], 0
    while i < len(lines):
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


def _find_close(lines: list[str], start: int, fence: str) -> int:
    closer = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start, len(lines)):
        if closer.match(lines[j]):
            return j
    return len(lines)


def parse_text(text: str, path: Path, root: Path, content_dir: Path, defaults: dict | None = None) -> Article:
    """`defaults`: the site's block options (EXECBLOCKS_BLOCK_DEFAULTS). Precedence is
    block `#|` lines > the article's `Execute-<option>:` header lines > site defaults."""
    lines = text.split("\n")
    rel_path = _relative(path, root)
    inherited = {**(defaults or {}), **_article_options(lines, rel_path)}
    fences = find_fences(lines)
    blocks = []
    for fence in fences:
        if not fence.executable:
            continue
        if fence.close_line >= len(lines):
            raise ArticleSyntaxError(rel_path, fence.open_line + 1, "executable block is never closed",
                                     "Close it with a line of backticks as long as its opening fence.")
        blocks.append(_parse_block(len(blocks), fence, lines, rel_path, inherited))
    inline = _inline_exprs(lines, fences)
    resolved = _resolved(path)
    article_id = resolved.relative_to(_resolved(content_dir)).with_suffix("").as_posix()
    return Article(path=resolved, rel_path=rel_path, article_id=article_id,
                   slug=_slug(lines, path), blocks=tuple(blocks), inline=tuple(inline),
                   title=_header_value(lines, "title"))


def parse_article(path: Path, root: Path, content_dir: Path, defaults: dict | None = None) -> Article:
    return parse_text(Path(path).read_text(encoding="utf-8"), Path(path), root, content_dir, defaults)


def _article_options(lines: list[str], rel_path: str) -> dict:
    """Block options the article's header sets for all its blocks (`Execute-Echo: false`)."""
    found = {}
    for number, line in enumerate(lines):
        if not line.strip():
            break
        match = METADATA_LINE.match(line)
        if not match or not match["key"].lower().startswith(ARTICLE_OPTION_PREFIX):
            continue
        name = match["key"].lower().removeprefix(ARTICLE_OPTION_PREFIX)
        try:
            value = yaml.safe_load(match["value"]) if match["value"].strip() else None
            validate_options({name: value})
        except (yaml.YAMLError, OptionError) as error:
            raise ArticleSyntaxError(rel_path, number + 1, f"header option {match['key']}: {error}") from None
        found[name] = value
    return found


def _parse_block(index: int, fence: Fence, lines: list[str], rel_path: str, inherited: dict) -> Block:
    body = [lines[j] for j in fence.body_range]
    option_lines = []
    for line in body:
        match = OPTION_LINE.match(line)
        if not match:
            break
        option_lines.append(match["body"])
    fence_line = fence.open_line + 1
    attrs = EXECUTABLE_INFO.match(fence.info)["attrs"].strip()
    if attrs:
        raise ArticleSyntaxError(rel_path, fence_line, f"unsupported fence attributes {attrs!r}",
                                 "Put options on `#| key: value` lines at the top of the block.")
    try:
        raw = yaml.safe_load("\n".join(option_lines)) if option_lines else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = fence_line + 1 + (mark.line if mark else 0)
        raise ArticleSyntaxError(rel_path, line, f"block options are not valid YAML: {exc}",
                                 "Write each option as `#| key: value`.") from None
    if not isinstance(raw, dict):
        raise ArticleSyntaxError(rel_path, fence_line + 1, "block options must be `#| key: value` lines")
    try:
        validate_options(raw)
    except OptionError as error:
        line = fence_line + 1 + next((n for n, text in enumerate(option_lines)
                                      if text.strip().startswith(f"{error.key}:")), 0)
        raise ArticleSyntaxError(rel_path, line, str(error)) from None
    options = BlockOptions(**validate_options({**inherited, **raw}))
    code = "\n".join(body[len(option_lines):])
    return Block(index=index, code=code, options=options, fence_line=fence_line,
                 code_line=fence_line + 1 + len(option_lines), close_line=fence.close_line + 1)


def _inline_exprs(lines: list[str], fences: list[Fence]) -> list[InlineExpr]:
    inside = set()
    for fence in fences:
        inside.update(range(fence.open_line, fence.close_line + 1))
    found = []
    for number, line in enumerate(lines):
        if number in inside:
            continue
        for match in INLINE_EXPR.finditer(line):
            found.append(InlineExpr(expr=match["expr"], line=number + 1))
    return found


def _slug(lines: list[str], path: Path) -> str:
    """Pelican's `Slug:` metadata when the header has it, else the file's stem."""
    return _header_value(lines, "slug") or path.stem


def _header_value(lines: list[str], key: str) -> str | None:
    for line in lines:
        if not line.strip():
            break
        match = METADATA_LINE.match(line)
        if match and match["key"].lower() == key:
            return match["value"].strip()
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return _resolved(path).relative_to(_resolved(root)).as_posix()
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=4096)
def _resolved(path) -> Path:
    # Resolving is a system call per path component; a build asks for the same few
    # folders once per article (thousands of times on a big site).
    return Path(path).resolve()


def discover(content_dir: Path, root: Path, defaults: dict | None = None) -> list[Article]:
    """Every Markdown article under the content folder, parsed, in a stable order."""
    paths = sorted(p for p in content_dir.rglob("*.md") if not any(part.startswith(".") for part in p.parts))
    return [parse_article(p, root, content_dir, defaults) for p in paths]
