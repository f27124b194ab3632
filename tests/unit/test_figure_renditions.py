"""Figure renditions: made in the kernel (execkernel/renditions.py, execkernel/figure_saving.py's dark recolouring)
and stored by the engine (store/images.py), on real matplotlib figures drawn in this process."""

import base64
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from execkernel import figure_saving as runtime, renditions as figure_png  # noqa: E402
from execkernel.policy import FIGURE_DPI  # noqa: E402
from support import blog_style_figure  # noqa: E402
from execkernel.renditions import figure_pngs, figure_rasters, renditions  # noqa: E402
from execblocks.store.images import UnsafeSVG, externalise, sanitize_svg  # noqa: E402

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
DPI = FIGURE_DPI
DARK_BACKGROUND = tuple(int(runtime.DARK_BACKGROUND[i:i + 2], 16) for i in (1, 3, 5))


plot = blog_style_figure  # a figure like the articles' (tests/support.py)


def with_suptitle():
    figure, axes = plt.subplots(2, 2)
    figure.suptitle("Four panels")
    axes[0, 0].plot([1, 3, 2])
    return figure


def with_colorbar():
    figure, axes = plt.subplots()
    image = axes.imshow(np.random.default_rng(0).random((10, 10)))
    figure.colorbar(image, label="value")
    return figure


def with_legend_inside():
    figure, axes = plt.subplots()
    axes.plot([1, 2], label="rising")
    axes.plot([2, 1], label="falling")
    axes.legend(loc="upper center")
    axes.set_xlabel("time")
    return figure


def with_legend_outside():
    figure, axes = plt.subplots(layout="none")  # a layout engine would pull the legend inside
    axes.plot([1, 2], label="a long legend label")
    axes.legend(bbox_to_anchor=(1.02, 1), loc="upper left")
    return figure


def constrained_with_colorbar():
    figure, axes = plt.subplots(layout="constrained")
    image = axes.imshow(np.arange(100).reshape(10, 10))
    figure.colorbar(image)
    axes.set_title("Constrained")
    return figure


def savefig_image(figure) -> Image.Image:
    """What matplotlib's own savefig gives with the engine's settings."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return Image.open(io.BytesIO(buffer.getvalue()))


def dark_recolouring(figure):
    return runtime._dark_recolouring(figure)


def pixels(image) -> np.ndarray:
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# -- rasters -------------------------------------------------------------------------

def drawn_box(image) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the pixels that differ from the top-left one."""
    array = np.asarray(image.convert("RGB"), dtype=np.int16)
    drawn = (array != array[0, 0]).any(axis=2)
    rows, columns = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    return columns[0], rows[0], columns[-1] + 1, rows[-1] + 1


@pytest.mark.parametrize("make", [with_suptitle, with_colorbar, with_legend_inside, plot, constrained_with_colorbar])
def test_the_crop_is_savefigs_box_and_picture(make):
    # Every shape against savefig, past the canvas' edge too: tests/unit/test_figure_crop.py.
    figure = make()
    light, dark = figure_rasters(figure, DPI, dark_recolouring)
    assert figure_png._cropped_rasters(figure, DPI, None) is not None  # cropped, not saved again
    expected = savefig_image(figure)
    assert light.size == dark.size == expected.size
    # The same picture: savefig places it at a fractional pixel offset, which moves
    # anti-aliased edges (well under 2 % of pixels by > 40/255); a drawing a pixel off
    # moves several times more.
    error = np.abs(pixels(light) - pixels(expected)).max(axis=2)
    assert (error > 40).mean() < 0.02


def test_what_only_the_dark_figure_shows_is_inside_both_crops():
    """An image with a white margin and no axes: on white the margin is background, on
    the dark page (images keep their colours) it is drawn, and must not be cut off."""
    figure, axes = plt.subplots()
    data = np.ones((40, 40))
    data[15:25, 15:25] = 0  # a black square in a white image
    axes.imshow(data, cmap="gray", vmin=0, vmax=1)
    axes.set_axis_off()
    light, dark = figure_rasters(figure, DPI, dark_recolouring)
    assert light.size == dark.size
    pad = round(plt.rcParams["savefig.pad_inches"] * DPI)
    left, top, right, bottom = drawn_box(dark)
    margins = (left, top, dark.width - right, dark.height - bottom)
    assert all(abs(margin - pad) <= 1 for margin in margins), margins  # the whole image, padded
    l_left, l_top, l_right, l_bottom = drawn_box(light)
    assert l_left > 2 * pad and (l_right - l_left) < 0.5 * (right - left)  # light shows only the square
    assert tuple(pixels(light)[0, 0]) == (255, 255, 255) and tuple(pixels(dark)[0, 0]) == DARK_BACKGROUND


