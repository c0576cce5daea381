"""The server's "review changes" in a hostile repository (tests/hostile_repo.py): git runs none of the repository's
programs, also for the editor's unsaved buffers (compared with git's version of the file)."""

import pytest

from tests.hostile_repo import CLEAN, MOD_NEW, build_hostile_repo
from tests.lsp.helpers import change_document, command, open_document

TYPED = "\n\ndef typed(x):\n    return exec(x)\n"  # unsaved in the editor


@pytest.mark.asyncio
async def test_review_changes_in_a_hostile_repository_runs_nothing(client, ws, tmp_path):
    repo = build_hostile_repo(ws, tmp_path / "scratch")
    mod = open_document(client, ws / "mod.py", MOD_NEW)  # listed by git, and its buffer differs from the disk
    change_document(client, mod, MOD_NEW + TYPED, version=2)
    clean = open_document(client, ws / "clean.py", CLEAN)  # unchanged for git: only the buffer differs
    change_document(client, clean, CLEAN + TYPED, version=2)
    started = await command(client, "manyeyes.review.changes")
    board = await client.boards.finished(started["reviewId"])
    assert repo.fired() == [], "\n".join(repo.fired())
    assert {a["target"].split(":")[0] for a in board["agents"]} == {"mod.py", "proc.py", "fresh.py", "clean.py"}
    mod_codes = {d.code for d in client.diagnostics[mod]}
    assert {"B307", "B102"} <= mod_codes and "B602" not in mod_codes  # the change and the buffer, not the rest
    assert "B102" in {d.code for d in client.diagnostics[clean]}
