/*
 * test_webhooks.c - outbound webhooks: the documented signature example
 * (README.md and docs/openapi.json carry the same numbers), the event
 * pattern grammar and matching, what is never fanned out, and the
 * Slack-style lines (escaping, truncation, one line).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/crypto.h"
#include "desk/webhooks.h"

/* The worked example of the documentation, byte for byte. */
#define EX_SECRET "whsec_5fJq2vYlZk7N0uQe8rTb4xWc9dHs1aPm"
#define EX_T      1764000000
#define EX_BODY                                                                                    \
    "{\"delivery_id\":7,\"event\":{\"id\":42,\"type\":\"conversation.resolved\"},\"webhook_id\":"  \
    "3}"
#define EX_SIG "t=1764000000,v1=f0976b2622928370e80fdda3626e1f63e746b3f41cc852476c0c9bc587ca0d16"

static void signature_documented_example(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIG_MAX];
    webhook_sign(EX_SECRET, strlen(EX_SECRET), EX_T, EX_BODY, strlen(EX_BODY), sig);
    assert_string_equal(sig, EX_SIG);
}

static void signature_covers_timestamp_body_and_secret(void **state)
{
    (void)state;
    char a[WEBHOOK_SIG_MAX], b[WEBHOOK_SIG_MAX];
    webhook_sign(EX_SECRET, strlen(EX_SECRET), EX_T + 1, EX_BODY, strlen(EX_BODY), a);
    assert_string_not_equal(a, EX_SIG);
    webhook_sign(EX_SECRET, strlen(EX_SECRET), EX_T, EX_BODY, strlen(EX_BODY) - 1, b);
    assert_string_not_equal(b, EX_SIG);
    webhook_sign("whsec_other_secret_0000", 23, EX_T, EX_BODY, strlen(EX_BODY), b);
    assert_string_not_equal(b, EX_SIG);
    /* an empty body is signed too ("<t>.") */
    webhook_sign(EX_SECRET, strlen(EX_SECRET), 0, "", 0, b);
    assert_int_equal(strncmp(b, "t=0,v1=", 7), 0);
    assert_int_equal(strlen(b), 7 + 64);
}

static int check(const char *p)
{
    const char *why = NULL;
    int rc = webhook_pattern_check(p, strlen(p), &why);
    if (rc) assert_non_null(why);
    return rc;
}

static void pattern_grammar(void **state)
{
    (void)state;
    const char *good[] = {"*",
                          "message.created",
                          "conversation.*",
                          "sla.breached",
                          "sla_policy.updated",
                          "conversation.priority_changed",
                          "presence.typing",
                          "contact.a1.b2",
                          "sla.*",
                          NULL};
    for (int i = 0; good[i]; i++) assert_int_equal(check(good[i]), 0);
    const char *bad[] = {"",
                         "message",
                         "message.",
                         ".created",
                         "message..created",
                         "Message.created",
                         "message.Created",
                         "message.created ",
                         "message.1created",
                         "*.created",
                         "conversation.*.x",
                         "conversation**",
                         "**",
                         "message.*x",
                         "fax.received",
                         "notification.mention",
                         "notification.*",
                         "webhook.test",
                         "webhook.*",
                         "message-created",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        if (check(bad[i]) == 0) fail_msg("accepted \"%s\"", bad[i]);
    }
    char long_one[WEBHOOK_PATTERN_MAX + 2];
    memset(long_one, 'a', sizeof long_one);
    memcpy(long_one, "message.", 8);
    long_one[WEBHOOK_PATTERN_MAX] = '\0';
    assert_int_equal(check(long_one), 0);
    long_one[WEBHOOK_PATTERN_MAX] = 'a';
    long_one[WEBHOOK_PATTERN_MAX + 1] = '\0';
    assert_int_not_equal(check(long_one), 0);
    /* a NUL inside the given length is refused, not read as a shorter pattern */
    assert_int_not_equal(webhook_pattern_check("sla.breached\0x", 14, NULL), 0);
}

