"""execblocks.render.srcset: `{static}` srcset candidates take the folder Pelican gave the figure's src."""

import jinja2
from markupsafe import Markup

from execblocks.render.srcset import finalize_resolving_srcset, install, resolve_srcset

PICTURE = ('<a class="figure-zoom" href="{src}"><picture><source media="screen and (prefers-color-scheme: dark)" '
           'srcset="{{static}}/results/fig/d.png 1800w, {{static}}/results/fig/d-half.png 900w" sizes="704px">'
           '<img src="{src}" srcset="{{static}}/results/fig/a.png 1800w, {{static}}/results/fig/a-half.png 900w" '
           'alt="A"></picture></a>')


def test_candidates_follow_the_resolved_src_relative_absolute_or_up_a_folder():
    for folder in ("./results/fig/", "../../results/fig/", "https://blog.example/results/fig/", "/results/fig/",
                   "results/fig/"):
        page = resolve_srcset("<p>x</p>" + PICTURE.format(src=folder + "a.png") + "<p>y</p>")
        assert "{static}" not in page
        assert f'srcset="{folder}d.png 1800w, {folder}d-half.png 900w" sizes="704px"' in page
        assert f'<img src="{folder}a.png" srcset="{folder}a.png 1800w, {folder}a-half.png 900w" alt="A">' in page


def test_each_figure_uses_its_own_src_and_unresolvable_ones_are_left_alone():
    two = PICTURE.format(src="./results/fig/a.png") + PICTURE.replace("/fig/", "/other/").format(
        src="./results/other/a.png")
    page = resolve_srcset(two)
    assert "./results/fig/d.png 1800w" in page and "./results/other/d.png 1800w" in page
    # Pelican could not find the file (it warned): src keeps {static}, and so does srcset.
    unresolved = PICTURE.format(src="{static}/results/fig/a.png")
    assert resolve_srcset(unresolved) == unresolved
    # A candidate from another folder than the src's is not guessed at.
    elsewhere = '<img src="./results/fig/a.png" srcset="{static}/images/b.png 2x">'
    assert resolve_srcset(elsewhere) == elsewhere
    plain = '<img src="./a.png" srcset="./a.png 1x, ./b.png 2x"><p>{static} in prose</p>'
    assert resolve_srcset(plain) == plain


def test_jinja_finalize_resolves_template_output_and_keeps_markup_and_a_sites_own_finalize():
    settings = {"JINJA_ENVIRONMENT": {"trim_blocks": True}}
    shared = settings["JINJA_ENVIRONMENT"]
    install(settings)
    install(settings)  # once per run; a second call does not wrap again
    assert "finalize" not in shared  # the given dict is not edited
    env = jinja2.Environment(**settings["JINJA_ENVIRONMENT"])
    figure = PICTURE.format(src="./results/fig/a.png")
    out = env.from_string("{{ content }}|{{ none }}|{{ 3 }}").render(content=figure)
    assert "{static}" not in out and out.endswith("|None|3")
    assert isinstance(finalize_resolving_srcset()(Markup(figure)), Markup)

    @jinja2.pass_context
    def site_finalize(context, value):
        return value.upper() if isinstance(value, str) else value

    env = jinja2.Environment(finalize=finalize_resolving_srcset(site_finalize))
    assert env.from_string("{{ 'abc' }}").render() == "ABC"
