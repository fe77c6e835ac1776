"""The commands of the qkt program, run as child processes, their JSON
documents returned as dicts of numpy arrays.

A command runs in a process of its own: a crash, numerics.time_limit or
Ctrl-C cannot take the interpreter down, and `sweep` and `run`, which start
runs of the program themselves, work as on the command line.  The document is
the one `qkt COMMAND --json` prints (docs/json.md), converted by to_numpy().
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import warnings

import numpy as np

from . import _build
from ._lib import QktError
from ._model import Model, _run_value

TENSOR = ("xx", "xy", "xz", "yx", "yy", "yz", "zx", "zy", "zz")


class NotConverged(UserWarning):
    """The program finished with exit code 7: results printed with a warning."""


class TimeLimitReached(UserWarning):
    """numerics.time_limit was reached (exit code 9): the results so far."""


def program_path():
    """The qkt program of this package: $QKT_BIN, else the one it was built with."""
    return os.environ.get("QKT_BIN") or _build.PROGRAM


def _is_tensor(d):
    return (all(c in d and isinstance(d[c], (int, float)) for c in TENSOR)
            and all(k in TENSOR or (k.endswith("_err") and k[:-4] in TENSOR) for k in d))


def _array(lst):
    """A list of numbers (any depth, rectangular; null -> nan) as an array,
    or None when it is not one."""
    def ok(x):
        if isinstance(x, list):
            return all(ok(y) for y in x)
        return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))
    if not lst or not ok(lst):
        return None
    try:
        a = np.array(lst, dtype=float)
    except (ValueError, TypeError):
        return None
    return a if a.dtype != object else None


def _records(lst):
    """Rows of numbers with the same keys (sweep's "rows") as {key: array},
    or None when they are not."""
    if not lst or not all(isinstance(r, dict) for r in lst):
        return None
    keys = list(lst[0])
    num = (int, float, type(None))
    if any(list(r) != keys or not all(isinstance(r[k], num) and not isinstance(r[k], bool)
                                      for k in keys) for r in lst):
        return None
    return {k: np.array([np.nan if r[k] is None else r[k] for r in lst], dtype=float) for k in keys}


def _table(d):
    """{"columns", "rows"} -> {"columns", "column_units", "data", column: array};
    with the nine tensor columns also "tensor" (n, 3, 3) and "tensor_err"."""
    cols = d["columns"]
    rows = d["rows"]
    data = _array(rows) if rows else np.zeros((0, len(cols)))
    out = {"columns": list(cols), "column_units": dict(zip(cols, d.get("column_units", [])))}
    if data is not None and data.ndim == 2:
        out["data"] = data
        for i, c in enumerate(cols):
            out[c] = data[:, i]
    else:
        out["rows"] = rows
        for i, c in enumerate(cols):
            col = [r[i] for r in rows]
            a = _array(col)
            out[c] = a if a is not None else col
    if all(c in cols for c in TENSOR) and "data" in out:
        out["tensor"] = np.stack([out[c] for c in TENSOR], axis=-1).reshape(-1, 3, 3)
        if all(c + "_err" in cols for c in TENSOR):
            out["tensor_err"] = np.stack([out[c + "_err"] for c in TENSOR], axis=-1).reshape(-1, 3, 3)
    for k, v in d.items():
        if k not in ("columns", "rows", "column_units"):
            out[k] = to_numpy(v)
    return out


def to_numpy(x):
    """The program's JSON document with numpy arrays: tensors {"xx": .., "xx_err": ..}
    become 3x3 arrays (the errors a sibling key NAME_err), numeric lists arrays,
    complex matrices {"re", "im"} complex arrays, row tables dicts of columns,
    lists of rows of numbers with the same keys (sweep's "rows") dicts of arrays."""
    if isinstance(x, list):
        a = _array(x)
        if a is not None:
            return a
        rec = _records(x)
        return rec if rec is not None else [to_numpy(y) for y in x]
    if not isinstance(x, dict):
        return x
    if "columns" in x and "rows" in x:
        return _table(x)
    if set(x) == {"re", "im"}:
        re, im = _array(x["re"]), _array(x["im"])
        if re is not None and im is not None and re.shape == im.shape:
            return re + 1j * im
    out = {}
    for k, v in x.items():
        if isinstance(v, dict) and _is_tensor(v):
            out[k] = np.array([v[c] for c in TENSOR], dtype=float).reshape(3, 3)
            if all(c + "_err" in v for c in TENSOR):
                out[k + "_err"] = np.array([v[c + "_err"] for c in TENSOR], dtype=float).reshape(3, 3)
        else:
            out[k] = to_numpy(v)
    return out


class Result(dict):
    """The JSON document of one command with numpy arrays (to_numpy).
    Top-level keys: "results", "inputs" (every key used, with its value),
    "input_origins", "input_units", "warnings", "status", "model", ...
    r["sigma0"] is short for r["results"]["sigma0"]; r.document is the
    document as the program wrote it."""

    def __missing__(self, key):
        res = dict.get(self, "results")
        if isinstance(res, dict) and key in res:
            return res[key]
        raise KeyError(key)

    @property
    def results(self):
        return self["results"]

    @property
    def inputs(self):
        return self["inputs"]


_KEYS = {}


def command_keys(command):
    """The run-file keys of a command, {name: {"default", "unit", "doc"}}, as
    `qkt COMMAND --help --json` lists them."""
    if command not in _KEYS:
        p = subprocess.run([program_path(), command, "--help", "--json"], capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise QktError(_message(p.stderr, command), p.returncode)
        d = json.loads(p.stdout)
        _KEYS[command] = ({k["name"]: k for k in d["keys"]}, d["passes_keys"])
    return _KEYS[command][0]


def _resolve(command, name, target=None):
    """The full key of a keyword argument: 'order' -> 'sigma.order', 'mu' -> 'run.mu'."""
    if "." in name:
        return name
    for cmd in filter(None, (command, target)):
        keys = command_keys(cmd)
        own = "%s.%s" % (cmd, name)
        if own in keys:
            return own
        hits = [k for k in keys if k.split(".", 1)[1] == name]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise QktError("%s: keyword '%s' is ambiguous (%s): pass keys={'%s': ...}"
                           % (command, name, ", ".join(hits), hits[0]), 2)
    raise QktError("%s: no run-file key '%s' ('qkt %s --help' lists them; dotted keys go in "
                   "keys={'section.key': value})" % (command, name, command), 2)


def _message(stderr, command):
    lines = [l for l in stderr.splitlines() if l.strip()]
    errs = [l[len("qkt: error: "):] for l in lines if l.startswith("qkt: error: ")]
    if errs:
        return "\n".join(errs)
    return lines[-1] if lines else "qkt %s failed without a message" % command


def run(command, model=None, runfile=None, keys=None, progress=False, _stacklevel=2, **kwargs):
    """Run `qkt COMMAND` and return its document as a Result.

    model: a Model (its keys are given to the program), or None to use the
    run file's [model] section; runfile: an optional run file; keys: a dict of
    run-file keys with full names {"run.mu": 0.05}; kwargs: keys by their short
    names (mu=0.05, order=1, reltol=1e-3), resolved against the command's key
    list (its own section first).  Values: numbers, strings, booleans and
    sequences (vectors such as B=[0, 0, 1]).

    Exit code 7 (not converged) and 9 (numerics.time_limit reached) return
    the result with a NotConverged or TimeLimitReached warning; every other
    failure raises QktError with the program's message and exit code.
    progress: forward the program's progress lines to sys.stderr."""
    sets = {}
    target = None
    if command == "sweep":
        target = (keys or {}).get("sweep.command", kwargs.get("command", "sigma"))
    with tempfile.TemporaryDirectory(prefix="qkt-py-") as work:
        if model is not None:
            if not isinstance(model, Model):
                raise QktError("model must be a qkt.Model, got %s" % type(model).__name__, 2)
            sets.update(model.run_keys(work))
        for k, v in (keys or {}).items():
            sets[k] = _run_value(v)
        for k, v in kwargs.items():
            sets[_resolve(command, k, target)] = _run_value(v)
        argv = [program_path(), command]
        if runfile is not None:
            argv.append(os.fspath(runfile))
        for k, v in sets.items():
            argv += ["--set", "%s=%s" % (k, v)]
        argv.append("--json")
        argv.append("--progress" if progress else "--quiet")
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
            err_lines = []

            def drain():  # stderr in a thread of its own: neither pipe can fill up and block
                for line in p.stderr:
                    err_lines.append(line)
                    if progress:
                        sys.stderr.write(line)
            t = threading.Thread(target=drain, daemon=True)
            t.start()
            try:
                out = p.stdout.read()
                code = p.wait()
                t.join()
            except BaseException:
                p.kill()
                p.wait()
                raise
    stderr = "".join(err_lines)
    if code not in (0, 7, 9):
        raise QktError(_message(stderr, command), code)
    try:
        doc = json.loads(out)
    except ValueError:
        raise QktError("qkt %s: exit code %d and no JSON document (%s)"
                       % (command, code, _message(stderr, command)), 1)
    res = Result(to_numpy(doc))
    res.document = doc
    for w in doc.get("warnings") or []:
        warnings.warn("qkt %s: %s" % (command, w), NotConverged if code == 7 else
                      TimeLimitReached if code == 9 else UserWarning, stacklevel=_stacklevel)
    if code == 7 and not doc.get("warnings"):
        warnings.warn("qkt %s: not converged" % command, NotConverged, stacklevel=_stacklevel)
    if code == 9 and not doc.get("warnings"):
        warnings.warn("qkt %s: time limit reached" % command, TimeLimitReached, stacklevel=_stacklevel)
    return res
