"""`invoke build` and `invoke status` as users run them: whole processes, on this site's own
content and on generated corpora whose articles share dependencies. Prints figures;
asserts nothing. build_speed.py (`invoke bench`) calls `main()`; it also runs alone:

    python benchmarks/user_builds.py

  real site             `invoke build` (no-op, then prose edit) on a copy of this repository's
                        content, code and results / `pelican` with the same theme and settings
                        minus the engine, median of the pairs' CPU ratios           target <= 1.15x
  templates compiled    the real site's prose edit with the engine's compiled templates thrown
                        away before each build, as Pelican alone compiles them on every run
  200 articles          the same on 200 generated executable articles that each import the
                        same 18 files of code/ (stored results made without running kernels);
                        the prose edit is to one article, and then to all 200 at once (no page
                        the engine kept can be reused: site/page_cache.py)
  both through invoke   the real site's ratios again, the plain side run as a Pelican user runs
                        it: `invoke build` with the tasks.py pelican-quickstart writes (rendered
                        from the installed Pelican's own template), not `pelican` alone
  status, 2,000         `invoke status` as a whole process on 2,000 such articles   target <= 1 s
  livereload rebuilds   CPU of one rebuild after a prose edit of one article inside one process
                        (what `invoke livereload` runs on each save), with the compiled templates
                        and the pages read kept between rebuilds (site/template_cache.py,
                        site/page_cache.py) and with neither (EXECBLOCKS_PAGE_CACHE = False);
                        on the real site and on 200 articles
  of which invoke       `invoke build` minus the same build called without invoke (tasks.py's
                        `build` as a `python -c` line), over the plain build: the part of each
                        ratio no engine work can remove

Each line ends with the machine's 1-minute load average before and after it: the machine is
shared, and the pairs' ratios hold up under load far better than their CPU seconds do.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAIRS = int(os.environ.get("BENCH_PAIRS", "9"))
SHARED = 18  # files of code/ every generated article imports
TEMPLATES = "cache/execblocks/templates"  # the theme's compiled templates (site/template_cache.py)
PLAIN_CONF = """\
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
exec(open(os.path.join(os.path.dirname(__file__), "pelicanconf.py")).read())
PLUGINS = [name for name in PLUGINS if name != "execblocks"]
OUTPUT_PATH = "output-plain"
"""


@dataclass
class Timing:
    wall: float
    cpu: float  # user + sys of the process and every child it waited for


def timed(command: list[str], cwd: Path) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return Timing(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def invoke(site: Path, *task: str) -> Timing:
    return timed([sys.executable, "-m", "invoke", *task], site)


def plain_pelican(site: Path) -> Timing:
    return timed([sys.executable, "-m", "pelican", "-s", "plain.py", "--fatal", "errors", "-q"], site)


def quickstart_tasks(site: Path) -> None:
    """Pelican's own tasks.py as `pelican-quickstart` writes it (its template in the installed
    Pelican, every optional part left out), reading plain.py: the `invoke build` a Pelican
    user without the engine runs. Saved as quickstart_tasks.py (`invoke -c quickstart_tasks`)."""
    import jinja2
    import pelican

    template = Path(pelican.__file__).parent / "tools" / "templates" / "tasks.py.jinja2"
    text = jinja2.Template(template.read_text()).render()
    settings = 'SETTINGS_FILE_BASE = "pelicanconf.py"'
    assert settings in text, f"Pelican's {template.name} no longer names its settings file as {settings}"
    (site / "quickstart_tasks.py").write_text(text.replace(settings, 'SETTINGS_FILE_BASE = "plain.py"'))


def quickstart_pelican(site: Path) -> Timing:
    return timed([sys.executable, "-m", "invoke", "-c", "quickstart_tasks", "build"], site)


def user_site(root: Path, with_repo_content: bool) -> Path:
    """A project laid out as this repository (its tasks.py, settings, theme and engine),
    with this repository's content, code and results or with none."""
    root.mkdir(parents=True)
    for name in ("tasks.py", "pelicanconf.py"):
        shutil.copy(REPO / name, root / name)
    for name in ("plugins", "theme"):
        (root / name).symlink_to(REPO / name)
    if with_repo_content:
        for name in ("content", "code", "results"):
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".lock"))
    else:
        (root / "content").mkdir()
        (root / "code").mkdir()
    (root / "plain.py").write_text(PLAIN_CONF)
    return root


