"""The noisy oracle's samples and correlated errors (devtools/oracle.py), on prompts made here.

Every figure is from fixed seeds: the statistical checks are deterministic, never flaky.
"""

import json
import math
import threading

import pytest
from manyeyes.devtools.oracle import HOME_MODEL, NoisyOracle, OracleParameters, parse_oracle
from manyeyes.evaluation.corpus import Label

CODE = [f"value_{n} = compute_{n}(data)" for n in range(1, 13)]
GOLDEN_LABELS = [Label(file="cases/g.py", line=n, concern="security", rule=f"B{n}") for n in (2, 3, 9, 11)]
GOLDEN_EVIDENCE = "- line 5, rule B101 (bandit): assert\n- line 6, rule B311 (bandit): random\n"
# What the oracle answered before it had samples (p 0.6, q 1, seeds 0-7): labels found, inventions, hits dismissed
GOLDEN = {
    0: ([3, 9, 11], [(1, "call_that_is_not_there_196570()")], []),
    1: ([2, 3, 9], [(1, "call_that_is_not_there_895439()")], [6]),
    2: ([2, 3, 9], [(1, "call_that_is_not_there_682572()")], [5]),
    3: ([9, 11], [(1, "call_that_is_not_there_126726()")], [6]),
    4: ([2, 3, 11], [(5, "value_5 = compute_5(data)")], [6]),
    5: ([2, 9, 11], [(6, "value_6 = compute_6(data)")], [5, 6]),
    6: ([3, 9, 11], [(7, "value_7 = compute_7(data)")], [5, 6]),
    7: ([3, 9, 11], [(7, "value_7 = compute_7(data)")], [6]),
}
GOLDEN_VERDICTS = {  # verdicts on candidates at lines 2, 5, 9 and 12
    0: "RCCC",
    1: "CRRC",
    2: "CRCC",
    3: "CCCC",
    4: "CRRR",
    5: "CCCR",
    6: "CRCC",
    7: "CRRC",
}


def body(path="cases/g.py", lines=CODE, first=1, model=HOME_MODEL, temperature=0, seed=None, concern="security"):
    numbered = "\n".join(f"{n:>4} | {text}" for n, text in enumerate(lines, first))
    content = f'Concern: {concern}\nFile: "{path}" (python)\n{numbered}\n'
    request = {"model": model, "temperature": temperature, "messages": [{"role": "user", "content": content}]}
    if seed is not None:
        request["seed"] = seed
    return request


def ask(oracle, request):
    return json.loads(oracle.answer(request).text())


def summary(answer):
    findings = answer["findings"]
    return (
        [f["line"] for f in findings if "invented" not in f["title"]],
        [(f["line"], f["quote"]) for f in findings if "invented" in f["title"]],
        [d["line"] for d in answer["dismissed"]],
    )


@pytest.mark.parametrize("seed", sorted(GOLDEN))
def test_uncorrelated_first_sample_answers_as_the_oracle_always_did(seed):
    request = body()
    request["messages"][0]["content"] += GOLDEN_EVIDENCE
    assert summary(ask(NoisyOracle(GOLDEN_LABELS, 0.6, 1.0, seed), request)) == GOLDEN[seed]
    at_temperature = {**request, "temperature": 0.8}  # a first sample is the same whatever the temperature
    assert summary(ask(NoisyOracle(GOLDEN_LABELS, 0.6, 1.0, seed), at_temperature)) == GOLDEN[seed]
    candidates = "\n".join(f"Finding f{i} (security, high), lines {n}-{n}: x" for i, n in enumerate([2, 5, 9, 12]))
    verify = body(concern="verify")
    verify["messages"][0]["content"] = f'Concern: verify\nFile: "cases/g.py" (python)\n{candidates}'
    verdicts = ask(NoisyOracle(GOLDEN_LABELS, 0.6, 1.0, seed), verify)["verdicts"]
    assert "".join(v["verdict"][0].upper() for v in verdicts) == GOLDEN_VERDICTS[seed]


