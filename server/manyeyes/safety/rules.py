"""Content rules: secrets recognised by their shape or by their name, in any text, with no source to scan.

detect-secrets (redact.py) needs the sources a message quotes; these rules need nothing, so the model client
applies them to every message it sends, whatever its caller did. They are compiled regexes (they run on the event
loop), and every replacement is positional: a value is replaced where it stands, inside its line, so a short
password (`pw`) is hidden without replacing every `pw` in the message, and lines are never added or removed.

- shapes: provider keys (AWS, OpenAI, Anthropic, GitHub, Slack, Stripe, Google), JWTs, private key bodies,
  bearer and basic credentials, passwords in URLs;
- names: the value of a secret-named key in any syntax (`PASSWORD=...`, `db_password: ...`, `"api_key": "..."`,
  `export TOKEN=...`, comments too). A value that is code (a name, a call, a subscript, a type) or a placeholder
  (`changeme`, `<password>`, `${VAR}`) is left alone: redaction must not garble ordinary code.

In code an unquoted value is usually a name (`password = pw`); in config files (`config=True`, chosen by the
file's type in redact.py) it is the value itself (`password = letmein`). Applying the rules twice changes
nothing: a marker is never taken for a secret.
"""

from __future__ import annotations

import re


def _token(prefix: str, rest: str) -> re.Pattern:
    """A whole token starting with a literal prefix. The boundary check comes after the prefix: a pattern that
    starts with a literal is searched for quickly, one that starts with a lookbehind is tried at every position."""
    return re.compile(re.escape(prefix) + f"(?<![A-Za-z0-9]{re.escape(prefix)})" + rest + "(?![A-Za-z0-9])")


_PROVIDER_KEYS = [  # (marker kind, pattern); Anthropic's sk-ant- before OpenAI's sk-
    ("anthropic-key", _token("sk-ant-", r"[A-Za-z0-9_\-]{20,}")),
    ("openai-token", _token("sk-", r"(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,}")),
    ("aws-access-key", _token("A", r"(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}")),
    ("github-token", _token("gh", r"[pousr]_[A-Za-z0-9]{36,}")),
    ("github-token", _token("github_pat_", r"[A-Za-z0-9_]{22,}")),
    ("slack-token", _token("xox", r"[baprs]-[A-Za-z0-9\-]{10,}")),
    ("stripe-access-key", _token("sk_", r"(?:live|test)_[A-Za-z0-9]{10,}")),
    ("stripe-access-key", _token("rk_", r"(?:live|test)_[A-Za-z0-9]{10,}")),
    ("google-api-key", _token("AIza", r"[0-9A-Za-z_\-]{35,}")),
    ("json-web-token", _token("eyJ", r"[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")),
]
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
_KEY_BODY = re.compile(r"(?=[A-Za-z=]*[0-9+/])[A-Za-z0-9+/]{16,}={0,2}")  # a base64 run; words have no digit
_URL_PASSWORD = re.compile(r"://[^\s:/?#@\"'<>]*:(?P<value>[^\s/?#@\"'<>]+)@")  # scheme://user:PASSWORD@host
_SCHEME_CREDENTIAL = re.compile(r"(?P<scheme>[Bb](?:earer|EARER|asic|ASIC))[^\S\n]+(?P<value>[\w\-.~+/]+=*)")
_LONG_TOKEN = re.compile(r"(?=.*\d)[\w\-.~+/]{16,}=*")
_BASE64_CREDENTIAL = re.compile(r"(?=.+[A-Z])(?=.*[a-z])[A-Za-z0-9+/]{8,}={0,2}")
_SCHEME_PREFIX = re.compile(r"(?i:bearer|basic|token|bot)[^\S\n]+")
# Secret-named values are found from the secret word in their name (searched in ASCII-lowercased text: a
# case-insensitive search is ten times slower), then matched from the start of that name.
_SECRET_WORD = re.compile(r"p(?:ass|wd?)|secret|token|key|cred|auth")
_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}  # str.lower() may change the length
_ASSIGNMENT_HEAD = (
    r"(?P<name>[\w.\-]+)(?P<close>[\"'`]?\]?)"
    r"(?:[^\S\n]*:[^\S\n]*[A-Za-z_][\w.\[\], |]*?(?=[^\S\n]*=[^=>]))?"  # a type annotation: `password: str = ...`
    r"[^\S\n]*(?P<op>:=|=>|=(?![=~])|:(?![:/]))[^\S\n]*"
    r"(?:(?P<quoted>[rRbBuUfF]{0,2}(?:\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`))"  # escapes: "a\"b"
    r"|(?:(?P<scheme>(?i:bearer|basic|token|bot))"
    r"[^\S\n]+)?"
)
_ASSIGNMENT = re.compile(_ASSIGNMENT_HEAD + r"(?P<bare>[^\s\"'`,;)}\]]*))")
# In config files an unquoted value runs to the end of the line or to a comment: `password = my pass phrase`.
_CONFIG_ASSIGNMENT = re.compile(
    _ASSIGNMENT_HEAD + r"(?P<bare>[^\s\"'`](?:[^\n]*?[^\s])?|))(?=[^\S\n]+[#;]|[^\S\n]*(?:\n|\Z))"
)
_NAME_CHAR = re.compile(r"[\w.\-]")
_EOL = re.compile(r"[^\S\n]*(?:\n|\Z)")
_COMMENT = re.compile(r"(?:^|\s)(?:#|//|--|/\*|\*)(?:\s|$)")
_EXPORT = re.compile(r"(?:^|\s)export\s+$")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

