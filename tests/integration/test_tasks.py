"""The invoke tasks a user types, run as a user runs them (a subprocess in the project)."""

from __future__ import annotations

import re
import shutil

import pytest

from support import REPO, invoke


def test_status_check_build_run(tasks_project):
    done = invoke(tasks_project, "check")
    assert done.returncode == 1 and "content/hello.md: no stored result" in done.stderr

    done = invoke(tasks_project, "build")
    assert done.returncode == 0, done.stderr
    assert "execblocks: running content/hello.md" in done.stderr
    assert (tasks_project.output / "index.html").exists() and "x is 42" in tasks_project.html()

    done = invoke(tasks_project, "status")
    assert done.returncode == 0 and re.search(r"content/hello.md +fresh +\d{4}-\d\d-\d\d \S+ +[\d.]+ s +cpu +this machine +-", done.stdout)
    assert invoke(tasks_project, "check").returncode == 0

    done = invoke(tasks_project, "build")
    assert "nothing to execute (1 article(s) fresh)" in done.stderr and "running" not in done.stderr

    done = invoke(tasks_project, "run", "hello")  # by slug, fresh or not
    assert done.returncode == 0 and "execblocks: running content/hello.md" in done.stderr
    done = invoke(tasks_project, "build", "--force")
    assert done.returncode == 0 and "execblocks: running content/hello.md" in done.stderr


@pytest.mark.built
def test_status_explains_staleness_and_build_reports_errors(tasks_project):
    assert invoke(tasks_project, "build").returncode == 0
    tasks_project.edit("code/helper.py", "return 2 * value", "return 2 * value  # same result")
    done = invoke(tasks_project, "status")
    assert re.search(r"content/hello.md +stale .* code/helper.py changed$", done.stdout, re.M)
    assert invoke(tasks_project, "check").returncode == 1

    tasks_project.edit("content/hello.md", "x + 1", "x + missing_name")
    done = invoke(tasks_project, "build")
    assert done.returncode == 1
    assert "content/hello.md:25: block 3 raised NameError: name 'missing_name' is not defined" in done.stderr
    assert "Traceback (most recent call last)" not in done.stderr.split("NameError", 1)[0]  # no engine traceback first
    done = invoke(tasks_project, "status")
    assert re.search(r"content/hello.md +failed .* last run failed at content/hello.md:25: NameError", done.stdout)

    done = invoke(tasks_project, "run", "nosuch")
    assert done.returncode == 1 and "no executable article matches 'nosuch' (known: hello)" in done.stderr


@pytest.mark.built
def test_rebuild_deletes_the_output_first_and_reruns_nothing(tasks_project):
    assert invoke(tasks_project, "build").returncode == 0
    stray = tasks_project.output / "stray.html"
    stray.write_text("left over")
    done = invoke(tasks_project, "rebuild")
    assert done.returncode == 0, done.stderr
    assert not stray.exists() and "x is 42" in tasks_project.html()
    assert "nothing to execute" in done.stderr


@pytest.mark.built
def test_clean_deletes_the_site_and_the_build_caches_but_not_the_results(tasks_project):
    assert invoke(tasks_project, "build").returncode == 0
    pages = tasks_project.root / "cache" / "execblocks" / "pages"
    templates = tasks_project.root / "cache" / "execblocks" / "templates"
    assert len(list(pages.glob("*.json"))) == 1  # hello.md's page as read (site/page_cache.py)
    assert list(templates.glob("*.code"))  # the theme's compiled templates (site/template_cache.py)
    done = invoke(tasks_project, "clean")
    assert done.returncode == 0, done.stderr
    assert not tasks_project.output.exists() and not pages.exists() and not templates.exists()
    assert (tasks_project.results / "hello" / "record.json").is_file()


@pytest.mark.built
def test_publish_needs_siteurl_from_the_environment(tasks_project):
    shutil.copy(REPO / "publishconf.py", tasks_project.root / "publishconf.py")
    assert invoke(tasks_project, "build").returncode == 0
    done = invoke(tasks_project, "publish")
    assert done.returncode == 1
    assert "SITEURL is '' in publishconf.py" in done.stderr and "SITEURL=https://" in done.stderr
    done = invoke(tasks_project, "publish", env={"SITEURL": "https://blog.example.net/"})
    assert done.returncode == 0, done.stderr
    page = tasks_project.html()
    assert 'src="https://blog.example.net/results/hello/' in page and "example.org" not in page


def test_publish_refuses_stale_results(tasks_project):
    shutil.copy(REPO / "publishconf.py", tasks_project.root / "publishconf.py")
    done = invoke(tasks_project, "publish", env={"SITEURL": "https://blog.example.net"})
    assert done.returncode == 1 and "content/hello.md: no stored result" in done.stderr
    assert "Traceback" not in done.stderr


def test_status_and_check_do_not_warn_about_feeds(tasks_project):
    tasks_project.edit("pelicanconf.py", "FEED_ALL_ATOM = None", 'FEED_ALL_ATOM = "feeds/all.atom.xml"')
    for name in ("status", "check"):
        done = invoke(tasks_project, name)
        assert "content/hello.md" in done.stdout + done.stderr  # it did its job
        assert "Feeds generated without SITEURL" not in done.stdout + done.stderr
