"""qkt: quantum kinetic magnetotransport (Sekine, Culcer and MacDonald, PRB 96, 235134).

Models live in this process (ctypes bindings of libqkt.so):
    m = qkt.Model("weyl4", b=[0, 0, 0.2])          # built-in (qkt.models())
    m = qkt.Model.wannier("Fe_tb.dat.gz")            # Wannier90 file
    m = qkt.Model.from_arrays(R, H, lattice, r=r)    # arrays (pythtb, TBmodels, WannierBerri)
    m.hk(k), m.bands(k)                              # H(k), energies, velocities, Berry curvature

Commands run the qkt program and return its JSON document as a dict of numpy
arrays, every value with its error estimate (NAME_err) and the inputs used:
    r = qkt.sigma(m, mu=0.05, T=0.0025, order=1, reltol=1e-3)
    r["sigma0"], r["sigma0_err"], r["inputs"]["run.mu"], r["rho"] ...
Failures raise qkt.QktError with the program's message.  docs/python.md.
"""
from ._lib import QktError, library_path
from ._model import Model, models
from ._run import (NotConverged, Result, TimeLimitReached, command_keys, program_path, run,
                   to_numpy)

__version__ = "0.1.0"


def _command(name, summary):
    def f(model=None, runfile=None, keys=None, progress=False, **kwargs):
        return run(name, model=model, runfile=runfile, keys=keys, progress=progress, _stacklevel=3,
                   **kwargs)
    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = ("qkt %s: %s.\n\nrun(%r, model, runfile, keys, progress, **kwargs); "
                 "qkt.command_keys(%r) lists the keys." % (name, summary, name, name))
    return f


info = _command("info", "model summary, Weyl nodes with chirality, Fermi pockets")
geometry = _command("geometry", "band energies, velocities, Berry connection and curvature at k-points")
sigma = _command("sigma", "conductivity at orders B^0 and B^1 by path, resistivity, Hall coefficient")
scan = _command("scan", "sigma^(0) (Drude, anomalous Hall) at many chemical potentials")
mc = _command("mc", "quadratic magnetoconductivity sigma^(2) by path, magnetoresistance")
cme = _command("cme", "chiral magnetic current j(B)")
streda = _command("streda", "Hall conductivity from the Streda formula")
pump = _command("pump", "pumping rate between Fermi pockets")
sweep = _command("sweep", "one command over a range of one parameter")

__all__ = ["Model", "models", "QktError", "NotConverged", "TimeLimitReached", "Result", "run",
           "command_keys", "to_numpy", "program_path", "library_path", "info", "geometry",
           "sigma", "scan", "mc", "cme", "streda", "pump", "sweep"]
