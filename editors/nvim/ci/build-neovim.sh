#!/usr/bin/env bash
# Builds Neovim 0.10 into $1 for the plugin's end-to-end test on the vim.lsp.start path. Debian bookworm ships
# only 0.7.2 and trixie's 0.10 package needs a newer glibc, so this builds trixie's sources (from the Debian
# archive, the one place these machines can fetch them) against bookworm's libraries, plus the three libraries
# bookworm has too old: libvterm 0.3.3, tree-sitter 0.22.6 and lpeg 1.1.0. About 6 minutes on 2 cores.
# Idempotent: a finished build leaves $1/.installed and is reused.
set -euo pipefail
dest="${1:?usage: build-neovim.sh DEST}"
version=0.10.4
if [ -f "$dest/.installed" ] && [ "$(cat "$dest/.installed")" = "$version" ]; then exit 0; fi

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cmake ninja-build gettext curl \
  xz-utils build-essential libluajit-5.1-dev luajit libuv1-dev lua-luv-dev libmsgpack-dev libunibilium-dev \
  lua-bitop libtool-bin >/dev/null

pool=http://deb.debian.org/debian/pool/main
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for source in n/neovim/neovim_$version.orig.tar.xz libv/libvterm/libvterm_0.3.3.orig.tar.gz \
  t/tree-sitter/tree-sitter_0.22.6.orig.tar.xz l/lua-lpeg/lua-lpeg_1.1.0.orig.tar.gz; do
  curl -sSf --retry 3 -O "$pool/$source"
  tar -xf "$(basename "$source")"
done
rm -rf "$dest" && mkdir -p "$dest/deps/lib" "$dest/deps/include"
deps="$dest/deps"

make -s -C libvterm-0.3.3 PREFIX="$deps" install >/dev/null
make -s -C tree-sitter-0.22.6 PREFIX="$deps" install >/dev/null
(cd lpeg-1.1.0 && gcc -O2 -w -fPIC -shared -I/usr/include/luajit-2.1 lp*.c -o "$deps/lib/lpeg.so")

cmake -S "neovim-$version" -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$dest" \
  -DCMAKE_PREFIX_PATH="$deps" -DCMAKE_INSTALL_RPATH="$deps/lib" -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
  -DPREFER_LUA=OFF >/dev/null
cmake --build build >/dev/null
cmake --install build >/dev/null
"$dest/bin/nvim" --version | head -1
echo "$version" > "$dest/.installed"
