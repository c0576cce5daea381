"""Readability: cyclomatic complexity from radon, for functions and methods of rank C (11+) and worse."""

from __future__ import annotations

from radon.complexity import cc_rank, cc_visit_ast

from manyeyes.agents.analyzers.base import PYTHON, AnalyzerRun, Scratch, make_finding
from manyeyes.models import Concern, Severity, Span

_SEVERITY = {"C": Severity.low, "D": Severity.medium, "E": Severity.medium, "F": Severity.high}


class Radon:
    name = "radon"
    concerns = (Concern.readability,)
    languages = PYTHON  # the languages it reads

    def run(self, scratch: Scratch) -> AnalyzerRun:
        run = AnalyzerRun()
        for document in scratch.documents.values():
            if document.language != "python":
                continue
            if document.tree is None:
                run.problems.append(f"{document.path}: radon could not parse it")
                continue
            blocks = cc_visit_ast(document.tree)
            run.findings.extend(
                self._finding(document, block) for block in _functions(blocks) if cc_rank(block.complexity) in _SEVERITY
            )
        return run

    def _finding(self, document, block):
        rank = cc_rank(block.complexity)
        name = f"{block.classname}.{block.name}" if getattr(block, "classname", None) else block.name
        return make_finding(
            document,
            source=self.name,
            concern=Concern.readability,
            severity=_SEVERITY[rank],
            confidence=0.8,
            title=f"'{name}' is hard to follow: cyclomatic complexity {block.complexity} (rank {rank})",
            explanation="Many branches in one function make it hard to read and to test; split it into smaller "
            "functions with one job each.",
            span=Span(start_line=block.lineno, end_line=block.lineno),
            rule=f"radon-cc-{rank}",
        )


def _functions(blocks):
    """Functions and methods, each once: radon lists a class's methods both under the class and at top level (with
    their class name), so classes themselves are skipped; one function reported twice would read as agreement."""
    return [block for block in blocks if not hasattr(block, "methods")]
