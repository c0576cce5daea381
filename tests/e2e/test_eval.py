"""`manyeyes eval` as a user runs it: the offline panel, the noisy oracle, and the shared corpora when present."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpora"


def manyeyes(*args, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-m", "manyeyes", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    write(root, "corpus.json", json.dumps({"name": "mini", "exhaustive": "line"}))
    write(root, "cases/shell.py", "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n")
    write(root, "cases/safe.py", "def add(a, b):\n    return a + b\n")
    for index in range(6):
        write(
            root,
            f"cases/plain_{index}.py",
            f"def scale_{index}(values):\n    factor = {index}\n"
            "    doubled = [v * factor for v in values]\n    return sorted(doubled)\n",
        )
    labels = [
        {"file": "cases/shell.py", "line": 5, "concern": "security", "cwe": "CWE-78", "rule": "B602", "real": True},
        {"file": "cases/safe.py", "line": 2, "concern": "security", "cwe": None, "rule": None, "real": False},
    ]
    write(root, "labels.jsonl", "\n".join(json.dumps(label) for label in labels) + "\n")
    return root


def test_offline_eval_scores_the_corpus(corpus, tmp_path):
    proc = manyeyes("eval", "--corpus", str(corpus), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["recall"]["found"] == 1 and result["recall"]["found_cwe"] == 1
    assert result["traps_hit"] == 0 and result["concerns"] == ["security"]
    table = manyeyes("eval", "--corpus", str(corpus), cwd=tmp_path).stdout
    assert "corpus mini (exhaustive: line)" in table and "traps hit: 0/1" in table


def test_noisy_oracle_measures_the_pipeline(corpus, tmp_path):
    perfect = json.loads(
        manyeyes("eval", "--corpus", str(corpus), "--oracle", "1,0", "--format", "json", cwd=tmp_path).stdout
    )
    assert perfect["recall"]["recall"] == 1.0 and perfect["precision"] == 1.0
    blind = json.loads(
        manyeyes("eval", "--corpus", str(corpus), "--oracle", "0,0", "--format", "json", cwd=tmp_path).stdout
    )
    # A model that finds nothing and dismisses nothing erases nothing: the analyzers' hits remain, unconfirmed.
    assert blind["recall"]["found"] == 1 and blind["findings"] == perfect["findings"]
    triaged = json.loads(
        manyeyes("eval", "--corpus", str(corpus), "--oracle", "1,1,7", "--format", "json", cwd=tmp_path).stdout
    )
    # Every agent asked, so the oracle invents on every file (the triage would spare the plain ones)
    oracle = ("--oracle", "1,1,7", "--thorough")
    noisy = json.loads(manyeyes("eval", "--corpus", str(corpus), *oracle, "--format", "json", cwd=tmp_path).stdout)
    assert noisy["recall"]["recall"] == triaged["recall"]["recall"] == 1.0
    assert noisy["dropped"] >= 1  # invented code that is not in the file: dropped by anchoring
    # invented on real code: anchored, then rejected by the (here perfect) verifier, so precision stays whole
    assert noisy["rejected_by_verification"] >= 1 and noisy["false_positives"] == 0
    again = json.loads(manyeyes("eval", "--corpus", str(corpus), *oracle, "--format", "json", cwd=tmp_path).stdout)
    assert again == noisy  # seeded: the same run twice gives the same figures
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "manyeyes").mkdir()
    (tmp_path / "config" / "manyeyes" / "config.toml").write_text("verify_findings = false\n")
    unverified = json.loads(
        manyeyes(
            "eval",
            "--corpus",
            str(corpus),
            *oracle,
            "--format",
            "json",
            cwd=tmp_path,
            env={"XDG_CONFIG_HOME": str(tmp_path / "config")},
        ).stdout
    )
    assert unverified["false_positives"] >= 1 and unverified["rejected_by_verification"] == 0


def evaluated(corpus, tmp_path, *args):
    proc = manyeyes("eval", "--corpus", str(corpus), *args, "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_eval_without_grounding_measures_the_model_alone(corpus, tmp_path):
    grounded = evaluated(corpus, tmp_path, "--oracle", "0,0")
    assert grounded["recall"]["found"] == 1 and grounded["grounding"] is True  # bandit's hit, unconfirmed
    blind = evaluated(corpus, tmp_path, "--oracle", "0,0", "--no-grounding")
    # no analyzer ran: nothing reaches the result that the model did not report
    assert blind["grounding"] is False and blind["findings"] == 0 and blind["recall"]["found"] == 0
    assert blind["tokens"] > grounded["tokens"]  # triage off: every chunk asked, though no analyzer flagged it
    perfect = evaluated(corpus, tmp_path, "--oracle", "1,0", "--no-grounding")
    assert perfect["recall"]["recall"] == 1.0 and perfect["findings"] == perfect["true_positives"] == 1
    table = manyeyes("eval", "--corpus", str(corpus), "--oracle", "1,0", "--no-grounding", cwd=tmp_path).stdout
    assert "grounding off: model agents alone" in table
    proc = manyeyes("eval", "--corpus", str(corpus), "--no-grounding", cwd=tmp_path)  # nothing but analyzers
    assert proc.returncode == 2 and "--no-grounding measures a model" in proc.stderr


def test_eval_reports_tokens_per_case_and_takes_correlation(corpus, tmp_path):
    offline = evaluated(corpus, tmp_path)
    assert offline["tokens"] == 0 and offline["tokens_per_case"] == 0.0
    oracle = evaluated(corpus, tmp_path, "--oracle", "1,0,0,rho=0.6,recur=0.5", "--thorough")
    assert oracle["tokens"] == oracle["prompt_tokens"] + oracle["completion_tokens"] > 0
    assert oracle["tokens_per_case"] == round(oracle["tokens"] / oracle["cases"], 1) > 0
    assert oracle["recall"]["recall"] == 1.0  # p = 1: every judgement right, whatever the correlation
    same = evaluated(corpus, tmp_path, "--oracle", "1,0")
    table = manyeyes("eval", "--corpus", str(corpus), "--oracle", "1,0", cwd=tmp_path).stdout
    assert f"tokens: {same['tokens']:,} (prompt {same['prompt_tokens']:,}" in table
    assert f"{same['tokens_per_case']:,.1f} per case" in table
    proc = manyeyes("eval", "--corpus", str(corpus), "--oracle", "1,0,0,2", cwd=tmp_path)
    assert proc.returncode == 2 and "RHO" in proc.stderr


def test_case_verdicts_score_whole_files_by_their_cwe(tmp_path):
    root = tmp_path / "verdicts"
    write(root, "corpus.json", json.dumps({"name": "verdicts", "exhaustive": "file"}))
    shell = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
    write(root, "cases/real.py", shell)
    write(root, "cases/look_alike.py", shell)  # labelled safe: flagged, so a false positive
    write(root, "cases/quiet.py", "def add(a, b):\n    return a + b\n")
    write(root, "cases/missed.py", "def add(a, b):\n    return a + b\n")
    labels = [
        {"file": "cases/real.py", "line": None, "concern": "security", "cwe": "CWE-78", "real": True},
        {"file": "cases/look_alike.py", "line": None, "concern": "security", "cwe": "CWE-78", "real": False},
        {"file": "cases/quiet.py", "line": None, "concern": "security", "cwe": "CWE-89", "real": False},
        {"file": "cases/missed.py", "line": None, "concern": "security", "cwe": "CWE-89", "real": True},
    ]
    write(root, "labels.jsonl", "\n".join(json.dumps(label) for label in labels) + "\n")
    verdicts = evaluated(root, tmp_path)["case_verdicts"]
    assert (verdicts["true_positives"], verdicts["false_positives"]) == (1, 1)
    assert (verdicts["false_negatives"], verdicts["true_negatives"]) == (1, 1)
    assert verdicts["precision"] == verdicts["recall"] == 0.5


def test_the_look_alike_corpus_tells_real_flows_from_constant_ones(tmp_path):
    """corpora/web-lookalikes: Flask endpoints whose request value reaches a sink, and twins where only a
    constant does. What a user is shown flags the real ones and none of the twins."""
    source = Path(__file__).resolve().parents[2] / "corpora" / "web-lookalikes"
    root = tmp_path / "web-lookalikes"
    root.mkdir()
    for name in ("generate.py", "corpus.json"):
        (root / name).write_text((source / name).read_text())
    subprocess.run([sys.executable, str(root / "generate.py")], check=True, capture_output=True)
    shown = evaluated(root, tmp_path)["shown"]["case_verdicts"]
    assert shown["false_negatives"] == 0 and shown["false_positives"] == 0, shown


def test_bad_corpus_and_arguments_are_clear_errors(corpus, tmp_path):
    proc = manyeyes("eval", "--corpus", str(corpus), "--oracle", "2,x", cwd=tmp_path)
    assert proc.returncode == 2 and "--oracle takes P,Q" in proc.stderr
    (corpus / "labels.jsonl").write_text('{"file": "cases/shell.py"}\n')
    proc = manyeyes("eval", "--corpus", str(corpus), cwd=tmp_path)
    assert proc.returncode == 2 and "labels.jsonl:1:" in proc.stderr and "Traceback" not in proc.stderr
    proc = manyeyes("eval", "--corpus", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert proc.returncode == 2 and "no corpus directory" in proc.stderr


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared corpora are beside the project only on our machines")
@pytest.mark.parametrize("name", ["bandit-examples", "perflint-fixtures", "cyberseceval-python"])
def test_shared_corpora_evaluate(name, tmp_path):
    proc = manyeyes("eval", "--corpus", str(SHARED / name), "--limit", "8", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["recall"]["labels"] > 0


def test_bench_refuses_unknown_figures(tmp_path):
    proc = manyeyes("bench", "--only", "fanout,speed", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown figure 'speed'" in proc.stderr


def test_bench_prints_figures_with_targets(tmp_path):
    proc = manyeyes("bench", "--quick", "--only", "tokens,scale", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "tokens on the benchmark file: 4-concern review / one agent, billed:" in proc.stdout
    assert "target: at most 1.5x" in proc.stdout
    assert "scale: 20-file change" in proc.stdout and "nothing lost   meets target" in proc.stdout
    data = json.loads(manyeyes("bench", "--quick", "--only", "scale", "--format", "json", cwd=tmp_path).stdout)
    [scale] = data["figures"]
    assert scale["name"].startswith("scale: 20-file change") and scale["met"] is True
    assert scale["target"] == "completes, nothing lost" and data["suite"] == "quick"
