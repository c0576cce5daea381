"""One model call through litellm: messages in, text plus what it cost out; failures as ModelCallError.

Every model call goes through `ModelClient.complete`, so it is where the content rules of safety/rules.py are
applied to every message, whatever its caller redacted: no caller can forget them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from manyeyes.config import Settings
from manyeyes.errors import ConfigError
from manyeyes.llm.errors import ModelCallError, classify
from manyeyes.llm.loader import load_litellm
from manyeyes.llm.retry import with_retries
from manyeyes.safety.rules import redact_messages


@dataclass
class ModelReply:
    text: str
    finish_reason: str
    refusal: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    retries: int = 0


class ModelClient:
    """Calls models as the settings say: endpoint and key from the user's settings or environment only."""

    def __init__(self, settings: Settings):
        self.settings = settings

    async def complete(self, model: str, messages: list[dict], *, schema: dict | None = None) -> ModelReply:
        """One answer; `schema` asks for structured output where the model supports it, JSON mode otherwise."""
        messages = redact_messages(messages)  # compiled regexes: about 0.5 ms for a 150-line chunk's prompt
        retries = 0

        def count_retry(_: ModelCallError) -> None:
            nonlocal retries
            retries += 1

        reply = await with_retries(
            lambda: self._call_once(model, messages, schema), self.settings.max_retries, count_retry
        )
        reply.retries = retries
        return reply

    async def _call_once(self, model: str, messages: list[dict], schema: dict | None) -> ModelReply:
        litellm = load_litellm()
        try:
            response = await litellm.acompletion(**self._arguments(litellm, model, messages, schema))
        except ModelCallError:
            raise
        except Exception as exc:  # litellm raises many types; classify() turns each into words
            raise classify(exc) from exc
        return _reply_of(litellm, model, response)

    def _arguments(self, litellm, model: str, messages: list[dict], schema: dict | None) -> dict:
        arguments = {
            "model": model,
            "messages": messages,
            "max_tokens": self.settings.max_completion_tokens,
            "timeout": self.settings.task_timeout_s,
            "max_retries": 0,  # the OpenAI SDK's own retries: off, we retry in one place (llm.retry)
            "num_retries": 0,
            "temperature": 0,
        }
        response_format = _response_format(litellm, model, schema)
        if response_format:
            arguments["response_format"] = response_format
        if self.settings.api_base:
            arguments["api_base"] = self.settings.api_base
        key = self._api_key()
        if key:
            arguments["api_key"] = key
        return arguments

    def _api_key(self) -> str | None:
        name = self.settings.api_key_env
        if not name:
            return None
        key = os.environ.get(name)
        if not key:
            raise ModelCallError("no API key", f"the environment variable {name} (api_key_env) is not set")
        return key


def check_model(model: str) -> None:
    """Raise ConfigError for a model string litellm cannot route to any provider."""
    litellm = load_litellm()
    try:
        litellm.get_llm_provider(model)
    except Exception:
        raise ConfigError(
            f"unknown model '{model}': use a litellm model string with its provider, such as "
            "'openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5' or 'ollama/llama3'"
        ) from None


def _response_format(litellm, model: str, schema: dict | None) -> dict | None:
    """A JSON schema where the model supports one, JSON mode where it supports that, else nothing (the prompt
    states the shape and the parser is lenient either way)."""
    if schema is None:
        return None
    try:
        if litellm.supports_response_schema(model=model):
            return {"type": "json_schema", "json_schema": {"name": "review_findings", "schema": schema}}
        if "response_format" in (litellm.get_supported_openai_params(model=model) or []):
            return {"type": "json_object"}
    except Exception:  # an unknown model: litellm cannot say what it supports
        return None
    return None


def _reply_of(litellm, model: str, response) -> ModelReply:
    choice = response.choices[0]
    message = choice.message
    refusal = getattr(message, "refusal", None) or (getattr(message, "provider_specific_fields", None) or {}).get(
        "refusal"
    )
    usage = getattr(response, "usage", None)
    prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
    completion_tokens = getattr(usage, "completion_tokens", 0) or 0
    return ModelReply(
        text=message.content or "",
        finish_reason=choice.finish_reason or "",
        refusal=refusal,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=_cost(litellm, model, prompt_tokens, completion_tokens),
    )


def _cost(litellm, model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """The price from litellm's bundled table; 0.0 for models it has no price for (local ones, proxies)."""
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
        return float(prompt_cost + completion_cost)
    except Exception:
        return 0.0
