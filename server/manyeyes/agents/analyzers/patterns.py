"""Security patterns for Python that does not parse: fragments, syntax newer than the running interpreter, or
broken files. bandit needs an AST and skips them; these line patterns still catch the common dangerous calls.
Files that parse are left to bandit, so nothing is reported twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from manyeyes.agents.analyzers.base import PYTHON, AnalyzerRun, Scratch, make_finding
from manyeyes.models import Concern, Severity, Span
from manyeyes.plan.documents import Document


@dataclass(frozen=True)
class Pattern:
    rule: str
    cwe: str
    severity: Severity
    title: str
    regex: re.Pattern


def _p(rule: str, cwe: str, severity: Severity, title: str, regex: str) -> Pattern:
    return Pattern(rule, cwe, severity, title, re.compile(regex))


PATTERNS = [
    _p(
        "MEP-shell",
        "CWE-78",
        Severity.high,
        "Shell command run through the shell",
        r"\bos\.(system|popen)\s*\(|\bsubprocess\.\w+\s*\(.*shell\s*=\s*True|\bcommands\.getoutput\s*\(",
    ),
    _p(
        "MEP-eval",
        "CWE-95",
        Severity.high,
        "eval/exec of a value that may come from outside",
        r"(?<![\w.])(eval|exec)\s*\(",
    ),
    _p(
        "MEP-deserialize",
        "CWE-502",
        Severity.medium,
        "Unsafe deserialization",
        r"\b(c?[Pp]ickle|marshal|dill|shelve|jsonpickle)\.(loads?|open|decode|Unpickler)\s*\(|"
        r"\byaml\.load\s*\((?!.*Loader\s*=\s*(yaml\.)?(Safe|CSafe)Loader)",
    ),
    _p(
        "MEP-weak-hash",
        "CWE-328",
        Severity.medium,
        "Weak hash (MD5/SHA-1)",
        r"\bhashlib\.(md5|sha1)\s*\(|\bhashlib\.new\s*\(\s*['\"](md5|sha1)['\"]|\b(MD5|SHA)\.new\s*\(",
    ),
    _p(
        "MEP-weak-random",
        "CWE-338",
        Severity.low,
        "Non-cryptographic random number generator",
        r"\brandom\.(random|randint|choice|choices|randrange|uniform|shuffle|sample|getrandbits)\s*\(",
    ),
    _p(
        "MEP-secret",
        "CWE-798",
        Severity.medium,
        "Hard-coded credential",
        r"(?i)\b\w*(password|passwd|pwd|secret|api_?key|token)\w*\s*[:=]\s*['\"][^'\"\s]{4,}['\"]",
    ),
    _p(
        "MEP-sql",
        "CWE-89",
        Severity.high,
        "SQL built from strings",
        r"\.execute(many)?\s*\(\s*(f['\"]|['\"][^'\"]*['\"]\s*(%|\.format\s*\(|\+))",
    ),
]


class Patterns:
    name = "patterns"
    concerns = (Concern.security,)
    languages = PYTHON  # the languages it reads

    def run(self, scratch: Scratch) -> AnalyzerRun:
        run = AnalyzerRun()
        for document in scratch.documents.values():
            if document.language == "python" and document.tree is None:
                run.findings.extend(scan(document))
        return run


def scan(document: Document) -> list:
    findings = []
    for number, line in enumerate(document.lines, 1):
        code = line.split("#", 1)[0] if "#" in line and "'" not in line and '"' not in line else line
        for pattern in PATTERNS:
            match = pattern.regex.search(code)
            if match:
                findings.append(_finding(document, pattern, number, match))
    return findings


def _finding(document: Document, pattern: Pattern, number: int, match: re.Match):
    span = Span(start_line=number, start_col=match.start() + 1, end_line=number, end_col=match.end() + 1)
    return make_finding(
        document,
        source="patterns",
        concern=Concern.security,
        severity=pattern.severity,
        confidence=0.5,
        title=pattern.title,
        span=span,
        rule=pattern.rule,
        cwe=pattern.cwe,
        explanation="Matched a line pattern: this file does not parse, so the AST-based analyzers could not check it.",
    )
