"""Issue 19 item 12: what a block prints for a terminal reads the same on every builder.

- A tqdm bar is stored as its final state at the page's 80 columns, whatever the builder's
  terminal: COLUMNS unset, 0 or 300, and a real 0-column terminal (a pty) give the same
  page output. (Before: the kernel measured the build's terminal through its inherited
  stderr, so a 300-column bar, or in a 0-column terminal a bar cut to "100%|█| 50/5".)
- A warning raised by the article's code names the article's file and line, on the page
  and in the build's log (not IPython's "Cell In[3], line 2"); a warning from an installed
  package names its file as imported (`tqdm/auto.py:21`), never the builder's absolute path.
"""

from __future__ import annotations

import fcntl
import html
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import textwrap
import unicodedata

import pytest

pytestmark = pytest.mark.slow

BARS = textwrap.dedent("""\
    Title: Bars
    Date: 2026-01-03
    Slug: bars

    ```{python}
    from tqdm import tqdm, trange
    # Without the rate and times, the bar's text is the same on every run.
    fixed = "{l_bar}{bar}| {n_fmt}/{total_fmt}"
    for step in tqdm(range(50), bar_format=fixed):
        pass
    for step in trange(7, desc="train", bar_format=fixed):
        pass
    ```

    ```{python}
    import shutil
    print(shutil.get_terminal_size())
    for step in tqdm(range(20), desc="default format"):
        pass
    ```
    """)

OUTPUT = re.compile(r'<div class="cell-output[^"]*"><pre>(.*?)</pre></div>', re.S)


def outputs(page: str) -> list[str]:
    """The text of every printed output of the page, in order."""
    return [html.unescape(text) for text in OUTPUT.findall(page)]


def columns(line: str) -> int:
    """The width of a line in a terminal's columns (tqdm's blocks are one column each)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def build_in_terminal(project, cols: int) -> str:
    """Build in a fresh interpreter whose stdin, stdout and stderr are a pty `cols` wide,
    as a user's terminal (COLUMNS unset, so only the terminal says how wide it is)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen(project.pelican_command(), cwd=project.root, env=env, stdin=follower,
                               stdout=follower, stderr=follower, start_new_session=True)
    os.close(follower)
    log = b""
    while True:  # read until the build closes the terminal (EIO), so it never blocks on a full pty
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        log += chunk
    os.close(leader)
    assert process.wait(timeout=600) == 0, log.decode("utf-8", "replace")[-3000:]
    return log.decode("utf-8", "replace")


def test_a_tqdm_bar_is_its_final_state_at_80_columns_whatever_the_builders_terminal(project):
    project.write("content/bars.md", BARS)
    pages = {}
    for name, env in [("COLUMNS unset", {}), ("COLUMNS=0", {"COLUMNS": "0"}), ("COLUMNS=300", {"COLUMNS": "300"}),
                      ("a 0-column terminal", None)]:
        shutil.rmtree(project.results, ignore_errors=True)  # each build runs the blocks
        if env is None:
            build_in_terminal(project, 0)
        else:
            environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
            done = project.pelican(env=dict(environment, **env))
            assert done.returncode == 0, done.stderr[-3000:]
        pages[name] = outputs(project.html("bars"))

    first = pages["COLUMNS unset"]
    assert first[0] == ("100%|" + "█" * 68 + "| 50/50\n"          # 80 columns: the bar fills what the text leaves
                        "train: 100%|" + "█" * 63 + "| 7/7\n")
    assert columns(first[0].splitlines()[0]) == 80 and columns(first[0].splitlines()[1]) == 80
    assert first[1] == "os.terminal_size(columns=80, lines=24)\n"
    default = first[2].rstrip("\n")  # the default format's rate and times vary: only its width is fixed
    assert default.startswith("default format: 100%|") and columns(default) == 80, default
    for name, shown in pages.items():
        assert shown[:2] == first[:2], name  # the same bytes on every builder
        assert columns(shown[2].rstrip("\n")) == 80, (name, shown[2])


def test_the_builders_terminal_still_shows_the_bars_live(project):
    project.write("content/bars.md", BARS)
    log = build_in_terminal(project, 120)
    assert "bars.md │ train: 100%" in log
    assert outputs(project.html("bars"))[0].splitlines()[0] == "100%|" + "█" * 68 + "| 50/50"


