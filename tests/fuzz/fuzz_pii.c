/*
 * fuzz_pii.c - libFuzzer target for the PII detector and redactor.
 *
 * Scans arbitrary bytes with and without account keywords, checks the span
 * contract (in bounds, non-empty, ordered, disjoint, count consistent with the
 * capacity) and redacts with a full and with a truncated buffer, checking the
 * snprintf-like length contract. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/pii.h"

#define FUZZ_MAX_SPANS 256

static void check_spans(const pii_span_t *s, size_t n, size_t len)
{
    uint32_t prev_end = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].start >= s[i].end || s[i].end > len || s[i].start < prev_end) abort();
        if ((int)s[i].kind < 0 || (int)s[i].kind >= PII_KIND_COUNT) abort();
        prev_end = s[i].end;
    }
}

static void check_redact(const char *text, size_t len, const pii_span_t *s, size_t n)
{
    size_t need = pii_redact(text, len, s, n, NULL, 0);
    char *full = malloc(need + 1);
    if (!full) abort();
    if (pii_redact(text, len, s, n, full, need + 1) != need) abort();
    if (full[need] != '\0') abort();
    size_t cap = need / 2 + 1;
    char *part = malloc(cap);
    if (!part) abort();
    if (pii_redact(text, len, s, n, part, cap) != need) abort();
    if (part[cap - 1] != '\0' || memcmp(part, full, cap - 1) != 0) abort();
    free(part);
    free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keywords[] = {"account", "order", "acct", "member id"};
    const pii_config_t cfg = {keywords, 4};
    /* an exact-size copy so ASan catches any read past len */
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);

    pii_span_t spans[FUZZ_MAX_SPANS];
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pii_scan(pass ? &cfg : NULL, text, size, spans, FUZZ_MAX_SPANS);
        size_t kept = n < FUZZ_MAX_SPANS ? n : FUZZ_MAX_SPANS;
        check_spans(spans, kept, size);
        if (pii_scan(pass ? &cfg : NULL, text, size, NULL, 0) != n) abort();
        if (n > 0) {
            pii_span_t one;
            if (pii_scan(pass ? &cfg : NULL, text, size, &one, 1) != n) abort();
            if (memcmp(&one, &spans[0], sizeof one) != 0) abort();
        }
        check_redact(text, size, spans, kept);
    }
    free(text);
    return 0;
}
