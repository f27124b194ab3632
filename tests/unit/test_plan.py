"""plan: what goes into the key, and what is a dependency."""

from pathlib import Path

from execblocks.config import EngineSettings
from execblocks.source.parse import parse_text
from execblocks.execute.plan import execution_key, is_dependency


def settings(root: Path, **kw) -> EngineSettings:
    return EngineSettings.from_pelican({"PATH": str(root / "content"), "EXECBLOCKS_ROOT": str(root),
                                        "OUTPUT_PATH": str(root / "output"), **kw})


def key(text: str, root: Path, **kw) -> str:
    return execution_key(parse_text(text, root / "content/a.md", root, root / "content"), settings(root, **kw))


def test_key_ignores_prose_and_display_options(tmp_path):
    base = key("Prose.\n\n```{python}\nx = 1\n```\n", tmp_path)
    assert key("Other prose.\n\n```{python}\nx = 1\n```\n", tmp_path) == base
    assert key("```{python}\n#| echo: false\n#| fig-cap: c\nx = 1\n```\n", tmp_path) == base


def test_key_ignores_limits_that_cannot_change_outputs(tmp_path):
    base = key("```{python}\nx = 1\n```\n", tmp_path)
    assert key("```{python}\n#| timeout: 5\nx = 1\n```\n", tmp_path) == base
    assert key("```{python}\nx = 1\n```\n", tmp_path, EXECBLOCKS_TIMEOUT=7) == base


def test_key_follows_code_execution_options_inline_and_kernel(tmp_path):
    base = key("```{python}\nx = 1\n```\n", tmp_path)
    assert key("```{python}\nx = 2\n```\n", tmp_path) != base
    assert key("```{python}\n#| fig-width: 3\nx = 1\n```\n", tmp_path) != base
    assert key("```{python}\n#| error: true\nx = 1\n```\n", tmp_path) != base
    assert key("```{python}\nx = 1\n```\n\n`{python} x`\n", tmp_path) != base
    assert key("```{python}\nx = 1\n```\n", tmp_path, EXECBLOCKS_KERNEL="other") != base


def test_dependencies_are_project_files_outside_outputs(tmp_path):
    conf = settings(tmp_path)
    for rel in ["code/m.py", "data/d.csv", "results/a/record.json", "output/x.html", "code/__pycache__/m.pyc"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = {rel for rel in ["code/m.py", "data/d.csv", "results/a/record.json", "output/x.html",
                             "code/__pycache__/m.pyc"] if is_dependency(tmp_path / rel, conf)}
    assert found == {"code/m.py", "data/d.csv"}
    assert not is_dependency(Path("/usr/lib/python3/os.py"), conf)


def test_dependency_paths_resolve_as_realpath_does(tmp_path, monkeypatch):
    """hash_dependencies resolves each folder once: the same answer as os.path.realpath for
    links to folders, links to files, ".." after a link, and relative paths."""
    import os

    from execblocks.execute.plan import _real_path

    (tmp_path / "real" / "pkg").mkdir(parents=True)
    (tmp_path / "real" / "pkg" / "mod.py").write_text("")
    (tmp_path / "real" / "other.py").write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "real" / "pkg")
    (tmp_path / "real" / "pkg" / "alias.py").symlink_to(tmp_path / "real" / "other.py")
    monkeypatch.chdir(tmp_path)
    paths = [str(tmp_path / "linked" / "mod.py"), str(tmp_path / "linked" / "alias.py"),
             str(tmp_path / "linked" / ".." / "other.py"), "linked/mod.py", str(tmp_path / "real" / "other.py")]
    folders: dict[str, str] = {}
    assert [_real_path(p, folders) for p in paths] == [os.path.realpath(p) for p in paths]
    assert _real_path(paths[2], folders) == str(tmp_path / "real" / "other.py")  # not tmp_path/other.py
