"""Import direction: the engine never imports pygls or lsprotocol (only the server, and the benchmarks that
drive it as a client, do), and only manyeyes.llm imports litellm."""

import ast
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


def test_importing_the_engine_does_not_load_litellm():
    import subprocess
    import sys

    code = "import sys, manyeyes.engine, manyeyes.cli; print('litellm' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_the_server_starts_without_pydantic_or_the_engine():
    """What `manyeyes lsp` imports before it can answer `initialize` (start-up is a measured target): the command
    line and the server with every feature registered, but neither pydantic nor the engine."""
    import subprocess
    import sys

    code = (
        "import sys, manyeyes.cli; from manyeyes.lsp.server import build_server; build_server(); "
        "print(sorted(m for m in ('pydantic', 'manyeyes.engine', 'manyeyes.config', 'anyio') if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


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
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.stdout.strip() == "None True", proc.stderr
