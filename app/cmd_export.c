/* cmd_export.c - `qkt export`: write the model of the run file as a Wannier90
 * tight-binding file (_hr.dat or _tb.dat, optionally gzip-compressed), so that
 * a lattice model can be read back by qkt or used by Wannier90-based tools.  A
 * Wannier model is written exactly; other periodic models are Fourier
 * transformed on the smallest mesh that reproduces H(k) (docs/wannier.md). */
#include <string.h>
#include "cli.h"

static const qkt_key_t keys[] = {
    {"export.file", NULL, "-", "output file: name ending in _hr.dat or _tb.dat (.gz: compressed) (required)"},
    {"export.format", "auto", "-", "hr, tb, or auto (from the file name; _tb.dat carries the lattice vectors "
                                   "and the position matrix)"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Writes the model as a Wannier90 3.x tight-binding file: _hr.dat (H(R) in eV) or\n"
    "_tb.dat (lattice vectors, H(R) and the position matrix <0m|r|Rn>).  The file is\n"
    "written to a temporary name and renamed, so a failed export leaves nothing.\n"
    "Continuum models (weyl4, node, ...) have no lattice and cannot be exported.\n"
    "\n"
    "Example:\n"
    "  [model]\n  name = lattice_weyl\n  [export]\n  file = lattice_weyl_tb.dat\n";

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    const char *file = NULL, *fmt = NULL;
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_string(cli, "export.file", &file)) ||
        (s = qkt_cli_string(cli, "export.format", &fmt)))
        return qkt_cli_fail(cli, s);
    if (!m->periodic)
        return qkt_cli_failf(cli, QKT_EINVAL, "model %s is a continuum model: only lattice (periodic) models can be "
                                              "exported", m->info ? m->info->name : "?");
    int tb;
    if (!strcmp(fmt, "hr")) tb = 0;
    else if (!strcmp(fmt, "tb")) tb = 1;
    else if (!strcmp(fmt, "auto")) {
        if (ends_with(file, "_tb.dat") || ends_with(file, "_tb.dat.gz")) tb = 1;
        else if (ends_with(file, "_hr.dat") || ends_with(file, "_hr.dat.gz")) tb = 0;
        else
            return qkt_cli_failf(cli, QKT_EINVAL, "%s: cannot tell the format from '%s' (name it *_hr.dat or *_tb.dat, "
                                                  "or set export.format = hr or tb)",
                                 qkt_cli_where(cli, "export.file"), file);
    } else
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: hr, tb or auto, got '%s'", qkt_cli_where(cli, "export.format"), fmt);
    if ((s = qkt_wannier_write(m, file, tb))) return qkt_cli_fail(cli, s);
    qkt_out_string(cli, "file", file);
    qkt_out_string(cli, "format", tb ? "tb" : "hr");
    qkt_out_int(cli, "orbitals", m->nb);
    return 0;
}

const qkt_command_t qkt_cmd_export = {"export", "write a lattice model as a Wannier90 _hr.dat/_tb.dat file", help,
                                      keys, run, 0};
