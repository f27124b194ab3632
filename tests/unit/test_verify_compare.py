"""verify's comparison (plugins/execblocks/verify): numbers within tolerance, text and
verdict words exactly, figures by their pixels, tables cell by cell; its records."""

from __future__ import annotations

import io
from dataclasses import replace

import nbformat
import numpy as np
import pytest
from PIL import Image

from execblocks.errors import ConfigError
from execblocks.store.records import Machine, Verification
from execblocks.store.results_folder import ResultsStore
from execblocks.verify.summary import footer_line, of_results, status_line
from execblocks.verify.compare import compare, compare_text, split_numbers
from execblocks.verify.drift import summary, table
from execblocks.verify.observe import Item, inline_items, notebook_items, parse_tables
from execblocks.verify.tolerance import Tolerance, Tolerances, tolerances_for
from support import provenance, stored_record


def value(text, kind="value", key=("inline", 0), block=None):
    return Item(key, kind, f"inline {key[-1] + 1}", text, block)


@pytest.mark.parametrize("text, shape, numbers", [
    ("49.7 % (46.7–51.7 %)", "\0 % (\0–\0 %)", [49.7, 46.7, 51.7]),
    ("4,000", "\0", [4000.0]),
    ("0.84, 0.01, 0.48", "\0, \0, \0", [0.84, 0.01, 0.48]),
    ("2e-02–6e-01", "\0–\0", [0.02, 0.6]),
    ("-1.9 and +2.3 and \u22120.5", "\0 and \0 and \0", [-1.9, 2.3, -0.5]),
    ("block-3 of a3f9 in 2.13.0", "block-\0 of a3f9 in \0.0", [3.0, 2.13]),
    ("15th, 50th", "\0th, \0th", [15.0, 50.0]),
])
def test_numbers_are_split_from_the_text_around_them(text, shape, numbers):
    assert split_numbers(text) == (shape, numbers)


def test_a_number_within_the_relative_tolerance_passes_and_one_beyond_fails():
    tolerance = Tolerance(rel=0.01)
    inside = compare_text(value("49.4 % (46.0–51.0 %)"), value("49.7 % (46.0–51.0 %)"), tolerance)
    assert inside.moved and not inside.beyond and inside.change == "+0.61 %"
    beyond = compare_text(value("1.0"), value("1.5"), tolerance)
    assert beyond.beyond and beyond.change == "+50 %"


def test_the_absolute_tolerance_covers_numbers_near_zero():
    assert compare_text(value("-0.04"), value("-0.03"), Tolerance(rel=0.01)).beyond
    assert not compare_text(value("-0.04"), value("-0.03"), Tolerance(rel=0.01, abs=0.02)).beyond


def test_text_around_numbers_must_match_exactly():
    drift = compare_text(value("3 of 5"), value("3 out of 5"), Tolerance(rel=1.0))
    assert drift.beyond and drift.change == "text changed"


def test_a_changed_verdict_word_is_reported_as_flipped():
    [stored] = inline_items(["above"], ["inline 1"])
    [fresh] = inline_items(["below"], ["inline 1"])
    assert stored.kind == "verdict"
    drift = compare_text(stored, fresh, Tolerance(rel=10))
    assert drift.beyond and drift.change == "flipped"


def test_inline_values_with_digits_are_values_and_without_are_verdicts():
    kinds = [i.kind for i in inline_items(["3", "apart", "62 % (60–66 %)", "level with"], ["a", "b", "c", "d"])]
    assert kinds == ["value", "verdict", "value", "verdict"]


def png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def figure(data: bytes, block=2):
    return Item(("figure", block, 1), "figure", f"block {block} figure 1", "", block, data, "image/png")


def canvas(line_at: int, size=(100, 200)):
    array = np.full(size + (3,), 255)
    array[line_at:line_at + 3, 20:180] = 0  # a black horizontal line
    return array


def test_identical_figures_do_not_move_and_a_moved_line_gives_a_diff_image():
    base = figure(png(canvas(40)))
    same = compare([base], [figure(png(canvas(40)))], Tolerances()).drifts[0]
    assert not same.moved and same.diff_image is None
    moved = compare([base], [figure(png(canvas(60)))], Tolerances()).drifts[0]
    assert moved.moved and moved.beyond and moved.diff_image is not None
    diff = np.asarray(Image.open(io.BytesIO(moved.diff_image)).convert("RGB")).astype(int)
    # Red where the rerun drew the new line, blue where the stored line is gone.
    assert diff[61, 100, 0] > 150 and diff[61, 100, 2] < 100
    assert diff[41, 100, 2] > 150 and diff[41, 100, 0] < 100
    # Far from both lines nothing is coloured.
    assert abs(diff[90, 100, 0] - diff[90, 100, 2]) < 5


