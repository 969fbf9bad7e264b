/* test_sigv4.c — AWS Signature Version 4 against AWS's own vectors.
 *
 * Runs every case folder of tests/unit/data/aws-sigv4-test-suite/v4 (from
 * aws-c-auth; see its SOURCE): parses request.txt (request line, headers
 * with folded continuation lines, body), reads the credentials, region,
 * service, time and options from context.json, signs, and compares the
 * canonical request, string to sign, signature and Authorization header
 * with the header-*.txt files byte for byte.
 *
 * Left out, for every case: the query-*.txt variant (a presigned URL, the
 * signature in the query string).  seam signs the Authorization header
 * only, so sigv4.c has no presigning; those files are not copied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/sigv4.h"

#define SUITE     "tests/unit/data/aws-sigv4-test-suite/v4"
#define MIN_CASES 38 /* the suite as copied; fewer means files went missing */

static const char *const left_out[] = {
    "every case's query-*.txt: presigned URLs (signature in the query string); seam signs the "
    "Authorization header only",
};

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    seam_buf b;
    seam_buf_init(&b, 1 << 20);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        assert_int_equal(seam_buf_append(&b, tmp, n), 0);
    fclose(f);
    if (len) *len = b.len;
    if (!b.data) return strdup("");
    return b.data;
}

static char *must_slurp(const char *dir, const char *name)
{
    char *s = slurp(dir, name, NULL);
    if (!s) fail_msg("%s/%s: missing", dir, name);
    return s;
}

/* A parsed request.txt.  Header values keep their folded lines ("v1\n  v2"). */
typedef struct request {
    char method[16];
    char *target; /* path and query */
    char *path, *query;
    seam_sigv4_header headers[SEAM_SIGV4_MAX_HEADERS];
    size_t nheaders;
    char *host;
    char *body;
    size_t body_len;
    char *mem; /* owns the strings above */
} request;

static void parse_request(const char *dir, request *r)
{
    memset(r, 0, sizeof *r);
    size_t len;
    r->mem = slurp(dir, "request.txt", &len);
    assert_non_null(r->mem);
    char *p = r->mem, *end = r->mem + len;

    /* request line: METHOD SP target SP HTTP/1.1 — the target may hold spaces */
    char *eol = strchr(p, '\n');
    assert_non_null(eol);
    *eol = '\0';
    if (eol > p && eol[-1] == '\r') eol[-1] = '\0';
    char *sp = strchr(p, ' ');
    char *ver = strstr(p, " HTTP/");
    assert_true(sp && ver && ver > sp);
    *sp = *ver = '\0';
    snprintf(r->method, sizeof r->method, "%s", p);
    r->target = sp + 1;
    r->path = r->target;
    char *q = strchr(r->target, '?');
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    p = eol + 1;

    /* headers up to an empty line; a line starting with whitespace continues the last */
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        char *next = eol ? eol + 1 : end;
        size_t n = (size_t)((eol ? eol : end) - p);
        if (n && p[n - 1] == '\r') n--;
        if (n == 0) {
            p = next;
            break;
        }
        if ((*p == ' ' || *p == '\t') && r->nheaders) {
            /* folded: keep it inside the previous value, newline and all */
            seam_sigv4_header *h = &r->headers[r->nheaders - 1];
            assert_true(h->value + strlen(h->value) + 1 == p); /* contiguous */
            ((char *)h->value)[strlen(h->value)] = '\n';
            p[n] = '\0';
            p = next;
            continue;
        }
        p[n] = '\0';
        char *colon = strchr(p, ':');
        assert_non_null(colon);
        *colon = '\0';
        if (strcasecmp(p, "host") == 0) {
            r->host = colon + 1;
        } else {
            assert_true(r->nheaders < SEAM_SIGV4_MAX_HEADERS);
            r->headers[r->nheaders].name = p;
            r->headers[r->nheaders].value = colon + 1;
            r->nheaders++;
        }
        p = next;
    }
    r->body = p;
    r->body_len = (size_t)(end - p);
    assert_non_null(r->host);
}

