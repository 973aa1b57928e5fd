/*
 * test_core.c - arena, views and buffers, JSON limits and field checks,
 * config precedence, the clock, crypto helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cleanups_run;
static void count_cleanup(void *p)
{
    cleanups_run += *(int *)p;
}

static void test_arena(void **state)
{
    arena_t a;
    arena_init(&a, 128);
    char *s = arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    /* A block larger than the chunk still works and keeps the chunk usable. */
    char *big = arena_alloc(&a, 10000);
    memset(big, 'x', 10000);
    char *t = arena_sprintf(&a, "%d-%s", 42, "x");
    assert_string_equal(t, "42-x");
    for (int i = 0; i < 1000; i++) {
        int *p = arena_alloc(&a, sizeof(int));
        *p = i;
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    }
    int one = 1, two = 2;
    cleanups_run = 0;
    arena_defer(&a, count_cleanup, &one);
    arena_defer(&a, count_cleanup, &two);
    arena_free(&a);
    assert_int_equal(cleanups_run, 3);
    assert_null(a.head);
}

static void test_str(void **state)
{
    str_t s = STR_LIT("a=b=c"), head;
    assert_true(str_split_at(&s, '=', &head));
    assert_true(str_eq_cstr(head, "a"));
    assert_true(str_eq_cstr(s, "b=c"));
    assert_false(str_split_at(&s, '#', &head));
    assert_true(str_eq_cstr(head, "b=c"));
    assert_int_equal(s.len, 0);
    assert_true(str_eq_cstr(str_trim(STR_LIT("  x y \n")), "x y"));
    assert_true(str_ieq(STR_LIT("Bearer"), STR_LIT("bEARER")));
    long long v;
    assert_true(str_to_i64(STR_LIT("-9223372036854775808"), &v));
    assert_true(v == INT64_MIN);
    assert_false(str_to_i64(STR_LIT("9223372036854775808"), &v));
    assert_false(str_to_i64(STR_LIT("12a"), &v));
    assert_false(str_to_i64(STR_LIT(""), &v));
    assert_false(str_to_i64(STR_LIT("-"), &v));
}

static void test_buf_limit(void **state)
{
    buf_t b;
    buf_init(&b, 10);
    buf_puts(&b, "12345");
    buf_printf(&b, "%d", 678);
    assert_string_equal(buf_cstr(&b), "12345678");
    assert_false(b.overflow);
    buf_puts(&b, "abc"); /* would pass 10 */
    assert_true(b.overflow);
    buf_puts(&b, "z"); /* sticky: nothing more is written */
    assert_string_equal(buf_cstr(&b), "12345678");
    buf_free(&b);
    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++) buf_printf(&b, "%04d", i);
    assert_int_equal(b.len, 4000);
    buf_free(&b);
}

static void test_json_limits(void **state)
{
    json_t *v;
    parley_err_t err = {0};
    json_limits_t lim = {.max_depth = 3, .max_string = 5};
    assert_int_equal(json_parse_limited("{\"a\":{\"b\":[1]}}", 15, &lim, &v, &err), 0);
    json_decref(v);
    assert_int_equal(json_parse_limited("{\"a\":{\"b\":[[1]]}}", 17, &lim, &v, &err),
                     PARLEY_ELIMIT);
    assert_null(v);
    /* brackets inside strings do not count */
    assert_int_equal(json_parse_limited("{\"a\":\"[[[[\"}", 12, &lim, &v, &err), 0);
    json_decref(v);
    assert_int_equal(json_parse_limited("{\"a\":\"toolong\"}", 15, &lim, &v, &err), PARLEY_ELIMIT);
    assert_int_equal(json_parse_limited("{\"a\":", 5, &lim, &v, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.msg, "malformed JSON"));
    assert_int_equal(json_parse_limited("[1]", 3, &lim, &v, &err), PARLEY_EINVAL);
    assert_int_equal(json_parse_limited("{\"a\":1,\"a\":2}", 13, &lim, &v, &err), PARLEY_EINVAL);
    assert_int_equal(json_parse_limited("", 0, &lim, &v, &err), PARLEY_EINVAL);
}

