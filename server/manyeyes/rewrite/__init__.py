"""Rewrites of lines, checked before anyone is offered them: the gate every rewrite passes (gate.py), the fixes
models attach to findings (fixes.py) and the refactoring of a selection (refactor.py)."""
