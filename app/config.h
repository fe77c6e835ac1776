/* config.h - run files of the command-line program (app/config.c): "key = value"
 * lines in [section]s, --set overrides, typed getters naming file:line in every
 * error, the unknown-key check with a suggestion.  Not part of the library
 * (include/qkt.h): only the program (app/) and its tests use it; it reports
 * through the library's status codes and message (qkt_error, qkt_strerror). */
#ifndef QKT_CONFIG_H
#define QKT_CONFIG_H
#include "qkt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qkt_config qkt_config_t;

/* Bounds of one run file (docs/cli.md, "Input bounds: run files"): beyond
 * them qkt_config_read fails with QKT_ENOMEM naming the file (and line)
 * before memory grows.  Reading is linear in the file's size. */
/* longest section name: libinih keeps 49 characters (INI_MAX_SECTION 50) */
#define QKT_CONFIG_MAX_SECTION_NAME 49
#define QKT_CONFIG_MAX_BYTES ((size_t)256 << 20)  /* the whole file */
#define QKT_CONFIG_MAX_LINE ((size_t)64 << 20)    /* one line, without its end */
#define QKT_CONFIG_MAX_KEYS (1L << 20)            /* distinct keys */
#define QKT_CONFIG_MAX_SECTIONS (1L << 20)        /* [section] lines */
typedef struct {
    size_t max_bytes, max_line;
    long max_keys, max_sections;
} qkt_config_bounds_t;

qkt_config_t *qkt_config_alloc(void);
void qkt_config_free(qkt_config_t *c);
/* Replace the bounds of later reads (tests use small ones). */
void qkt_config_set_bounds(qkt_config_t *c, const qkt_config_bounds_t *b);
/* Read "key = value" lines; [section] prefixes following keys "section.key".
 * Later assignments override earlier ones.  Errors name file and line.  A
 * regular file or a pipe with a writer is read; a device, directory, socket
 * or a FIFO without a writer is refused (QKT_EIO), never waited on; a NUL
 * byte is QKT_EFORMAT naming the line. */
qkt_status_t qkt_config_read(qkt_config_t *c, const char *path);
/* Apply one "key=value" override (command line --set). */
qkt_status_t qkt_config_set(qkt_config_t *c, const char *assignment);
/* Raw value or NULL. */
const char *qkt_config_get(const qkt_config_t *c, const char *key);
/* Where a key was set: "file:line", "--set" or "default"; NULL if unset. */
const char *qkt_config_origin(const qkt_config_t *c, const char *key);
/* Typed getters: keep *out (the default) when the key is absent; error naming
 * the key and its origin when the value is malformed or not finite. */
qkt_status_t qkt_config_double(const qkt_config_t *c, const char *key, double *out);
qkt_status_t qkt_config_vec(const qkt_config_t *c, const char *key, int n, double *out);
qkt_status_t qkt_config_int(const qkt_config_t *c, const char *key, long *out);
qkt_status_t qkt_config_string(const qkt_config_t *c, const char *key, const char **out);
/* Every key set must be in the known list; otherwise an error naming the
 * unknown key, its origin and the closest known key. */
qkt_status_t qkt_config_check_known(const qkt_config_t *c, const char *const *known,
                                    int nknown);
int qkt_config_count(const qkt_config_t *c);
const char *qkt_config_key_at(const qkt_config_t *c, int i);
/* Boolean value: true/false, yes/no, on/off, 1/0 (any case). */
qkt_status_t qkt_config_bool(const qkt_config_t *c, const char *key, int *out);
/* List of n-vectors separated by ';' ("0 0 1; 0 0 2").  On success *out is a
 * malloc'ed array of *count * n numbers (free() it); absent key: unchanged. */
qkt_status_t qkt_config_vec_list(const qkt_config_t *c, const char *key, int n, double **out,
                                 int *count);
/* Set key to value with origin "default", unless the key is already set. */
qkt_status_t qkt_config_set_default(qkt_config_t *c, const char *key, const char *value);
/* The same with another origin than "default" (e.g. "fermi_energy of X.win"). */
qkt_status_t qkt_config_set_default_from(qkt_config_t *c, const char *key, const char *value, const char *origin);
/* The entry of list closest to word (edit distance, case-insensitive; a key
 * with the same name in another section counts as close), or NULL if none
 * is close enough to suggest. */
const char *qkt_config_suggest(const char *word, const char *const *list, int n);

#ifdef __cplusplus
}
#endif
#endif
