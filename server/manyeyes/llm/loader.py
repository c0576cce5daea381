"""Loading litellm: lazily, once, with its network fetch and `.env` loading switched off first.

`import litellm` takes seconds and, left to itself, fetches a price table from the network and loads a `.env`
file from the working directory into the environment, where a workspace's `.env` could redirect
OPENAI_API_BASE and send code and keys elsewhere. Nothing else in manyeyes imports litellm.
"""

from __future__ import annotations

import logging
import os
import threading

_lock = threading.Lock()
_module = None


def load_litellm():
    global _module
    with _lock:
        if _module is None:
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # the bundled price table, no fetch
            os.environ["LITELLM_MODE"] = "PRODUCTION"  # "DEV" (the default) loads ./.env
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            import litellm

            litellm.suppress_debug_info = True  # it prints provider hints to stdout otherwise
            litellm.telemetry = False
            litellm.drop_params = True  # a provider that lacks a parameter (response_format) still answers
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx"):
                logging.getLogger(name).setLevel(logging.WARNING)
            _module = litellm
    return _module
