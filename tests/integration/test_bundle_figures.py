"""The reader's rerun draws the page's figures: the bundle's notebook, run with plain
`jupyter execute` from the unzipped folder (no engine, no engine environment), gives every
figure the pixel size the page's figure has (fig-width/fig-height, the article's default
size and fig-dpi travel as plain matplotlib cells), and a block that writes to
EXECBLOCKS_SCRATCH, as the README tells authors to, runs there too."""

from __future__ import annotations

import base64
import io
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from support import Project, parse_html

pytestmark = pytest.mark.slow

ARTICLE = """\
---
title: Sizes
date: 2026-01-04
slug: sizes
fig-width: 5
fig-height: 3
---

```{python}
import os
import matplotlib.pyplot as plt
with open(os.path.join(os.environ["EXECBLOCKS_SCRATCH"], "note.txt"), "w") as handle:
    handle.write("scratch")
plt.plot([1, 2, 3])
plt.title("The article's default size")
plt.legend(["a line"], loc="upper left");
```

```{python}
#| fig-width: 4
#| fig-height: 7
fig, axes = plt.subplots(2, 1)
axes[0].plot([3, 1, 2]); axes[1].bar(["a", "b"], [1, 2])
plt.show()
plt.plot([0, 1]);
```

```{python}
#| fig-dpi: 96
plt.scatter([1, 2], [2, 1]);
```
"""


def plain_environment() -> dict[str, str]:
    """The reader's environment: nothing the engine or this repository sets."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("EXECBLOCKS_", "PYTHON", "BLOG_", "BNLAB_", "MPL"))}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_jupyter_execute_of_the_bundle_draws_the_pages_figures_at_the_pages_sizes(tmp_path):
    project = Project(tmp_path / "project")
    project.write("content/sizes.md", ARTICLE)
    project.build()
    page = project.html("sizes")
    # the page's full-size figures, in page order (their src; srcset holds the narrower ones)
    sources = [img["src"] for img in parse_html(page).find_all("img") if img["src"].endswith(".png")]
    page_sizes = [png_size((project.output / src).read_bytes()) for src in sources]
    assert len(page_sizes) == 4

    unpacked = tmp_path / "reader"
    with zipfile.ZipFile(io.BytesIO((project.output / "results/sizes/sizes.zip").read_bytes())) as archive:
        archive.extractall(unpacked)
    bundle = unpacked / "sizes"
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run([str(jupyter), "execute", "content/sizes.ipynb", "--output=sizes-rerun"], cwd=bundle,
                          env=plain_environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rerun = nbformat.read(bundle / "content/sizes-rerun.ipynb", as_version=4)
    rerun_sizes = [png_size(base64.b64decode(o["data"]["image/png"])) for cell in rerun.cells
                   for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(rerun_sizes) == len(page_sizes)
    for (w, h), (pw, ph) in zip(rerun_sizes, page_sizes):
        # The same size and resolution. Jupyter crops to the artists' extents (savefig's
        # tight box), the page to the pixels drawn, plus the same padding: they may differ by
        # a few pixels (a title's descent), never by the 30-60 % of a lost figure size.
        assert abs(w - pw) <= max(3, 0.015 * pw) and abs(h - ph) <= max(3, 0.015 * ph), (rerun_sizes, page_sizes)
    # 5 x 3 in at 192 px/in, cropped: far from matplotlib's default 6.4 x 4.8 in at 100
    assert page_sizes[0][0] > 800 and page_sizes[1][1] > page_sizes[1][0]
