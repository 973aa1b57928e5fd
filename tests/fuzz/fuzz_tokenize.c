/*
 * fuzz_tokenize.c - libFuzzer target for tok_split() and tok_fold().
 *
 * Checks that tokens lie inside the input, in order and without overlap, that
 * the count does not depend on the output capacity, and that folding never
 * overruns its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tok_t toks[256];
    const char *text = (const char *)data;
    size_t n = tok_split(text, size, toks, 256);
    if (tok_split(text, size, NULL, 0) != n) abort();
    size_t shown = n < 256 ? n : 256, prev_end = 0;
    for (size_t i = 0; i < shown; i++) {
        size_t s = toks[i].start, e = s + toks[i].len;
        if (toks[i].len == 0 || s < prev_end || e > size || toks[i].kind > TOK_PUNCT) abort();
        prev_end = e;
        char buf[64];
        size_t f = tok_fold(text + s, toks[i].len, buf, sizeof buf);
        if (f != (size_t)-1 && strlen(buf) > f) abort();
    }
    return 0;
}
