"""The runnable bundle: one `.zip` a reader downloads to rerun an article anywhere.

    <slug>/README.md           how to run it
    <slug>/rerun.py            runs the notebook showing each cell's progress (site/bundle_rerun.py)
    <slug>/requirements.txt    the versions the run used
    <slug>/content/<slug>.ipynb  the executed notebook, where the article was
    <slug>/code/...            every project file the run recorded as a dependency,
    <slug>/content/data/...    at its place in the project

The files keep their project layout, so every path the run read relative to its working
directory (the article's folder) reads the same file in the bundle. The notebook's first
cell puts the bundle's code folder(s) on `sys.path`, as the build does, so it runs with
plain Jupyter and nothing from the blog installed. Nothing else from the repository goes in,
but `rerun.py`: `jupyter execute` prints nothing for the minutes a rerun takes, and this
small nbclient script (nbformat and nbclient only) shows which cell of how many runs, where
the article has it, how long each took, and what it prints as it prints it.

The bytes are deterministic (sorted entries, fixed timestamps and modes), so an unchanged
article gives an unchanged zip.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

import nbformat

from execblocks.config import EngineSettings
from execblocks.source.parse import Article
from execblocks.store.records import Environment
from execblocks.store.results_folder import StoredEntry, sha256_bytes

logger = logging.getLogger(__name__)

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time in the bytes
FILE_MODE = 0o644
SETUP_TAG = "bundle-setup"
# Runs the notebook; pinned beside what the blocks imported.
RUNNERS = ("ipykernel", "nbclient")
RERUN_SCRIPT = Path(__file__).with_name("bundle_rerun.py")  # the bundle's rerun.py


@dataclass(frozen=True)
class Bundle:
    """What goes in the zip, by path inside its top folder."""

    top: str  # the folder the zip unpacks into: the article's slug
    notebook_path: str  # e.g. "content/batchnorm.ipynb"
    files: dict[str, bytes]

    def zip_bytes(self) -> bytes:
        return deterministic_zip({f"{self.top}/{name}": data for name, data in self.files.items()})


def deterministic_zip(files: dict[str, bytes]) -> bytes:
    """A zip of `files` (path -> bytes) whose bytes depend on nothing else."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode below is honoured by unzip
            info.external_attr = (0o100000 | FILE_MODE) << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def bundle_paths(article: Article, settings: EngineSettings) -> tuple[str, list[str]]:
    """Where the notebook goes in the bundle, and the code folders (relative to the
    article's folder) its first cell puts on sys.path."""
    notebook = PurePosixPath(Path(article.path).relative_to(settings.root).as_posix()).with_suffix(".ipynb")
    code_paths = [Path(os.path.relpath(d, article.path.parent)).as_posix() for d in settings.code_dirs]
    return notebook.as_posix(), code_paths


def setup_cell(code_paths: list[str], figure_dpi: float) -> nbformat.NotebookNode:
    """The cell that does what the build's kernel does around the blocks, in plain Python
    and matplotlib: code/ on sys.path; a scratch folder when EXECBLOCKS_SCRATCH is unset (the
    README tells authors to write there); figures drawn as the page shows them, 2x PNGs
    (`retina`) at the page's pixels per inch (whatever `figure.dpi` the article's style sets),
    cropped as the page crops them (tight)."""
    paths = ", ".join(f"os.path.abspath({p!r})" for p in code_paths)
    cell = nbformat.v4.new_code_cell(
        "# Added to the download: the blog runs this notebook with its code folder on sys.path,\n"
        "# a scratch folder in EXECBLOCKS_SCRATCH, and figures drawn as its pages show them.\n"
        f"import os, sys, tempfile\nsys.path[:0] = [{paths}]\n"
        'os.environ.setdefault("EXECBLOCKS_SCRATCH", tempfile.mkdtemp(prefix="scratch-"))\n'
        "%config InlineBackend.figure_formats = ['retina']\n"
        f"{_print_dpi(figure_dpi)}")
    cell.id = SETUP_TAG
    cell.metadata["tags"] = [SETUP_TAG]
    return cell


def _print_dpi(dpi: float) -> str:
    """Jupyter's inline backend saves a figure at the pixels per inch this says, whatever
    the figure's own `figure.dpi` (an article's style may set it): the page's resolution."""
    return (f"%config InlineBackend.print_figure_kwargs = {{'bbox_inches': 'tight', 'dpi': {dpi:g}}}"
            f"  # {dpi:g} pixels per inch, as the page")


