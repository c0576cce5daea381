"""Security in Python, JavaScript, TypeScript, Go, PHP, Java, Kotlin, C#, Ruby and templates: semgrep's OSS engine with
manyeyes' own rule packs (rules/).

Taint rules follow request data to a dangerous call within a function (Flask, Django, FastAPI, Express,
net/http, gin, PHP's superglobals, servlets and Spring, ASP.NET, Rails); configuration rules find protections
turned off. semgrep runs once per review over every file it reads, with no network: the packs written to one
local rules file, metrics and the version check off, its settings and log in a temporary folder rather than the
user's home.
Where semgrep is not installed (no wheel for the platform), the review says so once and the other analyzers'
findings stand; where it fails, its one note says why and the others' findings stand too.

Each rule pack also has a `*-request-data` rule that is not a finding: where a function reads request data. It
names the source in a flow's message and lets synthesis judge other analyzers' sink-only hits (taint.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import yaml

from manyeyes.agents.analyzers import helper_flows
from manyeyes.agents.analyzers.base import AnalyzerRun, Scratch, byte_col_to_char, make_finding
from manyeyes.agents.analyzers.semgrep_targets import may_match, write_targets
from manyeyes.agents.analyzers.taint import (
    Flow,
    FlowIndex,
    Refuter,
    first_source,
    flow_note,
    helper_flow_note,
    judge,
)
from manyeyes.models import Concern, Severity, Span
from manyeyes.plan.documents import Document
from manyeyes.plan.languages import TEMPLATE_LANGUAGES

RULES = Path(__file__).with_name("rules")
# Templates are read as text (rules/templates.yaml: output that skips escaping, scripts writing data as HTML).
LANGUAGES = frozenset(
    {"python", "javascript", "typescript", "go", "php", "java", "kotlin", "ruby", "csharp"} | TEMPLATE_LANGUAGES
)
TIMEOUT_S = 240  # the whole run; one rule on one file gets PER_RULE_TIMEOUT_S
PER_RULE_TIMEOUT_S = 20
ONE_JOB_BELOW_CHARS = 150_000
MAX_TARGET_BYTES = 2_000_000  # the reader already skips minified and generated files; this is semgrep's own guard
_SEVERITY = {"ERROR": Severity.high, "WARNING": Severity.medium, "INFO": Severity.low}
TAINT_CONFIDENCE = 0.85  # a flow from request data to the sink, within one function
CONFIG_CONFIDENCE = 0.75  # a setting that turns a protection off: real, but production may override it
NOT_INSTALLED = "semgrep is not installed here: its taint and configuration rules did not run"


class Semgrep:
    name = "semgrep"
    concerns = (Concern.security,)
    languages = LANGUAGES

    def run(self, scratch: Scratch) -> AnalyzerRun:
        files = [d for d in scratch.documents.values() if d.language in LANGUAGES and may_match(d)]
        if not files:
            return AnalyzerRun()
        executable = find_semgrep()
        if executable is None:
            return AnalyzerRun(problems=[NOT_INSTALLED])
        # A small review gets one engine process: a second one's start-up costs more time and memory than it saves.
        jobs = 1 if sum(len(d.text) for d in files) < ONE_JOB_BELOW_CHARS else None
        helpers = helper_flows.called_helpers(files)
        report = _scan(executable, scratch, files, jobs, helpers)
        if isinstance(report, str):
            return AnalyzerRun(failed=report)
        return _collect(scratch, report)


def find_semgrep() -> str | None:
    """The semgrep installed beside manyeyes (the pinned one), else one on PATH."""
    beside = Path(sys.executable).with_name("semgrep.exe" if os.name == "nt" else "semgrep")
    return str(beside) if beside.is_file() else shutil.which("semgrep")


def command(executable: str, paths: list[str], rules: Path, jobs: int | None = None, trusted: bool = True) -> list[str]:
    """The one semgrep command line: the rules file `rules_file` wrote, JSON, nothing fetched or sent; `jobs`
    engine processes (default: the cores, up to 4). `--experimental` runs semgrep's native command line
    (osemgrep) instead of its Python one: the same engine and results (checked on the fixtures and the
    benchmark corpus), started in 0.3 s instead of 3 s and in a third of the memory. An untrusted repository's
    `# nosemgrep` comments are not honoured: it must not silence its reviewer."""
    return [
        executable,
        "scan",
        "--experimental",
        *("--config", str(rules)),
        *("--json", "--quiet", "--metrics=off", "--disable-version-check", "--no-git-ignore"),
        *("--timeout", str(PER_RULE_TIMEOUT_S), "--max-target-bytes", str(MAX_TARGET_BYTES)),
        *("--jobs", str(jobs or max(1, min(os.cpu_count() or 1, 4)))),
        *(() if trusted else ("--disable-nosem",)),
        "--",
        *paths,
    ]


def _scan(
    executable: str, scratch: Scratch, files: list[Document], jobs: int | None, helpers: dict[str, set[str]]
) -> dict | str:
    """semgrep's JSON report over the files as it is given them (semgrep_targets.py), with the rules for flows
    through these helpers (helper_flows.py), or why there is none."""
    try:
        with tempfile.TemporaryDirectory(prefix="manyeyes-semgrep-") as state:
            targets = Path(state) / "targets"
            write_targets(files, targets, helpers)
            names = set().union(*helpers.values())
            rules = rules_file(Path(state), helper_flows.rules(_python_taint_rules(), names))
            argv = command(executable, [d.path for d in files], rules, jobs, scratch.trusted)
            process = scratch.processes.start(argv, targets, environment(Path(state)))
            stdout, stderr = scratch.processes.finish(process, TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"semgrep did not finish within {TIMEOUT_S}s"
    except OSError as exc:
        return f"semgrep could not start: {exc}"
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        return f"semgrep did not run (exit {process.returncode}): {stderr.strip()[-300:] or 'no output'}"
    fatal = [e for e in report.get("errors", []) if e.get("level") == "error" and not e.get("path")]
    if fatal:
        return f"semgrep's rules did not load: {fatal[0].get('message', 'unknown error').strip()[:300]}"
    return report


def rules_file(folder: Path, extra: list[dict] = ()) -> Path:
    """Every rule pack as one JSON rules file in `folder`, with `extra` rules made for this review: the packs
    share their sources through YAML anchors, which the native command line does not resolve."""
    target = folder / "manyeyes-rules.json"
    target.write_text(json.dumps({"rules": [*_rules(), *extra]}) if extra else _rules_json(), encoding="utf-8")
    return target


@cache
def _rules() -> tuple[dict, ...]:
    return tuple(rule for pack in sorted(RULES.glob("*.yaml")) for rule in yaml.safe_load(pack.read_text())["rules"])


@cache
def _rules_json() -> str:
    return json.dumps({"rules": list(_rules())})


def _python_taint_rules() -> list[dict]:
    return [r for r in _rules() if r.get("mode") == "taint" and r["languages"] == ["python"]]


def environment(state: Path) -> dict[str, str]:
    """The user's environment without semgrep's account settings, its settings and log in `state` rather than
    the user's home. Without the version check off, an offline machine waits about 100 s for the network at
    every run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMGREP_")}
    env.update(
        SEMGREP_SEND_METRICS="off",
        SEMGREP_ENABLE_VERSION_CHECK="0",
        SEMGREP_SETTINGS_FILE=str(state / "settings.yml"),
        SEMGREP_LOG_FILE=str(state / "semgrep.log"),
        SEMGREP_VERSION_CACHE_PATH=str(state / "version"),
    )
    return env


