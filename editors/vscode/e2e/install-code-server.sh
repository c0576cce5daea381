#!/usr/bin/env bash
# Installs code-server (VS Code OSS from the npm registry) as the directory $1 for the real-editor end-to-end test.
# Its postinstall refuses root and downloads from the web, so the steps are done by hand: dependencies without
# scripts, then only the native modules rebuilt. 4.100.3 (VS Code 1.100.3) is the last line that runs on Node 20.
# Idempotent: a finished install leaves $1/.installed and is reused.
set -euo pipefail
dest="${1:?usage: install-code-server.sh DEST}"
version="${CODE_SERVER_VERSION:-4.100.3}"
# chromium is the window the test drives; ripgrep, krb5 and a compiler are what code-server's native modules need.
need=""
command -v rg >/dev/null || need="$need ripgrep"
command -v chromium >/dev/null || need="$need chromium"
dpkg -s libkrb5-dev >/dev/null 2>&1 || need="$need libkrb5-dev"
command -v g++ >/dev/null || need="$need build-essential"
if [ -n "$need" ]; then
  # Separate commands, so that set -e stops here when apt fails (for instance, another apt holds its lock).
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
fi

if [ -f "$dest/.installed" ] && [ "$(cat "$dest/.installed")" = "$version" ]; then exit 0; fi

rm -rf "$dest" && mkdir -p "$(dirname "$dest")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "code-server@$version" >/dev/null && tar -xzf "code-server-$version.tgz")
mv "$work/package" "$dest"
cd "$dest"
export npm_config_yes=true npm_config_loglevel=error npm_config_fund=false npm_config_audit=false
npm install --omit=dev --ignore-scripts
npm rebuild argon2 --foreground-scripts >/dev/null
cd lib/vscode
npm install --omit=dev --ignore-scripts
for m in node-pty @vscode/spdlog kerberos native-watchdog @vscode/deviceid; do
  npm rebuild "$m" --foreground-scripts >/dev/null
done
mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --ignore-scripts)
cd ../..
node out/node/entry.js --version
echo "$version" > "$dest/.installed"