_STRONG = frozenset(
    {"password", "passwd", "pwd", "passphrase", "passcode", "secret", "token", "credential", "credentials"}
    | {"authorization", "apikey", "authkey", "accesskey", "privatekey", "secretkey"}
)
_LAST_ONLY = frozenset({"pass", "pw"})  # DB_PASS, db_pw; but pass_rate is no password
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "private", "auth", "secret", "signing", "encryption", "master", "client", "service", "account"}
    | {"db", "database", "license", "app", "admin", "session", "webhook", "ssh", "aws", "shared", "consumer"}
)
# Words that may follow the secret word in a secret's name (DB_PASSWORD_PROD, password_hash); any other word says
# the value is about the secret, not the secret: password_length, token_url, api_key_env.
_TRAILING = frozenset(
    {"key", "hash", "value", "val", "str", "string", "b64", "base64", "hex", "enc", "encrypted", "plain", "raw"}
    | {"secure", "prod", "production", "dev", "staging", "test", "live", "old", "new", "current", "confirm"}
    | {"confirmation", "again", "repeat"}
)
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pass", "pw", "passcode", "passphrase"})
_NOT_SECRETS = frozenset(
    {"none", "true", "false", "null", "nil", "undefined", "yes", "no", "on", "off", "self", "this", "str"}
    | {"string", "bytes", "int", "float", "bool", "boolean", "number", "dict", "list", "tuple", "set", "object"}
    | {"any", "await", "new", "not", "lambda", "required", "optional"}
)
_PLACEHOLDER = re.compile(
    r"""\s*(?:
        [*xX.\-_#?•]*                                   # empty or masked: ****, xxxx, ...
        | \$(?:\w+|\{[^}]*\}|\(.*\)) | [:@]\w+          # $VAR, ${VAR}, $(cmd); SQL :name and @name parameters
        | .*(?:\{|%\(\w*\)s|%s|<redacted:).*            # templates: {x}, {{ x }}, %(x)s, %s; a marker
        | <[^>]*>                                       # <password>
        | (?i:changeme|change[_-]me|secret|password|passwd|token|example|dummy|placeholder|redacted|todo|fixme)
        | (?i:your[_\-].*|.*[_\-]here|string|str|none|null|nil)
    )\s*""",
    re.VERBOSE,
)
_CODE = re.compile(r".*[(\[{].*|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[&*|>].*")  # call, subscript, attribute, YAML
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_TYPE_NAME = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]*)*")  # SecretStr, Optional: an annotation, not a value
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_LONG_KEY = re.compile(r"[0-9a-fA-F]{20,}|(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9+/_\-]{24,}={0,2}")


