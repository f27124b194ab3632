"""A build that executes nothing must not pay for the execution stack.

nbformat (and jsonschema under it), nbclient, jupyter_client/zmq, PIL, numpy, pandas, torch
and citeproc cost ~170 ms of CPU to import together; the engine imports each inside the
function that needs it. (PyYAML, ~19 ms, is not among them: block options and headers are
read by its C loader, and `invoke build` has imported it before Pelican starts.) This imports, in a fresh interpreter, every plugin module a no-op
build loads and parses a Markdown article with blocks and options, then checks that none of
those modules was loaded beyond what Pelican's own modules load (its reST reader pulls in
PIL through docutils, which costs a plain Pelican build just as much).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("nbformat", "jsonschema", "PIL", "numpy", "citeproc", "pandas", "torch", "zmq", "nbclient",
         "jupyter_client", "matplotlib")

PROBE = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
HEAVY = json.loads(sys.argv[2])

def loaded():
    return sorted(name for name in HEAVY if name in sys.modules)

# What Pelican itself loads (a build without the engine pays for these too).
import pelican, pelican.readers, pelican.generators, pelican.writers, pelican.plugins.signals
pelican_own = loaded()

import execblocks, reading
# Not execblocks.site.downloads: site/results_generator.py imports it only when a download must be (re)written.
import execblocks.site.results_generator, execblocks.site.reader, execblocks.render.srcset, execblocks.site.atomic_output, execblocks.site.plain_errors
import execblocks.render.blocks, execblocks.references.citations, execblocks.references.crossref, execblocks.store.images
import reading.feed, reading.mathrender, reading.regions, reading.sidenotes, reading.sitemap, reading.toc
from execblocks.source.parse import parse_text

root = Path(sys.argv[3])
text = "Title: T\nDate: 2026-01-01\n\nSome prose.\n\n```{python}\n#| label: fig-one\n#| fig-cap: A line\nprint(1)\n```\n\nA value: `{python} 1 + 1`.\n"
article = parse_text(text, root / "content" / "t.md", root, root / "content")
assert len(article.blocks) == 1 and article.inline, article
print(json.dumps({"pelican": pelican_own, "after": loaded()}))
"""


def test_plugins_import_no_execution_stack(tmp_path):
    (tmp_path / "content").mkdir()
    done = subprocess.run([sys.executable, "-c", PROBE, str(REPO / "plugins"), json.dumps(HEAVY), str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    added = sorted(set(found["after"]) - set(found["pelican"]))
    assert added == [], f"the plugins import {added} at import time; import them where they are used"
