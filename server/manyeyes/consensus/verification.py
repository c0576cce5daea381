"""Verification: a skeptic argues against the model findings no analyzer backs, before anyone reads them.

Anchoring already drops a finding whose quoted code is not in the file. A model can still report a plausible
problem on real code that the code does not have. Findings an analyzer corroborates are backed by evidence, and
findings every one of several voters made are backed by their agreement; the others are sent, one small call per
file and verifier, with only the lines around each finding and how many voters found it, to a verifier asked to
make the case against each (is the input reachable, the value untrusted, is it already guarded) and then judge.
The verifier is `verifier_model` when it is set and did not find the finding itself (then another of the
concern's models that did not; with none left, the finding stays unverified and says why), else the finding's
first finder. The verdict and its reason are kept on the finding (its consensus) and its confidence follows the
rule of consensus/confidence.py: a rejected finding no majority of voters made is dropped and listed with the
reason, a rejected majority finding is kept, less sure. A finding the verifier does not answer for, or a
verifier that fails, stays as it was, unverified (a failed check never hides a finding). Answers are cached by
content, so unchanged code is not sent again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

import anyio

from manyeyes.agents import framing
from manyeyes.agents.parsing import ParseError, json_object
from manyeyes.agents.prompts import load_prompt, prompt_versions
from manyeyes.cache import Cache, content_key
from manyeyes.consensus.confidence import after_verdict
from manyeyes.llm.errors import ModelCallError
from manyeyes.models import Consensus, Finding, Rejection, VerificationReport
from manyeyes.plan.documents import Document
from manyeyes.safety import plain
from manyeyes.safety.redact import redact_message

log = logging.getLogger(__name__)
CONTEXT_LINES = 3  # lines shown above and below each finding
MAX_PER_CALL = 20
VERDICTS = ("confirmed", "rejected", "unsure")
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "verdicts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "verdict": {"type": "string", "enum": list(VERDICTS)},
                    "reason": {"type": "string"},
                },
                "required": ["id", "verdict", "reason"],
            },
        }
    },
    "required": ["verdicts"],
}


Verifier = Callable[[Finding], "str | None"]  # who checks a finding; None: nobody independent is left
NO_INDEPENDENT_VERIFIER = "not verified: every model that could check it found it itself"


def needs_verification(finding: Finding) -> bool:
    """Raised by model agents only (no analyzer's evidence backs it), and not by every one of several voters."""
    consensus = finding.consensus
    return finding.by_model_only and not (consensus is not None and consensus.asked > 1 and consensus.unanimous)


def own_finder(finding: Finding) -> str | None:
    """The default verifier: the model that raised the finding."""
    return finding.sources[0].name


def independent_verifier(chosen: str, candidates: Callable[[Finding], list[str]]) -> Verifier:
    """`chosen` checks every finding it did not make itself; one it made goes to the first of `candidates` (the
    finding's concern's models) that did not make it either."""

    def verifier_of(finding: Finding) -> str | None:
        consensus = finding.consensus
        finders = set(consensus.voters) if consensus else {s.name for s in finding.sources}
        return next((m for m in [chosen, *candidates(finding)] if m not in finders), None)

    return verifier_of


async def verify_findings(
    findings: list[Finding],
    documents: dict[str, Document],
    client,
    concurrency: int,
    timeout_s: float,
    cache: Cache | None = None,
    verifier_of: Verifier = own_finder,
) -> tuple[list[Finding], VerificationReport]:
    """The findings that survive verification, and what it did. One call per file and verifier, concurrently."""
    report = VerificationReport()
    candidates = [f for f in findings if needs_verification(f) and f.path in documents]
    batches, unverifiable = _batches(candidates, verifier_of)
    judged: dict[int, Finding | None] = {id(f): _noted(f, NO_INDEPENDENT_VERIFIER) for f in unverifiable}
    limiter = anyio.CapacityLimiter(concurrency)

    async def check(model: str, document: Document, batch: list[Finding]) -> None:
        async with limiter:
            verdicts = await _verdicts(client, model, document, batch, timeout_s, cache, report)
        for index, finding in enumerate(batch):
            answer = verdicts.get(f"f{index + 1}")
            report.checked += 1
            if answer is not None:  # no verdict (a failed call, a skipped id): the finding stays as it was
                judged[id(finding)] = _judge(finding, *answer, model, report)

    async with anyio.create_task_group() as group:
        for (model, path), batch in batches.items():
            group.start_soon(check, model, documents[path], batch)
    kept = [judged.get(id(f), f) for f in findings]
    return [f for f in kept if f is not None], report


def _batches(candidates: list[Finding], verifier_of: Verifier) -> tuple[dict[tuple[str, str], list[Finding]], list]:
    batches: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    unverifiable = []
    for finding in candidates:
        model = verifier_of(finding)
        if model is None:
            unverifiable.append(finding)
        elif len(batches[(model, finding.path)]) < MAX_PER_CALL:  # the rest stay unverified, as they were
            batches[(model, finding.path)].append(finding)
    return batches, unverifiable


def _judge(finding: Finding, verdict: str, reason: str, model: str, report: VerificationReport) -> Finding | None:
    """The finding as the verdict leaves it (consensus/confidence.py): None when the rejection drops it."""
    consensus = (finding.consensus or Consensus(voters=[own_finder(finding)], stated=finding.confidence)).model_copy(
        update={"verdict": verdict, "verifier": model, "verdict_reason": reason}
    )
    confidence = after_verdict(finding.confidence, consensus)
    if confidence is None:
        report.rejected.append(
            Rejection(path=finding.path, line=finding.span.start_line, title=finding.title, reason=reason)
        )
        return None
    if verdict == "confirmed":
        report.confirmed += 1
    elif verdict == "rejected":
        report.disputed += 1
    return finding.model_copy(update={"consensus": consensus, "confidence": confidence})


def _noted(finding: Finding, note: str) -> Finding:
    return finding.model_copy(update={"notes": [*finding.notes, note]})


async def _verdicts(client, model, document, batch, timeout_s, cache, report) -> dict[str, tuple[str, str]]:
    messages = verify_messages(document, batch)
    endpoint = getattr(getattr(client, "settings", None), "api_base", None)
    versions = prompt_versions("verify_system", "verify")
    key = content_key(model, endpoint, versions, messages) if cache is not None else None
    cached = verdicts_from_json(cache.get(key)) if key else None
    if cached is not None:
        return cached
    try:
        with anyio.fail_after(timeout_s):
            reply = await client.complete(model, messages, schema=VERDICT_SCHEMA)
    except TimeoutError:
        report.errors.append(f"{document.path}: timed out after {timeout_s:g}s")
        return {}
    except ModelCallError as exc:
        report.errors.append(f"{document.path}: {exc.kind}: {exc.message}")
        return {}
    except Exception as exc:  # a bug here must cost the check, never the review
        log.exception("verification of %s crashed", document.path)
        report.errors.append(f"{document.path}: verifier crashed: {type(exc).__name__}: {exc}")
        return {}
    report.prompt_tokens += reply.prompt_tokens
    report.completion_tokens += reply.completion_tokens
    report.cost_usd += reply.cost_usd
    report.cost_known = report.cost_known and reply.cost_known  # one call priced nowhere: the total is unknown
    try:
        verdicts = parse_verdicts(reply.text)
    except ParseError as exc:
        report.errors.append(f"{document.path}: unparseable verdicts: {exc}")
        return {}
    if key is not None and reply.finish_reason != "length":
        cache.put(key, {ident: list(pair) for ident, pair in verdicts.items()})  # JSON: {"f1": [verdict, reason]}
    return verdicts


def verdicts_from_json(value) -> dict[str, tuple[str, str]] | None:
    """Verdicts as a cache kept them; None (a miss) for a value that does not decode."""
    if not isinstance(value, dict):
        return None
    verdicts = {}
    for ident, pair in value.items():
        if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in VERDICTS and isinstance(pair[1], str)):
            return None
        verdicts[ident] = (pair[0], pair[1])
    return verdicts


