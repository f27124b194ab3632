"""Which global names a block reads, binds and may mutate, judged from its code with `ast`
(marimo's rule for which cells a change reaches), and which later blocks a rerun reaches.

Everything here errs towards "affected": a name loaded anywhere in the block counts as
read unless it is plainly local to a function or comprehension of the block; a name
that is the base of an attribute or item store, of a method call, that is passed to a
call, or that is itself called, may be mutated in place (a call can change what the
callee holds: a generator's state, a module's global). Code that defeats the analysis
(`exec`, `globals()`, a star import, a line that is not Python, such as an IPython
magic) is `opaque`: such a block is always taken as affected and affecting.

Pure functions of the code's text; nothing here runs a block.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from dataclasses import dataclass

# Calls that read or write names the analysis cannot see.
OPAQUE_CALLS = {"exec", "eval", "globals", "locals", "vars", "__import__", "setattr", "delattr",
                "get_ipython"}
# Builtins keep no state a later block could read (print, len, sorted...): calling one does
# not mark it changed. What they are given still counts as possibly changed.
STATELESS_CALLEES = set(dir(builtins)) - OPAQUE_CALLS


@dataclass(frozen=True)
class BlockNames:
    reads: frozenset[str]  # global names the block (or a function it defines) loads
    binds: frozenset[str]  # global names it assigns, imports, defines or deletes
    mutates: frozenset[str]  # global names whose object it may change in place
    opaque: bool = False  # the analysis cannot vouch for this block

    @property
    def writes(self) -> frozenset[str]:
        """Every name whose value may differ after the block ran."""
        return self.binds | self.mutates


OPAQUE = BlockNames(frozenset(), frozenset(), frozenset(), opaque=True)


def block_names(code: str) -> BlockNames:
    """The names of one block's code (an inline expression is a one-line block)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):  # a magic, a shell escape, a null byte: run it
        return OPAQUE
    visitor = _Visitor()
    visitor.visit(tree)
    return BlockNames(frozenset(visitor.reads), frozenset(visitor.binds), frozenset(visitor.mutates),
                      visitor.opaque)


