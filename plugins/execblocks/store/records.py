"""What a run stores, as typed records: the results' record, their provenance, a failure.

The store (store/results_folder.py) is the only module that turns these into JSON and back
(`to_json` / `from_json`); every other module reads their fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BlockFingerprint:
    """What a block's results were made from: its code's hash and the options in the key."""

    index: int
    code: str  # sha256 of the block's code
    options: dict[str, Any]  # BlockOptions.execution_fields()


@dataclass(frozen=True)
class InlineValue:
    expr: str
    value: str  # the value's text, as shown on the page
    markdown: bool = False  # the value asked to be Markdown (`Markdown(...)`), not text


@dataclass(frozen=True)
class Environment:
    device: str  # cpu | cuda | mps: where the article's kernel ran
    versions: dict[str, str]  # libraries the run imported (python, numpy, torch, ...)
    installed: dict[str, str]  # the same libraries as installed when it was stored
    # Every distribution the blocks imported, directly or not: the bundle's requirements.txt.
    packages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """record.json: what the stored results are for. Its key decides freshness."""

    article: str  # the article's path relative to the project root
    key: str
    kernel: str
    blocks: tuple[BlockFingerprint, ...]
    inline: tuple[InlineValue, ...]
    dependencies: dict[str, str]  # project-relative path -> sha256 when the run read it
    environment: Environment
    files: dict[str, str] = field(default_factory=dict)  # every other file of the entry -> sha256
    figure_pipeline: int = 1  # execkernel.policy.FIGURE_PIPELINE of the run (1: stored before it existed)

    def to_json(self) -> dict:
        return {
            "article": self.article, "key": self.key, "kernel": self.kernel,
            "blocks": [{"index": b.index, "code": b.code, "options": b.options} for b in self.blocks],
            "inline": [{"expr": i.expr, "value": i.value, **({"markdown": True} if i.markdown else {})}
                       for i in self.inline],
            "dependencies": dict(sorted(self.dependencies.items())),
            "environment": {"device": self.environment.device, "versions": self.environment.versions,
                            "installed": self.environment.installed, "packages": self.environment.packages},
            "files": dict(sorted(self.files.items())),
            "figure_pipeline": self.figure_pipeline,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Record":
        environment = data["environment"]
        return cls(
            article=data["article"], key=data["key"], kernel=data["kernel"],
            blocks=tuple(BlockFingerprint(b["index"], b["code"], b["options"]) for b in data["blocks"]),
            inline=tuple(InlineValue(i["expr"], i["value"], bool(i.get("markdown"))) for i in data["inline"]),
            dependencies=dict(data["dependencies"]),
            environment=Environment(environment["device"], dict(environment["versions"]),
                                    dict(environment["installed"]), dict(environment.get("packages", {}))),
            files=dict(data["files"]),
            figure_pipeline=int(data.get("figure_pipeline", 1)),
        )


@dataclass(frozen=True)
class Provenance:
    """provenance.json: when the results were made and how long it took (the only file a
    rerun with the same outputs changes)."""

    executed_at: str  # ISO 8601, UTC, seconds
    duration_s: float  # the whole article, kernel start included
    block_seconds: tuple[float, ...]  # per block, in order
    worker: str | None = None  # the cluster worker that ran it, "host (tcp://addr)"; None: this machine
    # The earlier run that produced these very outputs, when this run reproduced them byte
    # for byte: pages show that one, so a rerun changes no page (issue 13 §6).
    shown_run: "Provenance | None" = None
    # Blocks (1-based) this run did not execute: their outputs and state came from the
    # snapshot cache (execute/resume.py), being what the same code made before.
    resumed: tuple[int, ...] = ()
    # Blocks (1-based) after the rerun ones that provably could not be affected
    # (execute/blocknames.py): they kept the outputs of the run before, not rerun.
    skipped: tuple[int, ...] = ()

    @property
    def shown(self) -> "Provenance":
        """The run pages show: the one whose outputs are stored."""
        return self.shown_run or self

    def to_json(self) -> dict:
        data = {"executed_at": self.executed_at, "duration_s": round(self.duration_s, 3),
                "block_seconds": [round(s, 3) for s in self.block_seconds]}
        if self.worker:
            data["worker"] = self.worker
        if self.shown_run is not None:
            data["shown"] = self.shown_run.to_json()
        if self.resumed:
            data["resumed_from_snapshot"] = list(self.resumed)
        if self.skipped:
            data["skipped_unaffected"] = list(self.skipped)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Provenance":
        shown = cls.from_json(data["shown"]) if data.get("shown") else None
        return cls(data["executed_at"], float(data["duration_s"]), tuple(float(s) for s in data["block_seconds"]),
                   worker=data.get("worker"), shown_run=shown,
                   resumed=tuple(int(b) for b in data.get("resumed_from_snapshot", ())),
                   skipped=tuple(int(b) for b in data.get("skipped_unaffected", ())))


@dataclass(frozen=True)
class Failure:
    """failure.json: the last failed run, kept beside the last good results."""

    key: str  # the key the failed run had: the same code fails again until something changes
    path: str  # where it failed: the article's file and line, the 1-based block (0: none)
    line: int
    block: int
    error: str  # "ValueError: bad value"
    dependencies: dict[str, str]
    at: str  # when it failed (ISO 8601)

    def to_json(self) -> dict:
        return {"key": self.key, "path": self.path, "line": self.line, "block": self.block,
                "error": self.error, "dependencies": dict(sorted(self.dependencies.items())), "at": self.at}

    @classmethod
    def from_json(cls, data: dict) -> "Failure":
        return cls(data["key"], data["path"], int(data["line"]), int(data["block"]), data["error"],
                   dict(data["dependencies"]), data["at"])


@dataclass(frozen=True)
class Machine:
    """Where a verification's rerun ran."""

    host: str
    cpu: str  # the CPU model ("unknown (cluster worker)" when it ran elsewhere)
    gpu: str  # "none" when no GPU was used
    device: str  # what the article's code ran on: cpu | cuda | mps
    versions: dict[str, str] = field(default_factory=dict)  # python, numpy, torch, matplotlib as the run used them

    @property
    def identity(self) -> tuple:
        """Two verifications ran on the same machine when these match."""
        return (self.host, self.cpu, self.gpu, self.device)


