"""Cross-references and citation back-links take the reader where they say.

A small site of its own (one article with labelled sections, a numbered equation and
citations against a .bib file), built with the repository's settings, so this test does
not depend on what the real articles happen to cite.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FILLER = "\n\n".join(
    f"Paragraph {n} of filler text, long enough that each target sits well below the fold "
    "of the window, so that following a link has to scroll the page to reach it." for n in range(25))
ARTICLE = f"""Title: References in a browser
Date: 2026-11-25
Slug: references-in-a-browser
Bibliography: refs.bib

Normalisation [@ioffe2015] is defined in @eq-bn and discussed in @sec-why.

{FILLER}

## Why it helps {{#sec-why}}

$$
\\hat{{x}} = \\frac{{x - \\mu}}{{\\sqrt{{\\sigma^2 + \\epsilon}}}}
$$ {{#eq-bn}}

{FILLER}

As @ioffe2015 put it, and as @santurkar2018 disputed.

{FILLER}
"""
BIB = """@inproceedings{ioffe2015,
  author = {Ioffe, Sergey and Szegedy, Christian},
  title = {Batch Normalization},
  booktitle = {ICML},
  year = {2015}
}
@inproceedings{santurkar2018,
  author = {Santurkar, Shibani and Tsipras, Dimitris and Ilyas, Andrew and Madry, Aleksander},
  title = {How Does Batch Normalization Help Optimization?},
  booktitle = {NeurIPS},
  year = {2018}
}
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def references_site(tmp_path_factory) -> str:
    from pelican import Pelican
    from pelican.settings import read_settings

    root = tmp_path_factory.mktemp("refsite")
    (root / "content").mkdir()
    (root / "content" / "refs.md").write_text(ARTICLE, encoding="utf-8")
    (root / "content" / "refs.bib").write_text(BIB, encoding="utf-8")
    settings = read_settings(str(REPO / "pelicanconf.py"), override={
        "PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"), "THEME": str(REPO / "theme"),
        "PLUGIN_PATHS": [str(REPO / "plugins")], "EXECBLOCKS_MODE": "off", "EXECBLOCKS_ROOT": str(root)})
    with contextlib.chdir(root):
        Pelican(settings).run()
    handler = functools.partial(_Quiet, directory=str(root / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/references-in-a-browser.html"
    server.shutdown()
    server.server_close()


IN_VIEW = """id => {
  const box = document.getElementById(id).getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight;
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_cross_reference_and_citation_back_link_go_to_their_targets(contexts, references_site):
    page = contexts("desktop").new_page()
    try:
        page.goto(references_site, wait_until="load")
        link = page.locator('a.cross-ref[href="#eq-bn"]')
        assert link.inner_text().replace("\xa0", " ") == "Equation 1"
        assert page.locator("#eq-bn .equation-number").inner_text() == "(1)"
        assert not page.evaluate(IN_VIEW, "eq-bn")
        link.click()
        page.wait_for_url("**#eq-bn")
        page.wait_for_function(IN_VIEW, arg="eq-bn")

        section = page.locator('a.cross-ref[href="#sec-why"]')
        assert section.inner_text().replace("\xa0", " ") == "Section 1"
        section.click()
        page.wait_for_url("**#sec-why")
        page.wait_for_function(IN_VIEW, arg="sec-why")

        # The second citation of ioffe2015 is the narrative one; its entry links back to it.
        page.locator("#cite-ioffe2015-2").click()
        page.wait_for_url("**#ref-ioffe2015")
        page.wait_for_function(IN_VIEW, arg="ref-ioffe2015")
        assert page.locator("#ref-ioffe2015").inner_text().startswith("Ioffe, S. and Szegedy, C. (2015)")
        page.locator('#ref-ioffe2015 a.ref-backlink[href="#cite-ioffe2015-1"]').click()
        page.wait_for_url("**#cite-ioffe2015-1")
        page.wait_for_function(IN_VIEW, arg="cite-ioffe2015-1")
        assert page.evaluate("document.querySelector(':target').textContent") == "Ioffe and Szegedy, 2015"
    finally:
        page.close()
