"""A document's definitions (functions, classes and their methods) and imports, read from its syntax tree: Python's
own `ast` where the running interpreter parses the file, tree-sitter for the other common languages and for
Python this interpreter cannot parse (newer syntax). The slicer cuts chunks along the definitions; the planner
gives each chunk the file's imports as context.

Grammars are the tree-sitter project's own packages, one per language, compiled into their wheels: nothing is
downloaded at run time (docs/dependencies.md). A language with no grammar, or a file its grammar parses with
errors, has no definitions here (None) and a note saying why: the slicer then cuts line windows.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import PurePosixPath

from manyeyes.plan.documents import Document

# language -> (module, function returning the grammar); .tsx files use the TSX grammar of typescript.
GRAMMARS = {
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "shell": ("tree_sitter_bash", "language"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "python": ("tree_sitter_python", "language"),
}
_FUNCTIONS = frozenset(
    """
    function_declaration function_definition method_definition method_declaration function_item
    generator_function_declaration constructor_declaration method singleton_method
    """.split()
)
_CLASSES = frozenset(
    """
    class_declaration class_definition class_specifier struct_specifier class module interface_declaration
    enum_declaration struct_item impl_item trait_item enum_item mod_item type_declaration record_declaration
    abstract_class_declaration trait_declaration struct_declaration object_declaration
    """.split()
)
# Nodes that only hold definitions: looked through, never a chunk of their own.
_WRAPPERS = frozenset(
    """
    export_statement namespace_definition namespace_declaration file_scoped_namespace_declaration declaration_list
    template_declaration linkage_specification class_body field_declaration_list body_statement enum_body
    interface_body program translation_unit source_file compilation_unit block
    """.split()
)
_VARIABLES = frozenset({"lexical_declaration", "variable_declaration"})  # `const f = () => ...`
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "class", "generator_function"})
_IMPORTS = frozenset(
    """
    import_statement import_declaration use_declaration namespace_use_declaration preproc_include using_directive
    import_from_statement future_import_statement import import_header
    """.split()
)


@dataclass(frozen=True)
class Definition:
    kind: str  # "function" or "class" (a method is a function inside a class)
    name: str
    start: int  # 1-based, inclusive, decorators and attributes included
    end: int
    members: tuple[Definition, ...] = ()


@dataclass
class Parsed:
    definitions: list[Definition] | None  # top-level; None: no syntax tree to slice by (`note` says why)
    imports: list[tuple[int, int]]  # line ranges of the file's import statements
    note: str | None = None


def parse(document: Document) -> Parsed:
    """The document's definitions and imports (cached: the slicer and the context builder both ask)."""
    return _parse(document.path, document.language, document.text)


def imports_text(document: Document) -> str:
    """The file's top-level import statements, as source lines: context for every chunk of it."""
    lines = document.lines
    return "\n".join("\n".join(lines[start - 1 : end]) for start, end in parse(document).imports)


def grammar_for(path: str, language: str) -> str | None:
    """The grammar a file is parsed with (`tsx` for a .tsx file), or None when none is installed for it."""
    return _grammar_for(path, language)


def syntax_problem(grammar: str, text: str) -> str | None:
    """Why a text does not parse with a tree-sitter grammar ("line 3: syntax error"), or None when it does."""
    root = _root(grammar, text)
    return f"line {_first_error(root)}: syntax error" if root.has_error else None


@lru_cache(maxsize=64)
def _parse(path: str, language: str, text: str) -> Parsed:
    if language == "python":
        return _python(path, text)
    grammar = _grammar_for(path, language)
    return _tree_sitter(path, text, grammar, None) if grammar else Parsed(None, [], None)  # no grammar: windows


def _grammar_for(path: str, language: str) -> str | None:
    if language == "typescript" and PurePosixPath(path).suffix.lower() == ".tsx":
        return "tsx"
    return language if language in GRAMMARS and _grammar(language) is not None else None


