"""The one order in which the sources of settings are merged.

Precedence, lowest first:

    defaults < user config (file, then MANYEYES_* environment) < project (pyproject.toml [tool.manyeyes],
    then .manyeyes.toml) < editor / command line

Each key of each source is validated on its own: a bad value produces one warning naming the source and the key,
and the value from the lower layer stays. Keys that decide where code is sent (model, endpoint, key) are ignored
when a project file sets them: a cloned repository must not be able to send its reader's code anywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import to_jsonable_python

from manyeyes.config.schema import VOTING_MODES, CustomConcern, Settings, votes_of
from manyeyes.models import ALL_CONCERNS, Concern
from manyeyes.safety import reading

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# Keys a workspace file may never set: they decide where code and keys go. And `prices`: what a review is shown to
# cost must be the user's word, never a cloned repository's (which could make an expensive model look cheap; it
# does not choose the model either). `thorough` spends the reader's tokens; the answer cache is the user's disk
# (a repository must not keep answers the user chose not to keep, nor shrink the cache every project shares).
# `verify_fixes_with_tests` runs the repository's own tests: only its reader may decide that.
USER_ONLY_KEYS = frozenset(
    {
        "model",
        "models",
        "api_base",
        "api_key_env",
        "send_secret_files",
        "prices",
        "thorough",
        "cache",
        "cache_max_mb",
        "verify_fixes_with_tests",
        "verifier_model",
    }
)
# Limits a workspace file may lower but never raise: a cloned repository must not be able to spend its reader's
# tokens, time or machine. For run_token_budget and max_cost_usd, 0 means unlimited, the loosest value of all.
LIMIT_KEYS = frozenset(
    {
        "concurrency",
        "task_timeout_s",
        "run_deadline_s",
        "max_retries",
        "task_token_budget",
        "run_token_budget",
        "max_cost_usd",
        "max_completion_tokens",
        "chunk_lines",
        "max_findings_per_file",
        "max_file_lines",
        "max_file_bytes",
        "votes",
        "voting",
        "escalation_share",
    }
)
UNLIMITED_WHEN_ZERO = frozenset({"run_token_budget", "max_cost_usd"})
MAX_SETTINGS_FILE_BYTES = 1_000_000

ENV_KEYS = {"MANYEYES_MODEL": "model", "MANYEYES_API_BASE": "api_base", "MANYEYES_API_KEY_ENV": "api_key_env"}


class LoadedSettings(BaseModel):
    settings: Settings
    warnings: list[str] = Field(default_factory=list)


def user_config_path() -> Path:
    explicit = os.environ.get("MANYEYES_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "manyeyes" / "config.toml"


def load_settings(
    workspace: Path | None,
    overrides: dict[str, Any] | None = None,
    *,
    trusted: bool = True,
    user_config: Path | None = None,
) -> LoadedSettings:
    """Merge every source in order. Never raises for bad content: problems become warnings."""
    warnings: list[str] = []
    values: dict[str, Any] = {}
    layers = [("user config", _read_user_layer(user_config or user_config_path(), warnings), False)]
    layers.append(("environment", _read_env_layer(), False))
    if workspace is not None and trusted:
        layers.extend((name, layer, True) for name, layer in _read_project_layers(workspace, warnings))
    layers.append(("command line", overrides or {}, False))
    ceiling: dict[str, Any] | None = None  # what the user and the defaults set: project files may only go below
    for source, layer, from_project in layers:
        if from_project and ceiling is None:
            ceiling = dict(values)
        origin = "user" if source == "user config" else "project"
        layer = _with_concern_definitions(layer, values, source, origin, warnings)
        _merge_layer(values, layer, source, ceiling if from_project else None, warnings)
    return LoadedSettings(settings=Settings(**values), warnings=warnings)


def _with_concern_definitions(layer: dict, values: dict, source: str, origin: str, warnings: list[str]) -> dict:
    """A layer whose `concerns` is a table of definitions, as the plain keys `concerns` (which run) and
    `custom_concerns` (what they are); the origin of every definition is the layer's, whatever it says."""
    table, defined = layer.get("concerns"), layer.get("custom_concerns")
    if not isinstance(table, dict) and not isinstance(defined, dict):
        return layer
    # A layer may also list which run (an editor sends `concerns` beside `customConcerns`): that list is the start,
    # and the concerns this layer defines join it as their `enabled` says.
    listed = layer.get("concerns")
    running = list(listed) if isinstance(listed, list) else list(_current(values, "concerns"))
    definitions = dict(values.get("custom_concerns", {}))
    entries = {**(defined if isinstance(defined, dict) else {}), **(table if isinstance(table, dict) else {})}
    for name, entry in entries.items():
        _define_concern(str(name), entry, running, definitions, f"{source}: concern '{name}'", origin, warnings)
    rest = {k: v for k, v in layer.items() if k not in ("concerns", "custom_concerns")}
    return {**rest, "concerns": running, "custom_concerns": definitions}


