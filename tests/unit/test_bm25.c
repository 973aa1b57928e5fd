/*
 * test_bm25.c - unit tests of BM25 suggestions: ranking on a small set of
 * canned responses, k handling, empty and stop-word queries, the term
 * pipeline, and the index life cycle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text/bm25.h"

static const struct {
    int64_t id;
    const char *title, *body;
} canned[] = {
    {101, "Refund status",
     "Refunds are processed within 5 working days. We refunded your order to the original card."},
    {102, "Where is my parcel",
     "Track your delivery with the tracking link in your email. Parcels can take 3 days."},
    {103, "Cancel subscription",
     "You can cancel your subscription any time in Settings > Billing. Cancelling stops the "
     "next payment."},
    {104, "Reset password",
     "Use 'Forgot password' on the login page and we'll e-mail you a reset link."},
    {105, "Damaged item",
     "Sorry your item arrived damaged. Send us a photo by DM and we'll send a replacement."},
    {106, "Double charge",
     "If you were charged twice, the duplicate charge is usually a pending authorisation that "
     "drops off in 3 days."},
};

static bm25_index_t *build(void)
{
    bm25_index_t *ix = bm25_index_new();
    assert_non_null(ix);
    for (size_t i = 0; i < sizeof canned / sizeof *canned; i++)
        assert_int_equal(bm25_add_doc(ix, canned[i].id, canned[i].title, strlen(canned[i].title),
                                      canned[i].body, strlen(canned[i].body)),
                         0);
    assert_int_equal(bm25_finish(ix), 0);
    assert_int_equal(bm25_count(ix), 6);
    return ix;
}

static int64_t top(const bm25_index_t *ix, const char *q)
{
    bm25_result_t r[3];
    int n = bm25_search(ix, q, strlen(q), 3, r);
    assert_true(n >= 1);
    return r[0].doc_id;
}

static void test_ranking(void **state)
{
    (void)state;
    bm25_index_t *ix = build();
    assert_int_equal(top(ix, "@shop where's my refund?? been a week"), 101);
    assert_int_equal(top(ix, "my parcel hasn't arrived, tracking says nothing"), 102);
    assert_int_equal(top(ix, "how do I cancel? I keep getting billed"), 103);
    assert_int_equal(top(ix, "cant log in, forgot my PASSWORD"), 104);
    assert_int_equal(top(ix, "the mug came smashed, totally damaged"), 105);
    assert_int_equal(top(ix, "you charged me twice!!"), 106);
    /* stemming: refunding / refunded / refunds all meet */
    assert_int_equal(top(ix, "refunding"), 101);
    /* scores are positive and ordered */
    bm25_result_t r[6];
    int n = bm25_search(ix, "refund delivery damaged", 23, 6, r);
    assert_int_equal(n, 3);
    for (int i = 1; i < n; i++) assert_true(r[i - 1].score >= r[i].score);
    assert_true(r[n - 1].score > 0);
    bm25_index_free(ix);
}

static void test_title_weight(void **state)
{
    (void)state;
    bm25_index_t *ix = bm25_index_new();
    const char *body = "general help with your account and orders";
    assert_int_equal(bm25_add_doc(ix, 1, NULL, 0, "voucher voucher", 15), 0);
    assert_int_equal(bm25_add_doc(ix, 2, "voucher", 7, "voucher", 7), 0);
    assert_int_equal(bm25_add(ix, 3, body, strlen(body)), 0);
    assert_int_equal(bm25_finish(ix), 0);
    bm25_result_t r[3];
    assert_int_equal(bm25_search(ix, "voucher", 7, 3, r), 2);
    /* doc 2 counts the title twice: tf 3 vs 2 with similar lengths */
    assert_int_equal(r[0].doc_id, 2);
    bm25_index_free(ix);
}

