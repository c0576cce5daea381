"""The packaged VS Code extension in real VS Code (code-server + headless chromium), driven from inside the
extension host by editors/vscode/e2e/driver: Review File -> diagnostics -> hover -> quick fix applied -> board.
Saves the screenshot a person looks at to docs/images/vscode-review.png.

Needs what .ci/run prepares: code-server (editors/vscode/e2e/install-code-server.sh), chromium, the packaged
editors/vscode/manyeyes.vsix and the e2e's node modules. Without them the test is skipped, or fails when
MANYEYES_REQUIRE_EDITORS=1 (as in CI), so CI cannot pass by skipping it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from manyeyes.devtools.fake_provider import Fault, FakeProvider, Reply
from tests.editors import require_or_skip
from tests.lsp.conftest import FAKE_KEY_ENV
from tests.lsp.test_review_flow import SOURCE  # the file the server tests review, emoji line included

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "editors" / "vscode"
CODE_SERVER = Path(os.environ.get("MANYEYES_CODE_SERVER", Path.home() / ".cache/manyeyes-e2e/code-server"))
CHROMIUM = os.environ.get("MANYEYES_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "images" / "vscode-review.png"


def _missing() -> list[str]:
    wanted = {
        "code-server (editors/vscode/e2e/install-code-server.sh)": CODE_SERVER / "out" / "node" / "entry.js",
        "chromium": Path(CHROMIUM),
        "the packaged extension (npm run package in editors/vscode)": VSCODE / "manyeyes.vsix",
        "the e2e's node modules (npm ci in editors/vscode/e2e)": VSCODE / "e2e" / "node_modules" / "puppeteer-core",
        "vsce (npm ci in editors/vscode)": VSCODE / "node_modules" / "@vscode" / "vsce",
    }
    missing = [name for name, path in wanted.items() if not path.exists()]
    return missing + ([] if shutil.which("node") else ["node"])


def run_vscode(
    tmp_path: Path,
    scenario: str,
    settings: dict | None = None,
    screenshot: Path | None = None,
    files: dict[str, str] | None = None,
    python_extension: str | None = None,
    target: str = "app.py",
    open_path: str | None = None,
) -> dict:
    """Runs one driver scenario in code-server and returns what run.mjs gathered (the driver's and the UI's).
    `files`: more files of the project, by relative path; `python_extension`: the Python a stand-in for the
    Python extension offers as the active environment; `target`: the file the scenario opens (relative); `open_path`:
    a .code-workspace (relative) to open instead of the target's folder."""
    require_or_skip(_missing())
    project = tmp_path / "project"
    project.mkdir()
    opened = project / target
    opened.parent.mkdir(parents=True, exist_ok=True)
    opened.write_text(SOURCE)
    for rel, text in (files or {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    (project / "other.py").write_text("import os\n")  # committed and unchanged: Review Changes must skip it
    _commit(project)
    out = tmp_path / "result.json"
    command = ["node", str(VSCODE / "e2e" / "run.mjs"), "--code-server", str(CODE_SERVER), "--chromium", CHROMIUM]
    command += ["--vsix", str(VSCODE / "manyeyes.vsix"), "--python", sys.executable, "--file", str(opened)]
    command += ["--out", str(out), "--scenario", scenario, "--settings", json.dumps(settings or {})]
    command += ["--screenshot", str(screenshot)] if screenshot else []
    command += ["--python-extension", python_extension] if python_extension else []
    command += ["--open", str(project / open_path)] if open_path else []
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), **{FAKE_KEY_ENV: "sk-fake-vscode"})
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text())
    failure = result.get("error") or result.get("driver", {}).get("error")
    assert proc.returncode == 0 and result["ok"], f"{failure}\n{result.get('logs', '')}"
    return result


def _commit(project: Path) -> None:
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for step in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run(git + step, check=True, capture_output=True)