def test_a_legend_outside_the_axes_is_not_cut_off():
    figure = with_legend_outside()
    assert figure_png._cropped_rasters(figure, DPI, None) is None  # reaches past the canvas: savefig
    light, dark = figure_rasters(figure, DPI, dark_recolouring)
    canvas_width = figure.get_size_inches()[0] * DPI
    expected = savefig_image(figure)
    assert light.size == expected.size == dark.size and light.width > 0.95 * canvas_width
    assert (pixels(light) == pixels(expected)).all()
    # The legend's text reaches into the last tenth of the image.
    right = pixels(light)[:, int(0.9 * light.width):]
    assert (right.max(axis=2) < 100).sum() > 50


def test_the_padding_beyond_the_canvas_is_the_figure_background():
    # Constrained layout (the blog style) puts content near the canvas' edges, so
    # savefig's 0.1 in padding reaches past them: that band is painted as savefig paints it.
    figure = plot()
    figure.set_dpi(DPI)
    figure.canvas.draw()
    left, top, width, height = figure_png._tight_box(figure, figure.canvas, DPI)
    columns, rows = figure.canvas.get_width_height()
    assert left < 0 or top < 0 or left + width > columns or top + height > rows  # the case in point
    figure.set_dpi(100)
    light, dark = figure_rasters(figure, DPI, dark_recolouring)
    light_pixels, dark_pixels = pixels(light), pixels(dark)
    for corner in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert tuple(light_pixels[corner]) == (255, 255, 255)
        assert tuple(dark_pixels[corner]) == DARK_BACKGROUND


def test_dark_rendition_recolours_background_and_text_but_keeps_data_colours():
    light, dark = (pixels(image) for image in figure_rasters(plot(), DPI, dark_recolouring))
    assert light.shape == dark.shape and (light != dark).any()
    assert tuple(light[2, 2]) == (255, 255, 255)
    assert tuple(dark[2, 2]) == DARK_BACKGROUND
    # The Okabe-Ito blue of the first line is in both renditions.
    blue = np.array([0x00, 0x72, 0xB2])
    assert (np.abs(light - blue).max(axis=2) < 8).sum() > 200
    assert (np.abs(dark - blue).max(axis=2) < 8).sum() > 200
    # No near-black pixel is left on the dark one (text and the black line became light).
    assert (dark.max(axis=2) < 12).sum() == 0


def test_dark_rendition_recolours_an_annotation_box_with_its_text():
    figure = plot()
    label = figure.axes[0].text(0.5, 0.5, "note", bbox={"facecolor": "white", "edgecolor": "black"})
    restore = runtime._dark_recolouring(figure)
    box = label.get_bbox_patch()
    assert box.get_facecolor()[:3] != (1.0, 1.0, 1.0) and sum(label.get_color()[:3]) > 2.4
    restore()
    assert box.get_facecolor()[:3] == (1.0, 1.0, 1.0) and label.get_color() == "black"


