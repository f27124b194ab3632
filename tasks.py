"""Tasks, as Pelican users know them from pelican-quickstart, plus the execution engine's.

Each task is a few lines that call Pelican or the engine (plugins/execblocks).
"""

import os
import shlex
import shutil
import sys
from pathlib import Path

from invoke import task
from invoke.exceptions import Exit

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "plugins"))

CONFIG = {
    "settings_base": "pelicanconf.py",
    "settings_publish": "publishconf.py",
    "deploy_path": "output",
    "host": "127.0.0.1",
    "port": 8000,
}


def pelican_run(cmd, mode=None):
    """Run Pelican in this process; EXECBLOCKS_MODE picks auto / force / strict / off."""
    from pelican import main as pelican_main

    if mode:
        os.environ["EXECBLOCKS_MODE"] = mode
    pelican_main(shlex.split(cmd))


def engine_settings(settings_file=None):
    from execblocks import EngineSettings
    from pelican.settings import read_settings

    return EngineSettings.from_pelican(read_settings(settings_file or CONFIG["settings_base"]))


def engine_call(function, *args, **kwargs):
    """Call the engine; its errors become a message and a non-zero exit, not a traceback."""
    from execblocks import ExecBlocksError

    try:
        return function(*args, **kwargs)
    except ExecBlocksError as error:
        raise Exit(str(error), code=error.exitcode) from None


@task
def clean(c):
    """Remove generated files (not the committed results)."""
    shutil.rmtree(CONFIG["deploy_path"], ignore_errors=True)


@task(help={"force": "rerun every executable article, fresh or not"})
def build(c, force=False):
    """Run what is stale, then build the site."""
    from execblocks import update

    # The engine runs first so that a failing block reports itself plainly, not inside
    # Pelican's log; Pelican's pass then only renders what is now stored ("off").
    engine_call(update, engine_settings(), force=force)
    pelican_run(f"-s {CONFIG['settings_base']} --fatal errors", mode="off")


@task
def rebuild(c):
    """`build` with everything rerun (same as `build --force`)."""
    build(c, force=True)


@task(help={"article": "path (content/x.md), or the article's slug"})
def run(c, article):
    """Run one article's blocks regardless of freshness, then build the site."""
    from execblocks import update

    engine_call(update, engine_settings(), only=[article])
    build(c)


@task
def status(c):
    """Show every executable article: fresh / stale / missing / failed, and why."""
    from execblocks import status as engine_status
    from execblocks.report import status_table

    print(status_table(engine_call(engine_status, engine_settings())))


@task
def check(c):
    """Exit non-zero when any stored result is stale or missing (for CI and publishing)."""
    from execblocks import check as engine_check

    plans = engine_call(engine_check, engine_settings())
    print(f"execblocks: all {len(plans)} executable article(s) are fresh")


@task
def regenerate(c):
    """Rebuild on every change (runs what becomes stale)."""
    pelican_run(f"-r -s {CONFIG['settings_base']} --fatal errors")


@task
def serve(c):
    """Serve the site at http://$host:$port/ (default 127.0.0.1:8000)."""
    pelican_run(f"-l -s {CONFIG['settings_base']} -b {CONFIG['host']} -p {CONFIG['port']}", mode="off")


@task
def reserve(c):
    """`build`, then `serve`."""
    build(c)
    serve(c)


@task
def livereload(c):
    """Serve the site, rebuild on every change (articles, code/, theme), reload the browser."""
    from livereload import Server

    def rebuild_quietly():
        try:  # a failing block is reported, and the server keeps serving the last good site
            build(c)
        except (Exit, SystemExit) as stop:
            print(getattr(stop, "message", None) or stop, file=sys.stderr)

    rebuild_quietly()
    server = Server()
    for pattern in [CONFIG["settings_base"], "content/**/*.md", "code/**/*.py", "code/**/*.mplstyle",
                    "theme/templates/**/*.html", "theme/static/**/*.css", "theme/static/**/*.js"]:
        server.watch(pattern, rebuild_quietly)
    server.serve(host=CONFIG["host"], port=CONFIG["port"], root=CONFIG["deploy_path"])


@task
def publish(c):
    """Build the production site from committed results; stale or missing results fail it."""
    from execblocks import check as engine_check

    engine_call(engine_check, engine_settings(CONFIG["settings_publish"]))
    pelican_run(f"-s {CONFIG['settings_publish']} --fatal errors", mode="strict")


@task(help={"args": "extra pytest arguments, e.g. -k store"})
def test(c, args=""):
    """Run the test suite."""
    c.run(f"{sys.executable} -m pytest {args}", pty=False)


@task
def bench(c):
    """Print how much the engine adds to a build (benchmarks/build_speed.py)."""
    c.run(f"{sys.executable} benchmarks/build_speed.py", pty=False)
