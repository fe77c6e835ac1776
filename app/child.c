/* child.c - runs of this program as child processes (sweep, run): spawn
 * /proc/self/exe with arguments, capture its JSON output, read fields. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"

/* run the child, capture stdout; returns exit status or -1 */
int qkt_run_child(char *const *argv, char **out, size_t *outlen)
{
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(fd[1]);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (n + 4096 > cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t k = read(fd[0], buf + n, cap - n - 1);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!buf) return -1;
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const cJSON *qkt_json_path(const cJSON *root, const char *path)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", path);
    const cJSON *node = root;
    for (char *tok = strtok(tmp, "."); tok && node; tok = strtok(NULL, ".")) node = cJSON_GetObjectItemCaseSensitive(node, tok);
    return node;
}


void qkt_mkdirs_for(const char *prefix)
{
    char d[4096];
    snprintf(d, sizeof d, "%s", prefix);
    char *slash = strrchr(d, '/');
    if (!slash) return;
    *slash = '\0';
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(d, 0777);
            *p = '/';
        }
    mkdir(d, 0777);
}
