/*
 * test_pii.c - unit tests for the PII detector and redactor (src/text/pii.c).
 *
 * Two halves: targeted tests per kind and for pii_redact, and an evaluation
 * over the labelled sentences in tests/data/pii_cases.tsv (path in argv[1])
 * that prints precision and recall overall and per kind and requires both to
 * be at least 0.97. Spans count as equal only with the same kind and the exact
 * same byte range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/pii.h"

#define MAX_SPANS 32

static const char *cases_path;

static const char *const brand_keywords[] = {"account", "order", "acct", "member id"};
static const pii_config_t brand_cfg = {brand_keywords, 4};

/* ---- helpers ---- */

static int kind_from_name(const char *p, size_t n, pii_kind_t *kind)
{
    for (int k = 0; k < PII_KIND_COUNT; k++) {
        const char *name = pii_kind_name((pii_kind_t)k);
        if (strlen(name) == n && memcmp(name, p, n) == 0) {
            *kind = (pii_kind_t)k;
            return 1;
        }
    }
    return 0;
}

/* At p, "kind:" for a known kind? Returns the length of "kind:" or 0. */
static size_t kind_prefix(const char *p, pii_kind_t *kind)
{
    const char *colon = strchr(p, ':');
    if (!colon || colon - p > 8) return 0;
    return kind_from_name(p, (size_t)(colon - p), kind) ? (size_t)(colon - p) + 1 : 0;
}

/* Turns "kind:text,kind:text" (or "-") into spans over `text`, each text
 * searched after the previous one. Returns the count, or -1 when malformed. */
static int parse_expected(const char *text, const char *exp, pii_span_t *spans, int cap)
{
    int n = 0;
    size_t cursor = 0;
    if (strcmp(exp, "-") == 0) return 0;
    const char *p = exp;
    while (*p) {
        pii_kind_t kind;
        size_t kl = kind_prefix(p, &kind);
        if (!kl || n == cap) return -1;
        const char *v = p + kl, *e = v;
        /* the value runs to the next ",kind:" or the end */
        for (;; e++) {
            pii_kind_t dummy;
            if (!*e || (*e == ',' && kind_prefix(e + 1, &dummy))) break;
        }
        size_t vl = (size_t)(e - v);
        char needle[256];
        if (vl == 0 || vl >= sizeof needle) return -1;
        memcpy(needle, v, vl);
        needle[vl] = '\0';
        const char *hit = strstr(text + cursor, needle);
        if (!hit) return -1;
        spans[n].kind = kind;
        spans[n].start = (uint32_t)(hit - text);
        spans[n].end = (uint32_t)(hit - text + vl);
        cursor = spans[n].end;
        n++;
        p = *e ? e + 1 : e;
    }
    return n;
}

static void format_spans(const char *text, const pii_span_t *s, size_t n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    if (n == 0) snprintf(buf, cap, "-");
    for (size_t i = 0; i < n && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s:%.*s", i ? "," : "",
                                 pii_kind_name(s[i].kind), (int)(s[i].end - s[i].start),
                                 text + s[i].start);
}

/* Scans `text` and checks the findings against `exp` ("kind:text,..." or "-"). */
static void check_scan(const pii_config_t *cfg, const char *text, const char *exp)
{
    pii_span_t want[MAX_SPANS], got[MAX_SPANS];
    int nw = parse_expected(text, exp, want, MAX_SPANS);
    assert_true(nw >= 0);
    size_t ng = pii_scan(cfg, text, strlen(text), got, MAX_SPANS);
    int same = ng == (size_t)nw;
    for (size_t i = 0; same && i < ng; i++)
        same = got[i].kind == want[i].kind && got[i].start == want[i].start &&
               got[i].end == want[i].end;
    if (!same) {
        char buf[512];
        format_spans(text, got, ng < MAX_SPANS ? ng : MAX_SPANS, buf, sizeof buf);
        print_error("text:     %s\nexpected: %s\ngot:      %s\n", text, exp, buf);
        fail();
    }
}

static void check_redact(const char *text, const char *want)
{
    pii_span_t spans[MAX_SPANS];
    size_t n = pii_scan(&brand_cfg, text, strlen(text), spans, MAX_SPANS);
    char buf[512];
    size_t need = pii_redact(text, strlen(text), spans, n, buf, sizeof buf);
    assert_int_equal(need, strlen(want));
    assert_string_equal(buf, want);
}

/* ---- targeted tests ---- */

