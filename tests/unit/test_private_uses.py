"""Every private name of a library that plugins/ touches is listed in
execblocks/private_uses.py, each listed one is still there, and a build whose library
lost one says so once, in one line."""

import ast
import builtins
import logging
from pathlib import Path

import pytest

from execblocks import private_uses
from execblocks.private_uses import PRIVATE_USES, PrivateUse

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
OWN_PACKAGES = ("execblocks", "execkernel", "reading")
# Underscored names the standard library documents as public.
DOCUMENTED = {("os", "_exit")}


def is_private(name: str) -> bool:
    """`_x`, not a dunder, and not a protocol name (`_repr_markdown_`: ends with `_`)."""
    return name.startswith("_") and not name.endswith("_")


def own_names(tree: ast.Module) -> set[str]:
    """Names bound by imports of this project's own packages (their privates are ours)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in OWN_PACKAGES):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names
                         if alias.name.split(".")[0] in OWN_PACKAGES)
    return names


def defined_by_classes(tree: ast.Module) -> set[str]:
    """Names the module's own classes define: methods, class attributes, `self.x = ...`."""
    names = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    names.update(sub.attr if isinstance(sub, ast.Attribute) else sub.id for sub in ast.walk(target)
                                 if isinstance(sub, ast.Name) or isinstance(sub, ast.Attribute)
                                 and isinstance(sub.value, ast.Name) and sub.value.id == "self")
    return names


def inherited_privates(tree: ast.Module) -> set[str]:
    """`self._name` in a class with a library base class, where no class of the module
    defines `_name`: a private name the library's class holds (Pelican's
    MarkdownReader._parse_metadata), reached through inheritance."""
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    local, defined = {c.name for c in classes}, defined_by_classes(tree)
    found = set()
    for cls in classes:
        if all(isinstance(b, ast.Name) and (b.id in local or hasattr(builtins, b.id)) for b in cls.bases):
            continue
        found.update(node.attr for node in ast.walk(cls)
                     if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                     and node.value.id in ("self", "cls") and is_private(node.attr) and node.attr not in defined)
    return found


def private_uses_in(path: Path, root: Path = PLUGINS) -> set[tuple[str, str]]:
    """(module path under plugins/, private name) for every `x._name` attribute (x not
    self, cls or one of our modules), `self._name` that a library base class defines,
    getattr/hasattr/setattr(x, "_name"), and import of a private module or name from
    another package."""
    tree = ast.parse(path.read_text(), str(path))
    ours = own_names(tree)
    where = path.relative_to(root).as_posix()
    found = {(where, name) for name in inherited_privates(tree)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            base = node.value
            if isinstance(base, ast.Name) and (base.id in ("self", "cls") or base.id in ours
                                               or (base.id, node.attr) in DOCUMENTED):
                continue
            found.add((where, node.attr))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and is_private(node.args[1].value)):
            found.add((where, node.args[1].value))
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module.split(".")[0] not in OWN_PACKAGES:
            found.update((where, part) for part in node.module.split(".") if is_private(part))
            found.update((where, alias.name) for alias in node.names if is_private(alias.name))
        elif isinstance(node, ast.Import):
            found.update((where, part) for alias in node.names if alias.name.split(".")[0] not in OWN_PACKAGES
                         for part in alias.name.split(".") if is_private(part))
    return found


def test_the_scan_sees_each_kind_of_private_use(tmp_path):
    """The scanner itself: it must find what the table is about, and skip what is ours."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from matplotlib import cbook\nfrom matplotlib._api import check\nfrom execblocks import config\n"
        "from . import sibling\nimport os\n"
        "cbook._setattr_cm\ngetattr(shell.compile, '_filename_map', {})\nconfig._private\nsibling._x\n"
        "self._mine\nos._exit\nvalue._repr_markdown_\nsuper()._async_kill_kernel\n"
        "class Reader(cbook.Base):\n    _kept = None\n    def read(self):\n"
        "        self._own = 1\n        return self._inherited(self._own, self._kept, self._helper())\n"
        "    def _helper(self):\n        return 0\n")
    found = {name for _, name in private_uses_in(source, tmp_path)}
    assert found == {"_setattr_cm", "_api", "_filename_map", "_async_kill_kernel", "_inherited"}


def test_every_private_use_in_plugins_is_listed_and_every_listed_one_is_used():
    found = set()
    for path in sorted(PLUGINS.rglob("*.py")):
        found |= private_uses_in(path)
    listed = {(use.where, use.name) for use in PRIVATE_USES}
    assert found - listed == set(), "private names used but not listed in execblocks/private_uses.py"
    assert listed - found == set(), "listed in execblocks/private_uses.py but no longer used"


def test_every_listed_name_exists_in_the_installed_libraries():
    assert private_uses.missing() == []
    assert all(use.why and use.without_it for use in PRIVATE_USES)


def test_a_name_that_is_gone_is_said_once_in_one_line(caplog, monkeypatch):
    gone = PrivateUse(where="execblocks/execute/containment.py", owner="jupyter_client.manager:AsyncKernelManager",
                      name="_no_such_method", why="a test", without_it="nothing, this is a test")
    monkeypatch.setattr(private_uses, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="execblocks"):
        private_uses.warn_if_gone((gone, *PRIVATE_USES))
        private_uses.warn_if_gone((gone, *PRIVATE_USES))  # a second build in the same process
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "AsyncKernelManager._no_such_method" in warnings[0] and "nothing, this is a test" in warnings[0]


@pytest.mark.parametrize("owner", ["no_such_module:Thing", "jupyter_client.manager:NoSuchClass"])
def test_a_missing_owner_counts_as_gone(owner):
    use = PrivateUse(where="x", owner=owner, name="_x", why="-", without_it="-")
    assert private_uses.missing((use,)) == [use]


FRAME_ACCESS = ("f_locals", "tb_frame", "_getframe", "currentframe", "f_back")


def test_every_frame_walk_in_plugins_is_listed():
    """Frame walking reads a library's local names: as private as an `_x`, so listed too."""
    walking = set()
    for path in sorted(PLUGINS.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        if any(isinstance(node, ast.Attribute) and node.attr in FRAME_ACCESS for node in ast.walk(tree)):
            walking.add(path.relative_to(PLUGINS).as_posix())
    assert walking == {use.where for use in private_uses.FRAME_USES}
    assert all(use.why and use.without_it for use in private_uses.FRAME_USES)
