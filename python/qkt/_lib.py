"""ctypes bindings of libqkt.so: models, H(k) and band geometry in this process.

The layouts mirrored here are those of include/qkt.h.  qkt_wannier_opts_t is
checked against the library's own sizeof at load time; the prefixes of
struct qkt_model and qkt_bands_t are checked by the package's tests against
the program's output (tests/python/test_qkt.py).
"""
import ctypes as C
import os

from . import _build


class QktError(RuntimeError):
    """A failure reported by the library or the program.

    message: the library's text (naming the file, line or key at fault);
    status: its status name ("EINVAL", "EIO", ...); code: the status number,
    equal to the program's exit code."""

    STATUS = {2: "EINVAL", 3: "EIO", 4: "EFORMAT", 5: "ENOMEM", 6: "ENUM", 7: "ENOCONV",
              8: "EPHYS", 9: "TIMEOUT", 1: "INTERNAL"}

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = self.STATUS.get(code, str(code))


def library_path():
    """The libqkt.so of this package: $QKT_LIB, else the one it was built with."""
    return os.environ.get("QKT_LIB") or _build.LIBRARY


_lib = C.CDLL(library_path())

_c_double_p = C.POINTER(C.c_double)


class ParamInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("ncomp", C.c_int), ("default", C.c_double * 3),
                ("unit", C.c_char_p), ("doc", C.c_char_p)]


class ModelInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("summary", C.c_char_p), ("reference", C.c_char_p),
                ("nparams", C.c_int), ("params", C.POINTER(ParamInfo)),
                ("setup", C.c_void_p), ("weyl", C.c_void_p)]


class ModelHead(C.Structure):
    """The leading fields of struct qkt_model (include/qkt.h)."""
    _fields_ = [("info", C.POINTER(ModelInfo)), ("nb", C.c_int), ("dim", C.c_int),
                ("periodic", C.c_int), ("units", C.c_int), ("avec", (C.c_double * 3) * 3),
                ("bvec", (C.c_double * 3) * 3), ("cell_volume", C.c_double), ("kcut", C.c_double)]


class BandsHead(C.Structure):
    """The leading fields of qkt_bands_t (include/qkt.h)."""
    _fields_ = [("nb", C.c_int), ("k", C.c_double * 3), ("eps", _c_double_p),
                ("U", _c_double_p), ("Hk", _c_double_p), ("v", _c_double_p * 3),
                ("R", _c_double_p * 3), ("Omega", _c_double_p)]


class WannierOpts(C.Structure):
    _fields_ = [("path", C.c_char_p), ("wsvec_path", C.c_char_p), ("use_position", C.c_int),
                ("hermitize_position", C.c_int), ("avec", (C.c_double * 3) * 3),
                ("have_avec", C.c_int), ("herm_tol", C.c_double), ("max_bytes", C.c_size_t),
                ("spin_degeneracy", C.c_double)]


_model_p = C.POINTER(ModelHead)
_bands_p = C.POINTER(BandsHead)


def _proto(name, res, *args):
    f = getattr(_lib, name)
    f.restype = res
    f.argtypes = list(args)
    return f


strerror = _proto("qkt_strerror", C.c_char_p)
clear_error = _proto("qkt_clear_error", None)
model_count = _proto("qkt_model_count", C.c_int)
model_info_at = _proto("qkt_model_info_at", C.POINTER(ModelInfo), C.c_int)
model_alloc = _proto("qkt_model_alloc", _model_p, C.c_char_p)
model_set = _proto("qkt_model_set", C.c_int, _model_p, C.c_char_p, _c_double_p, C.c_int)
model_setup = _proto("qkt_model_setup", C.c_int, _model_p)
model_free = _proto("qkt_model_free", None, _model_p)
model_hk = _proto("qkt_model_hk", C.c_int, _model_p, _c_double_p, C.c_int, _c_double_p)
wannier_opts_default = _proto("qkt_wannier_opts_default", None, C.POINTER(WannierOpts))
wannier_opts_sizeof = _proto("qkt_wannier_opts_sizeof", C.c_size_t)
wannier_load = _proto("qkt_wannier_load", C.c_int, C.POINTER(WannierOpts), C.POINTER(_model_p))
wannier_from_arrays = _proto("qkt_wannier_from_arrays", C.c_int, C.c_int, C.c_int,
                             C.POINTER(C.c_int), C.POINTER(C.c_int), _c_double_p, _c_double_p,
                             _c_double_p, C.POINTER(WannierOpts), C.c_char_p,
                             C.POINTER(_model_p))
wannier_write = _proto("qkt_wannier_write", C.c_int, _model_p, C.c_char_p, C.c_int)
wannier_nrpts = _proto("qkt_wannier_nrpts", C.c_int, _model_p)
bands_alloc = _proto("qkt_bands_alloc", _bands_p, C.c_int)
bands_free = _proto("qkt_bands_free", None, _bands_p)
bands_compute = _proto("qkt_bands_compute", C.c_int, _bands_p, _model_p, _c_double_p, C.c_int)

if wannier_opts_sizeof() != C.sizeof(WannierOpts):
    raise ImportError("qkt: %s has another qkt_wannier_opts_t (%d bytes, bindings %d): "
                      "package and library of different versions" %
                      (library_path(), wannier_opts_sizeof(), C.sizeof(WannierOpts)))


def check(status):
    """Raise QktError with the library's message for a failed call."""
    if status != 0:
        msg = strerror().decode("utf-8", "replace")
        clear_error()
        raise QktError(msg or "qkt: status %d" % status, status)
