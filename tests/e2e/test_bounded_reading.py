"""Bounded reading: only regular files inside the workspace are read, never past the byte limit, and nothing
else is sent to a model (devices, FIFOs, symlinks pointing out of the workspace)."""

import json
import os

import anyio
import pytest
from manyeyes.engine import review
from manyeyes.models import ReviewRequest

from tests.conftest import write
from tests.e2e.test_cli_offline import manyeyes


def _reasons(result) -> dict[str, str]:
    return {n.path.rsplit("/", 1)[-1]: n.reason for n in result.not_reviewed}


def test_symlinks_out_of_the_workspace_devices_and_fifos_are_not_read(workspace, tmp_path, vulnerable):
    credentials = write(tmp_path, "outside/credentials.py", "AWS = 'top secret value from outside'\n")
    (workspace / "creds.py").symlink_to(credentials)
    (workspace / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(workspace / "pipe.py")  # opening it for reading would block forever
    proc = manyeyes("review", ".", "--format", "json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    reasons = {n["path"].rsplit("/", 1)[-1]: n["reason"] for n in result["not_reviewed"]}
    assert reasons["creds.py"].startswith("outside the workspace") and reasons["zero.py"].startswith("outside")
    assert reasons["pipe.py"] == "not a regular file (a device, FIFO or socket)"
    assert result["reviewed"] == ["app.py"]
    assert "top secret value" not in proc.stdout


def test_nothing_outside_the_workspace_reaches_the_model(workspace, tmp_path, vulnerable, fake, model_settings):
    credentials = write(tmp_path, "outside/credentials.py", "AWS = 'top secret value from outside'\n")
    (workspace / "creds.py").symlink_to(credentials)
    request = ReviewRequest(workspace=workspace, paths=[workspace])
    result = anyio.run(review, request, model_settings(verify_findings=False))
    assert _reasons(result)["creds.py"].startswith("outside the workspace")
    assert fake.requests and not any("top secret value" in json.dumps(r) for r in fake.requests)


@pytest.mark.timeout(30)
def test_a_large_file_is_refused_while_reading(workspace):
    write(workspace, "big.py", "x = 1\n" * 1000)
    request = ReviewRequest(workspace=workspace, paths=[workspace / "big.py"])
    from manyeyes.config import Settings

    result = anyio.run(review, request, Settings(max_file_bytes=100))
    assert _reasons(result)["big.py"] == "6,000 bytes is over max_file_bytes (100)"
