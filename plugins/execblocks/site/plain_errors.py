"""Pelican's fatal errors as one plain line, not a 40-line rich traceback.

`pelican` (and so `invoke build`) logs whatever ends a run as CRITICAL with the whole
traceback. For errors whose message already says what is wrong and where (the engine's
own, Pelican's "Skipping content/x.md: could not find information about 'title'", a
full disk naming the file it was writing) the traceback only hides the one line that
matters. `pelican --debug` still shows it.
"""

from __future__ import annotations

import logging

from execblocks.errors import ExecBlocksError, file_being_written

PELICAN_LOGGER = "pelican"


class PlainFatalErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.CRITICAL or not record.exc_info or record.exc_info[1] is None:
            return True
        if logging.getLogger(PELICAN_LOGGER).isEnabledFor(logging.DEBUG):
            return True  # --debug: the traceback is what was asked for
        error, traceback = record.exc_info[1], record.exc_info[2]
        if isinstance(error, OSError) and not error.filename:
            error.filename = file_being_written(traceback)  # write() errors do not name the file
        record.msg, record.args, record.exc_info, record.exc_text = plain_message(error), (), None, None
        return True


def plain_message(error: BaseException) -> str:
    if isinstance(error, ExecBlocksError):
        return str(error)
    text = str(error)
    if isinstance(error, OSError) and error.filename:
        from execblocks.site.atomic_output import shown_path

        what, shown = error.strerror or text, shown_path(error.filename)
        kept = "; the output folder still holds the previous complete site" if shown != error.filename else ""
        return f"{shown}: {what} ({type(error).__name__}, errno {error.errno}){kept}"
    if isinstance(error, RuntimeError) and text == "Warning or error encountered":
        # --fatal errors: the error itself was logged just above; say where to look.
        return "the build stopped at the first error logged above (--fatal errors)"
    return f"{type(error).__name__}: {text}"


def install() -> None:
    logger = logging.getLogger(PELICAN_LOGGER)
    if not any(isinstance(f, PlainFatalErrors) for f in logger.filters):
        logger.addFilter(PlainFatalErrors())