@dataclass(frozen=True)
class Verification:
    """One `invoke verify` of stored results (verifications.json holds the latest ones)."""

    at: str  # ISO 8601, UTC
    how: str  # "scratch copy" | "bundle, fresh venv" | "dask tcp://..."
    machine: Machine
    results: str  # sha256 of the record.json verified: later results are not vouched for by it
    inputs: str  # digest of what decided the run (key + dependency hashes): `verify --changed`
    tolerance: dict[str, float]  # the article's: rel, abs, figure, pixel
    counts: dict[str, list[int]]  # kind -> [within tolerance, identical, total]
    passed: bool
    drifted: list[str] = field(default_factory=list)  # items beyond tolerance (the first 50)

    def within(self, kinds: tuple[str, ...]) -> tuple[int, int]:
        """(within tolerance, total) over these kinds of item."""
        return (sum(self.counts.get(k, [0, 0, 0])[0] for k in kinds),
                sum(self.counts.get(k, [0, 0, 0])[2] for k in kinds))

    def to_json(self) -> dict:
        machine = self.machine
        return {"at": self.at, "how": self.how,
                "machine": {"host": machine.host, "cpu": machine.cpu, "gpu": machine.gpu, "device": machine.device,
                            "versions": dict(sorted(machine.versions.items()))},
                "results": self.results, "inputs": self.inputs, "tolerance": dict(self.tolerance),
                "counts": {k: list(v) for k, v in self.counts.items()}, "passed": self.passed,
                "drifted": list(self.drifted)}

    @classmethod
    def from_json(cls, data: dict) -> "Verification":
        machine = data["machine"]
        return cls(data["at"], data["how"],
                   Machine(machine["host"], machine["cpu"], machine["gpu"], machine["device"],
                           dict(machine.get("versions", {}))),
                   data["results"], data["inputs"], {k: float(v) for k, v in data["tolerance"].items()},
                   {k: [int(n) for n in v] for k, v in data["counts"].items()}, bool(data["passed"]),
                   list(data.get("drifted", [])))