/* The Authorization line of header-signed-request.txt. */
static char *expected_authorization(const char *dir)
{
    char *s = must_slurp(dir, "header-signed-request.txt");
    char *a = strstr(s, "\nAuthorization:");
    assert_non_null(a);
    a += strlen("\nAuthorization:");
    char *e = strchr(a, '\n');
    if (e) *e = '\0';
    char *out = strdup(a);
    free(s);
    return out;
}

static void assert_text(const char *dir, const char *what, const char *want, const char *got)
{
    if (strcmp(want, got) != 0)
        fail_msg("%s: %s differs\n--- want\n%s\n--- got\n%s", dir, what, want, got);
}

static void run_case(const char *dir)
{
    json_error_t jerr;
    char ctx_path[512];
    snprintf(ctx_path, sizeof ctx_path, "%s/context.json", dir);
    json_t *ctx = json_load_file(ctx_path, 0, &jerr);
    if (!ctx) fail_msg("%s: %s", ctx_path, jerr.text);
    json_t *cred = json_object_get(ctx, "credentials");
    const char *ts = json_string_value(json_object_get(ctx, "timestamp"));
    assert_non_null(ts);
    struct tm tm = {0};
    assert_non_null(strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm));

    request r;
    parse_request(dir, &r);
    const char *token = json_string_value(json_object_get(cred, "token"));
    seam_sigv4_input in = {
        .method = r.method,
        .host = r.host,
        .path = r.path,
        .query = r.query,
        .headers = r.headers,
        .nheaders = r.nheaders,
        .payload = r.body,
        .payload_len = r.body_len,
        .when = timegm(&tm),
        .region = json_string_value(json_object_get(ctx, "region")),
        .service = json_string_value(json_object_get(ctx, "service")),
        .access_key = json_string_value(json_object_get(cred, "access_key_id")),
        .secret_key = json_string_value(json_object_get(cred, "secret_access_key")),
        .session_token = token,
    };
    if (json_is_false(json_object_get(ctx, "normalize"))) in.flags |= SEAM_SIGV4_NO_NORMALIZE;
    if (json_is_true(json_object_get(ctx, "sign_body"))) in.flags |= SEAM_SIGV4_CONTENT_SHA256;
    if (token && json_is_true(json_object_get(ctx, "omit_session_token")))
        in.flags |= SEAM_SIGV4_TOKEN_UNSIGNED;

    seam_sigv4_output out;
    assert_int_equal(seam_sigv4_sign(&in, &out), 0);
    char *want_cr = must_slurp(dir, "header-canonical-request.txt");
    char *want_sts = must_slurp(dir, "header-string-to-sign.txt");
    char *want_sig = must_slurp(dir, "header-signature.txt");
    char *want_auth = expected_authorization(dir);
    assert_text(dir, "canonical request", want_cr, out.canonical_request.data);
    assert_text(dir, "string to sign", want_sts, out.string_to_sign.data);
    assert_text(dir, "signature", want_sig, out.signature);
    assert_text(dir, "Authorization", want_auth, out.authorization.data);
    assert_string_equal(out.amz_date, "20150830T123600Z");

    free(want_cr);
    free(want_sts);
    free(want_sig);
    free(want_auth);
    seam_sigv4_output_free(&out);
    free(r.mem);
    json_decref(ctx);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_suite_vectors(void **state)
{
    DIR *d = opendir(SUITE);
    if (!d) fail_msg("%s: not found (run from the repository root)", SUITE);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        assert_true(n < 256);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    size_t ran = 0;
    for (size_t i = 0; i < n; i++) {
        char dir[300];
        snprintf(dir, sizeof dir, "%s/%s", SUITE, names[i]);
        run_case(dir);
        ran++;
        free(names[i]);
    }
    assert_true(ran >= MIN_CASES);
    printf("sigv4: %zu of %zu suite cases ran (header signing); left out:\n", ran, n);
    for (size_t i = 0; i < sizeof left_out / sizeof left_out[0]; i++)
        printf("  - %s\n", left_out[i]);
}

/* ---- beyond the suite: what Bedrock needs ---- */

