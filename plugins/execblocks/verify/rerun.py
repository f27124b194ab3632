"""Run an article again away from the project, and return what it showed.

Two ways, neither writes `results/` or `output/`:

- `in_scratch`: the article, the files its stored run read and the code folders are
  copied into a temporary project, and the engine's own executor runs it there (this
  machine's kernels, or a Dask cluster with `executor`). Nothing is stored: the fresh
  notebook and inline values come straight from the run.
- `from_bundle`: the reader's bundle (the same bytes the site serves, made from the stored
  results) is unzipped into an empty folder, a fresh virtualenv gets its requirements.txt,
  and plain `jupyter execute` runs the notebook, as the bundle's README tells a reader.
  To read the inline values, the verifier runs a copy of the notebook with one cell per
  `{python}` expression added at the end (they print each value as the engine does); the
  blocks are the bundle's own, unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from execblocks.config import EngineSettings
from execblocks.errors import RerunError
from execblocks.source.parse import Article, parse_article
from execblocks.store.results_folder import StoredEntry
from execblocks.store.records import Machine
from execblocks.verify.machine import this_machine

INLINE_TAG = "verify-inline"
VENVS = ("fresh", "system", "reuse")  # make_venv's modes


@dataclass
class Rerun:
    how: str
    notebook: dict  # the executed notebook: blocks' cells (ids block-N), images inline
    inline_values: list[str]
    machine: Machine


@contextlib.contextmanager
def device_environment(device: str | None):
    """BLOG_DEVICE for the kernels this process starts (code/reproducible.py reads it)."""
    if device is None:
        yield
        return
    before = os.environ.get("BLOG_DEVICE")
    os.environ["BLOG_DEVICE"] = device
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("BLOG_DEVICE", None)
        else:
            os.environ["BLOG_DEVICE"] = before


def _copy(settings: EngineSettings, scratch: Path, paths) -> None:
    for path in paths:
        rel = Path(path).resolve().relative_to(settings.root)
        target = scratch / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(path).is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(path, target)


def scratch_settings(settings: EngineSettings, scratch: Path, executor: str | None) -> EngineSettings:
    moved = lambda path: scratch / Path(path).relative_to(settings.root)  # noqa: E731
    return replace(settings, root=scratch, content_dir=moved(settings.content_dir),
                   results_dir=scratch / "results", output_dir=scratch / "output",
                   code_dirs=tuple(moved(d) for d in settings.code_dirs),
                   executor=executor or settings.executor, mode="force", only=())


def in_scratch(article: Article, entry: StoredEntry, settings: EngineSettings, executor: str | None = None,
               device: str | None = None, progress=None) -> Rerun:
    from execblocks.execute.plan import STALE, ArticlePlan
    from execblocks.execute.progress import Progress
    from execblocks.execute.jobs import job_for
    from execblocks.execute.schedule import executor_for

    scratch = Path(tempfile.mkdtemp(prefix="execblocks-verify-")).resolve()
    try:
        record = entry.record
        _copy(settings, scratch, [article.path, *[d for d in settings.code_dirs if d.is_dir()],
                                  *[settings.root / rel for rel in record.dependencies if (settings.root / rel).exists()],
                                  *[article.path.parent / name for b in article.blocks for name in b.options.depends]])
        local = scratch_settings(settings, scratch, executor)
        copy = parse_article(scratch / article.path.relative_to(settings.root), local.root, local.content_dir,
                             dict(local.block_defaults))
        job = job_for(ArticlePlan(copy, STALE, ["verify"], entry=entry))
        how = "scratch copy" if local.executor == "local" else f"dask {local.executor}"
        with device_environment(device):
            [result] = executor_for(local).run([job], local, progress or Progress())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if result.error is not None:
        raise RerunError(article.rel_path, how, str(result.error))
    ran_on = result.device or "cpu"  # an article that never picked a device ran on the CPU (as the store records it)
    if device is not None and ran_on != device:
        raise RerunError(article.rel_path, how, f"it ran on {ran_on}, not on {device}")
    return Rerun(how, result.notebook, list(result.inline_values), this_machine(ran_on, result.versions, host=result.host))


# -- the reader's bundle ----------------------------------------------------------------

def bundle_zip(article: Article, entry: StoredEntry, settings: EngineSettings):
    """The bundle the site serves for these stored results (deterministic bytes)."""
    from execblocks.site.bundle import reader_bundle
    from execblocks.site.downloads import downloadable_notebook
    from execblocks.render.blocks import RenderedArticle

    return reader_bundle(article, entry, downloadable_notebook(RenderedArticle(article, entry)), settings)


def with_inline_cells(notebook, article: Article):
    """A copy of the notebook with a last cell per `{python}` expression, each displaying
    the value as the engine's runtime.inline_value does (its str(), or its Markdown)."""
    import copy

    import nbformat

    notebook = copy.deepcopy(notebook)
    for number, inline in enumerate(article.inline):
        cell = nbformat.v4.new_code_cell(
            f"# Added by `invoke verify`: the article's inline value {number + 1} (line {inline.line}).\n"
            f"__verify_value = ({inline.expr})\n"
            "from IPython.display import publish_display_data as __verify_publish\n"
            "__verify_publish({'text/plain': str(__verify_value), **({'text/markdown': "
            "__verify_value._repr_markdown_()} if callable(getattr(__verify_value, '_repr_markdown_', None)) "
            "else {})})")
        cell.id = f"verify-inline-{number + 1}"
        cell.metadata[INLINE_TAG] = number
        notebook.cells.append(cell)
    return notebook


