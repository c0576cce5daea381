"""The domain's words: concerns, severities, kinds of review. Plain enums, no pydantic, so the command line and
the language server can name them before anything heavy is imported (start-up time is measured)."""

from __future__ import annotations

from enum import Enum


class Concern(str, Enum):
    security = "security"
    performance = "performance"
    readability = "readability"
    tests = "tests"


ALL_CONCERNS: tuple[Concern, ...] = tuple(Concern)


class Severity(str, Enum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; used for sorting and thresholds."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.critical: 4,
    Severity.high: 3,
    Severity.medium: 2,
    Severity.low: 1,
    Severity.info: 0,
}


class ReviewKind(str, Enum):
    files = "files"
    selection = "selection"
    diff = "diff"


# The weaknesses findings most often name, in MITRE's words (shortened), for explanations and SARIF rule texts.
CWE_NAMES = {
    "CWE-20": "Improper input validation",
    "CWE-22": "Path traversal",
    "CWE-78": "OS command injection",
    "CWE-79": "Cross-site scripting",
    "CWE-89": "SQL injection",
    "CWE-90": "LDAP injection",
    "CWE-94": "Code injection",
    "CWE-95": "Eval injection",
    "CWE-116": "Improper encoding or escaping of output",
    "CWE-200": "Exposure of sensitive information",
    "CWE-209": "Sensitive information in an error message",
    "CWE-259": "Hard-coded password",
    "CWE-295": "Improper certificate validation",
    "CWE-319": "Cleartext transmission of sensitive information",
    "CWE-326": "Inadequate encryption strength",
    "CWE-327": "Broken or risky cryptographic algorithm",
    "CWE-328": "Weak hash",
    "CWE-330": "Insufficiently random values",
    "CWE-338": "Cryptographically weak random number generator",
    "CWE-352": "Cross-site request forgery",
    "CWE-377": "Insecure temporary file",
    "CWE-400": "Uncontrolled resource consumption",
    "CWE-451": "User interface misrepresentation of critical information",
    "CWE-502": "Deserialization of untrusted data",
    "CWE-601": "Open redirect",
    "CWE-605": "Multiple binds to the same port",
    "CWE-611": "XML external entity reference",
    "CWE-614": "Sensitive cookie without the Secure attribute",
    "CWE-643": "XPath injection",
    "CWE-703": "Improper check or handling of exceptional conditions",
    "CWE-732": "Incorrect permission assignment for a critical resource",
    "CWE-798": "Hard-coded credentials",
    "CWE-918": "Server-side request forgery",
    "CWE-1007": "Insufficient visual distinction of homoglyphs",
    "CWE-1333": "Inefficient regular expression complexity",
    "CWE-1427": "Prompt injection into an AI model",
}
