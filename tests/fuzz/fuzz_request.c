/*
 * fuzz_request.c - request body and query parsing: bounded JSON parsing,
 * every field reader, RFC 3339 times and integer cursors.
 */
#include "core/clock.h"
#include "core/json.h"
#include "core/str.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_limits_t lim = {.max_depth = 8, .max_string = 256};
    parley_err_t err;
    json_t *v = NULL;
    if (json_parse_limited((const char *)data, size, &lim, &v, &err) == 0) {
        static const char *const allowed[] = {"email", "password", "name", "role", NULL};
        static const char *const roles[] = {"admin", "agent", NULL};
        json_check_t c = {0};
        json_check_known(&c, v, allowed);
        json_get_string(&c, v, "email", true, 1, 254);
        json_get_int(&c, v, "capacity", false, 1, 1000, 10);
        json_get_bool(&c, v, "b", false);
        json_get_enum(&c, v, "role", false, roles);
        buf_t b;
        buf_init(&b, 0);
        json_dump_to(&b, v);
        buf_free(&b);
        json_check_free(&c);
        json_decref(v);
    }
    /* The same bytes as a query value: a time and a cursor. */
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t ms;
    clock_parse_iso(s, &ms);
    long long n;
    str_to_i64((str_t){s, size}, &n);
    free(s);
    return 0;
}
