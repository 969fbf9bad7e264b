/* fuzz_request.c — libFuzzer target for the JSON scanner (api/json_scan.c)
 * and the document reader and writer built on its lexer (json_doc, json_write).
 *
 * Beyond "no crash": the same input scans the same way twice; spans lie in
 * the input; the request scanner, the validator and the usage reader agree
 * on validity; and jansson is the oracle for both validity and the fields
 * read. The jansson comparison skips where jansson departs from RFC 8259 or
 * from our documented limits: numbers that overflow its integer or double,
 * NUL in keys (\u0000), raw NUL bytes (it reads them as the end of input),
 * and nesting past our limit of 64 (jansson allows 2048). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_doc.h"
#include "api/json_scan.h"
#include "api/json_write.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)

static long expect_count(json_t *obj, const char *key, int *found)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) return 0;
    *found = 1;
    return (long)json_integer_value(v);
}

static void check_against_jansson(const char *p, size_t n, int rc, const seam_openai_req *r,
                                  int vrc, const seam_json_error *verr, int urc,
                                  const seam_usage *u)
{
    json_error_t je;
    if (vrc && strstr(verr->msg, "nesting deeper")) return;
    /* jansson stops at a raw NUL byte as if the input ended there ("false\0"
     * loads); in JSON it is never valid, in or out of strings */
    if (memchr(p, '\0', n)) {
        CHECK(vrc == -1);
        return;
    }
    json_t *j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j) {
        if (strstr(je.text, "too big") || strstr(je.text, "overflow") || strstr(je.text, "NUL"))
            return;
        CHECK(vrc == -1);
        return;
    }
    CHECK(vrc == 0);
    if (!json_is_object(j)) {
        CHECK(rc == -1);
        CHECK(urc == 1);
        json_decref(j);
        return;
    }
    CHECK(rc == 0);

    json_t *m = json_object_get(j, "model");
    CHECK(r->has_model == json_is_string(m));
    CHECK(r->model_not_string == (m && !json_is_string(m)));
    if (json_is_string(m)) {
        size_t len = json_string_length(m);
        char *dec = malloc(r->model.len + 1);
        CHECK(dec);
        long dl = seam_json_unescape(p + r->model.off, r->model.len, dec, r->model.len + 1);
        CHECK(dl >= 0 && (size_t)dl == len && memcmp(dec, json_string_value(m), len) == 0);
        free(dec);
    }
    CHECK(r->stream == json_is_true(json_object_get(j, "stream")));
    json_t *so = json_object_get(j, "stream_options");
    CHECK(r->include_usage ==
          (json_is_object(so) && json_is_true(json_object_get(so, "include_usage"))));
    CHECK(r->has_messages == json_is_array(json_object_get(j, "messages")));
    CHECK(r->has_input == (json_object_get(j, "input") != NULL));

    /* jansson reads "-0" as the integer 0; we do not count it */
    if (!memmem(p, n, "-0", 2)) {
        seam_usage want = {0, 0, 0, 0};
        int found = 0;
        json_t *ju = json_object_get(j, "usage");
        if (json_is_object(ju)) {
            want.prompt_tokens = expect_count(ju, "prompt_tokens", &found);
            want.completion_tokens = expect_count(ju, "completion_tokens", &found);
            want.total_tokens = expect_count(ju, "total_tokens", &found);
            json_t *d = json_object_get(ju, "prompt_tokens_details");
            if (json_is_object(d)) want.cached_tokens = expect_count(d, "cached_tokens", &found);
        }
        CHECK(urc == (found ? 0 : 1));
        CHECK(memcmp(&want, u, sizeof want) == 0);
    }
    json_decref(j);
}

/* Writes v back with the writer, member by member. */
static void rewrite(seam_jw *w, const seam_jdoc *d, seam_jv v)
{
    size_t i, n;
    seam_jv it, k, x;
    if (v->type == SEAM_JOBJECT) {
        seam_jw_obj(w);
        seam_jobj_foreach(v, k, x)
        {
            seam_buf key;
            seam_buf_init(&key, 1 << 20);
            CHECK(seam_jstr_decode(d, k, &key) == 0 || key.len == 0);
            seam_jw_key(w, key.data ? key.data : "");
            seam_buf_free(&key);
            rewrite(w, d, x);
        }
        seam_jw_end(w);
    } else if (v->type == SEAM_JARRAY) {
        seam_jw_arr(w);
        seam_jarr_foreach(v, i, it) rewrite(w, d, it);
        seam_jw_end(w);
    } else if (v->type == SEAM_JSTRING) {
        const char *s = seam_jstr(d, v, &n);
        seam_jw_str_escaped(w, s, n);
    } else {
        seam_jw_value(w, d, v);
    }
}

/* The document reader agrees with the validator, and what it read written
 * back is valid JSON again (keys with NUL in them are cut by seam_jw_key,
 * which takes C strings: that still leaves valid JSON). */
static void check_doc(const char *p, size_t size, int vrc, const seam_json_error *ve)
{
    seam_jdoc d;
    seam_json_error de;
    int drc = seam_jdoc_parse(&d, p, size, &de);
    CHECK(drc == vrc);
    if (drc) {
        CHECK(de.offset == ve->offset && strcmp(de.msg, ve->msg) == 0);
    } else {
        seam_jv root = seam_jroot(&d);
        CHECK(root && root->size == d.n);
        seam_buf out;
        seam_buf_init(&out, 4 * size + 64);
        seam_jw w;
        seam_jw_init(&w, &out);
        rewrite(&w, &d, root);
        CHECK(seam_jw_error(&w) == 0);
        CHECK(seam_json_validate(out.data, out.len, NULL) == 0);
        seam_buf_free(&out);
    }
    seam_jdoc_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    seam_openai_req r, r2;
    seam_json_error e, e2, ve;
    memset(&e, 0, sizeof e);
    memset(&e2, 0, sizeof e2);
    memset(&ve, 0, sizeof ve);

    int rc = seam_openai_scan_request(p, size, &r, &e);
    int rc2 = seam_openai_scan_request(p, size, &r2, &e2);
    CHECK(rc == rc2 && memcmp(&r, &r2, sizeof r) == 0 && memcmp(&e, &e2, sizeof e) == 0);
    CHECK(rc == 0 || rc == -1);

    int vrc = seam_json_validate(p, size, &ve);
    seam_usage u;
    int urc = seam_json_find_usage(p, size, &u);
    CHECK(urc >= -1 && urc <= 1);
    CHECK((urc == -1) == (vrc == -1));
    check_doc(p, size, vrc, &ve);

    size_t ws = 0;
    while (ws < size && strchr(" \t\r\n", p[ws]) && p[ws])
        ws++;
    int is_obj = ws < size && p[ws] == '{';

    if (rc == 0) {
        CHECK(vrc == 0 && is_obj);
        CHECK(!(r.has_model && r.model_not_string));
        CHECK(r.model_count >= r.has_model + r.model_not_string);
        if (r.has_model) {
            CHECK(r.model.off >= 1 && r.model.off + r.model.len < size);
            CHECK(p[r.model.off - 1] == '"' && p[r.model.off + r.model.len] == '"');
            CHECK(r.model_escaped == (memchr(p + r.model.off, '\\', r.model.len) != NULL));
            char *dec = malloc(r.model.len + 1);
            CHECK(dec);
            long dl = seam_json_unescape(p + r.model.off, r.model.len, dec, r.model.len + 1);
            CHECK(dl >= 0 && (size_t)dl <= r.model.len);
            CHECK(r.model_escaped ||
                  ((size_t)dl == r.model.len && !memcmp(dec, p + r.model.off, r.model.len)));
            free(dec);
        } else {
            CHECK(r.model.off == 0 && r.model.len == 0 && !r.model_escaped);
        }
    } else {
        CHECK(e.offset <= size && e.line >= 1 && e.column >= 1 && e.msg[0]);
        CHECK(e.column <= (long)size + 1 && e.line <= (long)size + 1);
        /* the request scanner fails where the validator does, or on the top level */
        if (vrc == -1 && is_obj) CHECK(e.offset == ve.offset && !strcmp(e.msg, ve.msg));
        if (vrc == 0) CHECK(!is_obj);
    }
    if (urc == 1 || urc == -1)
        CHECK(!u.prompt_tokens && !u.completion_tokens && !u.total_tokens && !u.cached_tokens);

    check_against_jansson(p, size, rc, &r, vrc, &ve, urc, &u);
    return 0;
}
