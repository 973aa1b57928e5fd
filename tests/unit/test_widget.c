/*
 * test_widget.c - unit tests for the website chat channel (src/channels/web.c):
 * settings validation (the array of origins common.h cannot check), origin
 * matching, the widget token, the identity HMAC, visitor ids, the visitor's
 * message format and the keys a visitor's data is filed under.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "channels/adapters.h"
#include "channels/web.h"
#include "core/crypto.h"

#define TOKEN  "widget-token-0123456789"
#define SECRET "identity-secret-0123456789"

static int validate(const char *json)
{
    json_t *v = json_loads(json, 0, NULL);
    assert_non_null(v);
    parley_err_t err = {0};
    int rc = channel_web.validate_settings(v, &err);
    json_decref(v);
    return rc;
}

static const char *validate_field(const char *json)
{
    static parley_err_t err;
    memset(&err, 0, sizeof err);
    json_t *v = json_loads(json, 0, NULL);
    assert_non_null(v);
    assert_int_equal(channel_web.validate_settings(v, &err), PARLEY_EINVAL);
    json_decref(v);
    return err.field;
}

static void test_registered(void **state)
{
    assert_ptr_equal(channel_find("web"), &channel_web);
}

static void test_settings(void **state)
{
    assert_int_equal(validate("{\"widget_token\":\"" TOKEN "\"}"), 0);
    assert_int_equal(validate("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":[],"
                              "\"identity_secret\":\"" SECRET "\",\"greeting\":\"Hi\","
                              "\"color\":\"#A0b1c2\"}"),
                     0);
    assert_int_equal(validate("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":"
                              "[\"https://a.example\",\"http://localhost:3000/\","
                              "\"https://[::1]:8443\",\"HTTPS://Shop.Example.COM\"]}"),
                     0);
    assert_string_equal(validate_field("{}"), "/settings/widget_token");
    assert_string_equal(validate_field("[]"), "/settings");
    assert_string_equal(validate_field("{\"widget_token\":\"short\"}"), "/settings/widget_token");
    assert_string_equal(validate_field("{\"widget_token\":42}"), "/settings/widget_token");
    assert_string_equal(validate_field("{\"widget_token\":\"has a space in the token\"}"),
                        "/settings/widget_token");
    assert_string_equal(validate_field("{\"widget_token\":\"tab\\tinside-the-token-x\"}"),
                        "/settings/widget_token");
    assert_string_equal(
        validate_field("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":\"https://a.b\"}"),
        "/settings/allowed_origins");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":"
                                       "[\"https://a.b\",\"https://a.b/path\"]}"),
                        "/settings/allowed_origins/1");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":"
                                       "[\"*\"]}"),
                        "/settings/allowed_origins/0");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":"
                                       "[\"https://a.b:0\"]}"),
                        "/settings/allowed_origins/0");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":"
                                       "[\"https://a.b:99999\"]}"),
                        "/settings/allowed_origins/0");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":"
                                       "[\"https://user@a.b\"]}"),
                        "/settings/allowed_origins/0");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":[7]}"),
                        "/settings/allowed_origins/0");
    assert_string_equal(
        validate_field("{\"widget_token\":\"" TOKEN "\",\"identity_secret\":\"tiny\"}"),
        "/settings/identity_secret");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"color\":\"red\"}"),
                        "/settings/color");
    assert_string_equal(validate_field("{\"widget_token\":\"" TOKEN "\",\"app_secret\":\"x\"}"),
                        "/settings/app_secret");
}

static void test_origins(void **state)
{
    json_t *s = json_loads("{\"widget_token\":\"" TOKEN "\",\"allowed_origins\":"
                           "[\"https://Shop.Example.com/\",\"http://localhost:3000\","
                           "\"https://secure.example:443\",\"http://plain.example:80\"]}",
                           0, NULL);
    assert_true(web_origin_allowed(s, "https://shop.example.com"));
    assert_true(web_origin_allowed(s, "HTTPS://SHOP.EXAMPLE.COM"));
    assert_true(web_origin_allowed(s, "http://localhost:3000"));
    assert_true(web_origin_allowed(s, "https://secure.example"));
    assert_true(web_origin_allowed(s, "http://plain.example"));
    assert_false(web_origin_allowed(s, "http://shop.example.com"));          /* scheme */
    assert_false(web_origin_allowed(s, "https://shop.example.com:8443"));    /* port */
    assert_false(web_origin_allowed(s, "https://shop.example.com.evil.io")); /* suffix */
    assert_false(web_origin_allowed(s, "https://evilshop.example.com"));
    assert_false(web_origin_allowed(s, "http://localhost:30001"));
    assert_false(web_origin_allowed(s, "http://localhost"));
    assert_false(web_origin_allowed(s, "null"));
    assert_false(web_origin_allowed(s, ""));
    assert_false(web_origin_allowed(s, NULL));
    assert_false(web_origin_allowed(s, "https://shop.example.com/x"));
    json_decref(s);
    json_t *none = json_loads("{\"widget_token\":\"" TOKEN "\"}", 0, NULL);
    assert_false(web_origin_allowed(none, "https://shop.example.com"));
    json_decref(none);
}