def _base_name(node: ast.AST) -> str | None:
    """`x` of `x`, `x.a.b`, `x[i].a`, `x.f()`: the name whose object the expression reaches into."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Scope:
    def __init__(self, local: set[str], declared_global: set[str], comprehension: bool = False):
        self.local = local
        self.declared_global = declared_global
        self.comprehension = comprehension


class _Visitor(ast.NodeVisitor):
    """Collects global reads, binds and mutations. A function body's locals (its
    parameters and the names it assigns without `global`) are not globals."""

    def __init__(self):
        self.reads: set[str] = set()
        self.binds: set[str] = set()
        self.mutates: set[str] = set()
        self.opaque = False
        self.scopes: list[_Scope] = []  # innermost last; empty at the block's top level

    # -- where a name lives ------------------------------------------------------------
    def _is_global(self, name: str) -> bool:
        for scope in reversed(self.scopes):
            if name in scope.declared_global:
                return True
            if name in scope.local:
                return False
        return True

    def _read(self, name: str) -> None:
        if self._is_global(name):
            self.reads.add(name)

    def _bind(self, name: str) -> None:
        if not self.scopes or name in self.scopes[-1].declared_global:
            self.binds.add(name)

    def _mutate(self, node: ast.AST) -> None:
        name = _base_name(node)
        if name is not None and self._is_global(name):
            self.mutates.add(name)
            self.reads.add(name)

    # -- names ----------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read(node.id)
        else:  # Store, Del
            self._bind(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        if self.scopes:
            self.scopes[-1].declared_global.update(node.names)
            self.binds.update(node.names)  # the function may assign them when called

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        pass

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind(alias.asname or alias.name.partition(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.opaque = True
            else:
                self._bind(alias.asname or alias.name)

    # -- in-place changes -----------------------------------------------------------------
    def _store_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            self._mutate(target)
        self.visit(target)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._store_target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self._store_target(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):  # `x += 1` reads x, and may change a list in place
            self._read(node.target.id)
            self._bind(node.target.id)
            if self._is_global(node.target.id):
                self.mutates.add(node.target.id)
        else:
            self._store_target(node.target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._store_target(target)

    def visit_Call(self, node: ast.Call) -> None:
        if not (isinstance(node.func, ast.Name) and node.func.id in STATELESS_CALLEES):
            self._mutate(node.func)  # a method call or a call of a global: its object may change
        if isinstance(node.func, ast.Name) and node.func.id in OPAQUE_CALLS:
            self.opaque = True
        for argument in node.args + [k.value for k in node.keywords]:
            if not isinstance(argument, ast.Call):  # a call's result is new; the call is visited itself
                self._mutate(argument)  # f(x) may change x
        self.generic_visit(node)

    # -- scopes ---------------------------------------------------------------------------
    def _function(self, node, arguments: ast.arguments, body: list[ast.AST]) -> None:
        for default in arguments.defaults + [d for d in arguments.kw_defaults if d is not None]:
            self.visit(default)
        params = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        params |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        declared = {n for stmt in body for sub in ast.walk(stmt) if isinstance(sub, ast.Global) for n in sub.names}
        local = params | (_assigned_names(body) - declared)
        self.scopes.append(_Scope(local, set()))
        for stmt in body:
            self.visit(stmt)
        self.scopes.pop()

    def visit_FunctionDef(self, node) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._annotations(node.args, node.returns)
        self._bind(node.name)
        self._function(node, node.args, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _annotations(self, arguments: ast.arguments, returns) -> None:
        for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs + [arguments.vararg,
                                                                                   arguments.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)
        if returns is not None:
            self.visit(returns)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node, node.args, [ast.Expr(node.body)])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(expr)
        self._bind(node.name)
        # A class body's names are its attributes, not globals; its methods are functions.
        self.scopes.append(_Scope(_assigned_names(node.body), set()))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def _comprehension(self, node, results: list[ast.AST]) -> None:
        targets = {n.id for gen in node.generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        self.visit(node.generators[0].iter)  # evaluated in the enclosing scope
        self.scopes.append(_Scope(targets, set(), comprehension=True))
        for number, gen in enumerate(node.generators):
            if number:
                self.visit(gen.iter)
            for condition in gen.ifs:
                self.visit(condition)
        for result in results:
            self.visit(result)
        self.scopes.pop()

    def visit_ListComp(self, node) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node) -> None:
        self._comprehension(node, [node.key, node.value])

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        # `:=` in a comprehension binds in the enclosing function or module.
        if all(scope.comprehension for scope in self.scopes):
            self.binds.add(node.target.id)


def _assigned_names(body: list[ast.AST]) -> set[str]:
    """Names a function or class body binds (its locals), not looking into nested scopes."""
    found: set[str] = set()

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.add(child.name)
                continue
            if isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                found.add(child.id)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                found.update((a.asname or a.name.partition(".")[0]) for a in child.names if a.name != "*")
            elif isinstance(child, ast.ExceptHandler) and child.name:
                found.add(child.name)
            walk(child)

    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(stmt.name)
        else:
            walk(ast.Module(body=[stmt], type_ignores=[]))
    return found


def last_block_to_run(names: list[BlockNames], first: int, final_reads: frozenset[str] = frozenset(),
                      unreliable: set[int] = frozenset()) -> int:
    """Blocks `first`.. rerun; the index of the last one that must. Blocks after it are
    provably unaffected and may keep their stored outputs.

    A block after `first` must run when it reads a name that a block which runs binds
    or may mutate, when either side is opaque, or when it is in `unreliable` (it read
    a file that changed). Only a tail of blocks is ever skipped: once a block must run,
    every block between `first` and it runs too (the kernel needs their state). The
    inline values (`final_reads`) are evaluated after the last block in the resumed
    kernel, so a skipped block must bind and mutate nothing they read either.
    """
    last = first
    written = set(names[first].writes)
    opaque = names[first].opaque
    for index in range(first + 1, len(names)):
        block = names[index]
        if (opaque or block.opaque or index in unreliable or block.reads & written
                or block.writes & final_reads):
            for between in range(last + 1, index + 1):
                written |= names[between].writes
                opaque |= names[between].opaque
            last = index
    return last


IMPORT_LINE = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.M)


@functools.lru_cache(maxsize=4096)
def imported_packages(code: str) -> frozenset[str]:
    """The top-level modules a block's code imports by name (`import a.b`, `from a import b`;
    relative imports are the article's own). Code that is not Python (a magic) is read
    line by line for `import x` / `from x import` lines. Kept per code text: a run asks
    twice (its install cell is written again when it takes snapshots)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return frozenset(IMPORT_LINE.findall(code))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return frozenset(found)
