"""Settings: every setting of a review, typed, with its default and its bounds (docs/configuration.md)."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from manyeyes.models import ALL_CONCERNS, Concern, Severity

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

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
        asked = votes_of(self.votes, concern)
        return max(asked, len(self.voters_for(concern)))

    def all_models(self) -> set[str]:
        """Every model a review may call: the concerns' voters and the verifier."""
        models = {m for c in self.concerns for m in self.voters_for(c)}
        return models | ({self.verifier_model} if self.verifier_model and models else set())

    @property
    def offline(self) -> bool:
        return not self.model and not self.models


def votes_of(value: Any, concern: Concern) -> int:
    """A concern's votes from a `votes` value: one number for all, or per concern (JSON keys, or enum keys; a
    concern not listed has the default)."""
    if isinstance(value, dict):
        return value.get(concern, value.get(concern.value, DEFAULT_VOTES))
    return value
