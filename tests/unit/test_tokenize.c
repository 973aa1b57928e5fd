/*
 * test_tokenize.c - unit tests of the general tokenizer (src/text/tokenize.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/tokenize.h"

static const char *const kind_names[] = {"WORD",   "MENTION", "HASHTAG",  "URL",  "EMAIL",
                                         "NUMBER", "EMOJI",   "EMOTICON", "PUNCT"};

/* Renders the tokens of text as "KIND:bytes|KIND:bytes|..." */
static void render(const char *text, char *out, size_t cap)
{
    tok_t toks[128];
    size_t len = strlen(text), n = tok_split(text, len, toks, 128), o = 0;
    assert_true(n <= 128);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        assert_true(toks[i].start + toks[i].len <= len);
        o += (size_t)snprintf(out + o, cap - o, "%s%s:%.*s", i ? "|" : "", kind_names[toks[i].kind],
                              (int)toks[i].len, text + toks[i].start);
        assert_true(o < cap);
    }
}

static void expect(const char *text, const char *want)
{
    char got[4096];
    render(text, got, sizeof got);
    if (strcmp(got, want) != 0) fail_msg("\"%s\"\n  want %s\n  got  %s", text, want, got);
}

static void test_social(void **state)
{
    (void)state;
    expect("@AcmeCare my order #fail!!!",
           "MENTION:@AcmeCare|WORD:my|WORD:order|HASHTAG:#fail|PUNCT:!!!");
    expect("see https://acme.com/help?x=1). or www.x.org,",
           "WORD:see|URL:https://acme.com/help?x=1|PUNCT:)|PUNCT:.|WORD:or|URL:www.x.org|PUNCT:,");
    expect("mail jo.doe+x@mail.example.com. now",
           "WORD:mail|EMAIL:jo.doe+x@mail.example.com|PUNCT:.|WORD:now");
    expect("x@y a@@b", "WORD:x|MENTION:@y|WORD:a|PUNCT:@@|WORD:b");
}

static void test_numbers(void **state)
{
    (void)state;
    expect("$1,234.50 -5 3.14 10.5% 3rd 1,2",
           "PUNCT:$|NUMBER:1,234.50|NUMBER:-5|NUMBER:3.14|NUMBER:10.5|PUNCT:%|WORD:3rd|NUMBER:1,2");
    expect("covid-19 a -5", "WORD:covid-19|WORD:a|NUMBER:-5");
}

static void test_emoji_and_emoticons(void **state)
{
    (void)state;
    expect(":) :-( :D <3 XD :Dog <30",
           "EMOTICON::)|EMOTICON::-(|EMOTICON::D|EMOTICON:<3|EMOTICON:XD|PUNCT::|WORD:Dog|PUNCT:<|"
           "NUMBER:30");
    /* skin tone, ZWJ family, flag, keycaps: one token each */
    /* (clang-format splits these literals differently on every run) */
    /* clang-format off */
    expect("ok 👍🏽 👨‍👩‍👧 🇫🇷 1️⃣ #️⃣ 😍😍",
           "WORD:ok|EMOJI:👍🏽|EMOJI:👨‍👩‍👧|EMOJI:🇫🇷|EMOJI:1️⃣|EMOJI:#️⃣|EMOJI:😍|EMOJI:😍");
    /* clang-format on */
    expect("love it😍", "WORD:love|WORD:it|EMOJI:😍");
}

static void test_words(void **state)
{
    (void)state;
    expect("I don't check-in it’s café 東京 ...?",
           "WORD:I|WORD:don't|WORD:check-in|WORD:it’s|WORD:café|WORD:東京|PUNCT:...|PUNCT:?");
    expect("", "");
    expect(" \t\n\u00a0\u3000", "");
}

static void test_invalid_bytes_skipped(void **state)
{
    (void)state;
    expect("ab\xff"
           "cd \xc3 e\xed\xa0\x80"
           "f",
           "WORD:ab|WORD:cd|WORD:e|WORD:f");
}

static void test_cap_and_count(void **state)
{
    (void)state;
    tok_t one[1];
    const char *t = "one two three";
    assert_int_equal(tok_split(t, strlen(t), one, 1), 3);
    assert_int_equal(one[0].start, 0);
    assert_int_equal(one[0].len, 3);
    assert_int_equal(tok_split(t, strlen(t), NULL, 0), 3);
    assert_int_equal(tok_split(t, 3, one, 1), 1); /* never reads past len */
}

static void test_fold(void **state)
{
    (void)state;
    char buf[64];
    const char *s = "ＨＥＬＬＯ Straße ﬁ Café";
    assert_int_equal(tok_fold(s, strlen(s), buf, sizeof buf), strlen("hello strasse fi café"));
    assert_string_equal(buf, "hello strasse fi café");
    assert_int_equal(tok_fold("ab\xff", 3, buf, sizeof buf), (size_t)-1);
    /* truncation keeps whole code points and reports the full length */
    char small[4];
    assert_int_equal(tok_fold("ÉÉÉ", strlen("ÉÉÉ"), small, sizeof small), 6);
    assert_string_equal(small, "é");
    assert_int_equal(tok_fold("", 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    /* longer than the stack buffer */
    char big[1200], out[1400];
    memset(big, 'A', sizeof big);
    assert_int_equal(tok_fold(big, sizeof big, out, sizeof out), sizeof big);
    assert_int_equal(out[0], 'a');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_social),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_emoji_and_emoticons),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_invalid_bytes_skipped),
        cmocka_unit_test(test_cap_and_count),
        cmocka_unit_test(test_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
