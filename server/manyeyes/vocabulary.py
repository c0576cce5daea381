"""The domain's words: concerns, severities, kinds of review. Plain enums, no pydantic, so the command line and
the language server can name them before anything heavy is imported (start-up time is measured)."""

from __future__ import annotations

import re
from enum import Enum

_CONCERN_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class _BuiltIns(type):
    """Iterating over `Concern` gives the built-in four, in their order (what an Enum gave)."""

    def __iter__(cls):
        return iter(BUILT_IN_CONCERNS)

    def __len__(cls) -> int:
        return len(BUILT_IN_CONCERNS)


class Concern(str, metaclass=_BuiltIns):
    """A concern's name: one of the built-in four (`Concern.security`, ...) or one a project defines
    (concerns.py). Names are interned, so `concern is Concern.security` holds for every "security"; an invalid
    name is a ValueError, as an unknown Enum value was."""

    _interned: dict[str, Concern] = {}

    def __new__(cls, name: object) -> Concern:
        text = name.value if isinstance(name, Concern) else str(name)
        known = cls._interned.get(text)
        if known is not None:
            return known
        if not _CONCERN_NAME.fullmatch(text):
            raise ValueError(f"'{text}' is not a concern name (lowercase letters, digits, '-' and '_', 32 at most)")
        concern = cls._interned[text] = super().__new__(cls, text)
        return concern

    @property
    def value(self) -> str:
        return str.__str__(self)

    @property
    def built_in(self) -> bool:
        return self in BUILT_IN_CONCERNS

    def __repr__(self) -> str:
        return f"Concern({self.value!r})"

    def __reduce__(self):
        return (Concern, (self.value,))

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    security: Concern
    performance: Concern
    readability: Concern
    tests: Concern


BUILT_IN_CONCERNS: tuple[Concern, ...] = tuple(
    Concern(name) for name in ("security", "performance", "readability", "tests")
)
for _concern in BUILT_IN_CONCERNS:
    setattr(Concern, _concern.value, _concern)
ALL_CONCERNS = BUILT_IN_CONCERNS  # the built-in four, the default set


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
    "CWE-347": "Improper verification of a cryptographic signature",
    "CWE-352": "Cross-site request forgery",
    "CWE-377": "Insecure temporary file",
    "CWE-400": "Uncontrolled resource consumption",
    "CWE-451": "User interface misrepresentation of critical information",
    "CWE-489": "Active debug code",
    "CWE-501": "Trust boundary violation",
    "CWE-502": "Deserialization of untrusted data",
    "CWE-601": "Open redirect",
    "CWE-605": "Multiple binds to the same port",
    "CWE-611": "XML external entity reference",
    "CWE-614": "Sensitive cookie without the Secure attribute",
    "CWE-643": "XPath injection",
    "CWE-703": "Improper check or handling of exceptional conditions",
    "CWE-732": "Incorrect permission assignment for a critical resource",
    "CWE-776": "XML entity expansion",
    "CWE-798": "Hard-coded credentials",
    "CWE-918": "Server-side request forgery",
    "CWE-942": "Permissive cross-domain policy",
    "CWE-1007": "Insufficient visual distinction of homoglyphs",
    "CWE-1004": "Sensitive cookie without the HttpOnly flag",
    "CWE-1333": "Inefficient regular expression complexity",
    "CWE-1336": "Server-side template injection",
    "CWE-1427": "Prompt injection into an AI model",
}