def test_auto_marker_and_face_edge_colours_follow_what_they_follow_and_are_put_back():
    """Told apart through public getters (does the colour move with the line's / faces'?):
    an "auto" marker is recoloured once, with its line (swapping it too mapped the line's
    new colour a second time); an explicit one on its own; "face" edges follow the faces,
    and a colour-mapped mesh's "face" edges are left to its colour map."""
    figure, axes = plt.subplots()
    auto, = axes.plot([1, 2], "ko-")
    explicit, = axes.plot([2, 1], "o-", color="k", markerfacecolor="0.2", markeredgecolor="k")
    scatter = axes.scatter([1, 2], [1, 2], c="0.5", edgecolors="face")
    mesh = axes.pcolormesh(np.arange(16).reshape(4, 4), cmap="gray", edgecolors="face")
    undo = runtime._dark_recolouring(figure)
    try:
        assert auto.get_markerfacecolor() == auto.get_markeredgecolor() == auto.get_color() == runtime._dark_colour("k")
        assert explicit.get_markerfacecolor() == runtime._dark_colour("0.2")
        assert explicit.get_markeredgecolor() == runtime._dark_colour("k")
        assert np.array_equal(scatter.get_edgecolor(), scatter.get_facecolor())  # still "face"
        assert np.array_equal(scatter.get_facecolor()[0], runtime._dark_colour("0.5"))
        assert np.shares_memory(mesh.get_edgecolor(), mesh.get_facecolor())  # untouched: still "face"
    finally:
        undo()
    assert auto.get_markerfacecolor() == auto.get_color() == "k"
    assert explicit.get_markerfacecolor() == "0.2" and explicit.get_markeredgecolor() == "k"
    assert np.shares_memory(scatter.get_edgecolor(), scatter.get_facecolor())
    assert tuple(scatter.get_facecolor()[0]) == (0.5, 0.5, 0.5, 1.0)


def test_dark_rendition_puts_every_colour_back_and_the_figure_stays_usable():
    figure = plot()
    before = savefig_image(figure)
    figure_pngs(figure, DPI, dark_recolouring)
    after = savefig_image(figure)
    assert (pixels(after) == pixels(before)).all()  # the author's figure is unchanged
    assert figure.dpi == 100 and figure.get_layout_engine() is not None


def test_a_transparent_figure_keeps_its_alpha():
    figure = with_legend_inside()
    figure.patch.set_alpha(0)
    light, dark = figure_rasters(figure, DPI, dark_recolouring)
    assert light.mode == dark.mode == "RGBA"
    assert light.getpixel((0, 0))[3] == 0 and dark.getpixel((0, 0))[3] == 0
    full = Image.open(io.BytesIO(figure_pngs(figure, DPI).light[0].data)).convert("RGBA")
    assert full.getpixel((0, 0))[3] == 0 and full.getchannel("A").getextrema() == (0, 255)


def test_a_half_transparent_figure_keeps_its_alpha_and_an_opaque_one_is_read_as_rgb_unchanged():
    figure = with_legend_inside()
    figure.patch.set_alpha(0.5)
    light, _ = figure_rasters(figure, DPI)
    assert light.mode == "RGBA" and light.getpixel((0, 0))[3] == 128
    figure.patch.set_alpha(1)
    figure.canvas.draw()
    box = (7, 5, 300, 200)  # left, top, width, height: inside the canvas
    direct = figure_png._crop(figure, figure.canvas, box)
    # The opaque crop is read straight into RGB; it must hold what the RGBA buffer holds there.
    buffer = np.asarray(figure.canvas.buffer_rgba())
    assert direct.mode == "RGB" and buffer[..., 3].min() == 255
    assert (np.asarray(direct) == buffer[5:205, 7:307, :3]).all()


