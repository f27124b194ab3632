"""Hostile or careless headers and bibliographies through the real `pelican --fatal errors`
command: each stops with the file and line, in bounded time and memory (a limit on the
child's address space and a timeout make a regression fail, not hang the suite)."""

import resource

import pytest

TRUNCATED_BIB = "@article{a,\n  title={Good},\n  author={A, B},\n  year={2015}\n}\n\n@article{b,\n  title={Bad},\n"
EMPH_BIB = ("@article{a,\n  title={\\emph{Deep} nets and {\\em wide} ones: Schr\\\"odinger's caf\\'e},\n"
            "  author={M{\\k a}dry, Aleksander},\n  journal={J},\n  year={2015}\n}\n")
BOMB_BIB = '@string{s0 = "ab"}\n' + "".join(f"@string{{s{i} = s{i - 1} # s{i - 1}}}\n" for i in range(1, 60)) \
    + "@article{a, title = s59, year = 2015}\n"
ARTICLE = "---\ntitle: Cites\ndate: 2026-01-01\nbibliography: refs.bib\n---\n\nAs shown [@a].\n"
ALIAS_BOMB = ("---\ntitle: Bomb\ndate: 2026-01-01\n" + 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol"]\n'
              + "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10))
              + "tags: *a9\n---\n\nText.\n")


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


def build(project) -> tuple[int, str]:
    """Exit status and output (its white space made single: Pelican's log wraps lines)."""
    import os
    import subprocess

    (project.content / "hello.md").unlink()
    result = subprocess.run(project.pelican_command(), cwd=project.root, capture_output=True, text=True,
                            timeout=300, preexec_fn=limited, env=dict(os.environ, COLUMNS="400"))
    return result.returncode, " ".join((result.stdout + result.stderr).split())


@pytest.mark.slow
def test_a_truncated_bibliography_stops_at_its_line_instead_of_hanging(project):
    project.write("content/a.md", ARTICLE)
    project.write("content/refs.bib", TRUNCATED_BIB)
    code, output = build(project)
    assert code != 0
    assert "content/refs.bib:7: entry 'b': the entry opened at line 7 is never closed" in output


@pytest.mark.slow
def test_a_string_doubling_bomb_stops_at_its_line(project):
    project.write("content/a.md", ARTICLE)
    project.write("content/refs.bib", BOMB_BIB)
    code, output = build(project)
    assert code != 0 and "content/refs.bib:" in output and "longer than 100,000 characters" in output


@pytest.mark.slow
def test_a_yaml_alias_bomb_stops_at_the_headers_line(project):
    project.write("content/a.md", ALIAS_BOMB)
    code, output = build(project)
    assert code != 0 and "MemoryError" not in output
    assert "content/a.md:9: the YAML header is not valid YAML: the YAML grows to more than 1,000,000" in output


@pytest.mark.slow
def test_a_bad_date_in_a_plain_articles_yaml_header_is_named(project):
    project.write("content/a.md", "---\ntitle: Dated\ndate: 2026-01-01\ndate: not-a-date\n---\n\nText.\n")
    code, output = build(project)
    assert code != 0 and "content/a.md:4: Date 'not-a-date' is not a date Pelican can read" in output


@pytest.mark.slow
def test_latex_emphasis_accents_and_escapes_in_a_bibliography_build(project):
    project.write("content/a.md", ARTICLE)
    project.write("content/refs.bib", EMPH_BIB)
    code, output = build(project)
    assert code == 0, output
    html = project.html("cites")
    assert "Mądry, A. (2015) “<i>Deep</i> nets and <i>wide</i> ones: Schrödinger’s café”" in html \
        or "Mądry, A. (2015) “<i>Deep</i> nets and <i>wide</i> ones: Schrödinger's café”" in html, html