def _collect(scratch: Scratch, report: dict) -> AnalyzerRun:
    flows = FlowIndex()
    results, halves = [], []
    for result in report.get("results", []):
        rel = scratch.rel(result.get("path", ""))
        if rel is None:
            continue
        metadata = result.get("extra", {}).get("metadata", {})
        if metadata.get("source"):
            flows.add_source(rel, result["start"]["line"], result["end"]["line"])
        elif result["check_id"].endswith((helper_flows.VIA_HELPER, helper_flows.TO_HELPER)):
            halves.append((rel, result))
        else:
            results.append((rel, result))
    run = AnalyzerRun(flows=flows)
    refuter = Refuter()
    for rel, result in results:
        document = scratch.documents[rel]
        finding = _finding(document, result, flows)
        kind = result["extra"].get("metadata", {}).get("kind")
        if not kind:
            run.findings.append(finding)
            continue
        flow = Flow(path=rel, kind=kind, rule=finding.rules[0], span=finding.span)
        reason = refuter.refute(document, result["start"], result["end"])
        if reason:
            flows.add_refuted(flow, reason)  # not a finding: it judges the sink-only hits on that call instead
        else:
            flows.add_flow(flow)
            run.findings.append(finding)
    _add_helper_flows(run, halves, scratch.documents)
    judge(run.findings, flows, scratch.documents)  # the sink-only rules' hits (java-sql-from-parameter)
    for error in report.get("errors", []):
        rel = scratch.rel(error.get("path", "") or "")
        document = scratch.documents.get(rel) if rel else None
        if document is not None and not (_syntax_error(error) and document.language == "python"):
            run.problems.append(f"{rel}: semgrep could not check all of it ({_error_text(error)})")
    return run


