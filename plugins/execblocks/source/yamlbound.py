"""YAML read with its aliases bounded: a header of a few lines can name a node that, with
every `*alias` expanded, holds billions of strings ("billion laughs"). PyYAML builds
such a document cheaply (aliases are shared objects), but anything that walks or prints
it (`str(value)` for Pelican's metadata, a comparison, JSON) expands it until memory
runs out. So the composed node graph is measured first, each shared node once, and a
document whose expanded size passes MAX_EXPANDED, or whose aliases refer to themselves,
is refused at the line of the node that passed the limit.
"""

from __future__ import annotations

from typing import Any

# Characters of scalars plus one per node, every alias expanded. A long Quarto header is
# a few thousand; Pelican's metadata handling is linear in it.
MAX_EXPANDED = 1_000_000


class YamlBoundError(ValueError):
    """The document passes the bound; `problem_mark.line` is 0-based, as PyYAML's."""

    def __init__(self, message: str, problem_mark=None):
        super().__init__(message)
        self.problem_mark = problem_mark


def load_bounded(text: str, loader_class, limit: int = MAX_EXPANDED) -> Any:
    """`yaml.load(text, Loader=loader_class)`, refusing documents over `limit` once
    expanded. PyYAML's own errors (YAMLError) pass through."""
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # PyYAML's composer recurses once per nesting level
            raise YamlBoundError("the YAML nests too deeply to be read") from None
        if node is None:
            return None
        expanded_size(node, limit)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(root, limit: int = MAX_EXPANDED) -> int:
    """The size of the composed node `root` with every alias expanded: characters of its
    scalars plus one per node. Each node is visited once (an alias is the same node
    object as its anchor), so this costs time linear in the text, not in the expansion."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            _check(sizes[key], node, limit)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlBoundError("an alias (*name) refers to the node that contains it, so the YAML never ends",
                                 node.start_mark)
        if isinstance(node.value, str):  # a scalar
            sizes[key] = 1 + len(node.value)
            _check(sizes[key], node, limit)
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node) -> list:
    if isinstance(node.value, str):
        return []
    children = []
    for item in node.value:  # a sequence's nodes, or a mapping's (key, value) pairs
        children.extend(item if isinstance(item, tuple) else (item,))
    return children


def _check(size: int, node, limit: int) -> None:
    if size > limit:
        raise YamlBoundError(f"the YAML grows to more than {limit:,} characters once its aliases (*name) "
                             f"are expanded", node.start_mark)
