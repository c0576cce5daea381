"""Cancelling a review stops its analyzers: the run ends at once, and their processes are killed rather than
waited for (bandit alone takes seconds on a large file)."""

import os
import time
from pathlib import Path

import anyio
import pytest
from manyeyes.config import Settings
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, ReviewRequest

# 30,000 lines of shell calls and evals: bandit takes about five seconds on it here.
FUNCTION = "def f{i}(x):\n    import subprocess\n    subprocess.call('ls ' + x, shell=True)\n    return eval(x)\n\n"
LARGE = "".join(FUNCTION.format(i=i) for i in range(6000))


def bandit_processes() -> list[int]:
    """The bandit processes this test started (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"bandit" in (entry / "cmdline").read_bytes():
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                    found.append(int(entry.name))
        except OSError:
            continue  # it ended meanwhile
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_cancelling_a_review_while_bandit_runs_ends_it_within_a_second(workspace):
    (workspace / "big.py").write_text(LARGE, encoding="utf-8")
    settings = Settings(concerns=[Concern.security], max_file_lines=50_000)
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=[workspace / "big.py"]), settings)
    timings = {}

    async def main():
        async with anyio.create_task_group() as group:
            group.start_soon(review)
            with anyio.fail_after(30):
                while not bandit_processes():
                    await anyio.sleep(0.05)
            await anyio.sleep(0.5)  # bandit is well into the file
            timings["cancelled"] = time.monotonic()
            run.cancel()

    async def review():
        await run.execute()
        timings["ended"] = time.monotonic()

    anyio.run(main)
    ended_after = timings["ended"] - timings["cancelled"]
    print(f"the review ended {ended_after:.3f}s after the cancel")
    assert ended_after < 1.0
    deadline = time.monotonic() + 2
    while bandit_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bandit_processes() == []  # killed, not left to finish the file
