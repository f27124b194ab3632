"""Options read without PyYAML must mean exactly what PyYAML (with Quarto's YAML 1.2
booleans) reads: the fast path is only a shortcut, never a second dialect."""

import random
import re
from pathlib import Path

import pytest
import yaml

from execblocks.source.options import YamlError, _NOT_SIMPLE, _simple_yaml, _yaml12_loader, load_yaml

REPO = Path(__file__).resolve().parents[2]


def pyyaml(text):
    return yaml.load(text, Loader=_yaml12_loader())


def assert_agrees(text):
    """load_yaml(text) is PyYAML's value, of the same types (repr: nan == nan), or both fail."""
    try:
        expected = pyyaml(text)
    except yaml.YAMLError:
        with pytest.raises(YamlError):
            load_yaml(text)
        return
    assert repr(load_yaml(text)) == repr(expected), text


SCALARS = ["true", "false", "True", "FALSE", "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "0", "-0",
           "+5", "07", "0x1F", "1_000", "12", "-12", "3.5", "1e5", "1.0e+5", ".inf", ".nan", "2026-01-01",
           "1:30", "show", "fenced", "asis", "Training loss (mean of 3 seeds)", "a, b", "x/y", "a+b=c",
           "fig-loss", "tbl_main", "a  b", "it's", "A figure.", "a #b", "a: b", "[1, 2]", "{a: 1}", "*ref",
           "&anchor", "!tag x", "'quoted'", '"quoted"', "|", ">", "- item", "?", "%x", "@x", "`x`", "a\tb"]


@pytest.mark.parametrize("value", SCALARS)
def test_a_scalar_reads_as_pyyaml_reads_it(value):
    assert_agrees(value)


@pytest.mark.parametrize("value", SCALARS)
def test_an_option_line_reads_as_pyyaml_reads_it(value):
    for text in (f"fig-cap: {value}", f"echo: false\nlabel: {value}\n", f"true: {value}", f"null: {value}"):
        assert_agrees(text)


def test_random_option_lines_agree_with_pyyaml():
    alphabet = "ab Z09_-.,()/+=:#'\"[]{}&*!|>%@`?~\t"
    rng = random.Random(0)
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        for text in (value, f"key: {value}", f"key: {value}\nother: {value[::-1]}"):
            assert_agrees(text)


def test_every_option_line_of_the_site_agrees_with_pyyaml():
    option_lines = [line[3:] for path in (REPO / "content").rglob("*.md")
                    for line in path.read_text().split("\n") if line.startswith("#| ")]
    assert len(option_lines) > 20
    fast = [line for line in option_lines if _simple_yaml(line) is not _NOT_SIMPLE]
    assert len(fast) > len(option_lines) / 2  # the shortcut is the common case
    for line in option_lines:
        assert_agrees(line)


def test_a_parse_error_keeps_pyyaml_s_line():
    with pytest.raises(YamlError) as raised:
        load_yaml("echo: false\nfig-cap: [unclosed\nlabel: x")
    assert raised.value.problem_mark is not None and raised.value.problem_mark.line >= 1
    assert re.search(r"flow sequence|expected", str(raised.value))
