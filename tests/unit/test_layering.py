"""Import direction: the engine never imports pygls or lsprotocol (only the server, and the benchmarks that
drive it as a client, do), only manyeyes.llm imports litellm, and only plan/gitsafe.py starts git."""

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
        "import sys, manyeyes.cli.main; from manyeyes.lsp.server import build_server; build_server(); "
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
