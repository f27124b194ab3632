"""Issue 13 §2 and issue 9 §3: output that is too big, or not text, never breaks the site."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

pytestmark = pytest.mark.slow
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def build_outside_pytest(project, **settings) -> None:
    """A real `pelican` run without PYTEST_CURRENT_TEST, under which ipykernel does not
    capture what is written to file descriptors 1 and 2."""
    conf = project.write_conf()
    conf.write_text(conf.read_text() + "".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    done = subprocess.run([sys.executable, "-m", "pelican", "-s", str(conf), "--fatal", "errors"],
                          cwd=project.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def notebook_text(project, article_id: str) -> str:
    return (project.results / article_id / "notebook.ipynb").read_text()


@pytest.mark.built
def test_a_100_mb_print_is_capped_in_memory_notebook_and_page(project):
    project.write("content/flood.md", "Title: Flood\nDate: 2026-01-02\n\n```{python}\n"
                  "line = 'x' * 99 + '\\n'\nfor _ in range(1_000_000):\n    print(line, end='')\n```\n")
    project.build()
    stored = notebook_text(project, "flood")
    assert len(stored) < 3_000_000  # 100 MB printed, about 1 MB kept
    page = project.html("flood")
    assert len(page) < 3_000_000
    assert "output truncated: 99.0 MB not shown" in page and "output truncated: 99.0 MB not shown" in stored


@pytest.mark.built
def test_a_50_mb_line_without_newline_is_capped(project):
    # nbclient's coalescing regex is quadratic on such a line: this build would take hours
    project.write("content/line.md", "Title: Line\nDate: 2026-01-02\n\n```{python}\n"
                  "import sys\nsys.stdout.write('y' * 50_000_000)\nsys.stdout.write('\\r' + 'z' * 10)\n```\n")
    project.build()
    page = project.html("line")
    assert "output truncated: 49.0 MB not shown" in page
    assert len(page) < 3_000_000


@pytest.mark.built
def test_output_written_to_the_file_descriptor_is_capped_too(project):
    project.write("content/fd.md", "Title: Fd\nDate: 2026-01-02\n\n```{python}\nimport os\n"
                  "for _ in range(300_000):\n    os.write(1, b'x' * 99 + b'\\n')\n```\n")
    build_outside_pytest(project, EXECBLOCKS_MAX_OUTPUT=100_000)
    # 30 MB written; what the fd reader thread delivers after the block ends is not counted
    assert re.search(r"output truncated: 29\.[89] MB not shown", project.html("fd"))


@pytest.mark.built
def test_carriage_returns_keep_the_last_state_of_a_progress_bar(project):
    project.write("content/bar.md", "Title: Bar\nDate: 2026-01-02\n\n```{python}\nimport sys\n"
                  "for i in range(101):\n    sys.stdout.write(f'\\r{i}%')\nprint()\nprint('done')\n```\n")
    project.build()
    assert "<pre>100%\ndone\n</pre>" in project.html("bar")


def test_a_200000_step_progress_bar_keeps_the_result_printed_after_it(project):
    # Issue 24 §6: each redraw used to count against the cap (the bar was cut at 8 % and
    # the result line lost); now the bar costs what a terminal shows, and images a block
    # displays past EXECBLOCKS_MAX_FIGURES are dropped like figures.
    project.write("content/bar.md", "Title: Bar\nDate: 2026-01-02\n\n```{python}\nimport sys\n"
                  "for i in range(200_000):\n    sys.stdout.write(f'\\rstep {i + 1:6d}/200000 [' + '#' * (i // 5000) + ']')\n"
                  "print()\nprint('best accuracy 0.987')\n```\n\n```{python}\n"
                  "from IPython.display import Image, display\nimport base64\n"
                  "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')\n"
                  "for _ in range(5):\n    display(Image(png))\n```\n")
    project.build(EXECBLOCKS_MAX_OUTPUT=100_000, EXECBLOCKS_MAX_FIGURES=2)
    page = project.html("bar")
    assert "step 200000/200000 [" + "#" * 39 + "]\nbest accuracy 0.987\n</pre>" in page
    assert "output truncated" not in page
    assert page.count("<img") == 2 * 1 and "3 more images not shown" in page


CONTROLS = """\
Title: Controls
Date: 2026-01-02

```{python}
import sys
print("\\x1b[31mred\\x1b[0m plain \\x1b[1;32mbold green\\x1b[0m")
print("bell\\x07 nul\\x00 del\\x7f esc\\x1b[2K gone")
sys.stderr.write("\\x1b[33mwarned\\x1b[0m\\x0c\\n")

class Odd:
    def __repr__(self):
        return "odd\\x08repr\\x1b[35m"

Odd()
```

