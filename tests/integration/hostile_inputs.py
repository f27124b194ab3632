"""Seeded generators of hostile and careless article headers and .bib files, and the
child process that builds each one with the real Pelican under a time and memory limit
(test_fuzz_inputs.py drives it).

`python hostile_inputs.py SEED CASES WORKDIR` builds CASES generated sites one after the
other in this interpreter, with RLIMIT_AS set and each build under SIGALRM, and prints one
JSON line per case: {"case", "outcome", "detail"}, where outcome is
- "built": no error logged, and the page loads nothing from another host;
- "error": the build stopped or logged errors, every one naming a file and line;
- "hang", "memory", "crash", "no-file", "foreign": what the test fails on ("foreign": the
  page makes the browser fetch something from another host by itself).
"""

from __future__ import annotations

import json
import logging
import random
import re
import resource
import shutil
import signal
import sys
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CASE_SECONDS = 30  # a build of one small article takes well under a second; only a hang hits this
MEMORY_BYTES = 3 * 2**30
# A file:line a message points at: "content/a.md:3: ..." or "content/refs.bib:12: ...".
LOCATED = re.compile(r"(?:^|\s)[\w./-]+\.(?:md|qmd|ipynb|bib):\d+: ")
URL_LOADS = {"src", "srcset", "poster", "data", "background", "action", "formaction", "manifest", "ping"}
FOREIGN_URL = re.compile(r"(?i)^[\x00-\x20]*(?:[a-z][a-z0-9+.-]*:|[/\\]{2})")
CSS_FETCH = re.compile(r"(?i)url\s*\(|image-set|@import|\\")
EVIL = "evil.example"

WORDS = ["batch", "norm", "deep", "net", "{BatchNorm}", "Schr\\\"odinger", "caf\\'e", "50\\%", "A \\& B",
         "\\emph{fast}", "{\\em slow}", "\\textit{it}", "\\textbf{bold}", "$x^2$", "\\url{https://a.org/x}",
         "--", "---", "~", "\\\\", "\\unknown{arg}", "\\'{\\i}", "{\\\"u}", "\\c{c}", "\\ss{}",
         f"<img src=\"//{EVIL}/t.png\">", f"<span style=\"background:url(https://{EVIL}/b.png)\">s</span>",
         "<script>alert(1)</script>", "\\href{https://a.org}{text}", "é", "日本", "\u202e", "\x00", "\ue000"]


def _word(rng: random.Random) -> str:
    return rng.choice(WORDS)


def _text(rng: random.Random, n: int) -> str:
    return " ".join(_word(rng) for _ in range(n))


def make_bib(rng: random.Random) -> tuple[str, list[str]]:
    """A .bib file and the keys it defines (before any damage)."""
    keys, chunks = [], []
    if rng.random() < 0.2:  # an @string chain, doubling each time
        depth = rng.choice([3, 10, 20, 40, 64])
        chunks.append('@string{s0 = "ab"}')
        chunks += [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, depth)]
        doubled = f"s{depth - 1}"
    else:
        doubled = None
    for number in range(rng.randint(1, 5)):
        key = f"key{number}"
        keys.append(key)
        kind = rng.choice(["article", "inproceedings", "book", "misc", "online", "techreport"] * 3 + ["weird"])
        fields = {"author": " and ".join(f"{_text(rng, 1)}, {_text(rng, 1)}" for _ in range(rng.randint(1, 4))),
                  "title": _text(rng, rng.randint(1, 8)), "year": rng.choice(["2015", "{2016}", "in press", "20x"])}
        if rng.random() < 0.5:
            fields["journal"] = _text(rng, 3)
        if rng.random() < 0.3:
            fields["pages"] = rng.choice(["1--9", "12", "a-b"])
        if rng.random() < 0.3:
            fields["url"] = rng.choice([f"https://{EVIL}/paper", "javascript:alert(1)", "https://a.org/x"])
        if rng.random() < 0.1:
            fields["abstract"] = "x" * rng.choice([1000, 200_000])
        if rng.random() < 0.15:
            depth = rng.choice([5, 40, 500])
            fields["note"] = "{" * depth + "deep" + "}" * depth
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
        if doubled and rng.random() < 0.5:
            body += f",\n  series = {doubled}"
        chunks.append(f"@{kind}{{{key},\n{body}\n}}")
    text = "\n\n".join(chunks) + "\n"
    damage = rng.random()
    if damage < 0.1:  # truncated
        text = text[:rng.randint(0, len(text))]
    elif damage < 0.2:  # one brace dropped or doubled
        braces = [i for i, c in enumerate(text) if c in "{}"]
        if braces:
            at = rng.choice(braces)
            text = text[:at] + (text[at] * 2 if rng.random() < 0.5 else "") + text[at + 1:]
    elif damage < 0.23:
        text = text.replace("=", "", 1)
    elif damage < 0.3:
        text = text.replace("\n", "\r\n")
    return text, keys


