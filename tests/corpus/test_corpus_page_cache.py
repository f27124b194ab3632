"""The page cache (plugins/execblocks/site/page_cache.py) on articles other people wrote,
not only on the engine's own fixtures: Quarto's getting-started document (a figure and its
cross-reference), Quarto's cross-reference notebook (labelled equations: KaTeX's formula
cache, which a reused page must not empty) and an nbsphinx gallery notebook whose figures
have no alt text (the read warns; a reused page must warn again).

After one build, a build in a fresh interpreter, as `invoke build` runs, puts none of them
through Markdown again, compiles no template, writes every page byte for byte as before,
and says the warnings.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_build import REPO, build_many
from support import COUNT_COMPILED_TEMPLATES

pytestmark = pytest.mark.slow

CASES = ["quarto-hello", "quarto-crossref-nb", "nbsphinx-cell-tag"]
# The build a fresh interpreter runs: build_many's settings, and the articles it converts.
FRESH_BUILD = """
import contextlib, json, sys
sys.path.insert(0, {plugins!r})
from pelican import Pelican
from pelican.settings import read_settings
from execblocks.site.reader import ExecMarkdownReader
converted = []
convert = ExecMarkdownReader._convert
def counting(self, *args, **kwargs):
    converted.append(str(self._source_path))
    return convert(self, *args, **kwargs)
ExecMarkdownReader._convert = counting
{count_compiled}settings = read_settings({conf!r}, override={{"PATH": {content!r}, "OUTPUT_PATH": {output!r},
    "EXECBLOCKS_ROOT": {root!r}, "CACHE_PATH": {cache!r}, "FEED_ALL_ATOM": None}})
with contextlib.chdir({repo!r}):
    Pelican(settings).run()
print("COMPILED", json.dumps(sorted({{name for name in compiled if name}})))
print("CONVERTED", json.dumps(converted))
"""


def pages(output: Path) -> dict[str, str]:
    return {p.relative_to(output).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(output.rglob("*.html"))}


def test_a_fresh_build_reuses_every_foreign_page_and_writes_the_same_site(tmp_path):
    build_many(CASES, tmp_path)
    # The read warned, and the entry keeps the warning (asked of the entry: Pelican's log, in
    # this process, drops a warning it already showed, and the corpus tests build this case too).
    entries = [json.loads(p.read_text()) for p in (tmp_path / "cache" / "execblocks" / "pages").glob("*.json")]
    assert len(entries) == 3
    [cell_tag] = [e for e in entries if e["source"].endswith("cell-tag.ipynb")]
    assert any("neither fig-alt nor fig-cap" in message for _, _, message, _ in cell_tag["warnings"])
    output = tmp_path / "output"
    first = pages(output)
    katex = json.loads((tmp_path / "cache" / "reading" / "katex.json").read_text())
    code = FRESH_BUILD.format(count_compiled=COUNT_COMPILED_TEMPLATES,
                              plugins=str(REPO / "plugins"), conf=str(REPO / "pelicanconf.py"),
                              content=str(tmp_path / "content"), output=str(output), root=str(tmp_path),
                              cache=str(tmp_path / "cache"), repo=str(REPO))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, COLUMNS="400"))  # Pelican's log lines unwrapped
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.split("CONVERTED ")[-1]) == []  # every page taken from the cache
    # and every template from its compiled code (site/template_cache.py)
    assert json.loads(done.stdout.split("COMPILED ")[-1].splitlines()[0]) == []
    assert pages(output) == first
    said = done.stdout + done.stderr
    assert "cell-tag.ipynb" in said and "neither fig-alt nor fig-cap" in said  # the warning, again
    assert json.loads((tmp_path / "cache" / "reading" / "katex.json").read_text()) == katex