```{python}
#| error: true
raise ValueError("bad\\x01value \\x1b[31mcoloured\\x1b[0m")
```

Inline: `{python} "in\\x03line\\x1b[4m"`.
"""


@pytest.mark.built
def test_control_characters_never_reach_the_page_or_the_feed(project):
    project.write("content/controls.md", CONTROLS)
    # With a feed: today a single \\x1b made the Atom writer raise UnserializableContentError.
    project.build(FEED_ALL_ATOM="feeds/all.atom.xml", SITEURL="https://example.test", FEED_DOMAIN="https://example.test")
    page = project.html("controls")
    feed = (project.output / "feeds" / "all.atom.xml").read_text()
    ElementTree.fromstring(feed)  # well-formed XML
    for text in (page, feed):
        assert not CONTROL.search(text), CONTROL.findall(text)
    assert '<span class="ansi-red-fg">red</span> plain <span class="ansi-bold ansi-green-fg">bold green</span>' in page
    assert "bell\u2407 nul\u2400 del\u2421 esc gone" in page
    assert '<span class="ansi-yellow-fg">warned</span>\u240c' in page
    assert "odd\u2408repr" in page
    assert "bad\u2401value coloured" in page  # tracebacks are stored without colours
    assert "in\u2403line" in page
    # The stored notebook keeps what the block printed, as Jupyter does.
    assert "\\u001b[31mred" in notebook_text(project, "controls")


@pytest.mark.built
def test_inline_values_are_text_not_markup(project):
    project.write("content/inline.md", "Title: Inline\nDate: 2026-01-02\n\n```{python}\n"
                  "s = '<script>alert(1)</script>'\nt = '*stars* and <b>bold</b>'\n```\n\n"
                  "Script: `{python} s`. Stars: `{python} t`.\n")
    project.build()
    page = project.html("inline")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<em>stars" not in page and "*stars* and &lt;b&gt;bold&lt;/b&gt;" in page


def test_a_flood_does_not_starve_the_article_beside_it(project, tmp_path):
    """The flood writes to the file descriptor (past the kernel-side cap) until the quiet
    article's kernel is gone, which happens only once the engine has processed all of
    that article's messages: a starved engine never gets there, and the flood ends at its
    own timeout, failing the build."""
    pid_file = tmp_path / "quiet.pid"
    project.write("content/quiet.md", f"Title: Quiet\nDate: 2026-01-02\n\n```{{python}}\nimport os\n"
                  f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\nprint('quiet done')\n```\n")
    project.write("content/flood.md", f"Title: Flood\nDate: 2026-01-02\n\n```{{python}}\n#| timeout: 300\n"
                  "import os, time\n"
                  f"def quiet_running():\n    try:\n        pid = int(open({str(pid_file)!r}).read())\n"
                  "    except (OSError, ValueError):\n        return True\n"
                  "    try:\n        os.kill(pid, 0)\n    except ProcessLookupError:\n        return False\n"
                  "    return open(f'/proc/{pid}/stat').read().split(')')[1].split()[0] != 'Z'\n"
                  "chunk = b'x' * 65535 + b'\\n'\n"
                  "while quiet_running():\n    for _ in range(100):\n        os.write(1, chunk)\n"
                  "print('flood done')\n```\n")
    build_outside_pytest(project, EXECBLOCKS_WORKERS=2)
    assert "quiet done" in project.html("quiet")
    assert "output truncated" in project.html("flood")
    record = json.loads((project.results / "flood" / "record.json").read_text())
    assert record  # stored: the flood ended because the quiet article finished, not at its timeout


@pytest.mark.built
def test_an_inline_value_is_markdown_only_when_it_asks(project):
    project.write("content/md.md", "Title: Md\nDate: 2026-01-02\n\n```{python}\n"
                  "from IPython.display import Markdown\nt = '*stars* <script>alert(1)</script>'\n```\n\n"
                  "Asked: `{python} Markdown(t)`. Not asked: `{python} t`.\n")
    project.build()
    page = project.html("md")
    assert "Asked: <span class=\"inline-value\"><em>stars</em> " in page  # Markdown, as asked
    assert "<script>" not in page  # but sanitised like any HTML a block produced
    assert "Not asked: <span class=\"inline-value\">*stars* &lt;script&gt;" in page
