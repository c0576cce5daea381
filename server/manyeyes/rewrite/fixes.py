"""Checking the fixes models wrote in a review, before any front end offers one.

A model's fix (`fix.source.kind == "model"`) is a rewrite of the lines it covers, and it is checked like a
refactor (rewrite/gate.py): spliced into a scratch copy of the file, it must parse and, for Python, lint no worse. A fix
that fails gets one repair call to the model that wrote it, with the reason (prompts/repair_fix.md), and the
repaired fix is checked again. A fix that still fails is withdrawn: its finding stays, without a fix, with the note
"fix withdrawn: <reason>". A fix in a language with no parser here is offered marked "not checked", with why. A
tool's fix (ruff's) is its tool's and is left as it is.

With `verify_fixes_with_tests` set by the user, in a trusted workspace only (running a repository's tests runs its
code), a Python fix that passed is also run against its module's related test file (plan/context.py TestIndex) on
a scratch copy, with a timeout (gate.py `run_tests`): first without the fix, once per file, then with it. A fix
with which tests that passed fail, or time out, is withdrawn; tests that fail without the fix check nothing, and
the fix's note says so.

Runs after verification (engine/checks.py), so no check or repair is spent on a finding the verifier drops, and after
consolidation, so a fix merged from several agents is checked once. Checks run in worker threads, in parallel with
the run's concurrency bound; their verdicts are memoised by content in-process (rewrite/gate.py), so the fixes of a
cached answer, which come back unchecked, cost nothing to check again. Repair answers are cached by content like
the agents' answers; their tokens and cost are the FixCheckReport's, which the result's totals count. No repair
call is made once the run is cancelled or its token budget is spent: the fix is withdrawn, and the note says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import anyio.to_thread

from manyeyes.agents import framing
from manyeyes.agents.base import AgentReport, Proposal
from manyeyes.agents.prompts import load_prompt, prompt_versions
from manyeyes.agents.refactor import ask_for_code
from manyeyes.cache import Cache, content_key
from manyeyes.config import Settings
from manyeyes.models import Finding, Fix, FixCheckReport, ReviewRequest, Span
from manyeyes.plan.context import TestIndex
from manyeyes.plan.documents import Document
from manyeyes.rewrite.gate import TestRun, run_tests, splice, verify_rewrite
from manyeyes.safety.redact import redact_message

log = logging.getLogger(__name__)
CONTEXT_LINES = 3  # lines shown above and below the fixed ones in a repair request


def needs_check(finding: Finding) -> bool:
    """A fix a model wrote that nothing has checked yet."""
    return finding.fix is not None and finding.fix.by_model and finding.fix.checked is None


@dataclass
class FixChecker:
    settings: Settings
    client: Callable[[], object]  # the run's model client, made on the first repair call
    cache: Cache | None = None  # of repair answers
    tests: TestIndex | None = None  # the workspace's test files, for verify_fixes_with_tests
    request: ReviewRequest | None = None  # its workspace, and whether it is trusted (None: no tests run)
    _spent: int = field(default=0, init=False)  # tokens the run spent before the checks began
    _repairs: bool = field(default=True, init=False)  # False: no repair call (the run was cancelled)
    _baselines: dict[str, TestRun] = field(default_factory=dict, init=False)  # module -> its tests, without a fix
    _locks: dict[str, anyio.Lock] = field(default_factory=dict, init=False)

    @property
    def runs_tests(self) -> bool:
        """Only when the user asked, in a trusted workspace whose test files are known."""
        trusted = self.request is not None and self.request.trusted
        return self.settings.verify_fixes_with_tests and trusted and self.tests is not None

    async def check(
        self,
        findings: list[Finding],
        documents: dict[str, Document],
        repairs: bool = True,
        spent_tokens: int = 0,
    ) -> tuple[list[Finding], FixCheckReport]:
        """The findings with every model fix checked (marked, repaired, or withdrawn with a note), and what it did.
        `repairs` False (a cancelled run) makes no model call; `spent_tokens`: what the run spent before."""
        report = FixCheckReport()
        self._spent = spent_tokens
        self._repairs = repairs
        limiter = anyio.CapacityLimiter(self.settings.concurrency)
        checked: dict[int, Finding] = {}

        async def one(finding: Finding) -> None:
            async with limiter:
                checked[id(finding)] = await self._checked(finding, documents[finding.path], report)

        async with anyio.create_task_group() as group:
            for finding in findings:
                if needs_check(finding) and finding.path in documents:
                    group.start_soon(one, finding)
        return [checked.get(id(f), f) for f in findings], report

    async def _checked(self, finding: Finding, document: Document, report: FixCheckReport) -> Finding:
        report.checked += 1
        try:
            return await self._check_one(finding, document, report)
        except Exception as exc:  # a bug here must cost the fix, never the review, and never offer it unchecked
            log.exception("checking the fix of %s:%s crashed", finding.path, finding.span.start_line)
            return _withdrawn(finding, f"its check crashed ({type(exc).__name__}: {exc})", report)

    async def _check_one(self, finding: Finding, document: Document, report: FixCheckReport) -> Finding:
        fix = finding.fix
        rewrite = whole_lines(document, fix)
        if rewrite is None:
            return _withdrawn(finding, "its lines are not in the file", report)
        start, end, code = rewrite
        verdict = await anyio.to_thread.run_sync(verify_rewrite, document, start, end, code)
        repaired = False
        if not verdict.ok:
            proposal, failure = await self._repair(finding, document, start, end, code, verdict.problem, report)
            if proposal is None:
                return _withdrawn(finding, f"{verdict.problem} ({failure})", report)
            code, repaired = proposal.code, True
            verdict = await anyio.to_thread.run_sync(verify_rewrite, document, start, end, code)
            if not verdict.ok:
                return _withdrawn(finding, f"{verdict.problem}, after one repair", report)
        if verdict.unchecked:
            report.unchecked += 1
            return _with_fix(finding, fix, checked=False, check_note=verdict.unchecked)
        note = verdict.note + (", after one repair" if repaired else "")
        if self.runs_tests and document.language == "python":
            failed, tested = await self._test(document, start, end, code, report)
            if failed:
                return _withdrawn(finding, failed, report)
            note += tested
        report.passed += 1
        report.repaired += int(repaired)
        update = {"checked": True, "check_note": note}
        if repaired:
            update |= {"span": Span(start_line=start, end_line=end), "replacement": code}
        return _with_fix(finding, fix, **update)

    async def _repair(
        self, finding: Finding, document: Document, start: int, end: int, code: str, problem: str, report
    ) -> tuple[Proposal | None, str]:
        """One repair call to the model that wrote the fix (cached by content); (the repaired code, or None and
        why not)."""
        if not self._repairs:
            return None, "not repaired: the review was cancelled"
        budget = self.settings.run_token_budget
        if budget and self._spent + report.tokens >= budget:
            return None, f"not repaired: run token budget ({budget:,}) spent"
        model = finding.fix.source.name
        client = self.client()
        messages = repair_messages(document, finding, start, end, code, problem)
        endpoint = getattr(getattr(client, "settings", None), "api_base", None)
        key = None
        if self.cache is not None:
            key = content_key("repair", model, endpoint, prompt_versions("refactor_system", "repair_fix"), messages)
            cached = self.cache.get(key)
            if isinstance(cached, dict) and isinstance(cached.get("code"), str):
                return Proposal(cached["code"], str(cached.get("summary") or "")), ""
        spent = AgentReport()
        try:
            with anyio.fail_after(self.settings.task_timeout_s):
                proposal = await ask_for_code(client, model, messages, spent)
        except TimeoutError:
            spent.error, proposal = f"timed out after {self.settings.task_timeout_s:g}s", None
        report.prompt_tokens += spent.prompt_tokens
        report.completion_tokens += spent.completion_tokens
        report.cost_usd += spent.cost_usd
        report.cost_known = report.cost_known and spent.cost_known
        if proposal is None:
            report.errors.append(f"{finding.path}:{start}: {spent.error}")
            return None, f"the repair failed: {spent.error}"
        if key is not None:
            self.cache.put(key, {"code": proposal.code, "summary": proposal.summary})
        return proposal, ""

    async def _test(self, document: Document, start: int, end: int, code: str, report) -> tuple[str | None, str]:
        """(why the fix is withdrawn, or None; what its note gains) from the module's related tests."""
        test_file = self.tests.related(document.path)
        if test_file is None:
            return None, ""
        async with self._locks.setdefault(document.path, anyio.Lock()):  # one run without the fix per module
            if document.path not in self._baselines:
                self._baselines[document.path] = await self._run(document, document.text, test_file)
        baseline = self._baselines[document.path]
        if not baseline.passed:
            why = baseline.detail if not baseline.ran else f"{baseline.detail} without the fix too"
            return None, f"; tests not run with it: {why}"
        run = await self._run(document, splice(document.text, start, end, code), test_file)
        if not run.passed:
            return f"{run.detail} with it", ""
        report.tested += 1
        return None, f", {run.detail}"

    async def _run(self, document: Document, text: str, test_file: str) -> TestRun:
        settings = self.settings
        return await anyio.to_thread.run_sync(
            lambda: run_tests(
                self.request.workspace, {document.path: text}, test_file, settings.exclude, settings.api_key_env
            )
        )


