#!/usr/bin/env bash
# The GitHub Action's review step (action.yml), also runnable on its own: tests/e2e/test_github_action.py runs it on
# a temporary repository with the variables GitHub would set. It always exits 0 once the review has run, so the
# SARIF upload runs after failing findings too; the review's own exit code goes to $GITHUB_OUTPUT (exit-code) and
# the action's last step exits with it.
#
# Environment: MANYEYES_BASE (commit or ref; empty: review the whole tree), MANYEYES_NEW_ONLY (true/false),
# MANYEYES_FAIL_ON, MANYEYES_REVIEW_MODEL, MANYEYES_CONCERNS, MANYEYES_SARIF_CATEGORY, MANYEYES_INSTALL (what to
# pip install first; empty: manyeyes is already installed), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP.
set -euo pipefail

out_dir="${RUNNER_TEMP:-$(mktemp -d)}"
sarif="$out_dir/manyeyes.sarif"
summary="$out_dir/manyeyes-summary.md"

if [ -n "${MANYEYES_INSTALL:-}" ]; then
  python -m pip install --quiet --disable-pip-version-check "$MANYEYES_INSTALL"
fi

base="${MANYEYES_BASE:-}"
if [ "$base" = "0000000000000000000000000000000000000000" ]; then
  base=""  # the first push of a branch has no "before"
fi
if [ -n "$base" ] && ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  # actions/checkout fetches one commit by default: the base is fetched alone, with no history.
  echo "manyeyes: fetching the base $base"
  git fetch --quiet --no-tags --depth=1 origin "$base" || true
fi

args=(review --no-board --format github --report "sarif=$sarif" --report "markdown=$summary")
args+=(--sarif-category "${MANYEYES_SARIF_CATEGORY:-manyeyes}")
if [ -n "${MANYEYES_FAIL_ON:-}" ]; then args+=(--fail-on "$MANYEYES_FAIL_ON"); fi
if [ -n "${MANYEYES_CONCERNS:-}" ]; then args+=(--concerns "$MANYEYES_CONCERNS"); fi
# A model only with its key: a pull request from a fork gets no secrets, and is then reviewed offline (docs/ci.md).
args+=(--offline-if-no-key)
if [ -n "${MANYEYES_REVIEW_MODEL:-}" ]; then args+=(--model "$MANYEYES_REVIEW_MODEL"); fi
if [ -n "$base" ]; then
  args+=(--diff "$base")
  if [ "${MANYEYES_NEW_ONLY:-true}" = "true" ]; then args+=(--new-only); fi
fi

set +e
manyeyes "${args[@]}"
code=$?
set -e

if [ -f "$summary" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  if [ -f "$sarif" ]; then echo "sarif=$sarif" >> "$GITHUB_OUTPUT"; fi
  echo "exit-code=$code" >> "$GITHUB_OUTPUT"
fi
echo "manyeyes exited with $code"
