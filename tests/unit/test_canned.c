/*
 * test_canned.c - the canned-response template language: slots and blanks
 * inside them, literal braces, unclosed and malformed slots, unknown
 * variables, empty values, one-pass substitution, and that check and render
 * agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "desk/canned.h"

typedef struct {
    const char *contact;
    const char *agent;
    int lookups;
} vars_t;

static int lookup(void *p, str_t name, str_t *value)
{
    vars_t *v = p;
    v->lookups++;
    if (str_eq_cstr(name, "contact.name"))
        *value = str_from(v->contact);
    else if (str_eq_cstr(name, "agent.name"))
        *value = str_from(v->agent);
    else if (str_eq_cstr(name, "conversation.id"))
        *value = STR_LIT("42");
    else
        return PARLEY_ENOENT;
    return 0;
}

/* Renders tpl; on success *text is the output (static, valid until the next call). */
static int render(const char *tpl, vars_t *v, const char **text, parley_err_t *err)
{
    static buf_t out;
    static bool ready;
    if (!ready) {
        buf_init(&out, 0);
        ready = true;
    }
    buf_reset(&out);
    memset(err, 0, sizeof *err);
    int rc = canned_render(tpl, strlen(tpl), lookup, v, &out, err);
    *text = buf_cstr(&out);
    return rc;
}

static int check(const char *tpl, parley_err_t *err)
{
    memset(err, 0, sizeof *err);
    return canned_check(tpl, strlen(tpl), NULL, err);
}

static void test_fills_variables(void **state)
{
    (void)state;
    vars_t v = {"Sam Lee", "Anna", 0};
    const char *t;
    parley_err_t e;
    assert_int_equal(render("Hi {{contact.name}}, this is {{agent.name}}.", &v, &t, &e), 0);
    assert_string_equal(t, "Hi Sam Lee, this is Anna.");
    assert_int_equal(render("#{{conversation.id}}", &v, &t, &e), 0);
    assert_string_equal(t, "#42");
    assert_int_equal(render("{{agent.name}}{{agent.name}}", &v, &t, &e), 0);
    assert_string_equal(t, "AnnaAnna");
}

static void test_blanks_inside_braces(void **state)
{
    (void)state;
    vars_t v = {"Sam", "Anna", 0};
    const char *t;
    parley_err_t e;
    assert_int_equal(render("Hi {{ contact.name }} / {{\tagent.name\t}}", &v, &t, &e), 0);
    assert_string_equal(t, "Hi Sam / Anna");
    assert_int_equal(check("{{   contact.first_name}}", &e), 0);
}

static void test_literal_text_and_single_braces(void **state)
{
    (void)state;
    vars_t v = {"Sam", "Anna", 0};
    const char *t;
    parley_err_t e;
    assert_int_equal(render("", &v, &t, &e), 0);
    assert_string_equal(t, "");
    assert_int_equal(render("no slots at all", &v, &t, &e), 0);
    assert_string_equal(t, "no slots at all");
    assert_int_equal(render("a {b} c } {", &v, &t, &e), 0);
    assert_string_equal(t, "a {b} c } {");
    assert_int_equal(render("{{agent.name}}}", &v, &t, &e), 0); /* "}}" closes, "}" is text */
    assert_string_equal(t, "Anna}");
    assert_int_equal(render("smile }}", &v, &t, &e), 0);
    assert_string_equal(t, "smile }}");
    assert_int_equal(v.lookups, 1);
}

static void test_unclosed_is_an_error(void **state)
{
    (void)state;
    vars_t v = {"Sam", "Anna", 0};
    const char *t;
    parley_err_t e;
    assert_int_equal(render("Hi {{contact.name", &v, &t, &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "never closed"));
    assert_non_null(strstr(e.msg, "character 4"));
    assert_int_equal(check("Hi {{contact.name}} and {{", &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "character 25"));
    assert_int_equal(check("{{contact.name} }", &e), PARLEY_EINVAL);
    /* positions count characters, not bytes */
    assert_int_equal(check("Olá {{x", &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "character 5"));
}

static void test_malformed_slots(void **state)
{
    (void)state;
    parley_err_t e;
    assert_int_equal(check("{{}}", &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "empty"));
    assert_int_equal(check("{{   }}", &e), PARLEY_EINVAL);
    assert_int_equal(check("{{contact name}}", &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "malformed"));
    assert_int_equal(check("{{{contact.name}}}", &e), PARLEY_EINVAL);
    assert_int_equal(check("{{contact.name\n}}", &e), PARLEY_EINVAL);
    assert_int_equal(check("{{contact-name}}", &e), PARLEY_EINVAL);
    char longname[80];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "{{", 2);
    memcpy(longname + sizeof longname - 3, "}}", 3);
    assert_int_equal(check(longname, &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "longer than"));
}