# A corpus of 40 files of 50 lines, a label on every line: 2,000 judgements per model and sample.
FILES, LINES = 40, 50
BIG_LABELS = [
    Label(file=f"cases/f{f}.py", line=n, concern="security", rule=f"R{n}")
    for f in range(FILES)
    for n in range(1, LINES + 1)
]
BIG_CODE = [f"item_{n} = handle_{n}(request)" for n in range(1, LINES + 1)]


def found_by(oracle, model, seed=None, temperature=0.7) -> list[bool]:
    """Which of the 2,000 labels one sample reports, in order."""
    found = []
    for f in range(FILES):
        answer = ask(oracle, body(f"cases/f{f}.py", BIG_CODE, model=model, temperature=temperature, seed=seed))
        lines = {x["line"] for x in answer["findings"] if "invented" not in x["title"]}
        found.extend(n in lines for n in range(1, LINES + 1))
    return found


def correlation(a: list[bool], b: list[bool]) -> float:
    n = len(a)
    mean_a, mean_b = sum(a) / n, sum(b) / n
    cov = sum(x * y for x, y in zip(a, b)) / n - mean_a * mean_b
    return cov / math.sqrt(mean_a * (1 - mean_a) * mean_b * (1 - mean_b))


def test_fully_correlated_samples_of_one_model_miss_the_same_labels_another_model_its_own():
    oracle = NoisyOracle(BIG_LABELS, 0.7, 0.0, seed=3, rho=1.0)
    first, second = found_by(oracle, "model-a", seed=1), found_by(oracle, "model-a", seed=2)
    assert first == second and 0 < sum(first) < len(first)
    other = found_by(oracle, "model-b", seed=1)
    assert other != first
    assert abs(correlation(first, other)) < 0.06  # another model's difficulties are its own


def test_uncorrelated_samples_are_independent_draws():
    oracle = NoisyOracle(BIG_LABELS, 0.7, 0.0, seed=3)
    first, second = found_by(oracle, "model-a", seed=1), found_by(oracle, "model-a", seed=2)
    assert first != second and abs(correlation(first, second)) < 0.06


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0])
def test_find_rate_stays_p_and_samples_correlate_by_rho(rho):
    oracle = NoisyOracle(BIG_LABELS, 0.7, 0.0, seed=5, rho=rho)
    samples = {(model, seed): found_by(oracle, model, seed) for model in ("m1", "m2", "m3") for seed in (1, 2)}
    everything = [x for found in samples.values() for x in found]
    assert sum(everything) / len(everything) == pytest.approx(0.7, abs=0.02)
    within = [correlation(samples[(m, 1)], samples[(m, 2)]) for m in ("m1", "m2", "m3")]
    assert sum(within) / len(within) == pytest.approx(rho, abs=0.06)
    across = correlation(samples[("m1", 1)], samples[("m2", 1)])
    assert abs(across) < 0.06  # models do not share their errors


def inventions(oracle, model, seed, files):
    """Per chunk, the false finding one sample invents (None when it invents nothing)."""
    out = []
    for f in range(files):
        answer = ask(oracle, body(f"cases/plain{f}.py", BIG_CODE[:12], model=model, temperature=0.7, seed=seed))
        invented = [(x["line"], x["quote"]) for x in answer["findings"]]
        out.append(invented[0] if invented else None)
    return out


@pytest.mark.parametrize("recur", [0.0, 0.5, 1.0])
def test_invented_findings_recur_across_one_models_samples_at_the_set_rate(recur):
    oracle = NoisyOracle([], 0.7, 0.4, seed=9, recur=recur)
    a, b = inventions(oracle, "m1", 1, 800), inventions(oracle, "m1", 2, 800)
    rate = sum(x is not None for x in a + b) / len(a + b)
    assert rate == pytest.approx(0.4, abs=0.04)  # how often a sample invents is q, whatever recur is
    invented = [(x, y) for x, y in zip(a, b) if x is not None]
    recurring = sum(x == y for x, y in invented) / len(invented)
    assert recurring == pytest.approx(recur, abs=0.07)  # the share of one sample's inventions another repeats
    other = inventions(oracle, "m2", 1, 800)
    assert sum(x is not None and x == y for x, y in zip(a, other)) <= 8  # another model invents its own


