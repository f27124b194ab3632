"""Issue 13 §3: a block cannot change the site behind the author's back."""

from __future__ import annotations

import os

import pytest

from execblocks import ArticleSyntaxError, BlockExecutionError

PLANTER = """\
Title: Planter
Date: 2026-01-02

```{python}
import os
open("planted.md", "w").write("Title: Planted\\nDate: 2026-01-01\\n\\nPublished behind your back\\n")
os.makedirs("../output/deep", exist_ok=True)
open("../output/deep/evil.html", "w").write("<script>alert(1)</script>")
open("../code/helper.py", "a").write("# touched\\n")
open("../stray.txt", "w").write("x")
```
"""


@pytest.mark.slow
@pytest.mark.built
def test_files_a_block_plants_fail_the_build_and_are_removed(project):
    project.build()  # a complete site first
    project.write("content/planter.md", PLANTER)
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    message = str(caught.value)
    assert message.startswith("content/planter.md:4: a block of this article raised ProjectWriteError: "
                              "it wrote into the project: ")
    for said in ("content/planted.md (created; removed)", "output/deep/evil.html (created; removed)",
                 "stray.txt (created; removed)", "code/helper.py (changed)", "EXECBLOCKS_SCRATCH"):
        assert said in message
    assert not (project.content / "planted.md").exists() and not (project.output / "deep").exists()
    assert not (project.root / "stray.txt").exists()
    assert (project.output / "hello.html").exists()  # the rest of the site is untouched
    from execblocks import status
    states = {p.article.rel_path: p.state for p in status(project.engine())}
    assert states["content/planter.md"] == "failed"


@pytest.mark.slow
@pytest.mark.built
def test_the_scratch_folder_is_where_blocks_write(project):
    project.write("content/scratch.md", "Title: Scratch\nDate: 2026-01-02\n\n```{python}\nimport os, pathlib\n"
                  "scratch = pathlib.Path(os.environ['EXECBLOCKS_SCRATCH'])\n"
                  "(scratch / 'data.csv').write_text('a,b\\n1,2\\n')\n```\n\n```{python}\n"
                  "print(open(scratch / 'data.csv').read().splitlines()[1], scratch.is_relative_to("
                  f"{str(project.root)!r}))\n```\n")
    project.build()
    assert "<pre>1,2 False\n</pre>" in project.html("scratch")


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "link.txt"])
def test_depends_outside_the_project_is_refused(project, target):
    (project.content / "link.txt").symlink_to("/etc/hostname")  # a link pointing out
    project.write("content/leak.md", f"Title: Leak\nDate: 2026-01-02\n\n```{{python}}\n#| depends: [{target}]\n"
                  "x = 1\n```\n")
    with pytest.raises(ArticleSyntaxError) as caught:
        project.build()
    assert str(caught.value).startswith(f"content/leak.md:4: depends: {target} is outside the project")


def test_depends_inside_the_project_through_a_link_is_fine(project):
    project.write("data/table.csv", "a\n1\n")
    os.symlink(project.root / "data" / "table.csv", project.content / "table.csv")
    from execblocks.execute.plan import declared_dependencies
    from execblocks.source.parse import parse_article

    project.write("content/ok.md", "Title: Ok\nDate: 2026-01-02\n\n```{python}\n#| depends: [table.csv]\nx = 1\n```\n")
    article = parse_article(project.content / "ok.md", project.root, project.content)
    assert declared_dependencies(article, project.root) == [project.content / "table.csv"]


@pytest.mark.slow
@pytest.mark.built
def test_a_page_planted_by_a_subprocess_is_caught_an_unexplained_edit_only_noted(project, capfd):
    # The audit hook does not see a subprocess's writes; the snapshot does. A page in content/
    # fails the build; a change elsewhere (it could be the author's own edit) is reported.
    project.write("notes.txt", "mine\n")
    project.write("content/sneaky.md", "Title: Sneaky\nDate: 2026-01-02\n\n```{python}\nimport subprocess\n"
                  "subprocess.run(['sh', '-c', 'echo edited >> ../notes.txt'], check=True)\n```\n")
    project.build()
    assert "files in the project changed while blocks ran" in capfd.readouterr().err
    project.write("content/sneaky.md", "Title: Sneaky\nDate: 2026-01-02\n\n```{python}\nimport subprocess\n"
                  "subprocess.run(['sh', '-c', 'printf \"Title: X\\\\n\\\\nx\" > sub.md'], check=True)\n```\n")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    assert "content/sub.md (created; removed)" in str(caught.value)
    assert not (project.content / "sub.md").exists()


TAMPER = """\
Title: Tamper
Date: 2026-01-02

```{{python}}
import subprocess
subprocess.run(["sh", "-c", {command!r}], check=True)  # unseen by the audit hook
```
"""


@pytest.mark.slow
@pytest.mark.parametrize("target", ["results/hello/record.json", "cache/execblocks/highlight/hello.json",
                                    "cache/execblocks/pages/*.json", "cache/execblocks/templates/*.code",
                                    "output/hello.html"])
def test_a_subprocess_that_rewrites_what_the_engine_owns_fails_the_build(project, target):
    # Issue 24 §4: the results, the caches and the site are the engine's; a change there
    # while blocks run is a block's doing (the build holds the results lock meanwhile).
    # The page cache's entries included: a block cannot plant a page unseen (site/page_cache.py),
    # nor compiled template code (site/template_cache.py).
    project.build(CACHE_PATH=str(project.root / "cache"))
    target = next(project.root.glob(target)).relative_to(project.root).as_posix()
    assert (project.root / target).is_file()
    project.write("content/tamper.md", TAMPER.format(command=f"echo tampered >> ../{target}"))
    with pytest.raises(BlockExecutionError) as caught:
        project.build(CACHE_PATH=str(project.root / "cache"))
    assert f"raised ProjectWriteError: it wrote into the project: {target} (changed)" in str(caught.value)


SWAPPER = """\
Title: Swapper
Date: 2026-01-02

```{python}
import os, helper
open("../code/new_helper.tmp", "w").write("def double(value):\\n    return 3 * value\\n")
os.replace("../code/new_helper.tmp", "../code/helper.py")
print(helper.double(2))
```
"""


@pytest.mark.slow
@pytest.mark.built
def test_a_block_that_replaces_a_code_module_fails_and_nothing_stale_is_served(project):
    # Issue 24 §5: os.replace is no open(): the audit hook now sees renames, and a run that
    # read a file which changed while it ran is not stored, so the next build reruns it.
    project.build()
    project.write("content/swapper.md", SWAPPER)
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    message = str(caught.value)
    assert "raised ProjectWriteError: it wrote into the project: " in message and "code/helper.py (changed)" in message
    from execblocks import status

    states = {p.article.rel_path: p.state for p in status(project.engine())}
    assert states["content/swapper.md"] == "failed"  # not fresh: the next build runs it again


@pytest.mark.slow
@pytest.mark.built
def test_a_run_that_read_a_file_changed_while_it_ran_is_not_stored(project):
    project.write("content/reader.md", "Title: Reader\nDate: 2026-01-02\n\n```{python}\nimport helper, subprocess\n"
                  "subprocess.run(['sh', '-c', 'echo \"# edited\" >> ../code/helper.py'], check=True)\n"
                  "print(helper.double(2))\n```\n")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    assert "raised ProjectChangedError: code/helper.py changed while the article ran" in str(caught.value)
    assert not (project.results / "reader" / "record.json").exists()