def make_header(rng: random.Random, keys: list[str]) -> str:
    """An article: a YAML (or Pelican) header, prose that cites, maybe a block."""
    choice = rng.random()
    if choice < 0.1:  # an alias bomb
        width, depth = rng.choice([(9, 9), (10, 12), (3, 30)])
        lines = ["title: Bomb", "date: 2026-01-01", "bibliography: refs.bib", 'a0: &a0 ["lol"]']
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth)]
        lines.append(rng.choice([f"tags: *a{depth - 1}", f"description: *a{depth - 1}",
                                 f"author: *a{depth - 1}", f"keywords: *a{depth - 1}"]))
        header = "---\n" + "\n".join(lines) + "\n---\n"
    elif choice < 0.13:
        header = "---\ntitle: Loop\ndate: 2026-01-01\nbibliography: refs.bib\nloop: &l\n  - *l\n---\n"
    elif choice < 0.16:
        header = "---\ntitle: Deep\ndate: 2026-01-01\nx: " + "[" * 3000 + "]" * 3000 + "\n---\n"
    elif choice < 0.19:
        header = "---\ntitle: Open\ndate: 2026-01-01\nbibliography: refs.bib\n"  # never closed
    elif choice < 0.22:
        header = "---\n- a list\n- not a mapping\n---\n"
    elif choice < 0.27:
        header = f"---\ntitle: \"{_text(rng, 2)}\ndate: 2026-01-01\n---\n"  # unbalanced quote
    elif choice < 0.45:
        header = "Title: Pelican header\nDate: 2026-01-01\nBibliography: refs.bib\n\n"
    else:
        extra = rng.choice([""] * 8 + ["echo: false\n", "execute:\n  echo: maybe\n", "bibliography: [refs.bib, nope.bib]\n",
                            "bibliography: {a: b}\n", "date: not-a-date\n", "author: [{name: Ada}, Bob]\n",
                            "categories: [x, y]\ndescription: d\n", "title: [1, 2]\n", "csl: missing.csl\n",
                            "format:\n  html:\n    code-fold: true\n", "\tbad: tab\n"])
        header = ("---\ntitle: Fuzzed\ndate: 2026-01-01\n"
                  + ("" if "bibliography" in extra else "bibliography: refs.bib\n") + extra + "---\n")
    cited = rng.sample(keys, k=min(len(keys), 2)) if keys and rng.random() < 0.9 else ["missing"]
    body = "\nSome prose [" + "; ".join(f"@{key}" for key in cited) + "] and @" + cited[0] + ".\n"
    return header + body


def case_files(seed: int, number: int) -> dict[str, str]:
    rng = random.Random(f"{seed}-{number}")
    bib, keys = make_bib(rng)
    return {"content/a.md": make_header(rng, keys), "content/refs.bib": bib}


class ForeignLoads(HTMLParser):
    """What a page makes the browser fetch by itself (links a reader clicks are fine):
    a URL attribute to another host, CSS that can fetch, a stylesheet or script from away."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name in URL_LOADS and any(FOREIGN_URL.match(part.strip()) and not part.strip().startswith("data:")
                                         for part in value.split(",")):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and CSS_FETCH.search(value):
                self.found.append(f"<{tag} style={value!r}>")
            if tag in ("link", "script") and name == "href" and FOREIGN_URL.match(value):
                self.found.append(f"<{tag} href={value!r}>")
        self.in_style = tag == "style"

    def handle_data(self, data):
        if self.in_style and CSS_FETCH.search(data):
            self.found.append(f"<style>{data[:200]}")

    def handle_endtag(self, tag):
        self.in_style = False


def foreign_loads(page: str) -> list[str]:
    parser = ForeignLoads()
    parser.feed(page)
    parser.close()
    return parser.found


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class Hang(BaseException):
    """Raised by SIGALRM: a BaseException, so no `except Exception` in the build hides it."""


def _alarm(signum, frame):
    raise Hang(f"no result after {CASE_SECONDS} s")


def build_case(root: Path, files: dict[str, str]) -> tuple[str, str]:
    from pelican import Pelican
    from pelican.settings import read_settings

    if root.exists():
        shutil.rmtree(root)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
    (root / "code").mkdir()
    settings = read_settings(None, override={
        "PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"),
        "PLUGIN_PATHS": [str(REPO / "plugins")], "PLUGINS": ["execblocks"], "THEME": "simple",
        "EXECBLOCKS_ROOT": str(root), "TIMEZONE": "UTC", "SITEURL": "", "RELATIVE_URLS": True,
        "FEED_ALL_ATOM": None, "CATEGORY_FEED_ATOM": None, "LOAD_CONTENT_CACHE": False,
        "CACHE_CONTENT": False})
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    signal.alarm(CASE_SECONDS)
    try:
        Pelican(settings).run()
    except Hang as error:
        return "hang", str(error)
    except MemoryError:
        return "memory", "MemoryError"
    except Exception as error:  # noqa: BLE001 - classified, not hidden
        from execblocks.errors import ExecBlocksError

        message = str(error)
        if isinstance(error, ExecBlocksError) and LOCATED.search(message):
            return "error", message
        return ("no-file" if isinstance(error, ExecBlocksError) else "crash"), f"{type(error).__name__}: {message}"
    finally:
        signal.alarm(0)
        logging.getLogger().removeHandler(errors)
    if errors.messages:
        unlocated = [m for m in errors.messages if not LOCATED.search(m) and not m.startswith("Could not process")]
        if unlocated or not any(LOCATED.search(m) for m in errors.messages):
            return "no-file", " | ".join(errors.messages)[:2000]
        return "error", errors.messages[0][:2000]
    for page in (root / "output").glob("*.html"):
        loads = foreign_loads(page.read_text(encoding="utf-8"))
        if loads:
            return "foreign", f"{page.name}: {loads[:3]}"
    return "built", ""


def main(seed: int, cases: int, workdir: Path) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    signal.signal(signal.SIGALRM, _alarm)
    sys.path.insert(0, str(REPO / "plugins"))
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)  # stdout carries the JSON lines only
    for number in range(cases):
        outcome, detail = build_case(workdir / f"case{number}", case_files(seed, number))
        print(json.dumps({"case": number, "outcome": outcome, "detail": detail}), flush=True)
        shutil.rmtree(workdir / f"case{number}", ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
