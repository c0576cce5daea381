#!/usr/bin/env bash
# Writes cases/ from the three apps at the labelled commits (corpus.json). Their code is not kept in this repository.
#   corpora/web-apps/fetch.sh                                 clone them from GitHub (needs the network)
#   corpora/web-apps/fetch.sh DVNA_GIT FLASK_GIT DVCSHARP_GIT use local clones or mirrors (git directories) instead
# Then: manyeyes eval --corpus corpora/web-apps
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dvna_commit=9ba473add536f66ac9007966acb2a775dd31277a
flask_commit=a67cbe590698dc4a0422f28e2495a40af559e257
dvcsharp_commit=76c1de3c9d8d9c2e8ec0b50abe3b198a4330d7fc
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

source_of() {  # a git directory holding the commit: the one given, or a fresh clone
  local given="$1" url="$2" commit="$3"
  if [ -n "$given" ]; then echo "$given"; return; fi
  git clone --quiet --bare "$url" "$work/$(basename "$url")" && echo "$work/$(basename "$url")"
  git -C "$work/$(basename "$url")" cat-file -e "$commit^{commit}"
}

dvna="$(source_of "${1:-}" https://github.com/appsecco/dvna $dvna_commit)"
flask="$(source_of "${2:-}" https://github.com/anil-yelken/Vulnerable-Flask-App $flask_commit)"
dvcsharp="$(source_of "${3:-}" https://github.com/appsecco/dvcsharp-api $dvcsharp_commit)"
rm -rf "$here/cases"
mkdir -p "$here/cases/dvna" "$here/cases/flask" "$here/cases/dvcsharp"
git --git-dir="$dvna" archive $dvna_commit core routes models config server.js views/app | tar -x -C "$here/cases/dvna"
git --git-dir="$flask" archive $flask_commit vulnerable-flask-app.py | tar -x -C "$here/cases/flask"
git --git-dir="$dvcsharp" archive $dvcsharp_commit Controllers Models Data Startup.cs Program.cs appsettings.json \
  | tar -x -C "$here/cases/dvcsharp"
echo "cases/ written: $(find "$here/cases" -type f | wc -l) files"
