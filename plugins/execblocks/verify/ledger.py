"""Verifications as records, kept beside the article's results (`verifications.json`).

This module is the one writer and the one reader of that file (it moves into the store
stage with the restructure). A verification belongs to the stored results it checked:
it names the sha256 of the entry's record.json, which holds every output file's
checksum, so the footer and `invoke status` count only verifications of what the page
shows now.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..store import RECORD, atomic_write, canonical_json

FILE = "verifications.json"
KEEP = 20  # the newest records per article: enough history, a file that stays small


@dataclass(frozen=True)
class Machine:
    """Where a rerun ran."""

    host: str
    cpu: str
    gpu: str  # "none" when none was used
    device: str  # what the article's code ran on: cpu | cuda | mps
    versions: dict[str, str] = field(default_factory=dict)  # python, numpy, torch, matplotlib as the run used them

    @property
    def identity(self) -> tuple:
        """Two verifications ran on the same machine when these match."""
        return (self.host, self.cpu, self.gpu, self.device)


@dataclass(frozen=True)
class Verification:
    at: str  # ISO 8601, UTC
    how: str  # "scratch copy" | "bundle (fresh venv)" | "dask tcp://..."
    machine: Machine
    results: str  # sha256 of the record.json verified
    inputs: str  # digest of what decides the run (key + dependency hashes): `verify --changed`
    tolerance: dict[str, float]
    counts: dict[str, list[int]]  # kind -> [within tolerance, identical, total]
    passed: bool
    drifted: list[str] = field(default_factory=list)  # labels beyond tolerance (the first 50)

    def within(self, kinds: tuple[str, ...]) -> tuple[int, int]:
        return (sum(self.counts.get(k, [0, 0, 0])[0] for k in kinds),
                sum(self.counts.get(k, [0, 0, 0])[2] for k in kinds))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Verification":
        data = dict(data)
        data["machine"] = Machine(**data["machine"])
        return cls(**data)


def results_digest(entry_dir: Path) -> str:
    return hashlib.sha256((entry_dir / RECORD).read_bytes()).hexdigest()


def read(entry_dir: Path) -> list[Verification]:
    """The article's verifications, oldest first; none when there is no (readable) file."""
    try:
        data = json.loads((entry_dir / FILE).read_text(encoding="utf-8"))
        return [Verification.from_json(v) for v in data["verifications"]]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return []


def append(entry_dir: Path, verification: Verification) -> None:
    kept = (read(entry_dir) + [verification])[-KEEP:]
    atomic_write(entry_dir / FILE, canonical_json({"verifications": [v.to_json() for v in kept]}).encode())


def current(entry_dir: Path) -> list[Verification]:
    """Verifications of the results stored now."""
    if not (entry_dir / RECORD).exists():
        return []
    digest = results_digest(entry_dir)
    return [v for v in read(entry_dir) if v.results == digest]


VALUES = ("value", "verdict", "cell", "line")


def footer_line(verifications: list[Verification]) -> str:
    """The "Run it yourself" sentence, from the records only: the latest verification per
    machine, the weakest of them quoted. "" when the shown results were never verified."""
    if not verifications:
        return ""
    latest: dict[tuple, Verification] = {}
    for verification in verifications:
        latest[verification.machine.identity] = verification
    runs = list(latest.values())
    machines = f"{len(runs)} machine{'s' if len(runs) > 1 else ''}"
    values = min((v.within(VALUES) for v in runs), key=lambda c: (c[0] - c[1], c[0]))
    figures = min((v.within(("figure",)) for v in runs), key=lambda c: (c[0] - c[1], c[0]))
    rel = max(v.tolerance.get("rel", 0.0) for v in runs)
    head = "Reproduced on" if all(v.passed for v in runs) else "Rerun on"
    text = f"{head} {machines}: {values[0]}/{values[1]} values within {rel * 100:g} %"
    if figures[1]:
        text += f", {figures[0]}/{figures[1]} figures"
    return text


def status_line(verifications: list[Verification], stale: bool) -> str:
    """`invoke status`: the last verification, one line."""
    if not verifications:
        return "never verified"
    last = verifications[-1]
    values, figures = last.within(VALUES), last.within(("figure",))
    text = (f"{'passed' if last.passed else 'FAILED'} {last.at[:16].replace('T', ' ')} ({last.how}, "
            f"{last.machine.device}): {values[0]}/{values[1]} values, {figures[0]}/{figures[1]} figures")
    return text + (" [of earlier results]" if stale else "")
