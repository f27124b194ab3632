"""citations: `[@key]`, `@key`, `[@a; @b, p. 3]` against a BibTeX file, with References."""

import json
import os
from pathlib import Path

import markdown
import pytest

from execblocks.references.citations import bibliography_for
from execblocks.source.header import read_header
from execblocks.references.crossref import ReferencesExtension
from execblocks.errors import ArticleSyntaxError
from support import parse_html

DATA = Path(__file__).parent / "data"
SITE = {"extensions": ["extra", "meta", "toc", "pymdownx.arithmatex"],
        "extension_configs": {"toc": {"permalink": "#"}, "pymdownx.arithmatex": {"generic": True}}}


def convert(body: str, settings: dict | None = None, header: str = "Title: A\nBibliography: refs.bib\n") -> str:
    text = header + "\n" + body
    bib = bibliography_for(read_header(text.split("\n"), "content/a.md"), DATA / "a.md", "content/a.md", settings or {}, DATA)
    md = markdown.Markdown(extensions=SITE["extensions"] + [ReferencesExtension("content/a.md", text, bib)],
                           extension_configs=SITE["extension_configs"])
    return md.convert(text)


def test_bracketed_citation_links_to_its_entry():
    html = convert("Normalising helps [@ioffe2015].\n")
    assert ('Normalising helps <span class="citation">(<a class="citation-link" id="cite-ioffe2015-1" '
            'href="#ref-ioffe2015">Ioffe and Szegedy, 2015</a>)</span>.') in html


def test_several_keys_a_locator_a_prefix_and_a_suppressed_author():
    html = convert("A [see @santurkar2018; @greydanus2020, p. 3]. Ioffe [-@ioffe2015, pp. 448-449].\n")
    assert ('(see <a class="citation-link" id="cite-santurkar2018-1" href="#ref-santurkar2018">Santurkar '
            '<i>et al.</i>, 2018</a>; <a class="citation-link" id="cite-greydanus2020-1" '
            'href="#ref-greydanus2020">Greydanus, 2020, p. 3</a>)') in html
    assert 'href="#ref-ioffe2015">2015, pp. 448–449</a>)' in html


def test_narrative_citation_names_the_authors_in_the_sentence():
    html = convert("As @santurkar2018 show, and @ioffe2015 [p. 450] argue.\n")
    assert 'href="#ref-santurkar2018">Santurkar <i>et al.</i> (2018)</a></span> show' in html
    assert 'href="#ref-ioffe2015">Ioffe and Szegedy (2015, p. 450)</a>' in html


def test_narrative_keeps_the_name_particle_and_section_locators_stay_in_the_link():
    html = convert("As @vanlaarhoven2017 notes [@ioffe2015, sec. 3.1].\n")
    assert 'href="#ref-vanlaarhoven2017">van Laarhoven (2017)</a>' in html
    assert 'href="#ref-ioffe2015">Ioffe and Szegedy, 2015, sec. 3.1</a>)' in html


def test_bracketed_citation_before_a_colon_and_three_authors_named_as_the_style_does():
    html = convert("Take this [@santurkar2018, sec. 2]: text. As @threeauthors2016 write.\n")
    assert '(<a class="citation-link" id="cite-santurkar2018-1" href="#ref-santurkar2018">Santurkar ' \
           '<i>et al.</i>, 2018, sec. 2</a>)</span>: text' in html
    assert 'href="#ref-threeauthors2016">Goodfellow, Bengio and Courville (2016)</a>' in html  # et-al-min is 4


def test_references_section_lists_cited_entries_with_back_links():
    html = convert("One [@santurkar2018]. Two [@ioffe2015]. Three @santurkar2018.\n\nNote.[^1]\n\n[^1]: A footnote.\n")
    refs = html.split('<section class="references" id="refs" role="doc-bibliography">')[1]
    assert refs.index("footnote") > refs.index("csl-entry")  # References come before footnotes
    assert '<h2 class="unnumbered" id="references">References' in refs
    entries = [div["id"] for div in parse_html(refs).find_all("div", "csl-entry")]
    assert entries == ["ref-ioffe2015", "ref-santurkar2018"]  # cited ones only, sorted by author
    assert "greydanus2020" not in refs
    assert ('<a class="ref-backlink" href="#cite-santurkar2018-1" aria-label="Back to citation 1 of '
            'santurkar2018">↩1</a> <a class="ref-backlink" href="#cite-santurkar2018-2"') in refs
    assert '<a href="https://arxiv.org/abs/1502.03167">https://arxiv.org/abs/1502.03167</a>' in refs
    assert 'id="cite-santurkar2018-2"' in html


def test_entry_text_is_sanitised():
    html = convert("[@greydanus2020]\n")
    assert "<script" not in html and "Scaling Down Deep Learning" in html


def test_unknown_key_is_an_error_at_its_line():
    with pytest.raises(ArticleSyntaxError) as error:
        convert("Fine.\n\n`@nope` in code is fine, but\nthis [@ioffe2015; @nope] is not.\n")
    assert str(error.value).startswith("content/a.md:7: unknown citation key @nope (not in refs.bib)")


def test_missing_bibliography_file_is_an_error_at_the_header_line():
    with pytest.raises(ArticleSyntaxError) as error:
        convert("[@ioffe2015]\n", header="Title: A\nDate: 2026-01-01\nBibliography: missing.bib\n")
    assert str(error.value).startswith("content/a.md:3: bibliography missing.bib not found")


