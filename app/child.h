/* child.h - child runs of the qkt program and small file helpers for the
 * commands that drive other commands (sweep, run). */
#ifndef QKT_CHILD_H
#define QKT_CHILD_H
#include <stddef.h>
#include "cli.h"

/* Run /proc/self/exe with argv (NULL-terminated); its stdout is returned in a
 * malloc'ed *out.  Returns the exit status, or -1 when it could not run. */
int qkt_run_child(char *const *argv, char **out, size_t *outlen);
/* Field at a dotted path ("weyl.C") under a JSON object, or NULL. */
const cJSON *qkt_json_path(const cJSON *root, const char *path);
/* Create the folders of a path prefix ("out/fig3" -> "out"). */
void qkt_mkdirs_for(const char *prefix);
#endif
