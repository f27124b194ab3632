"""Full-page screenshots for people to look at, in test-artifacts/screenshots/."""

import pytest

BATCHNORM = "batchnorm"  # the slug of the first article


def shoot(visit, screenshots, path, name, width, scheme="light"):
    page = visit(width, path, color_scheme=scheme).page
    out = screenshots / f"{name}-{width}{'-dark' if scheme == 'dark' else ''}.png"
    # A full phone page at 2x is a tall image: a generous limit, as the machine may be busy.
    page.screenshot(path=str(out), full_page=True, timeout=300_000)
    assert out.stat().st_size > 10_000, out


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_index(visit, screenshots, width):
    shoot(visit, screenshots, "index.html", "index", width)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["desktop", "wide", "phone"])
def test_batchnorm_article(visit, screenshots, article_page, width, scheme):
    path = article_page(BATCHNORM)
    assert path, f"the built site has no article with slug {BATCHNORM!r}"
    shoot(visit, screenshots, path, BATCHNORM, width, scheme)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_batchnorm_first_screen(visit, screenshots, article_page, width, scheme):
    """What a reader sees first (title, byline, contents), and the first screen that holds
    code and a figure: the window, not the whole page, so details stay legible."""
    page = visit(width, article_page(BATCHNORM), color_scheme=scheme).page
    suffix = f"{width}{'-dark' if scheme == 'dark' else ''}"
    page.screenshot(path=str(screenshots / f"{BATCHNORM}-top-{suffix}.png"))
    page.locator(".post-body .highlight").first.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -40)")
    page.wait_for_function("window.scrollY > 0")
    out = screenshots / f"{BATCHNORM}-code-{suffix}.png"
    page.screenshot(path=str(out))
    assert out.stat().st_size > 10_000, out
