"""`manyeyes`: parse the command line and hand it to its command: `review` (cli/review.py), `eval`
(cli/evaluate.py), `dismiss` and `suppressions` (cli/suppressions.py), `concerns` and `prompts` (cli/concerns.py),
`bench` and `lsp`. Only light modules are imported here, so `manyeyes lsp` starts without the engine (start-up time
is measured); each command's module is imported when it runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from manyeyes.cli.exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from manyeyes.cli.parser import build_parser
from manyeyes.errors import ConfigError, ManyeyesError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "lsp":
        return _lsp(args)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        stream=sys.stderr,
        format="manyeyes: %(levelname)s: %(message)s",
    )
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # nothing a library prints may end up in the report
    try:
        if args.command == "eval":
            from manyeyes.cli.evaluate import run_eval

            return run_eval(args, real_stdout)
        if args.command == "bench":
            return _bench(args, real_stdout)
        if args.command in ("concerns", "prompts"):
            from manyeyes.cli import concerns as cli_concerns

            run = cli_concerns.run_concerns if args.command == "concerns" else cli_concerns.run_prompts
            return run(args, real_stdout)
        if args.command in ("dismiss", "suppressions"):
            from manyeyes.cli import suppressions as cli_suppressions

            run = cli_suppressions.run_dismiss if args.command == "dismiss" else cli_suppressions.run_suppressions
            return run(args, real_stdout)
        from manyeyes.cli.review import run_review

        return run_review(args, real_stdout)
    except ManyeyesError as exc:
        print(f"manyeyes: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("manyeyes: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sys.stdout = real_stdout


def _bench(args: argparse.Namespace, out) -> int:
    from manyeyes.benchmarks.suite import NAMES, run_suite, suite_report

    only = [n.strip() for n in args.only.split(",")] if args.only else None
    unknown = [n for n in only or [] if n not in NAMES]
    if unknown:
        raise ConfigError(f"unknown figure '{unknown[0]}' (choose from {', '.join(NAMES)})")

    progress = sys.stderr if args.format == "json" else out

    def write(text: str) -> None:
        progress.write(text)
        progress.flush()

    figures = run_suite(args.quick, only, write)
    if args.format == "json":
        out.write(json.dumps(suite_report(args.quick, figures), indent=2) + "\n")
    return EXIT_OK


def _lsp(args: argparse.Namespace) -> int:
    from manyeyes.lsp.main import run_stdio, run_tcp

    if not args.tcp:
        return run_stdio(args.log_level)
    host, _, port = args.tcp.rpartition(":")
    if not port.isdigit():
        print(f"manyeyes: error: --tcp takes HOST:PORT, not '{args.tcp}'", file=sys.stderr)
        return EXIT_USAGE
    return run_tcp(host or "127.0.0.1", int(port), args.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
