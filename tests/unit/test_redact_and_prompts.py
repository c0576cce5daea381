import pytest
from manyeyes.agents.prompts import Prompt, PromptError, load_prompt, prompt_names
from manyeyes.models import Concern
from manyeyes.safety.redact import redact

SOURCE = '''AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
password = "hunter2hunter2"
for i in range(10):
    print(i)
KEY = """
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAv5Wq
-----END RSA PRIVATE KEY-----
"""
url = "https://bob:s3cr3tpassw0rd@example.com/x"'''


def test_secrets_are_redacted_and_lines_kept():
    redacted = redact(SOURCE, "app.py")
    assert redacted.count("\n") == SOURCE.count("\n")
    for secret in ("AKIAIOSFODNN7EXAMPLE", "hunter2hunter2", "MIIEowIBAAKCAQEAv5Wq", "s3cr3tpassw0rd"):
        assert secret not in redacted
    lines = redacted.split("\n")
    assert lines[0] == 'AWS_KEY = "<redacted:aws-access-key>"'
    assert lines[2:4] == ["for i in range(10):", "    print(i)"]  # ordinary code untouched
    assert lines[9] == 'url = "https://bob:<redacted:basic-auth-credentials>@example.com/x"'


def test_every_prompt_renders_strictly():
    assert {"system", "context", *(c.value for c in Concern)} <= set(prompt_names())
    for name in prompt_names():
        prompt = load_prompt(name)
        text = prompt.render(**{key: f"<{key}>" for key in prompt.placeholders})
        assert "{{" not in text and prompt.version >= 1
    for concern in Concern:
        assert f"Concern: {concern.value}" in load_prompt(concern.value).template


def test_rendering_refuses_missing_and_unused_values():
    prompt = Prompt(name="t", version=1, template="a {{x}} b")
    with pytest.raises(PromptError, match="missing"):
        prompt.render()
    with pytest.raises(PromptError, match="unused"):
        prompt.render(x="1", y="2")
