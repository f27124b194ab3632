"""Which article runs where and in what order: GPU-aware scheduling of kernels.

Each article is one job in one kernel. Jobs that may use a GPU (they imported torch
last time, ran on cuda/mps, or never ran) each get a GPU of their own through
CUDA_VISIBLE_DEVICES, one job per GPU at a time, so two trainings never fight over
one card's memory. Other jobs share the CPU workers. Longest jobs (by their last
duration) start first, so the build's wall time is not decided by a slow job that
started last.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .parse import Article
from .plan import ArticlePlan

GPU_DEVICES = ("cuda", "mps")


@dataclass(frozen=True)
class Job:
    article: Article
    expected_s: float  # the last run's duration; 0 when unknown
    wants_gpu: bool


def job_for(plan: ArticlePlan) -> Job:
    record = plan.entry.record if plan.entry else None
    provenance = plan.entry.provenance if plan.entry else None
    wants_gpu = (record is None or record.environment.device in GPU_DEVICES
                 or "torch" in record.environment.versions)
    return Job(plan.article, provenance.duration_s if provenance else 0.0, wants_gpu)


def order(jobs: list[Job]) -> list[Job]:
    return sorted(jobs, key=lambda job: -job.expected_s)


def visible_gpus() -> list[str]:
    """GPU ids this build may hand out, found without importing torch."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g for g in listed.split(",") if g.strip() and g.strip() != "-1"]
    nvidia = Path("/proc/driver/nvidia/gpus")
    return [str(i) for i in range(len(list(nvidia.iterdir())))] if nvidia.is_dir() else []
