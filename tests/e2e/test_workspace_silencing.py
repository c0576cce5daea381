"""What a repository may say about its own review: in a trusted workspace its ruff configuration, `# noqa`,
`# nosec` and `# manyeyes: ignore[rule]` are honoured; with `--untrusted` none of them hides anything."""

import json

from tests.conftest import write
from tests.e2e.test_cli_offline import manyeyes

SOURCE = """
import subprocess


def run(cmd, flag):
    subprocess.call(cmd, shell=True)  # nosec
    eval(cmd)  # manyeyes: ignore[B307]
    if flag == None:  # noqa: E711
        value = 1
    else:
        value = 2
    return value
"""


def _review(workspace, *extra) -> dict:
    proc = manyeyes("review", "app.py", "--format", "json", "--concerns", "security,readability", *extra, cwd=workspace)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _rules(result) -> set[str]:
    return {r for f in result["findings"] for r in f["rules"]}


def test_a_trusted_workspace_is_honoured(workspace):
    write(workspace, "app.py", SOURCE)
    write(workspace, "pyproject.toml", "[tool.ruff.lint]\nselect = ['E', 'F', 'B']\n")
    result = _review(workspace)
    assert not _rules(result) & {"B602", "B307", "E711", "SIM108"}  # nosec, ignore comment, noqa, not selected
    assert result["suppressed"] == 1


def test_an_untrusted_workspace_silences_nothing(workspace):
    write(workspace, "app.py", SOURCE)
    write(workspace, "pyproject.toml", "[tool.ruff.lint]\nselect = ['E', 'F', 'B']\n[tool.manyeyes]\nconcerns = []\n")
    result = _review(workspace, "--untrusted")
    assert {"B602", "B307", "E711", "SIM108"} <= _rules(result)
    eval_finding = next(f for f in result["findings"] if "B307" in f["rules"])
    assert any("'manyeyes: ignore' comment silences it; shown anyway" in n for n in eval_finding["notes"])


def test_a_broken_project_ruff_config_is_a_note_and_manyeyes_rules_run(workspace):
    write(workspace, "app.py", SOURCE)
    write(workspace, "ruff.toml", 'extend = "../missing.toml"\n')
    result = _review(workspace)
    assert "SIM108" in _rules(result)
    assert any("the project's ruff configuration could not be used" in n for n in result["notes"])


def test_untrusted_refuses_git(workspace):
    proc = manyeyes("review", "--diff", "--untrusted", cwd=workspace)
    assert proc.returncode == 2 and "--untrusted rules out" in proc.stderr


def test_an_untrusted_repository_s_dismissals_are_shown_marked(workspace):
    write(workspace, "app.py", SOURCE.replace("  # nosec", ""))
    shell = next(f for f in _review(workspace)["findings"] if "B602" in f["rules"])
    write(workspace, ".manyeyes/suppressions.jsonl", json.dumps({"fingerprint": shell["fingerprint"]}) + "\n")
    assert not any("B602" in f["rules"] for f in _review(workspace)["findings"])  # trusted: dismissed
    marked = next(f for f in _review(workspace, "--untrusted")["findings"] if "B602" in f["rules"])
    assert any("shown anyway, because the workspace is not trusted" in n for n in marked["notes"])
