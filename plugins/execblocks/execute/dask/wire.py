"""An article's run as plain data, for runs on another machine (execute/dask/executor.py).

A worker runs the article from a shipped copy of the project, in a folder of its own;
what it sends back names files relative to that copy, so the local side maps them back
to project paths. Everything here is JSON-like (str, numbers, lists, dicts): no engine
object crosses the wire, only what the store needs.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat

from execblocks import errors
from execblocks.execute.kernel_run import ExecutionResult
from execblocks.source.parse import Article


def result_to_data(result: ExecutionResult, copy_root: Path, host: str) -> dict:
    """On the worker: the result, with file paths relative to the project copy."""
    reads = []
    for path in result.reads:
        try:
            reads.append(Path(path).resolve().relative_to(copy_root).as_posix())
        except ValueError:
            pass  # outside the project copy: the environment, not a dependency
    return {
        "notebook": nbformat.writes(result.notebook),
        "inline_values": list(result.inline_values),
        "inline_markdown": list(result.inline_markdown),
        "reads": sorted(set(reads)),
        "device": result.device,
        "versions": dict(result.versions),
        "packages": dict(result.packages),
        "block_seconds": list(result.block_seconds),
        "duration_s": result.duration_s,
        "executed_at": result.executed_at,
        "error": error_to_data(result.error) if result.error is not None else None,
        "host": host,
    }


def result_from_data(data: dict, article: Article, project_root: Path) -> ExecutionResult:
    """On the local side: the worker's result for `article`, its paths back in the project."""
    error = error_from_data(data["error"]) if data.get("error") else None
    result = ExecutionResult(
        article=article,
        notebook=nbformat.reads(data["notebook"], as_version=4),
        inline_values=list(data["inline_values"]),
        reads=[project_root / rel for rel in data["reads"]],
        device=data["device"],
        versions=dict(data["versions"]),
        block_seconds=list(data["block_seconds"]),
        duration_s=float(data["duration_s"]),
        executed_at=data["executed_at"],
        error=error,
        packages=dict(data["packages"]),
        host=data["host"],
        inline_markdown=list(data["inline_markdown"]),
    )
    return result


def error_to_data(error: errors.ExecBlocksError) -> dict:
    """An engine error as its class name and constructor arguments."""
    parameters = list(inspect.signature(type(error).__init__).parameters)[1:]
    return {"class": type(error).__name__,
            "arguments": {name: getattr(error, name) for name in parameters if hasattr(error, name)}}


def error_from_data(data: dict) -> errors.ExecBlocksError:
    cls = getattr(errors, data["class"])
    return cls(**data["arguments"])