def whole_lines(document: Document, fix: Fix) -> tuple[int, int, str] | None:
    """A fix as a rewrite of whole lines: (start, end, the new text of lines start..end); None when its span is not
    in the file. A model's fix covers whole lines already; any other span keeps the text around it."""
    span, lines = fix.span, document.lines
    if not 1 <= span.start_line <= span.end_line <= len(lines):
        return None
    head = lines[span.start_line - 1][: span.start_col - 1]
    tail = lines[span.end_line - 1][span.end_col - 1 :] if span.end_col else ""
    return span.start_line, span.end_line, head + fix.replacement + tail


def repair_messages(document: Document, finding: Finding, start: int, end: int, code: str, problem: str) -> list:
    """The repair request: the finding, the numbered lines around the fixed ones and the rejected replacement, each
    framed as data (a model wrote two of them, the repository the third), secrets redacted."""
    first, last = max(1, start - CONTEXT_LINES), min(len(document.lines), end + CONTEXT_LINES)
    numbered = "\n".join(f"{n:>5} | {document.lines[n - 1]}" for n in range(first, last + 1))
    described = f"{finding.title}\n{finding.explanation}".strip()
    mark = framing.boundary(numbered, described, code)
    user = load_prompt("repair_fix").render(
        path=framing.quoted_path(document.path),
        language=document.language,
        boundary=mark,
        start=str(start),
        end=str(end),
        problem=problem,
        finding=framing.block("finding", described, mark),
        code=framing.block(f"code, lines {first}-{last}", numbered, mark),
        replacement=framing.block(f"replacement for lines {start}-{end}", code, mark),
    )
    system = load_prompt("refactor_system").render()
    user = framing.shown(redact_message(user, [(document.path, document.text)]))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _with_fix(finding: Finding, fix: Fix, **update) -> Finding:
    checked = Fix.model_validate({**dict(fix), **update})  # validated again: the note is shown as one line
    return finding.model_copy(update={"fix": checked})


def _withdrawn(finding: Finding, reason: str, report: FixCheckReport) -> Finding:
    report.withdrawn += 1
    return finding.model_copy(update={"fix": None, "notes": [*finding.notes, f"fix withdrawn: {reason}"]})
