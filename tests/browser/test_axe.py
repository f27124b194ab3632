"""axe-core on every page of the built site, at phone and desktop width, light and dark:
no serious or critical violation (scrollable regions, heading order, names, contrast...)."""

import pytest

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
# Rules this theme fixed once; they must stay fixed whatever impact axe gives them.
ALWAYS = {"heading-order", "label-content-name-mismatch", "scrollable-region-focusable"}


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def describe(violation) -> str:
    nodes = "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                      for n in violation["nodes"][:4])
    return f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): {violation['help']} [{nodes}]"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_no_serious_axe_violations(visit, axe, site_page, width, scheme):
    page = visit(width, site_page, color_scheme=scheme).page
    results = axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING or v["id"] in ALWAYS]
    assert not blocking, f"{site_page} at {width}, {scheme}:\n  " + "\n  ".join(map(describe, blocking))
