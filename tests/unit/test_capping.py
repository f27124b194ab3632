"""Output caps, linear stream coalescing and terminal text -> HTML, without a kernel."""


import nbformat

from execblocks.execute.output_cap import OutputCap, apply_terminal_controls
from execblocks.render.ansi import ansi_to_html, plain_text


def stream(text, name="stdout"):
    return {"msg_type": "stream", "content": {"name": name, "text": text}}


def test_cap_keeps_the_head_and_counts_the_rest():
    cap = OutputCap(limit=10)
    first, second, third = stream("abcdefgh"), stream("ijklmnop"), stream("qrst")
    assert cap.admit(first, 3) and cap.admit(second, 3) and not cap.admit(third, 3)
    assert first["content"]["text"] == "abcdefgh" and second["content"]["text"] == "ij"
    assert cap.dropped[3] == 6 + 4
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in ("abcdefgh", "ij")]
    cap.finish_cell(cell, 3)
    assert cell.outputs[0].text.startswith("abcdefghij\n[output truncated: 10 bytes not shown")


def test_cap_counts_utf8_bytes_and_never_splits_a_character():
    cap = OutputCap(limit=5)
    message = stream("ééé")  # 6 bytes
    cap.admit(message, 0)
    assert message["content"]["text"] == "éé" and cap.dropped[0] == 2


def test_coalescing_a_huge_line_is_linear():
    # nbclient's regex takes seconds on 80 kB; this handles 20 MB in well under a second anyway
    text = "x" * 20_000_000 + "\rdone\n"
    assert apply_terminal_controls(text) == "done\n"


def test_terminal_controls_as_a_terminal_shows_them():
    assert apply_terminal_controls("10%\r50%\r100%\nnext\n") == "100%\nnext\n"
    assert apply_terminal_controls("abc\b\bX\n") == "aX\n"
    assert apply_terminal_controls("line\r\n") == "line\r\n"


def test_ansi_colours_become_spans_and_other_controls_are_visible():
    assert ansi_to_html("\x1b[31mred <b>\x1b[0m ok") == '<span class="ansi-red-fg">red &lt;b&gt;</span> ok'
    assert ansi_to_html("\x1b[1;34mx\x1b[22my\x1b[0m") == ('<span class="ansi-bold ansi-blue-fg">x</span>'
                                                         '<span class="ansi-blue-fg">y</span>')
    assert ansi_to_html("a\x00b\x07c\x7fd\x1b[2Ke\x1b]0;title\x07f\tg\n") == "a\u2400b\u2407c\u2421def\tg\n"
    assert plain_text("\x1b[31mred\x1b[0m\r\n\x1b") == "red\n"
