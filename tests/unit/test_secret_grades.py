"""A hard-coded secret is graded by what it is and where: a named credential format is high, a random-looking string
alone (a hash, a checksum, a test vector) medium, and in a test file each a step lower."""

from manyeyes.agents.analyzers.secrets import scan
from manyeyes.models import Severity
from manyeyes.plan.documents import Document

AWS = 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLF"\n'
HEX = 'PAYLOAD = "4f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"\n'


def _graded(path: str, text: str) -> tuple[Severity, float]:
    [finding] = scan(Document(path, text, "python" if path.endswith(".py") else "javascript"))
    return finding.severity, finding.confidence


def test_a_named_key_is_high_and_a_random_string_alone_is_not():
    assert _graded("app/settings.py", AWS) == (Severity.high, 0.9)
    assert _graded("app/settings.py", HEX) == (Severity.medium, 0.6)


def test_in_a_test_file_a_payload_falls_below_the_default_confidence_and_a_key_still_shows():
    """A test's hex payload was reported as a high, confident hard-coded secret."""
    for path in ("tests/test_crypto.py", "src/crypto.test.js", "pkg/__tests__/crypto.js"):
        assert _graded(path, HEX) == (Severity.low, 0.4), path
        assert _graded(path, AWS) == (Severity.medium, 0.7), path