def _python(path: str, text: str) -> Parsed:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        line = f"line {exc.lineno}: {exc.msg}" if isinstance(exc, SyntaxError) else str(exc)
        return _tree_sitter(path, text, "python", f"does not parse with this Python ({line})")
    definitions = [_from_ast(node) for node in tree.body if isinstance(node, _AST_DEFINITIONS)]
    imports = [(n.lineno, n.end_lineno or n.lineno) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return Parsed(definitions, imports)


_AST_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def ast_lines(node: ast.stmt) -> tuple[int, int]:
    """A statement's first and last line, a definition's decorators included."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return first, node.end_lineno or node.lineno


def _from_ast(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Definition:
    members = tuple(_from_ast(child) for child in node.body if isinstance(child, _AST_DEFINITIONS))
    kind = "class" if isinstance(node, ast.ClassDef) else "function"
    return Definition(kind, node.name, *ast_lines(node), members if kind == "class" else ())


def syntax_tree(document: Document):
    """The document's tree-sitter tree (its root node), or None: no grammar for its language, or errors in it.
    Triage reads its signals from it for the languages Python's `ast` does not read."""
    grammar = _grammar_for(document.path, document.language)
    if grammar is None:
        return None
    root = _root(grammar, document.text)
    return None if root.has_error else root


@lru_cache(maxsize=16)
def _root(grammar: str, text: str):
    """The parsed tree of a text: one parse for the slicer, the context builder, triage and the fix gate."""
    import tree_sitter

    return tree_sitter.Parser(_grammar(grammar)).parse(text.encode("utf-8")).root_node


def _tree_sitter(path: str, text: str, language: str, why_not_ast: str | None) -> Parsed:
    grammar = _grammar(language)
    if grammar is None:
        note = f"{path}: {why_not_ast}; no {language} grammar installed, sliced by line windows"
        return Parsed(None, [], note if why_not_ast else None)
    root = _root(language, text)
    if root.has_error:
        where = _first_error(root)
        prefix = f"{why_not_ast}, and its" if why_not_ast else "its"
        note = f"{path}: {prefix} {language} syntax tree has errors (near line {where}); sliced by line windows"
        return Parsed(None, [], note)
    definitions = _definitions(root)
    imports = [_lines(node) for node in root.named_children if node.type in _IMPORTS]
    note = f"{path}: {why_not_ast}; sliced by its tree-sitter syntax tree" if why_not_ast else None
    return Parsed(definitions, imports, note)


@cache
def _grammar(language: str):
    """The tree-sitter Language, or None when its package is not installed (a clear fallback, never a crash)."""
    module_name, function = GRAMMARS[language]
    try:
        import tree_sitter

        module = importlib.import_module(module_name)
        return tree_sitter.Language(getattr(module, function)())
    except (ImportError, AttributeError, ValueError):
        return None


def _definitions(node) -> list[Definition]:
    found: list[Definition] = []
    for child in node.named_children:
        definition = _definition(child)
        if definition is not None:
            found.append(definition)
        elif child.type in _WRAPPERS:
            found.extend(_definitions(child))
    return found


def _definition(node) -> Definition | None:
    start, end = _lines(node)
    if node.type == "decorated_definition":  # Python's, decorators included
        inner = node.child_by_field_name("definition")
        found = _definition(inner) if inner is not None else None
        return Definition(found.kind, found.name, start, end, found.members) if found else None
    if node.type in _FUNCTIONS:
        return Definition("function", _name(node), start, end)
    if node.type in _CLASSES:
        return Definition("class", _name(node), start, end, tuple(_definitions(node)))
    if node.type in _VARIABLES:
        declarator = next((c for c in node.named_children if c.type == "variable_declarator"), None)
        value = declarator.child_by_field_name("value") if declarator is not None else None
        if value is not None and value.type in _FUNCTION_VALUES:
            return Definition(_kind_of_value(value), _name(declarator), start, end)
    if node.type == "expression_statement":  # `module.exports.handler = function (req, res) {...}`
        assignment = next((c for c in node.named_children if c.type == "assignment_expression"), None)
        value = assignment.child_by_field_name("right") if assignment is not None else None
        if value is not None and value.type in _FUNCTION_VALUES:
            target = assignment.child_by_field_name("left")
            return Definition(_kind_of_value(value), target.text.decode("utf-8", "replace"), start, end)
    return None


def _kind_of_value(value) -> str:
    return "class" if value.type == "class" else "function"


def _name(node) -> str:
    """A definition's name: its `name` field, else (C, C++) the innermost declarator, else (Go's `type`) its spec's
    name, else (Rust's `impl`) its type; the node's kind when it has none."""
    named = node.child_by_field_name("name")
    if named is None and node.child_by_field_name("declarator") is not None:
        named = node.child_by_field_name("declarator")
        while named.child_by_field_name("declarator") is not None:
            named = named.child_by_field_name("declarator")
    if named is None:
        spec = next((c for c in node.named_children if c.type == "type_spec"), None)
        named = spec.child_by_field_name("name") if spec is not None else node.child_by_field_name("type")
    return named.text.decode("utf-8", "replace") if named is not None and named.text else node.type


def _lines(node) -> tuple[int, int]:
    """1-based inclusive lines; a node that ends at column 0 (an #include's newline) ends on the line before."""
    start = node.start_point.row + 1
    end = node.end_point.row + (1 if node.end_point.column > 0 else 0)
    return start, max(end, start)


def _first_error(root) -> int:
    """The line of the first error, following only the branches that hold one."""
    node = root
    while node.type != "ERROR" and not node.is_missing:
        child = next((c for c in node.children if c.has_error or c.is_missing), None)
        if child is None:
            break
        node = child
    return node.start_point.row + 1
