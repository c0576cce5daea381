"""Import direction: no module imports another that imports it back (directly or round a circle, lazily or for
types), the engine imports no front end, the engine never imports pygls or lsprotocol (only the server, and the
benchmarks that drive it as a client, do), only manyeyes.llm imports litellm, and only plan/gitsafe.py starts git."""

import ast
import re
from pathlib import Path

import manyeyes

PACKAGE = Path(manyeyes.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def internal_imports(name: str, tree: ast.AST, modules: set[str], is_package: bool = False) -> set[str]:
    """The manyeyes modules a module imports anywhere (at the top, in a function, for types only)."""
    imported = set()
    package = name.split(".") if is_package else name.split(".")[:-1]  # what `from . import` names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parent = package[: len(package) - node.level + 1]
            base = ".".join(parent + ([node.module] if node.module else [])) if node.level else node.module
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base or ""]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                imported.add(candidate)
    return imported


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, edges = work[-1]
            nxt = next((e for e in edges if e in graph), None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules it imports; a package's `__init__` is left out as a target: importing one module of a
    package is not importing its face, which only hands names on."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    faces = {name for name, path in paths.items() if path.name == "__init__.py"}
    graph = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = internal_imports(name, tree, set(paths), name in faces) - faces
    return graph


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_the_circle_check_sees_circles():
    modules = {"manyeyes.a", "manyeyes.b", "manyeyes.c", "manyeyes.pkg.d"}
    lazy = ast.parse("def f():\n    from manyeyes.b import thing\n")
    typed = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from manyeyes.c import T\n")
    relative = ast.parse("from .. import a\nfrom .d import thing\n")
    assert internal_imports("manyeyes.a", lazy, modules) == {"manyeyes.b"}
    assert internal_imports("manyeyes.b", typed, modules) == {"manyeyes.c"}
    assert internal_imports("manyeyes.pkg.e", relative, modules) == {"manyeyes.a", "manyeyes.pkg.d"}
    graph = {"manyeyes.a": {"manyeyes.b"}, "manyeyes.b": {"manyeyes.c"}, "manyeyes.c": {"manyeyes.a"}}
    assert circles(graph) == [["manyeyes.a", "manyeyes.b", "manyeyes.c"]]
    assert circles(graph | {"manyeyes.c": set()}) == []


FRONT_ENDS = ("manyeyes.cli", "manyeyes.lsp", "manyeyes.__main__")


def test_the_engine_imports_no_front_end():
    """The command line and the language server are front ends over the engine: nothing below them names them
    (the benchmarks and dev tools drive the front ends and sit above them)."""
    above = FRONT_ENDS + ("manyeyes.benchmarks", "manyeyes.devtools")
    offenders = [
        f"{name} imports {target}"
        for name, imported in import_graph().items()
        if not name.startswith(above)
        for target in imported
        if target.startswith(FRONT_ENDS)
    ]
    assert offenders == []


def test_import_direction():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        modules = imported_modules(path)
        if "litellm" in modules and not rel.startswith("llm/"):
            offenders.append(f"{rel} imports litellm")
        if modules & {"pygls", "lsprotocol"} and not rel.startswith(("lsp/", "benchmarks/")):
            offenders.append(f"{rel} imports pygls/lsprotocol")
    assert offenders == []


# Starting git anywhere else would bypass the safe configuration (docs/security.md). The one exception builds its
# own throwaway repository for a benchmark, never a reviewed one.
GIT_MODULE = "plan/gitsafe.py"
BUILDS_ITS_OWN_REPOSITORY = {"benchmarks/engine_figures.py"}
_GIT_PROGRAM = re.compile(r"git(\.exe)?")
_SHELL_GIT = re.compile(r"\s*git\s")
_PROCESS_STARTERS = {"system", "popen", "create_subprocess_exec", "create_subprocess_shell"} | {
    f"{verb}{suffix}" for verb in ("exec", "spawn") for suffix in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")
}


def starts_processes(tree: ast.AST) -> bool:
    """The module imports subprocess, or calls os.system/popen/exec*/spawn* or asyncio's subprocess functions."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            if any(name.split(".")[0] == "subprocess" or name in _PROCESS_STARTERS for name in names):
                return True
        elif isinstance(node, ast.Attribute) and node.attr in _PROCESS_STARTERS:
            return True
    return False


def names_git(tree: ast.AST) -> bool:
    """The git program as a string: "git" or "git.exe" anywhere, or a shell command "git ..." given to a call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _GIT_PROGRAM.fullmatch(node.value):
            return True
        if isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and _SHELL_GIT.match(first.value):
                return True
    return False


def test_only_the_git_module_starts_git_and_nothing_imports_gitpython():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if "git" in imported_modules(path):
            offenders.append(f"{rel} imports gitpython")  # its Git runner cannot drop inherited GIT_* variables
        if rel != GIT_MODULE and rel not in BUILDS_ITS_OWN_REPOSITORY and starts_processes(tree) and names_git(tree):
            offenders.append(f"{rel} starts git")
    assert offenders == []


def test_the_layering_check_sees_a_git_subprocess():
    """The checks above, on the ways code could start git."""
    samples = [
        'import subprocess\nsubprocess.run(["git", "status"])',
        "from subprocess import run\nrun(('git.exe', 'diff'))",
        'import os\nos.system("git status")',
        'import asyncio\nasyncio.create_subprocess_exec("git", "diff")',
        'import subprocess, shutil\nsubprocess.run([shutil.which("git"), "diff"])',
    ]
    for code in samples:
        tree = ast.parse(code)
        assert starts_processes(tree) and names_git(tree), code
    git_module = ast.parse((PACKAGE / GIT_MODULE).read_text(encoding="utf-8"))
    assert starts_processes(git_module) and names_git(git_module)  # so the exemption is what lets it pass
    quiet = ast.parse('import subprocess\nsubprocess.run(["ruff", "check"])\nprint("not a git repository")')
    assert not names_git(quiet)


def test_importing_the_engine_does_not_load_litellm():
    import subprocess
    import sys

    code = "import sys, manyeyes.engine, manyeyes.cli.main; print('litellm' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False).stdout.strip()
        == "False"
    )


def test_the_server_starts_without_pydantic_or_the_engine():
    """What `manyeyes lsp` imports before it can answer `initialize` (start-up is a measured target): the command
    line and the server with every feature registered, but neither pydantic nor the engine."""
    import subprocess
    import sys

    code = (
        "import sys, manyeyes.cli.main; from manyeyes.lsp.main import build_server; build_server(); "
        "print(sorted(m for m in ('pydantic', 'manyeyes.engine', 'manyeyes.config', 'anyio') if m in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False).stdout.strip() == "[]"
    )


def test_litellm_loads_no_dotenv_and_fetches_no_price_table(tmp_path):
    """A workspace's .env must not redirect where code goes: litellm is loaded with .env loading off."""
    import os
    import subprocess
    import sys

    (tmp_path / ".env").write_text("OPENAI_API_BASE=http://attacker.invalid\nOPENAI_API_KEY=sk-stolen\n")
    code = (
        "import os; from manyeyes.llm.loader import load_litellm; load_litellm(); "
        "print(os.environ.get('OPENAI_API_BASE'), os.environ.get('LITELLM_LOCAL_MODEL_COST_MAP'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LITELLM_"))}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, check=False
    )
    assert proc.stdout.strip() == "None True", proc.stderr
