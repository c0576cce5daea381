"""`manyeyes.health`: what `:checkhealth manyeyes` shows of the running server: its Python, the model or the
offline panel, a missing key, and the last review that could not run."""

import sys

import pytest

from tests.lsp.helpers import command, open_document
from tests.lsp.test_review_flow import SOURCE

MISSING = "MANYEYES_TEST_UNSET_KEY"


@pytest.fixture
def init_options():
    return {"settings": {"model": "openai/gpt-4o-mini", "apiKeyEnv": MISSING}}


@pytest.mark.asyncio
async def test_health_names_a_missing_key_and_the_last_error(client, ws):
    health = await command(client, "manyeyes.health")
    assert health["python"] == sys.version.split()[0] and health["trusted"] is True
    assert health["models"] == ["openai/gpt-4o-mini"] and health["lastError"] is None
    assert health["keyProblems"] == [
        f"no API key for openai/gpt-4o-mini: the environment variable {MISSING} (api_key_env) is not set"
    ]
    uri = open_document(client, ws / "app.py", SOURCE)  # code a model must read: the key is checked first
    started = await command(client, "manyeyes.review.file", uri)
    await client.boards.finished(started["reviewId"])
    health = await command(client, "manyeyes.health")
    assert health["lastError"].startswith(f"{started['reviewId']}: not reviewed: no API key for openai/gpt-4o-mini")