static void test_json_fields(void **state)
{
    json_t *o = json_loads("{\"name\":\"x\",\"n\":\"7\",\"b\":1,\"role\":\"boss\",\"extra\":1,"
                           "\"a/b\":null}",
                           0, NULL);
    static const char *const allowed[] = {"name", "n", "b", "role", "a/b", NULL};
    static const char *const roles[] = {"admin", "agent", NULL};
    json_check_t c = {0};
    assert_string_equal(json_get_string(&c, o, "name", true, 1, 10), "x");
    assert_true(json_check_ok(&c));
    assert_null(json_get_string(&c, o, "missing", true, 1, 10));
    json_get_int(&c, o, "n", true, 0, 10, 0);
    json_get_bool(&c, o, "b", false);
    assert_int_equal(json_get_enum(&c, o, "role", true, roles), -1);
    json_check_known(&c, o, allowed);
    assert_false(json_check_ok(&c));
    assert_int_equal(json_array_size(c.errors), 5);
    const char *ptrs[] = {"/missing", "/n", "/b", "/role", "/extra"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(c.errors, (size_t)i), "pointer")),
            ptrs[i]);
    json_check_free(&c);
    json_decref(o);
}

static void test_config_precedence(void **state)
{
    char path[] = "/tmp/parley-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nport = 9000\nthreads = 3\nlog-level = debug\nsecret-key = abc\n");
    fclose(f);
    setenv("PARLEY_THREADS", "5", 1);
    char *argv[] = {"serve", "--config", path, "--log-level", "warn", NULL};
    config_t cfg;
    config_defaults(&cfg);
    parley_err_t err = {0};
    assert_int_equal(config_load(&cfg, 5, argv, &err), 0);
    assert_int_equal(cfg.port, 9000);           /* file */
    assert_int_equal(cfg.threads, 5);           /* env beats file */
    assert_string_equal(cfg.log_level, "warn"); /* flag beats file */
    assert_int_equal(cfg.max_body, 1048576);    /* default */
    char *out = NULL;
    size_t outlen = 0;
    FILE *mem = open_memstream(&out, &outlen);
    config_print(&cfg, mem);
    fclose(mem);
    assert_non_null(strstr(out, "secret-key = ********"));
    assert_null(strstr(out, "abc"));
    free(out);
    config_free(&cfg);

    char *bad[] = {"serve", "--port", "70000", NULL};
    config_defaults(&cfg);
    assert_int_equal(config_load(&cfg, 3, bad, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.msg, "port"));
    config_free(&cfg);
    char *unknown[] = {"serve", "--nope", NULL};
    config_defaults(&cfg);
    assert_int_equal(config_load(&cfg, 2, unknown, &err), PARLEY_EINVAL);
    config_free(&cfg);
    unsetenv("PARLEY_THREADS");
    unlink(path);
}

static void test_clock(void **state)
{
    parley_clock_t c = {.fixed_ms = 1000};
    assert_int_equal(clock_now_ms(&c), 1000);
    clock_advance(&c, 31 * 60 * 1000);
    assert_int_equal(clock_now_ms(&c), 1000 + 31 * 60 * 1000);
    parley_clock_t off = {0};
    int64_t before = clock_now_ms(NULL);
    clock_advance(&off, 3600 * 1000);
    assert_true(clock_now_ms(&off) >= before + 3600 * 1000);
    char iso[32];
    clock_format_iso(1700000000123, iso);
    assert_string_equal(iso, "2023-11-14T22:13:20.123Z");
    int64_t ms;
    assert_int_equal(clock_parse_iso("2023-11-14T22:13:20.123Z", &ms), 0);
    assert_true(ms == 1700000000123);
    assert_int_equal(clock_parse_iso("2023-11-14T23:13:20+01:00", &ms), 0);
    assert_true(ms == 1700000000000);
    assert_int_equal(clock_parse_iso("2024-02-29", &ms), 0);
    assert_int_equal(clock_parse_iso("2023-02-29", &ms), PARLEY_EINVAL);
    assert_int_equal(clock_parse_iso("2023-13-01", &ms), PARLEY_EINVAL);
    assert_int_equal(clock_parse_iso("yesterday", &ms), PARLEY_EINVAL);
}

