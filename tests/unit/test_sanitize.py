"""sanitize: HTML a block printed runs nothing and loads nothing from another host."""

import re

import pytest

from execblocks.render.sanitize import same_site_image, sanitize_html, sanitize_inline

FOREIGN = re.compile(r"(?i)(?:https?:)?//|\\\\|url\s*\(|image-set|@import")


@pytest.mark.parametrize("markup", [
    '<div style="background:url(https://evil.example/a.png)">x</div>',
    "<div style=\"background-image: url('//evil.example/a.png')\">x</div>",
    '<td style="color: red; background: URL( \'//evil.example/t.gif\' )">x</td>',
    '<span style="list-style-image: url(https://evil.example/b.png)">x</span>',
    '<span style="border-image: url(https://evil.example/b.png) 30">x</span>',
    '<span style="content: url(https://evil.example/c.png)">x</span>',
    '<span style="background-color: \\75 rl(https://evil.example/d.png)">x</span>',
    '<span style="background-image: image-set(\'https://evil.example/e.png\' 1x)">x</span>',
    '<span style="color:red;@import \'https://evil.example/f.css\'">x</span>',
    '<img src="https://evil.example/pixel.gif" alt="p">',
    '<img src="//evil.example/pixel.gif" alt="p">',
    '<img src=" \thttps://evil.example/pixel.gif" alt="p">',
    '<img src="/\\evil.example/pixel.gif" alt="p">',
    '<img src="http:evil.example/pixel.gif" alt="p">',
    '<img srcset="https://evil.example/a.png 2x" alt="p">',
    '<table background="https://evil.example/t.png"><tr><td>x</td></tr></table>',
    '<link rel="stylesheet" href="https://evil.example/s.css"><style>@import url(//evil.example/s.css)</style>',
    '<video poster="https://evil.example/p.png" src="https://evil.example/v.mp4"></video>',
    '<svg><image href="https://evil.example/i.png"/></svg>',
    '<object data="https://evil.example/o"></object><iframe src="https://evil.example/"></iframe>',
])
def test_nothing_that_loads_from_another_host_survives(markup):
    cleaned = sanitize_html(markup)
    assert not FOREIGN.search(cleaned), cleaned


def test_a_tables_presentation_stays():
    markup = ('<table class="dataframe" border="1"><thead><tr style="text-align: right;"><th>a</th></tr></thead>'
              '<tbody><tr><td style="background-color: #ff0000; color: white; font-weight: bold">1</td></tr>'
              '</tbody></table>')
    cleaned = sanitize_html(markup)
    assert '<table class="dataframe">' in cleaned
    assert '<tr style="text-align:right">' in cleaned
    assert 'style="background-color:#ff0000;color:white;font-weight:bold"' in cleaned


def test_a_style_that_names_a_url_is_dropped_whole_other_properties_are_filtered():
    assert sanitize_html('<span style="color: red; background: url(x.png)">x</span>') == "<span>x</span>"
    assert sanitize_html('<span style="color: red; position: fixed; top: 0">x</span>') == \
        '<span style="color:red">x</span>'


def test_images_of_the_site_and_inline_data_stay_links_to_other_hosts_stay():
    assert 'src="figures/a.png"' in sanitize_html('<img src="figures/a.png" alt="a">')
    assert 'src="data:image/png;base64,iVBO"' in sanitize_html('<img src="data:image/png;base64,iVBO">')
    assert sanitize_html('<a href="data:text/html,x">x</a><img src="data:text/html,x">') == \
        '<a rel="noopener noreferrer">x</a><img>'
    assert sanitize_html('<a href="https://example.org/">x</a>') == \
        '<a href="https://example.org/" rel="noopener noreferrer">x</a>'


@pytest.mark.parametrize("url, kept", [
    ("a.png", True), ("/static/a.png", True), ("../a.png", True), ("data:image/svg+xml;base64,PHN2Zz4=", True),
    ("//evil.example/a.png", False), ("https://evil.example/a.png", False), ("\\\\evil.example\\a.png", False),
    ("\n//evil.example/a.png", False), ("javascript:alert(1)", False), ("data:text/html,<script>", False),
    ("", False),
])
def test_same_site_image(url, kept):
    assert same_site_image(url) is kept


def test_scripts_and_handlers_still_go():
    cleaned = sanitize_html('<img src="a.png" onerror="alert(1)"><script>alert(2)</script><b onclick="x()">b</b>')
    assert "alert" not in cleaned and "onclick" not in cleaned and "<b>b</b>" in cleaned


def test_inline_references_keep_small_caps_and_lose_foreign_styles():
    markup = ('<span style="font-variant:small-caps;">Name</span> <i>T</i> '
              '<span style="background:url(//evil.example/x)">y</span><script>z</script>')
    cleaned = sanitize_inline(markup, {"i", "span"}, {"span": {"style"}})
    assert cleaned == '<span style="font-variant:small-caps">Name</span> <i>T</i> <span>y</span>'
