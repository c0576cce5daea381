"""A noisy oracle: the fake provider answering like a model that knows a corpus's labels, imperfectly.

For each request it reads the file and the numbered lines from the prompt; every real label of that file and
concern inside the lines is reported with probability p, and with probability q a false finding is invented:
half the time on real code that has no label, half the time quoting code that is not there (a hallucination the
pipeline's anchoring should drop). Asked to verify findings, it judges each against the labels and is right
with probability p. Like a model, it dismisses each analyzer hit it is shown where no label is, with probability
p (a hit it neither confirms nor dismisses stays, not confirmed). Seeded, and keyed by the request's content, so a
run is reproducible whatever the order the agents run in. It measures what the pipeline does to precision and
recall, independent of a model.

Its errors are correlated the way a model's are, so that asking one model several times (votes) is not
flattered (docs/evaluation.md, "The noisy oracle"):

- A request is a *sample* of a *model*: the model is the request's `model` string; at temperature 0 the model
  answers the same request the same way every time; otherwise a request with a `seed` is the sample of that seed,
  and without one the k-th identical request is sample k (counted here, under a lock: the fake provider answers
  from threads).
- Every judgement (a label found, a hit dismissed, a verdict right) has a difficulty per model, drawn once from
  (seed, model, item): the model's fixed answer is "right" iff difficulty < p. Each sample gives the fixed answer
  with probability sqrt(rho), else an independent draw with probability p; so every judgement is still right with
  probability p, and two samples of one model agree beyond chance with correlation rho. Another model has its own
  difficulties.
- Each model has its own invention per chunk (drawn once from (seed, model, path, concern, chunk)); a sample's
  invented finding is that one with probability sqrt(recur), else a fresh one: a false finding one sample
  invents appears in another sample of the same model with probability recur.

With rho = 0 and recur = 0 the first sample of the oracle's own model (`HOME_MODEL`) answers exactly as the
oracle always has (the same random streams, drawn in the same order).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from manyeyes.devtools.fake_provider import Reply, agent_of
from manyeyes.evaluation.corpus import Label

_FILE = re.compile(r'^File: ("(?:[^"\\]|\\.)*") \(', re.MULTILINE)  # the path, quoted as JSON
_NUMBERED = re.compile(r"^\s*(\d+) \| (.*)$", re.MULTILINE)
_CANDIDATE = re.compile(r"^Finding (f\d+) \(([\w/]+), \w+\), lines (\d+)-(\d+)[:,]", re.MULTILINE)
_EVIDENCE = re.compile(r"^- line (\d+), rule (\S+) \(", re.MULTILINE)

HOME_MODEL = "noisy-oracle"  # the model `manyeyes eval --oracle` asks for ("openai/noisy-oracle", as sent)
ORACLE_PARAMETERS = ("p", "q", "seed", "rho", "recur")


@dataclass(frozen=True)
class Sample:
    """Which model answers, and which of its samples: "" is its first (or only, at temperature 0)."""

    model: str
    tag: str = ""


@dataclass
class NoisyOracle:
    labels: list[Label]
    p: float
    q: float
    seed: int = 0
    rho: float = 0.0  # correlation of one model's samples on each judgement (0: independent, 1: identical)
    recur: float = 0.0  # how often a false finding one sample invents appears in another sample of the model
    home_model: str = HOME_MODEL
    _asked: Counter = field(default_factory=Counter, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def answer(self, body: dict) -> Reply:
        sample = self.sample_of(body)
        user = str(body.get("messages", [{}])[-1].get("content", ""))
        concern = agent_of(body)
        found = _FILE.search(user)
        path = json.loads(found.group(1)) if found else None
        if concern == "verify" and path is not None:
            return self._verify(sample, path, user)
        lines = {int(n): text for n, text in _NUMBERED.findall(user)}
        if path is None or not lines:
            return Reply()
        base = f"{self.seed}:{path}:{concern}:{min(lines)}"
        rng, fixed = self._streams(sample, base)
        labels = self._labels(path, concern, lines)
        findings = [_report(label, lines) for label in labels if self._judge(sample, _label_key(label), rng, fixed)]
        near_labels = {n + d for label in labels if label.line for n in [label.line] for d in (-1, 0, 1)}
        invented = _invent(rng, lines, concern, near_labels) if rng.random() < self.q else None
        if fixed.random() < math.sqrt(self.recur):  # this sample repeats its model's own invention here
            own = random.Random(f"{self.seed}:invent:{sample.model}:{base}")
            invented = _invent(own, lines, concern, near_labels) if own.random() < self.q else None
        findings.append(invented)
        dismissed = [
            {"rule": rule, "line": int(line), "reason": "oracle: no label here"}
            for line, rule in _EVIDENCE.findall(user)
            if int(line) not in near_labels and self._judge(sample, f"dismiss:{path}:{line}:{rule}", rng, fixed)
        ]
        return Reply(content=json.dumps({"findings": [f for f in findings if f], "dismissed": dismissed}))

    def sample_of(self, body: dict) -> Sample:
        """The model and sample a request is: at temperature 0 the model's one answer; else the sample of the
        request's `seed`, or, without one, the k-th identical request (k from 0) is sample k."""
        model = str(body.get("model", ""))
        temperature = body.get("temperature")
        if isinstance(temperature, (int, float)) and temperature <= 0:
            return Sample(model)
        if body.get("seed") is not None:
            return Sample(model, f"@seed={body['seed']}")
        key = hashlib.blake2b(json.dumps(body, sort_keys=True, default=str).encode(), digest_size=16).digest()
        with self._lock:
            k = self._asked[key]
            self._asked[key] += 1
        return Sample(model, f"#{k}" if k else "")

    def _streams(self, sample: Sample, base: str) -> tuple[random.Random, random.Random]:
        """The sample's own random draws (for the home model's first sample, the stream the oracle always drew
        from), and the draws deciding where it gives its model's fixed answer instead (never drawn from when rho
        and recur are 0, so they change nothing then)."""
        key = base if sample == Sample(self.home_model) else f"{base}:{sample.model}{sample.tag}"
        return random.Random(key), random.Random(f"{key}:fixed")

    def _judge(self, sample: Sample, item: str, rng: random.Random, fixed: random.Random) -> bool:
        """Right with probability p: the model's fixed answer with probability sqrt(rho), else a fresh draw (always
        drawn, so the sample's stream stays as it was whatever rho is)."""
        fresh = rng.random() < self.p
        if fixed.random() < math.sqrt(self.rho):
            return self.difficulty(sample.model, item) < self.p
        return fresh

    def difficulty(self, model: str, item: str) -> float:
        """How hard one judgement is for one model, in [0, 1): drawn once from (seed, model, item)."""
        return random.Random(f"{self.seed}:difficulty:{model}:{item}").random()

    def _verify(self, sample: Sample, path: str, user: str) -> Reply:
        """A verdict per candidate: "confirmed" when a real label is at its lines, "rejected" otherwise; each
        verdict is right with probability p."""
        verdicts = []
        for ident, concerns, first, last in _CANDIDATE.findall(user):
            real = any(
                label.real
                and label.file == path
                and label.concern.value in concerns.split("/")
                and (label.line is None or int(first) - 1 <= label.line <= int(last) + 1)
                for label in self.labels
            )
            rng, fixed = self._streams(sample, f"{self.seed}:verify:{path}:{first}:{concerns}")
            right = self._judge(sample, f"verify:{path}:{first}:{last}:{concerns}", rng, fixed)
            verdict = "confirmed" if real == right else "rejected"
            verdicts.append({"id": ident, "verdict": verdict, "reason": "oracle"})
        return Reply(content=json.dumps({"verdicts": verdicts}))

    def _labels(self, path: str, concern: str, lines: dict[int, str]) -> list[Label]:
        return [
            label
            for label in self.labels
            if label.real
            and label.file == path
            and label.concern.value == concern
            and (label.line is None or label.line in lines)
        ]


