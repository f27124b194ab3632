"""Compiled templates kept between the builds of one process (site/template_cache.py): reused
when source and compile options match, compiled again when either changed."""

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
