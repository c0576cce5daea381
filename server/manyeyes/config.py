"""Settings: one typed model, and the one order in which its sources are merged.

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

from manyeyes.models import ALL_CONCERNS, Concern, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDES = [
    "**/.git/**",
    "**/.venv/**",
    "**/venv/**",
    "**/node_modules/**",
    "**/__pycache__/**",
    "**/.mypy_cache/**",
    "**/.ruff_cache/**",
    "**/build/**",
    "**/dist/**",
    "**/*.min.js",
]


class Settings(BaseModel):
    concerns: list[Concern] = Field(default_factory=lambda: list(ALL_CONCERNS))
    model: str | None = None  # None: the offline panel reviews
    models: dict[Concern, str] = Field(default_factory=dict)  # per-concern model, overrides `model`
    api_base: str | None = None
    api_key_env: str | None = None  # name of the environment variable that holds the key
    concurrency: int = Field(default=4, ge=1, le=64)
    task_timeout_s: float = Field(default=120.0, gt=0)
    run_deadline_s: float = Field(default=900.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    task_token_budget: int = Field(default=6000, ge=500)  # prompt tokens one agent may be sent
    run_token_budget: int = Field(default=500_000, ge=0)  # 0: unlimited
    max_completion_tokens: int = Field(default=2048, ge=64)
    chunk_lines: int = Field(default=150, ge=20)
    exclude: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDES))
    max_findings_per_file: int = Field(default=20, ge=1)
    min_severity: Severity = Severity.low
    max_file_lines: int = Field(default=10_000, ge=1)
    max_file_bytes: int = Field(default=1_500_000, ge=1)
    review_on_save: bool = False  # editor only: review a file when it is saved (debounced)
    verify_findings: bool = True  # model findings no analyzer backs get a second, skeptical look

    def model_for(self, concern: Concern) -> str | None:
        return self.models.get(concern, self.model)

    @property
    def offline(self) -> bool:
        return not self.model and not self.models


# Keys a workspace file may never set: they decide where code and keys go.
USER_ONLY_KEYS = frozenset({"model", "models", "api_base", "api_key_env"})

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
    for source, layer, from_project in layers:
        _merge_layer(values, layer, source, from_project, warnings)
    return LoadedSettings(settings=Settings(**values), warnings=warnings)


def _merge_layer(values: dict, layer: dict, source: str, from_project: bool, warnings: list[str]) -> None:
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
            values[key] = _validate_value(key, raw_value)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            warnings.append(f"{source}: invalid value for '{raw_key}' ({reason}); using {_current(values, key)!r}")


def _validate_value(key: str, value: Any) -> Any:
    # Assignment validation applies the field's type and its constraints (ge, le, ...) to this key alone.
    probe = Settings()
    Settings.__pydantic_validator__.validate_assignment(probe, key, value)
    return getattr(probe, key)


def _current(values: dict, key: str) -> Any:
    value = values[key] if key in values else Settings.model_fields[key].get_default(call_default_factory=True)
    return to_jsonable_python(value)


def _read_toml(path: Path, warnings: list[str]) -> dict | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return None
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        warnings.append(f"{path}: cannot be read ({exc}); its settings are ignored")
        return None


def _read_user_layer(path: Path, warnings: list[str]) -> dict:
    data = _read_toml(path, warnings) or {}
    return _as_table(data, str(path), warnings)


def _read_env_layer() -> dict:
    return {key: os.environ[name] for name, key in ENV_KEYS.items() if os.environ.get(name)}


def _read_project_layers(workspace: Path, warnings: list[str]) -> list[tuple[str, dict]]:
    layers = []
    pyproject = _read_toml(workspace / "pyproject.toml", warnings)
    if pyproject is not None:
        table = pyproject.get("tool", {}).get("manyeyes", {}) if isinstance(pyproject.get("tool"), dict) else {}
        layers.append(("pyproject.toml [tool.manyeyes]", _as_table(table, "pyproject.toml", warnings)))
    dotfile = _read_toml(workspace / ".manyeyes.toml", warnings)
    if dotfile is not None:
        layers.append((".manyeyes.toml", _as_table(dotfile, ".manyeyes.toml", warnings)))
    return layers


def _as_table(data: Any, source: str, warnings: list[str]) -> dict:
    if isinstance(data, dict):
        return data
    warnings.append(f"{source}: [tool.manyeyes] must be a table; ignored")
    return {}
