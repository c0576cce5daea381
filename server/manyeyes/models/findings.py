"""A finding and what it is made of: where it is (Span), who found it (Source), its fix (Fix) and how many voters
agreed (Consensus)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from manyeyes.safety import plain
from manyeyes.vocabulary import Concern, Severity


class Span(BaseModel):
    """A range of a file, 1-based lines and 1-based columns counted in Unicode code points.

    end_col is exclusive; end_col 0 means "to the end of end_line". Front ends convert to their own encodings.
    """

    model_config = ConfigDict(frozen=True)

    start_line: int = Field(ge=1)
    start_col: int = Field(default=1, ge=1)
    end_line: int = Field(ge=1)
    end_col: int = Field(default=0, ge=0)

    def overlaps(self, other: Span, slack: int = 0) -> bool:
        return self.start_line <= other.end_line + slack and other.start_line <= self.end_line + slack

    def lines(self) -> range:
        return range(self.start_line, self.end_line + 1)


class Source(BaseModel):
    """Who raised a finding or wrote a fix: an analyzer of the offline panel, or a model, by name and version."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["analyzer", "model"]
    name: str  # "bandit", "ruff", "openai/gpt-4o"
    version: str | None = None

    @property
    def label(self) -> str:
        """How people read it: "bandit", "model:openai/gpt-4o"."""
        return self.name if self.kind == "analyzer" else f"model:{self.name}"


class Fix(BaseModel):
    """Replacement text for a span of the reviewed file, and who wrote it."""

    span: Span
    replacement: str
    description: str = ""
    source: Source | None = None
    safe: bool = False  # the tool that wrote it says it keeps behaviour (ruff's "safe" applicability)
    # A model's fix is checked before it is offered (rewrite/fixes.py): spliced into a scratch copy, it must parse
    # and lint no worse. True: it passed; False: nothing could check it (check_note says why, "no parser for go");
    # None: not checked, a tool's fix, trusted as its tool wrote it. A fix that fails is withdrawn, not marked.
    checked: bool | None = None
    check_note: str = ""  # what the check found: "parses, lints no worse", "no parser for go"

    _description = field_validator("description")(lambda value: plain.one_line(value, 120))
    _check_note = field_validator("check_note")(lambda value: plain.one_line(value, 300))

    @property
    def by_model(self) -> bool:
        return self.source is not None and self.source.kind == "model"

    @property
    def check_label(self) -> str | None:
        """How a front end says whether the fix was checked; None for a fix no check concerns (a tool's)."""
        if self.checked is None:
            return None
        return f"fix checked: {self.check_note}" if self.checked else f"fix not checked ({self.check_note})"


Verdict = Literal["confirmed", "rejected", "unsure"]


class Consensus(BaseModel):
    """How the panel agreed on a model finding (consensus/): how many of the voters asked found it, and what the
    verifier said. Its confidence is worked out from these by one rule (consensus/confidence.py)."""

    found_by: int = Field(default=1, ge=1)
    asked: int = Field(default=1, ge=1)
    voters: list[str] = Field(default_factory=list)  # the models that found it (a model may vote more than once)
    stated: float = Field(default=0.5, ge=0.0, le=1.0)  # the finders' own confidence, on average
    verdict: Verdict | None = None  # None: not verified (unanimous, backed, verification off, or the call failed)
    verifier: str | None = None
    verdict_reason: str = ""

    _reason = field_validator("verdict_reason")(lambda value: plain.one_line(value, 300))

    @property
    def unanimous(self) -> bool:
        return self.found_by >= self.asked

    @property
    def majority(self) -> bool:
        return self.found_by * 2 > self.asked


class Finding(BaseModel):
    path: str  # relative to the workspace root, with forward slashes
    concerns: list[Concern]
    severity: Severity
    confidence: float = Field(ge=0.0, le=1.0)
    title: str
    explanation: str = ""
    span: Span
    evidence: str = ""  # the quoted code the finding is anchored to
    fix: Fix | None = None
    cwe: list[str] = Field(default_factory=list)  # "CWE-89"
    rules: list[str] = Field(default_factory=list)  # "B608", "PERF401"
    help_uri: str | None = None  # the rule's documentation, or the CWE's page
    sources: list[Source] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    fingerprint: str = ""
    consensus: Consensus | None = None  # a model finding's votes and verdict; None for an analyzer's alone
    confidence_reasons: list[str] = Field(default_factory=list)  # why its confidence is what it is (the hover's)

    # Titles and explanations come from models and from tools quoting the reviewed code: whoever shows them
    # gets them as one line (or plain paragraphs) with nothing invisible and a sane length (safety/plain.py).
    _title = field_validator("title")(lambda value: plain.one_line(value, 200))
    _explanation = field_validator("explanation")(lambda value: plain.paragraph(value))
    _rules = field_validator("rules")(lambda values: [r for r in map(plain.rule_id, values) if r])

    @property
    def rule_id(self) -> str:
        """The one id of the problem this finding reports, for LSP codes, SARIF and fingerprints: its first rule,
        else its CWE, else its concern (a model finding that names neither)."""
        if self.rules:
            return self.rules[0]
        return self.cwe[0] if self.cwe else f"manyeyes/{self.concerns[0].value}"

    @property
    def by_model_only(self) -> bool:
        """Raised by model agents only: no analyzer's evidence backs it."""
        return bool(self.sources) and all(s.kind == "model" for s in self.sources)

    def source_labels(self) -> str:
        return ", ".join(s.label for s in self.sources)

    @property
    def confidence_text(self) -> str:
        """ "0.82 (2 of 3 voters; verified by model:b; backed by bandit B608)": the figure and why."""
        why = "; ".join(plain.one_line(reason, 300) for reason in self.confidence_reasons)
        return f"{self.confidence:.2f}" + (f" ({why})" if why else "")
