/*
 * outbound_fake.c - a fast fake of Telegram's sendMessage for the outbound
 * benchmark: libmicrohttpd, same threading as the HTTP ceiling (internal
 * epoll thread pool, one thread per core). Every POST is answered 200 with a
 * sendMessage result carrying a unique message_id; its arrival time
 * (CLOCK_MONOTONIC, comparable across processes) is kept with the number that
 * follows "bench " in the body (-1 when there is none).
 *
 * usage: outbound_fake PORT
 *   GET /count  -> "N\n" requests received so far
 *   GET /dump   -> one "tag ns" line per request received
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS (1 << 21)

typedef struct {
    long long tag;
    int64_t ns;
} record_t;

static record_t *records;
static atomic_long n_records;
static atomic_long next_id = 100000;

typedef struct {
    char head[512]; /* the first bytes of the body: the tag is near the start */
    size_t len;
} upload_t;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *text, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result get(struct MHD_Connection *c, const char *url)
{
    long n = atomic_load(&n_records);
    if (n > MAX_RECORDS) n = MAX_RECORDS;
    if (!strcmp(url, "/count")) {
        char *t = malloc(32);
        int k = snprintf(t, 32, "%ld\n", n);
        return reply(c, 200, t, (size_t)k);
    }
    if (!strcmp(url, "/dump")) {
        size_t cap = (size_t)n * 48 + 1, len = 0;
        char *t = malloc(cap);
        for (long i = 0; i < n; i++)
            len += (size_t)snprintf(t + len, cap - len, "%lld %lld\n", records[i].tag,
                                    (long long)records[i].ns);
        return reply(c, 200, t, len);
    }
    return reply(c, 404, strdup("{}"), 2);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **state)
{
    (void)cls;
    (void)version;
    if (strcmp(method, "POST") != 0) return get(c, url);
    upload_t *u = *state;
    if (!u) {
        *state = calloc(1, sizeof *u);
        return MHD_YES;
    }
    if (*data_size) {
        size_t k = *data_size;
        if (k > sizeof u->head - 1 - u->len) k = sizeof u->head - 1 - u->len;
        memcpy(u->head + u->len, data, k);
        u->len += k;
        *data_size = 0;
        return MHD_YES;
    }
    int64_t now = mono_ns();
    u->head[u->len] = 0;
    const char *b = strstr(u->head, "bench ");
    long i = atomic_fetch_add(&n_records, 1);
    if (i < MAX_RECORDS) records[i] = (record_t){.tag = b ? atoll(b + 6) : -1, .ns = now};
    long id = atomic_fetch_add(&next_id, 1);
    char *t = malloc(160);
    int k = snprintf(t, 160,
                     "{\"ok\":true,\"result\":{\"message_id\":%ld,\"date\":1764000800,"
                     "\"chat\":{\"id\":1,\"type\":\"private\"}}}",
                     id);
    return reply(c, 200, t, (size_t)k);
}

static void done(void *cls, struct MHD_Connection *c, void **state,
                 enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    free(*state);
    *state = NULL;
}

int main(int argc, char **argv)
{
    unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 8091;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    records = calloc(MAX_RECORDS, sizeof *records);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL, answer, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cores > 0 ? cores : 1), MHD_OPTION_CONNECTION_LIMIT,
        1024u, MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
    if (!d || !records) {
        fprintf(stderr, "outbound_fake: cannot listen on %u\n", port);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    free(records);
    return 0;
}
