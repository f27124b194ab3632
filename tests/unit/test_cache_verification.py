"""Cached HTML is used only when it verifies: a block can rewrite the highlight cache or
the formula cache (it runs as the author), so a tampered entry is made again, never shown."""

import html
import json
from pathlib import Path

from execblocks.render.highlight import Highlighter, verified
from reading.mathcache import FormulaCache
from reading.mathcache import verified as formula_verified

def _highlight(code: str, numbered: bool) -> str:
    return Highlighter(None).html(code, numbered)


CODE = 'x = "<b>&"  # a comment\nfor i in range(3):\n    print(i)\n'
EVIL = '<img src=x onerror="alert(1)">'


def test_pygments_own_html_verifies_numbered_or_not():
    for code in (CODE, "", "\n\nx\t= 1\r\ny = 2\n\n", "s = '''<script>'''\n"):
        assert verified(code, _highlight(code, False)) and verified(code, _highlight(code, True))


def test_tampered_highlight_html_does_not_verify():
    good = _highlight(CODE, False)
    assert not verified(CODE, good.replace('<span class="n">', EVIL + '<span class="n">', 1))
    assert not verified(CODE, good.replace("range", "rangeX"))  # other text
    assert not verified(CODE + "y = 1\n", good)  # another block's HTML under this key
    assert not verified(CODE, good.replace('<span class="n">', '<span class="n" onclick="x()">', 1))


def test_a_tampered_cache_entry_is_highlighted_again_and_replaced(tmp_path):
    cache = tmp_path / "a.json"
    first = Highlighter(cache)
    honest = first.html(CODE)
    first.save()
    entries = json.loads(cache.read_text())
    [key] = entries
    entries[key] = honest.replace("<pre>", "<pre>" + EVIL, 1)
    cache.write_text(json.dumps(entries))
    second = Highlighter(cache)
    assert second.html(CODE) == honest
    second.save()
    assert EVIL not in cache.read_text()


def test_a_tampered_formula_entry_is_not_used(tmp_path):
    cache_file = tmp_path / "katex.json"
    cache = FormulaCache(cache_file, (Path(__file__),))
    katex = ('<span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML">'
             '<semantics><mrow><mi>x</mi></mrow><annotation encoding="application/x-tex">x</annotation>'
             '</semantics></math></span><span class="katex-html" aria-hidden="true"><span class="base">'
             '<span class="strut" style="height:0.4306em;"></span><span class="mord mathnormal">x</span>'
             '</span></span></span>')
    cache.put("x", False, katex)
    cache.put("y", False, katex.replace(">x<", ">y<"))
    cache.save()
    entries = json.loads(cache_file.read_text())
    [key_x] = [key for key, value in entries.items() if ">x</annotation>" in value]
    entries[key_x] = katex.replace('<span class="base">', '<span class="base">' + EVIL, 1)
    cache_file.write_text(json.dumps(entries))
    reread = FormulaCache(cache_file, (Path(__file__),))
    assert reread.get("x", False) is None  # rendered again
    assert reread.get("y", False) == katex.replace(">x<", ">y<")
    assert formula_verified("x", katex)
    assert not formula_verified("y", katex)  # another formula's markup
    assert not formula_verified("x", katex.replace('style="', 'style="background:url(//evil.example/a);', 1))
    assert not formula_verified("x", katex.replace("<mi>x</mi>", '<mi><a href="https://evil.example">x</a></mi>'))


def test_formulas_still_shown_by_pages_that_asked_for_none_stay_cached(tmp_path):
    """A page the engine's page cache gave back (execblocks/site/page_cache.py) asks the
    formula cache for nothing. When another page's edit rewrites the file, the formulas the
    untouched page still shows stay in it (else its next edit starts KaTeX again); those no
    page shows go."""
    cache_file = tmp_path / "katex.json"
    first = FormulaCache(cache_file, (Path(__file__),))
    for tex in ("x", "y", "a<b"):
        first.put(tex, False, f'<annotation encoding="application/x-tex">{html.escape(tex)}</annotation>')
    first.save()
    second = FormulaCache(cache_file, (Path(__file__),))
    assert second.get("x", False) is not None  # the edited page shows x, and z for the first time
    second.put("z", True, '<annotation encoding="application/x-tex">z</annotation>')
    kept_page = '<p>text</p><span class="katex"><annotation encoding="application/x-tex">a&lt;b</annotation></span>'
    second.save(lambda: ["<p>no math</p>", kept_page])
    third = FormulaCache(cache_file, (Path(__file__),))
    assert len(json.loads(cache_file.read_text())) == 3  # x, z and a<b; y is gone
    assert third.get("a<b", False) is not None and third.get("y", False) is None and third.get("z", True)