@pytest.mark.timeout(360)
def test_review_diagnostics_hover_quick_fix_and_board(tmp_path):
    result = run_vscode(tmp_path, "review", screenshot=SCREENSHOT)
    driver, ui = result["driver"], result["ui"]

    assert driver["board"]["done"] and driver["board"]["message"] == "3 finding(s)"  # B602, E711, the test gap
    assert {a["concern"] for a in driver["board"]["agents"]} == {"security", "performance", "readability", "tests"}
    assert driver["boardNotifications"] >= 2  # progress while running, then the last board

    codes = {d["code"] for d in driver["diagnostics"]}
    assert {"B602", "E711"} <= codes and all(d["source"] == "manyeyes" for d in driver["diagnostics"])
    shell = next(d for d in driver["diagnostics"] if d["code"] == "B602")
    # VS Code counts UTF-16 code units: the emoji before the call is two of them
    assert (shell["line"], shell["character"]) == (4, len('    label = "😀 run"; '.encode("utf-16-le")) // 2)
    assert "CWE-78" in driver["hover"] and "raised by bandit" in driver["hover"]

    assert driver["fix"]["applied"] and driver["fix"]["line"] == "    if cmd is None:"
    # the selection (lines 4-5) is reviewed again: its findings are fresh, those elsewhere are kept
    selection = {(d["code"], d["line"]) for d in driver["selection"]["diagnostics"]}
    assert driver["selection"]["message"].endswith("finding(s)") and {("B602", 4), ("test-gap", 3)} <= selection
    # the unsaved fix is the change: only app.py is reviewed, other.py is untouched
    assert driver["changes"]["message"].endswith("finding(s)")
    assert [t.split(":")[0] for t in driver["changes"]["targets"]] == ["app.py"]
    assert "E711" not in {d["code"] for d in driver["afterFix"]["diagnostics"]}

    # What the rendered window shows: a card per agent on the board, squiggles, the hover
    assert len([row for row in ui["boardRows"] if "app.py:1-8" in row]) == 4
    assert ui["squiggles"] >= 2 and "subprocess call with shell=True" in ui["hover"]
    assert driver["status"] == "$(eye) manyeyes: 3 finding(s), $0.0000"  # the language status, after the first review
    assert SCREENSHOT.stat().st_size > 20_000  # a rendered workbench, not a blank page


@pytest.mark.timeout(360)
def test_refactor_selection_is_previewed_then_applied(tmp_path):
    result = run_vscode(tmp_path, "refactor", screenshot=tmp_path / "refactor.png")
    driver = result["driver"]
    assert driver["board"]["message"].startswith("refactor ready")
    # ticked and applied in VS Code's refactor preview, which lists only the changed line
    change = "line 6, replacing     if cmd == None: with     if cmd is None:"
    assert result["click"] == {"applied": True, "change": change}
    assert driver["after"] == SOURCE.replace("cmd == None", "cmd is None")


@pytest.mark.timeout(360)
def test_the_cancel_button_on_a_card_stops_that_agent_only(tmp_path):
    nit = {"title": "Name the label better", "severity": "low", "confidence": 0.6, "line": 5, "quote": "label"}
    vague = {"title": "Say what run returns", "severity": "low", "confidence": 0.5, "line": 8, "quote": "return cmd"}
    verdicts = [
        {"id": "f1", "verdict": "confirmed", "reason": "checked"},
        {"id": "f2", "verdict": "rejected", "reason": "it plainly returns cmd"},
    ]
    with FakeProvider(hang_s=120) as fake:
        fake.script("security", Fault("timeout"))  # hangs until the user cancels it
        fake.script("readability", Reply(findings=[nit, vague]))
        fake.script("verify", Reply(content=json.dumps({"verdicts": verdicts})))
        settings = {
            "manyeyes.model": "openai/fake-model",
            "manyeyes.apiBase": fake.url,
            "manyeyes.apiKeyEnv": FAKE_KEY_ENV,
            "manyeyes.maxRetries": 0,
            "manyeyes.taskTimeoutS": 100,  # only the click can end the security agent in time
            "manyeyes.thorough": True,  # all four agents on the board, whatever the triage would spare
        }
        result = run_vscode(tmp_path, "cancel-agent", settings=settings)
    driver = result["driver"]
    assert result["click"] == {"card": f"security · {driver['runningAgent']['target']}", "clicked": True}
    agents = {a["concern"]: a for a in driver["board"]["agents"]}
    assert (agents["security"]["state"], agents["security"]["error"]) == ("cancelled", "cancelled by the user")
    assert all(agents[c]["state"] == "done" for c in ("performance", "readability", "tests"))
    assert {a["agent"] for a in agents.values()} == {"openai/fake-model"} and driver["board"]["tokens"] > 0
    messages = {d["message"] for d in driver["diagnostics"]}
    assert "B602" in {d["code"] for d in driver["diagnostics"]}  # bandit's evidence stays, not confirmed
    # the verifier confirmed one readability finding and rejected the other: a diagnostic, and a row on the board
    check = driver["board"]["verification"]
    [rejected] = check["rejected"]
    [kept] = {nit["title"], vague["title"]} - {rejected["title"]}
    assert (check["checked"], check["confirmed"], rejected["reason"]) == (2, 1, "it plainly returns cmd")
    assert f"readability: {kept}" in messages and f"readability: {rejected['title']}" not in messages
    ui = result["ui"]
    assert any(
        row.startswith("verification") and "2 checked · 1 confirmed · 1 rejected" in row for row in ui["boardRows"]
    )
    assert [row for row in ui["rejectedRows"] if rejected["title"] in row and "it plainly returns cmd" in row]


@pytest.mark.timeout(360)
def test_dismissing_asks_why_and_keeps_the_reason(tmp_path):
    result = run_vscode(tmp_path, "dismiss")
    driver = result["driver"]
    assert driver["command"] == "manyeyes.dismissFinding"  # the extension's, which asks before the server's runs
    assert result["click"]["typed"] == "cmd is a constant in this tool, never user input"
    assert "Why is this not a problem here?" in result["click"]["prompt"]
    assert "B602" not in {d["code"] for d in driver["diagnostics"]}
    record = driver["record"]
    assert (record["rule"], record["reason"]) == ("B602", "cmd is a constant in this tool, never user input")
    assert record["by"] and record["dismissed_at"] and record["concerns"] == ["security"]


A11Y_PROJECT = {
    "pyproject.toml": '[tool.manyeyes.concerns.accessibility]\nprompt = "a11y.md"\nrefactor-goal = "missing labels"\n',
    "a11y.md": "Look for user-facing text without a label a screen reader can read.",
}
UNLABELED = {
    "title": "Command run without a label",
    "severity": "low",
    "confidence": 0.7,
    "line": 4,
    "quote": "def run",
}


@pytest.mark.timeout(360)
def test_a_projects_own_concern_is_on_the_board_and_a_refactor_goal(tmp_path):
    with FakeProvider() as fake:
        fake.script("accessibility", Reply(findings=[UNLABELED]))
        settings = {
            "manyeyes.model": "openai/fake-model",
            "manyeyes.apiBase": fake.url,
            "manyeyes.apiKeyEnv": FAKE_KEY_ENV,
            "manyeyes.maxRetries": 0,
            "manyeyes.voting": "off",
        }
        result = run_vscode(tmp_path, "custom-concern", settings=settings, files=A11Y_PROJECT)
        asked = fake.requests_for("accessibility")
    driver, ui = result["driver"], result["ui"]
    assert asked and "without a label a screen reader" in asked[0]["messages"][1]["content"]
    agent = next(a for a in driver["board"]["agents"] if a["concern"] == "accessibility")
    assert agent["state"] == "done" and agent["findings"] == 1
    assert "accessibility: Command run without a label" in {d["message"] for d in driver["diagnostics"]}
    assert any(row.startswith("accessibility · app.py") for row in ui["boardRows"])  # a card in the rendered view
    assert driver["goals"] == ["all", "security", "performance", "readability", "tests", "accessibility"]


@pytest.mark.timeout(360)
def test_restart_show_logs_and_the_language_status_item(tmp_path):
    result = run_vscode(tmp_path, "controls", settings={"manyeyes.logLevel": "info"})
    driver, seen = result["driver"], result["click"]
    assert driver["first"].endswith("finding(s)") and driver["afterRestart"].endswith("finding(s)")  # a new server
    untitled = driver["untitled"]  # an unsaved buffer with no file: reviewed, its findings on its own URI
    assert untitled["uri"].startswith("untitled:") and "B602" in {d["code"] for d in untitled["diagnostics"]}
    # the server's own log at the level asked for, in the channel Show Logs opened (its last lines, as rendered)
    output = seen["output"].replace("\xa0", " ")
    assert "[info] manyeyes-lsp: INFO: manyeyes-review-1 started: file://" in output
    assert "manyeyes-lsp: INFO: manyeyes-review-1 ended: 3 finding(s)" in output
    status = seen["languageStatus"].replace("\xa0", " ")
    assert "manyeyes: 3 finding(s), $0.0000" in status and "server running" in status


def _python_without_manyeyes() -> str | None:
    """A Python 3.10+ that can make virtual environments and has no manyeyes: a machine where nothing is installed."""
    check = (
        "import importlib.util, sys, venv, ensurepip\n"
        "assert sys.version_info >= (3, 10) and importlib.util.find_spec('manyeyes') is None"
    )
    for python in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if (
            Path(python).exists()
            and subprocess.run([python, "-c", check], capture_output=True, cwd="/").returncode == 0
        ):
            return python
    return None


# A repository that puts its own `manyeyes` package at its root: `python -m manyeyes` started in the workspace
# would run it. The extension starts probes and the server in its own storage directory instead.
HOSTILE = "import pathlib\npathlib.Path(__file__).with_name('ran').write_text('the workspace ran code')\n"


@pytest.mark.timeout(720)
def test_first_start_installs_the_server_then_follows_the_python_extension(tmp_path):
    bare = _python_without_manyeyes()
    require_or_skip([] if bare else ["a Python 3.10+ with venv and without manyeyes (/usr/bin/python3)"])
    hostile = {"manyeyes/__init__.py": HOSTILE, "manyeyes/__main__.py": HOSTILE}
    result = run_vscode(
        tmp_path, "first-start", settings={"manyeyes.server.command": []}, files=hostile, python_extension=bare
    )
    driver = result["driver"]
    first, second = driver["first"], driver["second"]
    # no manyeyes in the Python extension's interpreter: the extension made its own environment from it
    assert "manyeyes 0.1.0 in its own environment" in first["server"] and "/envs/0.1.0-" in first["server"]
    assert {"B602", "E711"} <= {d["code"] for d in first["diagnostics"]}
    assert driver["activatedSeconds"] < 10 < driver["firstStartSeconds"]  # the install did not hold up activation
    # the user picks an interpreter that has manyeyes: the server restarts with it, and reviews
    assert second["server"] == f"server running: manyeyes 0.1.0 in {sys.executable}"
    assert {"B602", "E711"} <= {d["code"] for d in second["diagnostics"]}
    # a setting change restarts the server; the environment made at first start is reused, not made again
    assert "manyeyes 0.1.0 in its own environment" in driver["third"]["server"] and driver["third"]["seconds"] < 30
    assert not (tmp_path / "project" / "manyeyes" / "ran").exists()
    print(f"first start to first diagnostics: {driver['firstStartSeconds']:.0f} s")


@pytest.mark.timeout(360)
def test_a_multi_root_workspace_reviews_each_folder_with_its_own_settings(tmp_path):
    """Two folders in one .code-workspace, each with its own .vscode/settings.json: folder a reviews for security
    only, folder b for readability only and shows only high-severity findings."""
    files = {
        "project.code-workspace": json.dumps({"folders": [{"path": "a"}, {"path": "b"}]}),
        "a/.vscode/settings.json": json.dumps({"manyeyes.concerns": ["security"]}),
        "b/app.py": SOURCE + "\n\ndef unused(x):\n    return x == None\n",
        "b/.vscode/settings.json": json.dumps(
            {"manyeyes.concerns": ["security", "readability"], "manyeyes.minSeverity": "high"}
        ),
    }
    result = run_vscode(tmp_path, "multi-root", files=files, target="a/app.py", open_path="project.code-workspace")
    driver = result["driver"]
    assert driver["folders"] == ["a", "b"]
    a, b = driver["a"], driver["b"]
    assert a["concerns"] == ["security"] and b["concerns"] == ["readability", "security"]
    assert "E711" not in {d["code"] for d in a["diagnostics"]}  # a has no readability agent
    # b keeps only what is high or worse: the shell call, not the `== None` comparisons (low)
    assert {d["code"] for d in b["diagnostics"]} == {"B602"}


# A server that answers `initialize` and dies three seconds later, every time it is started.
DYING = (
    "import os, runpy, sys, threading; threading.Timer(3, os._exit, (3,)).start(); "
    "sys.argv = ['manyeyes', 'lsp']; runpy.run_module('manyeyes', run_name='__main__')"
)


@pytest.mark.timeout(360)
def test_a_server_that_keeps_crashing_is_restarted_four_times_then_reported_once(tmp_path):
    result = run_vscode(tmp_path, "crash", settings={"manyeyes.server.command": [sys.executable, "-c", DYING]})
    shown = result["click"]["notifications"]
    crashed = [text for text in shown if "crashed" in text]
    assert len(crashed) == 1 and "will not be restarted" in crashed[0]
    assert not [text for text in shown if "manyeyes" in text.lower() and text not in crashed]  # no other popup
    assert result["driver"]["status"] == 'server stopped: see "manyeyes: Show Logs"'
