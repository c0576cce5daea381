"""Labeled corpora: a directory with corpus.json, cases/ and labels.jsonl (format in docs/evaluation.md).

A malformed corpus is one clear error naming the file and the line, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from manyeyes.errors import ManyeyesError
from manyeyes.models import Concern


class CorpusError(ManyeyesError):
    pass


class CorpusInfo(BaseModel):
    name: str
    source: str = ""
    license: str = ""
    labels: str = ""
    exhaustive: Literal["line", "file", "none"]


class Label(BaseModel):
    file: str
    line: int | None
    concern: Concern
    cwe: str | None = None
    rule: str | None = None
    real: bool = True

    @field_validator("concern")
    @classmethod
    def _built_in(cls, value: Concern) -> Concern:
        if not value.built_in:  # a corpus measures the built-in concerns
            names = ", ".join(c.value for c in Concern)
            raise PydanticCustomError("concern", "Input should be one of {names}", {"names": names})
        return value

    @field_validator("line")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("line must be 1 or more, or null")
        return value


class Corpus(BaseModel):
    root: Path
    info: CorpusInfo
    labels: list[Label]
    cases: list[str]  # paths relative to the root, "cases/x.py"


def load_corpus(root: Path, limit: int | None = None) -> Corpus:
    """The corpus at `root`; `limit` keeps the first N case files (by name) and their labels."""
    if not root.is_dir():
        raise CorpusError(f"no corpus directory at {root}")
    info = _read_info(root / "corpus.json")
    labels = _read_labels(root / "labels.jsonl")
    cases = sorted(p.relative_to(root).as_posix() for p in (root / "cases").rglob("*") if p.is_file())
    if not cases:
        raise CorpusError(f"{root / 'cases'}: no case files")
    missing = sorted({label.file for label in labels} - set(cases))
    if missing:
        raise CorpusError(
            f"{root / 'labels.jsonl'}: labels name files that are not in cases/: {', '.join(missing[:5])}"
        )
    if limit is not None:
        cases = cases[:limit]
        labels = [label for label in labels if label.file in set(cases)]
    return Corpus(root=root, info=info, labels=labels, cases=cases)


def corpus_concerns(corpus: Corpus) -> list[Concern]:
    """The concerns the corpus has labels for: evaluating any other concern on it measures nothing."""
    present = {label.concern for label in corpus.labels}
    return [c for c in Concern if c in present] or list(Concern)


def _read_info(path: Path) -> CorpusInfo:
    try:
        return CorpusInfo.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CorpusError(f"{path}: missing (every corpus needs corpus.json)") from None
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    except ValidationError as exc:
        raise CorpusError(f"{path}: {_first(exc)}") from None


def _read_labels(path: Path) -> list[Label]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CorpusError(f"{path}: missing (every corpus needs labels.jsonl)") from None
    labels = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            labels.append(Label.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{number}: not JSON ({exc.msg})") from None
        except ValidationError as exc:
            raise CorpusError(f"{path}:{number}: {_first(exc)}") from None
    return labels


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
