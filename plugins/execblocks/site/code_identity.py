"""What a function, class or other object made again by each run is, the same across two
runs of one settings file: for the keys of the caches that outlive a run's objects
(site/page_cache.py: the settings; site/template_cache.py: Jinja's finalize and autoescape)."""

from __future__ import annotations

import hashlib


def code_identity(value) -> str:
    """`module.qualname` of a function or class (of the type, for any other object), and a
    function's bytecode hash: an edited lambda is another function, an equal one made again
    by a reloaded settings file is the same."""
    kind = value if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__") else type(value)
    code = getattr(kind, "__code__", None)
    return (f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', repr(kind))}"
            + (f"#{hashlib.sha256(code.co_code).hexdigest()[:16]}" if code is not None else ""))
