from manyeyes.config import load_settings
from manyeyes.models import Concern, Severity

from tests.conftest import write


def test_defaults_are_offline_with_all_concerns(workspace):
    loaded = load_settings(workspace)
    assert loaded.settings.offline
    assert loaded.settings.concerns == list(Concern)
    assert loaded.warnings == []


def test_precedence_user_then_project_then_command_line(workspace, tmp_path):
    user = write(tmp_path, "user.toml", "concurrency = 2\nmax_findings_per_file = 12\nmin_severity = 'medium'\n")
    write(workspace, "pyproject.toml", "[tool.manyeyes]\nconcurrency = 1\nmax-findings-per-file = 7\n")
    write(workspace, ".manyeyes.toml", "max_findings_per_file = 9\n")
    settings = load_settings(workspace, {"concurrency": 5}, user_config=user).settings
    assert settings.concurrency == 5  # command line beats project
    assert settings.max_findings_per_file == 9  # .manyeyes.toml beats pyproject (both under the user's 12)
    assert settings.min_severity is Severity.medium  # user config beats defaults


def test_project_cannot_choose_where_code_goes(workspace, tmp_path):
    write(workspace, ".manyeyes.toml", "model = 'openai/gpt-4o'\napi_base = 'http://evil.example'\n")
    loaded = load_settings(workspace, user_config=tmp_path / "none.toml")
    assert loaded.settings.model is None and loaded.settings.api_base is None
    assert sum("can only be set in user config" in w for w in loaded.warnings) == 2


def test_user_config_and_environment_may_set_the_model(workspace, tmp_path, monkeypatch):
    user = write(tmp_path, "user.toml", "model = 'ollama/llama3'\n")
    assert load_settings(workspace, user_config=user).settings.model == "ollama/llama3"
    monkeypatch.setenv("MANYEYES_MODEL", "openai/gpt-4o-mini")
    assert load_settings(workspace, user_config=user).settings.model == "openai/gpt-4o-mini"


def test_invalid_values_warn_once_and_fall_back(workspace, tmp_path):
    write(
        workspace,
        "pyproject.toml",
        "[tool.manyeyes]\nconcurrency = 0\nconcerns = ['security', 'nope']\nbogus = 1\n",
    )
    loaded = load_settings(workspace, user_config=tmp_path / "none.toml")
    assert loaded.settings.concurrency == 4
    assert loaded.settings.concerns == list(Concern)
    assert len(loaded.warnings) == 3
    assert any("'concurrency'" in w and "using 4" in w for w in loaded.warnings)
    assert any("unknown setting 'bogus'" in w for w in loaded.warnings)


def test_broken_pyproject_is_a_warning_not_a_crash(workspace, tmp_path):
    write(workspace, "pyproject.toml", "[tool.manyeyes\nconcurrency = ")
    loaded = load_settings(workspace, user_config=tmp_path / "none.toml")
    assert loaded.settings.concurrency == 4
    assert len(loaded.warnings) == 1 and "cannot be read" in loaded.warnings[0]


def test_untrusted_workspace_settings_are_not_read(workspace, tmp_path):
    write(workspace, ".manyeyes.toml", "concurrency = 9\n")
    assert load_settings(workspace, trusted=False, user_config=tmp_path / "x.toml").settings.concurrency == 4


def test_project_files_may_lower_limits_but_never_raise_them(workspace, tmp_path):
    user = write(tmp_path, "user.toml", "task_timeout_s = 60\n")
    write(
        workspace,
        "pyproject.toml",
        "[tool.manyeyes]\nmax_completion_tokens = 200000\nrun_token_budget = 0\nmax_retries = 10\n"
        "concurrency = 64\ntask_timeout_s = 1e9\nmax_file_bytes = 1000\nchunk_lines = 40\n",
    )
    loaded = load_settings(workspace, user_config=user)
    settings = loaded.settings
    assert (settings.max_completion_tokens, settings.run_token_budget, settings.max_retries) == (2048, 500_000, 3)
    assert (settings.concurrency, settings.task_timeout_s) == (4, 60)  # the user's 60 s is the ceiling
    assert (settings.max_file_bytes, settings.chunk_lines) == (1000, 40)  # lowering is fine
    loosened = [w for w in loaded.warnings if "may only lower it" in w]
    assert len(loosened) == 5 and any("'run_token_budget' = 0" in w for w in loosened)


def test_unlimited_token_budget_from_the_user_lets_a_project_set_one(workspace, tmp_path):
    user = write(tmp_path, "user.toml", "run_token_budget = 0\n")
    write(workspace, ".manyeyes.toml", "run_token_budget = 1000\n")
    assert load_settings(workspace, user_config=user).settings.run_token_budget == 1000


def test_a_settings_file_that_is_a_device_or_points_outside_is_not_read(workspace, tmp_path):
    (workspace / "pyproject.toml").symlink_to("/dev/zero")
    outside = write(tmp_path, "outside.toml", "concurrency = 1\n")
    (workspace / ".manyeyes.toml").symlink_to(outside)
    loaded = load_settings(workspace, user_config=tmp_path / "none.toml")
    assert loaded.settings.concurrency == 4
    assert sum("cannot be read" in w for w in loaded.warnings) == 2
