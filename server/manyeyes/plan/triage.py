"""Triage: which concerns a chunk needs, decided from cheap static signals the board can explain.

A model agent costs a prompt; most chunks do not need all four. Security runs where the code touches input, the
network, files, processes, SQL, templates, deserialization, crypto, auth or secrets; performance where there are
loops, queries or I/O; tests where public behaviour is defined; readability where the code is not trivial. A
skipped concern is not forgotten: its task stands by and still runs if an analyzer flags the chunk for that
concern (agents/grounding.py), so triage can only save what no analyzer points at.

The signals come from the syntax tree: Python's `ast`, and for the other languages with a grammar (and Python this
interpreter cannot parse) tree-sitter's (plan/signals.py). Code triage cannot classify (a language with no
grammar, a file with syntax errors) gets every concern: a wrong skip costs a missed finding, a wrong run only
tokens. Configuration gets security only (secrets, debug flags, TLS off), templates security and readability.
"""

from __future__ import annotations

import ast
import re

from manyeyes.models import Concern
from manyeyes.plan.languages import CONFIG_LANGUAGES, TEMPLATE_LANGUAGES
from manyeyes.plan.signals import LARGE_LITERAL, Signals, code_lines, tree_signals
from manyeyes.plan.slicing import Chunk
from manyeyes.plan.syntax import ast_lines
from manyeyes.safety.redact import might_hold_secret

# Modules, objects and attributes whose mere mention means the code reaches input, the network, processes, files
# by name, SQL, templates, deserialization, crypto or auth. Matched whole against identifiers and attribute names.
_SECURITY_NAMES = frozenset(
    """
    subprocess pickle cPickle marshal shelve yaml dill jsonpickle ctypes
    tempfile tarfile zipfile shutil
    request requests urlopen urllib urllib3 httpx aiohttp socket ftplib telnetlib smtplib paramiko
    cursor sqlite3 psycopg2 pymysql MySQLdb sqlalchemy
    jinja2 Markup mark_safe autoescape innerHTML
    hashlib hmac secrets ssl jwt crypt Crypto cryptography Cipher
    argv environ stdin
    etree lxml minidom sax ldap xpath
    cookies headers query_params GET POST FILES set_cookie csrf_exempt login_required
    """.split()
)
# The same for the other languages (JavaScript and TypeScript, Go, Java, PHP): names that in Python are everyday
# (`os`, `params`, `body`, `template`) and would spare nothing there.
_OTHER_SECURITY_NAMES = frozenset(
    """
    req params body query child_process fs http https net fetch axios XMLHttpRequest innerHTML outerHTML
    dangerouslySetInnerHTML document location localStorage sessionStorage crypto bcrypt jsonwebtoken
    Request FormValue URL Query QueryRow Exec Command ioutil os filepath template HTML Cookie
    Runtime ProcessBuilder Statement PreparedStatement executeQuery HttpServletRequest getParameter ObjectInputStream
    _GET _POST _REQUEST _COOKIE _SERVER _FILES mysqli PDO
    """.split()
)
# Functions whose call is a sink (a name alone, like a parameter called `input`, is not).
_SINK_CALLS = frozenset(
    """
    eval exec compile __import__ system popen Popen spawnl spawnv execv execve execvp startfile
    open read_text read_bytes write_text write_bytes unlink rmtree chmod chown mktemp extractall
    send_file send_from_directory redirect render_template_string Template
    execute executemany executescript raw extra
    md5 sha1 random randint choice getrandbits Random randrange choices uniform triangular randbytes
    getenv input urlretrieve
    parseString fromstring XMLParser XMLPullParser load loads unsafe_load full_load
    """.split()
)
_OTHER_SINK_CALLS = frozenset(
    """
    execSync spawn spawnSync execFile execFileSync Function setTimeout setInterval readFile readFileSync
    writeFile writeFileSync createReadStream sendFile deserialize unserialize shell_exec passthru proc_open
    include require_once exec_command Command Open ReadFile WriteFile Query QueryRow Exec Marshal Unmarshal
    """.split()
)
# Of those, the calls through which input becomes code, commands, queries, objects, files or requests: a chunk
# that calls one is risky, and gets more votes first (consensus/escalation.py).
_INJECTION_SINKS = frozenset(
    """
    eval exec compile __import__ system popen Popen spawnl spawnv execv execve execvp startfile
    execute executemany executescript raw extra render_template_string Template redirect send_file
    send_from_directory extractall parseString fromstring XMLParser XMLPullParser loads load unsafe_load full_load
    urlretrieve
    """.split()
)
# Words that name something secret or security-relevant, matched against the words of a name (`user_password`,
# `authToken`), so `author` is not `auth`.
_SECURITY_WORDS = frozenset(
    """
    password passwd pwd secret secrets token credential credentials apikey auth authenticate authentication
    authorize authorization login logout session cookie permission permissions privkey sql csrf oauth acl
    """.split()
)
_ALL_SECURITY_NAMES = _SECURITY_NAMES | _OTHER_SECURITY_NAMES
_ALL_SINK_CALLS = _SINK_CALLS | _OTHER_SINK_CALLS
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")  # a name called, as text shows it
# Sinks only as the builtins: `re.compile`, `ast.literal_eval`-like helpers and `self.open` are something else.
_BUILTIN_SINKS = frozenset({"eval", "exec", "compile", "open", "input", "__import__"})
_SQL = re.compile(r"\b(select|insert|update|delete|drop)\b.*\b(from|into|set|where|table)\b", re.IGNORECASE)
_SHELL = re.compile(r"\b(sh|bash|cmd|powershell)(\.exe)?\s+(-c|/c)\b|\$\(|`[^`]+`")
_PERFORMANCE_NAMES = frozenset(
    """
    execute executemany query objects fetchall fetchmany urlopen requests httpx readlines read_text read_bytes
    sleep sort sorted deepcopy lru_cache cache cached_property numpy pandas DataFrame iterrows apply
    """.split()
)
_OTHER_PERFORMANCE_NAMES = frozenset(
    "fetch axios readFileSync writeFileSync readFile Promise Query QueryRow ReadAll".split()
)
_LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_DECLARATIONS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.Pass, ast.Expr)
TRIVIAL_CODE_LINES = 3


