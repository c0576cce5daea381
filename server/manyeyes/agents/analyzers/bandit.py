"""Security: bandit over the scratch mirror, its issues as findings with their CWE."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from manyeyes.agents.analyzers.base import (
    PYTHON,
    SUBPROCESS_TIMEOUT_S,
    AnalyzerRun,
    Processes,
    Scratch,
    byte_col_to_char,
    make_finding,
)
from manyeyes.models import Concern, Severity, Span
from manyeyes.plan.context import is_test_path
from manyeyes.vocabulary import CWE_NAMES

_SEVERITY = {"HIGH": Severity.high, "MEDIUM": Severity.medium, "LOW": Severity.low}
_CONFIDENCE = {"HIGH": 0.9, "MEDIUM": 0.7, "LOW": 0.4}
# `assert` is how tests are written: B101 there is noise, not a finding.
TEST_CODE_RULES = {"B101"}
SHARD_MIN_CHARS = 150_000  # below this, one bandit process: a second one's start-up costs more than it saves
# Where bandit files a check under a broader or another weakness than the one it finds, the one it finds: eval
# and exec are not OS commands, MD5 is a weak hash rather than a broken cipher, autoescape off is cross-site
# scripting, yaml.load is deserialization, and the XML parsers' problem is entity expansion (lxml's, external
# entities). Synthesis merges overlapping findings that share a CWE: with bandit's, `os.system(eval(x))` would
# be one finding of two problems.
PRECISE_CWE = {
    "B307": "CWE-95",
    "B102": "CWE-95",
    "B303": "CWE-328",
    "B324": "CWE-328",
    "B701": "CWE-79",
    "B506": "CWE-502",
    **{f"B3{n}": "CWE-776" for n in range(13, 20)},
    "B320": "CWE-611",
}


class Bandit:
    name = "bandit"
    concerns = (Concern.security,)
    languages = PYTHON  # the languages it reads

    def run(self, scratch: Scratch) -> AnalyzerRun:
        files = [d for d in scratch.documents.values() if d.language == "python"]
        if not files:
            return AnalyzerRun()
        run = AnalyzerRun()
        for report in _run_sharded(files, scratch):
            if isinstance(report, str):
                return AnalyzerRun(failed=report)
            self._collect(scratch, report, run)
        return run

    def _collect(self, scratch: Scratch, report: dict, run: AnalyzerRun) -> None:
        for issue in report.get("results", []):
            finding = self._finding(scratch, issue)
            if finding is not None:
                run.findings.append(finding)
        for error in report.get("errors", []):
            rel = scratch.rel(error.get("filename", ""))
            if rel:
                run.problems.append(f"{rel}: bandit could not parse it ({error.get('reason', 'unknown error')})")

    def _finding(self, scratch: Scratch, issue: dict):
        rel = scratch.rel(issue.get("filename", ""))
        if rel is None or (issue.get("test_id") in TEST_CODE_RULES and is_test_path(rel)):
            return None
        document = scratch.documents[rel]
        lines = issue.get("line_range") or [issue["line_number"]]
        start, end = issue["line_number"], max(lines)
        text = document.lines[start - 1] if start <= len(document.lines) else ""
        end_text = document.lines[end - 1] if end <= len(document.lines) else ""
        end_byte = issue.get("end_col_offset") or 0
        span = Span(
            start_line=start,
            start_col=byte_col_to_char(text, issue.get("col_offset") or 0),
            end_line=end,
            end_col=byte_col_to_char(end_text, end_byte) if end_byte else 0,
        )
        given = issue.get("issue_cwe", {}).get("id")
        cwe = PRECISE_CWE.get(issue.get("test_id")) or (f"CWE-{given}" if given else None)
        return make_finding(
            document,
            source=self.name,
            concern=Concern.security,
            severity=_SEVERITY.get(issue.get("issue_severity", ""), Severity.low),
            confidence=_CONFIDENCE.get(issue.get("issue_confidence", ""), 0.5),
            title=_title(issue),
            explanation=_explanation(issue, cwe),
            span=span,
            rule=issue.get("test_id"),
            cwe=cwe,
            help_uri=issue.get("more_info"),
        )


# bandit's hard-coded password titles quote the password: "Possible hardcoded password: 'hunter2'".
_QUOTED_PASSWORD = re.compile(r"^(Possible hardcoded password): .*$", re.DOTALL)


def _title(issue: dict) -> str:
    """bandit's message, without the password it quotes: a report must never carry a secret."""
    text = issue.get("issue_text") or issue.get("test_name") or "security issue"
    return _QUOTED_PASSWORD.sub(r"\1", text)


def _explanation(issue: dict, cwe: str | None) -> str:
    """What is wrong, in words: the weakness bandit's rule is about, and its check's name when it has its own."""
    weakness = f"{CWE_NAMES[cwe]} ({cwe})." if cwe in CWE_NAMES else ""
    check = issue.get("test_name", "")
    named = f" bandit's check: {check.replace('_', ' ')}." if check and check != "blacklist" else ""
    return (weakness + named).strip()


def _run_sharded(files: list, scratch: Scratch) -> list[dict | str]:
    """bandit is single-threaded and the slowest analyzer: large reviews are split across the cores, balanced by
    size, one bandit process per shard. Returns each shard's report, or a failure message."""
    shards = _shards(sorted(files, key=lambda d: -len(d.text)), os.cpu_count() or 1)
    flags = () if scratch.trusted else ("--ignore-nosec",)  # a repository must not silence its reviewer
    processes = [
        scratch.processes.start(
            [sys.executable, "-m", "bandit", "-f", "json", "-q", *flags, *[d.path for d in shard]], scratch.root
        )
        for shard in shards
    ]
    return [_report_of(scratch.processes, process) for process in processes]


def _shards(files: list, cores: int) -> list[list]:
    """Greedy balance by text size; a small review stays in one process (start-up costs more than it saves)."""
    total = sum(len(d.text) for d in files)
    count = max(1, min(cores, 4, total // SHARD_MIN_CHARS))
    shards: list[list] = [[] for _ in range(count)]
    sizes = [0] * count
    for document in files:
        smallest = sizes.index(min(sizes))
        shards[smallest].append(document)
        sizes[smallest] += len(document.text)
    return [shard for shard in shards if shard]


def _report_of(processes: Processes, process: subprocess.Popen) -> dict | str:
    try:
        stdout, stderr = processes.finish(process, SUBPROCESS_TIMEOUT_S)
        return json.loads(stdout)
    except subprocess.TimeoutExpired:
        return f"bandit did not finish within {SUBPROCESS_TIMEOUT_S}s"
    except json.JSONDecodeError:
        return f"bandit did not run: {stderr.strip()[-300:] or 'no output'}"
