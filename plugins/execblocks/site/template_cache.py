"""The theme's compiled templates, kept in memory between the builds of one process.

Pelican makes new Jinja environments on every run, and each compiles every template it
renders from source again: about 0.25 s of the 0.6 s a prose edit of this site costs.
`invoke livereload` runs build after build in one process, so it keeps the compiled code
here (Jinja's `BytecodeCache` interface, `JINJA_ENVIRONMENT["bytecode_cache"]`) and
each rebuild compiles only the templates whose source changed.

In memory only, never on disk: a block's code can write any file the build can, and a
forged template would put its HTML on every page (the highlight and formula caches
verify what they read back; compiled code cannot be verified). So `invoke build`, one
process per build, gets nothing from it.

Jinja rejects an entry whose template source changed (its checksum). An entry also
belongs to the environment options that decide what the compiler makes of a source
(delimiters, extensions, autoescape, finalize, ...): a settings edit that changes them
never gets code compiled under the old ones.
"""

from __future__ import annotations

from types import CodeType

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from execblocks.site.code_identity import code_identity


class TemplateCodeCache(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[tuple, tuple[str, CodeType]] = {}  # (options, template key) -> (source checksum, code)

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self._code.get((compile_options(bucket.environment), bucket.key))
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[(compile_options(bucket.environment), bucket.key)] = (bucket.checksum, bucket.code)

    def __len__(self) -> int:
        return len(self._code)


def compile_options(environment) -> tuple:
    """What, besides the source, decides the code Jinja compiles a template to (Environment's
    documented options); callables by their code (site/code_identity.py), so a reloaded
    settings file's equal function matches."""
    def named(value):
        return code_identity(value) if callable(value) else value

    return (environment.block_start_string, environment.block_end_string, environment.variable_start_string,
            environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
            environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
            environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
            tuple(sorted(environment.extensions)), environment.optimized, environment.is_async,
            named(environment.autoescape), named(environment.finalize))