def triage(chunk: Chunk, concerns: list[Concern], thorough: bool) -> dict[Concern, str | None]:
    """Each concern with the reason the board shows for skipping it here, or None: needed. A project's own
    concern skips what readability skips: trivial chunks."""
    if thorough:
        return dict.fromkeys(concerns)
    not_code = _not_code(chunk.document.language)
    if not_code:  # a project's own concern decides with its `paths` which files it reads
        return {c: None if c in not_code[0] or not c.built_in else not_code[1] for c in concerns}
    signals = read_signals(chunk)
    if signals is None:
        return dict.fromkeys(concerns)
    return {c: _SKIP_REASONS.get(c, _readability_skip)(signals) for c in concerns}


def _not_code(language: str) -> tuple[set[Concern], str] | None:
    """Configuration and templates: the concerns they need, and why the others are skipped."""
    if language in CONFIG_LANGUAGES:
        return {Concern.security}, f"{language} configuration, not code: only security reads it"
    if language in TEMPLATE_LANGUAGES:
        return {Concern.security, Concern.readability}, f"a {language} template: no loops or behaviour to test"
    return None


def sinks_called(chunk: Chunk) -> tuple[list[str], list[str]]:
    """The sinks a chunk calls: (injection sinks: `eval`, `execute`, `loads`, ...; the others: `open`, `md5`,
    `random`, ...). Read from the syntax tree; in code that has none here (another language, a fragment, Python
    this interpreter cannot parse), from the text: a sink's name followed by "(" (`md5(`, `os.system (`)."""
    signals = read_signals(chunk)
    named = signals.calls if signals is not None else set(_CALL.findall(chunk.text))
    calls = {name for name in named if name not in _BUILTIN_SINKS or _bare_call(name, chunk)}
    return sorted(calls & _INJECTION_SINKS), sorted(calls & (_SINK_CALLS - _INJECTION_SINKS))


def _bare_call(name: str, chunk: Chunk) -> bool:
    """`compile(` as the builtin, not `re.compile(`: a builtin sink is one only when called by its bare name."""
    return re.search(rf"(?<![\w.]){re.escape(name)}\s*\(", chunk.text) is not None


