"""Whether each model of a review has its key (and, under a dollar budget, a price), checked once before any
request is sent.

A missing key is the user's to fix: one message before the fan-out, not "no API key" (or a provider's 401 after
retries) from every agent. The check reads only the environment: the variable `api_key_env` names, or the ones
litellm knows the provider reads. Providers that authenticate in other ways (cloud credentials files, instance
roles, a local server) are not checked here: their failures still come back from the first call.
"""

from __future__ import annotations

import os

from manyeyes.config import Settings
from manyeyes.errors import ConfigError
from manyeyes.llm.client import LOCAL_PROVIDERS, prompt_cost, provider_of
from manyeyes.llm.loader import load_litellm

# Credentials from files, roles or metadata servers: an empty environment proves nothing.
_OTHER_CREDENTIALS = frozenset({"bedrock", "sagemaker", "vertex_ai", "vertex_ai_beta", "azure", "watsonx"})


class MissingKeyError(ConfigError):
    """No key for a model the review would call."""


def check_keys(settings: Settings, models: set[str]) -> None:
    """Raise MissingKeyError, naming every variable to set, when a model cannot have a key."""
    problems = [problem for model in sorted(models) if (problem := missing_key(settings, model))]
    if problems:
        raise MissingKeyError("; ".join(problems) + " (nothing was sent)")


def missing_key(settings: Settings, model: str) -> str | None:
    if settings.api_key_env:
        if os.environ.get(settings.api_key_env):
            return None
        return f"no API key for {model}: the environment variable {settings.api_key_env} (api_key_env) is not set"
    if settings.api_base:
        return None  # a proxy or a local server: it may need no key, and a wrong one fails on the first call
    litellm = load_litellm()
    if provider_of(litellm, model) in LOCAL_PROVIDERS | _OTHER_CREDENTIALS:
        return None
    try:
        found = litellm.validate_environment(model=model)
    except Exception:  # a provider litellm cannot check: the first call will say
        return None
    if found.get("keys_in_environment") or not found.get("missing_keys"):
        return None
    names = " or ".join(found["missing_keys"])
    return f"no API key for {model}: set {names}, or name the variable that holds it in api_key_env"


def check_prices(settings: Settings, models: set[str]) -> None:
    """A dollar budget cannot be kept for a model with no known price: say so before anything is spent."""
    unpriced = sorted(model for model in models if prompt_cost(settings, model, 1000) is None)
    if unpriced:
        raise ConfigError(
            f"max_cost_usd cannot be kept: no price for {', '.join(unpriced)} (give one in the prices setting, "
            "docs/configuration.md; nothing was sent)"
        )
