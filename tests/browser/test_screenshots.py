"""Full-page screenshots for people to look at, in test-artifacts/screenshots/."""

import pytest

BATCHNORM = "batchnorm"  # the slug of the first article


def shoot(visit, screenshots, path, name, width, scheme="light"):
    page = visit(width, path, color_scheme=scheme).page
    out = screenshots / f"{name}-{width}{'-dark' if scheme == 'dark' else ''}.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000, out


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_index(visit, screenshots, width):
    shoot(visit, screenshots, "index.html", "index", width)


@pytest.mark.parametrize(("width", "scheme"), [("desktop", "light"), ("phone", "light"), ("desktop", "dark")])
def test_batchnorm_article(visit, screenshots, article_page, width, scheme):
    path = article_page(BATCHNORM)
    assert path, f"the built site has no article with slug {BATCHNORM!r}"
    shoot(visit, screenshots, path, BATCHNORM, width, scheme)