def redact_content(text: str, *, config: bool = False) -> str:
    """The text with every secret these rules recognise replaced in place by its marker; same lines."""
    for kind, pattern in _PROVIDER_KEYS:
        text = pattern.sub(marker(kind), text)
    text = _PRIVATE_KEY.sub(_blank_key_body, text)
    text = _URL_PASSWORD.sub(_url_password, text)
    text = _SCHEME_CREDENTIAL.sub(_scheme_credential, text)
    return _secret_named_values(text, config)


def redact_messages(messages: list[dict]) -> list[dict]:
    """Chat messages with the content rules applied to every text they carry (copies; the input is untouched)."""
    return [_redacted_message(message) for message in messages]


def _redacted_message(message: dict) -> dict:
    content = message.get("content")
    if isinstance(content, str):
        return {**message, "content": redact_content(content)}
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        parts = [
            {**part, "text": redact_content(part["text"])} if isinstance(part, dict) and "text" in part else part
            for part in content
        ]
        return {**message, "content": parts}
    return message


def is_placeholder(value: str) -> bool:
    """A value that stands for a secret without being one: changeme, xxx, <password>, ${VAR}, %(x)s, a marker."""
    return _PLACEHOLDER.fullmatch(value) is not None


def marker(kind: str) -> str:
    return "<redacted:" + kind.lower().replace(" ", "-") + ">"


def _replace(match: re.Match, start: int, end: int, kind: str) -> str:
    """The match with text[start:end] (absolute offsets inside it) replaced by the marker: positional redaction."""
    whole = match.group(0)
    return whole[: start - match.start()] + marker(kind) + whole[end - match.start() :]


def _blank_key_body(match: re.Match) -> str:
    return _KEY_BODY.sub(marker("private-key"), match.group(0))


def _url_password(match: re.Match) -> str:
    if is_placeholder(match["value"]):
        return match.group(0)
    return _replace(match, match.start("value"), match.end("value"), "basic-auth-credentials")


def _scheme_credential(match: re.Match) -> str:
    """`"Bearer xyz"` ending a string, or a credential that looks like one anywhere; not "Bearer tokens are" nor
    "Basic usage" (a basic credential is base64: a capital letter after the first)."""
    value, scheme, text, end = match["value"], match["scheme"].lower(), match.string, match.end()
    if match.start() > 0 and _NAME_CHAR.match(text, match.start() - 1):  # part of a longer word: NotBearer
        return match.group(0)
    ends_string = end < len(text) and text[end] in "\"'`"
    shaped = _LONG_TOKEN.fullmatch(value) or (scheme == "basic" and _BASE64_CREDENTIAL.fullmatch(value))
    if is_placeholder(value) or not (shaped or (ends_string and scheme == "bearer")):
        return match.group(0)
    return _replace(match, match.start("value"), end, _scheme_kind(scheme))


def _scheme_kind(scheme: str | None) -> str:
    return {"bearer": "bearer-token", "basic": "basic-auth-credentials"}.get((scheme or "").lower(), "secret-keyword")


def _secret_named_values(text: str, config: bool) -> str:
    """Every assignment to a secret-named key, with its value redacted where it is a literal."""
    pattern = _CONFIG_ASSIGNMENT if config else _ASSIGNMENT
    pieces, done = [], 0
    for word in _SECRET_WORD.finditer(text.translate(_ASCII_LOWER)):
        start = _name_start(text, word.start(), done)
        if word.start() < done or (start > 0 and text[start - 1] == "$"):  # consumed, or a shell $PASSWORD
            continue
        match = pattern.match(text, start)
        if match is not None:
            pieces += [text[done:start], _assignment(match, config)]
            done = match.end()
    return "".join([*pieces, text[done:]])