static void test_card(void **state)
{
    (void)state;
    check_scan(NULL, "card 4111 1111 1111 1111 please", "card:4111 1111 1111 1111");
    check_scan(NULL, "4111111111111111", "card:4111111111111111");
    check_scan(NULL, "amex 3782-822463-10005.", "card:3782-822463-10005");
    check_scan(NULL, "mc 2223003122003222 ok", "card:2223003122003222");
    check_scan(NULL, "jcb 3530111333300000", "card:3530111333300000");
    check_scan(NULL, "diners 30569309025904", "card:30569309025904");
    /* expiry right after the number is not part of it */
    check_scan(NULL, "4111 1111 1111 1111 12/25", "card:4111 1111 1111 1111");
    /* Luhn failure, unknown issuer, wrong length, glued to a word, too long */
    check_scan(NULL, "order 4111111111111112", "-");
    check_scan(NULL, "1234567812345670", "-");
    check_scan(NULL, "amex 37828224631000", "-");
    check_scan(NULL, "x4111111111111111", "-");
    check_scan(NULL, "41111111111111110000", "-");
    check_scan(NULL, "4111 1111 1111 1111 1111 1111", "-");
    /* mixed separators and odd grouping */
    check_scan(NULL, "4111-1111 1111-1111", "-");
    check_scan(NULL, "41 11 11 11 11 11 11 11", "-");
}

static void test_iban(void **state)
{
    (void)state;
    check_scan(NULL, "IBAN DE89 3704 0044 0532 0130 00.", "iban:DE89 3704 0044 0532 0130 00");
    check_scan(NULL, "to GB29NWBK60161331926819 pls", "iban:GB29NWBK60161331926819");
    check_scan(NULL, "fr14 2004 1010 0505 0001 3m02 606", "iban:fr14 2004 1010 0505 0001 3m02 606");
    check_scan(NULL, "DE89 3704 0044 0532 0130 01", "-"); /* check digits */
    check_scan(NULL, "DE89370400440532013", "-");         /* too short */
    check_scan(NULL, "DE8937040044053201300012", "-");    /* too long */
    check_scan(NULL, "DE89 37040044 0532 0130 00", "-");  /* broken grouping */
    check_scan(NULL, "ZZ89370400440532013000", "-");      /* no such country */
    check_scan(NULL, "XDE89370400440532013000", "-");     /* inside a word */
}

static void test_email(void **state)
{
    (void)state;
    check_scan(NULL, "mail john.doe@example.com.", "email:john.doe@example.com");
    check_scan(NULL, "(a+tag@sub.example.co.uk)", "email:a+tag@sub.example.co.uk");
    check_scan(NULL, "x@y.io and z@w.fr", "email:x@y.io,email:z@w.fr");
    check_scan(NULL, "Pers\xc3\xb6nlich: ab@cd.de", "email:ab@cd.de");
    check_scan(NULL, "user@localhost", "-");
    check_scan(NULL, "app@2.1.4", "-");
    check_scan(NULL, "@AcmeCare hi", "-");
    check_scan(NULL, "a@b.c", "-");
    check_scan(NULL, "foo@-bar.com", "-");
    /* a phone in the local part is part of the address */
    check_scan(NULL, "+15551234567@txt.example.com", "email:15551234567@txt.example.com");
}

static void test_phone(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "(555) 123-4567",  "555-123-4567",   "555.123.4567",      "1-800-555-0199",
        "+1 555 123 4567", "+12025550173",   "07700 900123",      "+44 (0) 20 7946 0958",
        "020 7946 0958",   "06 12 34 56 78", "0612345678",        "+33 6 12 34 56 78",
        "030 12345678",    "089/1234567",    "+49 (0)30 1234567", "0044 7700 900321",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        char text[128], exp[128];
        snprintf(text, sizeof text, "call %s now", yes[i]);
        snprintf(exp, sizeof exp, "phone:%s", yes[i]);
        check_scan(NULL, text, exp);
    }
    static const char *const no[] = {
        "2024-03-15",
        "15/03/2024",
        "03.15.2024",
        "$1,299.99",
        "1.234,50 \xe2\x82\xac",
        "14:30",
        "1.2.3",
        "192.168.1.254",
        "2019-2024",
        "90210-1234",
        "1710512345",
        "#0612345678",
        "id=0612345678",
        "12345678",
        "2024-03-15 14:30:00",
        "555-1234",
        "0123456789",
        "+1",
        "06 12 34",
        "+44 7700 900123 4567 89",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "on %s ok", no[i]);
        check_scan(NULL, text, "-");
    }
}

static void test_ssn(void **state)
{
    (void)state;
    check_scan(NULL, "ssn 123-45-6789.", "ssn:123-45-6789");
    check_scan(NULL, "ssn 123 45 6789", "ssn:123 45 6789");
    check_scan(NULL, "000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000", "-");
    check_scan(NULL, "123-45 6789", "-");
    check_scan(NULL, "123-45-67890", "-");
}

