"""livereload's builds run beside the server: the callback returns at once, one build at a
time, and changes during a build queue exactly one more."""

import threading

from execblocks.site.build import BackgroundBuilds


def test_builds_run_in_the_background_one_at_a_time_and_changes_queue_one_more():
    release = threading.Event()
    started = threading.Semaphore(0)
    running, overlaps, runs = [], [], []
    finished = threading.Event()

    def rebuild():
        overlaps.append(bool(running))
        running.append(1)
        started.release()
        release.wait(5)
        running.pop()
        runs.append(1)
        if len(runs) == 2:
            finished.set()
        return True

    builds = BackgroundBuilds(rebuild)
    builds()  # returns at once: the build waits on `release`
    assert started.acquire(timeout=5)
    builds()
    builds()  # two changes while it runs: one more build, not two
    release.set()
    assert finished.wait(5)
    assert started.acquire(timeout=5)
    for thread in [t for t in threading.enumerate() if t.name == "execblocks-build"]:
        thread.join(5)
    assert runs == [1, 1] and not any(overlaps)
