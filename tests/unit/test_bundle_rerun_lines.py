"""site/bundle_rerun.py (the bundle's rerun.py): the lines a reader sees, without a kernel
(tests/integration/test_bundle_rerun.py runs it for real)."""

from __future__ import annotations

import io

import nbformat

from execblocks.site.bundle_rerun import Progress, describe


class Terminal(io.StringIO):
    def isatty(self):
        return True


def block(source: str, number: int, where: str = "", label: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = f"block-{number}"
    if where:
        cell.metadata["execblocks"] = {"source": where, **({"label": label} if label else {})}
    return cell


def test_a_cell_is_named_by_its_label_or_first_line_of_code_and_its_place():
    assert describe(block("# train the model\nmodel.fit(x)", 2, "content/x.md:120")) == \
        "model.fit(x) (block 2, content/x.md:120)"
    assert describe(block("model.fit(x)", 2, "content/x.md:120", label="fig-loss")) == \
        "fig-loss (block 2, content/x.md:120)"
    long = describe(block("x = " + "1 + " * 30 + "1", 1))  # a long line is cut to 48 characters
    assert long == "x = " + "1 + " * 10 + "1 +… (block 1)"
    figure = nbformat.v4.new_code_cell("import matplotlib")
    figure.id, figure.metadata["tags"] = "bundle-setup-3", ["bundle-setup"]
    assert describe(figure) == "the page's figure settings for block 3 (added to the download)"


def test_a_bar_is_redrawn_on_a_terminal_and_sampled_in_a_log():
    terminal, log = Terminal(), io.StringIO()
    for out in (terminal, log):
        progress = Progress(out, 1)
        progress.printed("\r  0%| 0/9\r 50%| 4/9\r100%| 9/9", "stderr")
        progress.printed("done\n", "stdout")
        progress.printed("\n", "stderr")
    assert terminal.getvalue() == ("\r    │   0%| 0/9\x1b[K\r    │  50%| 4/9\x1b[K"
                                   "\r    │ done\x1b[K\n    │ 100%| 9/9\n")
    # a log cannot go back: the bar's first state, then (within 5 s) only its last
    assert log.getvalue() == "    │   0%| 0/9\n    │ done\n    │ 100%| 9/9\n"


def test_an_unprintable_character_does_not_stop_the_run():
    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    Progress(out, 1).printed("100%|███| 3/3\n")
    out.seek(0)
    assert out.buffer.getvalue() == b"    ? 100%|???| 3/3\n"
