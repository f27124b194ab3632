"""Figures end to end: a real kernel draws, the store keeps renditions, the page offers them.

Each test builds a small project with the real Pelican (see conftest.py)."""

from __future__ import annotations

import html
import re

import pytest

from execblocks import BlockExecutionError
from support import Project, parse_html

pytestmark = pytest.mark.slow

FIGURES = """\
Title: Figures
Date: 2026-01-02
Slug: figures

```{python}
#| fig-cap: Wide
#| fig-width: 9
#| fig-height: 3
import matplotlib.pyplot as plt
plt.plot([0, 1, 2], [0, 1, 4], label="data")
plt.plot([0, 2], [0, 4], "k--", label="reference")
plt.legend()
plt.title("Growth");
```

```{python}
#| fig-format: svg
#| fig-cap: Drawn as SVG
#| fig-subcap: [Up, Down]
#| layout-ncol: 2
plt.figure(); plt.plot([1, 2])
plt.figure(); plt.plot([2, 1]);
```

```{python}
#| fig-alt: A block's own SVG
from IPython.display import SVG, display
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
            '<a href="javascript:alert(3)"><rect width="9" height="9"/></a></svg>'))
```
"""

SHOWN = """\
Title: Shown
Date: 2026-01-02

```{python}
#| error: true
#| fig-alt: never drawn
import matplotlib.pyplot as plt
plt.plot([0, 1]); plt.title(r"$\\frac{1}{$");
```

```{python}
print("the next block still runs")
```
"""
# The module's site: FIGURES and SHOWN, with a feed and a SITEURL (every build of it alike).
SITE = {"FEED_ALL_ATOM": "feeds/all.atom.xml", "SITEURL": "https://blog.example"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Project:
    """Built once for the tests that read it; those that build it again assert it comes out
    the same (a forced rerun, a no-op build), so the readers after them see what they would."""
    project = Project(tmp_path_factory.mktemp("figures") / "project")
    project.write("content/figures.md", FIGURES)
    project.write("content/shown.md", SHOWN)
    project.build(**SITE)
    return project


def figure_files(project, slug="figures"):
    return {p.name: p.read_bytes() for p in (project.results / slug).iterdir() if p.suffix in (".png", ".svg")}


def test_figures_are_saved_light_and_dark_byte_stable_and_served_responsively(site):
    project = site
    first = figure_files(project)
    # PNG: light and dark, each full size and narrower for phones; SVG: two figures light and dark,
    # plus the block's own SVG.
    assert sum(n.endswith(".png") for n in first) >= 4 and sum(n.endswith(".svg") for n in first) == 5
    page = project.html("figures")
    wide = next(f for f in parse_html(page).find_all("figure") if f.classes == {"cell-figure"})
    media = wide.elements[0]
    assert media.matches("div", "figure-media")
    zoom = media.elements[0]
    assert zoom.matches("a", "figure-zoom")
    picture = zoom.elements[0]
    dark_source, img = picture.elements[0], picture.find("img")
    assert dark_source.matches("source", media="screen and (prefers-color-scheme: dark)"), page
    light, dark, light_set = zoom["href"], dark_source["srcset"].split()[0], img["srcset"]
    assert light != dark and (project.output / light).read_bytes() != (project.output / dark).read_bytes()
    widths = [int(w) for w in re.findall(r" (\d+)w", light_set)]
    assert widths[1:] and set(widths[1:]) <= {1080, 720, 400} and widths[0] > 1300  # ~9 in at 192 dpi, trimmed
    for url in re.findall(r"results/figures/[0-9a-f]{16}\.(?:png|svg)", page):
        assert (project.output / url).is_file(), url
    assert '<figure class="cell-subfigure" id=' not in page  # no label: sub-figures without ids
    assert page.count('<span class="subfigure-letter">') == 2 and "Figure 2.</span> Drawn as SVG" in page
    project.build(EXECBLOCKS_ONLY=["figures"], **SITE)  # forced: the article runs again
    assert figure_files(project) == first  # same figures, same bytes, same names


def test_svg_files_carry_no_script_in_results_or_output(site):
    project = site
    svgs = list(project.results.rglob("*.svg")) + list(project.output.rglob("*.svg"))
    assert len(svgs) == 10
    for svg in svgs:
        text = svg.read_text().lower()
        assert "<script" not in text and "onload" not in text and "javascript:" not in text, svg
    # matplotlib's own glyph references survive.
    assert any('xlink:href="#' in svg.read_text() for svg in svgs)


def test_figure_caps_drop_extra_and_huge_figures_with_a_notice(project):
    project.write("content/many.md", """\
Title: Many
Date: 2026-01-02

```{python}
#| fig-alt: one of many
import matplotlib.pyplot as plt
for i in range(7):
    plt.figure(figsize=(2, 2)); plt.plot([0, i])
```

```{python}
#| fig-alt: huge
plt.figure(figsize=(40, 40)); plt.plot([0, 1]);
```
""")
    project.build(EXECBLOCKS_MAX_FIGURES=3, EXECBLOCKS_MAX_FIGURE_PIXELS=10_000_000)
    page = project.html("many")
    assert page.count('<figure class="cell-figure">') == 3
    assert "4 more figures not shown: a block shows at most EXECBLOCKS_MAX_FIGURES = 3" in page
    assert ("figure 1 not shown: 40 x 40 in at 192 dpi is 58,982,400 pixels, over "
            "EXECBLOCKS_MAX_FIGURE_PIXELS = 10,000,000") in page


@pytest.mark.parametrize("code, reason", [
    # An artist that fails when drawn, which happens only inside the engine's hook.
    ("from matplotlib.artist import Artist\n"
     "class Broken(Artist):\n"
     "    def draw(self, renderer):\n"
     "        raise RuntimeError('cannot draw this')\n"
     "plt.gca().add_artist(Broken())", "RuntimeError: cannot draw this"),
    # Mathtext is parsed only when the figure is drawn, i.e. inside the engine's hook.
    ('plt.plot([0, 1]); plt.title(r"$\\frac{1}{$");', "ValueError"),
])
def test_a_figure_that_cannot_be_saved_fails_its_block_at_its_line(project, code, reason):
    project.write("content/broken.md", f"""\
Title: Broken
Date: 2026-01-02

Prose.

```{{python}}
import matplotlib.pyplot as plt
{code}
```
""")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    error = caught.value
    assert (error.path, error.block, error.ename) == ("content/broken.md", 1, "FigureError")
    assert error.line == 7  # the block's first line: the hook runs after the block's code
    assert str(error).startswith("content/broken.md:7: block 1 raised FigureError: figure 1 could not be saved: ")
    assert reason in str(error)
    assert "execkernel/" not in str(error) and "site-packages" not in str(error)
    assert not (project.output / "broken.html").exists()


def test_a_failing_figure_exits_non_zero_from_the_command_line(project):
    project.write("content/hello.md", project.root.joinpath("content/hello.md").read_text()
                  .replace('plt.title("Rising")', 'plt.title(r"$\\\\frac{1}{$")'))
    done = project.pelican()
    assert done.returncode != 0
    assert "content/hello.md:" in done.stdout + done.stderr and "FigureError" in done.stdout + done.stderr


def test_srcset_links_resolve_like_src_on_pages_and_in_feeds(site):
    """Pelican rewrites {static} in src, not in srcset: the engine does it the same way."""
    project = site
    page = project.html("figures")
    feed = html.unescape((project.output / "feeds/all.atom.xml").read_text())
    for text, prefix in ((page, "./results/figures/"), (feed, "https://blog.example/results/figures/")):
        assert "{static}" not in text
        tree = parse_html(text)
        images = [(i["src"], i["srcset"]) for i in tree.find_all("img")
                  if "srcset" in i.attrs and "figures/" in i["src"]]
        assert images  # the PNG figure (SVGs have one rendition, no srcset); a feed may hold it twice
        sources = [s["srcset"] for s in tree.find_all("source") if "media" in s.attrs and "figures/" in s["srcset"]]
        assert sources
        for srcset in [images[0][1], *sources]:
            for candidate in srcset.split(","):
                assert candidate.strip().startswith(prefix), candidate
        assert images[0][0].startswith(prefix)
    for candidate in [e["srcset"] for e in parse_html(page).iter() if "srcset" in e.attrs]:
        for url in (c.split()[0] for c in candidate.split(",")):
            assert (project.output / url).is_file(), url


def test_error_true_shows_a_figure_failure_without_engine_frames(site):
    page = site.html("shown")
    assert "FigureError: figure 1 could not be saved: ValueError" in page
    assert "execkernel/" not in page and "site-packages" not in page and "Traceback" not in page
    assert "the next block still runs" in page


def test_a_no_op_build_links_the_figures_the_site_already_served(site):
    project = site  # as its last build left it (the fixture's, or a forced rerun's)
    served = {p.name: p.stat().st_ino for p in (project.output / "results/figures").iterdir()}
    project.build(**SITE)
    again = {p.name: p.stat() for p in (project.output / "results/figures").iterdir()}
    assert served and {name: stat.st_ino for name, stat in again.items()} == served  # no byte written again
    # The replaced site is kept as the next build's folder, holding the same files.
    spare = project.root / ".output.spare/results/figures"
    assert {p.name: p.stat().st_ino for p in spare.iterdir()} == served
