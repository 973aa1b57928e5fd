/*
 * test_search.c - unit tests of message search's snippets (desk/search.c):
 * the window around the first match, matched words in brackets, ellipses
 * where the body was cut, case and stemming of the query's words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "desk/search.h"

static arena_t A;

static void snippet_is(const char *body, const char *query, const char *want)
{
    char *got = search_snippet(&A, body, query);
    if (strcmp(got, want))
        fail_msg("snippet of \"%s\" for \"%s\":\n got  %s\n want %s", body, query, got, want);
}

static void short_body_whole(void **state)
{
    (void)state;
    snippet_is("I was charged twice!", "charged twice", "I was [charged] [twice]!");
    snippet_is("Refund please.", "REFUND", "[Refund] please.");
}

static void window_and_ellipses(void **state)
{
    (void)state;
    /* three words of context before the first match, twelve words in all */
    snippet_is("one two three four five six seven eight nine ten eleven twelve thirteen "
               "fourteen refund fifteen sixteen seventeen eighteen nineteen twenty more words",
               "refund",
               "...twelve thirteen fourteen [refund] fifteen sixteen seventeen eighteen "
               "nineteen twenty more words");
    snippet_is("one two three four five refund six seven eight nine ten eleven twelve thirteen",
               "refund",
               "...three four five [refund] six seven eight nine ten eleven twelve "
               "thirteen");
    snippet_is("one two three four five refund six seven eight nine ten eleven twelve thirteen "
               "fourteen.",
               "refund",
               "...three four five [refund] six seven eight nine ten eleven twelve "
               "thirteen...");
    snippet_is("refund at the very start of a body that goes on and on for many more words "
               "than fit",
               "refund", "[refund] at the very start of a body that goes on and...");
}

static void every_occurrence_marked(void **state)
{
    (void)state;
    snippet_is("Refunds, refunds: where is my refund?", "refund",
               "[Refunds], [refunds]: where is my [refund]?");
}

static void no_match_shows_the_start(void **state)
{
    (void)state;
    snippet_is("Nothing here matches the query at all, it is all about other things entirely",
               "voucher", "Nothing here matches the query at all, it is all about other...");
    snippet_is("", "refund", "");
    snippet_is("!!! ???", "refund", "");
}

static void utf8_words(void **state)
{
    (void)state;
    snippet_is("Meine Bestellung ist nicht angekommen, Rückerstattung bitte", "RÜCKERSTATTUNG",
               "...ist nicht angekommen, [Rückerstattung] bitte");
}

int main(void)
{
    arena_init(&A, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_body_whole),
        cmocka_unit_test(window_and_ellipses),
        cmocka_unit_test(every_occurrence_marked),
        cmocka_unit_test(no_match_shows_the_start),
        cmocka_unit_test(utf8_words),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    arena_free(&A);
    return rc;
}
