"""Building through a dask.distributed cluster (`invoke build --executor`, EXECBLOCKS_EXECUTOR).

A real LocalCluster runs inside the test session: two worker processes, "cpu" and
"gpu" (the latter offers a fake `GPU` resource, as `dask worker --resources GPU=1` does).
The workers get the engine and the project files with each job; a build through them
must store what a local build stores.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from execblocks import status, update
from execblocks.errors import WorkerLostError
from execblocks.execute.jobs import job_for
from support import invoke

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"

TORCH_ARTICLE = """\
Title: Tensor
Date: 2026-01-04
Slug: tensor

```{python}
import torch
print("sum", torch.ones(3).sum().item())
```
"""

SLOW_ARTICLE = """\
Title: Slow
Date: 2026-01-05
Slug: slow

```{python}
print("first block")
```

```{python}
import os, pathlib, time
marker = pathlib.Path(%r)
if not marker.exists():  # the first attempt waits here (to be killed); a rerun goes on
    marker.write_text(str(os.getpid()))
    time.sleep(120)
print("second block")
```
"""


@dataclass
class Cluster:
    address: str
    client: object  # distributed.Client

    def workers(self) -> dict[str, str]:
        """Worker name -> address (a restarted worker keeps its name, not its address)."""
        return {w["name"]: address for address, w in self.client.scheduler_info(n_workers=-1)["workers"].items()}


@contextlib.contextmanager
def engine_hidden_from_new_processes():
    """Worker processes start with this process's sys.path (multiprocessing's spawn):
    without plugins/ on it, they cannot import the engine, as on a machine that only has
    the requirements installed. (This process keeps it: execblocks is imported already.)"""
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != PLUGINS]
    try:
        yield
    finally:
        sys.path[:] = saved


# Probes run on the workers. Lambdas travel by value (cloudpickle), so the workers need
# not import this test module, which they could not: it imports the engine.
ENGINE_IMPORTABLE = lambda: __import__("importlib.util").util.find_spec("execblocks") is not None  # noqa: E731
ENGINE_FILE = lambda: getattr(__import__("sys").modules.get("execblocks"), "__file__", None)  # noqa: E731


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with engine_hidden_from_new_processes():
        local = LocalCluster(n_workers=0, threads_per_worker=1, processes=True, dashboard_address=None)
        (_, spec), = local.new_worker_spec().items()
        gpu = copy.deepcopy(spec)
        gpu["options"]["resources"] = {"GPU": 1}
        local.worker_spec.update({"cpu": copy.deepcopy(spec), "gpu": gpu})
        local.scale(2)
        client = Client(local)
        try:
            client.wait_for_workers(2, timeout=300)
            assert not any(client.run(ENGINE_IMPORTABLE).values())
            yield Cluster(local.scheduler_address, client)
        finally:
            client.close()
            local.close()


def stored_files(results: Path) -> dict[str, bytes]:
    """Every stored file but provenance.json (when and where it ran, and how long)."""
    return {p.relative_to(results).as_posix(): p.read_bytes() for p in sorted(results.rglob("*"))
            if p.is_file() and p.name != "provenance.json" and not p.name.startswith(".")}


def provenance(project, article_id: str) -> dict:
    return json.loads((project.results / article_id / "provenance.json").read_text())


@pytest.mark.slow
def test_cluster_build_stores_what_a_local_build_stores(tasks_project, cluster):
    project = tasks_project
    project.write("content/tensor.md", TORCH_ARTICLE)
    done = invoke(project, "build")
    assert done.returncode == 0, done.stderr
    local = stored_files(project.results)
    local_page = project.html()
    assert "worker" not in provenance(project, "hello")

    done = invoke(project, "build", "--force", "--executor", cluster.address)
    assert done.returncode == 0, done.stderr
    assert stored_files(project.results) == local  # notebook, figures, record: byte for byte
    workers = cluster.workers()
    ran_on = {a: provenance(project, a)["worker"] for a in ("hello", "tensor")}
    # torch: a GPU article, so it asked for {"GPU": 1} and the scheduler put it on "gpu".
    assert ran_on["tensor"].endswith(f"({workers['gpu']})")
    assert ran_on["hello"].endswith(f"({workers['gpu']})") or ran_on["hello"].endswith(f"({workers['cpu']})")
    assert f"execblocks: running content/tensor.md (1 block) on {ran_on['tensor']}" in done.stderr
    assert "hello.md │ x is 42" in done.stderr  # the worker's printed lines, shown live here
    assert project.html().replace(" ", "").count("xis42") == local_page.replace(" ", "").count("xis42")

    # The workers ran the engine the jobs carried, not one from this repository.
    where = cluster.client.run(ENGINE_FILE)
    engines = [path for path in where.values() if path]
    assert engines and all("/execblocks-engine-" in path for path in engines), engines

    done = invoke(project, "status")
    assert done.returncode == 0
    assert ran_on["tensor"] in next(line for line in done.stdout.splitlines() if "content/tensor.md" in line)


def kill_mid_run(project, cluster: Cluster, marker: Path) -> tuple[dict, str, dict]:
    """Run content/slow.md locally, then again on the cluster, and kill (SIGKILL, by PID)
    the worker process running it while its second block waits. Returns the cluster
    build's outcome, the killed worker's address and the results of the local run."""
    project.write("content/slow.md", SLOW_ARTICLE % str(marker))
    marker.write_text("skip the wait")
    update(project.engine())  # a local run first: its record says it is a CPU article
    local = stored_files(project.results)
    plans = {p.article.article_id: p for p in status(project.engine())}
    assert not job_for(plans["slow"]).wants_gpu
    marker.unlink()
    outcome: dict = {}

    def cluster_build():
        try:
            outcome["report"] = update(project.engine(EXECBLOCKS_EXECUTOR=cluster.address, EXECBLOCKS_ONLY=["slow"]))
        except Exception as error:  # noqa: BLE001 - the test inspects whatever it was
            outcome["error"] = error

    build = threading.Thread(target=cluster_build)
    build.start()
    deadline = time.monotonic() + 300  # generous, for a loaded machine
    while not marker.exists() and build.is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), outcome
    busy = [address for address, keys in cluster.client.processing().items() if keys]
    assert len(busy) == 1
    killed = busy[0]
    pid = cluster.client.run(os.getpid, workers=[killed])[killed]
    os.kill(pid, signal.SIGKILL)
    build.join(timeout=600)
    assert not build.is_alive()
    try:
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the lost attempt's kernel, if still there
    except ProcessLookupError:
        pass
    return outcome, killed, local


def assert_retried_or_reported(project, outcome: dict, killed: str, local: dict) -> None:
    """Never a wrong page: the same results as the local run, or a clear error and nothing stored."""
    if "error" in outcome:
        error = outcome["error"]
        assert isinstance(error, WorkerLostError), error
        assert str(error).startswith("content/slow.md:9: block 2 did not finish: the Dask worker")
        assert "Nothing was stored for this article" in str(error)
        print(error)  # for the closing note: what a user sees
        assert not (project.results / "slow/failure.json").exists()
    else:
        assert provenance(project, "slow")["worker"].split("(")[1] != f"{killed})"
    assert stored_files(project.results) == local
    project.build(EXECBLOCKS_MODE="off")
    page = project.html("slow")
    assert "<pre>first block\n</pre>" in page and "<pre>second block\n</pre>" in page


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_retried_on_another_worker(project, cluster, tmp_path):
    outcome, killed, local = kill_mid_run(project, cluster, tmp_path / "started")
    assert "report" in outcome, outcome.get("error")  # the scheduler allows 3 lost workers per task
    assert_retried_or_reported(project, outcome, killed, local)


@pytest.mark.slow
def test_a_worker_lost_with_no_retry_left_is_a_clear_error(project, tmp_path):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs={"allowed_failures": 0, "dashboard_address": None}) as local_cluster, Client(local_cluster) as client:
        client.wait_for_workers(1, timeout=300)
        outcome, killed, local = kill_mid_run(project, Cluster(local_cluster.scheduler_address, client),
                                              tmp_path / "started")
    assert "error" in outcome
    assert_retried_or_reported(project, outcome, killed, local)


@pytest.mark.slow
def test_an_unreachable_scheduler_fails_quickly_naming_its_address(project):
    from execblocks.errors import SchedulerUnreachableError

    address = "tcp://127.0.0.1:9"  # discard: nothing listens there
    started = time.monotonic()
    with pytest.raises(SchedulerUnreachableError) as caught:
        update(project.engine(EXECBLOCKS_EXECUTOR=address))
    # A failure instead of a hang; the bound is far above the 5 s connect timeout.
    assert time.monotonic() - started < 120
    assert f"cannot reach the Dask scheduler at {address} within 5 s" in str(caught.value)
    assert not project.results.exists() or not any(project.results.rglob("record.json"))
