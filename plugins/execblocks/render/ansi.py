"""Terminal text -> safe HTML: ANSI colours become spans, other control characters are shown.

Blocks print ANSI escapes (colourful loggers, tqdm, IPython's tracebacks) and raw control
bytes. Neither belongs in a page, and the Atom feed writer refuses the whole site over a
single one (XML 1.0 forbids \\x00-\\x1f other than tab, newline and carriage return).
So every text a block produced goes through here before it reaches HTML:

- SGR colour and weight sequences (`\\x1b[31m`, `\\x1b[1;32m`, `\\x1b[0m`) become
  `<span class="ansi-red-fg">` ... (Jupyter's class names);
- every other escape sequence (cursor moves, OSC titles and links) is removed;
- any other control character (\\x00-\\x1f except tab and newline, and \\x7f) becomes its
  visible Control Pictures symbol (\\x07 -> U+2407), so nothing is silently lost.
"""

from __future__ import annotations

import html
import re

# CSI sequences (ESC [ params final), OSC sequences (ESC ] ... BEL or ESC \), other 2-byte escapes.
ESCAPE = re.compile(r"\x1b\[(?P<params>[0-9;:?<=>]*)(?P<final>[@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


def _picture(match: re.Match) -> str:
    code = ord(match[0])
    return "\u2421" if code == 0x7F else chr(0x2400 + code)


def show_controls(text: str) -> str:
    """Control characters (other than tab and newline) as their visible symbols."""
    return CONTROL.sub(_picture, text.replace("\r\n", "\n"))


def strip_escapes(text: str) -> str:
    """Terminal text without its escape sequences (colours, cursor moves, OSC links)."""
    return ESCAPE.sub("", text)


def plain_text(text: str) -> str:
    """Terminal text without escape sequences, other control characters made visible."""
    return show_controls(ESCAPE.sub("", text))


def ansi_to_html(text: str) -> str:
    """HTML-escaped text with SGR colours as spans; safe inside <pre>."""
    if "\x1b" not in text:
        return html.escape(show_controls(text), quote=False)
    out: list[str] = []
    classes: list[str] = []
    span_open, position = False, 0
    for match in ESCAPE.finditer(text):
        out.append(html.escape(show_controls(text[position:match.start()]), quote=False))
        position = match.end()
        if match["final"] != "m":
            continue  # not a colour: drop it
        classes = _apply_sgr(classes, match["params"] or "0")
        if span_open:
            out.append("</span>")
        span_open = bool(classes)
        if classes:
            out.append(f'<span class="{" ".join(classes)}">')
    out.append(html.escape(show_controls(text[position:]), quote=False))
    if span_open:
        out.append("</span>")
    return "".join(out)


def _apply_sgr(classes: list[str], params: str) -> list[str]:
    classes = list(classes)
    codes = [int(c) if c.isdigit() else 0 for c in re.split(r"[;:]", params)]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            classes = []
        elif code == 1:
            classes = [c for c in classes if c != "ansi-bold"] + ["ansi-bold"]
        elif code == 22:
            classes = [c for c in classes if c != "ansi-bold"]
        elif 30 <= code <= 37 or 90 <= code <= 97:
            name = COLOURS[code % 10] if code < 90 else f"bright-{COLOURS[code % 10]}"
            classes = [c for c in classes if not c.endswith("-fg")] + [f"ansi-{name}-fg"]
        elif 40 <= code <= 47 or 100 <= code <= 107:
            name = COLOURS[code % 10] if code < 100 else f"bright-{COLOURS[code % 10]}"
            classes = [c for c in classes if not c.endswith("-bg")] + [f"ansi-{name}-bg"]
        elif code == 39:
            classes = [c for c in classes if not c.endswith("-fg")]
        elif code == 49:
            classes = [c for c in classes if not c.endswith("-bg")]
        elif code in (38, 48):  # 256-colour or RGB: skip its arguments, keep the text plain
            i += 2 if i + 1 < len(codes) and codes[i + 1] == 5 else 4
        i += 1
    return classes
