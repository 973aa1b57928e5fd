/*
 * fuzz_webhooks.c - libFuzzer target for the outbound webhook pattern
 * grammar and the Slack line.
 *
 * Input: a pattern, then (after the first newline) an event type, then
 * (after the second) an event payload. Holds the code to its contract: the
 * check never reads past the given length; an accepted pattern is NUL-free,
 * at most WEBHOOK_PATTERN_MAX bytes, and matches itself when exact (or its
 * own prefix's children when `x.*`); `*` matches every type; a Slack line is
 * one line with none of Slack's raw control characters coming from input.
 * Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "desk/webhooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t plen = nl ? (size_t)(nl - (const char *)data) : size;
    /* exactly plen bytes on the heap: ASan sees any read past them */
    char *pat = malloc(plen ? plen : 1);
    if (plen) memcpy(pat, data, plen);
    const char *why = NULL;
    int rc = webhook_pattern_check(pat, plen, &why);
    if (rc && !why) abort();
    char *p0 = malloc(plen + 1);
    if (plen) memcpy(p0, data, plen);
    p0[plen] = '\0';
    if (rc == 0) {
        if (plen == 0 || plen > WEBHOOK_PATTERN_MAX || strlen(p0) != plen) abort();
        if (strcmp(p0, "*") == 0) {
            /* matches anything */
        } else if (plen >= 2 && p0[plen - 1] == '*') {
            char child[WEBHOOK_PATTERN_MAX + 8];
            memcpy(child, p0, plen - 1);
            memcpy(child + plen - 1, "x_1", 4);
            if (!webhook_pattern_match(p0, child)) abort();
            child[plen - 2] = '\0'; /* the family itself is not its own child */
            if (webhook_pattern_match(p0, child)) abort();
        } else if (!webhook_pattern_match(p0, p0)) {
            abort();
        }
    }
    /* the rest: an event type and a payload */
    const uint8_t *rest = nl ? (const uint8_t *)nl + 1 : data + size;
    size_t rlen = (size_t)(data + size - rest);
    const char *nl2 = memchr(rest, '\n', rlen);
    size_t tlen = nl2 ? (size_t)(nl2 - (const char *)rest) : rlen;
    char *type = malloc(tlen + 1);
    if (tlen) memcpy(type, rest, tlen);
    type[tlen] = '\0';
    if (!webhook_pattern_match("*", type)) abort();
    (void)webhook_pattern_match(p0, type);
    char *payload = NULL;
    if (nl2) {
        size_t n = rlen - tlen - 1;
        payload = malloc(n + 1);
        memcpy(payload, nl2 + 1, n);
        payload[n] = '\0';
    }
    event_row_t e = {.id = 1,
                     .type = type,
                     .subject_kind = "conversation",
                     .subject_id = 42,
                     .payload = payload ? payload : "{}",
                     .actor_kind = "system"};
    buf_t line;
    buf_init(&line, 0);
    webhook_slack_text(&e, p0, &line);
    const char *s = buf_cstr(&line);
    for (size_t i = 0; i < line.len; i++)
        if (s[i] == '\n' || s[i] == '<' || s[i] == '>') abort();
    buf_free(&line);
    free(payload);
    free(type);
    free(p0);
    free(pat);
    return 0;
}