def test_a_sample_is_its_seed_or_its_place_among_identical_requests_and_temperature_0_is_one_answer():
    oracle = NoisyOracle(BIG_LABELS, 0.5, 0.5, seed=1)
    greedy = [ask(oracle, body("cases/f0.py", BIG_CODE)) for _ in range(3)]
    assert greedy[0] == greedy[1] == greedy[2]  # temperature 0: the model's one answer, however often asked
    seeded = {s: ask(oracle, body("cases/f0.py", BIG_CODE, temperature=1, seed=s)) for s in (4, 5, 4)}
    again = NoisyOracle(BIG_LABELS, 0.5, 0.5, seed=1)
    assert ask(again, body("cases/f0.py", BIG_CODE, temperature=1, seed=5)) == seeded[5]  # in any order
    assert seeded[4] != seeded[5]
    repeated = [ask(oracle, body("cases/f0.py", BIG_CODE, temperature=1)) for _ in range(3)]
    assert repeated[0] == greedy[0]  # the first sample is the model's first answer
    assert repeated[0] != repeated[1] != repeated[2] != repeated[0]


def test_samples_are_counted_under_a_lock():
    request = body("cases/f1.py", BIG_CODE, temperature=1)
    sequential = NoisyOracle(BIG_LABELS, 0.5, 0.5, seed=2)
    expected = sorted(json.dumps(ask(sequential, request)) for _ in range(24))
    threaded = NoisyOracle(BIG_LABELS, 0.5, 0.5, seed=2)
    answers, barrier = [], threading.Barrier(24)

    def one() -> None:
        barrier.wait()
        answers.append(json.dumps(ask(threaded, request)))

    threads = [threading.Thread(target=one) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == expected and len(set(answers)) > 1


def test_correlated_verdicts_repeat_for_one_model():
    candidates = "\n".join(f"Finding f{i} (security, high), lines {n}-{n}: x" for i, n in enumerate(range(1, 51)))
    request = {
        "model": "m1",
        "temperature": 1,
        "messages": [{"role": "user", "content": f'Concern: verify\nFile: "cases/f0.py" (python)\n{candidates}'}],
    }
    oracle = NoisyOracle(BIG_LABELS, 0.6, 0.0, seed=4, rho=1.0)
    first, second = ask(oracle, request), ask(oracle, request)
    assert first == second and {v["verdict"] for v in first["verdicts"]} == {"confirmed", "rejected"}
    independent = NoisyOracle(BIG_LABELS, 0.6, 0.0, seed=4)
    assert ask(independent, request) != ask(independent, request)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.7,0.2", OracleParameters(0.7, 0.2)),
        ("0.7,0.2,3", OracleParameters(0.7, 0.2, 3)),
        ("0.7,0.2,3,0.6,0.5", OracleParameters(0.7, 0.2, 3, 0.6, 0.5)),
        ("0.7,0.2,3,rho=0.6", OracleParameters(0.7, 0.2, 3, 0.6, 0.0)),
        ("p=0.7, q=0.2, recur=0.5", OracleParameters(0.7, 0.2, 0, 0.0, 0.5)),
    ],
)
def test_oracle_parameters_parse(text, expected):
    assert parse_oracle(text) == expected


@pytest.mark.parametrize(
    "text", ["0.7", "0.7,0.2,3,0.5,0.5,1", "0.7,0.2,rho=2", "0.7,0.2,x=1", "0.7,rho=0.5,0.2", "q=0.2", "1,0,1.5"]
)
def test_bad_oracle_parameters_are_refused(text):
    with pytest.raises(ValueError, match="--oracle"):
        parse_oracle(text)
