"""Retries with backoff: the one place model calls are retried (litellm's and the SDK's own are off).

Retry-After from the provider is honoured; otherwise exponential backoff with jitter.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from manyeyes.llm.errors import ModelCallError

T = TypeVar("T")
BASE_DELAY_S = 0.5
MAX_DELAY_S = 30.0


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, MAX_DELAY_S)
    return min(BASE_DELAY_S * 2**attempt, MAX_DELAY_S) * (1 + random.random() / 4)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    max_retries: int,
    on_retry: Callable[[ModelCallError], None] | None = None,
) -> T:
    attempt = 0
    while True:
        try:
            return await call()
        except ModelCallError as exc:
            if not exc.retryable or attempt >= max_retries:
                if attempt:
                    exc.message += f" (after {attempt} retr{'y' if attempt == 1 else 'ies'})"
                raise
            if on_retry:
                on_retry(exc)
            await anyio.sleep(backoff_delay(attempt, exc.retry_after))
            attempt += 1
