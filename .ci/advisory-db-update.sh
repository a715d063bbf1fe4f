#!/usr/bin/env bash
# Refreshes .ci/advisory-db.tar.xz, the snapshot of RustSec's advisory database that
# .ci/deny.sh uses where the database cannot be fetched. Run it where the repository is
# reachable, or give it a checkout: `.ci/advisory-db-update.sh [DIR]`. Only `crates/`
# (what cargo-deny reads) and the licence (CC0-1.0) are kept, with the commit and its date.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/.ci/advisory-db.tar.xz"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
    src=$1
else
    git clone -q --depth=1 https://github.com/RustSec/advisory-db "$work/clone"
    src="$work/clone"
fi

commit=$(git -C "$src" rev-parse HEAD)
committed=$(git -C "$src" log -1 --format=%cI)
mkdir "$work/pack"
git -C "$src" archive --format=tar --prefix=advisory-db/ HEAD crates LICENSE.txt | tar -x -C "$work/pack"
printf 'RustSec advisory-db %s\ncommitted %s\n' "$commit" "$committed" > "$work/pack/advisory-db/SNAPSHOT"
tar --sort=name --mtime="$committed" --owner=0 --group=0 --numeric-owner \
    -C "$work/pack" -cf - advisory-db | xz -9e > "$out"
echo "$out: RustSec advisory-db $commit of $committed ($(du -k "$out" | cut -f1) kB)"
