#!/usr/bin/env python3
"""layers.py BUILD_DIR - the library's modules depend on each other in
data-path order only (docs/architecture.md):

  core < model < wannier < bands < pockets < disorder < engine < integrate
       < response < observe < symmetry

Checks, each printed as ok/FAIL:
 1. every #include "dir/x.h" of a file in src/DIR/ names a module of the same
    or an earlier stage (the public "qkt.h" is allowed everywhere);
 2. every call between library files (undefined symbols of each object file,
    resolved with nm to the file that defines them) goes to the same or an
    earlier stage;
 3. no call circle between two or more files;
 4. app/ uses the library through qkt.h only (no internal header);
 5. the integrators (src/integrate/) never know what they integrate: no
    header or function of the tree, the tally layout or the disorder kernel
    (engine/, disorder/), only the integrand of integrate/integrate.h.
Exit status 1 on any failure.
"""
import glob
import os
import re
import subprocess
import sys

STAGES = ["core", "model", "wannier", "bands", "pockets", "disorder", "engine", "integrate", "response",
          "observe", "symmetry"]
RANK = {s: i for i, s in enumerate(STAGES)}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok   " + msg)


def bad(msg):
    global failed
    failed += 1
    print("FAIL " + msg)


def module(path):
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "src" else None


def check_includes(files):
    wrong = []
    for f in files:
        m = module(f)
        if m not in RANK:
            wrong.append(f"{f}: not in a module folder of src/ ({', '.join(STAGES)})")
            continue
        for inc in INC.findall(open(f).read()):
            if inc == "qkt.h":
                continue
            im = inc.split("/")[0] if "/" in inc else None
            if im not in RANK:
                wrong.append(f"{f}: includes \"{inc}\", not a module header (use \"module/header.h\")")
            elif RANK[im] > RANK[m]:
                wrong.append(f"{f} ({m}) includes \"{inc}\" of the later stage {im}")
    if wrong:
        for w in wrong:
            bad("include order: " + w)
    else:
        ok(f"include order: {len(files)} files of src/ include only headers of their own or earlier stages")


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == "U":
            undefined.add(f[1])
        elif len(f) == 3 and f[1] in "TDBRCVW":
            defined.add(f[2])
    return defined, undefined


def check_calls(build, sources):
    objdir = os.path.join(build, "CMakeFiles", "qktlib.dir")
    objs = {}
    for s in sources:
        o = os.path.join(objdir, s + ".o")
        if not os.path.exists(o):
            bad(f"calls: no object file {o} (build the library first)")
            return
        objs[s] = symbols(o)
    owner = {}
    for s, (d, _) in objs.items():
        for sym in d:
            owner[sym] = s
    edges = {s: set() for s in objs}
    wrong = []
    for s, (_, u) in objs.items():
        for sym in u:
            t = owner.get(sym)
            if t is None or t == s:
                continue
            edges[s].add(t)
            if RANK[module(t)] > RANK[module(s)]:
                wrong.append(f"{s} ({module(s)}) calls {sym} of {t} ({module(t)}), a later stage")
    if wrong:
        for w in wrong:
            bad("call order: " + w)
    else:
        n = sum(len(e) for e in edges.values())
        ok(f"call order: {n} file-to-file calls among {len(objs)} files, none to a later stage")
    # circles: depth-first search for a back edge
    state, stack, circles = {}, [], []

    def dfs(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(edges[v]):
            if state.get(w) == 1:
                circles.append(stack[stack.index(w):] + [w])
            elif w not in state:
                dfs(w)
        stack.pop()
        state[v] = 2

    for v in sorted(edges):
        if v not in state:
            dfs(v)
    if circles:
        for c in circles:
            bad("call circle: " + " -> ".join(c))
    else:
        ok("no call circle between the library's files")


BLIND = {"integrate": ("engine", "disorder")}


def check_blind(build, sources):
    """the integrators include and call nothing of the modules they integrate"""
    wrong = []
    objdir = os.path.join(build, "CMakeFiles", "qktlib.dir")
    owner = {}
    for s in sources:
        o = os.path.join(objdir, s + ".o")
        if os.path.exists(o):
            for sym in symbols(o)[0]:
                owner[sym] = s
    for s in sources:
        m = module(s)
        if m not in BLIND:
            continue
        for f in [s] + sorted(glob.glob(os.path.join(os.path.dirname(s), "*.h"))):
            for inc in INC.findall(open(f).read()):
                if inc.split("/")[0] in BLIND[m]:
                    wrong.append(f"{f} includes \"{inc}\"")
        o = os.path.join(objdir, s + ".o")
        if os.path.exists(o):
            for sym in sorted(symbols(o)[1]):
                t = owner.get(sym)
                if t and module(t) in BLIND[m]:
                    wrong.append(f"{s} calls {sym} of {t}")
    if wrong:
        for w in sorted(set(wrong)):
            bad("integrators blind to the integrand: " + w)
    else:
        ok("the integrators include and call nothing of engine/ or disorder/ (they see qkt_integrand_t only)")


def check_app():
    wrong = []
    for f in sorted(glob.glob("app/*.c") + glob.glob("app/*.h")):
        for inc in INC.findall(open(f).read()):
            if "/" in inc or not os.path.exists(os.path.join("app", inc)) and inc != "qkt.h":
                wrong.append(f"{f} includes \"{inc}\"")
    if wrong:
        for w in wrong:
            bad("app uses qkt.h only: " + w)
    else:
        ok("app/ includes qkt.h and its own headers only")


def main():
    if len(sys.argv) != 2:
        print("usage: layers.py BUILD_DIR", file=sys.stderr)
        return 2
    srcs = sorted(glob.glob("src/**/*.c", recursive=True))
    hdrs = sorted(glob.glob("src/**/*.h", recursive=True))
    check_includes(srcs + hdrs)
    check_calls(sys.argv[1], srcs)
    check_blind(sys.argv[1], srcs)
    check_app()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
