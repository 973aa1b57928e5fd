/*
 * outbound_ceiling.c - the ceiling for the outbound benchmark: how many
 * sendMessage POSTs libcurl multi completes per second against the same fake
 * (bench/outbound_fake.c), with as many in flight as the delivery worker
 * keeps (its default 32) and the same kind of body. No database, no adapter.
 *
 * usage: outbound_ceiling URL N [IN_FLIGHT]
 * prints: "ceiling: N requests in S s: R requests/s"
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char body[] = "{\"chat_id\":123456789,\"text\":\"ceiling request\"}";

static CURL *request(const char *url, struct curl_slist *hdrs)
{
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(sizeof body - 1));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 20000L);
    return e;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: outbound_ceiling URL N [IN_FLIGHT]\n");
        return 2;
    }
    const char *url = argv[1];
    long n = atol(argv[2]), width = argc > 3 ? atol(argv[3]) : 32;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    long started = 0, finished = 0, failed = 0;
    double t0 = now_s();
    while (finished < n) {
        while (started < n && started - finished < width) {
            curl_multi_add_handle(m, request(url, hdrs));
            started++;
        }
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        long before = finished;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            long status = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200) failed++;
            curl_multi_remove_handle(m, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            finished++;
        }
        /* a finished transfer frees a slot: fill it before waiting */
        if (finished < n && finished == before) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    double took = now_s() - t0;
    printf("ceiling: %ld requests in %.2f s: %.0f requests/s (%ld in flight, %ld failed)\n", n,
           took, (double)n / took, width, failed);
    curl_slist_free_all(hdrs);
    curl_multi_cleanup(m);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
