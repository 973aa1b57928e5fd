/*
 * router.c - matching a request against the route table.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Matches path against pattern segment by segment; captures {name} segments. */
static bool match_pattern(const char *pattern, const char *path, size_t path_len, req_t *r)
{
    const char *p = pattern, *u = path, *end = path + path_len;
    int n = 0;
    while (*p && u < end) {
        if (*p != '/' || *u != '/') return false;
        p++, u++;
        const char *pseg_end = strchr(p, '/');
        if (!pseg_end) pseg_end = p + strlen(p);
        const char *useg_end = memchr(u, '/', (size_t)(end - u));
        if (!useg_end) useg_end = end;
        size_t plen = (size_t)(pseg_end - p), ulen = (size_t)(useg_end - u);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (ulen == 0 || n >= HTTP_MAX_PARAMS) return false;
            if (r) {
                r->param_names[n] = (str_t){p + 1, plen - 2};
                r->params[n] = (str_t){u, ulen};
            }
            n++;
        } else if (plen != ulen || memcmp(p, u, plen) != 0) {
            return false;
        }
        p = pseg_end;
        u = useg_end;
    }
    if (*p || u != end) return false;
    if (r) r->n_params = n;
    return true;
}

route_result_t router_match(const route_t *routes, size_t n, const char *method, const char *path,
                            size_t path_len, req_t *r, int *index)
{
    bool path_seen = false;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t i = 0; i < n; i++) {
        if (!match_pattern(routes[i].pattern, path, path_len, NULL)) continue;
        path_seen = true;
        if (strcmp(routes[i].method, m) != 0) continue;
        match_pattern(routes[i].pattern, path, path_len, r);
        *index = (int)i;
        return ROUTE_FOUND;
    }
    *index = -1;
    return path_seen ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}

void router_allowed(const route_t *routes, size_t n, const char *path, size_t path_len, char *out,
                    size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!match_pattern(routes[i].pattern, path, path_len, NULL)) continue;
        int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", routes[i].method);
        if (w < 0 || (size_t)w >= cap - o) break;
        o += (size_t)w;
    }
}
