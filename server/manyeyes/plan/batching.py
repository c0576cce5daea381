"""Batching: small neighbouring chunks of one document are reviewed as one.

Each task pays the prompt's fixed part (instructions, framing, the file's imports) once; twenty two-line
functions would pay it twenty times. Neighbours are merged while the merged span stays within the chunk size and
the code between them is short. A large chunk stays alone: it fills a batch by itself.

Batches are the same for every concern, and triage decides per batch (plan/triage.py): the agents of one batch
then send the same code, so a provider bills their shared prompt prefix once (measured: batching per concern
made each concern's spans differ, and a triaged review cost more than an untriaged one).
"""

from __future__ import annotations

from manyeyes.plan.slicing import Chunk

MAX_GAP_LINES = 12  # lines between two chunks that a batch may carry along


def batch(chunks: list[Chunk], max_lines: int) -> list[Chunk]:
    """Chunks in document order -> the spans the tasks review."""
    batches: list[Chunk] = []
    for chunk in chunks:
        last = batches[-1] if batches else None
        if last is not None and _joins(last, chunk, max_lines):
            batches[-1] = _merged(last, chunk)
        else:
            batches.append(chunk)
    return batches


def _joins(last: Chunk, chunk: Chunk, max_lines: int) -> bool:
    return (
        last.document is chunk.document
        and chunk.start - last.end - 1 <= MAX_GAP_LINES
        and max(chunk.end, last.end) - last.start + 1 <= max_lines
    )


def _merged(first: Chunk, second: Chunk) -> Chunk:
    symbols = [s for s in (first.symbol, second.symbol) if s]
    return Chunk(first.document, first.start, max(first.end, second.end), ", ".join(symbols) or None)