static void test_token_and_identity(void **state)
{
    json_t *s =
        json_loads("{\"widget_token\":\"" TOKEN "\",\"identity_secret\":\"" SECRET "\"}", 0, NULL);
    assert_true(web_token_ok(s, TOKEN));
    assert_false(web_token_ok(s, TOKEN "x"));
    assert_false(web_token_ok(s, "widget-token-0123456788"));
    assert_false(web_token_ok(s, ""));
    assert_false(web_token_ok(s, NULL));

    uint8_t mac[32];
    char hex[65];
    crypto_hmac_sha256(SECRET, strlen(SECRET), "cust-42", 7, mac);
    crypto_hex(mac, 32, hex);
    bool verified = true;
    parley_err_t err = {0};
    assert_int_equal(web_identity(s, "cust-42", NULL, &verified, &err), 0);
    assert_false(verified);
    assert_int_equal(web_identity(s, "cust-42", hex, &verified, &err), 0);
    assert_true(verified);
    assert_int_equal(web_identity(s, "cust-43", hex, &verified, &err), PARLEY_EAUTH);
    assert_false(verified);
    assert_string_equal(err.field, "/identity_hash");
    hex[0] = hex[0] == 'a' ? 'b' : 'a';
    assert_int_equal(web_identity(s, "cust-42", hex, &verified, &err), PARLEY_EAUTH);
    json_decref(s);

    /* an inbox without identity_secret verifies no one */
    json_t *plain = json_loads("{\"widget_token\":\"" TOKEN "\"}", 0, NULL);
    assert_int_equal(web_identity(plain, "cust-42", hex, &verified, &err), PARLEY_EAUTH);
    assert_false(verified);
    json_decref(plain);
}

