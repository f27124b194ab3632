"""Errors that carry where the problem is: article file, line, block, traceback.

Every error the engine raises on purpose derives from `ExecBlocksError`; its
`str()` is the whole message a user needs, and `exitcode` is what the build exits with.
"""

from __future__ import annotations

import os


class ExecBlocksError(Exception):
    exitcode = 1


class ConfigError(ExecBlocksError):
    """A setting in pelicanconf.py is invalid."""

    def __init__(self, message: str):
        super().__init__(f"execblocks: {message}")


class ArticleSyntaxError(ExecBlocksError):
    """An executable block is malformed (unknown option, bad value, unclosed fence)."""

    def __init__(self, path: str, line: int, message: str, hint: str = ""):
        self.path, self.line, self.message, self.hint = path, line, message, hint
        text = f"{path}:{line}: {message}"
        if hint:
            text += f"\n  {hint}"
        super().__init__(text)


ERROR_TRUE_HINT = "Fix the block, or add `#| error: true` to show the traceback in the article."


class BlockExecutionError(ExecBlocksError):
    """A block raised. `line` is the line of the failing statement in the article file.

    `subject` names what failed ("block 3", "the inline value `{python} x`"); `hint` says
    what to do, and is the `error: true` advice only where that option would help."""

    def __init__(self, path: str, line: int, block: int, ename: str, evalue: str,
                 traceback: str, source: str = "", subject: str = "", hint: str = ERROR_TRUE_HINT):
        self.path, self.line, self.block = path, line, block
        self.ename, self.evalue, self.traceback, self.source = ename, evalue, traceback, source
        self.subject, self.hint = subject or f"block {block}", hint
        text = f"{path}:{line}: {self.subject} raised {ename}: {evalue}\n"
        if traceback.strip():
            text += f"{traceback.rstrip()}\n"
        super().__init__(text + f"  {hint}" if hint else text.rstrip("\n"))


class WorkerLostError(BlockExecutionError):
    """The machine running an article went away mid-run (a cluster worker killed or out
    of memory, every retry too). Not the article's fault: nothing is stored for it."""

    def __init__(self, path: str, line: int, block: int, cause: str):
        self.path, self.line, self.block = path, line, block
        self.ename, self.evalue, self.traceback, self.source = "WorkerLost", cause, "", ""
        self.subject, self.hint = f"block {block}" if block else "the article", "Build again to rerun it."
        where = f"block {block}" if block else "the article, before its first block,"
        ExecBlocksError.__init__(self, f"{path}:{line}: {where} did not finish: {cause}\n"
                                       f"  Nothing was stored for this article. {self.hint}")


class StaleResultsError(ExecBlocksError):
    """Strict mode (publishing, `invoke check`) found results that are stale or missing."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        lines = "\n".join(f"  {path}: {reason}" for path, reason in problems)
        super().__init__(
            f"execblocks: {len(problems)} article(s) have stale or missing results:\n{lines}\n"
            f"  Run `invoke build` (or `invoke run ARTICLE`) and commit the results folder."
        )


class StoreLockedError(ExecBlocksError):
    def __init__(self, lock_path: str, waited_s: float):
        super().__init__(
            f"execblocks: another build holds {lock_path} (waited {waited_s:.0f} s). "
            f"Wait for it to finish, or stop it, then build again."
        )


class CorruptEntryError(ExecBlocksError):
    """A stored result failed its checksum or could not be parsed; it is never rendered."""

    def __init__(self, entry: str, detail: str):
        self.entry, self.detail = entry, detail
        super().__init__(f"execblocks: stored result {entry} is corrupt ({detail}); it will be rerun.")


class ArticleMetadataError(ExecBlocksError):
    """The article's header has metadata Pelican will reject (no title, a bad date)."""

    def __init__(self, path: str, line: int, message: str, hint: str = ""):
        self.path, self.line, self.message = path, line, message
        text = f"{path}:{line}: {message}" if line else f"{path}: {message}"
        super().__init__(text + (f"\n  {hint}" if hint else ""))


class StoreWriteError(ExecBlocksError):
    """Results could not be written (a full disk, a file-size limit): the store keeps the
    previous complete entry, since every file is written to a temp name and renamed."""

    def __init__(self, article: str, error: OSError):
        if not error.filename:  # write() errors do not name the file: the writer's frame does
            error.filename = file_being_written(error.__traceback__)
        where = f"{error.filename}: " if error.filename else ""
        super().__init__(f"execblocks: could not store the results of {article}: {where}"
                         f"{error.strerror or error}\n  The previous results are intact; free some space "
                         f"and build again.")


class BuildInterrupted(ExecBlocksError):
    """The build got SIGINT (Ctrl-C) or SIGTERM (a CI timeout) while kernels ran. The
    articles that were running are not failures of their code: nothing is stored for them,
    and what was stored before stays. `finished` holds the runs that ended before the signal
    (the pipeline stores them). Exits 128 + the signal's number, as a shell reports it."""

    def __init__(self, signal_number: int, running: list[str], finished: list | None = None):
        import signal

        self.signal_number, self.running, self.finished = signal_number, running, finished or []
        self.exitcode = 128 + signal_number
        name = signal.Signals(signal_number).name
        were = f"{', '.join(running)} {'was' if len(running) == 1 else 'were'} running" if running else "kernels ran"
        super().__init__(f"execblocks: interrupted by {name} while {were}: nothing was stored for "
                         f"{'it' if len(running) == 1 else 'them'} (results stored earlier are kept). "
                         f"Build again to run {'it' if len(running) == 1 else 'them'}.")



class SiteBuildError(ExecBlocksError):
    """Pelican logged an error (shown above it) and `--fatal errors` stopped the build."""

    def __init__(self):
        super().__init__("pelican: the build stopped at the error logged above; the site was not finished")


class SiteWriteError(ExecBlocksError):
    """Pelican could not write the site (a full disk, a file-size limit); `message` names the file."""

    def __init__(self, message: str):
        super().__init__(f"pelican: {message}")


class SchedulerUnreachableError(ExecBlocksError):
    """`--executor tcp://...` names a Dask scheduler that did not answer."""

    def __init__(self, address: str, cause: str, waited_s: float):
        super().__init__(
            f"execblocks: cannot reach the Dask scheduler at {address} within {waited_s:g} s "
            f"({cause}).\n  Start one there (`dask scheduler`, then `dask worker {address}`), "
            f"or build on this machine without --executor / EXECBLOCKS_EXECUTOR.")


def file_being_written(traceback) -> str | None:
    """The file an OSError from write() was about (write() errors do not name it): the
    innermost frame's local holding a path (Pelican's writer keeps the page's path in one).
    Reads frame locals, which no API promises: listed in execblocks/private_uses.py."""
    found = None
    while traceback is not None:
        names = traceback.tb_frame.f_locals
        candidates = [os.fspath(names[n]) for n in ("complete_path", "path", "filename")
                      if isinstance(names.get(n), (str, os.PathLike))]
        found = next((c for c in candidates if os.path.isabs(c)), candidates[0] if candidates else found)
        traceback = traceback.tb_next
    return found