def test_mail_addresses_and_code_are_not_citations():
    html = convert("Mail ioffe@google.com, `x@ioffe2015`, `[@ioffe2015]`.\n\n```\n@ioffe2015\n```\n")
    assert "citation" not in html and "References" not in html


def test_site_default_bibliography_and_yaml_front_matter():
    html = convert("[@ioffe2015]\n", settings={"EXECBLOCKS_BIBLIOGRAPHY": "refs.bib"}, header="Title: A\n")
    assert 'href="#ref-ioffe2015"' in html
    assert read_header("---\ntitle: A\nbibliography: [a.bib, b.bib]\n---\n\nText".split("\n"), "a.md").fields == \
        {"title": "A", "bibliography": ["a.bib", "b.bib"]}


def test_a_closing_references_heading_of_the_document_holds_the_bibliography():
    html = convert("Normalising helps [@ioffe2015].\n\n## References\n")
    assert html.count(">References") == 1  # the document's own heading, no second one
    assert html.index('id="references"') < html.index('<div class="references" id="refs" role="doc-bibliography">')
    assert 'id="ref-ioffe2015"' in html.split('id="refs"')[1]


def test_a_refs_div_is_where_the_bibliography_goes():
    from reading import divs

    class Divs(markdown.Extension):
        def extendMarkdown(self, md):  # noqa: N802
            divs.register(md)

    text = "Title: A\nBibliography: refs.bib\n\nIt helps [@ioffe2015].\n\n# Sources\n\n::: {#refs}\n:::\n\nAfter.\n"
    bib = bibliography_for(read_header(text.split("\n"), "content/a.md"), DATA / "a.md", "content/a.md", {}, DATA)
    md = markdown.Markdown(extensions=SITE["extensions"] + [ReferencesExtension("content/a.md", text, bib), Divs()],
                           extension_configs=SITE["extension_configs"])
    html = md.convert(text)
    assert ">References" not in html
    assert html.index("Sources") < html.index('id="ref-ioffe2015"') < html.index("After.")


# -- the rendering cache (references/citecache.py) ---------------------------------------------

def cached_convert(tmp_path, body: str):
    """One conversion as a build does it, with a cache under tmp_path/cache; (html, bibliography)."""
    text = "Title: A\nBibliography: refs.bib\n\n" + body
    bib = bibliography_for(read_header(text.split("\n"), "content/a.md"), tmp_path / "a.md", "content/a.md", {},
                           tmp_path, cache_dir=tmp_path / "cache")
    md = markdown.Markdown(extensions=SITE["extensions"] + [ReferencesExtension("content/a.md", text, bib)],
                           extension_configs=SITE["extension_configs"])
    return md.convert(text), bib


BODY = "One [@santurkar2018; @ioffe2015, p. 3]. As @vanlaarhoven2017 notes [-@ioffe2015].\n"


def test_a_second_build_renders_citations_from_the_cache_without_reading_the_bib(tmp_path):
    (tmp_path / "refs.bib").write_bytes((DATA / "refs.bib").read_bytes())
    first, bib = cached_convert(tmp_path, BODY)
    assert bib.was_read
    again, bib = cached_convert(tmp_path, BODY)
    assert again == first and not bib.was_read
    assert again == convert(BODY)  # what a build without any cache renders


def test_an_edited_bib_or_other_citations_render_again(tmp_path):
    bib_file = tmp_path / "refs.bib"
    bib_file.write_bytes((DATA / "refs.bib").read_bytes())
    cached_convert(tmp_path, BODY)
    html, bib = cached_convert(tmp_path, BODY + "And [@greydanus2020].\n")
    assert bib.was_read and 'id="ref-greydanus2020"' in html
    stat = bib_file.stat()
    edited = bib_file.read_text(encoding="utf-8").replace("Batch Normalization", "Batch Normalisation")
    bib_file.write_text(edited, encoding="utf-8")  # the same size,
    os.utime(bib_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the same mtime: the content decides
    html, bib = cached_convert(tmp_path, BODY + "And [@greydanus2020].\n")
    assert bib.was_read and "Batch Normalisation" in html and "Batch Normalization" not in html


def test_a_broken_bib_fails_even_when_its_last_good_rendering_is_cached(tmp_path):
    bib_file = tmp_path / "refs.bib"
    bib_file.write_bytes((DATA / "refs.bib").read_bytes())
    cached_convert(tmp_path, BODY)
    bib_file.write_text(bib_file.read_text(encoding="utf-8") + "\n@article{broken,\n  title={B", encoding="utf-8")
    with pytest.raises(ArticleSyntaxError, match="never closed"):
        cached_convert(tmp_path, BODY)


def test_a_tampered_cache_entry_is_rendered_again_not_used(tmp_path):
    (tmp_path / "refs.bib").write_bytes((DATA / "refs.bib").read_bytes())
    first, _ = cached_convert(tmp_path, BODY)
    (cache_file,) = (tmp_path / "cache").rglob("*.json")
    data = json.loads(cache_file.read_text(encoding="utf-8"))
    data["texts"][0] = "<script>alert(1)</script>Santurkar"
    cache_file.write_text(json.dumps(data), encoding="utf-8")
    html, bib = cached_convert(tmp_path, BODY)
    assert bib.was_read and html == first and "<script" not in html
    data["texts"][0], data["entries"][0][2] = first.split('href="#ref-santurkar2018">')[1].split("</a>")[0], \
        'https://x.org/" onmouseover="alert(1)'
    cache_file.write_text(json.dumps(data), encoding="utf-8")
    html, bib = cached_convert(tmp_path, BODY)
    assert bib.was_read and html == first and "onmouseover" not in html
