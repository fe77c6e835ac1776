# lib.sh - shared preamble of the shell tests (test_cli.sh, test_info.sh,
# test_commands.sh); source it from the test script:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Sets BIN (the qkt program), T (a scratch folder removed on exit, named after
# the calling script), the counters pass and fail, and the helpers below.
set -u
BIN=${QKT_BIN:-build/qkt}
T=$(mktemp -d "${TMPDIR:-/tmp}/qkt_$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# run ARGS...: run qkt, keep stdout in $T/out, stderr in $T/err, status in $rc
run() {
    "$BIN" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
expect_rc() { # WANT WHAT
    if [ "$rc" -eq "$1" ]; then ok "$2: exit $rc"; else bad "$2: exit $rc, want $1; stderr: $(head -c 400 "$T/err")"; fi
}
expect_in() { # FILE NEEDLE WHAT
    if grep -qF -- "$2" "$1"; then ok "$3: $(basename "$1") contains '$2'"; else
        bad "$3: $(basename "$1") lacks '$2'; it has: $(head -c 400 "$1")"; fi
}

# pycheck WHAT EXPR: EXPR, a Python expression on the JSON document d of the
# last run ($T/out; r = d['results'], json, math and pi available), must be true
pycheck() {
    if python3 -c "
import json, math, sys
d = json.load(open('$T/out')); r = d['results']; pi = math.pi
sys.exit(0 if ($2) else 1)" 2>"$T/pyerr"; then ok "$1"; else bad "$1 ($(head -c 300 "$T/pyerr"))"; fi
}
