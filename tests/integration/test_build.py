"""End to end: the real Pelican builds a small project with the execblocks plugin."""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest

from execblocks import BlockExecutionError, StaleResultsError
from support import HELLO, HELPER, Project, parse_html

RAN = "execblocks: running content/hello.md"

# Articles that tests only read, built beside hello.md once for the module, in one build
# (the tests that edit, rebuild or fail a build have a project of their own).
READ_ONLY = {
    "oops.md": """\
Title: Oops
Date: 2026-01-02

```{python}
#| error: true
1 / 0
```

```{python}
print("still running")
```
""",
    "plain.md": "Title: Plain\nDate: 2026-01-02\n\n```python\nraise SystemExit('never')\n```\n",
    "summed.md": "Title: Summed\nDate: 2026-01-02\nSummary: A *short* summary.\n\n```{python}\nprint('body')\n```\n",
    "warns.md": "Title: Warns\nDate: 2026-01-02\n\n```{python}\nimport warnings\nwarnings.warn('careful')\n```\n",
    "repr.md": ("Title: Repr\nDate: 2026-01-02\n\n```{python}\nclass Thing:\n"
                "    def _repr_html_(self):\n        return '<b>thing</b>'\nThing()\n```\n"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Project:
    """hello.md and READ_ONLY, built once; `site.log` is what the build printed."""
    project = Project(tmp_path_factory.mktemp("build") / "project")
    project.write("content/hello.md", HELLO)
    project.write("code/helper.py", HELPER)
    for name, text in READ_ONLY.items():
        project.write(f"content/{name}", text)
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        project.build()
    project.log = printed.getvalue()
    return project


def test_build_shows_outputs_figure_and_shared_state(site):
    project = site
    page = project.html()
    assert "<pre>x is 42\n</pre>" in page  # printed text
    assert '<pre>43</pre>' in page  # the third block reuses x from the first
    assert '<span class="inline-value">420</span>' in page  # inline value in the prose
    figure = parse_html(page).find("figure", id="fig-line")
    assert figure is not None and figure.classes == {"cell-figure"}, page
    media = figure.elements[0]
    assert media.tag == "div" and media.classes == {"figure-media"}
    zoom = media.elements[0]
    assert zoom.matches("a", "figure-zoom") and zoom["href"]
    picture = zoom.elements[0]
    assert picture.tag == "picture"
    img = picture.find("img")
    src, alt = img["src"], img["alt"]
    assert alt == "A line rising from 1 to 3"
    assert (project.output / src).is_file()  # relative URL resolves from hello.html
    assert (project.output / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert '<span class="figure-number">Figure 1.</span> A rising line</figcaption>' in page
    assert "Line2D" not in page  # the trailing `;` suppressed the repr, as in a notebook
    assert RAN in project.log


def test_downloads_notebook_and_script(site):
    project = site
    notebook = json.loads((project.output / "results/hello/hello.ipynb").read_text())
    first_lines = ["".join(c["source"]).splitlines()[0] for c in notebook["cells"]]
    assert first_lines == ["from helper import double", "import matplotlib.pyplot as plt", "x + 1"]
    images = [o for c in notebook["cells"] for o in c["outputs"] if "image/png" in o.get("data", {})]
    assert len(images) == 1 and len(images[0]["data"]["image/png"]) > 1000  # re-embedded, not a file name
    script = (project.output / "results/hello/hello.py").read_text()
    assert "# %% block 2 (content/hello.md, line 13)" in script


@pytest.mark.built
def test_prose_edit_runs_nothing_code_edit_reruns(project, capfd):
    project.build()
    capfd.readouterr()
    project.edit("content/hello.md", "Some prose before", "Some edited prose before")
    project.build()
    err = capfd.readouterr().err
    assert RAN not in err and "nothing to execute" in err
    assert "Some edited prose" in project.html()
    project.edit("content/hello.md", "double(21)", "double(20)")
    project.build()
    err = capfd.readouterr().err
    assert "content/hello.md (stale): block 1 (line 7) code changed" in err
    assert RAN in err
    assert "<pre>x is 40\n</pre>" in project.html()


@pytest.mark.built
def test_force_reruns_fresh_article(project, capfd):
    project.build()
    capfd.readouterr()
    project.build(EXECBLOCKS_MODE="force")
    assert RAN in capfd.readouterr().err


def test_failing_block_is_located_and_fails_the_build(project):
    project.write("content/broken.md", """\
Title: Broken
Date: 2026-01-02

```{python}
def explode():
    raise ValueError("no such thing")

value = 1
explode()
```
""")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    error = caught.value
    assert (error.path, error.line, error.block, error.ename) == ("content/broken.md", 6, 1, "ValueError")
    message = str(error)
    assert message.startswith("content/broken.md:6: block 1 raised ValueError: no such thing")
    assert "content/broken.md, line 9" in message  # the call project, rewritten from "Cell In[..]"
    assert "execkernel/hooks.py" not in message and "nbclient" not in message


def test_error_true_renders_the_traceback(site):
    page = site.html("oops")
    assert '<div class="cell-output cell-output-error"' in page and "ZeroDivisionError" in page
    assert "content/oops.md, line 6" in page and "Cell In[" not in page
    assert "still running" in page


@pytest.mark.built
def test_a_traceback_names_files_as_a_reader_can_place_them(project):
    """Deeper frames name the project's file (code/deep.py) and an installed or standard
    library file as it is imported (json/decoder.py), never the builder's folders."""
    project.write("code/deep.py", "import json\n\n\ndef parse(text):\n    return json.loads(text)\n")
    project.write("content/deep.md", """\
Title: Deep
Date: 2026-01-02

```{python}
#| error: true
import deep
deep.parse("{x")
```
""")
    project.build()
    page = project.html("deep")
    assert "JSONDecodeError" in page and "content/deep.md, line 7" in page
    assert "File code/deep.py:5" in page and "File json/decoder.py:" in page
    for builder_folder in ("File ~", "File /", str(project.root), os.path.expanduser("~")):
        assert builder_folder not in page, builder_folder


def test_unknown_option_names_it_and_its_line(project):
    project.write("content/typo.md", "Title: Typo\nDate: 2026-01-02\n\n```{python}\n#| echo: false\n#| fig-size: 3\nprint(1)\n```\n")
    with pytest.raises(Exception) as caught:
        project.build()
    assert "content/typo.md:6: unknown block option 'fig-size'" in str(caught.value)


def test_plain_python_block_is_not_run(site):
    assert "content/plain.md" not in site.log
    assert '<div class="highlight">' in site.html("plain") or "codehilite" in site.html("plain")


@pytest.mark.built
def test_render_never_imports_torch_or_starts_a_kernel(project):
    project.build()
    # A fresh interpreter where `import torch` and starting kernels both fail loudly.
    blocker = project.write("blocker/sitecustomize.py", (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "import jupyter_client.manager as m\n"
        "def refuse(*a, **k):\n    raise RuntimeError('render started a kernel')\n"
        "m.AsyncKernelManager.start_kernel = refuse\n"
        "m.KernelManager.start_kernel = refuse\n"))
    (project.output / "hello.html").unlink()
    done = project.pelican("-e", 'EXECBLOCKS_MODE="strict"', env={"PYTHONPATH": str(blocker.parent)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<pre>x is 42\n</pre>" in project.html()


def test_strict_mode_fails_on_missing_results(project):
    with pytest.raises(StaleResultsError) as caught:
        project.build(EXECBLOCKS_MODE="strict")
    assert "content/hello.md: no stored result" in str(caught.value)
    assert not (project.output / "hello.html").exists()


def test_unchanged_rebuild_leaves_results_byte_identical(site):
    before = {p: p.read_bytes() for p in site.results.rglob("*") if p.is_file()}
    site.build()
    after = {p: p.read_bytes() for p in site.results.rglob("*") if p.is_file()}
    assert before == after


def test_summary_metadata_renders_without_the_block_extension(site):
    assert "<pre>body\n</pre>" in site.html("summed")
    assert "A <em>short</em> summary." in (site.output / "index.html").read_text()


def test_label_names_the_figure_and_the_cell_gets_its_own_id(site):
    page = site.html()
    assert page.count('id="fig-line"') == 1 and 'id="cell-fig-line"' in page


def test_warnings_name_the_article_line_not_a_temp_file(site):
    page = site.html("warns")
    assert "content/warns.md:6: UserWarning: careful" in page
    assert "ipykernel_" not in page


def test_default_reprs_are_masked_so_reruns_are_byte_stable(site):
    first = (site.results / "repr/notebook.ipynb").read_bytes()
    assert b"<__main__.Thing at 0x\xe2\x80\xa6>" in first  # "0x…", the address masked
    site.build(EXECBLOCKS_ONLY=["repr"])  # forced: run again from the top
    assert (site.results / "repr/notebook.ipynb").read_bytes() == first
    assert "<b>thing</b>" in site.html("repr")


@pytest.mark.built
def test_each_run_of_one_pelican_instance_reruns_what_became_stale(project, capfd):
    """`pelican --autoreload` keeps one Pelican and calls run() on every change."""
    from pelican import Pelican

    pelican = Pelican(project.settings())
    pelican.run()
    project.edit("content/hello.md", "double(21)", "double(5)")
    capfd.readouterr()
    pelican.run()
    assert RAN in capfd.readouterr().err
    assert "<pre>x is 10\n</pre>" in project.html()


@pytest.mark.built
def test_block_timeout_interrupts_and_names_the_block(project):
    project.write("content/slowpoke.md", "Title: Slowpoke\nDate: 2026-01-02\n\n```{python}\n#| timeout: 1\n"
                  "import time\ntime.sleep(30)\n```\n")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    assert (caught.value.path, caught.value.block, caught.value.ename) == ("content/slowpoke.md", 1, "TimeoutError")


def test_dead_kernel_is_reported_not_hung(project):
    project.write("content/crash.md", "Title: Crash\nDate: 2026-01-02\n\n```{python}\nimport os\nos._exit(3)\n```\n")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    assert (caught.value.path, caught.value.ename) == ("content/crash.md", "DeadKernelError")
    assert "the kernel exited with status 3" in str(caught.value)


def test_svg_figures_are_byte_stable(project):
    project.build(EXECBLOCKS_FIGURE_FORMAT="svg")
    svgs = sorted((project.results / "hello").glob("*.svg"))  # light and dark
    first = [svg.read_bytes() for svg in svgs]
    assert len(first) == 2 and all(b.startswith(b"<svg ") and b"<dc:date>" not in b for b in first)
    assert all(f'./results/hello/{svg.name}' in project.html() for svg in svgs)
    project.build(EXECBLOCKS_FIGURE_FORMAT="svg", EXECBLOCKS_MODE="force")
    assert [svg.read_bytes() for svg in svgs] == first


@pytest.mark.built
def test_noop_build_keeps_downloads_and_an_edit_remakes_them(project):
    """Each build writes a fresh site (atomic output); still-current downloads are carried
    over from the previous one unchanged, and remade once the results change."""
    project.build()
    names = ["hello.ipynb", "hello.py", "hello.zip"]
    folder = project.output / "results/hello"
    before = {name: ((folder / name).read_bytes(), (folder / name).stat().st_mtime_ns) for name in names}
    inodes = {name: (folder / name).stat().st_ino for name in names}
    project.build()
    after = {name: ((folder / name).read_bytes(), (folder / name).stat().st_mtime_ns) for name in names}
    assert after == before
    # Linked from the site it replaced, not written again; that site is now the spare.
    assert {name: (folder / name).stat().st_ino for name in names} == inodes
    spare = project.root / ".output.spare/results/hello"
    assert {name: (spare / name).stat().st_ino for name in names} == inodes
    assert oct((folder / "hello.zip").stat().st_mode & 0o777) == oct(0o644 & ~_umask())
    project.edit("content/hello.md", "double(21)", "double(20)")
    project.build()
    assert "double(20)" in (folder / "hello.py").read_text()
    assert b"double(20)" in (folder / "hello.ipynb").read_bytes()
    assert (folder / "hello.zip").read_bytes() != before["hello.zip"][0]


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
