"""Relative links as notebook and Quarto authors write them become Pelican's {attach} /
{filename} links (plugins/reading/links.py), through the real Markdown pipeline."""

import markdown
import pytest

from reading import links


class LinksOnly(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802
        links.register(md)


def render(text: str) -> str:
    return markdown.markdown(text, extensions=["pymdownx.extra", LinksOnly()])


def test_an_image_beside_the_article_is_attached():
    assert '<img alt="Surus" src="{attach}surus.png" />' in render("![Surus](surus.png)")
    assert 'src="{attach}images/a%20b.png"' in render("![x](images/a%20b.png)")


def test_a_link_to_another_notebook_or_quarto_file_is_its_page():
    html = render("[next](05.05-Naive-Bayes.ipynb#Example) and [q](other.qmd), [md](../x.md)")
    assert 'href="{filename}05.05-Naive-Bayes.ipynb#Example"' in html
    assert 'href="{filename}other.qmd"' in html and 'href="{filename}../x.md"' in html


@pytest.mark.parametrize("url", ["https://x.org/a.png", "//cdn/x.png", "/abs.png", "#frag",
                                 "{static}/images/a.png", "mailto:a@b.c", "data:image/png;base64,AA"])
def test_absolute_and_pelican_links_are_left_alone(url):
    html = render(f"![a]({url}) [b]({url})")
    assert "{attach}" not in html and "{filename}" not in html.replace("{filename}", "", url.count("{filename}"))


def test_a_relative_link_to_a_non_article_file_is_left_alone():
    assert 'href="data.csv"' in render("[data](data.csv)")
