"""What semgrep is given: the files any rule could match, and of a Python file only the functions that could.

Every rule needs a word in the code it matches: a Python rule is about web code (a flow starts at the request,
Flask's or a Django view's argument, or at a route's parameters; a setting names cookies, CSRF or CORS), a
JavaScript one starts at an Express/Koa request, the browser's URL or a message event, or names a JWT call or an
XML parser's `noent`. semgrep's own prefilter skips rules, not files: it parses every target and runs each taint
rule over every function (a route's parameters, a source, are a pattern with no literal in it). So

- a file with none of its language's words is not sent to semgrep at all, and
- in a Python file, a function with none of them (decorators included) is sent as `pass`: its taint rules follow
  data within the function, so one that reads no request cannot hold a flow. Its lines are kept blank, so every
  line and column semgrep reports is the file's own. A helper that a function reading request data calls is
  kept (helper_flows.py follows the request into it).

tests/unit/test_semgrep.py checks that every source and every pattern rule of these languages' packs names one of
the words: a rule added without one would silently never see what is skipped.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from manyeyes.plan.documents import Document
from manyeyes.plan.syntax import ast_lines

ROUTE_DECORATOR = r"@\s*[\w.]+\s*\.\s*(route|get|post|put|patch|delete|api_route|websocket)\s*\("  # Flask, FastAPI
RULES_NEED = {
    "python": re.compile(r"request|cookie|csrf|cors|exempt|allow_origins|" + ROUTE_DECORATOR, re.IGNORECASE),
    "javascript": re.compile(
        r"\b(req|request|ctx)\b|URLSearchParams|addEventListener|\blocation\b|document\s*\.\s*URL|noent"
        r"|\.\s*(sign|verify)\s*\("
    ),
}
RULES_NEED["typescript"] = RULES_NEED["javascript"]
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def may_match(document: Document) -> bool:
    """Whether any rule could report on this file (Python, JavaScript and TypeScript are prefiltered)."""
    needs = RULES_NEED.get(document.language)
    return needs is None or needs.search(document.text) is not None


def write_targets(documents: list[Document], folder: Path, helpers: dict[str, set[str]] | None = None) -> None:
    """Each document as semgrep reads it, at its own relative path under `folder`; `helpers`: the top-level
    functions of each Python file to keep whole."""
    for document in documents:
        target = folder / document.path
        target.parent.mkdir(parents=True, exist_ok=True)
        keep = (helpers or {}).get(document.path, set())
        text = python_view(document, keep) if document.language == "python" else document.text
        target.write_text(text, "utf-8")


def python_view(document: Document, keep: set[str] = frozenset()) -> str:
    """The file with each function no rule could match replaced by `pass` and blank lines, but for the top-level
    functions named in `keep`; the file as it is when it does not parse (semgrep then checks what it can)."""
    tree = document.tree
    if tree is None:
        return document.text
    lines = list(document.lines)
    for first, last, indent in _inert_functions(tree, lines, keep):
        lines[first - 1 : last] = [" " * indent + "pass"] + [""] * (last - first)
    return "\n".join(lines) + "\n"


def reads_request(lines: list[str], node: ast.AST) -> bool:
    """Whether a definition (its decorators included) holds a word a Python rule needs."""
    first, last = ast_lines(node)
    return RULES_NEED["python"].search("\n".join(lines[first - 1 : last])) is not None


def _inert_functions(tree: ast.AST, lines: list[str], keep: set[str] = frozenset()):
    """(first line, last line, indentation) of each function with no word a rule needs: those in the module's,
    a class's or a kept function's own body (a function under an `if` or a `try` is kept whole)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.ClassDef):
            yield from _inert_functions(node, lines)
        elif isinstance(node, _FUNCTIONS):
            if reads_request(lines, node):
                yield from _inert_functions(node, lines)
            elif not (isinstance(tree, ast.Module) and node.name in keep):
                yield *ast_lines(node), node.col_offset