def _define_concern(name, entry, running: list, definitions: dict, where: str, origin: str, warnings) -> None:
    try:
        concern = Concern(name)
    except ValueError as exc:
        warnings.append(f"{where}: {exc}; ignored")
        return
    if concern.built_in:
        if not isinstance(entry, dict) or set(entry) - {"enabled"}:
            warnings.append(f"{where}: a built-in concern; only 'enabled' can be set for it; ignored")
        elif entry.get("enabled") is False and concern.value in running:
            running.remove(concern.value)
        return
    try:
        definition = CustomConcern.model_validate({**(entry if isinstance(entry, dict) else {}), "origin": origin})
    except ValidationError as exc:
        error = exc.errors()[0]
        warnings.append(f"{where}: {'.'.join(map(str, error['loc']))}: {error['msg']}; ignored")
        return
    definitions[concern.value] = definition
    if definition.enabled and concern.value not in running:
        running.append(concern.value)


def _unknown_concerns(running: list[Concern], values: dict, layer: dict) -> list[str]:
    """Concerns named to run that are neither built in nor defined (below, or in the same layer)."""
    defined = {str(name) for name in {**values.get("custom_concerns", {}), **(layer.get("custom_concerns") or {})}}
    return [c.value for c in running if not c.built_in and c.value not in defined]


def _merge_layer(values: dict, layer: dict, source: str, ceiling: dict | None, warnings: list[str]) -> None:
    """Merge one source's keys into values; `ceiling` is given for project files, which may only tighten."""
    from_project = ceiling is not None
    for raw_key, raw_value in layer.items():
        key = raw_key.replace("-", "_")
        if key not in Settings.model_fields:
            warnings.append(f"{source}: unknown setting '{raw_key}' ignored")
            continue
        if from_project and key in USER_ONLY_KEYS:
            warnings.append(
                f"{source}: '{raw_key}' can only be set in user config, the environment or the command line; ignored"
            )
            continue
        try:
            value = _validate_value(key, raw_value)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            warnings.append(f"{source}: invalid value for '{raw_key}' ({reason}); using {_current(values, key)!r}")
            continue
        unknown = _unknown_concerns(value, values, layer) if key == "concerns" else []
        if unknown:
            warnings.append(
                f"{source}: unknown concern(s) {', '.join(unknown)} in '{raw_key}' (a project may define its own: "
                f"docs/configuration.md); using {_current(values, key)!r}"
            )
            continue
        if from_project and _loosens(key, value, ceiling):
            warnings.append(
                f"{source}: '{raw_key}' = {value!r} would raise a limit above {_current(ceiling, key)!r}; "
                "a project may only lower it; ignored"
            )
            continue
        values[key] = value


def _loosens(key: str, value: Any, ceiling: dict) -> bool:
    """A project value that would raise one of the limits above what the user or the defaults set."""
    if key not in LIMIT_KEYS:
        return False
    current = _current(ceiling, key)
    if key in UNLIMITED_WHEN_ZERO:
        return current != 0 and (value == 0 or value > current)
    if key == "voting":
        return VOTING_MODES.index(value) > VOTING_MODES.index(current)
    if key == "votes":
        return any(votes_of(value, c) > votes_of(current, c) for c in ALL_CONCERNS)
    return value > current


def _validate_value(key: str, value: Any) -> Any:
    # Assignment validation applies the field's type and its constraints (ge, le, ...) to this key alone.
    probe = Settings()
    Settings.__pydantic_validator__.validate_assignment(probe, key, value)
    return getattr(probe, key)


def _current(values: dict, key: str) -> Any:
    value = values[key] if key in values else Settings.model_fields[key].get_default(call_default_factory=True)
    return to_jsonable_python(value)


def _read_toml(path: Path, warnings: list[str], root: Path | None = None) -> dict | None:
    """A settings file's table; None when it does not exist. `root`: the file must lie inside it (project files)."""
    try:
        return tomllib.loads(reading.read_text(path, MAX_SETTINGS_FILE_BYTES, root))
    except reading.Missing:
        return None
    except reading.Unreadable as exc:
        warnings.append(f"{path}: cannot be read ({exc.reason}); its settings are ignored")
    except tomllib.TOMLDecodeError as exc:
        warnings.append(f"{path}: cannot be read ({exc}); its settings are ignored")
    return None


def _read_user_layer(path: Path, warnings: list[str]) -> dict:
    data = _read_toml(path, warnings) or {}
    return _as_table(data, str(path), warnings)


def _read_env_layer() -> dict:
    return {key: os.environ[name] for name, key in ENV_KEYS.items() if os.environ.get(name)}


def _read_project_layers(workspace: Path, warnings: list[str]) -> list[tuple[str, dict]]:
    layers = []
    pyproject = _read_toml(workspace / "pyproject.toml", warnings, workspace)
    if pyproject is not None:
        table = pyproject.get("tool", {}).get("manyeyes", {}) if isinstance(pyproject.get("tool"), dict) else {}
        layers.append(("pyproject.toml [tool.manyeyes]", _as_table(table, "pyproject.toml", warnings)))
    dotfile = _read_toml(workspace / ".manyeyes.toml", warnings, workspace)
    if dotfile is not None:
        layers.append((".manyeyes.toml", _as_table(dotfile, ".manyeyes.toml", warnings)))
    return layers


def _as_table(data: Any, source: str, warnings: list[str]) -> dict:
    if isinstance(data, dict):
        return data
    warnings.append(f"{source}: [tool.manyeyes] must be a table; ignored")
    return {}