def shared_corpus(root: Path, count: int) -> None:
    """`count` executable articles, each importing the same SHARED modules of code/, with
    stored results recording them as read (made in-process: no kernel runs)."""
    sys.path.insert(0, str(REPO / "plugins"))
    import nbformat
    from pelican.settings import read_settings

    from execblocks.config import EngineSettings
    from execblocks.execute.kernel_run import ExecutionResult
    from execblocks.pipeline import store_result
    from execblocks.source.parse import parse_text
    from execblocks.store.results_folder import ResultsStore

    modules = []
    for n in range(SHARED):
        path = root / "code" / f"shared{n:02d}.py"
        path.write_text(f'"""Shared helper {n}."""\n\nVALUE = {n}\n\n\ndef twice(x):\n    return 2 * x\n' + "# padding\n" * 200)
        modules.append(path)
    settings = EngineSettings.from_pelican(read_settings(str(root / "pelicanconf.py")))
    store = ResultsStore(settings.results_dir)
    imports = ", ".join(f"shared{n:02d}" for n in range(SHARED))
    for n in range(count):
        text = (f"Title: Generated {n}\nDate: 2026-01-01\n\nProse {n}.\n\n```{{python}}\nimport {imports}\n"
                f"x = shared00.twice({n})\n```\n\n```{{python}}\n#| echo: false\nprint(x)\n```\n\n"
                f"The value is `{{python}} x`.\n")
        path = root / "content" / f"a{n:04d}.md"
        path.write_text(text)
        article = parse_text(text, path, root, settings.content_dir)
        notebook = nbformat.v4.new_notebook()
        for block in article.blocks:
            cell = nbformat.v4.new_code_cell(block.code, id=f"block-{block.index + 1}")
            cell.metadata["execblocks"] = {"block": block.index}
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{2 * n}\n")] if block.index else []
            notebook.cells.append(cell)
        store_result(store, ExecutionResult(article, notebook, [str(2 * n)], modules, "cpu", {"python": "3.11"},
                                             [0.001, 0.001], 0.1, "2026-01-01T00:00:00+00:00"), settings)


def edit_prose(site: Path, n: int, only: str = "*.md") -> None:
    """Append a sentence to every article of content/ (`only`: those whose name matches)."""
    for path in sorted((site / "content").glob(only)):
        with open(path, "a") as handle:
            handle.write(f"\nAn edit to the prose, number {n}.\n")


@dataclass
class Paired:
    engine: Timing
    plain: Timing
    ratio: float  # median over pairs of engine CPU / plain CPU


def pairs(site: Path, before_each=None, plain=plain_pelican) -> Paired:
    engine_runs, plain_runs = [], []
    for n in range(PAIRS):
        if before_each:
            before_each(n)
        plain_runs.append(plain(site))
        engine_runs.append(invoke(site, "build"))
    med = lambda runs: Timing(statistics.median(t.wall for t in runs), statistics.median(t.cpu for t in runs))  # noqa: E731
    return Paired(med(engine_runs), med(plain_runs), statistics.median(e.cpu / p.cpu for e, p in zip(engine_runs, plain_runs)))


def describe(paired: Paired) -> str:
    return (f"{paired.ratio:5.2f}x  (median of pair ratios; CPU {paired.engine.cpu:.2f} s vs {paired.plain.cpu:.2f} s, "
            f"wall {paired.engine.wall:.2f} s vs {paired.plain.wall:.2f} s)")


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


# What tasks.py's `build` runs, called without invoke.
DIRECT_BUILD = ("import sys; sys.path.insert(0, 'plugins'); from execblocks.site import build as site; "
                "site.build('pelicanconf.py')")


def startup(site: Path) -> tuple[float, float]:
    """What `invoke` itself adds to a no-op build: `invoke build` against the same build called
    directly (`DIRECT_BUILD`), interleaved; (median of the differences in CPU seconds, median
    of those differences over the plain build run in the same round)."""
    extra, share = [], []
    for _ in range(PAIRS):
        plain = plain_pelican(site).cpu
        direct = timed([sys.executable, "-c", DIRECT_BUILD], site).cpu
        whole = invoke(site, "build").cpu
        extra.append(whole - direct)
        share.append((whole - direct) / plain)
    return statistics.median(extra), statistics.median(share)


# One process, rebuilds after prose edits as livereload runs them; prints the median CPU
# seconds of rebuilds 2..N (the first also compiles and imports what every later one reuses).
REBUILDS = """\
import io, contextlib, statistics, sys, time
sys.path.insert(0, "plugins")
from execblocks.site import build as site
from execblocks.site.page_cache import PageCache
from execblocks.site.template_cache import TemplateCodeCache
kept = sys.argv[1] == "kept"
templates, pages = (TemplateCodeCache(), PageCache()) if kept else (None, None)
times = []
for n in range({count}):
    with open({edited!r}, "a") as handle:
        handle.write(f"\\nA livereload edit {{n}}.\\n")
    start = time.process_time()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        if kept:
            site.build("pelicanconf.py", template_cache=templates, page_cache=pages)
        else:  # every page read again: no cache in memory, none on disk
            site.build("pelicanconf.py", EXECBLOCKS_PAGE_CACHE=False)
    times.append(time.process_time() - start)
print(statistics.median(times[1:]))
"""


