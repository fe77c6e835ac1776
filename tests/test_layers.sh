#!/usr/bin/env bash
# test_layers.sh - the library's modules depend on each other in data-path
# order, with no include or call circle (tests/layers.py; the stages are
# listed in docs/architecture.md).  Reads the object files of the build that
# made QKT_BIN.
set -u
BIN=${QKT_BIN:-build/qkt}
exec python3 tests/layers.py "$(dirname "$BIN")"
