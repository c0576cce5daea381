"""Reading a model's reply defensively.

Models wrap JSON in fences and prose, stop half-way through an array, and get fields wrong. The reply is searched
for its JSON; when the whole does not parse, the complete items of the findings array are salvaged one by one;
each item is validated on its own, so one bad item costs that item only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, Field, ValidationError, field_validator

from manyeyes.models import Severity

_SEVERITY_ALIASES = {
    "error": "high",
    "warning": "medium",
    "warn": "medium",
    "note": "low",
    "minor": "low",
    "major": "high",
    "blocker": "critical",
    "information": "info",
    "informational": "info",
}


class ParseError(Exception):
    pass


class RawFix(BaseModel):
    replacement: str
    description: str = ""


class RawFinding(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    severity: Severity
    confidence: float = 0.5
    line: int | None = None
    quote: str = Field(min_length=1)
    explanation: str = ""
    cwe: str | None = None
    rule: str | None = None
    fix: RawFix | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value):
        text = str(value).strip().lower()
        return _SEVERITY_ALIASES.get(text, text)

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value):
        number = float(value)
        return min(max(number / 100 if number > 1 else number, 0.0), 1.0)

    @field_validator("cwe", mode="before")
    @classmethod
    def _cwe(cls, value):
        if value in (None, "", "null"):
            return None
        digits = re.search(r"\d+", str(value))
        return f"CWE-{digits.group()}" if digits else None

    _line = field_validator("line", mode="before")(lambda value: _int_or_none(value))


class RawDismissal(BaseModel):
    """An analyzer hit the model judges false: it must name the hit and say why."""

    rule: str = Field(min_length=1, max_length=60)
    line: int | None = None
    reason: str = Field(min_length=3)

    _line = field_validator("line", mode="before")(lambda value: _int_or_none(value))


class FindingsReply(BaseModel):
    """The reply's shape, sent as the response schema to models that support structured output."""

    findings: list[RawFinding]
    dismissed: list[RawDismissal] = Field(default_factory=list)


@dataclass
class Parsed:
    findings: list[RawFinding] = field(default_factory=list)
    dismissed: list[RawDismissal] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # why each invalid item was dropped
    salvaged: bool = False  # the JSON was incomplete and items were recovered one by one


def parse_reply(text: str) -> Parsed:
    body = _strip_fences(text)
    start = _json_start(body)
    if start is None:
        raise ParseError("the reply has no JSON in it")
    try:
        value, _ = json.JSONDecoder().raw_decode(body, start)
        items, salvaged = _items_of(value), False
    except json.JSONDecodeError:
        value, items, salvaged = None, _salvage_items(body, start), True
    parsed = Parsed(salvaged=salvaged)
    for item in items:
        _validate_into(parsed, item)
    for item in _dismissals_of(value):
        _validate_dismissal(parsed, item)
    return parsed


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _dismissals_of(value) -> list:
    dismissed = value.get("dismissed") if isinstance(value, dict) else None
    return dismissed if isinstance(dismissed, list) else []


def json_object(text: str):
    """The outermost JSON object of a reply that asked for one, tolerating fences and prose around it."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ParseError("the reply has no JSON object in it")
    try:
        return json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ParseError(f"the reply's JSON does not parse ({exc.msg})") from None


def _strip_fences(text: str) -> str:
    fenced = re.search(r"```(?:json)?\s*\n(.*?)(?:```|$)", text, re.DOTALL)
    return fenced.group(1) if fenced else text


def _json_start(text: str) -> int | None:
    positions = [p for p in (text.find("{"), text.find("[")) if p >= 0]
    return min(positions) if positions else None


def _items_of(value) -> list:
    if isinstance(value, dict):
        value = value.get("findings", value.get("issues", []))
    if not isinstance(value, list):
        raise ParseError("the reply's JSON has no findings list")
    return value


def _salvage_items(text: str, start: int) -> list:
    """The complete objects at the start of a cut-off findings array."""
    array = text.find("[", start)
    if array < 0:
        raise ParseError("the reply's JSON is incomplete and has no findings array")
    decoder, items, position = json.JSONDecoder(), [], array + 1
    while True:
        position = _skip(text, position, " \t\r\n,")
        if position >= len(text) or text[position] == "]":
            return items
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return items
        items.append(item)


def _skip(text: str, position: int, characters: str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _validate_into(parsed: Parsed, item) -> None:
    if not isinstance(item, dict):
        parsed.dropped.append(f"not an object: {str(item)[:60]}")
        return
    try:
        parsed.findings.append(RawFinding.model_validate(item))
    except (ValidationError, ValueError) as exc:
        parsed.dropped.append(f"invalid item ({_first_error(exc)})")


def _validate_dismissal(parsed: Parsed, item) -> None:
    try:
        parsed.dismissed.append(RawDismissal.model_validate(item))
    except (ValidationError, ValueError) as exc:
        parsed.dropped.append(
            f"invalid dismissal ({_first_error(exc)}): a hit is dismissed by naming it, with a reason"
        )


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc)
