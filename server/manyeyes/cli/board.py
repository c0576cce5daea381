"""The live agent board on a terminal: one line per agent task (state, findings, tokens, cost), redrawn in place.

Drawn on stderr, so the report on stdout stays clean; used only when stderr is a terminal. Large runs show the
running and failed tasks and a count of the rest, so the board always fits the screen.
"""

from __future__ import annotations

import shutil
import time
from typing import TextIO

from manyeyes.models import AgentOutcome
from manyeyes.progress import Board
from manyeyes.report.summary import cost_text, tokens_text

REDRAW_INTERVAL_S = 0.1
_SYMBOLS = {"queued": "·", "running": "▸", "done": "✓", "failed": "✗", "cancelled": "-", "skipped": "-"}


class TerminalBoard:
    def __init__(self, stream: TextIO, max_rows: int | None = None):
        self.stream = stream
        self.board = Board()
        self.max_rows = max_rows or max(shutil.get_terminal_size((100, 24)).lines - 4, 5)
        self._drawn = 0
        self._last_draw = 0.0

    def update(self, outcome: AgentOutcome) -> None:
        self.board.update(outcome)
        if time.monotonic() - self._last_draw >= REDRAW_INTERVAL_S:
            self._draw()

    def phase(self, text: str) -> None:
        self.board.phase = text
        self._draw()

    def close(self) -> None:
        self._draw()
        self.stream.write("\n" if self._drawn else "")
        self.stream.flush()

    def _draw(self) -> None:
        lines = self.render()
        up = f"\033[{self._drawn}F" if self._drawn else ""
        self.stream.write(up + "".join(f"\033[2K{line}\n" for line in lines))
        self.stream.flush()
        self._drawn = len(lines)
        self._last_draw = time.monotonic()

    def render(self) -> list[str]:
        agents = list(self.board.agents.values())
        shown = agents if len(agents) <= self.max_rows else [a for a in agents if a.state in ("running", "failed")]
        shown = shown[: self.max_rows]
        lines = [_row(a) for a in shown]
        if len(shown) < len(agents):
            counts = ", ".join(f"{n} {s}" for s, n in sorted(self.board.states.items()))
            lines.append(f"  … {len(agents) - len(shown)} more ({counts})")
        known = all(a.cost_known for a in agents)  # the board's cost_usd adds up only the known costs
        cached = sum(a.cached_prompt_tokens for a in agents)
        lines.append(
            f"  {self.board.percent:3d}% | {self.board.findings} findings | {tokens_text(self.board.tokens, cached)} | "
            f"{cost_text(self.board.cost_usd if known else None, self.board.cost_usd)}"
            + (f" | {self.board.phase}" if self.board.phase else "")
        )
        return lines


def _row(outcome: AgentOutcome) -> str:
    detail = outcome.error if outcome.state in ("failed", "skipped") and outcome.error else ""  # why, for both
    tokens = outcome.prompt_tokens + outcome.completion_tokens
    cost = f"${outcome.cost_usd:.4f}" if outcome.cost_known else "unknown"  # never $0 for a cost not known
    return (
        f"  {_SYMBOLS.get(outcome.state, '?')} {outcome.concern.value:<11} {outcome.target[:40]:<40} "
        f"{outcome.state:<9} {outcome.findings:>3} findings {tokens:>7,} tok {cost:>7} {detail[:60]}"
    )