static void test_k_handling(void **state)
{
    (void)state;
    bm25_index_t *ix = build();
    bm25_result_t r[10];
    const char *q = "days"; /* in docs 101, 102, 106 */
    assert_int_equal(bm25_search(ix, q, strlen(q), 0, NULL), 0);
    assert_int_equal(bm25_search(ix, q, strlen(q), 1, r), 1);
    int64_t best = r[0].doc_id;
    assert_int_equal(bm25_search(ix, q, strlen(q), 2, r), 2);
    assert_int_equal(r[0].doc_id, best);
    assert_int_equal(bm25_search(ix, q, strlen(q), 10, r), 3);
    assert_int_equal(r[0].doc_id, best);
    /* equal scores keep insertion order */
    bm25_index_t *eq = bm25_index_new();
    for (int i = 0; i < 5; i++) assert_int_equal(bm25_add(eq, 10 - i, "same words here", 15), 0);
    assert_int_equal(bm25_finish(eq), 0);
    assert_int_equal(bm25_search(eq, "words", 5, 3, r), 3);
    assert_int_equal(r[0].doc_id, 10);
    assert_int_equal(r[1].doc_id, 9);
    assert_int_equal(r[2].doc_id, 8);
    bm25_index_free(eq);
    bm25_index_free(ix);
}

static void test_empty_and_stopword_queries(void **state)
{
    (void)state;
    bm25_index_t *ix = build();
    bm25_result_t r[3];
    assert_int_equal(bm25_search(ix, "", 0, 3, r), 0);
    assert_int_equal(bm25_search(ix, NULL, 0, 3, r), 0);
    assert_int_equal(bm25_search(ix, "the and of to you", 17, 3, r), 0);
    assert_int_equal(bm25_search(ix, "!!! 😡 ???", strlen("!!! 😡 ???"), 3, r), 0);
    assert_int_equal(bm25_search(ix, "zebra xylophone", 15, 3, r), 0);
    const char bad[] = "\xff\xfe refund \xc3";
    assert_int_equal(bm25_search(ix, bad, sizeof bad - 1, 3, r), 1);
    bm25_index_free(ix);
}

static void test_life_cycle_errors(void **state)
{
    (void)state;
    bm25_index_t *ix = bm25_index_new();
    bm25_result_t r[1];
    assert_int_equal(bm25_search(ix, "x", 1, 1, r), PARLEY_EINVAL); /* not finished */
    assert_int_equal(bm25_add(ix, 1, NULL, 3), PARLEY_EINVAL);
    assert_int_equal(bm25_add(NULL, 1, "x", 1), PARLEY_EINVAL);
    assert_int_equal(bm25_finish(ix), 0);
    assert_int_equal(bm25_finish(ix), PARLEY_EINVAL);
    assert_int_equal(bm25_add(ix, 1, "late", 4), PARLEY_EINVAL);
    assert_int_equal(bm25_search(ix, "late", 4, 1, r), 0); /* empty index */
    assert_int_equal(bm25_search(ix, "late", 4, 1, NULL), PARLEY_EINVAL);
    bm25_index_free(ix);
    bm25_index_free(NULL);
}

static void test_terms(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Refunds", "refund"},
        {"refunded", "refund"},
        {"refunding", "refund"},
        {"parcels", "parcel"},
        {"boxes", "box"},
        {"deliveries", "delivery"},
        {"shipped", "ship"},
        {"shipping", "ship"},
        {"charged", "charg"},
        {"charge", "charg"},
        {"cancelled", "cancel"},
        {"cancelling", "cancel"},
        {"address", "address"},
        {"addresses", "address"},
        {"status", "status"},
        {"need", "need"},
        {"bring", "bring"},
        {"customer's", "customer"},
        {"#Refund", "refund"},
        {"CAFÉS", "cafés"},
        {"applied", "apply"},
        {"the", ""},
        {"You", ""},
        {"don't", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[64];
        size_t n = bm25_term(cases[i].in, strlen(cases[i].in), buf, sizeof buf);
        assert_string_equal(buf, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranking),           cmocka_unit_test(test_title_weight),
        cmocka_unit_test(test_k_handling),        cmocka_unit_test(test_empty_and_stopword_queries),
        cmocka_unit_test(test_life_cycle_errors), cmocka_unit_test(test_terms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
