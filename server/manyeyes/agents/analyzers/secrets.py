"""Security: hard-coded secrets in every file, found by the same scan that redacts them before a model call.

detect-secrets with the rules of each file's type (`.env` and YAML as config) plus manyeyes' own content rules
(provider keys, bearer headers, passwords in URLs, secret-named values): a line the redaction would change holds
a secret. The finding names the kind of secret and quotes the line as redaction leaves it, so the value itself is
in no report.
"""

from __future__ import annotations

import re

from manyeyes.agents.analyzers.base import AnalyzerRun, Scratch, make_finding, scan_each
from manyeyes.models import Concern, Severity, Span
from manyeyes.plan.context import is_test_path
from manyeyes.plan.documents import Document, split_lines
from manyeyes.safety.redact import might_hold_secret, redact
from manyeyes.safety.secret_files import is_config_suffix, scan_suffix

_MARKER = re.compile(r"<redacted:([\w\-]+)>")
RULE = "MES-secret"
# A string that is only random-looking is often a hash, a checksum or a test vector; a named format (a provider's
# key, a private key, a token, a password by its key) is the credential it looks like.
_ENTROPY_ONLY = frozenset({"hex-high-entropy-string", "base64-high-entropy-string"})
# A version or a version constraint: what a secret-named key (a package called "...-password") holds there.
_VERSION = re.compile(r"[\d.^~<>=*xX| -]+")


class Secrets:
    name = "secrets"
    concerns = (Concern.security,)
    languages = None  # every file, in any language

    def run(self, scratch: Scratch) -> AnalyzerRun:
        return scan_each(scratch, scan)


def scan(document: Document) -> list:
    """A finding per line that redaction changes; only candidate lines are scanned, as one compact text."""
    bare_values = is_config_suffix(scan_suffix(document.path))
    numbers = [n for n, line in enumerate(document.lines, 1) if might_hold_secret(line, bare_values)]
    if not numbers:
        return []
    compact = "\n".join(document.lines[n - 1] for n in numbers)
    redacted = split_lines(redact(compact, document.path))
    return [
        _finding(document, number, shown)
        for number, shown in zip(numbers, redacted)
        if shown != document.lines[number - 1] and not _plain_setting(document.lines[number - 1], shown)
    ]


def _plain_setting(line: str, shown: str) -> bool:
    """A line whose only hit is a secret-named key with a value no secret looks like: `id-token:
    write` (a workflow's permissions), `"pbkdf2-password": "1.2.2"` (a package version). Redaction still hides it
    before a model call (over-redacting costs nothing); a finding needs a value that could be a credential."""
    markers = _MARKER.findall(shown)
    if markers != ["secret-keyword"]:
        return False
    before, _, after = shown.partition("<redacted:secret-keyword>")
    value = line[len(before) : len(line) - len(after)].strip("'\" ")
    return len(value) < 6 or " " in value or bool(_VERSION.fullmatch(value))


def grade(path: str, kinds: list[str]) -> tuple[Severity, float]:
    """How bad a secret is likely to be: a named credential format is high, a random-looking string alone medium;
    in a test file each is a step lower and less certain (test data is mostly made up), so a test's hex payload
    falls below the default min_confidence while a real-looking key there is still shown."""
    entropy_only = set(kinds) <= _ENTROPY_ONLY
    if is_test_path(path):
        return (Severity.low, 0.4) if entropy_only else (Severity.medium, 0.7)
    return (Severity.medium, 0.6) if entropy_only else (Severity.high, 0.9)


def _finding(document: Document, number: int, shown: str):
    kinds = sorted(set(_MARKER.findall(shown))) or ["secret"]
    severity, confidence = grade(document.path, kinds)
    finding = make_finding(
        document,
        source="secrets",
        concern=Concern.security,
        severity=severity,
        confidence=confidence,
        title=f"Hard-coded secret ({', '.join(k.replace('-', ' ') for k in kinds)})",
        explanation="A credential in the repository is readable by everyone who can read the code, and stays in "
        "its history after it is removed: rotate it, and load it from the environment or a secrets manager.",
        span=Span(start_line=number, end_line=number),
        rule=RULE,
        cwe="CWE-798",
    )
    finding.evidence = shown  # the line as redaction leaves it: no report carries the value
    return finding
