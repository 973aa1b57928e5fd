/*
 * ingest_load.c - load generator for signed ingest through an `api` inbox.
 *
 * usage: ingest_load PORT INBOX_ID HMAC_SECRET N [CONNECTIONS] [CORPUS.tsv]
 *
 * Builds N unique requests before the clock starts (POST
 * /api/v1/inboxes/{id}/messages, a new message id and a new customer each, the
 * body a text of the corpus, X-Parley-Signature: sha256=<hex HMAC-SHA256 of
 * the raw body>), then CONNECTIONS threads (default 64) each hold one
 * keep-alive HTTP/1.1 connection to 127.0.0.1:PORT and send requests one at a
 * time, taking the next unsent one from a shared counter. Every answer must be
 * 201 (stored; Parley answers after the commit). Prints messages/s and the
 * latency percentiles; exit 1 when any answer was not 201.
 */
#include "core/crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char *data;
    size_t len;
} req_t;

static req_t *reqs;
static double *lat_ms;
static long n_reqs;
static int port;
static _Atomic long next_req, n_ok, n_bad;
static _Atomic int first_bad_status;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_local(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads one response; returns its status (0 on a broken connection). */
static int read_response(int fd, char *buf, size_t cap, bool *closes)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= cap) return 0;
        ssize_t r = recv(fd, buf + have, cap - 1 - have, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        have += (size_t)r;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return 0;
    size_t head = (size_t)(end + 4 - buf), clen = 0;
    for (char *p = buf; p < end; p = strstr(p, "\r\n") + 2) {
        if (!strncasecmp(p, "Content-Length:", 15)) clen = strtoul(p + 15, NULL, 10);
        if (!strncasecmp(p, "Connection: close", 17)) *closes = true;
    }
    size_t body = have - head;
    while (body < clen) {
        ssize_t r = recv(fd, buf, cap - 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        body += (size_t)r;
    }
    return status;
}

static void *worker(void *arg)
{
    (void)arg;
    char *buf = malloc(65536);
    int fd = -1;
    for (;;) {
        long i = atomic_fetch_add(&next_req, 1);
        if (i >= n_reqs) break;
        int status = 0;
        double t0 = now_s();
        for (int attempt = 0; attempt < 2 && !status; attempt++) {
            if (fd < 0 && (fd = connect_local()) < 0) break;
            bool closes = false;
            if (send_all(fd, reqs[i].data, reqs[i].len))
                status = read_response(fd, buf, 65536, &closes);
            if (!status || closes) {
                close(fd);
                fd = -1;
            }
        }
        lat_ms[i] = (now_s() - t0) * 1000.0;
        if (status == 201) {
            atomic_fetch_add(&n_ok, 1);
        } else {
            atomic_fetch_add(&n_bad, 1);
            int zero = 0;
            atomic_compare_exchange_strong(&first_bad_status, &zero, status ? status : -1);
        }
    }
    if (fd >= 0) close(fd);
    free(buf);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* JSON string body text: the corpus has no control characters but may hold quotes. */
static void json_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr,
                "usage: ingest_load PORT INBOX_ID HMAC_SECRET N [CONNECTIONS] [CORPUS.tsv]\n");
        return 2;
    }
    port = atoi(argv[1]);
    long inbox = atol(argv[2]);
    const char *secret = argv[3];
    n_reqs = atol(argv[4]);
    int conns = argc > 5 ? atoi(argv[5]) : 64;
    if (n_reqs <= 0 || conns <= 0 || crypto_init()) return 2;

    /* bodies: the corpus texts, or a fixed sentence */
    char **texts = NULL;
    int n_texts = 0;
    if (argc > 6) {
        FILE *f = fopen(argv[6], "r");
        if (!f) {
            fprintf(stderr, "ingest_load: cannot open %s\n", argv[6]);
            return 2;
        }
        char line[8192];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\t\r\n")] = '\0';
            if (!line[0] || line[0] == '#') continue;
            texts = realloc(texts, sizeof *texts * (size_t)(n_texts + 1));
            char esc[16384];
            json_escape(line, esc, sizeof esc);
            texts[n_texts++] = strdup(esc);
        }
        fclose(f);
    }
    reqs = calloc((size_t)n_reqs, sizeof *reqs);
    lat_ms = calloc((size_t)n_reqs, sizeof *lat_ms);
    char run[32];
    snprintf(run, sizeof run, "%lx%x", (long)time(NULL), (unsigned)getpid());
    for (long i = 0; i < n_reqs; i++) {
        char body[20000];
        int bl = snprintf(body, sizeof body,
                          "{\"id\":\"load-%s-%ld\",\"contact\":{\"id\":\"lc-%s-%ld\","
                          "\"name\":\"Load Customer %ld\",\"handle\":\"@load%ld\"},"
                          "\"body\":\"%s\"}",
                          run, i, run, i, i, i,
                          n_texts ? texts[i % n_texts] : "My order never arrived, where is it?");
        uint8_t mac[32];
        char hex[65];
        crypto_hmac_sha256(secret, strlen(secret), body, (size_t)bl, mac);
        crypto_hex(mac, sizeof mac, hex);
        size_t cap = (size_t)bl + 512;
        reqs[i].data = malloc(cap);
        reqs[i].len = (size_t)snprintf(reqs[i].data, cap,
                                       "POST /api/v1/inboxes/%ld/messages HTTP/1.1\r\n"
                                       "Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                                       "X-Parley-Signature: sha256=%s\r\nContent-Length: %d\r\n"
                                       "\r\n%s",
                                       inbox, port, hex, bl, body);
    }
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    double t0 = now_s();
    for (int i = 0; i < conns; i++) pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    qsort(lat_ms, (size_t)n_reqs, sizeof *lat_ms, cmp_d);
#define PCT(p) lat_ms[(size_t)((double)(n_reqs - 1) * (p) / 100.0)]
    printf("ingest: %ld messages over %d connections in %.2f s: %.0f messages/s, "
           "p50 %.2f ms p99 %.2f ms, %ld stored (201), %ld failed",
           n_reqs, conns, secs, (double)n_ok / secs, PCT(50), PCT(99), (long)n_ok, (long)n_bad);
    if (n_bad) printf(" (first status %d)", (int)first_bad_status);
    printf("\n");
    for (long i = 0; i < n_reqs; i++) free(reqs[i].data);
    for (int i = 0; i < n_texts; i++) free(texts[i]);
    free(texts);
    free(reqs);
    free(lat_ms);
    free(th);
    return n_bad ? 1 : 0;
}