static void test_unknown_variables_are_named(void **state)
{
    (void)state;
    vars_t v = {"Sam", "Anna", 0};
    const char *t;
    parley_err_t e;
    assert_int_equal(check("Hi {{contact.nme}}", &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "{{contact.nme}}"));
    assert_non_null(strstr(e.msg, "contact.name"));                 /* the known ones are listed */
    assert_int_equal(check("{{Contact.Name}}", &e), PARLEY_EINVAL); /* names are exact */
    assert_int_equal(render("Hi {{inbox.name}}", &v, &t, &e), PARLEY_EINVAL);
    assert_non_null(strstr(e.msg, "{{inbox.name}}"));
    static const char *const only[] = {"x.y", NULL};
    memset(&e, 0, sizeof e);
    assert_int_equal(canned_check("{{x.y}}", 7, only, &e), 0);
    assert_int_equal(canned_check("{{contact.name}}", 16, only, &e), PARLEY_EINVAL);
}

static void test_known_variables(void **state)
{
    (void)state;
    parley_err_t e;
    char tpl[64];
    for (int i = 0; canned_variables[i]; i++) {
        snprintf(tpl, sizeof tpl, "{{%s}}", canned_variables[i]);
        assert_int_equal(check(tpl, &e), 0);
    }
    assert_int_equal(check("Hi {{contact.first_name}}, {{agent.name}} from {{inbox.name}} "
                           "about #{{conversation.id}} ({{contact.name}})",
                           &e),
                     0);
}

/* Bug guard: an empty or blank value must not yield "Hi ," to a customer. */
static void test_empty_value_is_an_error(void **state)
{
    (void)state;
    vars_t v = {"", "Anna", 0};
    const char *t;
    parley_err_t e;
    assert_int_equal(render("Hi {{contact.name}},", &v, &t, &e), PARLEY_ENOENT);
    assert_non_null(strstr(e.msg, "{{contact.name}}"));
    v.contact = "  \t ";
    assert_int_equal(render("Hi {{contact.name}},", &v, &t, &e), PARLEY_ENOENT);
    /* an unused empty variable does not matter */
    assert_int_equal(render("Hi, {{agent.name}} here", &v, &t, &e), 0);
    assert_string_equal(t, "Hi, Anna here");
}

/* Values are inserted as they are, never scanned again. */
static void test_values_are_not_expanded(void **state)
{
    (void)state;
    vars_t v = {"{{agent.name}}", "Anna", 0};
    const char *t;
    parley_err_t e;
    assert_int_equal(render("Hi {{contact.name}}", &v, &t, &e), 0);
    assert_string_equal(t, "Hi {{agent.name}}");
    v.contact = "{{";
    assert_int_equal(render("[{{contact.name}}]", &v, &t, &e), 0);
    assert_string_equal(t, "[{{]");
}

static int failing_lookup(void *p, str_t name, str_t *value)
{
    (void)p, (void)name, (void)value;
    return PARLEY_EIO;
}

static void test_lookup_failure_passes_through(void **state)
{
    (void)state;
    buf_t out;
    buf_init(&out, 0);
    parley_err_t e = {0};
    assert_int_equal(canned_render("a {{x}}", 7, failing_lookup, NULL, &out, &e), PARLEY_EIO);
    buf_free(&out);
}

/* The length is honoured: no read past len, a slot cut by len is unclosed. */
static void test_length_is_honoured(void **state)
{
    (void)state;
    vars_t v = {"Sam", "Anna", 0};
    buf_t out;
    buf_init(&out, 0);
    parley_err_t e = {0};
    const char *tpl = "Hi {{agent.name}} and more";
    assert_int_equal(canned_render(tpl, 16, lookup, &v, &out, &e), PARLEY_EINVAL);
    buf_reset(&out);
    assert_int_equal(canned_render(tpl, 17, lookup, &v, &out, &e), 0);
    assert_string_equal(buf_cstr(&out), "Hi Anna");
    buf_reset(&out);
    assert_int_equal(canned_render(tpl, 2, lookup, &v, &out, &e), 0);
    assert_string_equal(buf_cstr(&out), "Hi");
    assert_int_equal(canned_check(tpl, 0, NULL, &e), 0);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills_variables),
        cmocka_unit_test(test_blanks_inside_braces),
        cmocka_unit_test(test_literal_text_and_single_braces),
        cmocka_unit_test(test_unclosed_is_an_error),
        cmocka_unit_test(test_malformed_slots),
        cmocka_unit_test(test_unknown_variables_are_named),
        cmocka_unit_test(test_known_variables),
        cmocka_unit_test(test_empty_value_is_an_error),
        cmocka_unit_test(test_values_are_not_expanded),
        cmocka_unit_test(test_lookup_failure_passes_through),
        cmocka_unit_test(test_length_is_honoured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
