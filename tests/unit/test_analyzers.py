"""Each analyzer of the offline panel on small files with known answers."""

import json

import anyio

from manyeyes.agents.analyzers.bandit import Bandit, _shards
from manyeyes.agents.analyzers.base import Scratch, byte_col_to_char
from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.analyzers.radon import Radon
from manyeyes.agents.analyzers.ruff import Ruff
from manyeyes.agents.analyzers.testgap import TestGap
from manyeyes.config import Settings
from manyeyes.models import Concern
from manyeyes.plan.context import TestIndex
from manyeyes.plan.documents import Document
from manyeyes.synthesis.merge import merge
from tests.conftest import write


def run_analyzer(analyzer, workspace, files: dict[str, str]):
    documents = [Document(path=p, text=t, language="python") for p, t in files.items()]
    for path, text in files.items():
        write(workspace, path, text)
    scratch = Scratch(
        root=workspace, documents={d.path: d for d in documents}, tests=TestIndex.scan(workspace, Settings())
    )
    return analyzer.run(scratch)


def test_bandit_columns_are_code_points_after_non_ascii(workspace):
    text = 'label = "héllo wörld"; import subprocess; subprocess.call("x", shell=True)\n'
    run = run_analyzer(Bandit(), workspace, {"a.py": text})
    shell = next(f for f in run.findings if f.rules == ["B602"])
    assert shell.span.start_col == text.index("subprocess.call") + 1
    assert byte_col_to_char("é = 1", 3) == 3


def test_bandit_findings_name_the_weakness_they_find(workspace):
    """bandit files eval under OS command injection and MD5 under broken ciphers: the report and SARIF name eval
    injection and weak hash, and an eval never merges with a shell command on its line by a shared CWE-78."""
    text = "import hashlib\nimport os\nimport yaml\n\n\ndef f(x):\n    eval(x)\n    hashlib.md5(x)\n    yaml.load(x)\n"
    text += "    os.system(eval(x))\n"
    run = run_analyzer(Bandit(), workspace, {"a.py": text})
    by_rule = {f.rules[0]: f.cwe for f in run.findings}
    assert by_rule["B307"] == ["CWE-95"] and by_rule["B605"] == ["CWE-78"]
    assert by_rule["B324"] == ["CWE-328"]
    assert by_rule["B506"] == ["CWE-502"]
    merged = merge(run.findings)
    assert sorted(f.rules for f in merged if f.span.start_line == 10) == [["B307"], ["B605"]]
    assert next(f for f in run.findings if f.rules == ["B307"]).explanation.startswith("Eval injection (CWE-95).")


def test_bandit_shards_balance_large_reviews_only():
    small = [Document(path=f"{i}.py", text="x" * 1000, language="python") for i in range(10)]
    assert len(_shards(small, 2)) == 1
    big = [Document(path=f"{i}.py", text="x" * 100_000, language="python") for i in range(4)]
    shards = _shards(big, 2)
    assert len(shards) == 2 and sorted(len(s) for s in shards) == [2, 2]


def test_ruff_fix_with_several_edits_becomes_one_replacement(workspace):
    text = "def f(x):\n    if x == None:\n        return 1\n    return 2\n"
    run = run_analyzer(Ruff(), workspace, {"a.py": text})
    none = next(f for f in run.findings if f.rules == ["E711"])
    assert none.concerns == [Concern.readability] and none.span.start_line == 2
    fixed = text.split("\n")[1]
    span = none.fix.span
    assert fixed[: span.start_col - 1] + none.fix.replacement + fixed[span.end_col - 1 :] == "    if x is None:"


def test_ruff_perf_rules_are_performance(workspace):
    text = "def f(items):\n    out = []\n    for i in items:\n        out.append(i * 2)\n    return out\n"
    run = run_analyzer(Ruff(), workspace, {"a.py": text})
    assert [(f.rules, f.concerns, f.span.start_line) for f in run.findings] == [(["PERF401"], [Concern.performance], 4)]


def test_radon_reports_complex_functions_only(workspace):
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12))
    run = run_analyzer(Radon(), workspace, {"a.py": f"def simple():\n    return 1\n\n\ndef tangled(x):\n{branches}"})
    assert [(f.span.start_line, f.rules) for f in run.findings] == [(5, ["radon-cc-C"])]


def test_test_gap_uses_test_references_and_coverage(workspace):
    files = {
        "lib.py": "def tested():\n    return 1\n\n\ndef untested():\n    return 2\n\n\ndef _private():\n    pass\n",
        "tests/test_lib.py": "from lib import tested\n\n\ndef test_tested():\n    assert tested() == 1\n",
    }
    run = run_analyzer(TestGap(), workspace, files)
    assert [f.title for f in run.findings] == ["no test refers to function 'untested'"]
    (workspace / "coverage.json").write_text(json.dumps({"files": {"lib.py": {"executed_lines": [1, 2, 5]}}}))
    run = run_analyzer(TestGap(), workspace, files)
    assert run.findings == []  # untested() ran under the tests: covered indirectly


def test_panel_runs_each_analyzer_once_and_survives_a_crashing_one(workspace):
    calls = []

    class Crashing:
        name, concerns = "crashing", (Concern.security,)

        def run(self, scratch):
            calls.append(1)
            raise ValueError("bad analyzer")

    document = Document(path="a.py", text="x = 1\n", language="python")

    async def main():
        async with OfflinePanel([document], TestIndex(workspace, []), [Crashing()]) as panel:
            first = await panel.hits(Concern.security, "a.py")
            second = await panel.hits(Concern.security, "a.py")
            return first, second

    first, second = anyio.run(main)
    assert calls == [1]
    assert first == second == ([], ["crashing failed: ValueError: bad analyzer"])


def test_patterns_cover_python_that_does_not_parse_and_leave_the_rest_to_bandit(workspace):
    from manyeyes.agents.analyzers.patterns import Patterns

    fragment = (
        "    data = pickle.loads(blob)\n"
        "    os.system('ls ' + name)\n"
        "    digest = hashlib.md5(data).hexdigest()\n"
        "    cursor.execute(\"SELECT * FROM t WHERE id = '%s'\" % ident)\n"
        "    api_key = 'abcd1234efgh'\n"
        "    result = eval(expression)\n"
        "  else:\n"
    )
    run = run_analyzer(Patterns(), workspace, {"frag.py": fragment, "ok.py": "import os\nos.system('ls')\n"})
    found = {(f.path, f.span.start_line, f.cwe[0]) for f in run.findings}
    assert found == {
        ("frag.py", 1, "CWE-502"),
        ("frag.py", 2, "CWE-78"),
        ("frag.py", 3, "CWE-328"),
        ("frag.py", 4, "CWE-89"),
        ("frag.py", 5, "CWE-798"),
        ("frag.py", 6, "CWE-95"),
    }


def test_test_gap_leaves_overload_stubs_alone(workspace):
    text = (
        "from typing import overload\n\n\n@overload\ndef parse(x: int) -> int: ...\n\n\n"
        "@overload\ndef parse(x: str) -> str: ...\n\n\ndef parse(x):\n    return x\n"
    )
    run = run_analyzer(TestGap(), workspace, {"lib.py": text})
    assert [f.span.start_line for f in run.findings] == [12]  # the implementation only
