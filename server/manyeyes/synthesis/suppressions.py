"""Dismissed findings, kept per workspace in .manyeyes/suppressions.jsonl (one JSON object a line).

The CLI and the editor read the same file, so a finding dismissed in one stays dismissed in the other.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from manyeyes.models import Finding

log = logging.getLogger(__name__)
SUPPRESSIONS_FILE = Path(".manyeyes") / "suppressions.jsonl"


def load_suppressions(workspace: Path) -> set[str]:
    path = workspace / SUPPRESSIONS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    fingerprints = set()
    for number, line in enumerate(lines, 1):
        try:
            fingerprints.add(str(json.loads(line)["fingerprint"]))
        except (ValueError, KeyError, TypeError):
            if line.strip():
                log.warning("%s:%d: not a suppression record; skipped", path, number)
    return fingerprints


def add_suppression(workspace: Path, finding: Finding) -> None:
    path = workspace / SUPPRESSIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "fingerprint": finding.fingerprint,
        "path": finding.path,
        "title": finding.title,
        "dismissed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