WARNS = textwrap.dedent("""\
    Title: Warns
    Date: 2026-01-03
    Slug: warns

    ```{python}
    import sys
    import warnings

    def check(rate):
        if rate > 1:
            warnings.warn(f"rate {rate} is large", stacklevel=2)  # names the caller's line
    ```

    Prose between the blocks.

    ```{python}
    x = 1
    check(3)
    warnings.warn("careful", RuntimeWarning)
    ```

    ```{python}
    # As without ipywidgets installed: tqdm.auto falls back to the text bar and warns.
    sys.modules["ipywidgets"] = None
    from tqdm.auto import tqdm
    for step in tqdm(range(3), colour="nocolour", bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}"):
        pass
    ```
    """)


def test_warnings_name_the_articles_line_and_a_packages_importable_path(project):
    project.write("content/warns.md", WARNS)
    done = project.pelican()
    assert done.returncode == 0, done.stderr[-3000:]
    shown = "\n".join(outputs(project.html("warns")))
    assert "content/warns.md:18: UserWarning: rate 3 is large\n" in shown  # check(3): block 2's line 2
    assert "content/warns.md:19: RuntimeWarning: careful\n" in shown
    # tqdm's own warnings, at their place in the installed package
    assert re.search(r"^tqdm/auto\.py:21: TqdmWarning: IProgress not found\. Please update jupyter and "
                     r"ipywidgets\.[^\n]*\n  from \.autonotebook import tqdm as notebook_tqdm\n", shown, re.M), shown
    assert re.search(r"^tqdm/std\.py:\d+: TqdmWarning: Unknown colour \(nocolour\)", shown, re.M), shown
    assert "\n100%|" + "█" * 70 + "| 3/3\n" in "\n" + shown  # tqdm.auto's text bar, 80 columns
    for absolute in ("site-packages", sys.prefix, str(project.root), os.path.expanduser("~"), "/work/"):
        assert absolute not in shown, absolute
    assert "Cell In[" not in shown and "ipython-input" not in shown and "ipykernel_" not in shown
    # the build's log says the same as the page, as the blocks run
    log = done.stdout + done.stderr
    assert "warns.md │ content/warns.md:18: UserWarning: rate 3 is large" in log
    assert "warns.md │ content/warns.md:19: RuntimeWarning: careful" in log
    assert "Cell In[" not in log


NOTEBOOK_BARS = textwrap.dedent("""\
    Title: Widget bars
    Date: 2026-01-03
    Slug: widget-bars

    ```{python}
    import ipywidgets  # installed: tqdm.auto picks the notebook (widget) bar, as in JupyterLab
    from tqdm.auto import tqdm, trange
    for step in trange(30, desc="train"):
        pass
    ```

    ```{python}
    from tqdm.notebook import tqdm as notebook_tqdm
    for step in notebook_tqdm(range(8), desc="hidden when done", leave=False):
        pass
    for step in notebook_tqdm(iter(range(5)), desc="no total"):
        pass
    bar = notebook_tqdm(total=10, desc="stopped")
    bar.update(4)
    bar.refresh()  # shown now (tqdm redraws at most every 0.1 s by itself)
    print("after the bars")
    ```
    """)


def test_a_notebook_bar_shows_its_final_state_as_text(project):
    project.write("content/widget-bars.md", NOTEBOOK_BARS)
    done = project.pelican()
    assert done.returncode == 0, done.stderr[-3000:]
    page = project.html("widget-bars")
    shown = outputs(page)
    assert "needs a running Jupyter kernel" not in page and "widget is shown as a notice" not in done.stderr
    train = shown[0].rstrip("\n")  # the bar JupyterLab showed last, drawn as tqdm draws text
    assert re.fullmatch(r"train: 100%\|█+\| 30/30 \[00:00<00:00, +[\d.]+it/s\]", train) and columns(train) == 80, train
    assert [text.split(":")[0] for text in shown[1:]] == ["no total", "stopped", "after the bars\n"], shown
    # no total: Jupyter's bar is full (tqdm's "info" style) beside the count
    assert re.fullmatch(r"no total: \|█+\| 5/\? \[00:00<00:00, +[\d.]+it/s\]\n", shown[1]), shown[1]
    stopped = shown[2].rstrip("\n")  # 4 of 10: 40 % of the bar's columns, tqdm's partial block after them
    assert stopped.startswith("stopped:  40%|") and columns(stopped) == 80, stopped
    bar = stopped.split("|")[1]
    drawn = bar.rstrip(" ")  # full blocks, then at most one partial block (tqdm's eighths)
    assert set(drawn[:-1]) == {"█"} and drawn[-1] in "▏▎▍▌▋▊▉█" and abs(len(drawn) - 0.4 * len(bar)) <= 1, bar
