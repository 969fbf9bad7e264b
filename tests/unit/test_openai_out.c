/* test_openai_out.c — the OpenAI answer pieces the translators share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "api/openai_out.h"

static void test_counts_and_saturation(void **state)
{
    static const char text[] = "{\"a\":12,\"neg\":-3,\"frac\":1.5,\"str\":\"7\","
                               "\"huge\":99999999999999999999}";
    seam_jdoc d;
    assert_int_equal(seam_jdoc_parse(&d, text, sizeof text - 1, NULL), 0);
    seam_jv o = seam_jroot(&d);
    /* present integers are read (a negative one as 0); anything else leaves
     * the field as it was */
    seam_oai_tokens t = {.input = -1, .cache_read = -1, .cache_write = -1, .output = -1};
    seam_oai_read_tokens(&d, o, (seam_oai_token_names){"a", "neg", "frac", "absent"}, &t);
    assert_true(t.input == 12 && t.cache_read == 0 && t.cache_write == -1 && t.output == -1);
    t = (seam_oai_tokens){0};
    seam_oai_read_tokens(&d, o, (seam_oai_token_names){"str", "huge", "a", "absent"}, &t);
    assert_true(t.input == 0 && t.cache_read == 0 && t.cache_write == 12 && t.output == 0);
    seam_jdoc_free(&d);
    assert_true(seam_oai_add(LLONG_MAX - 1, 5) == LLONG_MAX);
    assert_int_equal(seam_oai_add(2, 3), 5);
}

static void test_usage_sums_cached_into_prompt(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 1024);
    seam_jw w;
    seam_jw_init(&w, &b);
    seam_oai_tokens t = {.input = 10, .cache_read = 100, .cache_write = 5, .output = 7};
    seam_oai_usage(&w, &t);
    assert_int_equal(seam_jw_error(&w), 0);
    assert_string_equal(b.data,
                        "{\"prompt_tokens\":115,\"completion_tokens\":7,\"total_tokens\":122,"
                        "\"prompt_tokens_details\":{\"cached_tokens\":100}}");
    seam_buf_free(&b);
}

static void test_tool_call(void **state)
{
    static const char text[] = "{\"id\":\"call_\\u0031\",\"name\":\"get_weather\","
                               "\"input\":{ \"city\" : \"Paris\", \"n\": 1.50 }}";
    seam_jdoc d;
    assert_int_equal(seam_jdoc_parse(&d, text, sizeof text - 1, NULL), 0);
    seam_jv o = seam_jroot(&d);
    seam_buf b;
    seam_buf_init(&b, 1024);
    seam_jw w;
    seam_jw_init(&w, &b);
    seam_jw_arr(&w);
    seam_oai_tool_call(&w, &d, seam_jget(&d, o, "id"), seam_jget(&d, o, "name"),
                       seam_jget(&d, o, "input"));
    seam_oai_tool_call(&w, &d, seam_jget(&d, o, "id"), seam_jget(&d, o, "name"), NULL);
    seam_jw_end(&w);
    assert_int_equal(seam_jw_error(&w), 0);
    assert_string_equal(b.data, "[{\"id\":\"call_\\u0031\",\"type\":\"function\",\"function\":{"
                                "\"name\":\"get_weather\",\"arguments\":"
                                "\"{\\\"city\\\":\\\"Paris\\\",\\\"n\\\":1.50}\"}},"
                                "{\"id\":\"call_\\u0031\",\"type\":\"function\",\"function\":{"
                                "\"name\":\"get_weather\",\"arguments\":\"{}\"}}]");
    seam_buf_free(&b);
    seam_jdoc_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_saturation),
        cmocka_unit_test(test_usage_sums_cached_into_prompt),
        cmocka_unit_test(test_tool_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
