"""What triage reads from a chunk, and how it reads it from a tree-sitter syntax tree: JavaScript, TypeScript, Go,
Java, Rust, C, C++, C#, Ruby, PHP, shell, and Python this interpreter cannot parse. (Python it parses is read
from `ast`, in plan/triage.py.)

The node types below are the grammars' own names; most languages share them (`call_expression`, `identifier`,
`for_statement`), and the rest are listed beside them. What is read is the same as from Python: the names the code
mentions, the functions it calls, its string literals, loops, recursion, large literals and public definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from manyeyes.plan.slicing import Chunk
from manyeyes.plan.syntax import syntax_tree

LARGE_LITERAL = 50  # elements: a structure this big in code is worth a performance look


@dataclass
class Signals:
    """What triage reads from a chunk."""

    names: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)  # the names of the functions called
    strings: list[str] = field(default_factory=list)
    loops: bool = False
    recursion: bool = False
    large_literal: bool = False
    public_definitions: list[str] = field(default_factory=list)
    declarations_only: bool = True
    code_lines: int = 0
    python: bool = True  # read from Python: triage's word lists for the other languages do not apply


_CALLS = frozenset(
    """
    call_expression call method_invocation invocation_expression function_call_expression member_call_expression
    scoped_call_expression nullsafe_member_call_expression macro_invocation new_expression
    object_creation_expression command
    """.split()
)
_LOOPS = frozenset(
    """
    for_statement for_in_statement while_statement do_statement enhanced_for_statement for_range_loop
    foreach_statement for_expression while_expression loop_expression while until for c_style_for_statement
    """.split()
)
# Calls that loop over a collection (JavaScript's array methods, Ruby's blocks, Java's streams).
_LOOPING_CALLS = frozenset("map forEach filter reduce flatMap some every each each_with_index collect stream".split())
_IMPORTING_CALLS = frozenset({"require"})
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "func_literal", "lambda"})
_STRINGS = frozenset(
    """
    string string_literal interpreted_string_literal raw_string_literal template_string encapsed_string
    string_content string_fragment
    """.split()
)
_LITERALS = frozenset(
    "array object list dictionary composite_literal array_creation_expression initializer_list".split()
)
_DEFINITIONS = frozenset(
    """
    function_declaration function_definition method_definition method_declaration function_item
    generator_function_declaration constructor_declaration method singleton_method class_declaration
    class_definition class_specifier struct_specifier class interface_declaration struct_item impl_item
    trait_item type_declaration
    """.split()
)
_PRIVATE = re.compile(r"^\s*(?:[\w@]+\s+)*?(private|protected|internal|static\s+private)\b")
_COMMENT_LINE = re.compile(r"^\s*(#|//|/\*|\*(?!\*?\w)|--)")


def tree_signals(chunk: Chunk) -> Signals | None:
    """The chunk's signals from its document's tree-sitter tree; None when there is none (no grammar for the
    language, or a file with syntax errors): triage then sends the chunk to every concern."""
    root = syntax_tree(chunk.document)
    if root is None:
        return None
    signals = Signals(code_lines=code_lines(chunk), python=chunk.document.language == "python")
    for node in _nodes_in(root, chunk.start - 1, chunk.end - 1):
        _read(node, chunk, signals)
    return signals


def code_lines(chunk: Chunk) -> int:
    """The chunk's lines that hold code: not blank, not a comment line."""
    lines = chunk.document.lines[chunk.start - 1 : chunk.end]
    return sum(1 for line in lines if line.strip() and not _COMMENT_LINE.match(line))


def _nodes_in(root, first_row: int, last_row: int):
    """Every node that starts within the chunk's rows (0-based), walking only into nodes that overlap them."""
    pending = [root]
    while pending:
        node = pending.pop()
        if node.end_point.row < first_row or node.start_point.row > last_row:
            continue
        if node.start_point.row >= first_row:
            yield node
        pending.extend(node.children)


def _read(node, chunk: Chunk, signals: Signals) -> None:
    kind = node.type
    if kind.endswith("identifier") or kind in ("constant", "name", "variable_name"):
        signals.names.add(_text(node).lstrip("$"))
    elif kind in _CALLS:
        called = _called_name(node)
        if called in _IMPORTING_CALLS:
            return  # `const fs = require("fs")` imports; like Python's `import`, it runs nothing worth a look
        signals.calls.add(called)
        signals.loops |= called in _LOOPING_CALLS
        signals.declarations_only = False
    elif kind in _STRINGS:
        signals.strings.append(_text(node).strip("\"'`"))
    elif kind in _LOOPS:
        signals.loops = True
        signals.declarations_only = False
    elif kind in _LITERALS:
        signals.large_literal |= node.named_child_count >= LARGE_LITERAL
    elif kind in _DEFINITIONS:
        _read_definition(node, chunk, signals)
    elif kind in _FUNCTION_VALUES and node.parent is not None and node.parent.type == "arguments":
        # a function handed to a call: an Express route's handler, an event listener. Behaviour others reach.
        signals.public_definitions.append(f"a function passed to {_called_name(node.parent.parent)}")
        signals.declarations_only = False


def _read_definition(node, chunk: Chunk, signals: Signals) -> None:
    signals.declarations_only = False
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return
    name = _text(name_node)
    # Public unless named or declared private (Go's lower-case names are not: Go's tests live in the package).
    first_line = chunk.document.lines[node.start_point.row] if node.start_point.row < len(chunk.document.lines) else ""
    if not name.startswith("_") and not _PRIVATE.match(first_line):
        signals.public_definitions.append(name)
    body = node.child_by_field_name("body")
    if body is not None and name in {_called_name(call) for call in _calls_under(body)}:
        signals.recursion = True


def _calls_under(node):
    pending = [node]
    while pending:
        current = pending.pop()
        if current.type in _CALLS:
            yield current
        pending.extend(current.children)


def _called_name(call) -> str:
    """The name a call calls: `exec` for `child_process.exec(...)`, `Command` for `exec.Command(...)`."""
    target = next(
        (
            call.child_by_field_name(name)
            for name in ("function", "name", "method", "constructor", "macro", "type")
            if call.child_by_field_name(name) is not None
        ),
        None,
    )
    text = _text(target) if target is not None else _text(call).split("(", 1)[0]
    words = re.findall(r"[A-Za-z_$][\w$]*", text)
    return words[-1].lstrip("$") if words else ""


def _text(node) -> str:
    return node.text.decode("utf-8", errors="replace") if node.text is not None else ""
