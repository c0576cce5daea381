"""End-to-end tests in real editors. They need programs the README's test command does not install (.ci/run
does): without them a test is skipped, unless MANYEYES_REQUIRE_EDITORS=1 (CI), where a skip would hide a gap."""

import os

import pytest


def require_or_skip(missing: list[str]) -> None:
    if not missing:
        return
    reason = "not installed: " + ", ".join(missing)
    if os.environ.get("MANYEYES_REQUIRE_EDITORS") == "1":
        pytest.fail(f"MANYEYES_REQUIRE_EDITORS=1 but {reason}")
    pytest.skip(reason)
