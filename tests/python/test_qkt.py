"""test_qkt.py - the Python package (python/qkt): models in this process, the
commands' documents as numpy arrays, errors as exceptions.

Run by CTest with Debian's python3 and PYTHONPATH=build/python (CMakeLists.txt).
Physics checks state the quantity, the expected value with its source, and the
tolerance; the layout checks compare the bindings with the program's own output.
"""
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
import warnings

import numpy as np

import qkt

SHARED = os.environ.get("QKT_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
SI_TB = os.path.join(SHARED, "data", "si", "Si_tb.dat")
FE_TB = os.path.join(SHARED, "data", "fe", "Fe_tb.dat.gz")


def program_json(*args):
    """The program's own --json document (the oracle of the conversions)."""
    p = subprocess.run([qkt.program_path(), *args, "--json", "--quiet"], capture_output=True, text=True)
    if p.returncode not in (0, 7):
        raise AssertionError("qkt %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return json.loads(p.stdout)


def read_tb(path):
    """A Wannier90 _tb.dat file as arrays (lattice, R, ndegen, H, r): an
    independent reader of the format, for Model.from_arrays."""
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt") as f:
        lines = [l.split() for l in f.read().splitlines()]
    lat = np.array([[float(x) for x in lines[i]] for i in (1, 2, 3)])
    nw, nR = int(lines[4][0]), int(lines[5][0])
    i, deg = 6, []
    while len(deg) < nR:
        deg += [int(x) for x in lines[i]]
        i += 1
    R = np.zeros((nR, 3), dtype=int)
    H = np.zeros((nR, nw, nw), dtype=complex)
    r = np.zeros((nR, 3, nw, nw), dtype=complex)
    for blk in range(nR):
        while not lines[i]:
            i += 1
        R[blk] = [int(x) for x in lines[i]]
        i += 1
        for _ in range(nw * nw):
            m, n, re, im = lines[i][:4]
            H[blk, int(m) - 1, int(n) - 1] = float(re) + 1j * float(im)
            i += 1
    for blk in range(nR):
        while not lines[i]:
            i += 1
        i += 1
        for _ in range(nw * nw):
            t = lines[i]
            m, n = int(t[0]) - 1, int(t[1]) - 1
            v = [float(x) for x in t[2:8]]
            r[blk, :, m, n] = [v[0] + 1j * v[1], v[2] + 1j * v[3], v[4] + 1j * v[5]]
            i += 1
    return lat, R, np.array(deg), H, r


class TestModels(unittest.TestCase):
    def test_registry(self):
        ms = qkt.models()
        self.assertIn("weyl4", ms)
        self.assertIn("b", ms["weyl4"]["params"])
        self.assertEqual(ms["weyl4"]["params"]["b"]["components"], 3)

    def test_builtin_bands_match_geometry_command(self):
        """Layout guard of the ctypes mirrors (ModelHead, BandsHead): energies,
        Berry curvature and |v| equal `qkt geometry` at the same k to 1e-12."""
        m = qkt.Model("weyl2", v=1, b=0.2, Delta=0)
        self.assertEqual((m.nbands, m.dim, m.periodic, m.units), (2, 3, False, "natural"))
        ks = [[0.1, 0, 0.3], [0, 0.05, -0.2], [0.03, -0.02, 0.11]]
        doc = program_json("geometry", "--set", "model.name=weyl2", "--set", "model.b=0.2",
                           "--set", "geometry.k=" + "; ".join(" ".join(repr(x) for x in k) for k in ks))
        for k, ref in zip(ks, doc["results"]["kpoints"]):
            b = m.bands(k)
            np.testing.assert_allclose(b["energies"], ref["eps"], rtol=0, atol=1e-12)
            np.testing.assert_allclose(b["berry_curvature"], ref["Omega"], rtol=1e-12, atol=1e-12)
            for a, ax in enumerate("xyz"):
                v = np.array(ref["v"][ax]["re"]) + 1j * np.array(ref["v"][ax]["im"])
                np.testing.assert_allclose(np.abs(b["velocity"][a]), np.abs(v), atol=1e-12)

    def test_hk_derivative(self):
        """d_x H from the model against a central difference of H (step 1e-5,
        error O(h^2) ~ 1e-10 for the weyl4 Hamiltonian, Eq. 69)."""
        m = qkt.Model("weyl4", b=[0, 0, 0.2])
        k, h = np.array([0.03, -0.01, 0.05]), 1e-5
        d = m.hk(k, order=1)
        self.assertEqual(d.shape, (4, 4, 4))
        fd = (m.hk(k + [h, 0, 0]) - m.hk(k - [h, 0, 0])) / (2 * h)
        np.testing.assert_allclose(d[1], fd, atol=1e-9)
        np.testing.assert_allclose(d[0], d[0].conj().T, atol=1e-15)

    def test_bad_model_input(self):
        with self.assertRaises(qkt.QktError) as e:
            qkt.Model("weyl5")
        self.assertIn("unknown model 'weyl5'", e.exception.message)
        self.assertEqual(e.exception.code, 2)
        with self.assertRaises(qkt.QktError) as e:
            qkt.Model("weyl4", bb=1)
        self.assertIn("no parameter 'bb'", e.exception.message)
        with self.assertRaises(qkt.QktError) as e:
            qkt.Model("weyl4", b=[0, 0])
        self.assertIn("takes 3 value(s)", e.exception.message)
        with self.assertRaises(qkt.QktError) as e:
            qkt.Model.wannier("/nonexistent/x_tb.dat")
        self.assertEqual(e.exception.status, "EIO")
        self.assertIn("/nonexistent/x_tb.dat", e.exception.message)

    @unittest.skipUnless(os.path.exists(SI_TB), "no Si model in ../shared")
    def test_wannier_and_arrays_agree(self):
        """Si (8 bands): Model.from_arrays of the arrays read by an independent
        reader gives the H(k) of Model.wannier on the file, to 1e-12 eV at
        random k (the same numbers through another path into the library)."""
        fm = qkt.Model.wannier(SI_TB, spin_degeneracy=2)
        lat, R, deg, H, r = read_tb(SI_TB)
        am = qkt.Model.from_arrays(R, H, lat, r=r, ndegen=deg, spin_degeneracy=2)
        self.assertEqual((fm.nbands, am.nbands, fm.units), (8, 8, "eV-Angstrom"))
        np.testing.assert_allclose(fm.lattice, lat, atol=1e-12)
        np.testing.assert_allclose(am.reciprocal @ lat.T, 2 * np.pi * np.eye(3), atol=1e-12)
        rng = np.random.default_rng(7)
        for _ in range(5):
            k = rng.uniform(-1, 1, 3)
            np.testing.assert_allclose(am.hk(k, order=1), fm.hk(k, order=1), atol=1e-12)
            np.testing.assert_allclose(am.bands(k)["berry_curvature"], fm.bands(k)["berry_curvature"],
                                       atol=1e-9)
        # the array model through the program (written as _tb.dat by the
        # library): Si's Drude conductivity equals that of the file, the
        # format's 16 digits apart
        kw = dict(mu=7.2, T=300, mesh=6, order=0)
        a = qkt.sigma(am, **kw)
        f = qkt.sigma(fm, **kw)
        np.testing.assert_allclose(a["sigma0"], f["sigma0"], rtol=1e-10, atol=1e-8)
        self.assertEqual(a["inputs"]["model.spin_degeneracy"], 2)

    def test_arrays_bad_input(self):
        lat = np.eye(3)
        R = np.array([[0, 0, 0], [1, 0, 0]])
        H = np.zeros((2, 1, 1), dtype=complex)
        with self.assertRaises(qkt.QktError) as e:
            qkt.Model.from_arrays(R, H, lat)  # (1, 0, 0) without (-1, 0, 0)
        self.assertIn("model arrays", e.exception.message)
        with self.assertRaises(qkt.QktError) as e:
            qkt.Model.from_arrays(R, np.zeros((3, 1, 1)), lat)
        self.assertIn("shape", e.exception.message)
        H2 = np.zeros((1, 1, 1), dtype=complex)
        H2[0, 0, 0] = np.nan
        with self.assertRaises(qkt.QktError) as e:
            qkt.Model.from_arrays(np.zeros((1, 3), dtype=int), H2, lat)
        self.assertIn("not finite", e.exception.message)

    def test_arrays_random_input(self):
        """300 random small array models (R entries up to 2^31 - 1, repeated R,
        R without -R, non-Hermitian H, zero or negative ndegen, degenerate
        lattices): each is a model or a QktError, never a crash (the C entry
        point under the sanitizers in make sanitize)."""
        rng = np.random.default_rng(20)
        made = refused = 0
        for _ in range(300):
            nw = int(rng.integers(1, 4))
            nR = int(rng.integers(1, 6))
            big = rng.random() < 0.2
            R = rng.integers(-2**31 + 1 if big else -2, 2**31 - 1 if big else 3, size=(nR, 3))
            if rng.random() < 0.5:  # make it closed under R -> -R
                R = np.unique(np.vstack([R, -R, [[0, 0, 0]]]), axis=0)
                nR = len(R)
            H = rng.normal(size=(nR, nw, nw)) + 1j * rng.normal(size=(nR, nw, nw))
            if rng.random() < 0.5:  # H(-R) = H(R)^dagger
                idx = {tuple(x): i for i, x in enumerate(R)}
                for i, x in enumerate(R):
                    j = idx.get(tuple(-x))
                    if j is not None and j > i:
                        H[j] = H[i].conj().T
                    elif j == i:
                        H[i] = (H[i] + H[i].conj().T) / 2
            deg = rng.integers(-1, 4, size=nR) if rng.random() < 0.3 else None
            lat = rng.normal(size=(3, 3)) if rng.random() < 0.8 else np.zeros((3, 3))
            r = rng.normal(size=(nR, 3, nw, nw)) + 0j if rng.random() < 0.3 else None
            try:
                m = qkt.Model.from_arrays(R, H, lat, r=r, ndegen=deg)
                m.bands(rng.normal(size=3))
                made += 1
            except qkt.QktError as e:
                self.assertTrue(e.message)
                refused += 1
        self.assertGreater(made, 0)
        self.assertGreater(refused, 0)

    def test_one_band_chain_from_arrays(self):
        """A one-orbital cubic lattice, t = 1 eV, a = 2 Angstrom, from arrays:
        eps(k) = -2 t (cos k_x a + cos k_y a + cos k_z a) (tight binding)."""
        t, a = 1.0, 2.0
        R = np.array([[0, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
        H = np.zeros((7, 1, 1), dtype=complex)
        H[1:, 0, 0] = -t
        m = qkt.Model.from_arrays(R, H, a * np.eye(3), label="cubic chain")
        for k in ([0.1, 0.2, 0.3], [1.0, -0.4, 0.0]):
            want = -2 * t * sum(math.cos(x * a) for x in k)
            self.assertAlmostEqual(m.bands(k)["energies"][0], want, delta=1e-13)


class TestCommands(unittest.TestCase):
    def test_sigma_document(self):
        """qkt.sigma returns the program's document: tensors as 3x3 arrays with
        their _err siblings, equal to the JSON numbers; the inputs with them."""
        m = qkt.Model("weyl4", b=[0, 0, 0.2])
        r = qkt.sigma(m, mu=0.05, T=0.0025, order=0, reltol=1e-2)
        doc = r.document["results"]["sigma0"]
        self.assertEqual(r["sigma0"].shape, (3, 3))
        self.assertEqual(r["sigma0"][0, 1], doc["xy"])
        self.assertEqual(r["sigma0_err"][1, 0], doc["yx_err"])
        self.assertIs(r["sigma0"], r["results"]["sigma0"])
        self.assertEqual(r["inputs"]["run.mu"], 0.05)
        self.assertEqual(r["inputs"]["numerics.reltol"], 0.01)
        self.assertEqual(r["model"]["name"] if isinstance(r["model"], dict) else r["model"], "weyl4")
        self.assertEqual(r["status"], "ok")

    def test_drude_weyl2(self):
        """weyl2 Drude conductivity sigma_xx = tau mu^2/(3 pi^2 v) (one Weyl pair,
        T -> 0; PHYSICS.md anchor, tests/test_engine.c), within 3 error estimates
        plus the T^2 correction (pi^2 T^2/(3 mu^2) = 8e-4 relative here)."""
        m = qkt.Model("weyl2", v=1, b=0.2, Delta=0)
        r = qkt.sigma(m, mu=0.1, T=0.0005, tau_intra=1, order=0, reltol=1e-4)
        want = 0.1 ** 2 / (3 * math.pi ** 2)
        got, err = r["sigma0_parts"]["drude_nE"][0, 0], r["sigma0_parts"]["drude_nE_err"][0, 0]
        self.assertLess(abs(got - want), 3 * err + 1e-3 * want, (got, err, want))

    def test_scan_table(self):
        """A row table becomes columns and an (n, 3, 3) tensor: xy of row i is
        column xy at i."""
        m = qkt.Model("weyl4", b=[0, 0, 0.2])
        r = qkt.scan(m, keys={"scan.mu": "0.02 0.05"}, T=0.0025, reltol=1e-2)
        t = r["scan"]
        np.testing.assert_array_equal(t["mu"], [0.02, 0.05])
        self.assertEqual(t["tensor"].shape, (2, 3, 3))
        np.testing.assert_array_equal(t["tensor"][:, 0, 1], t["xy"])
        np.testing.assert_array_equal(t["tensor_err"][:, 1, 0], t["yx_err"])
        self.assertEqual(t["column_units"]["mu"], "energy")

    def test_sweep_rows(self):
        """sweep's rows become one array per field, in the order of the swept
        values; each equals the single run at that value."""
        m = qkt.Model("weyl2", b=0.2)
        with tempfile.TemporaryDirectory() as d:
            r = qkt.sweep(m, keys={"sweep.command": "sigma", "sweep.vary": "run.mu=0.05:0.1:2",
                                   "sweep.fields": "sigma0.xx sigma0.xy",
                                   "sweep.output": os.path.join(d, "s"), "sigma.order": 0,
                                   "numerics.reltol": 1e-2})
            self.assertTrue(os.path.exists(os.path.join(d, "s.tsv")))
        rows = r["rows"]
        np.testing.assert_array_equal(rows["run.mu"], [0.05, 0.1])
        one = qkt.sigma(m, mu=0.1, order=0, reltol=1e-2)
        self.assertEqual(rows["sigma0.xy"][1], one["sigma0"][0, 1])
        self.assertEqual(rows["sigma0.xy_err"][1], one["sigma0_err"][0, 1])

    def test_errors_and_warnings(self):
        m = qkt.Model("weyl4", b=[0, 0, 0.2])
        with self.assertRaises(qkt.QktError) as e:
            qkt.sigma(m, mu="abc")
        self.assertEqual(e.exception.code, 2)
        self.assertIn("run.mu", e.exception.message)
        with self.assertRaises(qkt.QktError) as e:
            qkt.sigma(m, mu=0.05, order=1)  # natural units: run.B is required at order 1
        self.assertIn("run.B is required", e.exception.message)
        with self.assertRaises(qkt.QktError) as e:
            qkt.sigma(m, nosuchkey=1)
        self.assertIn("no run-file key 'nosuchkey'", e.exception.message)
        with self.assertRaises(qkt.QktError) as e:
            qkt.sigma(runfile="/nonexistent/run.ini")
        self.assertEqual(e.exception.code, 3)
        # exit 7: the result, with a NotConverged warning
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = qkt.sigma(m, mu=0.05, T=0.0025, order=0, reltol=1e-6, maxeval=2000)
        self.assertTrue(any(issubclass(x.category, qkt.NotConverged) for x in w))
        self.assertEqual(r["results"]["numerics"]["converged"], False)

    def test_resolve_keys(self):
        keys = qkt.command_keys("mc")
        self.assertIn("mc.rank4", keys)
        self.assertEqual(qkt._run._resolve("mc", "E"), "mc.E")
        self.assertEqual(qkt._run._resolve("pump", "E"), "run.E")
        self.assertEqual(qkt._run._resolve("sigma", "reltol"), "numerics.reltol")
        self.assertEqual(qkt._run._resolve("info", "mu"), "info.mu")

    def test_runfile_and_model_keys(self):
        """A run file with its own [model]; a Model given over it replaces
        its keys, and a key of the file that the new model lacks is an error
        naming the file and line."""
        r = qkt.run("sigma", runfile="examples/sigma_weyl4.ini", order=0, reltol=1e-2)
        self.assertEqual(r["inputs"]["model.name"], "weyl4")
        r2 = qkt.run("sigma", runfile="examples/sigma_weyl4.ini", order=0, reltol=1e-2,
                     model=qkt.Model("weyl4", b=[0, 0, 0.1], mu5=0))
        np.testing.assert_array_equal(r2["inputs"]["model.b"], [0, 0, 0.1])
        self.assertEqual(r2["input_origins"]["model.b"], "--set")
        with self.assertRaises(qkt.QktError) as e:
            qkt.run("sigma", runfile="examples/sigma_weyl4.ini", model=qkt.Model("weyl2"), order=0)
        self.assertIn("unknown key 'model.mu5' (examples/sigma_weyl4.ini:", e.exception.message)


class TestInstall(unittest.TestCase):
    @unittest.skipUnless(os.environ.get("QKT_BUILD"), "QKT_BUILD not set (run by CTest)")
    def test_install_tree(self):
        """`cmake --install` puts program, library and package in a prefix; the
        installed package uses the installed library and program."""
        with tempfile.TemporaryDirectory() as prefix:
            p = subprocess.run([os.environ.get("QKT_CMAKE", "cmake"), "--install", os.environ["QKT_BUILD"],
                                "--prefix", prefix], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            pkgs = [os.path.join(d, "dist-packages") for d, _, f in os.walk(prefix)
                    if os.path.basename(d) == "python3"]
            self.assertEqual(len(pkgs), 1, pkgs)
            code = ("import qkt; m = qkt.Model('weyl2'); "
                    "print(qkt.library_path()); print(qkt.program_path()); "
                    "print(qkt.sigma(m, order=0, reltol=0.1)['inputs']['model.name'])")
            env = {k: v for k, v in os.environ.items() if k not in ("QKT_LIB", "QKT_BIN")}
            env["PYTHONPATH"] = pkgs[0]
            q = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                               cwd=prefix)
            self.assertEqual(q.returncode, 0, q.stderr)
            lib, prog, name = q.stdout.split()
            self.assertTrue(lib.startswith(prefix) and os.path.exists(lib), lib)
            self.assertTrue(prog.startswith(prefix) and os.access(prog, os.X_OK), prog)
            self.assertEqual(name, "weyl2")


class TestDocs(unittest.TestCase):
    def test_python_md_examples(self):
        """Every ```python block of docs/python.md runs, in order, in one
        namespace (each block checks its own numbers with assert)."""
        text = open(os.path.join("docs", "python.md")).read()
        blocks = []
        parts = text.split("```python\n")
        for p in parts[1:]:
            blocks.append(p.split("```", 1)[0])
        self.assertGreaterEqual(len(blocks), 3)
        ns = {"__name__": "__docs__"}
        for i, code in enumerate(blocks):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(code, "docs/python.md block %d" % (i + 1), "exec"), ns)


if __name__ == "__main__":
    unittest.main(verbosity=2)
