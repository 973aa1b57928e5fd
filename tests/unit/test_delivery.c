/*
 * test_delivery.c - the delivery worker's pure parts: the per-inbox token
 * bucket (a burst, then one send per token, a hold until the next token, the
 * held inboxes left out of the due query), the platform defaults and their
 * overrides, and the validation of the delivery's own inbox settings. The
 * file includes delivery.c to reach its statics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/desk/delivery.c"

static void bucket_bursts_then_paces(void **state)
{
    (void)state;
    delivery_t d = {0};
    /* 4 per second, burst 2: two at once, then one every 250 ms */
    assert_true(take_token(&d, 7, 4, 2, 1000));
    assert_true(take_token(&d, 7, 4, 2, 1000));
    assert_false(take_token(&d, 7, 4, 2, 1000));
    assert_int_equal(d.buckets[0].hold_until, 1250);
    assert_false(take_token(&d, 7, 4, 2, 1100)); /* 0.4 of a token: still held */
    assert_int_equal(d.buckets[0].hold_until, 1250);
    assert_true(take_token(&d, 7, 4, 2, 1250));
    /* another inbox has its own bucket */
    assert_true(take_token(&d, 8, 4, 1, 1250));
    assert_false(take_token(&d, 8, 4, 1, 1251));
    /* an idle bucket refills to its burst, never beyond */
    assert_true(take_token(&d, 7, 4, 2, 60000));
    assert_true(take_token(&d, 7, 4, 2, 60000));
    assert_false(take_token(&d, 7, 4, 2, 60000));
    /* rate 0 is unlimited and keeps no bucket */
    int n = d.n_buckets;
    for (int i = 0; i < 1000; i++) assert_true(take_token(&d, 9, 0, 1, 60000));
    assert_int_equal(d.n_buckets, n);
    free(d.buckets);
}

static void held_inboxes_are_skipped_until_their_token(void **state)
{
    (void)state;
    delivery_t d = {0};
    int64_t until = INT64_MAX;
    assert_null(held_inboxes(&d, 0, &until));
    assert_true(take_token(&d, 3, 1, 1, 0));
    assert_false(take_token(&d, 3, 1, 1, 0)); /* held until 1000 */
    assert_true(take_token(&d, 5, 0.5, 1, 0));
    assert_false(take_token(&d, 5, 0.5, 1, 10)); /* 0.005 of a token: held until 2000 */
    char *skip = held_inboxes(&d, 500, &until);
    assert_string_equal(skip, "[3,5]");
    assert_int_equal(until, 1000);
    free(skip);
    until = INT64_MAX;
    skip = held_inboxes(&d, 1000, &until); /* 3's token is due: no longer held */
    assert_string_equal(skip, "[5]");
    assert_int_equal(until, 2000);
    free(skip);
    until = INT64_MAX;
    assert_null(held_inboxes(&d, 2000, &until));
    free(d.buckets);
}

static void limits_default_per_platform_and_override(void **state)
{
    (void)state;
    double rate, burst;
    delivery__limit("whatsapp", NULL, &rate, &burst);
    assert_true(rate == 80 && burst == 80);
    delivery__limit("x", NULL, &rate, &burst);
    assert_true(rate > 0.19 && rate < 0.21 && burst == 20);
    delivery__limit("web", NULL, &rate, &burst);
    assert_true(rate == 0); /* nothing leaves over the network */
    json_t *s = json_pack("{s:f}", "rate_per_second", 2.5);
    delivery__limit("telegram", s, &rate, &burst);
    assert_true(rate == 2.5 && burst == 2.5); /* the burst follows a rate override */
    json_object_set_new(s, "rate_burst", json_integer(7));
    delivery__limit("telegram", s, &rate, &burst);
    assert_true(rate == 2.5 && burst == 7);
    json_decref(s);
}

static void settings_validated(void **state)
{
    (void)state;
    const channel_ops_t *tg = channel_find("telegram");
    assert_non_null(tg);
    parley_err_t err = {0};
    json_t *s = json_pack("{s:s, s:s, s:f, s:i}", "bot_token", "1:a", "secret_token", "x",
                          "rate_per_second", 0.5, "rate_burst", 3);
    assert_int_equal(delivery_validate_settings(tg, s, &err), 0);
    /* the adapter still sees (and checks) its own settings */
    json_object_del(s, "bot_token");
    assert_int_not_equal(delivery_validate_settings(tg, s, &err), 0);
    assert_string_equal(err.field, "/settings/bot_token");
    json_object_set_new(s, "bot_token", json_string("1:a"));
    json_object_set_new(s, "rate_per_second", json_string("fast"));
    memset(&err, 0, sizeof err);
    assert_int_equal(delivery_validate_settings(tg, s, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "/settings/rate_per_second");
    json_object_set_new(s, "rate_per_second", json_real(0));
    assert_int_equal(delivery_validate_settings(tg, s, &err), PARLEY_EINVAL);
    json_object_set_new(s, "rate_per_second", json_integer(10));
    json_object_set_new(s, "rate_burst", json_real(1.5));
    memset(&err, 0, sizeof err);
    assert_int_equal(delivery_validate_settings(tg, s, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "/settings/rate_burst");
    json_decref(s);
}

/* Twilio's message list, read before a resend after a crash: only our own
 * outbound message with the same text, created since the interrupted attempt. */
static void twilio_lookup_finds_only_that_send(void **state)
{
    (void)state;
    const channel_ops_t *tw = channel_find("twilio_sms");
    ch_outbound_t msg = {.recipient_id = "+14155550100", .body = "Refund sent."};
    const char *list =
        "{\"messages\":["
        "{\"sid\":\"SMin\",\"direction\":\"inbound\",\"body\":\"Refund sent.\","
        "\"date_created\":\"Wed, 26 Nov 2026 14:00:05 +0000\"},"
        "{\"sid\":\"SMother\",\"direction\":\"outbound-api\",\"body\":\"Hello\","
        "\"date_created\":\"Wed, 26 Nov 2026 14:00:04 +0000\"},"
        "{\"sid\":\"SMours\",\"direction\":\"outbound-api\",\"body\":\"Refund sent.\","
        "\"date_created\":\"Wed, 26 Nov 2026 14:00:03 +0000\"}]}";
    int64_t at = 1795701603000; /* 2026-11-26T14:00:03Z */
    char ext[64];
    parley_err_t err = {0};
    assert_int_equal(tw->parse_lookup(200, list, strlen(list), &msg, at, ext, sizeof ext, &err), 0);
    assert_string_equal(ext, "SMours");
    /* the same text sent before the interrupted attempt is another message */
    assert_int_equal(
        tw->parse_lookup(200, list, strlen(list), &msg, at + 60000, ext, sizeof ext, &err),
        PARLEY_ENOENT);
    assert_int_equal(tw->parse_lookup(500, list, strlen(list), &msg, at, ext, sizeof ext, &err),
                     PARLEY_EIO);
    assert_int_equal(tw->parse_lookup(200, "[]", 2, &msg, at, ext, sizeof ext, &err), PARLEY_EIO);
    /* the other platforms have no such list */
    assert_null(channel_find("telegram")->format_lookup);
    assert_null(channel_find("whatsapp")->format_lookup);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_bursts_then_paces),
        cmocka_unit_test(held_inboxes_are_skipped_until_their_token),
        cmocka_unit_test(limits_default_per_platform_and_override),
        cmocka_unit_test(settings_validated),
        cmocka_unit_test(twilio_lookup_finds_only_that_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
