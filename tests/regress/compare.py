#!/usr/bin/env python3
"""compare.py REF NEW - compare two qkt JSON documents number by number.

Every number must agree to |x - y| <= 1e-12 (1 + max(|x|, |y|)); strings,
booleans, nulls, keys and list lengths must be equal.  Keys named "seconds"
(wall times) are not compared.  A key only in the new output under "inputs",
"input_origins" or "input_units" (a new input key echoed with its default and
its unit) is listed as a note,
not a difference: a default that changed a number shows there.  Prints one line per difference (at most 20)
and exits 1 when there is any.
"""
import json
import math
import sys

RTOL = 1e-12
SKIP = {"seconds"}
INPUT_PATHS = {".inputs", ".input_origins", ".input_units"}
NOTES = []


def walk(a, b, path, out):
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        if a != b or type(a) is not type(b):
            out.append(f"{path}: {a!r} != {b!r}")
        return
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            if not (math.isnan(a) and math.isnan(b)):
                out.append(f"{path}: {a!r} != {b!r}")
        elif abs(a - b) > RTOL * (1 + max(abs(a), abs(b))):
            out.append(f"{path}: {a!r} != {b!r} (diff {abs(a - b):.3e})")
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in SKIP:
                continue
            if k not in a or k not in b:
                if k in b and path in INPUT_PATHS:
                    NOTES.append(f"{path}.{k}: new input key (note)")
                    continue
                out.append(f"{path}.{k}: only in {'reference' if k in a else 'new output'}")
                continue
            walk(a[k], b[k], f"{path}.{k}", out)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} != {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", out)
        return
    out.append(f"{path}: {type(a).__name__} != {type(b).__name__}")


def main():
    if len(sys.argv) != 3:
        print("usage: compare.py REF NEW", file=sys.stderr)
        return 2
    docs = []
    for p in sys.argv[1:]:
        try:
            with open(p) as f:
                docs.append(json.load(f))
        except (OSError, ValueError) as e:
            print(f"{p}: {e}")
            return 1
    out = []
    walk(docs[0], docs[1], "", out)
    for line in sorted(set(NOTES))[:5]:
        print(line)
    for line in out[:20]:
        print(line)
    if len(out) > 20:
        print(f"... {len(out) - 20} more differences")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
