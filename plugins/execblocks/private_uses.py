"""Every private name of a library that the engine (execblocks) or its kernel side
(execkernel) touches, in one table, and the one-line warning when one is gone.

A private name (`_x`) may change in any release without notice. Each use below is one
the public API has no way to do; tests/unit/test_private_uses.py reads every module of
plugins/ and fails on a `._name` attribute, a getattr of one, or an import of one that is
not listed here (and on a row whose use has gone), and checks that each listed name
exists in the installed library. When a build finds one missing, it says so once, in one
line naming the library, the name, and what the build loses; the build goes on.

Not private uses, though spelt with an underscore: protocols a library documents for
other code to implement (IPython's `_repr_markdown_`, `_render_traceback_`: names that
also end with an underscore) and `os._exit` (documented in the standard library).

Replaced by public calls (so not listed): savefig's settings around the figure crop
(figure.set_dpi / set_facecolor / set_edgecolor / set_layout_engine, put back by hand,
where cbook._setattr_cm and Figure._cm_set were used); an "auto" marker colour and a
"face" edge colour (told apart by whether they follow the line's or the faces' colour,
where Line2D._markerfacecolor and Collection._edgecolors were read); a FigureError's
one-line traceback (IPython's `_render_traceback_` protocol and the public
`showtraceback`, where ipykernel's `_showtraceback` was called); a warning's cell name
(CachingCompiler.format_code_name, where `_filename_map` was read).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

log = logging.getLogger("execblocks")


@dataclass(frozen=True)
class PrivateUse:
    where: str  # the module of plugins/ that uses it
    owner: str  # "package.module:Class" that holds the name
    name: str  # the private name itself
    why: str  # what the public API does not give
    without_it: str  # what a build loses when it is gone (the warning says it)


PRIVATE_USES: tuple[PrivateUse, ...] = (
    PrivateUse(
        where="execblocks/site/reader.py",
        owner="pelican.readers:MarkdownReader",
        name="_parse_metadata",
        why="the engine's reader is a MarkdownReader whose read() renders the page its own way; "
            "_parse_metadata turns the header's fields into Pelican's values (dates, tags, a Summary "
            "through self._md, which the reader sets for it) exactly as Pelican's own read() does, "
            "and Pelican has no public call for it",
        without_it="every article fails to read (Pelican's header fields are not parsed)",
    ),
    PrivateUse(
        where="execblocks/execute/containment.py",
        owner="jupyter_client.manager:AsyncKernelManager",
        name="_async_kill_kernel",
        why="overridden so the kernel's watchdog gets SIGTERM alone before jupyter_client's SIGKILL "
            "to the process group (which would kill the watchdog before it kills what a block "
            "started with setsid()); a KernelProvisioner would need an entry point of its own",
        without_it="processes a block started with setsid() may outlive a killed kernel",
    ),
)



@dataclass(frozen=True)
class FrameUse:
    """Reading a library's frames (local variable names), which no API promises either.
    Nothing to check ahead: when the names change, the one thing lost is said below."""

    where: str
    what: str
    why: str
    without_it: str


FRAME_USES: tuple[FrameUse, ...] = (
    FrameUse(
        where="execblocks/errors.py",
        what="the locals complete_path / path / filename of the frames an OSError from write() passed "
             "through (pelican.writers.Writer.write_file's, the store's atomic_write)",
        why="an OSError from write() (a full disk, a file-size limit) does not name the file",
        without_it="a full-disk error says what failed without naming the file being written",
    ),
)

_warned: set[tuple[str, str]] = set()  # (owner, name) already reported by this process


def missing(uses: tuple[PrivateUse, ...] = PRIVATE_USES) -> list[PrivateUse]:
    """The listed names the installed libraries no longer have."""
    gone = []
    for use in uses:
        module_name, _, attribute_path = use.owner.partition(":")
        try:
            owner = importlib.import_module(module_name)
            for part in attribute_path.split(".") if attribute_path else ():
                owner = getattr(owner, part)
        except (ImportError, AttributeError):
            gone.append(use)
            continue
        if not hasattr(owner, use.name):
            gone.append(use)
    return gone


def warn_if_gone(uses: tuple[PrivateUse, ...] = PRIVATE_USES) -> None:
    """One warning line per use that stopped working, once per process (a livereload
    session rebuilds in one process: it is said at its first build)."""
    for use in missing(uses):
        if (use.owner, use.name) in _warned:
            continue
        _warned.add((use.owner, use.name))
        owner = use.owner.replace(":", ".")
        log.warning(f"execblocks: {owner}.{use.name} is gone from this {use.owner.partition('.')[0]} "
                    f"(a private name {use.where} relies on): {use.without_it}; "
                    f"see plugins/execblocks/private_uses.py")
