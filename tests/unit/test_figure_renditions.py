"""Figure renditions (figures.py) and the kernel side's dark rendition (runtime.py),
on real matplotlib figures saved in this process."""

import base64
import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from execblocks import figures, runtime  # noqa: E402
from execblocks.figures import UnsafeSVG, externalise, png_renditions, sanitize_svg  # noqa: E402

STYLE = "code/blog.mplstyle"


def plot(figsize=(8, 4)):
    """A figure like the articles': the blog style, two data colours, a black line, a legend."""
    with plt.style.context(STYLE):
        figure, axes = plt.subplots(1, 2, figsize=figsize)
        x = np.linspace(0, 1, 50)
        axes[0].plot(x, x ** 2, label="square")
        axes[0].plot(x, x, "k--", label="identity")
        axes[0].legend(frameon=True)
        axes[0].set_title("Curves")
        axes[1].fill_between(x, x - 0.1, x + 0.1, alpha=0.3)
        axes[1].set_xlabel("x")
    return figure


def saved(figure, dark=False) -> bytes:
    render = runtime._render_dark if dark else (lambda f, fmt, dpi: runtime._render_figure(f, fmt, dpi)[1])
    return base64.b64decode(render(figure, "png", runtime.FIGURE_DPI))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_dark_rendition_recolours_background_and_text_but_keeps_data_colours():
    figure = plot()
    light, dark = pixels(saved(figure)), pixels(saved(figure, dark=True))
    assert light.shape == dark.shape
    background = tuple(int(c, 16) for c in (runtime.DARK_BACKGROUND[1:3], runtime.DARK_BACKGROUND[3:5],
                                            runtime.DARK_BACKGROUND[5:7]))
    assert tuple(light[2, 2]) == (255, 255, 255)
    assert tuple(dark[2, 2]) == background
    # The Okabe-Ito blue of the first line is in both renditions.
    blue = np.array([0x00, 0x72, 0xB2])
    assert (np.abs(light - blue).max(axis=2) < 8).sum() > 200
    assert (np.abs(dark - blue).max(axis=2) < 8).sum() > 200
    # No near-black pixel is left on the dark one (text and the black line became light).
    assert (dark.max(axis=2) < 12).sum() == 0


def test_dark_rendition_recolours_an_annotation_box_with_its_text():
    figure = plot()
    label = figure.axes[0].text(0.5, 0.5, "note", bbox={"facecolor": "white", "edgecolor": "black"})
    undo = runtime._recolour_for_dark(figure)
    box = label.get_bbox_patch()
    assert box.get_facecolor()[:3] != (1.0, 1.0, 1.0) and sum(label.get_color()[:3]) > 2.4
    for restore in reversed(undo):
        restore()
    assert box.get_facecolor()[:3] == (1.0, 1.0, 1.0) and label.get_color() == "black"


def test_dark_rendition_puts_every_colour_back():
    figure = plot()
    before = saved(figure)
    saved(figure, dark=True)
    assert saved(figure) == before  # the author's figure is unchanged after the dark save


def test_renditions_are_byte_stable_across_two_figures_drawn_alike():
    first = [r.data for r in png_renditions(saved(plot()))]
    second = [r.data for r in png_renditions(saved(plot()))]
    assert first == second and len(first) >= 2  # full size and at least one for phones


def test_png_renditions_are_lighter_without_visible_loss():
    original = saved(plot(figsize=(11, 4)))
    full, *phones = png_renditions(original)
    assert len(full.data) < 0.6 * len(original), (len(full.data), len(original))
    assert phones and set(r.width for r in phones) <= {1080, 720}
    sizes = [len(r.data) for r in (full, *phones)]
    assert sizes == sorted(sizes, reverse=True)  # each narrower rendition is lighter, or not kept
    full_height = Image.open(io.BytesIO(full.data)).height
    narrowest = phones[-1]
    assert Image.open(io.BytesIO(narrowest.data)).size == (narrowest.width, round(full_height * narrowest.width / full.width))
    before, after = pixels(original), pixels(full.data)
    error = np.abs(before - after).max(axis=2)
    assert (error > 12).mean() < figures.PALETTE_MAX_CHANGED and error.mean() < 1.0
    assert Image.open(io.BytesIO(full.data)).info.keys() <= {"transparency", "dpi"}  # no text chunks


