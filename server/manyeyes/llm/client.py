"""One model call through litellm: messages in, text plus what it cost out; failures as ModelCallError.

Every model call goes through `ModelClient.complete`, so it is where the content rules of safety/rules.py are
applied to every message, whatever its caller redacted: no caller can forget them.

It is also where the prompt prefix the agents of a chunk share (the system message and the code with its context)
is marked cacheable, for the providers that cache only what a request marks (`cache_markers`), and where a reply's
cost is worked out, cached prompt tokens at the cached price (`_cost`). A cost is known or it is not: a price
found nowhere is reported as unknown, never as $0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from manyeyes.config import ModelPrice, Settings
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
    cost_usd: float  # at the prices found; 0.0 when none was (then cost_known is False): callers may add it up
    retries: int = 0
    cached_tokens: int = 0  # of prompt_tokens, read from the provider's prompt cache
    cost_known: bool = True  # False: no price for this model (neither `prices`, nor litellm's table, nor local)


# A message dict may say how many first characters of its (string) content are a prefix other requests share, the
# code and context every agent of a chunk is sent (agents/model.py `render_messages`). The client sends that prefix
# as its own content part, marked cacheable where the provider takes markers; the key itself is never sent.
SHARED_PREFIX = "shared_prefix_chars"
EPHEMERAL = {"type": "ephemeral"}
# Providers that cache a prompt prefix only where a request marks it (`cache_control` on content parts), and to
# which litellm passes the markers on: Anthropic's API, and Claude on Bedrock, Vertex AI and OpenRouter (the other
# models there have no markers or another mechanism). Everyone else gets plain content: OpenAI-style providers
# (OpenAI, Azure, DeepSeek, xAI, ...) cache long prefixes by themselves. Gemini is left out on purpose: litellm
# turns its markers into a separate cachedContents call that stores whole messages (billed by the hour) before
# each request, and Gemini 2.5 and later cache prefixes implicitly.
_MARKER_PROVIDERS = frozenset({"anthropic", "bedrock", "bedrock_converse", "vertex_ai", "vertex_ai_beta", "openrouter"})
# Self-hosted model servers: no bill per token, so a model of theirs costs 0 when no price is set. A loopback
# api_base alone does not make a model free: a LiteLLM proxy on localhost forwards to paid providers (set its
# models' prices in `prices`; a local OpenAI-compatible server, such as llama.cpp's, gets a price of 0 there).
LOCAL_PROVIDERS = frozenset(
    {"ollama", "ollama_chat", "lm_studio", "llamafile", "vllm", "hosted_vllm", "lemonade", "docker_model_runner"}
)


class ModelClient:
    """Calls models as the settings say: endpoint and key from the user's settings or environment only."""

    def __init__(self, settings: Settings):
        self.settings = settings

    async def complete(
        self, model: str, messages: list[dict], *, schema: dict | None = None, sample: int = 0
    ) -> ModelReply:
        """One answer; `schema` asks for structured output where the model supports it, JSON mode otherwise.
        `sample` > 0 asks for another independent sample of the same request (a vote): at VOTE_TEMPERATURE and,
        where the provider takes one, with that seed; sample 0 is the model's one answer, at temperature 0."""
        messages = with_cache_markers(messages, cache_markers(model))
        messages = redact_messages(messages)  # compiled regexes: about 0.5 ms for a 150-line chunk's prompt
        retries = 0

        def count_retry(_: ModelCallError) -> None:
            nonlocal retries
            retries += 1

        reply = await with_retries(
            lambda: self._call_once(model, messages, schema, sample), self.settings.max_retries, count_retry
        )
        reply.retries = retries
        return reply

    async def _call_once(self, model: str, messages: list[dict], schema: dict | None, sample: int) -> ModelReply:
        litellm = load_litellm()
        try:
            response = await litellm.acompletion(**self._arguments(litellm, model, messages, schema, sample))
        except ModelCallError:
            raise
        except Exception as exc:  # litellm raises many types; classify() turns each into words
            raise classify(exc) from exc
        return _reply_of(litellm, model, response, self.settings.prices.get(model))

    def _arguments(self, litellm, model: str, messages: list[dict], schema: dict | None, sample: int = 0) -> dict:
        arguments = {
            "model": model,
            "messages": messages,
            "max_tokens": self.settings.max_completion_tokens,
            "timeout": self.settings.task_timeout_s,
            "max_retries": 0,  # the OpenAI SDK's own retries: off, we retry in one place (llm.retry)
            "num_retries": 0,
            "temperature": 0,
            **_sampling(litellm, model, sample),
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


VOTE_TEMPERATURE = 0.8  # another sample must be able to differ; high enough for that, low enough to stay on task


def _sampling(litellm, model: str, sample: int) -> dict:
    """What makes sample k of a request its own: a temperature above zero, and the seed k where the provider
    takes seeds (then a repeated vote is reproducible too)."""
    if sample <= 0:
        return {}
    try:
        seeded = "seed" in (litellm.get_supported_openai_params(model=model) or [])
    except Exception:  # an unknown model: a seed it does not take would fail the call
        seeded = False
    return {"temperature": VOTE_TEMPERATURE, **({"seed": sample} if seeded else {})}


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


def _reply_of(litellm, model: str, response, price: ModelPrice | None) -> ModelReply:
    choice = response.choices[0]
    message = choice.message
    refusal = getattr(message, "refusal", None) or (getattr(message, "provider_specific_fields", None) or {}).get(
        "refusal"
    )
    usage = getattr(response, "usage", None)
    prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
    completion_tokens = getattr(usage, "completion_tokens", 0) or 0
    cached = min(_cached_tokens(usage), prompt_tokens)
    cost = _cost(litellm, model, usage, price, prompt_tokens, completion_tokens, cached)
    return ModelReply(
        text=message.content or "",
        finish_reason=choice.finish_reason or "",
        refusal=refusal,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost or 0.0,
        cached_tokens=cached,
        cost_known=cost is not None,
    )


def prompt_cost(settings: Settings, model: str, prompt_tokens: int) -> float | None:
    """What `prompt_tokens` of input cost with this model at the prices `_cost` uses; None when unknown."""
    litellm = load_litellm()
    return _cost(litellm, model, None, settings.prices.get(model), prompt_tokens, 0, 0)


def _cached_tokens(usage) -> int:
    """Prompt tokens read from the provider's cache: OpenAI's `prompt_tokens_details.cached_tokens` (litellm puts
    Anthropic's and DeepSeek's figures there too), else Anthropic's own `cache_read_input_tokens`."""
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    if not cached:
        cached = getattr(usage, "cache_read_input_tokens", None)
    return cached if isinstance(cached, int) and cached > 0 else 0


def _cost(litellm, model, usage, price, prompt_tokens: int, completion_tokens: int, cached: int) -> float | None:
    """What the call cost in USD, cached prompt tokens at the cached price; None when it cannot be known.

    The user's own price for the model string (`prices`, for proxies and aliases) comes first, then litellm's
    bundled table (which reads the cached and cache-write shares from the usage itself), then 0 for self-hosted
    providers (LOCAL_PROVIDERS). Anything else has no known price."""
    if price is not None:
        regular = prompt_tokens - cached  # cache writes (Anthropic's) are counted at the input price
        cached_price = price.input if price.cached_input is None else price.cached_input
        return (regular * price.input + cached * cached_price + completion_tokens * price.output) / 1_000_000
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            usage_object=usage if usage is not None and hasattr(usage, "prompt_tokens") else None,
        )
        return float(prompt_cost + completion_cost)
    except Exception:  # litellm has no price for the model
        return 0.0 if provider_of(litellm, model) in LOCAL_PROVIDERS else None


