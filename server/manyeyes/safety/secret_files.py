"""What a file's name says about its secrets: whether it is a secrets file by nature, and how to scan it.

A `.env`, a private key or a `~/.netrc` exists to hold secrets: redacting it would leave little worth reviewing,
so the planner does not send such files to a model at all (unless `send_secret_files` says so). Other files are
scanned with the rules of their type: detect-secrets picks its keyword patterns from the file name, and config
files (.env, YAML, INI, TOML, shell) take unquoted values (`PASSWORD=hunter2`) where code would have a name.
"""

from __future__ import annotations

from pathlib import PurePosixPath

SECRETS_FILE_REASON = "secrets file: not sent to a model (send_secret_files)"

_SECRET_NAMES = frozenset(
    {".env", ".npmrc", ".pypirc", ".netrc", "credentials", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"}
)
_SECRET_SUFFIXES = frozenset({".pem", ".key", ".p12", ".pfx", ".keystore", ".jks"})
_TEMPLATE_SUFFIXES = frozenset({".example", ".sample", ".template"})  # .env.example documents, holds no secret
# detect-secrets' config file types (CONFIG, INI, PROPERTIES, TOML, YAML): `key = value` without quotes.
_CONFIG_SUFFIXES = frozenset(
    {".cnf", ".conf", ".cfg", ".cf", ".ini", ".properties", ".toml", ".yaml", ".yml", ".eyaml"}
)
_SHELL_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".ksh"})  # `export TOKEN=abc`: the same shape
_AS_CONFIG = ".conf"  # the suffix detect-secrets reads as a config file


def is_secrets_file(path: str) -> bool:
    """True for files that hold secrets by nature: .env (not .env.example), keys, keystores, credentials."""
    name = PurePosixPath(path.replace("\\", "/")).name.lower()
    suffix = PurePosixPath(name).suffix
    if name.startswith(".env.") and suffix not in _TEMPLATE_SUFFIXES:
        return True
    return name in _SECRET_NAMES or suffix in _SECRET_SUFFIXES


def scan_suffix(path: str) -> str:
    """The suffix whose rules scan this file: its own, or `.conf` for files shaped like config."""
    name = PurePosixPath(path.replace("\\", "/")).name.lower()
    suffix = PurePosixPath(name).suffix
    if name.startswith(".env") or name.endswith(".env") or name in _SECRET_NAMES or suffix in _SHELL_SUFFIXES:
        return _AS_CONFIG
    return suffix


def is_config_suffix(suffix: str) -> bool:
    """Whether files scanned with this suffix write values unquoted."""
    return suffix in _CONFIG_SUFFIXES