def test_a_photo_like_image_stays_lossless():
    noise = np.random.default_rng(0).integers(0, 256, (200, 1200, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    full, phone = png_renditions(buffer.getvalue())  # 1080 is too close to 1200: only 720
    assert (pixels(full.data) == noise).all()
    assert phone.width == 720


def test_externalise_names_files_by_content_and_lists_renditions():
    figure = plot()
    output = {"output_type": "display_data",
              "data": {"image/png": base64.b64encode(saved(figure)).decode(), "text/plain": "Curves"},
              "metadata": {"image/png": {"width": 768, "height": 384},
                           "execblocks": {"figure": True,
                                          "dark": {"image/png": base64.b64encode(saved(figure, dark=True)).decode()}}}}
    files = externalise(output, lambda data, suffix: figures_hash(data) + suffix)
    renditions = output["metadata"]["execblocks"]["renditions"]
    assert len(renditions["light"]) >= 2 and len(renditions["dark"]) >= 2
    assert output["data"]["image/png"] == renditions["light"][0]["file"]
    assert {f.name for f in files} == {r["file"] for role in renditions.values() for r in role}
    assert all(f.name == figures_hash(f.data) + ".png" for f in files)
    widths = [r["width"] for r in renditions["light"]]
    assert widths == sorted(widths, reverse=True) and set(widths[1:]) <= {1080, 720}
    assert "dark" not in output["metadata"]["execblocks"]  # the base64 went into files


def figures_hash(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()[:16]


def test_a_blocks_own_png_is_stored_as_given():
    raw = saved(plot())
    output = {"output_type": "display_data", "data": {"image/png": base64.b64encode(raw).decode()}, "metadata": {}}
    files = externalise(output, lambda data, suffix: "x" + suffix)
    assert [f.data for f in files] == [raw] and "renditions" not in output["metadata"]["execblocks"]


HOSTILE_SVG = """<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">
 <script>alert(2)</script>
 <SCRIPT xlink:href="https://evil.example/x.js"/>
 <defs><path id="m" d="M0 0L1 1"/></defs>
 <use xlink:href="#m" x="1"/>
 <a xlink:href="javascript:alert(3)"><text onclick="alert(4)">t</text></a>
 <a href=" JaVaScRiPt:alert(5)"><rect width="1" height="1"/></a>
 <image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>
 <image href="https://tracker.example/pixel.png"/>
 <foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><script>alert(6)</script></body></foreignObject>
 <set attributeName="href" to="javascript:alert(7)"/>
 <style>@import url(https://evil.example/a.css); rect { fill: red }</style>
 <rect style="fill: url(https://evil.example/x)" clip-path="url(#m)" width="2" height="2"/>
</svg>"""


def test_svg_loses_every_way_to_run_or_fetch():
    clean = sanitize_svg(HOSTILE_SVG)
    lowered = clean.lower()
    for needle in ("<script", "onload", "onclick", "javascript:", "foreignobject", "<set", "evil.example",
                   "tracker.example", "@import"):
        assert needle not in lowered, needle
    # What a figure needs stays: internal references and embedded rasters.
    assert 'xlink:href="#m"' in clean and 'clip-path="url(#m)"' in clean
    assert 'xlink:href="data:image/png;base64,iVBORw0KGgo="' in clean
    assert clean.startswith("<svg ") and sanitize_svg(clean) == clean


def test_matplotlib_svg_survives_sanitising_with_its_glyph_references():
    buffer = io.BytesIO()
    plot().savefig(buffer, format="svg", metadata={"Date": None})
    original = buffer.getvalue().decode()
    clean = sanitize_svg(original)
    assert clean.count("xlink:href=\"#") == original.count("xlink:href=\"#") > 10
    assert clean.count("<path") == original.count("<path")


@pytest.mark.parametrize("svg, reason", [
    ('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', "entities"),
    ("<svg><unclosed></svg>", "well-formed"),
    ('<html xmlns="http://www.w3.org/1999/xhtml"><script>x</script></html>', "root element"),
])
def test_unsafe_svg_is_refused(svg, reason):
    with pytest.raises(UnsafeSVG, match=reason):
        sanitize_svg(svg)


def test_refused_svg_output_becomes_a_notice():
    output = {"output_type": "display_data", "data": {"image/svg+xml": "<svg><x></svg>"}, "metadata": {}}
    assert externalise(output, lambda data, suffix: "x" + suffix) == []
    assert "image/svg+xml" not in output["data"]
    assert output["data"]["text/plain"].startswith("[SVG image not shown: it is not well-formed XML")


def test_a_blocks_own_huge_png_becomes_a_notice():
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), "white").save(buffer, format="PNG")
    output = {"output_type": "display_data", "data": {"image/png": base64.b64encode(buffer.getvalue()).decode()},
              "metadata": {}}
    assert externalise(output, lambda data, suffix: "x" + suffix, max_pixels=10_000_000) == []
    assert output["data"] == {"text/plain": "[image not shown: 4000 x 3000 = 12,000,000 pixels, over "
                                            "EXECBLOCKS_MAX_FIGURE_PIXELS = 10,000,000]"}
