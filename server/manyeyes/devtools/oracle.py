"""A noisy oracle: the fake provider answering like a model that knows a corpus's labels, imperfectly.

For each request it reads the file and the numbered lines from the prompt; every real label of that file and
concern inside the lines is reported with probability p, and with probability q a false finding is invented:
half the time on real code that has no label, half the time quoting code that is not there (a hallucination the
pipeline's anchoring should drop). Asked to verify findings, it judges each against the labels and is right
with probability p. Like a model, it dismisses each analyzer hit it is shown where no label is, with probability
p (a hit it neither confirms nor dismisses stays, not confirmed). Seeded, and keyed by the request's content, so a run is reproducible whatever the order the
agents run in. It measures what the pipeline does to precision and recall, independent of a model.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

from manyeyes.devtools.fake_provider import Reply, agent_of
from manyeyes.evaluation.corpus import Label

_FILE = re.compile(r'^File: ("(?:[^"\\]|\\.)*") \(', re.MULTILINE)  # the path, quoted as JSON
_NUMBERED = re.compile(r"^\s*(\d+) \| (.*)$", re.MULTILINE)
_CANDIDATE = re.compile(r"^Finding (f\d+) \(([\w/]+), \w+\), lines (\d+)-(\d+):", re.MULTILINE)
_EVIDENCE = re.compile(r"^- line (\d+), rule (\S+) \(", re.MULTILINE)


@dataclass
class NoisyOracle:
    labels: list[Label]
    p: float
    q: float
    seed: int = 0

    def answer(self, body: dict) -> Reply:
        user = str(body.get("messages", [{}])[-1].get("content", ""))
        concern = agent_of(body)
        found = _FILE.search(user)
        path = json.loads(found.group(1)) if found else None
        if concern == "verify" and path is not None:
            return self._verify(path, user)
        lines = {int(n): text for n, text in _NUMBERED.findall(user)}
        if path is None or not lines:
            return Reply()
        rng = random.Random(f"{self.seed}:{path}:{concern}:{min(lines)}")
        labels = self._labels(path, concern, lines)
        findings = [_report(label, lines) for label in labels if rng.random() < self.p]
        near_labels = {n + d for label in labels if label.line for n in [label.line] for d in (-1, 0, 1)}
        if rng.random() < self.q:
            findings.append(_invent(rng, lines, concern, near_labels))
        dismissed = [
            {"rule": rule, "line": int(line), "reason": "oracle: no label here"}
            for line, rule in _EVIDENCE.findall(user)
            if int(line) not in near_labels and rng.random() < self.p
        ]
        return Reply(content=json.dumps({"findings": [f for f in findings if f], "dismissed": dismissed}))

    def _verify(self, path: str, user: str) -> Reply:
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
            right = random.Random(f"{self.seed}:verify:{path}:{first}:{concerns}").random() < self.p
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


def parse_oracle(text: str) -> tuple[float, float, int]:
    """ "P,Q" or "P,Q,SEED" from the command line."""
    parts = text.split(",")
    try:
        p, q = float(parts[0]), float(parts[1])
        seed = int(parts[2]) if len(parts) > 2 else 0
    except (IndexError, ValueError):
        raise ValueError(f"--oracle takes P,Q[,SEED] with probabilities, not '{text}'") from None
    if not (0 <= p <= 1 and 0 <= q <= 1):
        raise ValueError(f"--oracle {text}: P and Q are probabilities between 0 and 1")
    return p, q, seed