def _add_helper_flows(run: AnalyzerRun, halves: list[tuple[str, dict]], documents: dict[str, Document]) -> None:
    """The flows through a helper of the same file (helper_flows.py), where no flow within one function already
    names that sink; and what judges the sink-only hits in helpers handed request data."""
    joined = helper_flows.join(halves, documents)
    for (rel, helper), call_line in joined.handed.items():
        lines = helper_flows.definition_lines(documents[rel], helper)
        if lines is not None:
            run.flows.add_helper(rel, helper, *lines, call_line)
    for rel, kind, start, end in joined.reached:
        run.flows.add_parameter_flow(Flow(path=rel, kind=kind, rule="", span=_span(documents[rel], start, end)))
    for rel, result, helper, call_line in joined.sinks:
        document = documents[rel]
        finding = _finding(document, result, run.flows)
        kind = result["extra"].get("metadata", {}).get("kind")
        if run.flows.flow_to(rel, kind, finding.span) is not None:
            continue
        run.flows.add_flow(Flow(path=rel, kind=kind, rule=finding.rules[0], span=finding.span))
        finding.notes.append(helper_flow_note(first_source(run.flows, document, call_line) or call_line, helper))
        run.findings.append(finding)


def _syntax_error(error: dict) -> bool:
    """Python that does not parse is already said by bandit and ruff: semgrep's word on it would be the third.
    In other languages semgrep is the one analyzer that parses the code, and it skips what does not parse."""
    kind = error.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    return isinstance(kind, str) and ("Syntax" in kind or "Parsing" in kind or "Lexical" in kind)


def _error_text(error: dict) -> str:
    """semgrep's message, with a syntax error's location as "line N" (its message repeats the path)."""
    message = _first_line(error.get("message"))
    spans = error.get("spans") or []
    if _syntax_error(error) and spans and isinstance(spans[0], dict):
        line = (spans[0].get("start") or {}).get("line")
        return f"a syntax error at line {line}: what does not parse was not checked" if line else message
    return message


def _finding(document: Document, result: dict, flows: FlowIndex):
    extra = result.get("extra", {})
    metadata = extra.get("metadata", {})
    rule = result["check_id"].rsplit(".", 1)[-1]  # semgrep prefixes a rule with its file's dotted path
    span = _span(document, result["start"], result["end"])
    source_line = first_source(flows, document, span.start_line) if metadata.get("kind") else None
    finding = make_finding(
        document,
        source="semgrep",
        concern=Concern.security,
        severity=_SEVERITY.get(extra.get("severity", ""), Severity.medium),
        confidence=_confidence(metadata),
        title=metadata.get("title") or rule,
        explanation=" ".join(extra.get("message", "").split()),
        span=span,
        rule=rule,
        cwe=metadata.get("cwe"),
    )
    if source_line:
        finding.notes.append(flow_note(source_line))
    return finding


def _confidence(metadata: dict) -> float:
    """A rule's own (a string in its metadata: semgrep's rule parser takes no numbers there), else by its kind."""
    try:
        return float(metadata["confidence"])
    except (KeyError, TypeError, ValueError):
        return TAINT_CONFIDENCE if metadata.get("kind") else CONFIG_CONFIDENCE


def _span(document: Document, start: dict, end: dict) -> Span:
    """semgrep's 1-based byte columns as code point columns."""

    def column(position: dict) -> int:
        number = position["line"]
        text = document.lines[number - 1] if number <= len(document.lines) else ""
        return byte_col_to_char(text, max(0, position.get("col", 1) - 1))

    return Span(start_line=start["line"], start_col=column(start), end_line=end["line"], end_col=column(end))


def _first_line(message: str | None) -> str:
    return (message or "unknown error").strip().splitlines()[0][:200] if (message or "").strip() else "unknown error"
