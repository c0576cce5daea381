"""The scorer on a tiny hand-made corpus with known answers, and the corpus loader's errors."""

import json
from pathlib import Path

import pytest

from manyeyes.evaluation.corpus import CorpusError, load_corpus
from manyeyes.evaluation.score import cwe_matches, score
from manyeyes.models import Concern, Finding, Severity, Span
from tests.conftest import write

LABELS = [
    {"file": "cases/a.py", "line": 3, "concern": "security", "cwe": "CWE-78", "rule": "B602", "real": True},
    {"file": "cases/a.py", "line": 9, "concern": "security", "cwe": "CWE-328", "rule": None, "real": True},
    {"file": "cases/a.py", "line": 20, "concern": "security", "cwe": None, "rule": None, "real": False},  # a trap
    {"file": "cases/b.py", "line": None, "concern": "performance", "cwe": None, "rule": "PERF401", "real": True},
    {"file": "cases/b.py", "line": 4, "concern": "security", "cwe": "CWE-89", "rule": None, "real": True},
]


def make_corpus(root: Path, exhaustive: str = "line", labels=LABELS) -> Path:
    write(root, "corpus.json", json.dumps({"name": "tiny", "exhaustive": exhaustive}))
    write(root, "labels.jsonl", "\n".join(json.dumps(label) for label in labels) + "\n")
    write(root, "cases/a.py", "x = 1\n" * 25)
    write(root, "cases/b.py", "y = 2\n" * 10)
    return root


def finding(path, line, concern=Concern.security, cwe=(), end=None):
    return Finding(
        path=path,
        concerns=[concern],
        severity=Severity.medium,
        confidence=0.5,
        title="t",
        span=Span(start_line=line, end_line=end or line),
        cwe=list(cwe),
    )


FINDINGS = [
    finding("cases/a.py", 4, cwe=["CWE-78"]),  # label line 3, one line of slack: found, CWE too
    finding("cases/a.py", 9, cwe=["CWE-327"]),  # label CWE-328: found, and CWE-327 is a close relative
    finding("cases/a.py", 20),  # the trap: a false positive
    finding("cases/a.py", 14),  # matches nothing
    finding("cases/b.py", 7, concern=Concern.performance),  # the file-level performance label
    finding("cases/b.py", 1, cwe=["CWE-89"]),  # label line 4: three lines away, not found
]


@pytest.mark.parametrize(
    "exhaustive, precision, false_positives, unlabeled",
    [
        ("line", 0.5, 3, 0),  # TP 3 (lines 4, 9 and b.py performance), FP: trap, line 14, b.py line 1
        ("none", None, 1, 2),  # only the trap is a known false positive; the rest is unlabeled
    ],
)
def test_scores_are_exact(tmp_path, exhaustive, precision, false_positives, unlabeled):
    corpus = load_corpus(make_corpus(tmp_path, exhaustive))
    result = score(corpus, FINDINGS, [Concern.security, Concern.performance], lines=35, not_reviewed=0)
    security = result.by_concern["security"]
    assert (security.labels, security.found, security.with_cwe, security.found_cwe) == (3, 2, 3, 2)
    assert result.by_concern["performance"].found == 1
    assert result.by_cwe["CWE-89"].found == 0 and result.by_cwe["CWE-328"].found_cwe == 1
    assert (result.traps, result.traps_hit) == (1, 1)
    assert (result.true_positives, result.false_positives, result.unlabeled) == (3, false_positives, unlabeled)
    assert result.precision == precision
    assert result.findings_per_kloc == round(1000 * 6 / 35, 2)
    assert result.total().as_dict()["recall"] == 0.75


def test_only_the_chosen_concerns_are_scored(tmp_path):
    corpus = load_corpus(make_corpus(tmp_path))
    result = score(corpus, FINDINGS, [Concern.performance], lines=35, not_reviewed=0)
    assert list(result.by_concern) == ["performance"] and result.findings == 1 and result.traps == 0


def test_cwe_families():
    assert cwe_matches(["CWE-327"], "CWE-328") and cwe_matches(["CWE-78"], "CWE-78")
    assert not cwe_matches(["CWE-89"], "CWE-78")


@pytest.mark.parametrize(
    "labels_text, message",
    [
        ('{"file": "cases/a.py", "line": 3, "concern": "security"}\nnot json\n', "labels.jsonl:2: not JSON"),
        ('{"file": "cases/a.py", "line": 3, "concern": "style"}\n', "labels.jsonl:1: concern: Input should be"),
        ('{"file": "cases/a.py", "line": 0, "concern": "security"}\n', "labels.jsonl:1: line"),
        ('{"file": "cases/zzz.py", "line": 1, "concern": "security"}\n', "not in cases/: cases/zzz.py"),
    ],
)
def test_malformed_corpus_names_the_bad_line(tmp_path, labels_text, message):
    make_corpus(tmp_path)
    (tmp_path / "labels.jsonl").write_text(labels_text)
    with pytest.raises(CorpusError, match=message.replace("(", r"\(")):
        load_corpus(tmp_path)


def test_malformed_corpus_json(tmp_path):
    make_corpus(tmp_path)
    (tmp_path / "corpus.json").write_text('{"name": "x", "exhaustive": "sometimes"}')
    with pytest.raises(CorpusError, match="corpus.json: exhaustive"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no corpus directory"):
        load_corpus(tmp_path / "nope")


def test_limit_keeps_the_first_cases_and_their_labels(tmp_path):
    corpus = load_corpus(make_corpus(tmp_path), limit=1)
    assert corpus.cases == ["cases/a.py"] and {label.file for label in corpus.labels} == {"cases/a.py"}
