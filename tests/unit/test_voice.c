/*
 * test_voice.c - unit tests of the brand voice check, one rule at a time
 * (each with a draft that trips it and one that does not), and SMS segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text/voice.h"

#define MAXF 32

typedef struct {
    voice_finding_t f[MAXF];
    size_t n;
} found_t;

static void check(const voice_config_t *c, const char *text, bool pub, found_t *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(voice_check(c, text, strlen(text), pub, r->f, MAXF, &r->n), 0);
}

static size_t count_rule(const found_t *r, voice_rule_t rule)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n && i < MAXF; i++) k += r->f[i].rule == rule;
    return k;
}

static const voice_finding_t *first(const found_t *r, voice_rule_t rule)
{
    for (size_t i = 0; i < r->n && i < MAXF; i++)
        if (r->f[i].rule == rule) return &r->f[i];
    return NULL;
}

static void test_clean_reply_has_no_findings(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    found_t r;
    check(&c, "Hi Sam, sorry about the delay. We've refunded the fee today. Thanks, Anna", true,
          &r);
    assert_int_equal(r.n, 0);
    check(&c, "", true, &r);
    assert_int_equal(r.n, 0);
}

static void test_banned_phrase(void **state)
{
    (void)state;
    const char *banned[] = {"no worries", "unfortunately"};
    voice_config_t c = voice_config_default();
    c.banned_phrases = banned;
    c.n_banned_phrases = 2;
    found_t r;
    const char *text = "Hi! NO Worries, we'll fix it. Unfortunately it takes a day.";
    check(&c, text, false, &r);
    assert_int_equal(count_rule(&r, VOICE_BANNED_PHRASE), 2);
    const voice_finding_t *f = first(&r, VOICE_BANNED_PHRASE);
    assert_string_equal(f->rule_id, "banned_phrase");
    assert_int_equal(f->severity, VOICE_ERROR);
    assert_memory_equal(text + f->start, "NO Worries", 10);
    assert_int_equal(f->end - f->start, 10);
    assert_non_null(strstr(f->message, "NO Worries"));
    assert_true(voice_blocks(r.f, r.n));
    /* a phrase split by punctuation or only partly there does not match */
    check(&c, "Hi, no. Worries are normal.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_BANNED_PHRASE), 0);
    /* the default list */
    voice_config_t d = voice_config_default();
    check(&d, "Please calm down, Sir.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_BANNED_PHRASE), 1);
}

static void test_slang(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    found_t r;
    const char *text = "lol sorry, OMG that's bad hahaha \xF0\x9F\x98\x82 jk smh #lmao lmaooo";
    check(&c, text, false, &r);
    assert_int_equal(count_rule(&r, VOICE_SLANG), 8);
    const voice_finding_t *f = first(&r, VOICE_SLANG);
    assert_string_equal(f->rule_id, "slang");
    assert_int_equal(f->severity, VOICE_WARNING);
    assert_int_equal(f->start, 0);
    assert_int_equal(f->end, 3);
    assert_false(voice_blocks(r.f, r.n));
    check(&c, "Hello, the lollipop is a gift. Have a lovely holiday", false, &r);
    assert_int_equal(count_rule(&r, VOICE_SLANG), 0);
    const char *extra[] = {"yolo"};
    c.extra_slang = extra;
    c.n_extra_slang = 1;
    check(&c, "YOLO, enjoy the trip", false, &r);
    assert_int_equal(count_rule(&r, VOICE_SLANG), 1);
    c.enabled[VOICE_SLANG] = false;
    check(&c, "lol", false, &r);
    assert_int_equal(r.n, 0);
}

static void test_shouting(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    found_t r;
    const char *text = "We are VERY sorry. See the FAQ, your PIN and the USA page. NOT OK.";
    check(&c, text, false, &r);
    assert_int_equal(count_rule(&r, VOICE_SHOUTING), 2); /* VERY, NOT; OK is 2 letters */
    const voice_finding_t *f = first(&r, VOICE_SHOUTING);
    assert_memory_equal(text + f->start, "VERY", 4);
    assert_string_equal(f->rule_id, "shouting");
    check(&c, "Your ref is ABC123, flight BA117 and a MOT.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_SHOUTING), 0);
    const char *acr[] = {"sku"};
    c.acronyms = acr;
    c.n_acronyms = 1;
    check(&c, "The SKU is on the box. ÉNORME", false, &r);
    assert_int_equal(count_rule(&r, VOICE_SHOUTING), 1); /* non-ASCII capitals count too */
}

static void test_exclamation(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    found_t r;
    check(&c, "Great news! Your parcel is on its way.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_EXCLAMATION), 0);
    const char *two = "Great news! It's on its way! Enjoy";
    check(&c, two, false, &r);
    assert_int_equal(count_rule(&r, VOICE_EXCLAMATION), 1);
    const voice_finding_t *f = first(&r, VOICE_EXCLAMATION);
    assert_int_equal(f->start, (uint32_t)(strchr(two + 11, '!') - two));
    assert_int_equal(f->end, f->start + 1);
    check(&c, "Done!!", false, &r);
    assert_int_equal(count_rule(&r, VOICE_EXCLAMATION), 1);
    assert_int_equal(first(&r, VOICE_EXCLAMATION)->start, 4);
    assert_int_equal(first(&r, VOICE_EXCLAMATION)->end, 6);
    c.max_exclamations = 3;
    check(&c, "Yes! Yes! Yes!", false, &r);
    assert_int_equal(count_rule(&r, VOICE_EXCLAMATION), 0);
    check(&c, "Wow!!", false, &r); /* a run is flagged whatever the budget */
    assert_int_equal(count_rule(&r, VOICE_EXCLAMATION), 1);
    c.max_exclamations = -1;
    check(&c, "Wow!!!", false, &r);
    assert_int_equal(count_rule(&r, VOICE_EXCLAMATION), 0);
}

static void test_greeting(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    found_t r;
    check(&c, "Sorry about that.", false, &r); /* not required by default */
    assert_int_equal(count_rule(&r, VOICE_GREETING), 0);
    c.require_greeting = true;
    check(&c, "Sorry about that.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_GREETING), 1);
    assert_string_equal(first(&r, VOICE_GREETING)->rule_id, "greeting");
    assert_int_equal(first(&r, VOICE_GREETING)->severity, VOICE_WARNING);
    check(&c, "@sam_k Hi Sam, sorry about that.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_GREETING), 0);
    check(&c, "Good morning Sam, sorry about that.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_GREETING), 0);
    const char *mine[] = {"ahoy"};
    c.greetings = mine;
    c.n_greetings = 1;
    check(&c, "Hi Sam", false, &r);
    assert_int_equal(count_rule(&r, VOICE_GREETING), 1);
    check(&c, "Ahoy Sam", false, &r);
    assert_int_equal(count_rule(&r, VOICE_GREETING), 0);
}

static void test_signoff(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    c.require_signoff = true;
    found_t r;
    check(&c, "Hi Sam, your refund went out today.", false, &r);
    assert_int_equal(count_rule(&r, VOICE_SIGNOFF), 1);
    assert_string_equal(first(&r, VOICE_SIGNOFF)->rule_id, "signoff");
    check(&c, "Hi Sam, your refund went out today. Kind regards, Anna", false, &r);
    assert_int_equal(count_rule(&r, VOICE_SIGNOFF), 0);
    check(&c, "Hi Sam, your refund went out today ^AK", false, &r);
    assert_int_equal(count_rule(&r, VOICE_SIGNOFF), 0);
    /* a "thanks" at the start is no sign-off */
    check(&c,
          "Thanks Sam, your refund went out today and should reach your account in three "
          "to five working days from now",
          false, &r);
    assert_int_equal(count_rule(&r, VOICE_SIGNOFF), 1);
}

static void test_length(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    c.max_chars = 10;
    found_t r;
    check(&c, "0123456789", false, &r);
    assert_int_equal(count_rule(&r, VOICE_LENGTH), 0);
    const char *text = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                       "\xC3\xA9xy"; /* 10 x e-acute + "xy" = 12 code points */
    check(&c, text, false, &r);
    assert_int_equal(count_rule(&r, VOICE_LENGTH), 1);
    const voice_finding_t *f = first(&r, VOICE_LENGTH);
    assert_int_equal(f->severity, VOICE_ERROR);
    assert_int_equal(f->start, 20); /* the 11th code point */
    assert_int_equal(f->end, strlen(text));
    assert_non_null(strstr(f->message, "12 characters"));
    assert_true(voice_blocks(r.f, r.n));

    voice_config_t s = voice_config_default();
    s.max_sms_segments = 1;
    char buf[200];
    memset(buf, 'a', 161);
    buf[161] = '\0';
    check(&s, buf, false, &r);
    assert_int_equal(count_rule(&r, VOICE_LENGTH), 1);
    assert_non_null(strstr(first(&r, VOICE_LENGTH)->message, "2 segments"));
    buf[160] = '\0';
    check(&s, buf, false, &r);
    assert_int_equal(count_rule(&r, VOICE_LENGTH), 0);
}

static void test_pii_public(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    found_t r;
    const char *text = "Hi, is your card 4111 1111 1111 1111? Or write to jo.bloggs@example.com";
    check(&c, text, true, &r);
    assert_int_equal(count_rule(&r, VOICE_PII_PUBLIC), 2);
    const voice_finding_t *f = first(&r, VOICE_PII_PUBLIC);
    assert_string_equal(f->rule_id, "pii_public");
    assert_int_equal(f->severity, VOICE_ERROR);
    assert_string_equal(f->message, "Card number in a public reply: move to a private channel");
    assert_memory_equal(text + f->start, "4111 1111 1111 1111", 19);
    assert_true(voice_blocks(r.f, r.n));
    assert_non_null(strstr(r.f[r.n - 1].message, "E-mail address"));
    /* a private reply may carry it */
    check(&c, text, false, &r);
    assert_int_equal(count_rule(&r, VOICE_PII_PUBLIC), 0);
    /* the brand's own address is allowed in public */
    const char *ours[] = {"help@brand.example"};
    c.allowed_contacts = ours;
    c.n_allowed_contacts = 1;
    check(&c, "Hi, write to help@brand.example please", true, &r);
    assert_int_equal(count_rule(&r, VOICE_PII_PUBLIC), 0);
}

static void test_findings_sorted_and_capped(void **state)
{
    (void)state;
    voice_config_t c = voice_config_default();
    const char *text = "LOL!! SORRY lol!! OMG!!";
    voice_finding_t f[2];
    size_t n = 0;
    assert_int_equal(voice_check(&c, text, strlen(text), false, f, 2, &n), 0);
    assert_true(n > 2);
    found_t r;
    check(&c, text, false, &r);
    assert_int_equal(r.n, n);
    for (size_t i = 1; i < r.n; i++) assert_true(r.f[i - 1].start <= r.f[i].start);
    assert_int_equal(voice_check(&c, text, strlen(text), false, NULL, 0, &n), 0);
    assert_int_equal(voice_check(NULL, text, 1, false, NULL, 0, &n), PARLEY_EINVAL);
    assert_int_equal(voice_check(&c, NULL, 1, false, NULL, 0, &n), PARLEY_EINVAL);
    const char bad[] = "\xff\xfeHI THERE\xc3";
    check(&c, bad, true, &r);
}

static void test_sms_segments(void **state)
{
    (void)state;
    char buf[400];
    voice_sms_encoding_t enc;
    size_t units;
    assert_int_equal(voice_sms_segments("", 0), 0);
    assert_int_equal(voice_sms_segments("hi", 2), 1);
    memset(buf, 'a', sizeof buf);
    assert_int_equal(voice_sms_segments(buf, 160), 1);
    assert_int_equal(voice_sms_segments(buf, 161), 2);
    assert_int_equal(voice_sms_segments(buf, 306), 2);
    assert_int_equal(voice_sms_segments(buf, 307), 3);
    /* extension characters take two septets */
    memset(buf, 'a', 159);
    buf[159] = '{';
    assert_int_equal(voice_sms_measure(buf, 160, &enc, &units), 2);
    assert_int_equal(enc, VOICE_SMS_GSM7);
    assert_int_equal(units, 161);
    /* an escape pair is not split: 152 septets then '[' starts segment two */
    memset(buf, 'a', 152);
    buf[152] = '[';
    memset(buf + 153, 'a', 10);
    assert_int_equal(voice_sms_measure(buf, 163, &enc, &units), 2);
    assert_int_equal(units, 164);
    /* GSM basic set beyond ASCII stays GSM-7: "£5 for café à Zürich" */
    const char *eu = "\xC2\xA3"
                     "5 for caf\xC3\xA9 \xC3\xA0 Z\xC3\xBCrich \xE2\x82\xAC";
    assert_int_equal(voice_sms_measure(eu, strlen(eu), &enc, &units), 1);
    assert_int_equal(enc, VOICE_SMS_GSM7);
    assert_int_equal(units, 23);
    /* one non-GSM character (an emoji, a backtick, a tab) switches to UCS-2 */
    memset(buf, 'a', 70);
    assert_int_equal(voice_sms_measure(buf, 70, &enc, NULL), 1);
    buf[0] = '`';
    assert_int_equal(voice_sms_measure(buf, 70, &enc, &units), 1);
    assert_int_equal(enc, VOICE_SMS_UCS2);
    assert_int_equal(voice_sms_segments(buf, 71), 2);
    assert_int_equal(voice_sms_segments(buf, 134), 2);
    assert_int_equal(voice_sms_segments(buf, 135), 3);
    /* an emoji is a surrogate pair: two units, never split */
    memcpy(buf, "\xF0\x9F\x98\x80", 4);
    memset(buf + 4, 'a', 66);
    assert_int_equal(voice_sms_measure(buf, 70, &enc, &units), 1);
    assert_int_equal(units, 68);
    memset(buf, 'a', 66);
    memcpy(buf + 66, "\xF0\x9F\x98\x80", 4); /* units 66+2 = 68 fit in one */
    memset(buf + 70, 'a', 3);                /* 71 units: two segments, pair moves whole */
    assert_int_equal(voice_sms_measure(buf, 73, &enc, &units), 2);
    assert_int_equal(units, 71);
    assert_int_equal(voice_count_chars("a\xC3\xA9\xF0\x9F\x98\x80", 7), 3);
    assert_string_equal(voice_rule_id(VOICE_PII_PUBLIC), "pii_public");
    assert_string_equal(voice_rule_id(VOICE_RULE_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_reply_has_no_findings),
        cmocka_unit_test(test_banned_phrase),
        cmocka_unit_test(test_slang),
        cmocka_unit_test(test_shouting),
        cmocka_unit_test(test_exclamation),
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_signoff),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_pii_public),
        cmocka_unit_test(test_findings_sorted_and_capped),
        cmocka_unit_test(test_sms_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
