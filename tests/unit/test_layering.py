"""Import direction: the engine never imports pygls or lsprotocol, and only manyeyes.llm imports litellm."""

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
        if modules & {"pygls", "lsprotocol"} and not rel.startswith("lsp/"):
            offenders.append(f"{rel} imports pygls/lsprotocol")
    assert offenders == []


def test_importing_the_engine_does_not_load_litellm():
    import subprocess
    import sys

    code = "import sys, manyeyes.engine, manyeyes.cli; print('litellm' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
