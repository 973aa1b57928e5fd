/*
 * fuzz_form.c - libFuzzer target for the form decoder (src/channels/form.c).
 *
 * Decodes arbitrary bytes as application/x-www-form-urlencoded and checks the
 * contract: pairs in bounds, decoded strings NUL-terminated and never longer
 * than their source, lookups consistent, and every decoded component
 * surviving a percent-encode/decode round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/common.h"
#include "channels/form.h"

static void round_trip(str_t s)
{
    buf_t b;
    buf_init(&b, 0);
    ch__pct_encode(&b, s.ptr, s.len);
    char *back = malloc(b.len + 1);
    size_t n;
    if (!back || !form_decode(buf_cstr(&b), b.len, back, &n)) abort();
    if (n != s.len || (n && memcmp(back, s.ptr, n) != 0)) abort();
    free(back);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);
    arena_t a;
    arena_init(&a, 0);
    form_t f;
    int rc = form_parse((str_t){text, size}, &a, &f, NULL);
    if (rc == 0) {
        if (f.n > FORM_MAX_PAIRS || f.n > size) abort();
        size_t total = 0;
        for (size_t i = 0; i < f.n; i++) {
            const form_pair_t *p = &f.pairs[i];
            if (p->name.ptr[p->name.len] != '\0' || p->value.ptr[p->value.len] != '\0') abort();
            total += p->name.len + p->value.len;
            round_trip(p->name);
            round_trip(p->value);
            /* a lookup by a NUL-free name finds that name's first value */
            if (!memchr(p->name.ptr, '\0', p->name.len) && !form_get(&f, p->name.ptr)) abort();
        }
        if (total > size) abort();
    } else if (rc != PARLEY_EINVAL && rc != PARLEY_ELIMIT) {
        abort();
    }
    arena_free(&a);
    free(text);
    return 0;
}
