"""Slicing along the syntax in every common language (plan/syntax.py): tree-sitter's grammars give each function
and class its own chunk, imports become context, Python this interpreter cannot parse still slices by its
definitions, and a file whose syntax tree has errors falls back to line windows with a note."""

from pathlib import Path

import pytest
from manyeyes.plan import syntax
from manyeyes.plan.documents import Document
from manyeyes.plan.languages import language_of
from manyeyes.plan.slicing import slice_document

SAMPLES = {
    "app.js": (
        'const express = require("express");\n'
        "function handler(req, res) {\n  res.send(eval(req.query.x));\n}\n"
        "class Store {\n  get(k) { return k; }\n}\n"
        "const run = (cmd) => {\n  return cmd;\n};\n"
        "module.exports.search = function (req, res) {\n  res.send(req.query.q);\n};\n",
        [
            ("function handler", 2, 4),
            ("class Store", 5, 7),
            ("function run", 8, 10),
            ("function module.exports.search", 11, 13),
        ],
    ),
    "api.ts": (
        'import { exec } from "child_process";\n'
        "export function run(cmd: string): void {\n  exec(cmd);\n}\n"
        "export class Api {\n  call(): number { return 1; }\n}\n"
        "interface Options {\n  verbose: boolean;\n}\n",
        [("function run", 2, 4), ("class Api", 5, 7), ("class Options", 8, 10)],
    ),
    "view.tsx": (
        'import React from "react";\n'
        "export function View(props: { html: string }) {\n"
        "  return <div dangerouslySetInnerHTML={{ __html: props.html }} />;\n}\n",
        [("function View", 2, 4)],
    ),
    "main.go": (
        'package main\n\nimport "os/exec"\n\n'
        'func Handler(q string) {\n\texec.Command("sh", "-c", q).Run()\n}\n\n'
        "type Server struct {\n\tport int\n}\n\n"
        "func (s Server) Start() {\n}\n",
        [("function Handler", 5, 7), ("class Server", 9, 11), ("function Start", 13, 14)],
    ),
    "A.java": (
        "import java.io.File;\n\npublic class A {\n    void read(String p) {\n        new File(p);\n    }\n}\n",
        [("class A", 3, 7)],
    ),
    "lib.rs": (
        "use std::process::Command;\n\nfn run(c: &str) {\n    Command::new(c);\n}\n\nstruct S;\n\n"
        "impl S {\n    fn m(&self) {}\n}\n",
        [("function run", 3, 5), ("class S", 7, 7), ("class S", 9, 11)],
    ),
    "x.c": (
        "#include <stdlib.h>\n\nint run(const char *c) {\n    return system(c);\n}\n",
        [("function run", 3, 5)],
    ),
    "x.cpp": (
        "#include <cstdlib>\n\nnamespace app {\nclass Runner {\n  int go();\n};\n}\n\n"
        "int run(const char *c) {\n  return std::system(c);\n}\n",
        [("class Runner", 4, 6), ("function run", 9, 11)],
    ),
    "P.cs": (
        "using System.Diagnostics;\n\nnamespace App {\n  class P {\n    void Run(string c) {\n"
        "      Process.Start(c);\n    }\n  }\n}\n",
        [("class P", 4, 8)],
    ),
    "app.rb": (
        'require "open3"\n\ndef run(cmd)\n  system(cmd)\nend\n\nclass Job\n  def perform\n  end\nend\n',
        [("function run", 3, 5), ("class Job", 7, 10)],
    ),
    "index.php": (
        '<?php\nuse App\\Db;\n\nfunction find($id) {\n  return mysqli_query($c, "SELECT " . $id);\n}\n\n'
        "class Repo {\n  function all() { return 1; }\n}\n",
        [("function find", 4, 6), ("class Repo", 8, 10)],
    ),
    "App.kt": (
        "package app\n\nimport java.io.File\n\n@RestController\nclass Files {\n"
        "    fun read(name: String): String = File(name).readText()\n}\n\n"
        "object Shell {\n    fun run(cmd: String) {\n        Runtime.getRuntime().exec(cmd)\n    }\n}\n\n"
        "fun main() {\n    println(Shell)\n}\n",
        [("class Files", 5, 8), ("class Shell", 10, 14), ("function main", 16, 18)],
    ),
    "deploy.sh": (
        'run() {\n  eval "$1"\n}\n\nfunction clean {\n  rm -rf "$DIR"\n}\n',
        [("function run", 1, 3), ("function clean", 5, 7)],
    ),
}


def document(path: str, text: str) -> Document:
    return Document(path=path, text=text, language=language_of(Path(path)) or "text")


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_each_language_is_sliced_by_its_definitions(path):
    text, expected = SAMPLES[path]
    sliced = slice_document(document(path, text), 150)
    definitions = [(c.symbol, c.start, c.end) for c in sliced.chunks if c.symbol]
    assert definitions == expected
    assert sliced.note is None


def test_imports_are_context_in_other_languages_too():
    assert syntax.imports_text(document("main.go", SAMPLES["main.go"][0])) == 'import "os/exec"'
    assert syntax.imports_text(document("A.java", SAMPLES["A.java"][0])) == "import java.io.File;"
    assert syntax.imports_text(document("x.c", SAMPLES["x.c"][0])) == "#include <stdlib.h>"
    assert syntax.imports_text(document("App.kt", SAMPLES["App.kt"][0])) == "import java.io.File"


def test_a_long_class_is_split_into_its_methods_in_any_language():
    body = "".join(f"  m{i}() {{\n    return {i};\n  }}\n" for i in range(10))
    sliced = slice_document(document("big.js", f"class Big {{\n{body}}}\n"), 8)
    assert ("method Big.m3", 11, 13) in [(c.symbol, c.start, c.end) for c in sliced.chunks]


def test_python_newer_than_this_interpreter_is_sliced_by_tree_sitter():
    text = "import os\n\n\ndef first[T](x: T) -> T:\n    return x\n\n\ntype Alias = list[int]\n\n\ndef second():\n    os.system('ls')\n"
    sliced = slice_document(document("new.py", text), 150)
    assert [(c.symbol, c.start, c.end) for c in sliced.chunks if c.symbol] == [
        ("function first", 4, 5),
        ("function second", 11, 12),
    ]
    assert "does not parse with this Python" in sliced.note and "tree-sitter" in sliced.note
    assert syntax.imports_text(document("new.py", text)) == "import os"


def test_a_syntax_tree_with_errors_falls_back_to_windows_with_a_note():
    text = "function ok() { return 1; }\n" + "let x = ;\n" + "var y = 2;\n" * 200
    sliced = slice_document(document("broken.js", text), 100)
    assert "syntax tree has errors (near line 2)" in sliced.note and "line windows" in sliced.note
    assert [(c.start, c.end) for c in sliced.chunks][:2] == [(1, 100), (91, 190)]


def test_a_language_without_a_grammar_is_cut_into_windows_without_fuss():
    sliced = slice_document(document("main.swift", "func main() {\n    print(1)\n}\n"), 150)
    assert [(c.symbol, c.start, c.end) for c in sliced.chunks] == [(None, 1, 3)] and sliced.note is None
