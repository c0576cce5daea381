"""Security: bandit over the scratch mirror, its issues as findings with their CWE."""

from __future__ import annotations

import json
import sys

from manyeyes.agents.analyzers.base import AnalyzerRun, Scratch, byte_col_to_char, make_finding, run_tool
from manyeyes.models import Concern, Severity, Span

_SEVERITY = {"HIGH": Severity.high, "MEDIUM": Severity.medium, "LOW": Severity.low}
_CONFIDENCE = {"HIGH": 0.9, "MEDIUM": 0.7, "LOW": 0.4}


class Bandit:
    name = "bandit"
    concerns = (Concern.security,)

    def run(self, scratch: Scratch) -> AnalyzerRun:
        if not any(d.language == "python" for d in scratch.documents.values()):
            return AnalyzerRun()
        proc = run_tool([sys.executable, "-m", "bandit", "-f", "json", "-q", "-r", "."], cwd=scratch.root)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            return AnalyzerRun(failed=f"bandit did not run: {proc.stderr.strip()[-300:] or 'no output'}")
        run = AnalyzerRun()
        for issue in report.get("results", []):
            finding = self._finding(scratch, issue)
            if finding is not None:
                run.findings.append(finding)
        for error in report.get("errors", []):
            rel = scratch.rel(error.get("filename", ""))
            if rel:
                run.problems.append(f"{rel}: bandit could not parse it ({error.get('reason', 'unknown error')})")
        return run

    def _finding(self, scratch: Scratch, issue: dict):
        rel = scratch.rel(issue.get("filename", ""))
        if rel is None:
            return None
        document = scratch.documents[rel]
        lines = issue.get("line_range") or [issue["line_number"]]
        start, end = issue["line_number"], max(lines)
        text = document.lines[start - 1] if start <= len(document.lines) else ""
        end_text = document.lines[end - 1] if end <= len(document.lines) else ""
        end_byte = issue.get("end_col_offset") or 0
        span = Span(
            start_line=start, start_col=byte_col_to_char(text, issue.get("col_offset") or 0),
            end_line=end, end_col=byte_col_to_char(end_text, end_byte) if end_byte else 0,
        )
        cwe = issue.get("issue_cwe", {}).get("id")
        return make_finding(
            document, source=self.name, concern=Concern.security,
            severity=_SEVERITY.get(issue.get("issue_severity", ""), Severity.low),
            confidence=_CONFIDENCE.get(issue.get("issue_confidence", ""), 0.5),
            title=issue.get("issue_text", issue.get("test_name", "security issue")),
            explanation=f"bandit {issue['test_id']} ({issue.get('test_name', '')}). More: {issue.get('more_info', '')}",
            span=span, rule=issue.get("test_id"), cwe=f"CWE-{cwe}" if cwe else None,
        )