def figure_cells(article: Article, default_dpi: float) -> dict[int, nbformat.NotebookNode]:
    """Block index -> a cell to run before it that sets the figure size and resolution the
    build set there (`fig-width`/`fig-height` as plain matplotlib rcParams, `fig-dpi` as the
    inline backend's resolution; the article's defaults included): the same rule as the
    build's hidden cells (execute/run_notebook.py), so `jupyter execute` draws the page's
    figures at the page's sizes."""
    cells, figsize, dpi = {}, None, None
    for block in article.blocks:
        if not block.options.eval:
            continue
        lines = []
        wanted = (block.options.fig_width, block.options.fig_height)
        if wanted != (None, None) and wanted != figsize:
            width, height = block.options.fig_width or 6.4, block.options.fig_height or 4.8
            lines.append(f'matplotlib.rcParams["figure.figsize"] = ({width:g}, {height:g})  '
                         f"# fig-width, fig-height (inches)")
            figsize = wanted
        if block.options.fig_dpi != dpi:
            lines.append(_print_dpi(block.options.fig_dpi or default_dpi))
            dpi = block.options.fig_dpi
        if lines:
            cell = nbformat.v4.new_code_cell("# Added to the download: the page's figure settings for the next "
                                             "block.\nimport matplotlib\n" + "\n".join(lines))
            cell.id = f"{SETUP_TAG}-{block.index + 1}"
            cell.metadata["tags"] = [SETUP_TAG]
            cells[block.index] = cell
    return cells


