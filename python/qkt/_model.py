"""Models: built-in names, Wannier90 files, arrays of R, H(R) and r(R)."""
import ctypes as C
import os

import numpy as np

from . import _lib
from ._lib import QktError, check


def models():
    """The built-in models: {name: {"summary", "reference", "params": {name: info}}}."""
    out = {}
    for i in range(_lib.model_count()):
        info = _lib.model_info_at(i).contents
        params = {}
        for p in range(info.nparams):
            pi = info.params[p]
            params[pi.name.decode()] = {
                "components": pi.ncomp,
                "default": list(pi.default[:pi.ncomp]) if pi.ncomp > 1 else pi.default[0],
                "unit": pi.unit.decode(), "doc": pi.doc.decode()}
        out[info.name.decode()] = {"summary": info.summary.decode(),
                                   "reference": info.reference.decode(), "params": params}
    return out


def _run_value(v):
    """A run-file value: numbers in their shortest exact decimal form."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (str, os.PathLike)):
        return os.fspath(v)
    a = np.asarray(v)
    if a.ndim == 0:
        return repr(a.item()) if a.dtype.kind in "fiu" else str(a.item())
    return " ".join(repr(float(x)) if a.dtype.kind == "f" else str(x) for x in a.ravel())


class Model:
    """A Bloch Hamiltonian H(k) of the library.

    Model("weyl4", b=[0, 0, 0.2], Delta=0): a built-in model (qkt.models()
    lists them with their parameters, natural units hbar = e = 1).
    Model.wannier(path): a Wannier90 seedname_tb.dat or _hr.dat file (eV, Angstrom).
    Model.from_arrays(R, H, lattice, r=None): the same from arrays, as held by
    pythtb, TBmodels or WannierBerri.

    The model is used in this process (hk, bands) and passed to the commands
    (qkt.sigma(model, ...)) as run-file keys: built-in models by name and
    parameters, Wannier files by path, array models through a _tb.dat file
    the library writes for each command (every stored R and -R, exact to
    the 16 digits of the format)."""

    def __init__(self, name="weyl2", **params):
        self._ptr = None
        self._keys = {"model.name": name}
        m = _lib.model_alloc(name.encode())
        if not m:
            known = ", ".join(n for n in models() if n != "wannier")
            raise QktError("unknown model '%s' (built-in models: %s; Wannier90 files: "
                           "Model.wannier)" % (name, known), 2)
        try:
            if name == "wannier":
                raise QktError("model 'wannier' is made by Model.wannier(path) or "
                               "Model.from_arrays(R, H, lattice)", 2)
            for key, val in params.items():
                a = np.ascontiguousarray(np.atleast_1d(np.asarray(val, dtype=float)))
                check(_lib.model_set(m, key.encode(), a.ctypes.data_as(_lib._c_double_p), a.size))
                self._keys["model." + key] = _run_value(val)
            check(_lib.model_setup(m))
        except BaseException:
            _lib.model_free(m)
            raise
        self._ptr = m
        self.params = dict(params)

    @classmethod
    def _wrap(cls, ptr, keys, params=None):
        self = cls.__new__(cls)
        self._ptr = ptr
        self._keys = keys
        self.params = params or {}
        return self

    @classmethod
    def wannier(cls, path, wsvec=None, position=True, hermitize_position=True,
                spin_degeneracy=1, lattice=None, herm_tol=1e-4):
        """A Wannier90 tight-binding file: seedname_tb.dat or seedname_hr.dat
        (.gz allowed; _hr.dat needs lattice, 3x3 rows in Angstrom).
        spin_degeneracy: 2 for spinless orbitals (Wannier90's num_elec_per_state)."""
        path = os.path.abspath(os.fspath(path))
        o = _lib.WannierOpts()
        _lib.wannier_opts_default(C.byref(o))
        o.path = path.encode()
        keys = {"model.name": "wannier", "model.file": path,
                "model.position": _run_value(bool(position)),
                "model.hermitize_position": _run_value(bool(hermitize_position)),
                "model.spin_degeneracy": _run_value(spin_degeneracy),
                "model.herm_tol": _run_value(herm_tol)}
        if wsvec is not None:
            wsvec = os.path.abspath(os.fspath(wsvec))
            o.wsvec_path = wsvec.encode()
            keys["model.wsvec"] = wsvec
        o.use_position = int(bool(position))
        o.hermitize_position = int(bool(hermitize_position))
        o.spin_degeneracy = float(spin_degeneracy)
        o.herm_tol = float(herm_tol)
        if lattice is not None:
            a = np.asarray(lattice, dtype=float).reshape(3, 3)
            for i in range(3):
                for j in range(3):
                    o.avec[i][j] = a[i, j]
                keys["model.avec%d" % (i + 1)] = _run_value(a[i])
            o.have_avec = 1
        out = _lib._model_p()
        check(_lib.wannier_load(C.byref(o), C.byref(out)))
        return cls._wrap(out, keys, {"file": path})

    @classmethod
    def from_arrays(cls, R, H, lattice, r=None, ndegen=None, spin_degeneracy=1,
                    hermitize_position=True, herm_tol=1e-4, label="model arrays"):
        """A tight-binding model from arrays (eV, Angstrom):
        R: (nR, 3) integer lattice vectors in units of lattice (3x3, rows);
        H: (nR, nw, nw) complex, H[r, m, n] = <0m|H|R_r n>;
        r: optional (nR, 3, nw, nw) complex position matrix <0m|r_a|R_r n>;
        ndegen: optional (nR,) Wannier90 degeneracies dividing H(R) (default 1).
        Every R must come with -R, and H(-R) = H(R)^dagger within herm_tol."""
        R = np.ascontiguousarray(R, dtype=np.intc)
        H = np.ascontiguousarray(H, dtype=np.complex128)
        if R.ndim != 2 or R.shape[1] != 3:
            raise QktError("%s: R must have shape (nR, 3), got %s" % (label, R.shape), 2)
        nR = R.shape[0]
        if H.ndim != 3 or H.shape[0] != nR or H.shape[1] != H.shape[2]:
            raise QktError("%s: H must have shape (nR, nw, nw) with nR = %d, got %s"
                           % (label, nR, H.shape), 2)
        nw = H.shape[1]
        lat = np.ascontiguousarray(lattice, dtype=float)
        if lat.shape != (3, 3):
            raise QktError("%s: lattice must be 3x3 (rows a1, a2, a3 in Angstrom), got %s"
                           % (label, lat.shape), 2)
        pos = None
        if r is not None:
            pos = np.ascontiguousarray(r, dtype=np.complex128)
            if pos.shape != (nR, 3, nw, nw):
                raise QktError("%s: r must have shape (nR, 3, nw, nw) = %s, got %s"
                               % (label, (nR, 3, nw, nw), pos.shape), 2)
        deg = None
        if ndegen is not None:
            deg = np.ascontiguousarray(ndegen, dtype=np.intc)
            if deg.shape != (nR,):
                raise QktError("%s: ndegen must have shape (%d,), got %s" % (label, nR, deg.shape), 2)
        o = _lib.WannierOpts()
        _lib.wannier_opts_default(C.byref(o))
        o.use_position = int(pos is not None)
        o.hermitize_position = int(bool(hermitize_position))
        o.spin_degeneracy = float(spin_degeneracy)
        o.herm_tol = float(herm_tol)
        ip = C.POINTER(C.c_int)
        out = _lib._model_p()
        check(_lib.wannier_from_arrays(
            nw, nR, R.ctypes.data_as(ip), deg.ctypes.data_as(ip) if deg is not None else None,
            H.ctypes.data_as(_lib._c_double_p),
            pos.ctypes.data_as(_lib._c_double_p) if pos is not None else None,
            lat.ctypes.data_as(_lib._c_double_p), C.byref(o), label.encode(), C.byref(out)))
        keys = {"model.name": "wannier", "model.position": _run_value(pos is not None),
                "model.hermitize_position": _run_value(bool(hermitize_position)),
                "model.spin_degeneracy": _run_value(spin_degeneracy),
                "model.herm_tol": _run_value(herm_tol)}
        return cls._wrap(out, keys, {"arrays": label})

    def __del__(self):
        if getattr(self, "_ptr", None):
            _lib.model_free(self._ptr)
            self._ptr = None

    def _head(self):
        if not self._ptr:
            raise QktError("model was freed", 2)
        return self._ptr.contents

    @property
    def name(self):
        return self._head().info.contents.name.decode()

    @property
    def nbands(self):
        return self._head().nb

    @property
    def dim(self):
        return self._head().dim

    @property
    def periodic(self):
        return bool(self._head().periodic)

    @property
    def units(self):
        """'natural' (hbar = e = 1) or 'eV-Angstrom' (Wannier models)."""
        return "eV-Angstrom" if self._head().units == 1 else "natural"

    @property
    def lattice(self):
        """Lattice vectors as rows (periodic models), Angstrom or natural units."""
        return np.array(self._head().avec, dtype=float)

    @property
    def reciprocal(self):
        """Reciprocal vectors as rows, a_i . b_j = 2 pi delta_ij."""
        return np.array(self._head().bvec, dtype=float)

    def __repr__(self):
        extra = ", ".join("%s=%r" % kv for kv in self.params.items())
        return "qkt.Model(%s%s%s)" % (self.name, ", " if extra else "", extra)

    def hk(self, k, order=0):
        """H(k) (order 0: nb x nb), or H and its derivatives: order 1 gives
        (4, nb, nb) [H, d_x H, d_y H, d_z H], order 2 (10, nb, nb) with the
        second derivatives xx, yy, zz, xy, yz, zx (the library's order).
        k: Cartesian, in 1/length of the model's units."""
        if order not in (0, 1, 2):
            raise QktError("hk: order must be 0, 1 or 2, got %r" % (order,), 2)
        nb = self.nbands
        kk = np.ascontiguousarray(np.asarray(k, dtype=float).reshape(3))
        nmat = (1, 4, 10)[order]
        out = np.zeros((nmat, nb, nb), dtype=np.complex128)
        check(_lib.model_hk(self._ptr, kk.ctypes.data_as(_lib._c_double_p), order,
                            out.ctypes.data_as(_lib._c_double_p)))
        return out[0] if order == 0 else out

    def bands(self, k, geometry=True):
        """Band energies at k (ascending), and with geometry the velocity
        matrices velocity[a, m, n] in the eigenbasis and the Berry curvature
        berry_curvature[m, a] of band m (the library's band geometry, laid out
        as `qkt geometry` prints it: Omega per band, then x y z)."""
        nb = self.nbands
        kk = np.ascontiguousarray(np.asarray(k, dtype=float).reshape(3))
        b = _lib.bands_alloc(nb)
        if not b:
            raise QktError("out of memory", 5)
        try:
            check(_lib.bands_compute(b, self._ptr, kk.ctypes.data_as(_lib._c_double_p),
                                     1 if geometry else 0))
            h = b.contents
            out = {"k": kk.copy(), "energies": np.ctypeslib.as_array(h.eps, (nb,)).copy()}
            if geometry:
                v = np.empty((3, nb, nb), dtype=np.complex128)
                for a in range(3):
                    re_im = np.ctypeslib.as_array(h.v[a], (nb * nb * 2,))
                    v[a] = (re_im[0::2] + 1j * re_im[1::2]).reshape(nb, nb)
                out["velocity"] = v
                out["berry_curvature"] = np.ctypeslib.as_array(h.Omega, (3 * nb,)).reshape(3, nb).T.copy()
            return out
        finally:
            _lib.bands_free(b)

    def energies(self, ks):
        """Band energies at many k-points: array (nk, nb)."""
        ks = np.asarray(ks, dtype=float).reshape(-1, 3)
        return np.array([self.bands(k, geometry=False)["energies"] for k in ks])

    def write(self, path, tb=True):
        """Write a periodic model as a Wannier90 file (_tb.dat with tb, else _hr.dat)."""
        check(_lib.wannier_write(self._ptr, os.fspath(path).encode(), int(bool(tb))))

    def run_keys(self, workdir):
        """The [model] keys that give this model to the program; array models
        are written to workdir first."""
        keys = dict(self._keys)
        if "arrays" in self.params:
            path = os.path.join(workdir, "model_tb.dat")
            self.write(path, tb=True)
            keys["model.file"] = path
        return keys
