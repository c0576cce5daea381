"""Redaction by file type and by content: what must never reach a model, and ordinary code it must not garble."""

import json
import time

import anyio
import pytest
from manyeyes.agents.messages import render_messages
from manyeyes.config import Settings
from manyeyes.llm.client import ModelClient, ModelReply
from manyeyes.models import Concern, ReviewRequest
from manyeyes.plan.context import TaskContext
from manyeyes.plan.documents import Document
from manyeyes.plan.planner import Task, plan_review
from manyeyes.plan.slicing import Chunk
from manyeyes.safety.redact import redact, redact_message
from manyeyes.safety.rules import redact_content, redact_messages
from manyeyes.safety.secret_files import SECRETS_FILE_REASON, is_secrets_file

from tests.conftest import write

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HEX_KEY = "0123456789abcdef0123456789abcdef"
GITHUB_PAT = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU"
OPENAI = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"
ANTHROPIC = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"
GHP = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
SLACK = "xoxb-1234567890-abcdefghijkl"
STRIPE = "sk_live_abcdefghij0123456789"
GOOGLE = "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"
AWS_ID = "AKIAIOSFODNN7EXAMPLE"

# (path, one line of that file, the secret in it): each file type with the shapes it is written in.
POSITIVES = [
    (".env", "DB_PASSWORD=pw", "pw"),
    (".env", "PASSWORD=letmein", "letmein"),
    (".env", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
    (".env", f"API_KEY={HEX_KEY}", HEX_KEY),
    (".env", f"GITHUB_TOKEN={GITHUB_PAT}", GITHUB_PAT),
    (".env", f"OPENAI_API_KEY={OPENAI}", OPENAI),
    (".env", "export SESSION_SECRET=s3ss", "s3ss"),
    (".env.production", "SECRET=my pass phrase  # rotated monthly", "my pass phrase"),
    (".env.example", "SMTP_PASSWORD=mailpw", "mailpw"),
    ("config.yaml", "  password: letmein", "letmein"),
    ("config.yaml", "  db_password: pw", "pw"),
    ("config.yml", f"api_key: {HEX_KEY}", HEX_KEY),
    ("config.yaml", "  url: postgres://app:pw@db.internal/app", "pw"),
    ("config.yaml", f"  anthropic: {ANTHROPIC}", ANTHROPIC),
    ("settings.json", '  "api_key": "abc123",', "abc123"),
    ("settings.json", '  "password": "pw"', "pw"),
    ("settings.json", f'  "slack": "{SLACK}",', SLACK),
    ("pyproject.toml", 'password = "pw"', "pw"),
    ("pyproject.toml", f'token = "{GHP}"', GHP),
    ("setup.ini", "password = letmein", "letmein"),
    ("setup.cfg", "token = abc", "abc"),
    ("credentials.ini", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    ("deploy.sh", "export TOKEN=abc", "abc"),
    ("deploy.sh", 'curl -H "Authorization: Bearer xyz" https://api.example.com', "xyz"),
    ("deploy.sh", "PGPASSWORD=pw psql -h db", "pw"),
    ("app.py", 'headers = {"Authorization": "Bearer abc.def-ghi"}', "abc.def-ghi"),
    ("app.py", 'AUTH = "Authorization: Basic dXNlcjpwYXNz"', "dXNlcjpwYXNz"),
    ("app.py", 'token = "Bearer xyz"', "xyz"),
    ("app.py", 'DSN = "postgres://user:pw@host/db"', "pw"),
    ("app.py", "# password: hunter2", "hunter2"),
    ("app.py", "# db password: pw", "pw"),
    ("app.py", f'client = Client(api_key="{OPENAI}")', OPENAI),
    ("app.py", f'STRIPE = "{STRIPE}"', STRIPE),
    ("app.py", f'MAPS = "{GOOGLE}"', GOOGLE),
    ("app.py", f'SESSION = "{JWT}"', JWT),
    ("app.py", f'ID = "{AWS_ID}"', AWS_ID),
    ("app.py", f'key = "{HEX_KEY}"', HEX_KEY),
    ("app.py", 'password: str = "pw"', "pw"),
    ("app.py", "connect(password=pw123)", "pw123"),
    ("main.go", 'password := "pw"', "pw"),
    ("index.js", "const token = 'tok3n';", "tok3n"),
]

# Ordinary code and placeholders: redaction must leave them exactly as they are.
NEGATIVES = [
    ("app.py", 'password = request.form["password"]'),
    ("app.py", "token = get_token()"),
    ("app.py", 'api_key = os.environ["API_KEY"]'),
    ("app.py", "def set_password(self, password):"),
    ("app.py", "    password: str"),
    ("app.py", "    if not password:"),
    ("app.py", "self.password = password"),
    ("app.py", "connect(user=user, password=pw)"),
    ("app.py", "token: Optional[str] = None"),
    ("app.py", "api_key: SecretStr = Field(...)"),
    ("app.py", "PASSWORD = DEFAULT_PASSWORD"),
    ("app.py", "secret = secrets.token_hex(16)"),
    ("app.py", "max_tokens = 2048"),
    ("app.py", "password_length = 12"),
    ("app.py", 'password = ""'),
    ("app.py", 'password = "changeme"'),
    ("app.py", 'password = "xxx"'),
    ("app.py", 'password = "<password>"'),
    ("app.py", 'password = "${VAR}"'),
    ("app.py", 'password = "%(x)s"'),
    ("app.py", 'url = f"postgres://{user}:{password}@{host}/db"'),
    ("app.py", 'headers = {"Authorization": f"Bearer {token}"}'),
    ("app.py", 'headers["Authorization"] = "Bearer " + token'),
    ("app.py", '"""Basic usage: Bearer tokens are checked per request."""'),
    ("app.py", "return [t for t in tokens if t.key]"),
    ("config.yaml", "token: ${TOKEN}"),
    ("config.yaml", "max_tokens: 2048"),
    ("config.yaml", "password: changeme"),
    ("config.yaml", "token_url: https://auth.example.com/token"),
    ("config.yaml", "secrets:"),
    (".env", "DEBUG=true"),
    (".env", "PASSWORD=${DB_PASSWORD}"),
    (".env", "PORT=5432"),
    ("deploy.sh", 'PASSWORD="$1"'),
]


@pytest.mark.parametrize(("path", "line", "secret"), POSITIVES)
def test_secrets_are_redacted_by_file_type(path, line, secret):
    text = f"first = 1\n{line}\nlast = 2\n"
    redacted = redact(text, path)
    assert secret not in redacted
    first, redacted_line, last, end = redacted.split("\n")  # lines kept
    assert "<redacted:" in redacted_line and (first, last, end) == ("first = 1", "last = 2", "")  # neighbours too


@pytest.mark.parametrize(("path", "line"), NEGATIVES)
def test_ordinary_code_and_placeholders_are_left_alone(path, line):
    assert redact(line, path) == line
    assert redact_content(line) == line


def test_short_values_are_redacted_in_place_only():
    text = "DB_PASSWORD=pw\nPW_DIR=/tmp/pw\n"
    assert redact(text, ".env") == "DB_PASSWORD=<redacted:secret-keyword>\nPW_DIR=/tmp/pw\n"
    python = 'password = "pw"\npw = compute(pw)\n'
    assert redact(python, "app.py") == 'password = "<redacted:secret-keyword>"\npw = compute(pw)\n'


def test_unquoted_values_are_values_in_config_files_and_names_in_code():
    assert redact("password = letmein\n", "setup.ini") == "password = <redacted:secret-keyword>\n"
    assert redact("password = letmein\n", "app.py") == "password = letmein\n"  # a variable named letmein


def test_what_the_model_sees_is_the_redacted_source_line_for_line():
    sources = {
        ".env": f"DB_PASSWORD=pw\nAPI_KEY={HEX_KEY}\nexport TOKEN=abc\n",
        "config.yaml": "db:\n  password: pw\n  url: postgres://app:pw@db/app\n",
        "app.py": 'import os\n\nDSN = "postgres://u:pw@h/db"\n# password: hunter2\nKEY = "AKIAIOSFODNN7EXAMPLE"\n',
    }
    for path, text in sources.items():
        numbered = "\n".join(f"{n:>5} | {line}" for n, line in enumerate(text.split("\n"), 1))
        seen = redact_message(f"File: {path}\n{numbered}\nConcern: security", [(path, text)])
        seen_lines = [line.split(" | ", 1)[1] for line in seen.split("\n")[1:-1]]
        assert seen_lines == redact(text, path).split("\n")  # so a quote of what the model saw anchors
        assert redact_content(seen) == seen  # the client's pass finds nothing more: the rules are idempotent


def test_client_choke_point_redacts_every_message(monkeypatch):
    sent = []

    async def call_once(self, model, messages, schema, sample=0):
        sent.append(messages)
        return ModelReply("{}", "stop", None, 1, 1, 0.0)

    monkeypatch.setattr(ModelClient, "_call_once", call_once)
    messages = [
        {"role": "system", "content": "Review this."},
        {"role": "user", "content": f'DB_PASSWORD=pw\ncurl -H "Authorization: Bearer xyz"\nkey = "{OPENAI}"'},
        {"role": "user", "content": [{"type": "text", "text": "postgres://u:hunter2@h/db"}]},
    ]
    anyio.run(ModelClient(Settings()).complete, "openai/x", messages)
    body = json.dumps(sent)
    assert not [s for s in ("=pw", "xyz", OPENAI, "hunter2") if s in body]
    assert messages[1]["content"].startswith("DB_PASSWORD=pw")  # the caller's messages are not modified


def test_a_rendered_prompt_carries_no_secret():
    text = (
        "import requests\n\n\n"
        "def fetch(url):\n"
        '    headers = {"Authorization": "Bearer abc.def-ghi"}\n'
        '    dsn = "postgres://user:pw@db/app"\n'
        "    # password: hunter2\n"
        f'    key = "{GHP}"\n'
        "    return requests.get(url, headers=headers)\n"
    )
    document = Document(path="app.py", text=text, language="python")
    test_file = ("tests/test_app.py", f'TOKEN = "{SLACK}"\nPASSWORD = "pw"\n\n\ndef test_fetch():\n    pass\n')
    task = Task("t1", Concern.security, Chunk(document, 1, 9), "openai/x", TaskContext(related_test=test_file))
    body = json.dumps(redact_messages(render_messages(task)))
    assert not [s for s in ("abc.def-ghi", ":pw@", "hunter2", GHP, SLACK, '"pw"') if s in body]
    assert "    5 | " in body and body.count("<redacted:") >= 6


SECRET_FILES = [
    (".env", True),
    ("app/.env.local", True),
    (".env.production", True),
    (".env.example", False),
    (".env.sample", False),
    (".env.template", False),
    ("certs/server.pem", True),
    ("tls.key", True),
    ("client.p12", True),
    ("client.pfx", True),
    ("home/.ssh/id_rsa", True),
    ("id_ed25519", True),
    ("id_ed25519.pub", False),
    (".npmrc", True),
    (".pypirc", True),
    (".netrc", True),
    (".aws/credentials", True),
    ("release.keystore", True),
    ("signing.jks", True),
    ("config.yaml", False),
    ("settings.json", False),
    ("app.py", False),
    ("keys.py", False),
]


@pytest.mark.parametrize(("path", "expected"), SECRET_FILES)
def test_secrets_files_are_known_by_name(path, expected):
    assert is_secrets_file(path) is expected


def test_secrets_files_get_no_model_task(workspace):
    write(workspace, ".env", "DB_PASSWORD=pw\n")
    write(workspace, "app.py", "def f():\n    return 1\n")
    request = ReviewRequest(workspace=workspace, paths=[workspace / ".env", workspace / "app.py"])
    plan = plan_review(request, Settings(model="openai/x"))
    by_path = {}
    for task in plan.tasks:
        by_path.setdefault(task.chunk.document.path, set()).add(task.agent)
    assert by_path == {".env": {"offline"}, "app.py": {"openai/x"}}  # the offline panel may still look at it
    assert [(n.path, n.reason) for n in plan.not_reviewed] == [(".env", SECRETS_FILE_REASON)]
    sent = plan_review(request, Settings(model="openai/x", send_secret_files=True))
    assert {t.agent for t in sent.tasks} == {"openai/x"} and not sent.not_reviewed
    offline = plan_review(request, Settings())
    assert not offline.not_reviewed  # nothing would be sent anyway: no notice


def test_content_pass_is_cheap_on_a_150_line_message():
    line = "    result = [normalize(item, key=lambda k: k.lower()) for item in values if item]  # token count\n"
    numbered = "".join(f"{n:>5} | {line}" for n in range(1, 151))
    messages = [{"role": "system", "content": "x" * 2000}, {"role": "user", "content": numbered}]
    best = min(_seconds(lambda: redact_messages(messages)) for _ in range(5))
    assert best < 0.025  # measured about 0.5 ms; this runs on the event loop, so a regex gone quadratic must fail


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