static void test_crypto(void **state)
{
    assert_int_equal(crypto_init(), 0);
    char hex[65];
    crypto_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t mac[32];
    /* RFC 4231 test case 2 */
    crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    crypto_hex(mac, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_true(crypto_equal("abc", 3, "abc", 3));
    assert_false(crypto_equal("abc", 3, "abd", 3));
    assert_false(crypto_equal("abc", 3, "abcd", 4));
    char t1[64], t2[64];
    crypto_random_token(32, t1, sizeof t1);
    crypto_random_token(32, t2, sizeof t2);
    assert_int_equal(strlen(t1), 43);
    assert_string_not_equal(t1, t2);
    crypto_password_light(true);
    char h[128];
    assert_int_equal(crypto_password_hash("correct horse", 13, h), 0);
    assert_non_null(strstr(h, "$argon2id$"));
    assert_true(crypto_password_verify(h, "correct horse", 13));
    assert_false(crypto_password_verify(h, "correct horsf", 13));
    char b64[16];
    assert_int_equal(crypto_base64((const uint8_t *)"hi!", 3, b64, sizeof b64), 4);
    assert_string_equal(b64, "aGkh");
}

/* ---- json_dump_to: byte for byte jansson's compact, sorted output ------------- */

static uint64_t dump_seed = 0x853C49E6748FEA9BULL;

static uint64_t dump_rnd(void)
{
    dump_seed ^= dump_seed << 13;
    dump_seed ^= dump_seed >> 7;
    dump_seed ^= dump_seed << 17;
    return dump_seed;
}

static json_t *random_json(int depth)
{
    static const char *const pieces[] = {"a",  "b",   "",    "\"",   "\\",   "/",    "\n",    "\t",
                                         "\b", "\f",  "\r",  "\x01", "\x1f", "\x7f", "é",     "€",
                                         "😀",  "key", "Key", "k2",   "zz",   " ",    "\u2028"};
    int kind = (int)(dump_rnd() % (depth > 3 ? 6 : 8));
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(dump_rnd() & 1);
    case 2: {
        int64_t v = (int64_t)dump_rnd();
        if (dump_rnd() % 2) v %= 1000;
        if (dump_rnd() % 16 == 0) v = INT64_MIN;
        return json_integer(v);
    }
    case 3: {
        static const double reals[] = {0.0,  -0.0, 1.0,     0.1,         -2.5,
                                       1e20, 1e-5, 1.5e300, 123456789.0, 3.141592653589793,
                                       1e22, 1e21, 5e-324,  -1e-310};
        double d = reals[dump_rnd() % (sizeof reals / sizeof reals[0])];
        if (dump_rnd() % 2) d = (double)(int64_t)(dump_rnd() % 2000000) / 1000.0 - 1000.0;
        return json_real(d);
    }
    case 4:
    case 5: {
        char t[64] = "";
        int n = (int)(dump_rnd() % 5);
        for (int i = 0; i < n; i++)
            strncat(t, pieces[dump_rnd() % (sizeof pieces / sizeof pieces[0])],
                    sizeof t - strlen(t) - 1);
        return json_string(t);
    }
    case 6: {
        json_t *a = json_array();
        int n = (int)(dump_rnd() % 5);
        for (int i = 0; i < n; i++) json_array_append_new(a, random_json(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        int n = (int)(dump_rnd() % (dump_rnd() % 8 == 0 ? 40 : 6));
        for (int i = 0; i < n; i++) {
            char k[32];
            snprintf(k, sizeof k, "%s%d", pieces[dump_rnd() % (sizeof pieces / sizeof pieces[0])],
                     (int)(dump_rnd() % 50));
            json_object_set_new(o, k, random_json(depth + 1));
        }
        return o;
    }
    }
}

static void test_json_dump_matches_jansson(void **state)
{
    (void)state;
    for (int i = 0; i < 3000; i++) {
        json_t *v = random_json(0);
        char *want = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        buf_t b;
        buf_init(&b, 0);
        json_dump_to(&b, v);
        assert_non_null(want);
        if (strcmp(buf_cstr(&b), want))
            fail_msg("tree %d:\n  ours   %s\n  jansson %s", i, buf_cstr(&b), want);
        free(want);
        buf_free(&b);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_json_limits),
        cmocka_unit_test(test_json_fields),
        cmocka_unit_test(test_config_precedence),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_crypto),
        cmocka_unit_test(test_json_dump_matches_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