def requirements_txt(environment: Environment) -> str:
    """Pins for what the blocks imported (`packages`), else the tracked `versions`."""
    versions = environment.versions
    pins = dict(environment.packages)
    if not pins:  # results stored before the run recorded every package
        names = {"sklearn": "scikit-learn"}
        pins = {names.get(k, k): v for k, v in versions.items() if k != "python"}
    for name in RUNNERS:
        if not any(k.lower() == name for k in pins):
            try:
                pins[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                pins[name] = ""
    lines = [f"# The versions this article's run used (Python {versions.get('python', '3')})."]
    for name in sorted(pins, key=str.lower):
        # A local build tag (torch's "+cpu") is not on PyPI: pin the release it was built from.
        version = pins[name].split("+")[0]
        lines.append(f"{name}=={version}" if version else name)
    return "\n".join(lines) + "\n"


def readme(article: Article, notebook_path: str, top: str, python: str) -> str:
    stem = PurePosixPath(notebook_path).stem
    short = article.header.text("rerun-short") if article.header else None
    # The article's header may name a short run (`Rerun-Short: BNLAB_PROFILE=short`): a smoke
    # test of every block that a reader can afford before the full rerun.
    short_run = (f"""
A short run first (every block, smaller experiments: minutes on a laptop CPU; its numbers
are not the article's, its figures have the article's sizes):

    {short.strip()} python rerun.py {notebook_path} --output={stem}-short
    {short.strip()} jupyter execute {notebook_path} --output={stem}-short
""" if short and short.strip() else "")
    return f"""# {article.slug}: rerun the experiments of "{article.rel_path}"

This folder holds the article's executed notebook (`{notebook_path}`) and every project
file its run read, at the same place as in the blog's repository. It ran with Python {python}.

    unzip {top}.zip && cd {top}
    python -m venv .venv && . .venv/bin/activate
    pip install -r requirements.txt
    python rerun.py {notebook_path}

`rerun.py` runs the notebook as `jupyter execute` does (nbclient, from the notebook's folder)
and shows the run as it goes: which cell of how many, where the article has it, what it
prints (progress bars included) and how long it took:

    [k/N] <the block's label, or its first line of code> (block b, {article.rel_path}:<line>)
        │ <what the cell prints, as it prints it>
    [k/N] done in <seconds> s
{short_run}
The same run with plain Jupyter, which prints nothing until it ends:

    jupyter execute {notebook_path} --output={stem}-rerun

or, with nbconvert installed (`pip install nbconvert`):

    jupyter nbconvert --to notebook --execute {notebook_path} --output {stem}-rerun.ipynb

Each writes `{PurePosixPath(notebook_path).parent / (stem + '-rerun.ipynb')}` next to the original, to compare.
All run the notebook from its own folder, as the blog's build did. Its first cell puts the
code folder on `sys.path`, gives blocks a scratch folder (`EXECBLOCKS_SCRATCH`) and draws
figures as the page does (2x PNGs); a cell marked "Added to the download" before a block
sets the figure size the page used. The rest are the article's blocks, unchanged.
`BLOG_DEVICE=cpu` forces the CPU; otherwise the experiments use a GPU when torch sees one.
"""


def reader_bundle(article: Article, entry: StoredEntry, notebook: nbformat.NotebookNode,
                  settings: EngineSettings) -> Bundle:
    """The bundle for a stored (fresh) result: `notebook` is the downloadable notebook."""
    notebook_path, code_paths = bundle_paths(article, settings)
    notebook = copy.deepcopy(notebook)
    dpi = settings.kernel_policy.figure_dpi
    before = figure_cells(article, dpi)
    cells = [setup_cell(code_paths, dpi)]
    for cell in notebook.cells:
        # the downloadable notebook's cells are the blocks, with ids "block-<n>" (1-based)
        block = cell.get("metadata", {}).get("execblocks", {}).get("block")
        if block is None and str(cell.get("id", "")).startswith("block-"):
            block = int(cell["id"].removeprefix("block-")) - 1
        if block in before:
            cells.append(before[block])
        if block is not None and 0 <= block < len(article.blocks):
            # Where the article has it and its label, for rerun.py's progress lines
            # ("[3/8] train (block 2, content/x.md:120)").
            meta = cell.setdefault("metadata", {}).setdefault("execblocks", {})
            meta["source"] = f"{article.rel_path}:{article.blocks[block].fence_line}"
            if article.blocks[block].options.label:
                meta["label"] = article.blocks[block].options.label
        cells.append(cell)
    notebook.cells[:] = cells  # in place: assigning a new list to the copy's `cells` was lost on writing
    files = {notebook_path: nbformat.writes(notebook).encode() + b"\n"}
    for rel, digest in entry.record.dependencies.items():
        data = (settings.root / rel).read_bytes()
        if sha256_bytes(data) != digest:
            # Plan calls the entry fresh only when the hashes match; this is a file edited
            # during the build. The reader gets what the run read or no such file at all.
            logger.warning("execblocks: %s changed since %s ran; left out of its bundle", rel, article.rel_path)
            continue
        files[rel] = data
    environment = entry.record.environment
    files["requirements.txt"] = requirements_txt(environment).encode()
    python = environment.versions.get("python", "3")
    files["README.md"] = readme(article, notebook_path, article.slug, python).encode()
    files["rerun.py"] = RERUN_SCRIPT.read_bytes()
    return Bundle(article.slug, notebook_path, files)


# -- what a cluster worker gets (execute/dask/executor.py) ---------------------------------------
def job_files(article: Article, entry: StoredEntry | None, settings: EngineSettings) -> dict[str, bytes]:
    """The project files a worker needs to run `article`, by project-relative path: the
    article, the files its last run read, its `#| depends:` files, and every file of the
    code folders (an edited block may import a module it never imported before). An
    article never run before also gets its whole folder: what it reads is not known yet."""
    from execblocks.execute.plan import is_dependency

    wanted = [article.path]
    record = entry.record if entry is not None else None
    wanted += [settings.root / rel for rel in (record.dependencies if record else {})]
    wanted += [article.path.parent / name for block in article.blocks for name in block.options.depends]
    folders = list(settings.code_dirs) + ([] if record else [article.path.parent])
    for folder in folders:
        if folder.is_dir():
            wanted += sorted(p for p in folder.rglob("*") if p.is_file())
    files = {}
    for path in wanted:
        path = Path(os.path.realpath(path))
        if path == article.path.resolve() or is_dependency(path, settings):
            files[path.relative_to(settings.root).as_posix()] = path.read_bytes()
    return files


def engine_archive(settings: EngineSettings) -> bytes:
    """The engine's own source and its kernel side (both packages), for workers that do not
    have them installed."""
    files = {f"{package.name}/{p.relative_to(package).as_posix()}": p.read_bytes()
             for package in (settings.engine_dir, settings.kernel_dir)
             for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts}
    return deterministic_zip(files)
