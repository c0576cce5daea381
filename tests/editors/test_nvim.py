"""The Neovim plugin in a real headless Neovim: review -> diagnostics -> quick fix applied -> board shown.

Runs on Neovim 0.7 (Debian's, the vim.lsp.start_client path), on Neovim 0.10 (the vim.lsp.start path, found at
MANYEYES_NVIM_010) and on Debian testing's Neovim (0.12 when written: client methods take self, diagnostics are
pulled; found at MANYEYES_NVIM_TESTING); both built by editors/nvim/ci/build-neovim.sh.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from manyeyes.devtools.fake_provider import FakeProvider, Reply
from tests.editors import require_or_skip
from tests.lsp.conftest import FAKE_KEY_ENV
from tests.lsp.test_review_flow import SOURCE  # the file the server tests review, emoji line included

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache/manyeyes-e2e"
NVIM_010 = Path(os.environ.get("MANYEYES_NVIM_010", CACHE / "neovim/bin/nvim"))
NVIM_TESTING = Path(os.environ.get("MANYEYES_NVIM_TESTING", CACHE / "neovim-testing/bin/nvim"))
NEOVIMS = {
    "0.7": (shutil.which("nvim"), "Neovim 0.7 (apt-get install neovim)"),
    "0.10": (str(NVIM_010) if NVIM_010.exists() else None, "Neovim 0.10 (editors/nvim/ci/build-neovim.sh)"),
    "testing": (
        str(NVIM_TESTING) if NVIM_TESTING.exists() else None,
        "Debian testing's Neovim (editors/nvim/ci/build-neovim.sh DEST testing)",
    ),
}


@pytest.mark.parametrize("release", NEOVIMS)
def test_neovim_plugin_end_to_end(tmp_path, release):
    result = run_nvim(tmp_path, release)
    if release == "testing":
        assert tuple(map(int, result["version"].split("."))) >= (0, 11)
    else:
        assert result["version"] == release
    assert result["lsp_start"] == (release != "0.7")
    assert result["board_message"].endswith("finding(s)") and result["agents"] == 4
    codes = {d["code"] for d in result["diagnostics"]}
    assert {"B602", "E711"} <= codes and all(d["source"] == "manyeyes" for d in result["diagnostics"])
    shell = next(d for d in result["diagnostics"] if d["code"] == "B602")
    # vim.diagnostic columns are byte offsets: right only if the server's positions used the negotiated encoding
    assert shell["lnum"] == 4 and shell["col"] == len('    label = "😀 run"; '.encode("utf-8"))
    assert result["fixed_line"] == "    if cmd is None:"
    assert result["dismiss_prompt"] == "manyeyes: why is this not a problem here? "  # the Dismiss quick fix asks
    record = result["dismiss_record"]
    assert (record["rule"], record["reason"]) == ("B602", "cmd is a constant here, never user input")
    assert result["board_window"] and result["board_lines"][0].startswith("manyeyes manyeyes-review-")
    assert any("security" in line for line in result["board_lines"])
    assert result["cancel"] == {"agent": "t1", "cancelled": False}  # `x` asked the server; t1 had finished


def test_neovim_board_lists_what_verification_rejected(tmp_path):
    vague = {"title": "Say what run returns", "severity": "low", "confidence": 0.5, "line": 8, "quote": "return cmd"}
    verdicts = [{"id": "f1", "verdict": "rejected", "reason": "it plainly returns cmd"}]
    with FakeProvider() as fake:
        fake.script("readability", Reply(findings=[vague]))
        fake.script("verify", Reply(content=json.dumps({"verdicts": verdicts})))
        settings = {"model": "openai/fake-model", "apiBase": fake.url, "apiKeyEnv": FAKE_KEY_ENV, "maxRetries": 0}
        settings["thorough"] = True  # every agent asked, whatever the triage would spare
        result = run_nvim(tmp_path, "0.7", settings)
    # the other agents confirmed nothing, so the analyzers' hits stay, not confirmed (B602, E711, the test gap)
    assert result["board_message"] == "3 finding(s), 1 rejected by verification"
    lines = result["board_lines"]
    assert "verification: 1 checked, 0 confirmed, 1 rejected" in lines[-3]
    assert lines[-2] == "  rejected app.py:8 Say what run returns: it plainly returns cmd"
    assert result["opened"] == {"file": "app.py", "line": 8}  # <CR> on it in :ManyeyesBoard


def test_neovim_board_shows_a_projects_own_concern_and_offers_it_as_a_goal(tmp_path):
    project = {
        "pyproject.toml": '[tool.manyeyes.concerns.accessibility]\nprompt = "a11y.md"\nrefactor-goal = "labels"\n',
        "a11y.md": "Look for user-facing text without a label a screen reader can read.",
    }
    unlabeled = {
        "title": "Command run without a label",
        "severity": "low",
        "confidence": 0.7,
        "line": 4,
        "quote": "def run",
    }
    with FakeProvider() as fake:
        fake.script("accessibility", Reply(findings=[unlabeled]))
        settings = {"model": "openai/fake-model", "apiBase": fake.url, "apiKeyEnv": FAKE_KEY_ENV, "maxRetries": 0}
        settings["voting"] = "off"
        result = run_nvim(tmp_path, "0.7", settings, files=project)
        assert fake.requests_for("accessibility")
    [line] = [line for line in result["board_lines"] if " accessibility " in line]
    assert "app.py" in line and "done" in line and "1 findings" in line
    assert result["refactor_goals"] == ["all", "security", "performance", "readability", "tests", "accessibility"]


@pytest.mark.parametrize("release", NEOVIMS)
def test_neovim_commands_work_without_setup(tmp_path, release):
    result = run_nvim(tmp_path, release, script="nvim_commands.lua", on_startup_path=True)
    assert result["command"] and result["subcommands"] == [
        "board",
        "cancel",
        "changes",
        "refactor",
        "review",
        "selection",
    ]
    assert all(result["plug"].values()) and result["plug_visual"]
    assert result["board_message"].endswith("finding(s)")
    assert result["root_dir"] == str(tmp_path / "project")
    assert result["goals"] == ["all", "performance", "readability", "security", "tests"]  # from the server, sorted


def test_neovim_011_starts_the_server_with_vim_lsp_enable_and_checkhealth_sees_it(tmp_path):
    result = run_nvim(tmp_path, "testing", script="nvim_enable.lua")
    assert result["root_dir"] == str(tmp_path / "project") and result["board_handler"]
    assert result["board_message"].endswith("finding(s)") and result["clients"] == 1
    health = "\n".join(result["health"])
    assert "OK Neovim 0." in health and "vim.lsp.enable or setup()" in health
    assert "OK manyeyes 0.1.0" in health and f"rooted at {tmp_path / 'project'}" in health
    assert f"OK server 0.1.0 on Python {sys.version.split()[0]}" in health  # what the running server says
    assert "OK no model configured: the offline panel reviews" in health
    assert "ERROR" not in health


def run_nvim(
    tmp_path: Path,
    release: str,
    settings: dict | None = None,
    script: str = "nvim_e2e.lua",
    files: dict[str, str] | None = None,
    on_startup_path: bool = False,
) -> dict:
    """Runs a script of tests/editors (nvim_e2e.lua by default) in headless Neovim `release` on a copy of SOURCE
    (and `files`, by relative path); returns what it saw. `on_startup_path`: the plugin is on 'runtimepath' as
    Neovim starts (as a plugin manager puts it), with `manyeyes` on PATH."""
    nvim, missing = NEOVIMS[release]
    require_or_skip([] if nvim else [missing])
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()  # the plugin roots the server at the repository
    target = project / "app.py"
    target.write_text(SOURCE)
    for rel, text in (files or {}).items():
        (project / rel).write_text(text)
    out = tmp_path / "out.json"
    env = dict(
        os.environ,
        MANYEYES_PLUGIN=str(ROOT / "editors" / "nvim"),
        MANYEYES_PYTHON=sys.executable,
        MANYEYES_FILE=str(target),
        MANYEYES_OUT=str(out),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        MANYEYES_SETTINGS=json.dumps(settings or {}),
        **{FAKE_KEY_ENV: "sk-fake-nvim"},
    )
    startup = ["--cmd", f"set rtp^={ROOT / 'editors' / 'nvim'}"] if on_startup_path else []
    if on_startup_path:
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `manyeyes`, the default command
    proc = subprocess.run(
        [nvim, "--headless", "--clean", *startup, "-c", f"luafile {ROOT / 'tests/editors' / script}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.read_text())
    assert proc.returncode == 0, result.get("error") or proc.stderr
    return result


@pytest.mark.parametrize("release", NEOVIMS)
def test_checkhealth_names_the_server_and_the_path_the_plugin_takes(tmp_path, release):
    nvim, missing = NEOVIMS[release]
    require_or_skip([] if nvim else [missing])
    report = tmp_path / "health.txt"
    setup = f"lua require('manyeyes').setup({{ cmd = {{ '{sys.executable}', '-m', 'manyeyes', 'lsp' }} }})"
    commands = [f"set rtp^={ROOT / 'editors' / 'nvim'}", setup, "checkhealth manyeyes", f"write! {report}", "qall!"]
    args = [nvim, "--headless", "--clean"] + [part for command in commands for part in ("-c", command)]
    proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    text = report.read_text() if report.exists() else proc.stderr
    assert "manyeyes 0.1.0" in text and "ERROR" not in text, text
    expected = {"0.7": "vim.lsp.start_client", "0.10": "vim.lsp.start", "testing": "vim.lsp.enable or setup()"}
    assert f"starts the server with {expected[release]}" in text