def _label_key(label: Label) -> str:
    return f"label:{label.file}:{label.line}:{label.concern.value}:{label.rule}:{label.cwe}"


def _report(label: Label, lines: dict[int, str]) -> dict | None:
    line = label.line or next((n for n, text in sorted(lines.items()) if text.strip()), None)
    if line is None or not lines[line].strip():
        return None
    return {
        "title": f"{label.rule or label.concern.value} issue",
        "severity": "medium",
        "confidence": 0.8,
        "line": line,
        "quote": lines[line].strip(),
        "cwe": label.cwe,
        "rule": label.rule,
    }


def _invent(rng: random.Random, lines: dict[int, str], concern: str, avoid: set[int]) -> dict | None:
    if rng.random() < 0.5:
        return {
            "title": f"invented {concern} issue",
            "severity": "low",
            "confidence": 0.5,
            "line": min(lines),
            "quote": f"call_that_is_not_there_{rng.randrange(10**6)}()",
        }
    candidates = [n for n, text in lines.items() if len(text.strip()) > 3 and n not in avoid]
    if not candidates:
        return None
    line = rng.choice(candidates)
    return {
        "title": f"invented {concern} issue",
        "severity": "low",
        "confidence": 0.5,
        "line": line,
        "quote": lines[line].strip(),
    }


@dataclass(frozen=True)
class OracleParameters:
    p: float
    q: float
    seed: int = 0
    rho: float = 0.0
    recur: float = 0.0


def parse_oracle(text: str) -> OracleParameters:
    """ "P,Q[,SEED[,RHO[,RECUR]]]" from the command line; any of them may be named instead ("0.7,0.2,rho=0.6"),
    positional ones first. P and Q are required."""
    usage = f"--oracle takes P,Q[,SEED[,RHO[,RECUR]]] (or p=,q=,seed=,rho=,recur=), not '{text}'"
    values: dict[str, str] = {}
    named = False
    for index, part in enumerate(p.strip() for p in text.split(",")):
        name, sep, value = part.partition("=")
        if sep:
            named, name = True, name.strip().lower()
            if name not in ORACLE_PARAMETERS or name in values:
                raise ValueError(f"{usage}: unknown or repeated parameter '{name}'")
            values[name] = value.strip()
        elif named or index >= len(ORACLE_PARAMETERS):
            raise ValueError(usage)
        else:
            values[ORACLE_PARAMETERS[index]] = part
    try:
        parameters = OracleParameters(
            **{name: int(v) if name == "seed" else float(v) for name, v in values.items()}  # type: ignore[arg-type]
        )
    except (TypeError, ValueError):  # P or Q missing, or a value that is not a number
        raise ValueError(usage) from None
    probabilities = {"P": parameters.p, "Q": parameters.q, "RHO": parameters.rho, "RECUR": parameters.recur}
    if not all(0 <= v <= 1 for v in probabilities.values()):
        raise ValueError(f"--oracle {text}: P, Q, RHO and RECUR are probabilities between 0 and 1")
    return parameters
