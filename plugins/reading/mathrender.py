"""TeX -> HTML at build time, by KaTeX in node: a document's new formulas go to one KaTeX
process (extension.py calls it as each document is read; mathcache.py keeps what it made).

pymdownx.arithmatex (generic mode) leaves `<span class="arithmatex">\\(...\\)</span>` and
`<div class="arithmatex">\\[...\\]</div>` in the HTML. Here each one is replaced by
KaTeX's HTML + MathML, so pages and the Atom feed carry real math and readers need
only KaTeX's CSS and fonts, not its script.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("katex_render.js")
# The TeX inside arithmatex's generic markup (HTML-escaped, delimiters kept).
MATH = re.compile(r'<(?P<tag>span|div) class="arithmatex"(?P<attrs>[^>]*)>'
                  r'(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])</(?P=tag)>', re.S)


class MathError(Exception):
    """A formula KaTeX rejects, located at its article's file and line."""


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool


def formulas(markup: str) -> list[Formula]:
    found = []
    for m in MATH.finditer(markup):
        display = m.group("display") is not None
        found.append(Formula(html.unescape(m.group("display") if display else m.group("inline")), display))
    return found


def render_batch(batch: list[Formula], katex_js: Path) -> dict[Formula, str | Exception]:
    """KaTeX's HTML for each distinct formula, or the MathError text KaTeX gave."""
    unique = list(dict.fromkeys(batch))
    if not unique:
        return {}
    node = shutil.which("node")
    if node is None:
        raise MathError("reading: the site has math and `node` is not on PATH; install Node.js "
                        "(https://nodejs.org) so formulas are rendered when the site is built")
    done = subprocess.run([node, str(SCRIPT), str(katex_js)], capture_output=True, text=True,
                          input=json.dumps([{"tex": f.tex, "display": f.display} for f in unique]))
    if done.returncode != 0:
        raise MathError(f"reading: KaTeX ({katex_js}) failed: {done.stderr.strip()}")
    results = json.loads(done.stdout)
    return {f: (r["html"] if "html" in r else MathError(r["error"])) for f, r in zip(unique, results)}


def replace_math(markup: str, rendered: dict[Formula, str | Exception]) -> str:
    """Swap each formula for its rendering; one KaTeX rejected (an Exception) stays as it was
    (the build stops anyway, with `bad_formula` naming where it is)."""

    def swap(m: re.Match) -> str:
        display = m.group("display") is not None
        formula = Formula(html.unescape(m.group("display") if display else m.group("inline")), display)
        result = rendered.get(formula)
        if result is None or isinstance(result, Exception):
            return m.group(0)
        tag = m.group("tag")
        attrs = m.group("attrs")
        if display and "tabindex" not in attrs:
            # A long equation scrolls sideways inside its box: reachable and named for keyboards.
            attrs += ' tabindex="0" role="region" aria-label="Equation"'
        return f'<{tag} class="arithmatex"{attrs}>{result}</{tag}>'

    return MATH.sub(swap, markup)


def bad_formula(source_path: str | None, tex: str, reason: str) -> MathError:
    """The error for a formula KaTeX rejected: `file:line: reason; fix ...`."""
    return MathError(f"{source_line(source_path, tex)}: {reason}; fix the formula (KaTeX supports "
                     f"https://katex.org/docs/supported.html)")


def source_line(source_path: str | None, tex: str) -> str:
    """`file:line` of the first line of the source that holds this TeX (or the file alone)."""
    if not source_path:
        return "<unknown file>"
    try:
        text = Path(source_path).read_text(encoding="utf-8")
    except OSError:
        return source_path
    first = first_line(tex)
    position = text.find(first) if first else -1
    shown = _relative(source_path)
    if position < 0:
        return shown
    return f"{shown}:{text.count(chr(10), 0, position) + 1}"


def first_line(tex: str) -> str:
    """What a source is searched for to find a formula: its first non-blank TeX line."""
    return tex.strip().splitlines()[0].strip() if tex.strip() else ""


def _relative(path: str) -> str:
    """content/x.md when the build runs from the project (as invoke does), else the full path."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(Path.cwd())) if resolved.is_relative_to(Path.cwd()) else path