def test_a_small_pixel_change_stays_within_the_figure_tolerance():
    a, b = canvas(40), canvas(40)
    b[5, 5] = 0  # one pixel of 20,000
    drift = compare([figure(png(a))], [figure(png(b))], Tolerances()).drifts[0]
    assert drift.moved and not drift.beyond and drift.diff_image is not None
    strict = Tolerances(Tolerance(figure=0.0))
    assert compare([figure(png(a))], [figure(png(b))], strict).drifts[0].beyond


def framed(scale: int, pad: int):
    """An axes frame with a diagonal line, drawn at `scale` pixels per unit, padded by `pad`."""
    size = 100 * scale
    array = np.full((size // 2 + 2 * pad, size + 2 * pad, 3), 255)
    array[pad:pad + scale, pad:pad + size] = 0
    array[pad + size // 2 - scale:pad + size // 2, pad:pad + size] = 0
    array[pad:pad + size // 2, pad:pad + scale] = 0
    array[pad:pad + size // 2, pad + size - scale:pad + size] = 0
    for x in range(size):
        y = pad + int(x * 0.4) + scale
        array[y:y + scale, pad + x] = 0
    return array


def test_a_figure_drawn_at_another_resolution_and_padding_is_compared_drawing_to_drawing():
    stored, reader = png(framed(4, 40)), png(framed(2, 9))  # 192 dpi against Jupyter's ~100
    drift = compare([figure(stored)], [figure(reader)], Tolerances()).drifts[0]
    assert drift.fresh.endswith("stored 480x280, rerun 218x118; both drawings compared at 200x100")
    assert not drift.beyond
    moved = framed(2, 9)
    moved[60:66, 120:200] = 0  # something the stored figure does not have
    assert compare([figure(stored)], [figure(png(moved))], Tolerances()).drifts[0].beyond


def test_a_figure_drawn_at_another_shape_fails_and_says_so():
    tall = np.asarray(Image.fromarray(framed(4, 40).astype(np.uint8)).resize((480, 900)))
    drift = compare([figure(png(tall))], [figure(png(framed(2, 9)))], Tolerances()).drifts[0]
    assert drift.beyond and "(another shape: was the figure size set elsewhere?)" in drift.fresh


def test_items_only_one_side_has_are_drift():
    stored = [value("1", key=("inline", 0)), value("2", key=("inline", 1))]
    fresh = [value("1", key=("inline", 0)), value("9", key=("line", 3, 1))]
    changes = sorted(d.change for d in compare(stored, fresh, Tolerances()).drifts if d.moved)
    assert changes == ["missing in rerun", "only in rerun"]


HTML = """<table border="1" class="dataframe"><thead><tr><th></th><th>BN</th><th>none</th></tr></thead>
<tbody><tr><th>lr 0.5</th><td>57.6 % (56.0–58.5 %)</td><td>30.4 %</td></tr></tbody></table>"""


def test_tables_are_read_cell_by_cell_with_their_row_and_column_names():
    assert parse_tables(HTML) == [[["", "BN", "none"], ["lr 0.5", "57.6 % (56.0–58.5 %)", "30.4 %"]]]
    notebook = {"cells": [{"cell_type": "code", "id": "block-5", "metadata": {}, "outputs": [
        {"output_type": "execute_result", "data": {"text/html": HTML, "text/plain": "ignored repr"}},
        {"output_type": "stream", "name": "stdout", "text": "epoch 1\r\repoch 2\nloss 0.5\n"},
        {"output_type": "stream", "name": "stderr", "text": "Warning: /tmp/x.py:3\n"}]}]}
    items = notebook_items(notebook)
    cell = next(i for i in items if i.key == ("cell", 5, 1, 1, 1))
    assert cell.label == "block 5 table 1 row 2 'lr 0.5', col 2 'BN'" and cell.text == "57.6 % (56.0–58.5 %)"
    assert [i.text for i in items if i.kind == "line"] == ["epoch 2", "loss 0.5"]


def test_tolerances_come_from_site_article_block_and_command_line():
    setting = {"rel": 0.02, "articles": {"bn": {"figure": 0.05, "blocks": {3: {"rel": 0.1}}}}}
    tolerances = tolerances_for(setting, "bn", {"abs": "0.001", "rel": None})
    assert tolerances.article == Tolerance(rel=0.02, abs=0.001, figure=0.05)
    assert tolerances.for_item(Item(("line", 3, 1), "line", "", "", 3)).rel == 0.1
    assert tolerances.for_item(Item(("line", 4, 1), "line", "", "", 4)).rel == 0.02
    assert tolerances_for(setting, "other").article == Tolerance(rel=0.02)
    with pytest.raises(ConfigError, match=r"unknown key\(s\) relative"):
        tolerances_for({"relative": 0.1}, "bn")
    with pytest.raises(ConfigError, match="rel must be a number >= 0"):
        tolerances_for({"articles": {"bn": {"rel": "1%"}}}, "bn")


def test_an_article_header_sets_its_own_tolerances_and_a_bad_one_names_its_line():
    from execblocks.errors import ArticleSyntaxError
    from execblocks.source.header import read_header
    from execblocks.verify.tolerance import header_tolerances

    header = read_header(["Title: X", "Verify-Rel: 0.05", "Verify-Figure: 0.02", ""], "content/x.md")
    values = header_tolerances(header, "content/x.md")
    assert values == {"rel": 0.05, "figure": 0.02}
    assert tolerances_for({"rel": 0.01, "abs": 0.1}, "x", {"figure": "0.3"}, values).article == \
        Tolerance(rel=0.05, abs=0.1, figure=0.3)
    yaml = read_header(["---", "title: X", "verify-rel: 0.1", "---"], "content/y.md")
    assert header_tolerances(yaml, "content/y.md") == {"rel": 0.1}
    with pytest.raises(ArticleSyntaxError, match=r"content/x.md:3: unknown header Verify-Relative"):
        header_tolerances(read_header(["Title: X", "Slug: x", "Verify-Relative: 1", ""], "content/x.md"),
                          "content/x.md")
    with pytest.raises(ArticleSyntaxError, match=r"content/x.md:2: Verify-Abs must be a number >= 0, got '-1'"):
        header_tolerances(read_header(["Title: X", "Verify-Abs: -1", ""], "content/x.md"), "content/x.md")


def test_the_drift_table_names_each_moved_item_and_the_summary_counts():
    comparison = compare([value("1.0", key=("inline", 0)), value("above", "verdict", ("inline", 1)),
                          value("7", key=("inline", 2))],
                         [value("1.5", key=("inline", 0)), value("below", "verdict", ("inline", 1)),
                          value("7", key=("inline", 2))], Tolerances())
    text = table(comparison)
    assert "DRIFT  inline 1" in text and "+50 %" in text
    assert "FLIP   inline 2" in text and "flipped" in text and "inline 3" not in text
    line = summary("content/x.md", "scratch copy", "cpu", comparison, Tolerances())
    assert "FAILED" in line and "inline values 1/2 within (1 identical)" in line and "verdict words 0/1" in line


def notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)", id="block-1")]
    return nb


def verification(passed=True, host="a", values=(177, 177), figures=(8, 8), results="r"):
    return Verification(
        at="2026-12-07T10:00:00+00:00", how="scratch copy",
        machine=Machine(host, "cpu model", "none", "cpu", {"python": "3.11.7"}),
        results=results, inputs="i", tolerance={"rel": 0.01}, passed=passed,
        counts={"value": [values[0], 0, values[1]], "figure": [figures[0], 0, figures[1]]})


def test_the_store_keeps_verifications_across_writes_and_the_footer_counts_machines(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("post", stored_record("k"), notebook(), provenance())
    digest = store.record_digest("post")
    store.add_verification("post", verification(host="a", results=digest))
    store.add_verification("post", verification(host="b", values=(170, 177), results=digest))
    store.add_verification("post", verification(host="c", results="older results"))
    store.write("post", stored_record("k"), notebook(), provenance(2.0))  # a rerun keeps them
    assert [v.machine.host for v in store.verifications("post")] == ["a", "b", "c"]
    assert store.verifications("post")[0] == verification(host="a", results=digest)
    shown = of_results(store.verifications("post"), store.record_digest("post"))
    assert [v.machine.host for v in shown] == ["a", "b"]
    assert footer_line(shown) == "Reproduced on 2 machines: 170/177 values within 1 %, 8/8 figures"
    assert footer_line([verification(passed=False)]).startswith("Rerun on 1 machine: ")
    # A failed bundle rerun on a machine where the scratch rerun passed is not hidden by it.
    bundle = replace(verification(passed=False, figures=(0, 8)), how="bundle, fresh venv")
    assert footer_line([verification(), bundle]) == "Rerun on 1 machine: 177/177 values within 1 %, 0/8 figures"
    assert footer_line([]) == ""
    assert status_line(store.verifications("post"), digest).endswith("[of earlier results]")
    store.write("post", stored_record("k2"), notebook(), provenance())  # new results: the old ones no longer count
    assert of_results(store.verifications("post"), store.record_digest("post")) == []
