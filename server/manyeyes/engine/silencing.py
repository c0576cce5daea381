"""What keeps a finding from being reported, and what may not: an analyzer hit a model dismissed, what a project
instruction's `ignore` list names, `# manyeyes: ignore[rule]` comments, and the team's dismissals
(.manyeyes/suppressions.jsonl). A repository that is not trusted, or a change under review, cannot silence its own
reviewer: its comments and dismissals only mark the findings they name.
"""

from __future__ import annotations

from manyeyes.config import Settings
from manyeyes.models import Concern, Dismissal, Finding, ReviewKind, ReviewRequest, Severity
from manyeyes.plan.documents import Document
from manyeyes.plan.instructions import Instructions
from manyeyes.synthesis.suppressions import (
    IN_CHANGE_COMMENT_NOTE,
    SUPPRESSIONS_FILE,
    UNTRUSTED_COMMENT_NOTE,
    Suppressions,
    added_by_change,
    in_change_note,
    inline_ignores,
    mark_untrusted_dismissals,
)

DISMISSED_CONFIDENCE_FACTOR = 0.8


class Silencing:
    """One review's silencing: what it dropped (`dismissed`, with who and why) and how many dismissals the change
    under review adds itself (`by_change`, not honoured)."""

    def __init__(self, request: ReviewRequest, settings: Settings) -> None:
        self.request, self.settings = request, settings
        self.dismissed: list[Dismissal] = []
        self.by_change = 0

    def model_dismissal(self, hit: Finding, reason: str, model: str) -> list[Finding]:
        """A hit a model dismissed is recorded with its reason; a security hit stays, demoted, unless the user lets
        models drop security findings: a model steered by the code must not be able to erase its evidence."""
        keep = Concern.security in hit.concerns and not self.settings.model_may_drop_security
        self.dismissed.append(Dismissal.of(hit, reason, model, kept=keep))
        return (
            [demoted(hit, f"dismissed by model:{model} ({reason}); kept, demoted, as a security hit")] if keep else []
        )

    def instructions_ignore(self, findings: list[Finding], instructions: Instructions) -> list[Finding]:
        """The spec check of the reduce step: what a project instruction's `ignore` list says the team never wants
        reported is dropped, recorded with the instruction that dropped it."""
        kept = []
        for finding in findings:
            ignoring = instructions.ignoring(finding)
            if ignoring is None:
                kept.append(finding)
                continue
            instruction, entry = ignoring
            reason = entry.reason or f"{instruction.source} says not to report {entry.rule}"
            self.dismissed.append(Dismissal.of(finding, reason, f"instruction {instruction.source}"))
        return kept

    def inline_comments(
        self, findings: list[Finding], documents: dict[str, Document], notes: list[str]
    ) -> tuple[list[Finding], int]:
        """`# manyeyes: ignore[rule]` comments: what they silence is not a finding (so every front end agrees); in
        an untrusted workspace, or written by the change under review, they only mark it. Comments that silence
        nothing become notes. Returns the findings kept and how many were silenced."""
        texts = {path: d.text for path, d in documents.items()}
        changed = (lambda path, line: documents[path].in_focus(line, line)) if self.reviews_a_change else None
        inline = inline_ignores(findings, texts, changed)
        notes.extend(inline.notes)
        if not self.request.trusted:
            mark_untrusted_dismissals(findings, inline.fingerprints, UNTRUSTED_COMMENT_NOTE)
            return findings, 0
        mark_untrusted_dismissals(findings, inline.in_change, IN_CHANGE_COMMENT_NOTE)
        self.by_change += len(inline.in_change)
        silenced = inline.fingerprints - inline.in_change
        return [f for f in findings if f.fingerprint not in silenced], len(silenced)

    def team_dismissals(self, findings: list[Finding], suppressions: Suppressions, notes: list[str]) -> set[str]:
        """The fingerprints the workspace's dismissals hide; in an untrusted workspace they only mark the findings
        they name, and those the change under review adds mark them too."""
        notes.extend(suppressions.notes)
        if not self.request.trusted:
            mark_untrusted_dismissals(findings, suppressions.fingerprints)
            return set()
        if not self.reviews_a_change:
            return suppressions.fingerprints
        request = self.request
        added = added_by_change(request.workspace, suppressions, request.diff_base, request.staged)
        for record in added:
            mark_untrusted_dismissals(findings, {record.fingerprint}, in_change_note(record))
        if added:
            self.by_change += len(added)
            listed = "; ".join(
                f"{r.rule or r.fingerprint} in {r.path or '?'}: {r.reason or 'no reason'}" for r in added
            )
            notes.append(f"this change dismisses {len(added)} finding(s) in {SUPPRESSIONS_FILE.as_posix()} ({listed})")
        return suppressions.fingerprints - {r.fingerprint for r in added}

    @property
    def reviews_a_change(self) -> bool:
        """A review of a change that will be merged (against a ref, or staged for a commit): its own dismissals do
        not count. Unstaged work in the editor is the user's own, dismissed as they go."""
        request = self.request
        return request.kind is ReviewKind.diff and (request.diff_base is not None or request.staged)


def demoted(hit: Finding, note: str) -> Finding:
    """A finding one severity lower and less sure, with the reason."""
    copy = hit.model_copy(deep=True)
    copy.severity = next(s for s in Severity if s.rank == max(hit.severity.rank - 1, 0))
    copy.confidence = round(copy.confidence * DISMISSED_CONFIDENCE_FACTOR, 3)
    copy.notes.append(note)
    return copy