def livereload_rebuilds(site: Path, edited: str) -> tuple[float, float]:
    """(median CPU of a rebuild with templates and pages kept, without), in-process, paired runs."""
    kept, fresh = [], []
    for _ in range(3):
        for mode, into in (("kept", kept), ("fresh", fresh)):
            done = subprocess.run([sys.executable, "-c", REBUILDS.format(count=PAIRS, edited=edited), mode], cwd=site,
                                  capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
            if done.returncode:
                raise SystemExit(f"livereload rebuilds failed:\n{done.stderr[-3000:]}")
            into.append(float(done.stdout.split()[-1]))
    return statistics.median(kept), statistics.median(fresh)


def main(tmp: Path) -> None:
    real = user_site(tmp / "real", with_repo_content=True)
    invoke(real, "build")  # renders once (math cache, highlight cache, citations); results are fresh
    before = load()
    noop = pairs(real)
    print(f"real site, invoke build no-op   {describe(noop)}   target <= 1.15x   (load {before} -> {load()})")
    before = load()
    prose = pairs(real, lambda n: edit_prose(real, n))
    print(f"real site, invoke build prose   {describe(prose)}   target <= 1.15x   (load {before} -> {load()})")
    # What keeping the compiled templates is worth (Pelican alone compiles them on every run):
    # the same edit, with the engine's template cache emptied before each build.
    before = load()
    compiling = pairs(real, lambda n: (edit_prose(real, 50 + n), shutil.rmtree(real / TEMPLATES, ignore_errors=True)))
    print(f"real site, invoke build prose, templates compiled again   {describe(compiling)}   "
          f"(cache/execblocks/templates emptied before each build: what the compiled templates kept save)   "
          f"(load {before} -> {load()})", flush=True)
    # Like for like: a Pelican user runs `invoke build` too, through pelican-quickstart's tasks.py.
    quickstart_tasks(real)
    before = load()
    print(f"real site, both through invoke, no-op   {describe(pairs(real, plain=quickstart_pelican))}   "
          f"(the plain side: Pelican's own quickstart tasks.py, `invoke build`)   (load {before} -> {load()})",
          flush=True)
    before = load()
    print(f"real site, both through invoke, prose   "
          f"{describe(pairs(real, lambda n: edit_prose(real, 100 + n), plain=quickstart_pelican))}   "
          f"(load {before} -> {load()})", flush=True)
    before = load()
    extra, share = startup(real)
    print(f"  of which invoke itself (invoke build - the same build called without invoke): {extra * 1000:.0f} ms "
          f"CPU = {share:.2f}x of the plain build, the part no engine work can remove   (load {before} -> {load()})",
          flush=True)

    before = load()
    kept, fresh = livereload_rebuilds(real, "content/batchnorm.md")
    print(f"real site, livereload rebuild after a prose edit (in one process): CPU {kept:.3f} s with compiled "
          f"templates and read pages kept, {fresh:.3f} s without ({(1 - kept / fresh) * 100:.0f} % less)   "
          f"(load {before} -> {load()})", flush=True)

    corpus = user_site(tmp / "corpus200", with_repo_content=False)
    shared_corpus(corpus, 200)
    invoke(corpus, "build")
    before = load()
    print(f"200 articles, {SHARED} shared deps, no-op   {describe(pairs(corpus))}   target <= 1.15x   "
          f"(load {before} -> {load()})", flush=True)
    before = load()
    print(f"200 articles, {SHARED} shared deps, prose edit of one   "
          f"{describe(pairs(corpus, lambda n: edit_prose(corpus, n, only='a0007.md')))}   "
          f"target <= 1.15x   (load {before} -> {load()})", flush=True)
    before = load()
    print(f"200 articles, {SHARED} shared deps, prose edit of all   "
          f"{describe(pairs(corpus, lambda n: edit_prose(corpus, 100 + n)))}   "
          f"(every page read again: what the page cache cannot save)   (load {before} -> {load()})", flush=True)
    before = load()
    kept, fresh = livereload_rebuilds(corpus, "content/a0007.md")
    print(f"200 articles, livereload rebuild after a prose edit of one (in one process): CPU {kept:.3f} s with "
          f"compiled templates and read pages kept, {fresh:.3f} s without ({(1 - kept / fresh) * 100:.0f} % less)   "
          f"(load {before} -> {load()})", flush=True)

    many = user_site(tmp / "status2000", with_repo_content=False)
    shared_corpus(many, 2000)
    before = load()
    runs = [invoke(many, "status") for _ in range(PAIRS)]
    print(f"invoke status, 2,000 articles, {SHARED} shared deps: wall {statistics.median(r.wall for r in runs):.2f} s, "
          f"CPU {statistics.median(r.cpu for r in runs):.2f} s (median of {PAIRS} whole processes)   target <= 1 s   "
          f"(load {before} -> {load()})")
    search = "on" if (REPO / "node_modules").exists() or shutil.which("pagefind") else "off"
    print(f"(Pagefind search index {search}: when on, it indexes the plain and the engine builds alike, "
          f"and its CPU counts on both sides of each ratio)", flush=True)


if __name__ == "__main__":
    import compileall
    import tempfile

    # As build_speed.py does: with PYTHONDONTWRITEBYTECODE set, each build would otherwise
    # compile the plugins from source, which a user's builds (bytecode written) never do.
    compileall.compile_dir(REPO / "plugins", quiet=1)

    with tempfile.TemporaryDirectory() as scratch:
        main(Path(scratch))
