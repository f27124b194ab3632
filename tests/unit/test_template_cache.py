"""Compiled templates kept between builds (site/template_cache.py), in memory and on disk:
reused when source and compile options match, compiled again when either changed or the
entry on disk is corrupt."""

from __future__ import annotations

import jinja2

from execblocks.site.template_cache import TemplateCodeCache


class CountingEnvironment(jinja2.Environment):
    compiled = 0

    def compile(self, *args, **kwargs):
        CountingEnvironment.compiled += 1
        return super().compile(*args, **kwargs)


def environment(templates: dict, cache: TemplateCodeCache, **options) -> CountingEnvironment:
    # A new environment per "build", as Pelican makes one per run and generator.
    return CountingEnvironment(loader=jinja2.DictLoader(templates), bytecode_cache=cache, **options)


def render(env, name="page.html", **values) -> str:
    return env.get_template(name).render(**values)


def test_a_later_build_reuses_the_compiled_template():
    cache, templates = TemplateCodeCache(), {"page.html": "<p>{{ x }}</p>"}
    CountingEnvironment.compiled = 0
    assert render(environment(templates, cache), x=1) == "<p>1</p>"
    assert CountingEnvironment.compiled == 1 and len(cache) == 1
    assert render(environment(templates, cache), x=2) == "<p>2</p>"
    assert CountingEnvironment.compiled == 1  # the second environment compiled nothing


def test_an_edited_template_is_compiled_again():
    cache, templates = TemplateCodeCache(), {"page.html": "<p>{{ x }}</p>"}
    render(environment(templates, cache), x=1)
    templates["page.html"] = "<div>{{ x }}</div>"
    CountingEnvironment.compiled = 0
    assert render(environment(templates, cache), x=1) == "<div>1</div>"
    assert CountingEnvironment.compiled == 1


def test_code_compiled_under_other_options_is_not_used():
    """A settings edit (JINJA_ENVIRONMENT, the engine's finalize) changes what the same source
    compiles to: new delimiters, or a finalize that code compiled without one never calls."""
    cache, templates = TemplateCodeCache(), {"page.html": "<p>{{ x }}</p>[[ x ]]"}
    assert render(environment(templates, cache), x="a") == "<p>a</p>[[ x ]]"
    assert render(environment(templates, cache, variable_start_string="[[", variable_end_string="]]"),
                  x="a") == "<p>{{ x }}</p>a"
    assert render(environment(templates, cache, finalize=lambda value: str(value).upper()), x="a") == "<p>A</p>[[ x ]]"
    assert render(environment(templates, cache), x="a") == "<p>a</p>[[ x ]]"  # the first options' code, still right
    assert len(cache) == 3


def test_a_finalize_made_again_by_each_run_matches_its_earlier_self():
    """srcset.install makes a new closure each run: the same code, so the same entry."""
    def finalize_for_run():
        return lambda value: value

    cache, templates = TemplateCodeCache(), {"page.html": "{{ x }}"}
    CountingEnvironment.compiled = 0
    render(environment(templates, cache, finalize=finalize_for_run()), x=1)
    render(environment(templates, cache, finalize=finalize_for_run()), x=1)
    assert CountingEnvironment.compiled == 1


def test_entries_on_disk_serve_another_process_and_a_corrupt_one_is_compiled_again(tmp_path):
    templates, folder = {"page.html": "<p>{{ x }}</p>"}, tmp_path / "templates"
    first = TemplateCodeCache()
    first.begin(folder)
    assert render(environment(templates, first), x=1) == "<p>1</p>"
    (entry,) = folder.glob("*.code")
    CountingEnvironment.compiled = 0
    second = TemplateCodeCache()  # another process: nothing in memory
    second.begin(folder)
    assert render(environment(templates, second), x=2) == "<p>2</p>"
    assert CountingEnvironment.compiled == 0
    written = entry.read_bytes()
    entry.write_bytes(written[:40] + b"garbage")  # a torn or tampered file: a miss, never an error
    third = TemplateCodeCache()
    third.begin(folder)
    assert render(environment(templates, third), x=3) == "<p>3</p>"
    assert CountingEnvironment.compiled == 1 and entry.read_bytes() == written  # compiled and written again


def test_a_completed_build_keeps_only_the_entries_it_used_and_memory_only_writes_none(tmp_path):
    folder = tmp_path / "templates"
    cache = TemplateCodeCache()
    cache.begin(folder)
    render(environment({"page.html": "<p>{{ x }}</p>"}, cache), x=1)
    (used,) = folder.glob("*.code")
    (folder / "0123.code").write_bytes(b"a template the site no longer renders")
    (folder / ".0456.code.x.tmp").write_bytes(b"left by a killed build")
    cache.commit()
    assert sorted(p.name for p in folder.iterdir()) == [used.name]
    elsewhere = tmp_path / "memory-only"
    cache.begin(None)  # EXECBLOCKS_PAGE_CACHE = False: nothing leaves this process
    render(environment({"other.html": "{{ y }}"}, cache), "other.html", y=1)
    cache.commit()
    assert sorted(p.name for p in folder.iterdir()) == [used.name] and not elsewhere.exists()


def test_a_folder_that_cannot_be_written_leaves_the_entry_out_and_the_render_goes_on(tmp_path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    cache = TemplateCodeCache()
    cache.begin(blocked / "templates")  # mkdir fails: NotADirectoryError, as a read-only disk's error would
    assert render(environment({"page.html": "<p>{{ x }}</p>"}, cache), x=1) == "<p>1</p>"
    cache.commit()
    assert blocked.read_text() == ""