def read_signals(chunk: Chunk) -> Signals | None:
    """The chunk's signals; None when triage cannot classify it (no syntax tree: a language with no grammar, or a
    file with syntax errors)."""
    tree = chunk.document.tree
    if tree is None:
        return tree_signals(chunk)
    signals = Signals(code_lines=code_lines(chunk))
    for node in _statements_in(tree, chunk.start, chunk.end):
        _read_statement(node, signals)
    return signals


def _statements_in(tree: ast.Module, start: int, end: int) -> list[ast.stmt]:
    """The outermost statements that lie within start..end (descending into a class or function the chunk only
    covers part of: a method chunk of a long class)."""
    found: list[ast.stmt] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        first, last = ast_lines(node)
        if last < start or first > end:
            continue
        if start <= first and last <= end:
            found.append(node)
        else:
            pending.extend(getattr(node, "body", []) + getattr(node, "orelse", []) + getattr(node, "handlers", []))
    return found


def _read_statement(statement: ast.stmt, signals: Signals) -> None:
    if not _is_declaration(statement):
        signals.declarations_only = False
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return  # importing `subprocess` runs nothing: the code that calls it is what needs a look
    for node in ast.walk(statement):
        if isinstance(node, ast.Name):
            signals.names.add(node.id)
        elif isinstance(node, ast.Attribute):
            signals.names.add(node.attr)
        elif isinstance(node, ast.arg):
            signals.names.add(node.arg)
        elif isinstance(node, ast.Call):
            signals.calls.add(_called_name(node.func))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            signals.strings.append(node.value)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _read_definition(node, signals)
        elif isinstance(node, (ast.List, ast.Set, ast.Tuple, ast.Dict)):
            size = len(node.keys) if isinstance(node, ast.Dict) else len(node.elts)
            signals.large_literal |= size >= LARGE_LITERAL
        signals.loops |= isinstance(node, _LOOP_NODES)


def _read_definition(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, signals: Signals) -> None:
    signals.names.add(node.name)
    if not node.name.startswith("_") or node.name == "__init__":
        signals.public_definitions.append(node.name)
    calls = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    signals.recursion |= not isinstance(node, ast.ClassDef) and node.name in calls


def _called_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_declaration(statement: ast.stmt) -> bool:
    """Imports, constants, docstrings, `pass`: nothing that runs logic."""
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Constant)
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return statement.value is None or not any(isinstance(n, ast.Call) for n in ast.walk(statement.value))
    return isinstance(statement, _DECLARATIONS)


def _trivial(signals: Signals) -> bool:
    return signals.declarations_only or signals.code_lines <= TRIVIAL_CODE_LINES


def _security_skip(signals: Signals) -> str | None:
    names, calls = (_SECURITY_NAMES, _SINK_CALLS) if signals.python else (_ALL_SECURITY_NAMES, _ALL_SINK_CALLS)
    if signals.names & names or signals.calls & calls:
        return None
    if any(word.lower() in _SECURITY_WORDS for name in signals.names for word in _WORD.findall(name)):
        return None
    if any(_SQL.search(s) or _SHELL.search(s) or "://" in s or might_hold_secret(s, True) for s in signals.strings):
        return None
    return "no input, sink, secret or security-relevant call"


def _performance_skip(signals: Signals) -> str | None:
    names = _PERFORMANCE_NAMES if signals.python else _PERFORMANCE_NAMES | _OTHER_PERFORMANCE_NAMES
    if signals.loops or signals.recursion or signals.large_literal or signals.names & names:
        return None
    return "no loops, queries, I/O or large data"


def _tests_skip(signals: Signals) -> str | None:
    if signals.public_definitions:
        return None
    if signals.declarations_only:
        return "no behaviour to test (declarations only)"
    return "no public definitions"


def _readability_skip(signals: Signals) -> str | None:
    if not _trivial(signals):
        return None
    what = "declarations only" if signals.declarations_only else f"{signals.code_lines} line(s) of code"
    return f"trivial ({what})"


_SKIP_REASONS = {
    Concern.security: _security_skip,
    Concern.performance: _performance_skip,
    Concern.tests: _tests_skip,
    Concern.readability: _readability_skip,
}
