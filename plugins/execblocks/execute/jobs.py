"""A job: one stale article to run in one kernel, with what the scheduler needs to place it."""

from __future__ import annotations

from dataclasses import dataclass

from execblocks.execute.plan import ArticlePlan
from execblocks.source.parse import Article

GPU_DEVICES = ("cuda", "mps")


@dataclass(frozen=True)
class Job:
    article: Article
    expected_s: float  # the last run's duration; 0 when unknown
    wants_gpu: bool
    plan: ArticlePlan | None = None  # what is stored for it (a remote run ships its dependencies)


def job_for(plan: ArticlePlan) -> Job:
    record = plan.entry.record if plan.entry else None
    provenance = plan.entry.provenance if plan.entry else None
    wants_gpu = (record is None or record.environment.device in GPU_DEVICES
                 or "torch" in record.environment.versions)
    return Job(plan.article, provenance.duration_s if provenance else 0.0, wants_gpu, plan)


def order(jobs: list[Job]) -> list[Job]:
    return sorted(jobs, key=lambda job: -job.expected_s)
