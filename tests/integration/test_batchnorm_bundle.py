"""Issue 19: the reader's rerun of the BatchNorm article draws its figures as the page does.

The real site is built from the committed results (tests/conftest.py's `built_site`); its
bundle is unzipped outside the repository and run as its README says, with plain
`jupyter execute`, in the README's short profile (`BNLAB_PROFILE=short`: every block at
smaller sizes, about a minute here) and no engine environment. Each figure of the rerun
must have the pixel size of the page's figure: the figure size (fig-width/fig-height),
resolution and crop travel in the notebook. (Before, every figure came out at
matplotlib's default 6.4 x 4.8 in: 651 x 558 px where the page has 982 x 1781.)
"""

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

from support import parse_html

pytestmark = pytest.mark.slow


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_batchnorm_bundle_reruns_with_the_pages_figure_sizes(built_site, tmp_path):
    page = (built_site / "batchnorm.html").read_text()
    sources = [img["src"] for img in parse_html(page).find("article").find_all("img") if img["src"].endswith(".png")]
    page_sizes = [png_size((built_site / src).read_bytes()) for src in sources]
    assert len(page_sizes) >= 7

    with zipfile.ZipFile(io.BytesIO((built_site / "results/batchnorm/batchnorm.zip").read_bytes())) as archive:
        archive.extractall(tmp_path)
    bundle = tmp_path / "batchnorm"
    readme = (bundle / "README.md").read_text()
    assert "BNLAB_PROFILE=short jupyter execute content/batchnorm.ipynb" in readme  # the short run, named

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXECBLOCKS_", "PYTHON", "BLOG_", "BNLAB_", "MPL"))}
    env.update(BNLAB_PROFILE="short", BLOG_DEVICE="cpu", OMP_NUM_THREADS="1")
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run([str(jupyter), "execute", "content/batchnorm.ipynb", "--output=batchnorm-short"],
                          cwd=bundle, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    rerun = nbformat.read(bundle / "content/batchnorm-short.ipynb", as_version=4)
    rerun_sizes = [png_size(base64.b64decode(o["data"]["image/png"])) for cell in rerun.cells
                   for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(rerun_sizes) == len(page_sizes), (rerun_sizes, page_sizes)
    for (w, h), (pw, ph) in zip(rerun_sizes, page_sizes):
        # Same size, resolution and crop; the short run's tick labels may differ from the
        # page's by a few characters, so the crop by a few pixels (never the 30-70 % lost before).
        assert abs(w - pw) <= max(3, 0.03 * pw) and abs(h - ph) <= max(3, 0.03 * ph), (rerun_sizes, page_sizes)
