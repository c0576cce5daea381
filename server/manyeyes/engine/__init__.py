"""The review engine: one cancellable run from a request to its result (run.py), with the steps it owns: silencing
(silencing.py), what the run says about itself (bookkeeping.py), preparing model calls and the dry run
(prepare.py), and reviewing a change's base to keep only what is new (baseline.py). Front ends import from here."""

from manyeyes.engine.prepare import DryRunTask, dry_run
from manyeyes.engine.run import ReviewRun, everything, review

__all__ = ["DryRunTask", "ReviewRun", "dry_run", "everything", "review"]
