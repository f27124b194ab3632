"""The engine's shape: no import cycles (function-level imports included), and a kernel
side that imports nothing from the engine.

The import graph is grimp's (every `import` statement of both packages, lazy ones too).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grimp

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
ENGINE, KERNEL = "execblocks", "execkernel"


def import_graph() -> dict[str, set[str]]:
    if str(PLUGINS) not in sys.path:
        sys.path.insert(0, str(PLUGINS))
    graph = grimp.build_graph(ENGINE, KERNEL, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert sorted(cycles(edges)) == [["a", "b", "c"], ["e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_engine_has_no_import_cycle():
    graph = import_graph()
    assert len([m for m in graph if m.startswith(ENGINE + ".")]) > 40  # the graph really holds the engine
    assert cycles(graph) == []


def test_the_kernel_side_imports_nothing_from_the_engine():
    graph = import_graph()
    kernel = [m for m in graph if m == KERNEL or m.startswith(KERNEL + ".")]
    assert {"execkernel.hooks", "execkernel.policy", "execkernel.flood_guard"} <= set(kernel)
    assert {m: sorted(i for i in graph[m] if i.startswith(ENGINE)) for m in kernel} == {m: [] for m in kernel}


def test_render_imports_no_execution_code():
    graph = import_graph()
    render = [m for m in graph if m.startswith("execblocks.render")]
    assert render
    offending = {m: sorted(i for i in graph[m] if i.startswith(("execblocks.execute", KERNEL + ".hooks")))
                 for m in render}
    assert {m: v for m, v in offending.items() if v} == {}


def test_a_fresh_kernel_import_loads_no_engine_module():
    """What the kernel's first hidden cell imports, in a fresh interpreter."""
    probe = ("import json, sys; sys.path.insert(0, sys.argv[1]); import execkernel.hooks, execkernel.renditions, "
             "execkernel.flood_guard; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'execblocks')))")
    done = subprocess.run([sys.executable, "-c", probe, str(PLUGINS)], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
