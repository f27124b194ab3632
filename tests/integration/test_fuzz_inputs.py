"""Fuzz: seeded random and adversarial YAML headers and .bib files (truncated, unbalanced,
nested, doubled @strings, huge fields, LaTeX, HTML) built with the real Pelican in a child
process under a memory limit, each build under a time limit. Every case ends in a clean
build whose page loads nothing from another host, or in an error naming a file and line:
never a hang, an out-of-memory, a traceback, or an error that names no file.

FUZZ_SEED / FUZZ_CASES widen the search (the defaults keep it to about a minute)."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from hostile_inputs import CASE_SECONDS, case_files  # noqa: E402

SEED = int(os.environ.get("FUZZ_SEED", "2024"))
CASES = int(os.environ.get("FUZZ_CASES", "40"))


@pytest.mark.slow
def test_hostile_headers_and_bibliographies_end_cleanly_or_at_a_file_and_line(tmp_path):
    child = subprocess.run([sys.executable, str(HERE / "hostile_inputs.py"), str(SEED), str(CASES), str(tmp_path)],
                           capture_output=True, text=True, timeout=CASES * CASE_SECONDS + 120,
                           env=dict(os.environ, OMP_NUM_THREADS="1"))
    results = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
    assert len(results) == CASES, f"the child stopped after {len(results)} cases:\n{child.stderr[-3000:]}"
    bad = [r for r in results if r["outcome"] not in ("built", "error")]
    report = "\n\n".join(f"case {r['case']} ({r['outcome']}): {r['detail'][:600]}\n--- content/a.md:\n"
                         f"{case_files(SEED, r['case'])['content/a.md'][:400]}" for r in bad[:5])
    assert not bad, f"{len(bad)} of {CASES} cases failed:\n{report}"
    outcomes = Counter(r["outcome"] for r in results)
    assert outcomes["built"] and outcomes["error"], outcomes  # the generator reaches both ends


def test_the_generator_is_seeded():
    assert case_files(7, 3) == case_files(7, 3)
    assert case_files(7, 3) != case_files(7, 4)


def test_the_page_check_finds_foreign_loads_and_ignores_escaped_text_and_links():
    from hostile_inputs import foreign_loads

    assert foreign_loads('<p>&lt;img src="//evil.example/x"&gt; <a href="https://a.org">a</a>'
                         '<img src="figures/a.png" srcset="a-720.png 720w, a.png 2x"></p>') == []
    for page in ('<img src="//evil.example/x">', '<img src=" https://evil.example/x">',
                 '<img srcset="a.png 1x, https://evil.example/b.png 2x">',
                 '<div style="background:url(a.png)">', '<style>@import "x.css";</style>',
                 '<link rel="stylesheet" href="https://evil.example/s.css">'):
        assert foreign_loads(page), page