static char *encoded(const char *s, int keep_slash)
{
    seam_buf b;
    seam_buf_init(&b, 4096);
    assert_int_equal(seam_sigv4_uri_encode(&b, s, strlen(s), keep_slash), 0);
    return b.data ? b.data : strdup("");
}

static void test_uri_encode(void **state)
{
    char *s = encoded("anthropic.claude-3-5-sonnet-20240620-v1:0", 0);
    assert_string_equal(s, "anthropic.claude-3-5-sonnet-20240620-v1%3A0");
    free(s);
    s = encoded("arn:aws:bedrock:us-east-1:123:inference-profile/us.x-v1:0", 0);
    assert_string_equal(s,
                        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.x-v1%3A0");
    free(s);
    s = encoded("/a b/\xe1\x88\xb4~", 1);
    assert_string_equal(s, "/a%20b/%E1%88%B4~");
    free(s);
    s = encoded("", 0);
    assert_string_equal(s, "");
    free(s);
}

static seam_sigv4_input bedrock_input(const char *path)
{
    seam_sigv4_input in = {
        .method = "POST",
        .host = "bedrock-runtime.us-east-1.amazonaws.com",
        .path = path,
        .payload = "{}",
        .payload_len = 2,
        .when = 1440938160, /* 2015-08-30T12:36:00Z */
        .region = "us-east-1",
        .service = "bedrock",
        .access_key = "AKIDEXAMPLE",
        .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    };
    return in;
}

/* The wire path is encoded once; the canonical URI once more (non-S3 rules). */
static void test_path_is_encoded_again(void **state)
{
    seam_sigv4_input in = bedrock_input("/model/anthropic.claude-v2%3A1/converse");
    seam_sigv4_output out;
    assert_int_equal(seam_sigv4_sign(&in, &out), 0);
    assert_non_null(
        strstr(out.canonical_request.data, "POST\n/model/anthropic.claude-v2%253A1/converse\n\n"));
    assert_string_equal(out.amz_date, "20150830T123600Z");
    seam_sigv4_output_free(&out);
}

static void test_session_token_signed(void **state)
{
    seam_sigv4_input in = bedrock_input("/model/m/converse");
    in.session_token = "TOKEN";
    seam_sigv4_output out;
    assert_int_equal(seam_sigv4_sign(&in, &out), 0);
    assert_non_null(strstr(out.canonical_request.data, "x-amz-security-token:TOKEN\n"));
    assert_non_null(strstr(out.authorization.data,
                           "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="));
    seam_sigv4_output_free(&out);
}

static void test_deterministic_and_key_dependent(void **state)
{
    seam_sigv4_input in = bedrock_input("/model/m/converse");
    seam_sigv4_output a, b;
    assert_int_equal(seam_sigv4_sign(&in, &a), 0);
    assert_int_equal(seam_sigv4_sign(&in, &b), 0);
    assert_string_equal(a.authorization.data, b.authorization.data);
    seam_sigv4_output_free(&b);
    in.secret_key = "another";
    assert_int_equal(seam_sigv4_sign(&in, &b), 0);
    assert_string_not_equal(a.signature, b.signature);
    assert_string_equal(a.canonical_request.data, b.canonical_request.data);
    seam_sigv4_output_free(&a);
    seam_sigv4_output_free(&b);
}

static void test_too_many_headers(void **state)
{
    seam_sigv4_header h[SEAM_SIGV4_MAX_HEADERS + 1];
    for (size_t i = 0; i < SEAM_SIGV4_MAX_HEADERS + 1; i++)
        h[i] = (seam_sigv4_header){"x-h", "v"};
    seam_sigv4_input in = bedrock_input("/");
    in.headers = h;
    in.nheaders = SEAM_SIGV4_MAX_HEADERS + 1;
    seam_sigv4_output out;
    assert_int_equal(seam_sigv4_sign(&in, &out), -1);
    seam_sigv4_output_free(&out); /* empty, and freeing it again is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_vectors),
        cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_path_is_encoded_again),
        cmocka_unit_test(test_session_token_signed),
        cmocka_unit_test(test_deterministic_and_key_dependent),
        cmocka_unit_test(test_too_many_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
