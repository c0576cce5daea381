"""The concern registry: the built-in four, concerns a project defines in its settings, and every bad definition a
clear warning or note."""

from manyeyes.concerns import BUILT_IN, load_registry
from manyeyes.config import Settings, load_settings
from manyeyes.vocabulary import ALL_CONCERNS, Concern

from tests.conftest import write

A11Y = """
[tool.manyeyes.concerns.accessibility]
prompt = "prompts/accessibility.md"
paths = ["src/**"]
severity = "medium"
refactor-goal = "missing labels and alt texts"
origin = "user"

[tool.manyeyes.concerns.tests]
enabled = false
"""


def loaded(workspace, pyproject: str, user: str = "", tmp_path=None):
    write(workspace, "pyproject.toml", pyproject)
    config = workspace.parent / "user.toml"
    config.write_text(user)
    return load_settings(workspace, user_config=config)


def test_the_concern_type_keeps_the_enum_it_replaced():
    assert list(Concern) == list(ALL_CONCERNS) == list(BUILT_IN)
    assert Concern("security") is Concern.security and Concern.security.value == "security"
    assert Concern("accessibility").built_in is False and Concern.tests.built_in
    for bad in ("Security", "two words", "", "x" * 33):
        try:
            Concern(bad)
        except ValueError as exc:
            assert "is not a concern name" in str(exc)
        else:
            raise AssertionError(bad)


def test_a_project_defines_a_concern_in_a_table_and_turns_a_built_in_off(workspace):
    result = loaded(workspace, A11Y)
    settings = result.settings
    assert settings.concerns == [Concern.security, Concern.performance, Concern.readability, Concern("accessibility")]
    definition = settings.custom_concerns[Concern("accessibility")]
    assert (definition.prompt, definition.paths, definition.severity.value) == (
        "prompts/accessibility.md",
        ["src/**"],
        "medium",
    )
    assert definition.refactor_goal == "missing labels and alt texts"
    assert definition.origin == "project"  # whatever the file says: it reads prompts only inside the workspace
    assert result.warnings == []


def test_the_users_own_concerns_come_from_their_config(workspace):
    result = loaded(workspace, "", user='[concerns.licensing]\nprompt = "/opt/briefs/licensing.md"\n')
    assert result.settings.custom_concerns[Concern("licensing")].origin == "user"
    assert Concern("licensing") in result.settings.concerns


def test_bad_definitions_warn_and_the_rest_loads(workspace):
    result = loaded(
        workspace,
        "[tool.manyeyes.concerns.security]\nprompt = 'mine.md'\n\n"
        "[tool.manyeyes.concerns.nameless]\nseverity = 'high'\n\n"
        "[tool.manyeyes.concerns.typo]\nprompt = 'x.md'\nsevrity = 'high'\n\n"
        "[tool.manyeyes.concerns.Bad-Name]\nprompt = 'x.md'\n\n"
        "[tool.manyeyes.concerns.fine]\nprompt = 'fine.md'\n",
    )
    warnings = "\n".join(result.warnings)
    assert "concern 'security': a built-in concern; only 'enabled' can be set for it; ignored" in warnings
    assert "concern 'nameless': prompt: Field required; ignored" in warnings
    assert "concern 'typo': sevrity: Extra inputs are not permitted; ignored" in warnings
    assert "concern 'Bad-Name': 'Bad-Name' is not a concern name" in warnings
    assert list(result.settings.custom_concerns) == [Concern("fine")]
    assert result.settings.concerns == [*ALL_CONCERNS, Concern("fine")]


def test_naming_an_unknown_concern_to_run_keeps_the_lower_layer(workspace):
    result = loaded(workspace, "[tool.manyeyes]\nconcerns = ['security', 'accessibility']\n")
    assert result.settings.concerns == list(ALL_CONCERNS)
    assert "unknown concern(s) accessibility in 'concerns'" in result.warnings[0]


def test_the_registry_reads_each_brief_and_says_why_one_cannot_run(workspace, tmp_path):
    write(workspace, "prompts/accessibility.md", "Look for images without alt text.")
    (workspace / "prompts" / "binary.md").write_bytes(b"\0\0")
    (tmp_path / "outside.md").write_text("The reader's own notes.")
    (workspace / "prompts" / "escape.md").symlink_to(tmp_path / "outside.md")
    custom = {
        name: {"prompt": f"prompts/{file}"}
        for name, file in [
            ("accessibility", "accessibility.md"),
            ("binary", "binary.md"),
            ("escape", "escape.md"),
            ("missing", "missing.md"),
        ]
    }
    settings = Settings(custom_concerns=custom, concerns=[*ALL_CONCERNS, *custom])
    registry = load_registry(settings, workspace, trusted=True)
    spec = registry.spec(Concern("accessibility"))
    assert [s.name.value for s in registry.enabled(settings)][-1] == "accessibility"
    assert spec.brief("") == "Concern: accessibility\n\nLook for images without alt text.\n"
    assert spec.version.startswith("accessibility~") and not spec.built_in
    notes = "\n".join(registry.notes)
    assert "concern binary: its prompt prompts/binary.md is empty or binary; it does not run" in notes
    assert "concern escape: its prompt prompts/escape.md cannot be read (outside the workspace" in notes
    assert "concern missing: its prompt prompts/missing.md cannot be read" in notes
    untrusted = load_registry(settings, workspace, trusted=False)
    assert [s.name for s in untrusted.enabled(settings)] == list(ALL_CONCERNS)
    assert "concern accessibility: defined by the workspace, which is not trusted; it does not run" in untrusted.notes


def test_a_layer_with_both_keys_keeps_its_list_of_concerns(workspace):
    """What VS Code sends: `concerns` beside `customConcerns` (empty by default). The list was dropped whenever the
    other key was there, so `manyeyes.concerns: ["security"]` ran all four."""
    settings = load_settings(workspace, {"concerns": ["security"], "custom_concerns": {}}).settings
    assert settings.concerns == [Concern.security]
    defined = {"accessibility": {"prompt": "a11y.md"}}
    settings = load_settings(workspace, {"concerns": ["readability"], "custom_concerns": defined}).settings
    assert settings.concerns == [Concern.readability, Concern("accessibility")]