static void test_ids_and_keys(void **state)
{
    assert_true(web_id_ok("v0123456789abcdef", WEB_MIN_VISITOR));
    assert_true(web_id_ok("ann+chat@example.com", WEB_MIN_VISITOR));
    assert_false(web_id_ok("short", WEB_MIN_VISITOR));
    assert_false(web_id_ok("has:colon-inside", WEB_MIN_VISITOR)); /* keys are ':'-separated */
    assert_false(web_id_ok("has space inside", WEB_MIN_VISITOR));
    assert_false(web_id_ok("caf\xc3\xa9-visitor", WEB_MIN_VISITOR));
    assert_false(web_id_ok(NULL, 1));
    char long_id[WEB_MAX_ID + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_false(web_id_ok(long_id, 1));
    long_id[WEB_MAX_ID] = '\0';
    assert_true(web_id_ok(long_id, 1));

    arena_t a;
    arena_init(&a, 0);
    assert_string_equal(web_visitor_key(&a, "v12345678", false), "web:v12345678");
    assert_string_equal(web_visitor_key(&a, "v12345678", true), "web:verified:v12345678");
    web_message_t m = {.visitor_id = "v12345678", .id = "m1", .body = "hi", .name = "Ann"};
    ch_item_t it;
    web_item(&m, "web:v12345678", false, &a, &it);
    assert_int_equal(it.kind, CH_ITEM_MESSAGE);
    assert_string_equal(it.external_id, "web:v12345678:m1");
    assert_string_equal(it.author.external_id, "web:v12345678");
    assert_string_equal(it.author.name, "Ann");
    assert_false(it.is_public);
    assert_false(it.author.verified);
    arena_free(&a);
}

static int parse(const char *json, web_message_t *m, parley_err_t *err)
{
    json_t *v = json_loads(json, JSON_ALLOW_NUL, NULL);
    assert_non_null(v);
    int rc = web_parse_message(v, m, err);
    json_decref(v); /* the strings of m die here: tests read them before */
    return rc;
}

static void test_parse_message(void **state)
{
    web_message_t m;
    parley_err_t err = {0};
    json_t *v = json_loads("{\"visitor_id\":\"v12345678\",\"id\":\"m-1\",\"body\":\"Hello\","
                           "\"name\":\"Ann\",\"email\":\"ann@example.com\"}",
                           0, NULL);
    assert_int_equal(web_parse_message(v, &m, &err), 0);
    assert_string_equal(m.visitor_id, "v12345678");
    assert_string_equal(m.id, "m-1");
    assert_string_equal(m.body, "Hello");
    assert_string_equal(m.email, "ann@example.com");
    assert_null(m.identity_hash);
    json_decref(v);

    assert_int_equal(
        parse("{\"visitor_id\":\"v12345678\",\"id\":\"m\",\"body\":\"x\",\"x\":1}", &m, &err),
        PARLEY_EINVAL);
    assert_string_equal(err.field, "/x");
    assert_int_equal(parse("{\"visitor_id\":\"v1\",\"id\":\"m\",\"body\":\"x\"}", &m, &err),
                     PARLEY_EINVAL);
    assert_string_equal(err.field, "/visitor_id");
    assert_int_equal(
        parse("{\"visitor_id\":\"v12345678\",\"id\":\"m:1\",\"body\":\"x\"}", &m, &err),
        PARLEY_EINVAL);
    assert_string_equal(err.field, "/id");
    assert_int_equal(
        parse("{\"visitor_id\":\"v12345678\",\"id\":\"m\",\"body\":\" \\n\"}", &m, &err),
        PARLEY_EINVAL);
    assert_string_equal(err.field, "/body");
    assert_int_equal(
        parse("{\"visitor_id\":\"v12345678\",\"id\":\"m\",\"body\":\"a\\u0000b\"}", &m, &err),
        PARLEY_EINVAL);
    assert_string_equal(err.field, "/body");
    assert_int_equal(parse("{\"visitor_id\":\"v12345678\",\"id\":\"m\",\"body\":\"x\","
                           "\"email\":\"nope\"}",
                           &m, &err),
                     PARLEY_EINVAL);
    assert_string_equal(err.field, "/email");
    assert_int_equal(parse("{\"visitor_id\":\"v12345678\",\"id\":\"m\",\"body\":\"x\","
                           "\"identity_hash\":\"abc\"}",
                           &m, &err),
                     PARLEY_EINVAL);
    assert_string_equal(err.field, "/identity_hash");
    assert_int_equal(parse("[]", &m, &err), PARLEY_EINVAL);
}

static void test_nothing_to_send(void **state)
{
    json_t *s = json_loads("{\"widget_token\":\"" TOKEN "\"}", 0, NULL);
    arena_t a;
    arena_init(&a, 0);
    ch_outbound_t out = {.recipient_id = "web:v12345678", .body = "hi"};
    ch_http_call_t call;
    parley_err_t err = {0};
    assert_int_equal(channel_web.format_send(s, &out, &a, &call, &err), PARLEY_ENOENT);
    /* the webhook door is closed: visitors write through /widget */
    ch_request_t req = {.method = "POST", .body = {"{}", 2}};
    assert_int_equal(channel_web.verify(s, &req, &err), PARLEY_EAUTH);
    arena_free(&a);
    json_decref(s);
}

int main(void)
{
    crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),      cmocka_unit_test(test_settings),
        cmocka_unit_test(test_origins),         cmocka_unit_test(test_token_and_identity),
        cmocka_unit_test(test_ids_and_keys),    cmocka_unit_test(test_parse_message),
        cmocka_unit_test(test_nothing_to_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
