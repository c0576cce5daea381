"""The VS Code extension's settings mirror the server's settings model: same keys, same defaults."""

import json
import re
from pathlib import Path

from pydantic_core import to_jsonable_python

from manyeyes.config import Settings

MANIFEST = Path(__file__).resolve().parents[2] / "editors" / "vscode" / "package.json"


def snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def test_every_server_setting_is_contributed_with_its_default():
    properties = json.loads(MANIFEST.read_text())["contributes"]["configuration"]["properties"]
    client_only = {"manyeyes.logLevel", "manyeyes.trace.server"}  # the extension's own (settings.ts CLIENT_KEYS)
    mirrored = {
        snake(k.removeprefix("manyeyes.")): v
        for k, v in properties.items()
        if not k.startswith("manyeyes.server.") and k not in client_only
    }
    assert set(mirrored) == set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        default = to_jsonable_python(field.get_default(call_default_factory=True))
        assert mirrored[name]["default"] == default, name


def test_where_code_goes_is_a_machine_setting_restricted_in_untrusted_workspaces():
    manifest = json.loads(MANIFEST.read_text())
    properties = manifest["contributes"]["configuration"]["properties"]
    restricted = manifest["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"]
    for key in (
        "manyeyes.model",
        "manyeyes.models",
        "manyeyes.apiBase",
        "manyeyes.apiKeyEnv",
        "manyeyes.server.command",
    ):
        assert properties[key]["scope"] == "machine" and key in restricted


def test_the_extension_sends_the_files_the_server_reviews():
    from manyeyes.plan.languages import language_of, reviewed_files

    listed = json.loads(MANIFEST.read_text())["reviewedFiles"]
    assert listed == reviewed_files(), "refresh editors/vscode/package.json's reviewedFiles from the server"
    for name in ("app.py", "Dockerfile", "Dockerfile.dev", ".env", ".env.local", "config/dev.yaml"):
        assert language_of(Path(name)) is not None, name
    assert language_of(Path("README.md")) is None and "md" not in listed["suffixes"]


def test_the_extension_and_the_server_it_bundles_have_one_version():
    """The .vsix carries the server's wheel and installs it on first start (src/launch.ts looks for
    manyeyes-<the extension's version>-*.whl): a version bumped on one side only would ship an extension that
    cannot find its own server."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: tomli is a dependency there
        import tomli as tomllib

    pyproject = tomllib.loads((MANIFEST.parents[2] / "pyproject.toml").read_text())
    assert json.loads(MANIFEST.read_text())["version"] == pyproject["project"]["version"]
