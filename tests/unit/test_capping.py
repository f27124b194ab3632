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


def test_a_progress_bar_counts_as_what_the_terminal_shows():
    # Issue 24 §6: 200,000 carriage-return updates used to fill a 1 MB cap at 8 %, and
    # the block's result line after the bar was cut.
    cap = OutputCap(limit=1_000)
    messages = [stream("".join(f"\rstep {i:6d}/200000" for i in range(start, start + 1000)))
                for start in range(0, 200_000, 1000)]
    messages.append(stream("\nbest accuracy 0.987\n"))
    assert all(cap.admit(m, 0) for m in messages) and 0 not in cap.dropped
    assert all(len(m["content"]["text"]) < 30 for m in messages[:-1])  # each message collapsed to its last state
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=m["content"]["text"]) for m in messages]
    cap.finish_cell(cell, 0)
    assert cell.outputs[0].text == "step 199999/200000\nbest accuracy 0.987\n"


def test_collapsing_keeps_what_a_terminal_would_show():
    from execkernel.flood_guard import collapse_returns, visible_growth

    for pieces in (["a\rb", "c\rdd\n"], ["10%\r", "50%\r100%\nnext\n"], ["x\ry\nz\rw", "\r\n"], ["abc", "\rd"]):
        assert apply_terminal_controls("".join(collapse_returns(p) for p in pieces)) == \
            apply_terminal_controls("".join(pieces))
    assert collapse_returns("a\rb\rc\nd\re\r") == "\rc\n\re\r"
    assert visible_growth("\rab", open_line=5) == (-3, 2)  # the line showed 5, now 2
    assert visible_growth("xy\nz", open_line=2) == (4, 1)


def test_images_a_block_displays_are_capped_like_figures():
    cap = OutputCap(limit=1_000, max_images=3)
    image = {"msg_type": "display_data", "content": {"data": {"image/png": "iVBO", "text/plain": "<Image>"},
                                                     "metadata": {}}}
    admitted = [cap.admit({"msg_type": "display_data", "content": {"data": dict(image["content"]["data"]),
                                                                  "metadata": {}}}, 2) for _ in range(5)]
    assert admitted == [True, True, True, False, False]
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = []
    cap.finish_cell(cell, 2)
    assert cell.outputs[-1]["text"] == ("2 more images not shown: a block shows at most EXECBLOCKS_MAX_FIGURES = 3 "
                                        "figures and images\n")
