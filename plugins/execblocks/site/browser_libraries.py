"""The browser libraries the site's pages use, copied into the site from where they are
installed (render/libraries.py: plotly's own bundle, Vega and the Jupyter widget manager
from npm, widget libraries' notebook extensions), as Pelican copies the theme's own files:
a generator, run after every page has been rendered, that copies only what some page uses.

Nothing of them is committed to the repository, and a site whose pages have no chart or
widget gets none of them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from pelican.generators import Generator

from execblocks.site.session import session_of


class BrowserLibrariesGenerator(Generator):
    def generate_context(self):
        pass

    def generate_output(self, writer):
        session = session_of(self.settings)
        wanted: dict[str, Path] = {}  # path under the theme's static folder -> installed file
        for rendered in session.rendered.values() if session else ():
            for library in sorted(rendered.scripts):
                # render/blocks.py drew an output with this library only where it was found
                for source, target in rendered.libraries.files(library) or ():
                    wanted.setdefault(target, source)
            for module in sorted(rendered.widget_modules):
                for source, target in rendered.libraries.module_files(module):
                    wanted.setdefault(target, source)
        static = Path(self.output_path) / self.settings.get("THEME_STATIC_DIR", "theme")
        for target, source in sorted(wanted.items()):
            place(source, static / target)


def place(source: Path, target: Path) -> None:
    """`target` holds `source`'s bytes: kept when it already does (same size, same mtime:
    copies keep the mtime), else written beside it and renamed over it (never written in
    place: a folder of a previous site may share the file with the served one)."""
    source_stat = source.stat()
    try:
        stat = target.stat()
    except FileNotFoundError:
        stat = None
    if stat is not None and stat.st_size == source_stat.st_size and stat.st_mtime_ns == source_stat.st_mtime_ns:
        # Kept as it is, marked as this build's (site/atomic_output.py sweeps what a build did not write).
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".copy-")
    os.close(handle)
    try:
        shutil.copy2(source, temp)
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise
