/* test_json_doc.c — the node-array reader and the direct writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_doc.h"
#include "api/json_write.h"

static void parse_ok(seam_jdoc *d, const char *s)
{
    seam_json_error e;
    int rc = seam_jdoc_parse(d, s, strlen(s), &e);
    if (rc) fail_msg("parse of %s failed at %zu: %s", s, e.offset, e.msg);
}

static void test_navigation(void **state)
{
    seam_jdoc d;
    const char *s = "{\"a\": [1, {\"b\": true}, \"x\"], \"c\": {}, \"d\": null, \"a2\": -1.5e3}";
    parse_ok(&d, s);
    seam_jv root = seam_jroot(&d);
    assert_true(seam_jis(root, SEAM_JOBJECT));
    assert_int_equal(seam_jcount(root), 4);
    seam_jv a = seam_jget(&d, root, "a");
    assert_true(seam_jis(a, SEAM_JARRAY));
    assert_int_equal(seam_jcount(a), 3);
    size_t i;
    seam_jv it;
    int types[3];
    seam_jarr_foreach(a, i, it) types[i] = it->type;
    assert_int_equal(i, 3);
    assert_int_equal(types[0], SEAM_JNUMBER);
    assert_int_equal(types[1], SEAM_JOBJECT);
    assert_int_equal(types[2], SEAM_JSTRING);
    seam_jv b = seam_jget(&d, seam_jfirst(a) + 1, "b");
    assert_true(seam_jis(b, SEAM_JTRUE));
    assert_true(seam_jis(seam_jget(&d, root, "c"), SEAM_JOBJECT));
    assert_int_equal(seam_jcount(seam_jget(&d, root, "c")), 0);
    assert_null(seam_jfirst(seam_jget(&d, root, "c")));
    assert_true(seam_jnone(seam_jget(&d, root, "d")));
    assert_true(seam_jnone(seam_jget(&d, root, "zz")));
    assert_null(seam_jget(&d, a, "a")); /* not an object */
    assert_null(seam_jget(&d, NULL, "a"));
    double x;
    assert_int_equal(seam_jnum(&d, seam_jget(&d, root, "a2"), &x), 0);
    assert_true(x == -1500.0);
    long long ll;
    assert_int_equal(seam_jint(&d, seam_jget(&d, root, "a2"), &ll), -1);
    assert_int_equal(seam_jint(&d, seam_jfirst(a), &ll), 0);
    assert_int_equal(ll, 1);
    /* raw spans: the container's bytes as written */
    assert_int_equal(a->len, strlen("[1, {\"b\": true}, \"x\"]"));
    assert_memory_equal(seam_jraw(&d, a), "[1, {\"b\": true}, \"x\"]", a->len);
    /* members walk in order */
    seam_jv k, v;
    char keys[64] = "";
    seam_jobj_foreach(root, k, v)
    {
        size_t n;
        const char *ks = seam_jstr(&d, k, &n);
        strncat(keys, ks, n);
        strcat(keys, ",");
    }
    assert_string_equal(keys, "a,c,d,a2,");
    seam_jdoc_free(&d);
}

/* A document past the nodes it holds inline moves to the heap mid-parse;
 * every node, before and after the move, must still say the same. */
static void test_outgrows_inline_nodes(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 1u << 20);
    seam_buf_append(&b, "{\"xs\":[", strlen("{\"xs\":["));
    for (int i = 0; i < 3 * SEAM_JDOC_INLINE; i++)
        seam_buf_printf(&b, "%s{\"i\":%d}", i ? "," : "", i);
    seam_buf_append(&b, "],\"end\":true}", strlen("],\"end\":true}"));
    seam_jdoc d;
    seam_json_error e;
    if (seam_jdoc_parse(&d, b.data, b.len, &e))
        fail_msg("%s at %zu of %zu", e.msg, e.offset, b.len);
    assert_true(d.n > SEAM_JDOC_INLINE);
    assert_ptr_not_equal(d.nodes, d.inline_nodes);
    seam_jv root = seam_jroot(&d), xs = seam_jget(&d, root, "xs"), it;
    assert_int_equal(seam_jcount(xs), 3 * SEAM_JDOC_INLINE);
    size_t i;
    seam_jarr_foreach(xs, i, it)
    {
        long long v = -1;
        assert_int_equal(seam_jint(&d, seam_jget(&d, it, "i"), &v), 0);
        assert_int_equal(v, (long long)i);
    }
    assert_true(seam_jis(seam_jget(&d, root, "end"), SEAM_JTRUE));
    seam_jdoc_free(&d);
    /* and a small one after it, in the same seam_jdoc, stays inline */
    assert_int_equal(seam_jdoc_parse(&d, "[1,2]", 5, &e), 0);
    assert_ptr_equal(d.nodes, d.inline_nodes);
    assert_int_equal(seam_jcount(seam_jroot(&d)), 2);
    seam_jdoc_free(&d);
    seam_buf_free(&b);
}

/* Several members in one walk: the last of a repeated key, an escaped key
 * by its decoded name, NULL for what is absent or when obj is no object;
 * the first key not asked for is returned. */
static void test_pick(void **state)
{
    seam_jdoc d;
    parse_ok(&d, "{\"a\":1,\"b\":2,\"a\":3,\"\\u0063\":4,\"dd\":5,\"e\":6}");
    static const char *const names[] = {"a", "c", "zz", "dd", "d"};
    seam_jv v[5];
    seam_jv unknown = seam_jpick(&d, seam_jroot(&d), names, 5, v);
    assert_true(seam_jkey_is(&d, unknown, "b"));
    long long x;
    assert_int_equal(seam_jint(&d, v[0], &x), 0);
    assert_int_equal(x, 3);
    assert_int_equal(seam_jint(&d, v[1], &x), 0);
    assert_int_equal(x, 4);
    assert_null(v[2]);
    assert_int_equal(seam_jint(&d, v[3], &x), 0);
    assert_int_equal(x, 5);
    assert_null(v[4]); /* "dd" is not "d" */
    assert_null(
        seam_jpick(&d, seam_jroot(&d), (const char *const[]){"a", "b", "c", "dd", "e"}, 5, v));
    assert_null(seam_jpick(&d, seam_jget(&d, seam_jroot(&d), "b"), names, 5, v));
    for (int i = 0; i < 5; i++)
        assert_null(v[i]);
    seam_jdoc_free(&d);
}

/* Integers to the edges of long long; fractions, exponents and anything
 * past the range are not integers. */
static void test_integers(void **state)
{
    static const struct {
        const char *text;
        int rc;
        long long v;
    } cases[] = {
        {"0", 0, 0},
        {"-0", 0, 0},
        {"42", 0, 42},
        {"-17", 0, -17},
        {"9223372036854775807", 0, LLONG_MAX},
        {"-9223372036854775808", 0, LLONG_MIN},
        {"9223372036854775808", -1, 0},
        {"-9223372036854775809", -1, 0},
        {"99999999999999999999999", -1, 0},
        {"1.0", -1, 0},
        {"1e3", -1, 0},
        {"-2E1", -1, 0},
        {"\"5\"", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seam_jdoc d;
        parse_ok(&d, cases[i].text);
        long long v = 12345;
        int rc = seam_jint(&d, seam_jroot(&d), &v);
        if (rc != cases[i].rc) fail_msg("%s: rc %d, want %d", cases[i].text, rc, cases[i].rc);
        if (rc == 0 && v != cases[i].v) fail_msg("%s: %lld", cases[i].text, v);
        seam_jdoc_free(&d);
    }
}

static void test_strings(void **state)
{
    seam_jdoc d;
    const char *s = "{\"mod\\u0065l\": \"first\", \"model\": \"gpt-\\u00e9\\n\", \"e\": \"\","
                    "\"t\": \"tool_use\"}";
    parse_ok(&d, s);
    seam_jv root = seam_jroot(&d);
    seam_jv m = seam_jget(&d, root, "model"); /* the escaped key counts; the last wins */
    assert_non_null(m);
    assert_true(m->escaped);
    assert_true(seam_jstr_eq(&d, m, "gpt-\xc3\xa9\n"));
    assert_false(seam_jstr_eq(&d, m, "gpt-"));
    assert_true(seam_jstr_prefix(&d, m, "gpt-"));
    assert_false(seam_jstr_prefix(&d, m, "gpt-\xc3\xa9\nx"));
    seam_buf b;
    seam_buf_init(&b, 64);
    assert_int_equal(seam_jstr_decode(&d, m, &b), 0);
    assert_string_equal(b.data, "gpt-\xc3\xa9\n");
    seam_buf_free(&b);
    size_t n;
    assert_non_null(seam_jstr(&d, seam_jget(&d, root, "e"), &n));
    assert_int_equal(n, 0);
    assert_true(seam_jstr_eq(&d, seam_jget(&d, root, "e"), ""));
    assert_true(seam_jstr_eq(&d, seam_jget(&d, root, "t"), "tool_use"));
    assert_false(seam_jstr_eq(&d, root, "x"));
    assert_null(seam_jstr(&d, root, &n));
    seam_jdoc_free(&d);
}

/* Invalid text is refused with the scanner's own messages. */
static void test_invalid(void **state)
{
    static const char *bad[] = {
        "",        "{",           "[1,]",  "{\"a\":1,}",       "{\"a\" 1}",    "[01]",
        "\"\\x\"", "\"\\ud800\"", "[1] 2", "{\"a\":\"\x01\"}", "\"\xc0\xaf\"", "nul",
        "[1 2]",   "{1:2}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seam_jdoc d;
        seam_json_error e1, e2;
        assert_int_equal(seam_jdoc_parse(&d, bad[i], strlen(bad[i]), &e1), -1);
        seam_jdoc_free(&d);
        assert_int_equal(seam_json_validate(bad[i], strlen(bad[i]), &e2), -1);
        assert_string_equal(e1.msg, e2.msg);
        assert_int_equal(e1.offset, e2.offset);
    }
    /* 64 levels are allowed, 65 are not */
    char deep[200];
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    seam_jdoc d;
    assert_int_equal(seam_jdoc_parse(&d, deep, 128, NULL), 0);
    seam_jdoc_free(&d);
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    assert_int_equal(seam_jdoc_parse(&d, deep, 130, NULL), -1);
    seam_jdoc_free(&d);
}

/* Rewrites v with the writer, member by member. */
static void rewrite(seam_jw *w, const seam_jdoc *d, seam_jv v)
{
    size_t i, n;
    seam_jv it, k, x;
    switch (v->type) {
    case SEAM_JOBJECT:
        seam_jw_obj(w);
        seam_jobj_foreach(v, k, x)
        {
            seam_buf key;
            seam_buf_init(&key, 1 << 20);
            assert_int_equal(seam_jstr_decode(d, k, &key), 0);
            seam_jw_key(w, key.data ? key.data : "");
            seam_buf_free(&key);
            rewrite(w, d, x);
        }
        seam_jw_end(w);
        break;
    case SEAM_JARRAY:
        seam_jw_arr(w);
        seam_jarr_foreach(v, i, it) rewrite(w, d, it);
        seam_jw_end(w);
        break;
    case SEAM_JSTRING: {
        const char *s = seam_jstr(d, v, &n);
        seam_jw_str_escaped(w, s, n);
        break;
    }
    default: seam_jw_value(w, d, v);
    }
}

static void test_rewrite_round_trip(void **state)
{
    static const char *docs[] = {
        "{}",
        "[]",
        "{\"a\":[1,2,{\"b\":[[],{}]}],\"c\":\"x\\\"y\",\"d\":null,\"e\":true,\"f\":false,\"g\":-0."
        "5e-3}",
        " [ \"\\u00e9\\ud83d\\ude00\" , 1234567890123 , {\"k\" : [ null ] } ] ",
        "\"just a string\"",
        "42",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        seam_jdoc d;
        parse_ok(&d, docs[i]);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        seam_jw w;
        seam_jw_init(&w, &out);
        rewrite(&w, &d, seam_jroot(&d));
        assert_int_equal(seam_jw_error(&w), 0);
        json_t *a = json_loads(docs[i], JSON_DECODE_ANY, NULL);
        json_t *b = json_loadb(out.data, out.len, JSON_DECODE_ANY, NULL);
        assert_non_null(a);
        if (!b) fail_msg("writer produced invalid JSON: %s", out.data);
        assert_true(json_equal(a, b));
        json_decref(a);
        json_decref(b);
        seam_buf_free(&out);
        seam_jdoc_free(&d);
    }
}

static void test_writer(void **state)
{
    seam_buf out;
    seam_buf_init(&out, 1024);
    seam_jw w;
    seam_jw_init(&w, &out);
    seam_jw_obj(&w);
    seam_jw_key(&w, "id");
    seam_jw_cstr(&w, "a\"b\n");
    seam_jw_key(&w, "n");
    seam_jw_int(&w, -9223372036854775807LL - 1);
    seam_jw_key(&w, "z");
    seam_jw_int(&w, 0);
    seam_jw_key(&w, "list");
    seam_jw_arr(&w);
    seam_jw_bool(&w, 1);
    seam_jw_null(&w);
    seam_jw_obj(&w);
    seam_jw_end(&w);
    seam_jw_str_begin(&w);
    seam_jw_str_add(&w, "x\\", 2);
    seam_jw_str_add_escaped(&w, "\\n", 2);
    seam_jw_str_end(&w);
    seam_jw_end(&w);
    seam_jw_key(&w, "args");
    static const char args[] = " { \"a b\" : [1, \"q\\\"\\\\ \"] }\n";
    seam_jw_json_as_str(&w, args, sizeof args - 1);
    seam_jw_end(&w);
    assert_int_equal(seam_jw_error(&w), 0);
    assert_string_equal(out.data, "{\"id\":\"a\\\"b\\n\",\"n\":-9223372036854775808,\"z\":0,"
                                  "\"list\":[true,null,{},\"x\\\\\\n\"],"
                                  "\"args\":\"{\\\"a b\\\":[1,\\\"q\\\\\\\"\\\\\\\\ \\\"]}\"}");
    /* the arguments string decodes to the compacted JSON text */
    json_t *j = json_loadb(out.data, out.len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "args")),
                        "{\"a b\":[1,\"q\\\"\\\\ \"]}");
    json_decref(j);
    seam_buf_free(&out);
}