def provider_of(litellm, model: str) -> str | None:
    try:
        return litellm.get_llm_provider(model)[1]
    except Exception:
        return None


@lru_cache(maxsize=64)
def cache_markers(model: str) -> bool:
    """Whether requests to this model mark their shared prefix cacheable (see _MARKER_PROVIDERS): Claude models on
    providers that take explicit markers, unless litellm knows the model and says it has no prompt caching."""
    litellm = load_litellm()
    provider = provider_of(litellm, model)
    if provider not in _MARKER_PROVIDERS or (provider != "anthropic" and "claude" not in model.lower()):
        return False
    try:
        info = litellm.get_model_info(model)
    except Exception:  # newer than litellm's table: every Claude model of today caches
        return True
    return bool(info.get("supports_prompt_caching"))


def with_cache_markers(messages: list[dict], marked: bool) -> list[dict]:
    """The messages as they are sent (copies): a shared prefix (SHARED_PREFIX) its own content part, then the rest;
    with `marked`, `cache_control` on the system message and on the shared prefix. Unmarked, content stays as the
    caller wrote it: one string, the same bytes an OpenAI-style provider's automatic cache matches on."""
    sent = []
    for message in messages:
        message = dict(message)
        prefix = message.pop(SHARED_PREFIX, None)
        content = message.get("content")
        if marked and isinstance(content, str):
            if isinstance(prefix, int) and 0 < prefix < len(content):
                message["content"] = [_part(content[:prefix], cached=True), _part(content[prefix:])]
            elif message.get("role") == "system":
                message["content"] = [_part(content, cached=True)]
        sent.append(message)
    return sent


def _part(text: str, cached: bool = False) -> dict:
    return {"type": "text", "text": text, **({"cache_control": dict(EPHEMERAL)} if cached else {})}
