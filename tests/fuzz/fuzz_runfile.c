/* fuzz_runfile.c - libFuzzer target for the run-file parser (app/config.c).
 * The input is written to a file and read with qkt_config_read(); then every
 * key found goes through all typed getters (double, vec 3, vec 7, int, bool,
 * string, vec_list 1 and 3), the unknown-key check and the suggestion search.
 * Invariants (a violation aborts, like a crash):
 *   - a failed read returns an error status whose message names the file;
 *   - a key read from the file has a value and an origin "file:line";
 *   - a getter returns QKT_OK or QKT_EINVAL with a message naming the key; a
 *     vec_list success gives count >= 1 numbers that are all finite;
 *   - qkt_config_set("key=value") of a value read back gives the same value.
 * Built by `make fuzz` (tests/fuzz/run.sh); replayed on the corpora by the
 * CTest test test_fuzz_regress. */
#include "fuzz_util.h"
#include "config.h"
#include <math.h>

static int runfile_one(const uint8_t *data, size_t size, char *why, size_t nwhy)
{
    const char *path = fuzz_write(0, "fuzz_run.ini", data, size);
    qkt_config_t *c = qkt_config_alloc();
    if (!c) return fuzz_fail(why, nwhy, "qkt_config_alloc failed");
    qkt_clear_error();
    qkt_status_t s = qkt_config_read(c, path);
    fuzz_last_status = s;
    int bad = 0;
    if (s) {
        if (!fuzz_clean_error(s, fuzz_base(path)))
            bad = fuzz_fail(why, nwhy, "qkt_config_read: status %d, message '%s' does not name the file", (int)s,
                            qkt_strerror());
        qkt_config_free(c);
        return bad;
    }
    static const char *const known[] = {"model.name", "run.mu", "run.T", "run.B", "numerics.reltol", "sigma.order"};
    int n = qkt_config_count(c);
    for (int i = 0; i < n && !bad; i++) {
        const char *key = qkt_config_key_at(c, i);
        const char *val = key ? qkt_config_get(c, key) : NULL;
        const char *org = key ? qkt_config_origin(c, key) : NULL;
        if (!key || !val || !org) {
            bad = fuzz_fail(why, nwhy, "entry %d of %d: key, value or origin missing", i, n);
            break;
        }
        if (!strstr(org, fuzz_base(path))) {
            bad = fuzz_fail(why, nwhy, "key '%s': origin '%s' does not name the file", key, org);
            break;
        }
        double x = 0, v3[3] = {0}, v7[7] = {0}, *list = NULL;
        long l = 0;
        int b = 0, cnt = 0;
        const char *str = NULL;
        qkt_status_t st[8];
        st[0] = qkt_config_double(c, key, &x);
        st[1] = qkt_config_vec(c, key, 3, v3);
        st[2] = qkt_config_vec(c, key, 7, v7);
        st[3] = qkt_config_int(c, key, &l);
        st[4] = qkt_config_bool(c, key, &b);
        st[5] = qkt_config_string(c, key, &str);
        st[6] = qkt_config_vec_list(c, key, 3, &list, &cnt);
        if (!st[6]) {
            if (cnt < 1 || !list) bad = fuzz_fail(why, nwhy, "key '%s': vec_list gave count %d", key, cnt);
            for (int j = 0; j < 3 * cnt && !bad; j++)
                if (!isfinite(list[j])) bad = fuzz_fail(why, nwhy, "key '%s': vec_list item %d not finite", key, j);
            free(list);
            list = NULL;
        }
        st[7] = qkt_config_vec_list(c, key, 1, &list, &cnt);
        if (!st[7]) free(list);
        for (int j = 0; j < 8 && !bad; j++) {
            if (st[j] == QKT_OK) continue;
            if (st[j] != QKT_EINVAL || !fuzz_clean_error(st[j], key))
                bad = fuzz_fail(why, nwhy, "key '%s' getter %d: status %d, message '%s'", key, j, (int)st[j],
                                qkt_strerror());
        }
        if (!bad && !st[0] && !isfinite(x)) bad = fuzz_fail(why, nwhy, "key '%s': double not finite", key);
        if (!bad && (!str || strcmp(str, val) != 0)) bad = fuzz_fail(why, nwhy, "key '%s': string getter", key);
        (void)qkt_config_suggest(key, known, 6);
        /* --set round trip of the value read from the file */
        if (!bad) {
            size_t kl = strlen(key), vl = strlen(val);
            char *as = malloc(kl + vl + 2);
            if (!as) abort();
            memcpy(as, key, kl);
            as[kl] = '=';
            memcpy(as + kl + 1, val, vl + 1);
            char *copy = strdup(val);
            if (!copy) abort();
            qkt_status_t ss = qkt_config_set(c, as);
            const char *got = qkt_config_get(c, key), *o2 = qkt_config_origin(c, key);
            if (ss || !got || strcmp(got, copy) != 0 || !o2 || strcmp(o2, "--set") != 0)
                bad = fuzz_fail(why, nwhy, "--set '%s': status %d (%s), read back '%s'", as, (int)ss,
                                ss ? qkt_strerror() : "", got ? got : "(null)");
            free(copy);
            free(as);
        }
    }
    if (!bad) {
        qkt_status_t ck = qkt_config_check_known(c, known, 6);
        if (ck && (ck != QKT_EINVAL || !fuzz_clean_error(ck, "unknown key")))
            bad = fuzz_fail(why, nwhy, "check_known: status %d, message '%s'", (int)ck, qkt_strerror());
    }
    qkt_config_free(c);
    return bad;
}

#ifndef QKT_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[4096];
    if (runfile_one(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_runfile: invariant violated: %s\n", why);
        abort();
    }
    return 0;
}
#endif
