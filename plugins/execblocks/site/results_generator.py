"""The results a page shows, put into the site as Pelican puts any file: a generator.

Figures are linked from the article's HTML as `{static}/results/<id>/<file>`; this
generator registers each one as Pelican static content, so Pelican itself writes the
right URL for every page (relative or absolute, feeds included), then copies the figures
and writes the downloads (notebook, script, runnable .zip) into `output/results/<id>/`.
It runs after the articles and pages generators, so every page has been rendered.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pelican.contents import Static
from pelican.generators import Generator

from execblocks.site.atomic_output import shown_path
from execblocks.site.script_export import script
from execblocks.site.session import session_of

RESULTS_URL = "results"  # output/results/<article id>/<file>


def static_path(article_id: str, name: str) -> str:
    return f"{RESULTS_URL}/{article_id}/{name}"


class ResultsGenerator(Generator):
    def generate_context(self):
        session = session_of(self.settings)
        for rendered in session.rendered.values() if session else ():
            for name in sorted(set(rendered.figures)):
                path = static_path(rendered.article.article_id, name)
                self.context["static_content"][path] = Static(
                    content=None, metadata={"title": name, "save_as": path, "url": path},
                    settings=self.settings, source_path=str(rendered.entry.file(name)), context=self.context)
                # Pelican noted the `{static}` link; the file is ours to copy, not the
                # static generator's to look for under content/.
                self.context["static_links"].discard(path)

    def generate_output(self, writer):
        session = session_of(self.settings)
        for rendered in session.rendered.values() if session else ():
            entry, slug = rendered.entry, rendered.article.slug
            target = Path(self.output_path) / RESULTS_URL / rendered.article.article_id
            target.mkdir(parents=True, exist_ok=True)
            figures = [entry.file(name) for name in sorted(set(rendered.figures))]
            # Each build writes into a folder beside output/ (site/atomic_output.py): a fresh one,
            # or the site before last, whose files count only once this build marks them
            # as its own. The site it replaces is `previous`. A file that site serves
            # unchanged is linked, not copied. Nothing here is ever written in place: a
            # file may be the served one under a second name.
            previous = Path(shown_path(str(target)))
            reuse = previous != target
            for figure in figures:  # named by their content: the same name is the same bytes
                placed = target / figure.name
                if os.path.lexists(placed):
                    _mark_as_written(placed)
                elif not (reuse and _link(previous / figure.name, placed)):
                    shutil.copyfile(figure, placed)
            # The downloads come from the stored results (a prose edit leaves them alone;
            # the .py, which names block lines, is cheap and rewritten only if it differs).
            sources = [entry.file("record.json"), entry.file("notebook.ipynb"), *figures]
            downloads = [f"{slug}.ipynb", f"{slug}.zip", f"{slug}.py"]
            if reuse and _current(previous, slug, sources, rendered):
                for name in downloads:  # linked: the mtime the check reads stays as it was
                    if _same_file(previous / name, target / name):
                        # Linked by the build before last already (the usual no-op build):
                        # kept, not unlinked and linked again (600 unlinks cost 200 articles 40 ms).
                        _mark_as_written(target / name)
                        continue
                    if os.path.lexists(target / name):
                        os.unlink(target / name)
                    if not _link(previous / name, target / name):
                        shutil.copy2(previous / name, target / name)
            elif _current(target, slug, sources, rendered):
                for name in downloads:
                    _mark_as_written(target / name)
            else:
                from execblocks.site.downloads import write_downloads  # nbformat: loaded only when there is work

                write_downloads(rendered, target, session.settings)


def _mark_as_written(path: Path) -> None:
    """Keep a file the build's folder already holds, unchanged: setting its times to what
    they are moves only its inode change time, which is what the sweep reads."""
    stat = path.lstat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns), follow_symlinks=False)


def _same_file(a: Path, b: Path) -> bool:
    """Both names are one file (hard links of one inode); False when either is missing."""
    try:
        first, second = a.lstat(), b.lstat()
    except FileNotFoundError:
        return False
    return (first.st_ino, first.st_dev) == (second.st_ino, second.st_dev)


def _link(existing: Path, new: Path) -> bool:
    """Hard-link `existing` as `new`; False where that cannot be done (no such file, a
    file system without links): the caller copies instead."""
    try:
        os.link(existing, new)
    except OSError:
        return False
    return True


def _current(folder: Path, slug: str, sources: list[Path], rendered) -> bool:
    """The downloads in `folder` exist and are newer than what they are made from."""
    return not (_outdated(folder / f"{slug}.ipynb", *sources) or _outdated(folder / f"{slug}.zip", *sources)
                or _differs(folder / f"{slug}.py", script(rendered)))


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") != text
    except FileNotFoundError:
        return True


def _outdated(target: Path, *sources: Path) -> bool:
    """Missing, or older than a file it is made from: how Pelican's static generator
    decides what to copy, so a build that changed nothing rewrites nothing."""
    try:
        made = target.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    return any(source.stat().st_mtime_ns > made for source in sources)
