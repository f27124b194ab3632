"""yamlbound: a YAML alias bomb is refused at its line before anything expands it."""

import yaml
import pytest

from execblocks.source.yamlbound import MAX_EXPANDED, YamlBoundError, expanded_size, load_bounded

BOMB = "\n".join(['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
                 + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)])


def test_an_alias_bomb_is_refused_at_the_line_that_passes_the_bound():
    with pytest.raises(YamlBoundError) as caught:
        load_bounded(BOMB, yaml.SafeLoader)
    # a5 (line 6) holds 9**6 "lol"s, 2.1 million characters; a4's 9**5 make 0.24 million.
    assert caught.value.problem_mark.line + 1 == 6
    assert f"more than {MAX_EXPANDED:,} characters" in str(caught.value)


def test_measuring_costs_the_text_not_the_expansion():
    loader = yaml.SafeLoader(BOMB)
    node = loader.get_single_node()
    # 9**10 "lol"s: counted through each shared node once, never built.
    assert expanded_size(node, limit=10**30) > 4 * 9**10


def test_a_self_referring_alias_is_refused():
    with pytest.raises(YamlBoundError) as caught:
        load_bounded("title: x\nloop: &l\n  - *l\n", yaml.SafeLoader)
    assert "refers to the node that contains it" in str(caught.value)
    assert caught.value.problem_mark.line == 1


def test_deep_nesting_is_an_error_not_a_recursion_traceback():
    with pytest.raises(YamlBoundError, match="nests too deeply"):
        load_bounded("x: " + "[" * 5000 + "]" * 5000, yaml.SafeLoader)


def test_ordinary_headers_and_shared_aliases_load_as_pyyaml_loads_them():
    text = ("title: A\nauthor: &me {name: Ada}\nreviewer: *me\ndefaults: &d {echo: false}\n"
            "execute:\n  <<: *d\n  warning: false\ntags: [a, b]\n")
    assert load_bounded(text, yaml.SafeLoader) == yaml.safe_load(text)
    assert load_bounded("", yaml.SafeLoader) is None


def test_pyyaml_errors_pass_through_with_their_mark():
    with pytest.raises(yaml.YAMLError) as caught:
        load_bounded("a: [1, 2\nb: 3\n", yaml.SafeLoader)
    assert caught.value.problem_mark is not None


def test_a_header_alias_bomb_stops_the_build_at_the_articles_line():
    from execblocks.errors import ArticleSyntaxError
    from execblocks.source.header import find_front_matter

    lines = ["---", "title: x", *BOMB.split("\n"), "tags: *a9", "---", "", "Text."]
    with pytest.raises(ArticleSyntaxError) as caught:
        find_front_matter(lines, "content/a.md")
    assert str(caught.value).startswith("content/a.md:8: the YAML header is not valid YAML: the YAML grows to "
                                        "more than 1,000,000 characters")  # a5, the 8th line of the file


def test_block_options_are_bounded_too():
    from execblocks.source.options import YamlError, load_yaml

    with pytest.raises(YamlError):
        load_yaml(BOMB)
