"""A missing API key is the user's to fix: one clear message, not one per agent."""

import pytest

from tests.lsp.helpers import open_document, review_file
from tests.lsp.test_models_and_robustness import SOURCE


@pytest.fixture
def init_options(fake):
    return {"settings": {"model": "openai/fake-model", "apiBase": fake.url, "apiKeyEnv": "MANYEYES_TEST_UNSET_KEY"}}


@pytest.mark.asyncio
async def test_a_missing_api_key_is_shown_once_not_per_agent(client, ws, fake):
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await review_file(client, uri)
    # found before the fan-out: no agent started, nothing sent
    assert board["message"].startswith("not reviewed: no API key for openai/fake-model") and not board["agents"]
    assert fake.requests == []
    shown = [m.message for m in client.messages if "API key" in m.message]
    assert len(shown) == 1 and "MANYEYES_TEST_UNSET_KEY" in shown[0]
    await review_file(client, uri)
    assert len([m for m in client.messages if "API key" in m.message]) == 1