def bundle_inline_values(notebook, count: int) -> list[str]:
    values = [""] * count
    for cell in notebook.cells:
        number = cell.metadata.get(INLINE_TAG)
        for output in cell.get("outputs", []) if number is not None else []:
            if output.get("output_type") == "display_data":
                data = output["data"]
                values[number] = data.get("text/markdown", data.get("text/plain", ""))
    return values


def reader_environment(venv: Path | None) -> dict[str, str]:
    """A reader's shell: nothing the blog's build sets, the venv first on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("EXECBLOCKS_", "PYTHON", "VIRTUAL_ENV", "MPL"))}
    env.setdefault("OMP_NUM_THREADS", "1")  # a shared machine: one BLAS thread, as the build's kernels
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    return env


def make_venv(folder: Path, mode: str, say) -> Path:
    """The bundle's interpreter. `fresh` (the default): a new venv with only requirements.txt
    installed. `system`: a new venv that also sees the packages of the Python running this
    (a virtualenv's too, through a .pth file), so pip installs only what is missing.
    `reuse`: this Python's own environment, nothing installed (fast tests)."""
    if mode == "reuse":
        return Path(sys.prefix)
    venv = folder / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    if mode == "system":
        site = next((venv / "lib").glob("python*/site-packages"))
        paths = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
        (site / "verify-parent.pth").write_text("\n".join(paths) + "\n")
    say(f"verify: pip install -r requirements.txt into a {mode} venv ({venv})")
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
                          cwd=folder, capture_output=True, text=True)
    if done.returncode:
        raise RerunError(folder.name, "bundle", f"pip install -r requirements.txt exited {done.returncode}:\n"
                         + done.stderr[-3000:])
    return venv


def venv_versions(python: Path) -> dict[str, str]:
    code = ("import json, sys, importlib.metadata as m\nv = {'python': '.'.join(map(str, sys.version_info[:3]))}\n"
            "for n in ('numpy', 'torch', 'matplotlib'):\n"
            "    try: v[n] = m.version(n)\n    except m.PackageNotFoundError: pass\nprint(json.dumps(v))")
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def from_bundle(article: Article, entry: StoredEntry, settings: EngineSettings, venv_mode: str = "fresh",
                device: str | None = None, say=print, timeout: int | None = None) -> Rerun:
    import io
    import zipfile

    import nbformat

    bundle = bundle_zip(article, entry, settings)
    folder = Path(tempfile.mkdtemp(prefix="execblocks-verify-bundle-")).resolve()
    how = {"fresh": "bundle, fresh venv", "system": "bundle, venv with site packages",
           "reuse": "bundle, this venv"}[venv_mode]
    try:
        with zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())) as archive:
            archive.extractall(folder)
        top = folder / bundle.top
        venv = make_venv(top, venv_mode, say)
        notebook_path = top / bundle.notebook_path
        checked = notebook_path.with_name(notebook_path.stem + "-verify.ipynb")
        checked.write_text(nbformat.writes(with_inline_cells(nbformat.read(notebook_path, as_version=4), article)))
        output = notebook_path.stem + "-verified"
        env = reader_environment(None if venv_mode == "reuse" else venv)
        if device is not None:
            env["BLOG_DEVICE"] = device
        # The venv's own `jupyter execute`. A venv that sees this one's packages got no script
        # of its own (pip found nbclient installed): its Python runs what that script runs,
        # nbclient's command line, so the kernel is the venv's Python too.
        jupyter = venv / "bin" / "jupyter"
        runner = ([str(jupyter), "execute"] if jupyter.exists() else
                  [str(venv / "bin" / "python"), "-c", "from nbclient.cli import main; main()"])
        command = [*runner, str(checked.relative_to(top)), f"--output={output}"]
        if timeout:
            command.append(f"--timeout={timeout}")
        say(f"verify: jupyter execute {' '.join(command[len(runner):])}  (in {top})")
        done = subprocess.run(command, cwd=top, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RerunError(article.rel_path, how, f"jupyter execute exited {done.returncode}:\n{done.stderr[-3000:]}")
        executed = nbformat.read(notebook_path.with_name(output + ".ipynb"), as_version=4)
        versions = venv_versions(venv / "bin" / "python")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    from execblocks.execute.schedule import visible_gpus

    ran_on = device or ("cuda" if visible_gpus() else "cpu")
    return Rerun(how, executed, bundle_inline_values(executed, len(article.inline)), this_machine(ran_on, versions))