static void test_account(void **state)
{
    (void)state;
    check_scan(NULL, "order #A12345678", "-"); /* no keywords configured */
    check_scan(&brand_cfg, "order #A12345678", "account:A12345678");
    check_scan(&brand_cfg, "Account Number: 12345678.", "account:12345678");
    check_scan(&brand_cfg, "member\tid is MBR-4471902", "account:MBR-4471902");
    check_scan(&brand_cfg, "my order was 3 days late", "-");
    check_scan(&brand_cfg, "orders 12345678", "-");  /* not the keyword */
    check_scan(&brand_cfg, "order 1234", "-");       /* too few digits */
    check_scan(&brand_cfg, "order 2024-03-15", "-"); /* a date */
    check_scan(&brand_cfg, "account DE89370400440532013000", "iban:DE89370400440532013000");
    static const char *const empty_kw[] = {"", NULL, " x"};
    const pii_config_t odd = {empty_kw, 3};
    check_scan(&odd, "12345678 x 12345", "-");
    const pii_config_t none = {NULL, 5};
    check_scan(&none, "order 12345678", "-");
}

static void test_scan_contract(void **state)
{
    (void)state;
    const char *text = "a@b.co 555-123-4567 c@d.co";
    pii_span_t one[1];
    assert_int_equal(pii_scan(NULL, text, strlen(text), NULL, 0), 3);
    assert_int_equal(pii_scan(NULL, text, strlen(text), one, 1), 3);
    assert_int_equal(one[0].kind, PII_EMAIL);
    assert_int_equal(pii_scan(NULL, NULL, 10, NULL, 0), 0);
    assert_int_equal(pii_scan(NULL, "", 0, NULL, 0), 0);

    /* the text ends exactly at len, without a NUL: cut numbers are not found */
    static const char card[] = "4111111111111111";
    char *buf = malloc(sizeof card - 1);
    assert_non_null(buf);
    memcpy(buf, card, sizeof card - 1);
    assert_int_equal(pii_scan(NULL, buf, sizeof card - 1, one, 1), 1);
    assert_int_equal(pii_scan(NULL, buf, sizeof card - 2, one, 1), 0);
    free(buf);
    static const char mail[] = "me@example.com";
    buf = malloc(sizeof mail - 1);
    assert_non_null(buf);
    memcpy(buf, mail, sizeof mail - 1);
    for (size_t n = 0; n <= sizeof mail - 1; n++) {
        size_t found = pii_scan(NULL, buf, n, one, 1);
        assert_true(found <= 1);
        if (found) assert_true(one[0].end <= n);
    }
    free(buf);
    assert_string_equal(pii_kind_name(PII_ACCOUNT), "account");
    assert_string_equal(pii_kind_name((pii_kind_t)99), "unknown");
}

/* Inputs built to make a backtracking matcher go quadratic. */
static void test_linear_time(void **state)
{
    (void)state;
    static const char *const units[] = {"1 ", "a.", "a@", "@a.", "1-", "(1) ", "+1 ", "order "};
    const size_t n = 200000;
    char *text = malloc(n);
    assert_non_null(text);
    static const char *const kw[] = {"order"};
    const pii_config_t cfg = {kw, 1};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]);
        for (size_t i = 0; i < n; i++) text[i] = units[u][i % ul];
        clock_t t0 = clock();
        pii_scan(&cfg, text, n, NULL, 0);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        assert_true(secs < 2.0);
    }
    free(text);
}

static void test_redact(void **state)
{
    (void)state;
    check_redact("card 4111 1111 1111 1111!",
                 "card \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 1111!");
    check_redact("mail john@example.com.",
                 "mail j\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2@example.com.");
    check_redact("call 555-123-4567", "call \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 4567");
    check_redact(
        "DE89 3704 0044 0532 0130 00",
        "DE\xe2\x80\xa2\xe2\x80\xa2 \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 3000");
    check_redact("ssn 123-45-6789",
                 "ssn \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2-\xe2\x80\xa2\xe2\x80\xa2-6789");
    check_redact("order #A12345678", "order #\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
                                     "5678");
    check_redact("order 12345", "order \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
                                "45");
    check_redact("nothing here", "nothing here");
}

