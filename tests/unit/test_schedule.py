"""schedule: GPU jobs one per GPU, CPU jobs across workers, longest first."""

import asyncio
from pathlib import Path

import pytest

from execblocks.execute import kernel_run as execute
from execblocks.config import EngineSettings
from execblocks.source.parse import parse_text
from execblocks.execute.plan import ArticlePlan
from execblocks.execute.progress import Progress
from execblocks.store.records import Environment, Provenance, Record
from execblocks.execute.jobs import Job, job_for, order
from execblocks.execute.schedule import LocalPool, executor_for, visible_gpus
from execblocks.store.results_folder import StoredEntry

ROOT = Path("/project")


def article(name: str):
    return parse_text("```{python}\nx = 1\n```\n", ROOT / f"content/{name}.md", ROOT, ROOT / "content")


def plan_with(device: str, versions: dict, seconds: float) -> ArticlePlan:
    record = Record("content/a.md", "k", "python3", (), (), {}, Environment(device, versions, {}))
    entry = StoredEntry("a", ROOT, record, Provenance("2026-11-25T10:00:00+00:00", seconds, ()), None)
    return ArticlePlan(article("a"), "stale", entry=entry)


def test_job_for_uses_the_last_run():
    torch_run = plan_with("cpu", {"torch": "2.13.0"}, 40)
    plain_run = plan_with("cpu", {"numpy": "2"}, 2)
    never_run = ArticlePlan(article("b"), "missing")
    assert job_for(torch_run).wants_gpu and job_for(torch_run).expected_s == 40
    assert not job_for(plain_run).wants_gpu
    assert job_for(never_run).wants_gpu  # unknown: assume it might train


def test_longest_first():
    jobs = [Job(article(n), s, False) for n, s in [("a", 1), ("b", 30), ("c", 5)]]
    assert [j.article.article_id for j in order(jobs)] == ["b", "c", "a"]


def test_visible_gpus_from_environment(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert visible_gpus() == ["0", "1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert visible_gpus() == []


def test_gpu_jobs_never_share_a_gpu_while_cpu_jobs_run_alongside(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    running: dict[str, str | None] = {}
    overlaps = []

    async def fake_execute(article, settings, progress, gpu=None):
        if gpu is not None:
            overlaps.append(gpu in [g for g in running.values() if g is not None])
        running[article.article_id] = gpu
        await asyncio.sleep(0.02)
        del running[article.article_id]
        return execute.ExecutionResult(article, None, [], [], None, {}, [], 0.02, "")

    monkeypatch.setattr(execute, "execute_article", fake_execute)
    jobs = [Job(article(f"g{i}"), 0, True) for i in range(5)] + [Job(article(f"c{i}"), 0, False) for i in range(3)]
    settings = EngineSettings.from_pelican({"PATH": "/project/content", "EXECBLOCKS_WORKERS": 3})
    results = LocalPool().run(jobs, settings, Progress(forward_output=False, stream=open("/dev/null", "w")))
    assert len(results) == 8
    assert overlaps and not any(overlaps)


def test_executor_setting_picks_the_executor():
    from execblocks.config import ConfigError

    local = EngineSettings.from_pelican({"PATH": "/project/content"})
    assert isinstance(executor_for(local), LocalPool)
    remote = EngineSettings.from_pelican({"PATH": "/project/content", "EXECBLOCKS_EXECUTOR": "tcp://gpu-box:8786"})
    assert remote.executor == "tcp://gpu-box:8786"
    assert type(executor_for(remote)).__name__ == "DaskExecutor"
    with pytest.raises(ConfigError, match="tcp://host:8786, got 'gpu-box:8786'"):
        EngineSettings.from_pelican({"PATH": "/project/content", "EXECBLOCKS_EXECUTOR": "gpu-box:8786"})
