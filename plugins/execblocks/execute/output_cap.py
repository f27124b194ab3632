"""Output a block cannot flood the build with: capped as it arrives, coalesced in linear time.

A block may print 100 MB, or one 50 MB line. Kept whole, that output fills memory,
the stored notebook and the page, and nbclient's own stream coalescing (a regex that is
quadratic on a line without a newline, and `+=` on dict items) takes minutes. So:

- `OutputCap.admit` sees every iopub message as it arrives and keeps at most `limit`
  bytes of text per block (streams together, counted as a terminal shows them, so a
  progress bar's redraws count once; each rich text value on its own); the rest is
  dropped on the spot, only counted; past EXECBLOCKS_MAX_FIGURES images (figures and
  `display(Image)` alike) a block's further images are dropped, with a notice;
- `finish_cell` coalesces a cell's streams the way nbclient does (one output per
  stream name, `\\r` and `\\b` applied) in linear time, and appends the visible notice
  "output truncated: 98.3 MB not shown".

The limit is EXECBLOCKS_MAX_OUTPUT (bytes per block, default 1 MB).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from execkernel.flood_guard import CAP_MIME, collapse_returns, visible_growth

NOTICE_PREFIX = "output truncated: "


def size_text(count: int) -> str:
    """98.3 MB, 512 kB, 17 bytes."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    if count >= 1_000:
        return f"{count / 1_000:.1f} kB"
    return f"{count} bytes"


def notice(dropped: int, limit: int) -> str:
    return (f"\n[{NOTICE_PREFIX}{size_text(dropped)} not shown; a block keeps "
            f"{size_text(limit)} of output (EXECBLOCKS_MAX_OUTPUT)]\n")


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _head(text: str, budget: int) -> str:
    """The longest prefix of `text` that fits in `budget` UTF-8 bytes."""
    if budget <= 0:
        return ""
    if text.isascii():
        return text[:budget]
    return text.encode("utf-8", "surrogatepass")[:budget].decode("utf-8", "ignore")


IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "image/bmp")


def image_notice(dropped: int, limit: int) -> str:
    return (f"{dropped} more image{'s' if dropped != 1 else ''} not shown: a block shows at most "
            f"EXECBLOCKS_MAX_FIGURES = {limit} figures and images\n")


@dataclass
class OutputCap:
    limit: int
    max_images: int = 50  # figures and display(Image) outputs per block (EXECBLOCKS_MAX_FIGURES)
    kept: dict[int, int] = field(default_factory=dict)  # cell index -> stream bytes a terminal would show
    dropped: dict[int, int] = field(default_factory=dict)  # cell index -> bytes dropped
    lines: dict[tuple[int, str], int] = field(default_factory=dict)  # (cell, stream) -> bytes of its open line
    images: dict[int, int] = field(default_factory=dict)  # cell index -> images kept
    dropped_images: dict[int, int] = field(default_factory=dict)

    def admit(self, msg: dict, cell_index: int) -> bool:
        """Trim the message in place to what this cell may still keep; False: drop it whole.

        Stream text is counted as a terminal shows it: carriage-return updates collapse
        to their last state first (a progress bar's 200,000 redraws are one line)."""
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text = collapse_returns(content.get("text", ""))
            content["text"] = text
            line_key = (cell_index, content.get("name", "stdout"))
            growth, line = visible_growth(text, self.lines.get(line_key, 0), _utf8_len)
            if self.kept.get(cell_index, 0) + growth <= self.limit:
                self.kept[cell_index] = self.kept.get(cell_index, 0) + growth
                self.lines[line_key] = line
                return True
            size = _utf8_len(text)
            room = self.limit - self.kept.get(cell_index, 0)
            head = _head(text, room)
            kept = _utf8_len(head)
            self.kept[cell_index] = self.kept.get(cell_index, 0) + kept
            self.dropped[cell_index] = self.dropped.get(cell_index, 0) + size - kept
            content["text"] = head
            return bool(head)
        if kind in ("execute_result", "display_data", "update_display_data"):
            data = content.get("data", {})
            if CAP_MIME in data:  # what execkernel/flood_guard.py dropped at the source
                self.dropped[cell_index] = self.dropped.get(cell_index, 0) + int(data[CAP_MIME]["dropped"])
                return False
            if any(mime in data for mime in IMAGE_MIMES):  # a display(Image) flood, capped like figures
                if self.images.get(cell_index, 0) >= self.max_images:
                    self.dropped_images[cell_index] = self.dropped_images.get(cell_index, 0) + 1
                    return False
                self.images[cell_index] = self.images.get(cell_index, 0) + 1
            for mime, value in list(data.items()):
                if mime.startswith("text/") and isinstance(value, str) and len(value) > self.limit:
                    size = _utf8_len(value)
                    if size > self.limit:
                        head = _head(value, self.limit)
                        data[mime] = head + notice(size - _utf8_len(head), self.limit)
        if kind == "error":
            content["evalue"] = self._trim(content.get("evalue", ""))
            content["traceback"] = [self._trim(line) for line in content.get("traceback", [])]
        return True

    def _trim(self, text: str) -> str:
        if len(text) <= self.limit:
            return text
        size = _utf8_len(text)
        return text if size <= self.limit else _head(text, self.limit) + notice(size - self.limit, self.limit)

    def finish_cell(self, cell, cell_index: int) -> None:
        """Coalesce the cell's streams (as nbclient's coalesce_streams), then add the notice."""
        outputs, merged, parts = [], {}, {}
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream":
                outputs.append(output)
                continue
            name = output.get("name", "stdout")
            if name not in merged:
                merged[name], parts[name] = output, []
                outputs.append(output)
            parts[name].append(output.get("text", ""))
        for name, output in merged.items():
            output["text"] = apply_terminal_controls("".join(parts[name]))
        dropped = self.dropped.get(cell_index, 0)
        if dropped:
            target = merged.get("stdout") or merged.get("stderr")
            target["text"] += notice(dropped, self.limit)
        if self.dropped_images.get(cell_index):
            text = image_notice(self.dropped_images[cell_index], self.max_images)
            if "stderr" in merged:
                merged["stderr"]["text"] += text
            else:
                from nbformat.v4 import new_output

                outputs.append(new_output("stream", name="stderr", text=text))
        # stdout before stderr when they are adjacent (they arrive in either order), as nbclient does
        for i in range(len(outputs) - 1):
            first, second = outputs[i], outputs[i + 1]
            if (first.get("output_type") == second.get("output_type") == "stream"
                    and first.get("name") == "stderr" and second.get("name") == "stdout"):
                outputs[i], outputs[i + 1] = second, first
        cell["outputs"] = outputs


def apply_terminal_controls(text: str) -> str:
    """What a terminal would show: `\\r` returns to the line's start (progress bars keep their
    last state) and `\\b` erases the character before it. Linear time, line by line."""
    if "\r" not in text and "\b" not in text:
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if "\b" in line:
            kept: list[str] = []
            for char in line:
                if char == "\b" and kept and kept[-1] != "\b":
                    kept.pop()
                else:
                    kept.append(char)
            line = "".join(kept)
        last = line.rfind("\r", 0, len(line) - 1)  # a \r followed by more text on the line
        if last >= 0:
            line = line[last + 1:]
        lines[number] = line
    return "\n".join(lines)