/* Keys: the plain fast path, one that needs escapes, one past the fast buffer. */
static void test_writer_keys(void **state)
{
    char longkey[101];
    memset(longkey, 'k', 100);
    longkey[100] = '\0';
    longkey[70] = '"';
    seam_buf out;
    seam_buf_init(&out, 1024);
    seam_jw w;
    seam_jw_init(&w, &out);
    seam_jw_obj(&w);
    seam_jw_key(&w, "plain");
    seam_jw_int(&w, 1);
    seam_jw_key(&w, "tab\there");
    seam_jw_int(&w, 2);
    seam_jw_key(&w, longkey);
    seam_jw_int(&w, 3);
    seam_jw_end(&w);
    assert_int_equal(seam_jw_error(&w), 0);
    json_t *j = json_loadb(out.data, out.len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "plain")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "tab\there")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, longkey)), 3);
    json_decref(j);
    seam_buf_free(&out);
}

static void test_writer_escaped_key_and_rollback(void **state)
{
    seam_buf out;
    seam_buf_init(&out, 1024);
    seam_jw w;
    seam_jw_init(&w, &out);
    seam_jw_obj(&w);
    seam_jw_key_escaped(&w, "a\\u0062", 7);
    seam_jw_int(&w, 1);
    seam_jw_pos mark = seam_jw_mark(&w);
    seam_jw_key(&w, "dropped");
    seam_jw_arr(&w);
    seam_jw_int(&w, 2);
    seam_jw_end(&w);
    seam_jw_rollback(&w, &mark);
    seam_jw_key(&w, "kept");
    seam_jw_bool(&w, 0);
    seam_jw_end(&w);
    assert_int_equal(seam_jw_error(&w), 0);
    assert_string_equal(out.data, "{\"a\\u0062\":1,\"kept\":false}");
    seam_buf_free(&out);
}

static void test_writer_errors(void **state)
{
    seam_buf out;
    seam_buf_init(&out, 8);
    seam_jw w;
    seam_jw_init(&w, &out);
    seam_jw_obj(&w);
    seam_jw_key(&w, "longer than eight");
    seam_jw_end(&w);
    assert_int_equal(seam_jw_error(&w), SEAM_BUF_TOOBIG);
    seam_buf_free(&out);
    seam_buf_init(&out, 64);
    seam_jw_init(&w, &out);
    seam_jw_arr(&w); /* never closed */
    assert_int_not_equal(seam_jw_error(&w), 0);
    seam_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_navigation),
        cmocka_unit_test(test_outgrows_inline_nodes),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_rewrite_round_trip),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_keys),
        cmocka_unit_test(test_writer_escaped_key_and_rollback),
        cmocka_unit_test(test_writer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