def test_savefig_transparent_in_the_rc_is_honoured():
    figure = with_legend_inside()
    with plt.rc_context({"savefig.transparent": True}):
        light, _ = figure_rasters(figure, DPI)
    assert light.mode == "RGBA" and light.getpixel((0, 0))[3] == 0
    axes_inside = light.getpixel((light.width // 2, light.height // 2))
    assert axes_inside[3] == 0  # savefig clears the axes' background too


def test_savefig_facecolor_in_the_rc_is_the_background_as_savefig_paints_it():
    figure = with_legend_inside()
    with plt.rc_context({"savefig.facecolor": "#ffeedd"}):
        light, _ = figure_rasters(figure, DPI)
        expected = savefig_image(figure).convert("RGB")
    assert light.getpixel((0, 0)) == expected.getpixel((0, 0)) == (0xFF, 0xEE, 0xDD)
    assert figure.get_facecolor()[:3] == (1.0, 1.0, 1.0)  # the figure's own colour is back


# -- renditions and encoding -----------------------------------------------------------

def test_renditions_are_byte_stable_across_two_figures_drawn_alike():
    first, second = figure_pngs(plot(), DPI, dark_recolouring), figure_pngs(plot(), DPI, dark_recolouring)
    assert first == second and len(first.light) >= 2 and len(first.dark) >= 2


def test_png_renditions_are_lighter_without_visible_loss():
    figure = plot(figsize=(11, 4))
    raster, _ = figure_rasters(figure, DPI)
    original = savefig_image(figure)
    buffer = io.BytesIO()
    original.save(buffer, format="PNG")
    full, *phones = renditions(raster)
    assert Image.open(io.BytesIO(full.data)).mode == "P"  # a plot: the palette is invisible
    assert len(full.data) < 0.6 * len(buffer.getvalue()), (len(full.data), len(buffer.getvalue()))
    assert phones and set(r.width for r in phones) <= {1080, 720, 400}
    sizes = [len(r.data) for r in (full, *phones)]
    assert sizes == sorted(sizes, reverse=True)  # each narrower rendition is lighter, or not kept
    narrowest = phones[-1]
    assert Image.open(io.BytesIO(narrowest.data)).size == (narrowest.width,
                                                           round(raster.height * narrowest.width / raster.width))
    error = np.abs(pixels(raster) - pixels(full.data)).max(axis=2)
    assert (error > 12).mean() < figure_png.PALETTE_MAX_CHANGED and error.mean() < 1.0
    assert Image.open(io.BytesIO(full.data)).info.keys() <= {"transparency", "dpi"}  # no text chunks


def test_every_rendition_passes_the_loss_check_whichever_size_gave_the_palette(monkeypatch):
    # The palette is looked for on the widest phone twin first; when its octree loses too
    # much (the blog plot's translucent band), the full size's own attempts decide.
    found = []
    octree = figure_png._octree_if_close
    monkeypatch.setattr(figure_png, "_octree_if_close", lambda image: found.append(octree(image)) or found[-1])
    line, axes = plt.subplots()
    axes.plot([1, 3, 2, 4])
    for figure in (line, plot(figsize=(8, 4))):
        raster, _ = figure_rasters(figure, DPI)
        full, *phones = renditions(raster)
        assert phones
        for rendition in (full, *phones):
            image = Image.open(io.BytesIO(rendition.data))
            assert image.mode == "P"
            resized = raster if rendition is full else raster.resize((rendition.width, rendition.height),
                                                                     Image.Resampling.BOX)
            assert not figure_png.visible_loss(resized, image)
    assert found[0] is not None and found[1] is None  # both routes were taken


def test_a_narrower_rendition_is_kept_only_when_clearly_narrower():
    # 1100 px: 1080 is not clearly narrower (0.98 of it), 720 (0.65) and 400 are.
    raster = figure_rasters(plt.figure(figsize=(1100 / DPI, 3)), DPI)[0].resize((1100, 500))
    assert [r.width for r in renditions(raster)] == [1100, 720, 400]
    small = raster.resize((800, 360))  # 720 is 0.9 of 800: not made; 400 (0.5) is
    assert [r.width for r in renditions(small)] == [800, 400]
    assert [r.width for r in renditions(raster.resize((450, 200)))] == [450]  # 400 is 0.89 of 450


def test_a_narrower_rendition_that_is_not_lighter_is_dropped():
    # Four-colour noise: exact as a palette at full size; downscaled, every pixel blends
    # several of them, and the 720 px file comes out heavier than the 900 px one.
    colours = np.array([[255, 255, 255], [0, 0, 0], [230, 159, 0], [0, 114, 178]], dtype=np.uint8)
    noise = Image.fromarray(colours[np.random.default_rng(0).integers(0, 4, (300, 900))])
    smaller = renditions(noise.resize((720, 240), Image.Resampling.BOX))[0].data
    full, *narrower = renditions(noise)
    assert full.width == 900 and len(smaller) >= len(full.data)
    assert 720 not in [r.width for r in narrower]
    assert (pixels(full.data) == pixels(noise)).all()


def test_a_photo_like_image_stays_lossless():
    noise = np.random.default_rng(0).integers(0, 256, (200, 1200, 3), dtype=np.uint8)
    assert figure_png.visible_loss(Image.fromarray(noise), Image.fromarray(noise).quantize(256))
    full, phone, *_ = renditions(Image.fromarray(noise))  # 1080 is too close to 1200: 720 first
    assert Image.open(io.BytesIO(full.data)).mode == "RGB"
    assert (pixels(full.data) == noise).all()
    assert phone.width == 720


def test_encoding_is_deterministic_and_carries_no_metadata():
    raster = figure_rasters(with_colorbar(), DPI)[0]
    first, second = renditions(raster)[0].data, renditions(raster.copy())[0].data
    assert first == second
    chunks = chunk_types(first)
    assert chunks[0] == "IHDR" and chunks[-1] == "IEND"
    assert not {"tEXt", "zTXt", "iTXt", "tIME", "pHYs"} & set(chunks)


def chunk_types(png: bytes) -> list[str]:
    types, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at:at + 4], "big")
        types.append(png[at + 4:at + 8].decode("ascii"))
        at += 12 + length
    return types


