"""Options and headers are read by PyYAML's C loader (libyaml) with YAML 1.2's booleans,
falling back to its Python loader where libyaml is not built: the two must give the same
values on everything the site's content holds, and both must read booleans as Quarto does."""

import json
import random
import re
from pathlib import Path

import pytest
import yaml

from execblocks.source.options import OptionError, YamlError, load_yaml, validate_options, yaml12_loader

REPO = Path(__file__).resolve().parents[2]
OPTION_LINE = re.compile(r"^\s*#\| ?(.*)$")
EXECUTE_LINE = re.compile(r"^Execute-[\w-]+:\s*(.*)$")


def site_texts() -> list[str]:
    """Every YAML text the site's content gives the loader: each block's `#|` lines (as one
    text, and line by line), each `Execute-` header value, and each `---` YAML header
    (an article's own, or one shown as an example in the writing guide)."""
    texts = []
    for path in sorted((REPO / "content").rglob("*")):
        if path.suffix in (".md", ".qmd"):
            lines = path.read_text().split("\n")
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text())["cells"]
            lines = [line.rstrip("\n") for cell in cells for line in cell["source"]]
        else:
            continue
        run: list[str] = []
        header: list[str] | None = None
        for line in lines + [""]:
            match = OPTION_LINE.match(line)
            if match:
                run.append(match[1])
                texts.append(match[1])
                continue
            if run:
                texts.append("\n".join(run))
                run = []
            if execute := EXECUTE_LINE.match(line):
                texts.append(execute[1])
            if line.strip() == "---":
                if header is None:
                    header = []
                else:
                    texts.append("\n".join(header))
                    header = None
            elif header is not None:
                header.append(line)
    return texts


def python_loader_value(text: str):
    """The same text through the Python loader with the same resolver: the reference."""
    return yaml.load(text, Loader=yaml12_loader(prefer_c=False))


def assert_same(text: str) -> None:
    """load_yaml gives the Python loader's value, of the same types (repr: nan == nan), or
    both fail."""
    try:
        expected = python_loader_value(text)
    except yaml.YAMLError:
        with pytest.raises(YamlError):
            load_yaml(text)
        return
    assert repr(load_yaml(text)) == repr(expected), text


def test_the_c_loader_is_used_where_libyaml_is_built():
    assert yaml.__with_libyaml__  # this machine's PyYAML has it: the tests below compare two loaders
    assert issubclass(yaml12_loader(), yaml.CSafeLoader)
    assert not issubclass(yaml12_loader(prefer_c=False), yaml.CSafeLoader)


def test_every_option_text_and_header_of_the_site_reads_the_same_by_both_loaders():
    texts = site_texts()
    assert sum(1 for text in texts if "\n" not in text) > 50  # option lines were found
    assert any("\n" in text and "title:" in text for text in texts)  # and a YAML header
    for text in texts:
        assert_same(text)


SCALARS = ["true", "false", "True", "FALSE", "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "0", "-0",
           "+5", "07", "0x1F", "1_000", "12", "-12", "3.5", "1e5", "1.0e+5", ".inf", ".nan", "2026-01-01",
           "1:30", "show", "fenced", "asis", "Training loss (mean of 3 seeds)", "a, b", "x/y", "a+b=c",
           "fig-loss", "tbl_main", "a  b", "it's", "A figure.", "a #b", "a: b", "[1, 2]", "{a: 1}", "*ref",
           "&anchor", "!tag x", "'quoted'", '"quoted"', "|", ">", "- item", "?", "%x", "@x", "`x`",
           "[unclosed", "caf\u00e9", "\u00e9t\u00e9: 1"]

# Where libyaml and PyYAML's Python scanner read differently (found by the random texts
# below; none is in the site's content): a tab inside a plain scalar (YAML allows it;
# the Python scanner refuses it), a lone `!` tag (libyaml: '', Python: None), a block
# scalar's indicator followed by `#` with no space between (libyaml: an empty string,
# Python: an error).
KNOWN_DIVERGENCES = [("a\tb", "a\tb", "error"), ("key: !", {"key": ""}, {"key": None}), ("|#", "", "error"),
                     ("key: >#9", {"key": ""}, "error")]


def diverges(text: str) -> bool:
    return "\t" in text or "!" in text or re.search(r"[|>][-+0-9]*#", text) is not None


@pytest.mark.parametrize("value", SCALARS)
def test_a_scalar_and_an_option_line_read_the_same_by_both_loaders(value):
    for text in (value, f"fig-cap: {value}", f"echo: false\nlabel: {value}\n", f"true: {value}"):
        assert_same(text)


def test_random_option_texts_read_the_same_by_both_loaders_but_for_the_known_divergences():
    alphabet = "ab Z09_-.,()/+=:#'\"[]{}&*!|>%@`?~\t\n"
    rng = random.Random(0)
    compared = 0
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        for text in (value, f"key: {value}"):
            if not diverges(text):
                assert_same(text)
                compared += 1
    assert compared > 2500


def loaded_or_error(text: str, prefer_c: bool):
    try:
        return yaml.load(text, Loader=yaml12_loader(prefer_c=prefer_c))
    except yaml.YAMLError:
        return "error"


@pytest.mark.parametrize("text, by_libyaml, by_python", KNOWN_DIVERGENCES)
def test_the_known_divergences_are_what_they_are(text, by_libyaml, by_python):
    """If a PyYAML or libyaml release changes one of these, the list above must follow."""
    assert diverges(text)
    assert loaded_or_error(text, prefer_c=True) == by_libyaml
    assert loaded_or_error(text, prefer_c=False) == by_python


@pytest.mark.parametrize("text, value", [
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False),
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"), ("Yes", "Yes"),
])
def test_only_true_and_false_are_booleans(text, value):
    loaded = load_yaml(f"echo: {text}")["echo"]
    assert loaded == value and type(loaded) is type(value)


def test_echo_no_stays_an_error_naming_the_fix():
    """The README: `echo: no` is an error that says to write `false`."""
    with pytest.raises(OptionError, match=r"option 'echo' expects true, false or fenced, got 'no' "
                                          r"\(write true or false: YAML 1.2"):
        validate_options(load_yaml("echo: no"))


def test_without_libyaml_the_python_loader_reads_the_same(monkeypatch):
    monkeypatch.delattr(yaml, "CSafeLoader")  # as a PyYAML built without libyaml has it
    yaml12_loader.cache_clear()
    try:
        assert not issubclass(yaml12_loader(), getattr(yaml, "CSafeLoader", ()))
        assert load_yaml("echo: no\neval: false\nfig-width: 11") == {"echo": "no", "eval": False, "fig-width": 11}
    finally:
        monkeypatch.undo()
        yaml12_loader.cache_clear()
    assert issubclass(yaml12_loader(), yaml.CSafeLoader)


def test_a_parse_error_keeps_the_line():
    with pytest.raises(YamlError) as raised:
        load_yaml("echo: false\nfig-cap: [unclosed\nlabel: x")
    assert raised.value.problem_mark is not None and raised.value.problem_mark.line >= 1
    assert re.search(r"flow sequence|expected", str(raised.value))



def test_an_error_at_the_end_of_the_text_is_on_its_last_line():
    """libyaml marks it on the line after the text (a header's closing `---`): the last
    line, as the Python loader says."""
    with pytest.raises(YamlError) as raised:
        load_yaml("title: [unclosed")
    assert raised.value.problem_mark.line == 0
    with pytest.raises(yaml.YAMLError) as by_python:
        python_loader_value("title: [unclosed")
    assert by_python.value.problem_mark.line == 0
