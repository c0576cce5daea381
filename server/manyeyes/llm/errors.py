"""How a model call can fail, in words a user can act on."""

from __future__ import annotations

KEY_REJECTED = "authentication failed"  # how a 401 or 403 is worded: front ends and the fan-out recognise it


class ModelCallError(Exception):
    """A failed model call. `retryable` failures are retried (in llm.retry, and only there)."""

    def __init__(self, kind: str, message: str, *, retryable: bool = False, retry_after: float | None = None):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


def classify(exc: Exception) -> ModelCallError:
    """A litellm (or transport) exception as a ModelCallError; unknown exceptions are not retried."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    text = _short(str(exc))
    if name == "RateLimitError" or status == 429:
        return ModelCallError("rate limited (HTTP 429)", text, retryable=True, retry_after=_retry_after(exc))
    if name in ("Timeout", "APITimeoutError") or status == 408:
        return ModelCallError("timed out", text, retryable=True)
    if name == "AuthenticationError" or status in (401, 403):
        return ModelCallError(f"{KEY_REJECTED} (check the API key)", text)
    if name == "NotFoundError" or status == 404:
        return ModelCallError("model or endpoint not found", text)
    if name == "ContextWindowExceededError":
        return ModelCallError("prompt too long for the model", text)
    if name == "ContentPolicyViolationError":
        return ModelCallError("refused by the provider's content policy", text)
    if name == "APIConnectionError":
        return ModelCallError("cannot reach the provider", text, retryable=True)
    if "Expecting value" in text or "JSONDecodeError" in text:
        return ModelCallError("malformed response from the provider", text, retryable=True)
    if name in ("InternalServerError", "ServiceUnavailableError", "BadGatewayError") or (status or 0) >= 500:
        return ModelCallError(f"provider error (HTTP {status or 500})", text, retryable=True)
    if name == "BadRequestError" or status == 400:
        return ModelCallError("request rejected by the provider", text)
    return ModelCallError("model call failed", f"{name}: {text}")


def _retry_after(exc: Exception) -> float | None:
    for headers in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    ):
        value = headers.get("retry-after") if headers else None
        if value:
            try:
                return max(float(value), 0.0)
            except ValueError:
                return None  # an HTTP date: fall back to our own backoff
    return None


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    for prefix in ("litellm.", "OpenAIException - "):
        text = text.replace(prefix, "")
    return text if len(text) <= limit else text[: limit - 1] + "…"
