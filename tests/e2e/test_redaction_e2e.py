"""Secrets in config files, headers and URLs never reach the provider, and secrets files are not sent at all:
a model review through the real litellm path against the fake provider, of named files and of a git diff."""

import json

import anyio
from manyeyes.devtools.fake_provider import Reply
from manyeyes.engine import ReviewRun
from manyeyes.models import ReviewKind, ReviewRequest
from manyeyes.safety.secret_files import SECRETS_FILE_REASON

from tests.conftest import write
from tests.e2e.test_cli_offline import git

ENV = "DB_PASSWORD=envpw\nSTRIPE_KEY=sk_live_envabcdef0123456789\n"
CONFIG_YAML = """
database:
  host: db.internal
  password: yamlpw
  url: postgres://app:yamlurlpw@db.internal/app
aws:
  secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
"""
SETTINGS_JSON = """
{
  "api_key": "jsonkey1",
  "github": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU",
  "openai": "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"
}
"""
APP = """
import requests

# password: pyhunter2
DSN = "postgres://app:pw@db.internal/app"


def fetch(url):
    headers = {"Authorization": "Bearer pybearer.token-123"}
    return requests.get(url, headers=headers, timeout=5)
"""
SECRETS = [
    "envpw",
    "sk_live_envabcdef0123456789",
    "yamlpw",
    "yamlurlpw",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "jsonkey1",
    "github_pat_11ABCDEFG0123456789",
    "sk-proj-abcdefghijklmnopqrstuvwxyz",
    "pyhunter2",
    "app:pw@",
    "pybearer.token-123",
]
# A model finding on the YAML password line, quoted as the model saw it: anchored there, it is then verified,
# which sends the lines around it once more.
ON_PASSWORD = {
    "title": "Plain-text database password in config",
    "severity": "high",
    "confidence": 0.9,
    "line": 3,
    "quote": "password: <redacted:secret-keyword>",
    "cwe": "CWE-260",
}


def leaked(fake) -> list[str]:
    bodies = json.dumps(fake.requests)
    return [secret for secret in SECRETS if secret in bodies]


def files_sent(fake) -> set[str]:
    """The files named by the review prompts the provider received ("File: <path> (<language>)")."""
    sent = set()
    for body in fake.requests:
        for message in body["messages"]:
            for line in str(message["content"]).split("\n"):
                if line.startswith("File: "):
                    sent.add(json.loads(line[len("File: ") :].rsplit(" (", 1)[0]))  # the path, quoted
    return sent


def write_secrets(workspace) -> None:
    write(workspace, ".env", ENV)
    write(workspace, "config.yaml", CONFIG_YAML)
    write(workspace, "settings.json", SETTINGS_JSON)


def test_named_files_review_sends_no_secret_and_not_the_env_file(workspace, fake, model_settings):
    write_secrets(workspace)
    write(workspace, "app.py", APP)
    fake.script("security", Reply(findings=[ON_PASSWORD]))
    names = [".env", "config.yaml", "settings.json", "app.py"]
    request = ReviewRequest(workspace=workspace, paths=[workspace / name for name in names])
    result = anyio.run(ReviewRun(request, model_settings(voting="off")).execute)  # one sample: its finding verified
    assert files_sent(fake) == {"config.yaml", "settings.json", "app.py"}  # .env: no request at all
    assert leaked(fake) == []
    assert (".env", SECRETS_FILE_REASON) in {(n.path, n.reason) for n in result.not_reviewed}
    hit = next(f for f in result.findings if f.path == "config.yaml" and "CWE-260" in f.cwe)
    assert hit.span.start_line == 3 and "<redacted:" in hit.evidence  # anchored; reported without the secret
    assert "yamlpw" not in hit.evidence
    assert result.verification is not None and result.verification.checked >= 1  # the verifier's call was sent


def test_diff_review_sends_no_secret_of_untracked_files(workspace, fake, model_settings):
    write(workspace, "app.py", "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=5)\n")
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "base")
    write(workspace, "app.py", APP)
    write_secrets(workspace)
    request = ReviewRequest(kind=ReviewKind.diff, workspace=workspace)
    result = anyio.run(ReviewRun(request, model_settings()).execute)
    assert files_sent(fake) == {"config.yaml", "settings.json", "app.py"}
    assert leaked(fake) == []
    assert (".env", SECRETS_FILE_REASON) in {(n.path, n.reason) for n in result.not_reviewed}
