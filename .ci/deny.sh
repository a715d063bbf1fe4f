#!/usr/bin/env bash
# `cargo deny check` against deny.toml: security advisories, licences, duplicate major
# versions and sources.
#
# The advisory database is RustSec's git repository, which cargo-deny clones. Where that
# cannot be fetched (these machines reach package registries only), the snapshot in
# .ci/advisory-db.tar.xz stands in for it: git is told to clone the snapshot instead
# (`url.<snapshot>.insteadOf`, for this command only), and the snapshot's date is printed.
# Refresh the snapshot with .ci/advisory-db-update.sh where the repository is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."

UPSTREAM=https://github.com/RustSec/advisory-db
SNAPSHOT=.ci/advisory-db.tar.xz

if timeout 60 cargo deny fetch db >/dev/null 2>&1; then
    echo "advisories: RustSec's database, fetched now"
else
    dir="$(realpath -m "${CARGO_TARGET_DIR:-target}")/advisory-db-snapshot"
    stamp=$(sha256sum "$SNAPSHOT" | cut -d' ' -f1)
    if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        tar -xJf "$SNAPSHOT" -C "$dir" --strip-components=1
        committed=$(sed -n 's/^committed //p' "$dir/SNAPSHOT")
        (
            cd "$dir"
            git init -q -b main
            git add -A
            GIT_AUTHOR_DATE="$committed" GIT_COMMITTER_DATE="$committed" \
                git -c user.name=snapshot -c user.email=snapshot@localhost \
                commit -q -m "$(head -n 1 SNAPSHOT)"
        )
        echo "$stamp" > "$dir/.stamp"
    fi
    committed=$(sed -n 's/^committed //p' "$dir/SNAPSHOT")
    days=$(( ($(date +%s) - $(date -d "$committed" +%s)) / 86400 ))
    echo "advisories: RustSec's database cannot be fetched here; using the snapshot of ${committed%%T*} (${days} days old, $SNAPSHOT)"
    if [ "$days" -gt 90 ]; then
        echo "WARNING: the advisory snapshot is over 90 days old: refresh it with .ci/advisory-db-update.sh where $UPSTREAM is reachable" >&2
    fi
    # Both spellings: cargo-deny asks for RustSec/advisory-db, older configs rustsec/.
    export GIT_CONFIG_COUNT=2
    export GIT_CONFIG_KEY_0="url.file://$dir.insteadOf" GIT_CONFIG_VALUE_0="$UPSTREAM"
    export GIT_CONFIG_KEY_1="url.file://$dir.insteadOf" GIT_CONFIG_VALUE_1="https://github.com/rustsec/advisory-db"
fi

cargo deny --locked check
