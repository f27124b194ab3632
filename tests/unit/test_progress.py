"""progress: live output from parallel articles stays attributable."""

import io

from execblocks.execute.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_lines_are_prefixed_per_article_even_when_interleaved():
    out = io.StringIO()
    progress = Progress(stream=out)
    progress.stream("content/a.md", "epoch 1 ")
    progress.stream("content/b.md", "step 10\n")
    progress.stream("content/a.md", "loss 0.5\n")
    assert out.getvalue() == "  b.md │ step 10\n  a.md │ epoch 1 loss 0.5\n"


def test_progress_bars_redraw_on_a_terminal_and_stay_out_of_logs():
    terminal, log = Terminal(), io.StringIO()
    for out in (terminal, log):
        progress = Progress(stream=out)
        progress.stream("content/a.md", " 10%\r 50%\r100%\n")
    assert terminal.getvalue() == "\r  a.md │  10%\x1b[K\r  a.md │  50%\x1b[K\r  a.md │ 100%\x1b[K\n"
    assert log.getvalue() == "  a.md │ 100%\n"


def test_block_done_flushes_an_unfinished_line():
    out = io.StringIO()
    progress = Progress(stream=out)
    progress.stream("content/a.md", "no newline")
    progress.block_done("content/a.md", 0, 1.5)
    assert out.getvalue() == "  a.md │ no newline\n  content/a.md: block 1 done in 1.50 s\n"


def test_stdout_and_stderr_keep_their_own_unfinished_lines():
    """A tqdm bar (stderr) whose closing newline arrives after the next print (stdout)."""
    out = io.StringIO()
    progress = Progress(stream=out)
    progress.stream("content/a.md", "\r  0%| 0/5\r100%| 5/5", "stderr")
    progress.stream("content/a.md", "trained\n", "stdout")
    progress.stream("content/a.md", "\n", "stderr")
    assert out.getvalue() == "  a.md │ trained\n  a.md │ 100%| 5/5\n"
