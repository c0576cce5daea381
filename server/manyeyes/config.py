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
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import to_jsonable_python

from manyeyes.models import ALL_CONCERNS, Concern, Severity
from manyeyes.safety import reading

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


class ModelPrice(BaseModel):
    """A model's price in USD per million tokens, for models litellm has no price for (proxies, aliases) or where
    the user pays another one. cached_input: prompt tokens read from the provider's cache (None: input's price)."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)


class CustomConcern(BaseModel):
    """A concern a project (or the user) defines (concerns.py): `[tool.manyeyes.concerns.NAME]`."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1)  # the brief, a Markdown file: in the workspace (beside the user config)
    description: str = ""
    paths: list[str] = Field(default_factory=list)  # globs it applies to; empty: every file
    severity: Severity | None = None  # the most severe its findings may be
    refactor_goal: str | None = Field(  # what a refactor for it removes; none: not a refactor goal
        default=None, validation_alias=AliasChoices("refactor_goal", "refactor-goal", "refactorGoal")
    )
    enabled: bool = True
    # Who defined it, set by the settings loader whatever the file says: "user" (the user's config file) may name
    # a prompt anywhere; anything else is "project", read only inside a trusted workspace.
    origin: Literal["user", "project"] = "project"


ModelList = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=8)]
VoteCount = Annotated[int, Field(ge=1, le=9)]
VOTING_MODES = ("off", "escalate", "always")  # from the least to the most spent
DEFAULT_VOTES = 3


class Settings(BaseModel):
    # Which concerns run: the built-in four and any of custom_concerns (concerns.py). In a settings file, also a
    # table, `[tool.manyeyes.concerns.NAME]`, that defines a concern (or turns a built-in off: enabled = false).
    concerns: list[Concern] = Field(default_factory=lambda: list(ALL_CONCERNS))
    custom_concerns: dict[Concern, CustomConcern] = Field(default_factory=dict)
    model: str | None = None  # None: the offline panel reviews
    # Per concern, a model or a list of models, overriding `model`: the first reviews every task, each one is a
    # voter when a task gets more votes (consensus/), so a second model checks the first.
    models: dict[Concern, str | ModelList] = Field(default_factory=dict)
    # Consensus (consensus/, docs/consensus.md): the most voters a task gets, in all or per concern
    # ({"security": 5}), and when tasks vote: "escalate" (the first sample everywhere; a second voter only where a
    # finding is uncertain or the chunk risky, one more while the voters disagree, all within escalation_share of
    # the first round's tokens), "always" (every task all its voters), "off".
    votes: VoteCount | dict[Concern, VoteCount] = DEFAULT_VOTES
    voting: Literal["off", "escalate", "always"] = "escalate"
    escalation_share: float = Field(default=1.25, ge=0.0, le=10.0)
    verifier_model: str | None = None  # who checks findings no analyzer backs; never a finding's own finder
    api_base: str | None = None
    api_key_env: str | None = None  # name of the environment variable that holds the key
    prices: dict[str, ModelPrice] = Field(default_factory=dict)  # model string -> price (llm/client.py `_cost`)
    concurrency: int = Field(default=4, ge=1, le=64)
    task_timeout_s: float = Field(default=120.0, gt=0)
    run_deadline_s: float = Field(default=900.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    task_token_budget: int = Field(default=6000, ge=500)  # prompt tokens one agent may be sent
    run_token_budget: int = Field(default=500_000, ge=0)  # 0: unlimited
    max_cost_usd: float = Field(default=0.0, ge=0)  # the run's dollar budget, at the models' prices; 0: none
    max_completion_tokens: int = Field(default=2048, ge=64)
    chunk_lines: int = Field(default=150, ge=20)
    exclude: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDES))
    max_findings_per_file: int = Field(default=20, ge=1)
    min_severity: Severity = Severity.low
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)  # findings less certain than this are not shown
    severity_overrides: dict[str, Severity] = Field(default_factory=dict)  # rule id -> severity (synthesis/policy)
    model_may_drop_security: bool = False  # a security hit a model dismisses is demoted, not dropped, unless set
    max_file_lines: int = Field(default=10_000, ge=1)
    max_file_bytes: int = Field(default=1_500_000, ge=1)
    review_on_save: bool = False  # editor only: review a file when it is saved (debounced)
    verify_findings: bool = True  # model findings no analyzer backs get a second, skeptical look
    # A model's fix whose module has a related test file is offered only if that test still passes with it, run on a
    # scratch copy (rewrite/fixes.py). Never in an untrusted workspace: running a repository's tests runs its code.
    verify_fixes_with_tests: bool = False
    send_secret_files: bool = False  # .env, keys, credentials: never sent to a model unless set (safety/secret_files)
    thorough: bool = False  # every concern on every chunk: the planner's triage off (plan/triage.py)
    cache: bool = True  # model answers kept on disk by content, shared by the CLI and the editor (manyeyes/cache.py)
    cache_max_mb: int = Field(default=200, ge=1)
    # The project's instruction files (plan/instructions.py), read in a trusted workspace only: REVIEW.md and
    # .manyeyes/instructions/*.md, and with agent_instructions those other tools read (AGENTS.md, copilot's, Bugbot's)
    instructions: bool = True
    agent_instructions: bool = True
    stagger_fanout: bool = True  # a chunk's first agent goes first, the rest once it is accepted, to read its cache

    def model_for(self, concern: Concern) -> str | None:
        """The model of a concern's tasks (its first voter); None: the offline panel."""
        voters = self.voters_for(concern)
        return voters[0] if voters else None

    def voters_for(self, concern: Concern) -> list[str]:
        """The concern's models, in the order their votes are taken."""
        chosen = self.models.get(concern, self.model)
        if chosen is None:
            return []
        return [chosen] if isinstance(chosen, str) else list(chosen)

    def votes_for(self, concern: Concern) -> int:
        """How many voters a voting task of this concern gets (at least one per model listed for it)."""
        asked = _votes(self.votes, concern)
        return max(asked, len(self.voters_for(concern)))

    def all_models(self) -> set[str]:
        """Every model a review may call: the concerns' voters and the verifier."""
        models = {m for c in self.concerns for m in self.voters_for(c)}
        return models | ({self.verifier_model} if self.verifier_model and models else set())

    @property
    def offline(self) -> bool:
        return not self.model and not self.models


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
    running = list(_current(values, "concerns"))
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
        return any(_votes(value, c) > _votes(current, c) for c in ALL_CONCERNS)
    return value > current


def _votes(value: Any, concern: Concern) -> int:
    """A concern's votes from a `votes` value: one number for all, or per concern (JSON keys, or enum keys; a
    concern not listed has the default)."""
    if isinstance(value, dict):
        return value.get(concern, value.get(concern.value, DEFAULT_VOTES))
    return value


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