static void pattern_matching(void **state)
{
    (void)state;
    assert_true(webhook_pattern_match("*", "message.created"));
    assert_true(webhook_pattern_match("conversation.*", "conversation.resolved"));
    assert_true(webhook_pattern_match("conversation.*", "conversation.priority_changed"));
    assert_false(webhook_pattern_match("conversation.*", "conversation."));
    assert_false(webhook_pattern_match("conversation.*", "conversations.resolved"));
    assert_false(webhook_pattern_match("conversation.*", "conversation"));
    assert_false(webhook_pattern_match("conversation.*", "message.created"));
    assert_true(webhook_pattern_match("message.created", "message.created"));
    assert_false(webhook_pattern_match("message.created", "message.created.x"));
    assert_false(webhook_pattern_match("message.created", "message.delivery"));
    assert_false(webhook_pattern_match("sla.*", "sla_policy.created"));
    assert_false(webhook_pattern_match(NULL, "x"));
    assert_false(webhook_pattern_match("*", NULL));
}

static void wants_never_fans_out_personal_or_own_events(void **state)
{
    (void)state;
    json_t *all = json_pack("[s]", "*");
    json_t *some = json_pack("[s, s]", "message.created", "conversation.*");
    assert_true(webhook_wants(all, "sla.breached"));
    assert_false(webhook_wants(all, "notification.mention"));
    assert_false(webhook_wants(all, "notification.sla"));
    assert_false(webhook_wants(all, "webhook.test"));
    assert_false(webhook_wants(all, "webhook.dead"));
    assert_true(webhook_wants(some, "conversation.resolved"));
    assert_true(webhook_wants(some, "message.created"));
    assert_false(webhook_wants(some, "message.delivery"));
    assert_false(webhook_wants(some, "sla.breached"));
    assert_false(webhook_wants(NULL, "message.created"));
    json_decref(all);
    json_decref(some);
}

static const char *slack(const char *type, const char *kind, int64_t id, const char *payload,
                         const char *inbox)
{
    static buf_t b;
    static bool init;
    if (!init) {
        buf_init(&b, 0);
        init = true;
    }
    buf_reset(&b);
    event_row_t e = {.id = 1,
                     .type = type,
                     .subject_kind = kind,
                     .subject_id = id,
                     .payload = payload,
                     .actor_kind = "system"};
    webhook_slack_text(&e, inbox, &b);
    return buf_cstr(&b);
}

static void slack_lines(void **state)
{
    (void)state;
    assert_string_equal(
        slack("sla.breached", "conversation", 42,
              "{\"priority\":\"high\",\"target\":\"first_response\",\"inbox_id\":1}",
              "Acme Support"),
        ":rotating_light: SLA breached on conversation #42 (Acme Support, high): first response");
    assert_string_equal(slack("conversation.resolved", "conversation", 7,
                              "{\"conversation\":{\"priority\":\"low\"}}", "Web"),
                        ":white_check_mark: Conversation #7 resolved (Web, low)");
    /* customer text: Slack's control characters escaped, newlines flattened */
    assert_string_equal(
        slack("message.created", "message", 9,
              "{\"message\":{\"conversation_id\":5,\"direction\":\"in\",\"kind\":\"public\","
              "\"body\":\"<@channel> a & b\\nc\"}}",
              "A<b>"),
        ":speech_balloon: New message on conversation #5 (A&lt;b&gt;): \"&lt;@channel&gt; a &amp; "
        "b c\"");
    /* long bodies end in an ellipsis after 140 code points, never inside a character */
    char body[600] = "{\"message\":{\"conversation_id\":5,\"direction\":\"out\",\"body\":\"";
    for (int i = 0; i < 150; i++) strcat(body, "\xC3\xA9");
    strcat(body, "\"}}");
    const char *line = slack("message.created", "message", 9, body, NULL);
    assert_non_null(strstr(line, ":outbox_tray: Reply on conversation #5: \""));
    assert_non_null(strstr(line, "\xC3\xA9\xE2\x80\xA6\""));
    assert_null(strchr(line, '\n'));
    assert_string_equal(slack("webhook.test", "webhook", 3, "{}", NULL),
                        ":wave: Parley test message: webhook #3 is connected");
    assert_string_equal(slack("contact.created", "contact", 11, "not json", NULL),
                        ":bell: contact.created on contact #11");
}

int main(void)
{
    if (crypto_init()) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signature_documented_example),
        cmocka_unit_test(signature_covers_timestamp_body_and_secret),
        cmocka_unit_test(pattern_grammar),
        cmocka_unit_test(pattern_matching),
        cmocka_unit_test(wants_never_fans_out_personal_or_own_events),
        cmocka_unit_test(slack_lines),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc;
}
