"""`manyeyes concerns` and `manyeyes prompts`: what the panel reviews for, and which file each prompt comes from.

`concerns` lists the registry as a review in this workspace sees it (concerns.py): the built-in four and the
project's own, whether each runs, where it is defined, the analyzers that ground it, and why one cannot run.
`prompts` lists every prompt with its version and its file: shipped, or the user's override (agents/prompts.py).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from manyeyes.agents.prompts import load_prompt, overrides_dir, prompt_names
from manyeyes.cli.exits import EXIT_OK
from manyeyes.concerns import load_registry
from manyeyes.config import load_settings
from manyeyes.plan.gitdiff import working_tree_root


def run_concerns(args: argparse.Namespace, out) -> int:
    from manyeyes.agents.analyzers.panel import default_analyzers

    workspace = (args.workspace or working_tree_root(Path.cwd()) or Path.cwd()).resolve()
    loaded = load_settings(workspace, trusted=not args.untrusted)
    registry = load_registry(loaded.settings, workspace, trusted=not args.untrusted)
    running = {spec.name for spec in registry.enabled(loaded.settings)}
    analyzers = default_analyzers()
    listed = [
        {
            "name": spec.name.value,
            "enabled": spec.name in running,
            "source": spec.source,
            "description": spec.description,
            "analyzers": [a.name for a in analyzers if spec.name in a.concerns],
            "brief": "prompt " + spec.version if spec.built_in else f"{spec.version} (the project's prompt file)",
            "refactor_goal": spec.refactor_goal,
            "paths": list(spec.paths),
            "max_severity": spec.severity.value if spec.severity else None,
        }
        for spec in registry.specs.values()
    ]
    notes = [*loaded.warnings, *registry.notes]
    if args.format == "json":
        out.write(json.dumps({"concerns": listed, "notes": notes}, indent=2) + "\n")
        return EXIT_OK
    for item in listed:
        state = "on " if item["enabled"] else "off"
        grounded = ", ".join(item["analyzers"]) or "no analyzer: needs a model"
        scope = f"; only {', '.join(item['paths'])}" if item["paths"] else ""
        out.write(f"{state} {item['name']:<14} {item['description']}\n")
        out.write(f"    {item['source']}; {item['brief']}; grounded by {grounded}{scope}\n")
    out.writelines(f"note: {note}\n" for note in notes)
    return EXIT_OK


def run_prompts(args: argparse.Namespace, out) -> int:
    rows = []
    for name in prompt_names():
        prompt = load_prompt(name)
        origin = str(prompt.override) if prompt.override else "shipped"
        rows.append(
            {"name": name, "version": prompt.version, "tag": prompt.tag, "file": origin, "problem": prompt.problem}
        )
    if args.format == "json":
        out.write(json.dumps({"overrides": str(overrides_dir()), "prompts": rows}, indent=2) + "\n")
        return EXIT_OK
    for row in rows:
        problem = f"  ({row['problem']})" if row["problem"] else ""
        out.write(f"{row['name']:<18} v{row['version']:<3} {row['file']}{problem}\n")
    out.write(f"Override one with a file of the same name in {overrides_dir()} (same header, same placeholders).\n")
    return EXIT_OK
