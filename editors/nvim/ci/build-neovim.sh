#!/usr/bin/env bash
# Builds a Neovim into $1 for the plugin's end-to-end tests, from Debian's sources (the Debian archive is the one
# place these machines can fetch them) against bookworm's libraries plus the few it has too old. $2 picks which:
#   stable   0.10.4, Debian trixie's: the vim.lsp.start path (bookworm itself ships only 0.7.2). The default.
#   testing  the Neovim in Debian testing (0.12.4 when written): the 0.11+ API (client:request, pulled
#            diagnostics). Its version and those of the libraries it needs newer are read from testing's source
#            index, so the build follows testing instead of breaking when a pinned file leaves the archive.
# About 6 minutes on 2 cores. Idempotent: a finished build leaves $1/.installed (the version) and is reused.
set -euo pipefail
dest="${1:?usage: build-neovim.sh DEST [stable|testing]}"
track="${2:-stable}"
archive=http://deb.debian.org/debian
pool=$archive/pool/main

# "PACKAGE VERSION DIRECTORY ORIG-TARBALL" for each source package named, from a suite's Sources index.
sources_of() {
  local suite="$1"; shift
  curl -sSf --retry 3 "$archive/dists/$suite/main/source/Sources.xz" | xz -dc | awk -v wanted=" $* " '
    /^Package: / { name = $2; keep = index(wanted, " " name " ") > 0; files = 0 }
    keep && /^Version: / { version = $2 }
    keep && /^Directory: / { dir = $2 }
    keep && /^Files:/ { files = 1; next }
    keep && files && /^ / { if ($3 ~ /\.orig\.tar\./) orig = $3; next }
    keep && files { files = 0 }
    keep && /^$/ { print name, version, dir, orig; keep = 0 }'
}

case "$track" in
  stable)
    version=0.10.4
    tarballs="n/neovim/neovim_0.10.4.orig.tar.xz libv/libvterm/libvterm_0.3.3.orig.tar.gz
      t/tree-sitter/tree-sitter_0.22.6.orig.tar.xz l/lua-lpeg/lua-lpeg_1.1.0.orig.tar.gz" ;;
  testing)
    index="$(sources_of testing neovim tree-sitter utf8proc lua-lpeg)"
    version="$(awk '$1 == "neovim" { sub(/-[^-]*$/, "", $2); sub(/^[0-9]+:/, "", $2); print $2 }' <<<"$index")"
    [ -n "$version" ] || { echo "build-neovim.sh: no neovim in Debian testing's source index" >&2; exit 1; }
    # libuv from trixie (stable, so its file stays): 0.11+ needs 1.45 or newer, bookworm has 1.44.
    tarballs="$(awk '{ sub(/^pool\/main\//, "", $3); print $3 "/" $4 }' <<<"$index") libu/libuv1/libuv1_1.50.0.orig.tar.gz" ;;
  *) echo "build-neovim.sh: unknown track '$track' (stable or testing)" >&2; exit 2 ;;
esac
if [ -f "$dest/.installed" ] && [ "$(cat "$dest/.installed")" = "$version" ]; then exit 0; fi

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cmake ninja-build gettext curl \
  xz-utils build-essential libluajit-5.1-dev luajit libuv1-dev lua-luv-dev libmsgpack-dev libunibilium-dev \
  lua-bitop libtool-bin >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for source in $tarballs; do
  curl -sSf --retry 3 -O "$pool/$source"
  tar -xf "$(basename "$source")"
done
rm -rf "$dest" && mkdir -p "$dest/deps/lib" "$dest/deps/include"
deps="$dest/deps"

# The libraries bookworm has too old, into $deps (each source unpacks to NAME-VERSION; lpeg's to lpeg-VERSION).
for dir in libuv1-* libvterm-* tree-sitter-* utf8proc-* lpeg-*; do
  [ -d "$dir" ] || continue
  case "$dir" in
    libuv1-*) cmake -S "$dir" -B uv -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$deps" \
                -DCMAKE_INSTALL_LIBDIR=lib -DLIBUV_BUILD_TESTS=OFF >/dev/null
              cmake --build uv >/dev/null && cmake --install uv >/dev/null ;;
    utf8proc-*) make -s -C "$dir" prefix="$deps" install >/dev/null ;;
    lpeg-*) (cd "$dir" && gcc -O2 -w -fPIC -shared -I/usr/include/luajit-2.1 lp*.c -o "$deps/lib/lpeg.so") ;;
    *) make -s -C "$dir" PREFIX="$deps" install >/dev/null ;;
  esac
done

cmake -S "neovim-$version" -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$dest" \
  -DCMAKE_PREFIX_PATH="$deps" -DCMAKE_INSTALL_RPATH="$deps/lib" -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
  -DPREFER_LUA=OFF >/dev/null
cmake --build build >/dev/null
cmake --install build >/dev/null
"$dest/bin/nvim" --version | head -1
echo "$version" > "$dest/.installed"
