/*
 * h_web.c - the agent console: GET / (index.html) and GET /assets/{file},
 * served from the files embedded at build time (parley_web, web/ in the
 * source tree; one flat directory, so {file} is one path segment).
 *
 * Every answer carries a strict Content-Security-Policy (scripts, styles and
 * connections from this origin only, no inline script, no framing). Assets
 * are revalidated with a strong ETag (a hash of the bytes and the version),
 * so a browser never runs a stale console after an upgrade and never
 * downloads an unchanged one twice.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "core/blob.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

extern const parley_blob_t parley_web[];
extern const unsigned parley_web_count;

#define WEB_MAX_FILES 64

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                          "object-src 'none'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

static char etags[WEB_MAX_FILES][40];

static void compute_etags(void)
{
    for (unsigned i = 0; i < parley_web_count && i < WEB_MAX_FILES; i++) {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
        const unsigned char *p = (const unsigned char *)parley_web[i].data;
        for (size_t k = 0; k < parley_web[i].len; k++) h = (h ^ p[k]) * 1099511628211ULL;
        for (const char *v = PARLEY_VERSION; *v; v++)
            h = (h ^ (unsigned char)*v) * 1099511628211ULL;
        snprintf(etags[i], sizeof etags[i], "\"%016llx\"", (unsigned long long)h);
    }
}

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext)) return types[i].type;
    return NULL; /* not served: only known kinds of file leave the binary */
}

/* True when the request's If-None-Match names etag (or is "*"). */
static bool not_modified(req_t *r, const char *etag)
{
    const char *inm = http_header(r, "If-None-Match");
    if (!inm) return false;
    if (!strcmp(inm, "*")) return true;
    const char *hit = strstr(inm, etag);
    return hit != NULL;
}

static void serve(req_t *r, const char *name)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, compute_etags);
    const parley_blob_t *b = NULL;
    unsigned idx = 0;
    for (unsigned i = 0; i < parley_web_count && i < WEB_MAX_FILES; i++)
        if (!strcmp(parley_web[i].name, name)) {
            b = &parley_web[i];
            idx = i;
            break;
        }
    const char *type = b ? content_type(name) : NULL;
    if (!type) {
        http_problem(r, 404, "not-found", "Not found",
                     arena_sprintf(&r->arena, "the console has no file named %s", name), NULL);
        return;
    }
    if (not_modified(r, etags[idx]))
        http_reply_raw(r, 304, type, "", 0);
    else
        http_reply_raw(r, 200, type, b->data, b->len);
    /* The reply starts with Cache-Control: no-store; the console may be kept
     * and revalidated instead. */
    MHD_del_response_header(r->resp, "Cache-Control", "no-store");
    http_add_header(r, "Cache-Control", "no-cache");
    http_add_header(r, "ETag", etags[idx]);
    http_add_header(r, "Content-Security-Policy", csp);
    http_add_header(r, "Referrer-Policy", "no-referrer");
    http_add_header(r, "X-Frame-Options", "DENY");
    http_add_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

static void h_index(req_t *r)
{
    serve(r, "index.html");
}

static void h_asset(req_t *r)
{
    str_t f = http_param(r, "file");
    char name[128];
    if (f.len == 0 || f.len >= sizeof name || memchr(f.ptr, '%', f.len) || f.ptr[0] == '.') {
        http_problem(r, 404, "not-found", "Not found", "the console has no such file", NULL);
        return;
    }
    memcpy(name, f.ptr, f.len);
    name[f.len] = '\0';
    serve(r, name);
}

static const route_t routes[] = {
    {"GET", "/", PERM_PUBLIC, h_index},
    {"GET", "/assets/{file}", PERM_PUBLIC, h_asset},
};
const route_table_t web_route_table = ROUTE_TABLE(routes);
