"""What language a file is reviewed as, by its name; None for what no reviewer reads (prose, images, ...)."""

from __future__ import annotations

from pathlib import Path

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".rb": "ruby",
    ".php": "php",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".swift": "swift",
    ".scala": "scala",
    ".sh": "shell",
    ".bash": "shell",
    ".lua": "lua",
    ".sql": "sql",
    ".ps1": "powershell",
    ".zsh": "shell",
    # Configuration and templates: the secrets and hidden-text scans read every one, and a model reviews them for
    # security only (plan/triage.py): a password in config/dev.yaml is as leaked as one in code.
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".json": "json",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".properties": "properties",
    ".xml": "xml",
    ".tf": "terraform",
    ".env": "dotenv",
    ".html": "html",
    ".htm": "html",
    ".jinja": "jinja",
    ".jinja2": "jinja",
    ".j2": "jinja",
    ".tmpl": "template",
    ".hbs": "handlebars",
    ".ejs": "ejs",
    ".erb": "erb",
}
# Files known by name rather than by suffix.
_NAMED = {"Dockerfile": "dockerfile", "Containerfile": "dockerfile", "Makefile": "make", "Jenkinsfile": "groovy"}
CONFIG_LANGUAGES = frozenset({"yaml", "toml", "json", "ini", "properties", "xml", "terraform", "dotenv"})
TEMPLATE_LANGUAGES = frozenset({"html", "jinja", "template", "handlebars", "ejs", "erb"})


# An unsaved, untitled document has no name to tell its language by, only the editor's language id: the suffix it
# is reviewed as. The ids are the ones LSP lists (TextDocumentItem.languageId); most are the language's own name.
_SUFFIX_OF_LANGUAGE_ID = {
    **{language: suffix for suffix, language in reversed(LANGUAGES.items())},  # the first suffix of each
    "javascriptreact": ".jsx",
    "typescriptreact": ".tsx",
    "shellscript": ".sh",
    "jinja-html": ".jinja",
    "dotenv": ".env",
}


def suffix_of_language_id(language_id: str) -> str | None:
    """The file suffix a document in this editor language is reviewed as; None for one no reviewer reads."""
    suffix = _SUFFIX_OF_LANGUAGE_ID.get(language_id)
    return suffix if suffix and suffix != ".env" else None  # dotenv is told by name, never by suffix


def reviewed_files() -> dict[str, list[str]]:
    """What language_of knows, for an editor's document selector (the VS Code extension's manifest holds a copy,
    checked by tests/editors/test_vscode_settings.py): suffixes, whole names, name prefixes, and the language ids
    of the untitled documents it reviews."""
    return {
        "suffixes": sorted(suffix.lstrip(".") for suffix in LANGUAGES),
        "names": sorted([*_NAMED, ".env"]),
        "prefixes": [".env.", "Dockerfile."],
        "languageIds": sorted(lid for lid in _SUFFIX_OF_LANGUAGE_ID if suffix_of_language_id(lid)),
    }


def language_of(path: Path) -> str | None:
    """The language a file is reviewed as, by its name; None for a type no reviewer reads (prose, images, ...)."""
    name = path.name
    if name in _NAMED:
        return _NAMED[name]
    if name == ".env" or name.startswith(".env."):  # .env.local, .env.production
        return "dotenv"
    if name.startswith("Dockerfile."):
        return "dockerfile"
    return LANGUAGES.get(path.suffix.lower())
