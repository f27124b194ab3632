"""axe-core on every page of the built site, at 375, 1280 and 1920 px, light and dark:
no violation of any impact (scrollable regions, heading order, names, contrast, unique
landmarks...)."""

import pytest

pytestmark = pytest.mark.browser



@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def describe(violation) -> str:
    nodes = "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                      for n in violation["nodes"][:4])
    return f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): {violation['help']} [{nodes}]"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["phone", "desktop", "wide"])
def test_no_axe_violations(visit, axe, site_page, width, scheme):
    page = visit(width, site_page, color_scheme=scheme).page
    violations = axe.run(page).response["violations"]
    assert not violations, f"{site_page} at {width}, {scheme}:\n  " + "\n  ".join(map(describe, violations))
