"""Tasks, as Pelican users know them from pelican-quickstart, plus the execution engine's.

Each task is a few lines that call Pelican or the engine (plugins/execblocks). Every
build is one Pelican run; the engine brings results up to date inside it.
"""

import shlex
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
    "github_pages_branch": "gh-pages",
    "commit_message": "'Publish site on {}'",
    "host": "127.0.0.1",
    "port": 8000,
}


def engine_call(function, *args, **kwargs):
    """Call the engine; its errors become a message and a non-zero exit, not a traceback."""
    from execblocks import ExecBlocksError

    try:
        return function(*args, **kwargs)
    except ExecBlocksError as error:
        raise Exit(str(error), code=error.exitcode) from None


def site_build(settings_file, **settings):
    """One Pelican run with these Pelican settings on top of `settings_file`."""
    from execblocks.site import build as site

    return engine_call(site.build, settings_file, **settings)


def pelican_run(cmd):
    """Pelican's own command line (serve, autoreload)."""
    from pelican import main as pelican_main

    pelican_main(shlex.split(cmd))


@task
def clean(c):
    """Remove generated files (not the committed results)."""
    import shutil

    from execblocks.site.atomic_output import spare_path
    from execblocks.site.build import build_cache_folders

    shutil.rmtree(CONFIG["deploy_path"], ignore_errors=True)
    shutil.rmtree(spare_path(Path(CONFIG["deploy_path"]).resolve()), ignore_errors=True)  # the site before last
    for folder in engine_call(build_cache_folders, CONFIG["settings_base"]):
        shutil.rmtree(folder, ignore_errors=True)  # pages as read and compiled templates, kept between builds


@task(help={"force": "rerun every executable article's experiments, fresh or not",
            "executor": "run the stale articles on a Dask cluster: its scheduler's address, tcp://HOST:8786"})
def build(c, force=False, executor=""):
    """Run what is stale, then build the site (one Pelican run)."""
    overrides = {"EXECBLOCKS_MODE": "force"} if force else {}
    if executor:
        overrides["EXECBLOCKS_EXECUTOR"] = executor
    site_build(CONFIG["settings_base"], **overrides)


@task
def rebuild(c):
    """`build` with all output files deleted first (Pelican's -d); experiments rerun only if stale."""
    site_build(CONFIG["settings_base"], DELETE_OUTPUT_DIRECTORY=True)


@task(help={"article": "path (content/x.md), file name, or the article's slug"})
def run(c, article):
    """Rerun one article's blocks regardless of freshness, then build the site."""
    site_build(CONFIG["settings_base"], EXECBLOCKS_ONLY=[article])


@task
def status(c):
    """Show every executable article: fresh / stale / missing / failed, and why."""
    from execblocks import status as engine_status
    from execblocks.site import build as site
    from execblocks.site.status_table import status_table
    from execblocks.verify.run import status_lines

    settings = site.engine_settings(CONFIG["settings_base"])
    plans = engine_call(engine_status, settings)
    print("\n".join([status_table(plans), ""] + status_lines(settings, plans)))


@task(positional=["articles"],
      help={"articles": "articles to verify (paths, names or slugs, space-separated); default: all",
            "bundle": "rerun the reader's bundle (unzipped, own venv, plain `jupyter execute`)",
            "venv": "the bundle's venv: fresh (default), system (sees this venv's packages), reuse (this venv)",
            "executor": "rerun on a Dask cluster: its scheduler's address, tcp://HOST:8786",
            "device": "the device the rerun must use (cpu, cuda, mps): BLOG_DEVICE",
            "changed": "only articles whose inputs changed since their last verification (CI)",
            "rel": "relative tolerance of numbers (default 0.01, or EXECBLOCKS_VERIFY's)",
            "abs": "absolute tolerance of numbers", "figure": "share of a figure's pixels that may move",
            "record": "record the verification beside the results (default on)"})