static void test_redact_contract(void **state)
{
    (void)state;
    const char *text = "call 555-123-4567 now";
    const char *full = "call \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 4567 now";
    pii_span_t s[4];
    size_t n = pii_scan(NULL, text, strlen(text), s, 4);
    assert_int_equal(n, 1);
    assert_int_equal(pii_redact(text, strlen(text), s, n, NULL, 0), strlen(full));
    char small[8];
    assert_int_equal(pii_redact(text, strlen(text), s, n, small, sizeof small), strlen(full));
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, full, sizeof small - 1);
    char one[1] = {'x'};
    pii_redact(text, strlen(text), s, n, one, 1);
    assert_int_equal(one[0], '\0');

    /* bad spans are clipped, never read out of bounds */
    pii_span_t bad[3] = {{PII_PHONE, 5, 400}, {PII_CARD, 2, 3}, {PII_EMAIL, 9, 9}};
    char buf[64];
    size_t need = pii_redact(text, strlen(text), bad, 3, buf, sizeof buf);
    assert_int_equal(need, strlen(buf));
    assert_string_equal(buf, "call \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 4567");
    assert_int_equal(pii_redact(NULL, 5, NULL, 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

/* ---- the labelled set ---- */

typedef struct {
    size_t tp[PII_KIND_COUNT], fp[PII_KIND_COUNT], fn[PII_KIND_COUNT];
} tally_t;

static double ratio(size_t num, size_t den)
{
    return den ? (double)num / (double)den : 1.0;
}

static void score_line(const char *text, const char *exp, tally_t *t, int lineno)
{
    pii_span_t want[MAX_SPANS], got[MAX_SPANS];
    int nw = parse_expected(text, exp, want, MAX_SPANS);
    if (nw < 0) {
        print_error("%s:%d: cannot place expected '%s'\n", cases_path, lineno, exp);
        fail();
    }
    size_t ng = pii_scan(&brand_cfg, text, strlen(text), got, MAX_SPANS);
    assert_true(ng <= MAX_SPANS);
    int wrong = 0;
    for (size_t i = 0; i < ng; i++) {
        int match = 0;
        for (int j = 0; j < nw && !match; j++)
            match = got[i].kind == want[j].kind && got[i].start == want[j].start &&
                    got[i].end == want[j].end;
        match ? t->tp[got[i].kind]++ : (t->fp[got[i].kind]++, wrong = 1);
    }
    for (int j = 0; j < nw; j++) {
        int match = 0;
        for (size_t i = 0; i < ng && !match; i++)
            match = got[i].kind == want[j].kind && got[i].start == want[j].start &&
                    got[i].end == want[j].end;
        if (!match) t->fn[want[j].kind]++, wrong = 1;
    }
    if (wrong) {
        char buf[512];
        format_spans(text, got, ng, buf, sizeof buf);
        printf("  miss line %d: %s\n    expected %s\n    got      %s\n", lineno, text, exp, buf);
    }
}

static void test_labelled_set(void **state)
{
    (void)state;
    if (!cases_path) {
        print_error("usage: test_pii tests/data/pii_cases.tsv\n");
        fail();
    }
    FILE *f = fopen(cases_path, "r");
    if (!f) {
        print_error("cannot open %s\n", cases_path);
        fail();
    }
    tally_t t = {{0}, {0}, {0}};
    char line[2048];
    int lineno = 0, cases = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!line[0] || !tab) continue;
        *tab = '\0';
        score_line(line, tab + 1, &t, lineno);
        cases++;
    }
    fclose(f);

    size_t tp = 0, fp = 0, fn = 0;
    printf("pii labelled set: %d cases\n", cases);
    printf("  %-8s %5s %5s %5s %9s %7s\n", "kind", "tp", "fp", "fn", "precision", "recall");
    for (int k = 0; k < PII_KIND_COUNT; k++) {
        printf("  %-8s %5zu %5zu %5zu %9.3f %7.3f\n", pii_kind_name((pii_kind_t)k), t.tp[k],
               t.fp[k], t.fn[k], ratio(t.tp[k], t.tp[k] + t.fp[k]),
               ratio(t.tp[k], t.tp[k] + t.fn[k]));
        tp += t.tp[k], fp += t.fp[k], fn += t.fn[k];
    }
    double precision = ratio(tp, tp + fp), recall = ratio(tp, tp + fn);
    printf("  %-8s %5zu %5zu %5zu %9.3f %7.3f\n", "overall", tp, fp, fn, precision, recall);
    assert_true(cases >= 300);
    assert_true(precision >= 0.97);
    assert_true(recall >= 0.97);
}

int main(int argc, char **argv)
{
    cases_path = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_card),          cmocka_unit_test(test_iban),
        cmocka_unit_test(test_email),         cmocka_unit_test(test_phone),
        cmocka_unit_test(test_ssn),           cmocka_unit_test(test_account),
        cmocka_unit_test(test_scan_contract), cmocka_unit_test(test_linear_time),
        cmocka_unit_test(test_redact),        cmocka_unit_test(test_redact_contract),
        cmocka_unit_test(test_labelled_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
