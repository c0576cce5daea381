"""Loading litellm: lazily, once, with its network fetch and `.env` loading switched off first, and without the
memory it would spend on tables a review never reads.

`import litellm` takes seconds and, left to itself, fetches a price table from the network and loads a `.env`
file from the working directory into the environment, where a workspace's `.env` could redirect
OPENAI_API_BASE and send code and keys elsewhere. Nothing else in manyeyes imports litellm.

While it imports, litellm also builds tiktoken's cl100k_base encoding (about 45 MB resident) and keeps the parsed
Anthropic tokenizer JSON (about 13 MB of Python objects) that it has already serialised again. manyeyes takes
token counts from the provider's usage figures, so the encoding is handed out as a stand-in that builds the real
one the first time anything encodes with it, and the dead JSON is released (docs/benchmarks.md, memory).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

_lock = threading.Lock()
_module = None


def load_litellm():
    global _module
    with _lock:
        if _module is None:
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # the bundled price table, no fetch
            os.environ["LITELLM_MODE"] = "PRODUCTION"  # "DEV" (the default) loads ./.env
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            litellm = _import_with_lazy_encodings()
            litellm.suppress_debug_info = True  # it prints provider hints to stdout otherwise
            litellm.telemetry = False
            litellm.drop_params = True  # a provider that lacks a parameter (response_format) still answers
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx"):
                logging.getLogger(name).setLevel(logging.WARNING)
            _release_parsed_tokenizer_json()
            _module = litellm
    return _module


def _import_with_lazy_encodings():
    import tiktoken

    build = tiktoken.get_encoding
    tiktoken.get_encoding = lambda name: LazyEncoding(lambda: build(name))
    try:
        import litellm
    finally:
        tiktoken.get_encoding = build
    return litellm


def _release_parsed_tokenizer_json() -> None:
    """litellm.utils parses its Anthropic tokenizer file into `json_data` only to dump it to `claude_json_str`,
    which is what it uses; the parsed copy is dead weight."""
    import sys

    utils = sys.modules.get("litellm.utils")  # absent or renamed in another litellm: nothing to release
    if utils is not None:
        vars(utils).pop("json_data", None)


class LazyEncoding:
    """A tiktoken encoding that is built on first use; every attribute comes from the real one."""

    def __init__(self, build: Callable[[], object]):
        self._build = build
        self._real = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._real is not None

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy/pickle probes must not build the table
            raise AttributeError(name)
        with self._lock:
            if self._real is None:
                self._real = self._build()
        return getattr(self._real, name)