def verify_messages(document: Document, batch: list[Finding]) -> list[dict]:
    """The verifier's request: the findings with the numbered lines around each, framed as data (a model wrote
    the titles, the repository the code), secrets redacted, invisible characters written out."""
    parts = [_parts(finding, document) for finding in batch]
    mark = framing.boundary(*(text for described, code in parts for text in (described, code)))
    blocks = [_block(f"f{index + 1}", finding, *part, mark) for index, (finding, part) in enumerate(zip(batch, parts))]
    user = load_prompt("verify").render(
        path=framing.quoted_path(document.path),
        language=document.language,
        boundary=mark,
        findings="\n".join(blocks),
    )
    system = load_prompt("verify_system").render()
    user = framing.shown(redact_message(user, [(document.path, document.text)]))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _parts(finding: Finding, document: Document) -> tuple[str, str]:
    """(what the finding says, the numbered lines around it)."""
    span = finding.span
    first = max(1, span.start_line - CONTEXT_LINES)
    last = min(len(document.lines), span.end_line + CONTEXT_LINES)
    code = "\n".join(f"{n:>5} | {document.lines[n - 1]}" for n in range(first, last + 1))
    return f"{finding.title}\n{finding.explanation}".strip(), code


def _block(ident: str, finding: Finding, described: str, code: str, mark: str) -> str:
    concerns = "/".join(c.value for c in finding.concerns)
    span = finding.span
    consensus = finding.consensus
    votes = (
        f", found by {consensus.found_by} of {consensus.asked} reviewers" if consensus and consensus.asked > 1 else ""
    )
    lines = f"lines {span.start_line}-{span.end_line}"
    return (
        f"Finding {ident} ({concerns}, {finding.severity.value}), {lines}{votes}:\n"
        f"{framing.block('reported', described, mark)}\n{framing.block('code', code, mark)}\n"
    )


def parse_verdicts(text: str) -> dict[str, tuple[str, str]]:
    """{"verdicts": [...]} from a reply, tolerating fences and prose; unknown verdicts count as unsure."""
    value = json_object(text)
    items = value.get("verdicts") if isinstance(value, dict) else None
    if not isinstance(items, list):
        raise ParseError("the reply has no 'verdicts' list")
    verdicts = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            verdict = str(item.get("verdict", "")).lower()
            reason = plain.one_line(str(item.get("reason") or ""), 300)  # a model's words, shown in hovers and boards
            verdicts[item["id"]] = (verdict if verdict in VERDICTS else "unsure", reason)
    return verdicts