def verify(c, articles=None, bundle=False, venv="fresh", executor="", device="", changed=False,
           rel=None, abs=None, figure=None, record=True):
    """Rerun articles away from the project and compare with their stored results (non-zero exit on drift)."""
    from execblocks import EngineSettings
    from execblocks.site import build as site
    from execblocks.verify.run import verify as engine_verify

    pelican = engine_call(site.read_settings, CONFIG["settings_base"], quiet_feeds=True)
    engine_call(engine_verify, EngineSettings.from_pelican(pelican), pelican.get("EXECBLOCKS_VERIFY"),
                (articles or "").split(), bundle=bundle, venv=venv, executor=executor or None, device=device or None,
                changed=changed, overrides={"rel": rel, "abs": abs, "figure": figure}, record=record)


@task
def check(c):
    """Exit non-zero when any stored result is stale or missing (for CI and publishing)."""
    from execblocks import check as engine_check
    from execblocks.site import build as site

    plans = engine_call(engine_check, site.engine_settings(CONFIG["settings_base"]))
    print(f"execblocks: all {len(plans)} executable article(s) are fresh")


@task
def regenerate(c):
    """Rebuild on every change (runs what becomes stale)."""
    pelican_run(f"-r -s {CONFIG['settings_base']} --fatal errors")


@task
def serve(c):
    """Serve the site at http://$host:$port/ (default 127.0.0.1:8000)."""
    pelican_run(f"-l -s {CONFIG['settings_base']} -b {CONFIG['host']} -p {CONFIG['port']}")


@task
def reserve(c):
    """`build`, then `serve`."""
    build(c)
    serve(c)


@task
def livereload(c):
    """Serve the site, rebuild on every change (articles, code/, theme), reload the browser."""
    import logging

    from execblocks.site import build as site
    from livereload import Server

    server = Server()
    # livereload prints through a handler of its own; once Pelican has set up the root
    # logger, propagating printed every line twice.
    logging.getLogger("livereload").propagate = False
    builds = site.BackgroundBuilds(site.rebuilder(CONFIG["settings_base"],
                                                  report=lambda message: print(message, file=sys.stderr)))
    for pattern in [CONFIG["settings_base"], "content/**/*.md", "content/**/*.qmd", "content/**/*.ipynb",
                    "code/**/*.py", "code/**/*.mplstyle",
                    "theme/templates/**/*.html", "theme/static/**/*.css", "theme/static/**/*.js"]:
        server.watch(pattern, builds, delay="forever")  # the browser reloads when the build has finished:
    server.watch(f"{CONFIG['deploy_path']}/**/*.html")  # when the new site is in place
    builds()  # the first build runs while the last finished site is served
    server.serve(host=CONFIG["host"], port=CONFIG["port"], root=CONFIG["deploy_path"])


@task
def preview(c):
    """Build the production site (publishconf.py: SITEURL from the environment, committed results only)."""
    from execblocks.site import build as site

    engine_call(site.require_siteurl, CONFIG["settings_publish"])
    site_build(CONFIG["settings_publish"])


@task
def publish(c):
    """Build the production site for deploying; stale results or a missing SITEURL fail it."""
    preview(c)


@task
def gh_pages(c):
    """Publish, then push output/ to the gh-pages branch (ghp-import), as pelican-quickstart does."""
    import datetime

    publish(c)
    message = CONFIG["commit_message"].format(datetime.datetime.now().date())
    ghp_import = Path(sys.executable).with_name("ghp-import")
    c.run(f"{ghp_import} -b {CONFIG['github_pages_branch']} -m {message} {CONFIG['deploy_path']} -p")


@task(help={"args": "extra pytest arguments, e.g. -k store, or -m 'not slow'"})
def test(c, args=""):
    """Run the test suite."""
    c.run(f"{sys.executable} -m pytest {args}", pty=False)


@task
def bench(c):
    """Print the speed figures of benchmarks/ (engine, Dask executor)."""
    c.run(f"{sys.executable} benchmarks/build_speed.py", pty=False)
    c.run(f"{sys.executable} benchmarks/dask_speed.py", pty=False)