# -- the kernel's output, stored by the engine --------------------------------------------

def figure_output(figure, dark=True) -> dict:
    """The display data execkernel/figure_saving.py publishes for a PNG figure."""
    mime, light, size, extra = runtime._render_png(figure, DPI, dark)
    return {"output_type": "display_data", "data": {mime: light, "text/plain": "Curves"},
            "metadata": {mime: size, "execblocks": {"figure": True, **extra}}}


def test_the_notebook_keeps_an_ordinary_light_png_and_its_css_size():
    figure = plot()
    output = figure_output(figure)
    light = Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"])))
    expected = savefig_image(figure)
    assert abs(light.width - expected.width) <= 1
    assert output["metadata"]["image/png"] == {"width": round(light.width * 96 / DPI),
                                               "height": round(light.height * 96 / DPI)}
    narrower = output["metadata"]["execblocks"]["narrower"]
    assert [r["width"] for r in narrower["light"]] == [r["width"] for r in narrower["dark"]] != []


def test_externalise_names_files_by_content_and_lists_renditions():
    output = figure_output(plot())
    files = externalise(output, lambda data, suffix: figures_hash(data) + suffix)
    renditions_listed = output["metadata"]["execblocks"]["renditions"]
    assert len(renditions_listed["light"]) >= 2 and len(renditions_listed["dark"]) >= 2
    assert output["data"]["image/png"] == renditions_listed["light"][0]["file"]
    assert {f.name for f in files} == {r["file"] for role in renditions_listed.values() for r in role}
    assert all(f.name == figures_hash(f.data) + ".png" for f in files)
    for role in renditions_listed.values():
        assert all(set(item) == {"file", "width"} for item in role)  # the stored format, as before
        widths = [r["width"] for r in role]
        assert widths == sorted(widths, reverse=True) and set(widths[1:]) <= {1080, 720, 400}
        for item in role:
            data = next(f.data for f in files if f.name == item["file"])
            assert Image.open(io.BytesIO(data)).width == item["width"]
    assert output["metadata"]["execblocks"].keys() == {"figure", "files", "renditions"}  # base64 went into files


def test_without_dark_figures_only_light_renditions_are_stored():
    output = figure_output(plot(), dark=False)
    externalise(output, lambda data, suffix: figures_hash(data) + suffix)
    assert list(output["metadata"]["execblocks"]["renditions"]) == ["light"]


def test_storing_a_figure_needs_no_image_library(tmp_path):
    """The build process only decodes, names and lists what the kernel encoded."""
    (tmp_path / "output.json").write_text(json.dumps(figure_output(plot())))
    probe = ("import json, sys\n"
             f"sys.path.insert(0, {str(PLUGINS)!r})\n"
             "from execblocks.store.images import externalise\n"
             f"output = json.load(open({str(tmp_path / 'output.json')!r}))\n"
             "files = externalise(output, lambda data, suffix: str(len(data)) + suffix)\n"
             "print(json.dumps({'files': len(files), 'heavy': sorted({'PIL', 'numpy', 'matplotlib'} & set(sys.modules))}))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found["files"] >= 4 and found["heavy"] == []


def figures_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_a_blocks_own_png_is_stored_as_given():
    buffer = io.BytesIO()
    savefig_image(plot()).save(buffer, format="PNG")
    raw = buffer.getvalue()
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
