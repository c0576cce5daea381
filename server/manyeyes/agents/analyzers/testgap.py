"""Tests: public functions and classes under review that no test file of the workspace refers to.

A name counts as tested when any test file mentions it. When the workspace has coverage data
(`coverage.json`, written by `coverage json`), a definition none of whose lines ran is flagged more strongly, and
one that ran is not flagged even if no test names it (it is tested indirectly).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from manyeyes.agents.analyzers.base import PYTHON, AnalyzerRun, Scratch, make_finding
from manyeyes.models import Concern, Severity, Span
from manyeyes.plan.context import is_test_path
from manyeyes.plan.documents import Document
from manyeyes.safety import reading

MAX_COVERAGE_BYTES = 200_000_000  # coverage.json of a large project runs to tens of megabytes

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


class TestGap:
    name = "test-gap"
    concerns = (Concern.tests,)
    languages = PYTHON  # the languages it reads
    __test__ = False  # not a pytest class, despite the name

    def run(self, scratch: Scratch) -> AnalyzerRun:
        run = AnalyzerRun()
        coverage = load_coverage(scratch.tests.workspace)
        for document in scratch.documents.values():
            if document.language != "python" or is_test_path(document.path) or _private_module(document.path):
                continue
            tree = document.tree
            if tree is None:
                run.problems.append(f"{document.path}: the test-gap analysis could not parse it")
                continue
            executed = coverage.get(document.path) if coverage else None
            for node in _public_definitions(tree):
                finding = self._finding(document, node, scratch.tests.referenced_names, executed)
                if finding is not None:
                    run.findings.append(finding)
        return run

    def _finding(self, document: Document, node: Definition, referenced: frozenset[str], executed: set[int] | None):
        ran = executed is not None and any(line in executed for line in range(node.lineno, node.end_lineno + 1))
        if ran or (node.name in referenced and executed is None):
            return None
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        if executed is not None:
            title, severity, confidence = (
                f"{kind} '{node.name}' never ran under the tests",
                Severity.medium,
                0.9,
            )
        else:
            title, severity, confidence = f"no test refers to {kind} '{node.name}'", Severity.low, 0.6
        return make_finding(
            document,
            source=self.name,
            concern=Concern.tests,
            severity=severity,
            confidence=confidence,
            title=title,
            span=Span(start_line=node.lineno, end_line=node.lineno),
            rule="test-gap",
            explanation=f"'{node.name}' is public but no test file in the workspace exercises it; add a test "
            "that pins its behaviour before it changes.",
        )


def _public_definitions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if not _overload(node) and not _exception_class(node):  # stubs and exception types: see below
                yield node


def _private_module(path: str) -> bool:
    """`_compat.py`: everything in it is a private helper, tested through the public functions that use it."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith("_") and not name.startswith("__")


def _exception_class(node: ast.stmt) -> bool:
    """An exception type: it is exercised by the tests of the code that raises it, rarely named by them."""
    bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in getattr(node, "bases", [])]
    return any(base.endswith(("Error", "Exception", "Warning", "Exit")) for base in bases)


def _overload(node: ast.stmt) -> bool:
    decorators = getattr(node, "decorator_list", [])
    return any((d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "")) == "overload" for d in decorators)


def load_coverage(workspace: Path) -> dict[str, set[int]] | None:
    """Executed lines per workspace-relative path from coverage.json, or None when there is none (or it is bad)."""
    path = workspace / "coverage.json"
    try:
        files = json.loads(reading.read_text(path, MAX_COVERAGE_BYTES, workspace))["files"]
        return {
            Path(name).as_posix().removeprefix("./"): set(data.get("executed_lines", []))
            for name, data in files.items()
        }
    except (reading.Unreadable, ValueError, KeyError, TypeError, AttributeError):
        return None
