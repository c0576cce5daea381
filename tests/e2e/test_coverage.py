"""Honest coverage: a directory review reads configuration, `.env` files and templates (a password in
config/dev.yaml is a finding, its value in no report), lists what it skipped and why, says which files no offline
analyzer of their language read, and gives configuration to the security agent only."""

import json
import os

import anyio
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, ReviewRequest

from tests.conftest import write
from tests.e2e.test_cli_offline import manyeyes

PASSWORD = "s3cr3t-Pa55w0rd-9f8e7d"
AWS_KEY = "AKIAZ7Q3RSTUVWXY2345"


def mixed_repository(root):
    write(root, "config/dev.yaml", f'database:\n  host: db.internal\n  user: app\n  password: "{PASSWORD}"\n')
    write(root, ".env", f"AWS_ACCESS_KEY_ID={AWS_KEY}\nDEBUG=true\n")
    write(root, "web/app.js", 'app.get("/", (req, res) => {\n  res.send(eval(req.query.x));\n});\n')
    write(root, "web/page.html", "<html><body>{{ name|safe }}</body></html>\n")
    write(root, "web/app.rb", 'get "/" do\n  eval(params[:x])\nend\n')
    write(root, "web/App.swift", 'import Foundation\nlet task = Process()\ntask.arguments = ["-c", readLine()!]\n')
    write(root, "README.md", "# Readme\n")
    write(root, "notes.txt", "todo\n")
    write(root, "package-lock.json", '{"lockfileVersion": 3}\n')
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")


def test_secrets_in_yaml_and_env_files_are_findings_and_never_printed(workspace):
    mixed_repository(workspace)
    for fmt in ("json", "text", "sarif", "github", "markdown", "codeclimate"):
        proc = manyeyes("review", ".", "--format", fmt, cwd=workspace)
        assert proc.returncode == 0, proc.stderr
        assert PASSWORD not in proc.stdout and AWS_KEY not in proc.stdout and AWS_KEY not in proc.stderr
    result = json.loads(manyeyes("review", ".", "--format", "json", cwd=workspace).stdout)
    secrets = {(f["path"], f["span"]["start_line"]) for f in result["findings"] if "MES-secret" in f["rules"]}
    assert {("config/dev.yaml", 4), (".env", 1)} <= secrets


def test_secret_named_settings_without_a_secret_are_not_findings(workspace):
    # Seen on expressjs/express: a workflow's `id-token: write` and a dependency named pbkdf2-password.
    write(workspace, ".github/workflows/ci.yml", "permissions:\n  id-token: write\n  contents: read\n")
    write(workspace, "package.json", '{\n  "devDependencies": {\n    "pbkdf2-password": "1.2.2"\n  }\n}\n')
    write(workspace, "config/dev.yaml", f'password: "{PASSWORD}"\n')
    result = json.loads(manyeyes("review", ".", "--format", "json", cwd=workspace).stdout)
    assert {f["path"] for f in result["findings"] if "MES-secret" in f["rules"]} == {"config/dev.yaml"}


def test_skipped_files_are_listed_and_uncovered_languages_are_named(workspace):
    mixed_repository(workspace)
    result = json.loads(manyeyes("review", ".", "--format", "json", cwd=workspace).stdout)
    skipped = {n["path"]: n["reason"] for n in result["not_reviewed"]}
    assert skipped["package-lock.json"] == "lock file (written by a package manager)"
    assert skipped["."] == "3 file(s) of types no reviewer reads (.md 1, .png 1, .txt 1)"
    assert {"config/dev.yaml", ".env", "web/app.js", "web/page.html"} <= set(result["reviewed"])
    notes = result["notes"]
    assert "no offline analyzer for swift (web/App.swift): only the hidden-text and secrets scans read it" in notes
    assert not any("ruby" in note for note in notes if note.startswith("no offline analyzer"))  # semgrep reads it
    assert not any("javascript" in note for note in notes if note.startswith("no offline analyzer"))  # semgrep reads it
    assert any(note.startswith("no offline analyzer for yaml (config/dev.yaml)") for note in notes)
    assert not any("python" in note for note in notes if note.startswith("no offline analyzer"))
    only_performance = json.loads(
        manyeyes("review", "web", "--concerns", "performance", "--format", "json", cwd=workspace).stdout
    )
    assert "no offline analyzer for javascript (web/app.js): nothing reads it offline" in only_performance["notes"]


def test_configuration_goes_to_the_security_agent_only_and_data_to_none(workspace, fake, model_settings):
    write(workspace, "deploy.yaml", "server:\n  tls_verify: false\n  debug: true\n")
    write(workspace, "fixture.json", "[\n" + ",\n".join(f'  {{"id": {i}}}' for i in range(600)) + "\n]\n")
    write(workspace, "page.html", "<p>{{ name|safe }}</p>\n")
    settings = model_settings(voting="off", verify_findings=False)
    request = ReviewRequest(workspace=workspace, paths=[workspace])
    result = anyio.run(ReviewRun(request, settings).execute)
    asked = {(o.target.split(":")[0], o.concern) for o in result.outcomes if o.state == "done" and o.agent != "offline"}
    assert asked == {
        ("deploy.yaml", Concern.security),
        ("page.html", Concern.security),
        ("page.html", Concern.readability),
    }
    skipped = {o.error for o in result.outcomes if o.state == "skipped" and o.target.startswith("deploy.yaml")}
    assert skipped == {"triage: yaml configuration, not code: only security reads it"}
    data = next(n for n in result.not_reviewed if n.path == "fixture.json")
    assert data.reason.startswith("not sent to a model: 602 lines of json are data, not configuration")


def test_a_symlink_loop_and_a_huge_bundle_neither_hang_nor_vanish(workspace):
    write(workspace, "src/app.py", "def run(expr):\n    return eval(expr)\n")
    os.symlink("..", workspace / "src" / "loop")  # src/loop/src/loop/...
    (workspace / "src" / "bundle.js").write_text("var x = 1;\n" * 200_000)  # 2.2 MB, over max_file_bytes
    proc = manyeyes("review", ".", "--format", "json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["reviewed"] == ["src/app.py"]
    assert "over max_file_bytes" in {n["path"]: n["reason"] for n in result["not_reviewed"]}["src/bundle.js"]