def _name_start(text: str, index: int, floor: int) -> int:
    while index > floor and _NAME_CHAR.match(text, index - 1):
        index -= 1
    return index


def _assignment(match: re.Match, config: bool) -> str:
    strength = _name_strength(match["name"])
    if strength is None:
        return match.group(0)
    if match["quoted"] is not None:
        return _quoted_value(match, strength)
    value = match["bare"]
    if not value or not _literal(value, match, strength, config):
        return match.group(0)
    return _replace(match, match.start("bare"), match.end("bare"), _scheme_kind(match["scheme"]))


def _quoted_value(match: re.Match, strength: str) -> str:
    quoted = match["quoted"]
    opening = quoted.index(quoted[-1])  # after an r/b/f prefix
    inner = quoted[opening + 1 : -1]
    scheme = _SCHEME_PREFIX.match(inner)
    value = inner[scheme.end() :] if scheme else inner
    if is_placeholder(value) or (strength == "weak" and not _LONG_KEY.fullmatch(value)):
        return match.group(0)
    start = match.start("quoted") + opening + 1 + (scheme.end() if scheme else 0)
    return _replace(match, start, match.end("quoted") - 1, _scheme_kind(scheme.group(0).strip() if scheme else None))


def _literal(value: str, match: re.Match, strength: str, config: bool) -> bool:
    """Whether an unquoted value is the secret itself rather than code that computes it."""
    if is_placeholder(value) or value.lower() in _NOT_SECRETS or _CODE.fullmatch(value):
        return False
    if strength == "weak":
        return bool(_LONG_KEY.fullmatch(value))
    if _NUMBER.fullmatch(value):
        return _words(match["name"])[-1] in _PASSWORD_WORDS  # a PIN, not max_tokens = 2048
    if config or not _IDENTIFIER.fullmatch(value):
        return True
    return _literal_identifier(value, match)


def _literal_identifier(value: str, match: re.Match) -> bool:
    """In code `password = pw` names a variable, and so do a type (`password: str`) and a secret-named value
    (`password = new_password`); but `# password: hunter2`, `PASSWORD=hunter2`, `export TOKEN=abc` and
    `db_password: letmein` ending a line are values."""
    if _TYPE_NAME.fullmatch(value):
        return False
    text = match.string
    prefix = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
    at_eol = _EOL.match(text, match.end()) is not None
    if at_eol and _COMMENT.search(prefix):  # a comment holds prose and values, not code
        return True
    secret_named = _name_strength(value) is not None
    if match["op"] == "=" and (match["name"].isupper() or _EXPORT.search(prefix)):  # KEY=value, export KEY=value
        return not (secret_named and value.isupper())  # but PASSWORD = DEFAULT_PASSWORD names a constant
    if secret_named:
        return False
    return any(c.isdigit() for c in value) or (at_eol and match["op"] == ":")


def _name_strength(name: str) -> str | None:
    """Strong for a secret's name (DB_PASSWORD, apiKey, X-Auth-Token), weak for a bare key (only long hex or
    base64 values count), None for any other, including names about a secret (password_length)."""
    words = _words(name)
    for index, word in enumerate(words):
        qualified_key = word == "key" and index > 0 and words[index - 1] in _KEY_QUALIFIERS
        last = index == len(words) - 1
        if (word in _STRONG or qualified_key or (word in _LAST_ONLY and last)) and all(
            w in _TRAILING or w.isdigit() for w in words[index + 1 :]
        ):
            return "strong"
    return "weak" if words and words[-1] == "key" else None


def _words(name: str) -> list[str]:
    return [word.lower() for word in _WORDS.findall(name)] or [""]
