/* sigv4.c — AWS Signature Version 4; see sigv4.h.
 *
 * Written against AWS's "Create a signed AWS API request" guide and checked
 * by tests/unit/test_sigv4.c against every vector of aws-c-auth's suite,
 * each signed both ways (Authorization header and presigned URL).  The two
 * ways share one path, sign(): they differ only in which X-Amz-* values are
 * signed headers and which are query parameters, and in where the signature
 * goes.  SHA-256 and HMAC-SHA-256 come from libsodium (already linked for
 * the audit log); the rest is string building into capped seam_bufs, so a
 * signature costs a few small allocations and six hashes — the derived
 * signing key is not cached, as it would have to be shared between workers
 * for a saving of about four HMACs (~2 µs) per request. */
#include "providers/sigv4.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CANONICAL (1u << 20) /* the cap of every buffer (canonical request, URL...) */
#define STR_(x)       #x
#define STR(x)        STR_(x)

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static void hmac(unsigned char out[32], const void *key, size_t klen, const void *msg, size_t n)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, msg, n);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

int seam_sigv4_uri_encode(seam_buf *out, const char *s, size_t n, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) continue;
        char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
        int rc = seam_buf_append(out, s + start, i - start);
        if (!rc) rc = seam_buf_append(out, esc, 3);
        if (rc) return rc;
        start = i + 1;
    }
    return seam_buf_append(out, s + start, n - start);
}

/* ---- canonical URI ---- */

/* Appends the canonical form of path: dot segments and empty segments
 * removed (RFC 3986 5.2.4, plus "//" -> "/", as the suite's *-normalized
 * cases want), a trailing '/' kept, each segment encoded once more. */
static int canonical_path(seam_buf *out, const char *path, int normalize)
{
    size_t n = strlen(path);
    if (!n) return seam_buf_append(out, "/", 1);
    if (!normalize) return seam_sigv4_uri_encode(out, path, n, 1);
    size_t base = out->len;
    const char *p = path, *end = path + n;
    while (p < end) {
        const char *seg = p;
        while (p < end && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        if (p < end) p++; /* the '/' */
        if (len == 0 || (len == 1 && seg[0] == '.')) continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            /* drop the last segment written: encoded segments hold no '/' */
            size_t i = out->len;
            while (i > base && out->data[i - 1] != '/')
                i--;
            out->len = i > base ? i - 1 : base;
            if (out->data) out->data[out->len] = '\0';
            continue;
        }
        int rc = seam_buf_append(out, "/", 1);
        if (!rc) rc = seam_sigv4_uri_encode(out, seg, len, 0);
        if (rc) return rc;
    }
    if (out->len == base || path[n - 1] == '/') return seam_buf_append(out, "/", 1);
    return 0;
}

/* ---- canonical query ---- */

typedef struct span {
    size_t off, len;
} span;

typedef struct pair {
    const char *k, *v;
    size_t klen, vlen;
    size_t order;
} pair;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes %XX in s[0..n) (a stray '%' stays itself) and re-encodes the
 * bytes into out, so "%E1%88%B4" and the raw bytes sign alike. */
static int requote(seam_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (unsigned char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        }
        char b = (char)c;
        int rc = seam_sigv4_uri_encode(out, &b, 1, 0);
        if (rc) return rc;
    }
    return 0;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static int pair_cmp(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    int c = bytes_cmp(a->k, a->klen, b->k, b->klen);
    if (!c) c = bytes_cmp(a->v, a->vlen, b->v, b->vlen);
    if (!c) c = a->order < b->order ? -1 : a->order > b->order;
    return c;
}

/* Appends the query's parameters, each name and value encoded, sorted by
 * name then value, "k=v" joined by '&'. */
static int canonical_query(seam_buf *out, const char *query)
{
    if (!query || !*query) return 0;
    size_t count = 1;
    for (const char *q = query; *q; q++)
        count += *q == '&';
    seam_buf scratch;
    seam_buf_init(&scratch, MAX_CANONICAL);
    span *spans = calloc(count * 2, sizeof *spans);
    pair *pairs = calloc(count, sizeof *pairs);
    int rc = spans && pairs ? 0 : SEAM_BUF_NOMEM;
    size_t np = 0;
    for (const char *p = query; *p && !rc;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            spans[2 * np].off = scratch.len;
            rc = requote(&scratch, p, klen);
            spans[2 * np].len = scratch.len - spans[2 * np].off;
            spans[2 * np + 1].off = scratch.len;
            if (!rc && eq) rc = requote(&scratch, eq + 1, len - klen - 1);
            spans[2 * np + 1].len = scratch.len - spans[2 * np + 1].off;
            np++;
        }
        p += len + (amp ? 1 : 0);
    }
    for (size_t i = 0; i < np && !rc; i++) { /* scratch no longer moves */
        pairs[i].k = scratch.data + spans[2 * i].off;
        pairs[i].klen = spans[2 * i].len;
        pairs[i].v = scratch.data + spans[2 * i + 1].off;
        pairs[i].vlen = spans[2 * i + 1].len;
        pairs[i].order = i;
    }
    if (!rc && np) qsort(pairs, np, sizeof *pairs, pair_cmp);
    for (size_t i = 0; i < np && !rc; i++) {
        if (i) rc = seam_buf_append(out, "&", 1);
        if (!rc) rc = seam_buf_append(out, pairs[i].k, pairs[i].klen);
        if (!rc) rc = seam_buf_append(out, "=", 1);
        if (!rc) rc = seam_buf_append(out, pairs[i].v, pairs[i].vlen);
    }
    free(spans);
    free(pairs);
    seam_buf_free(&scratch);
    return rc;
}

/* ---- canonical headers ---- */

typedef struct hdr {
    char name[128]; /* lower-cased */
    const char *value;
    size_t order;
} hdr;

static int hdr_cmp(const void *x, const void *y)
{
    const hdr *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (!c) c = a->order < b->order ? -1 : a->order > b->order;
    return c;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends v trimmed, with each run of whitespace made one space. */
static int canonical_value(seam_buf *out, const char *v)
{
    while (is_ws(*v))
        v++;
    int rc = 0;
    while (*v && !rc) {
        const char *run = v;
        while (*v && !is_ws(*v))
            v++;
        rc = seam_buf_append(out, run, (size_t)(v - run));
        while (is_ws(*v))
            v++;
        if (*v && !rc) rc = seam_buf_append(out, " ", 1);
    }
    return rc;
}

#define MAX_HDRS (SEAM_SIGV4_MAX_HEADERS + 4) /* the caller's, Host and three X-Amz-* */

static const char *add_hdr(hdr *h, size_t *n, const char *name, const char *value)
{
    if (!name || !value) return "sigv4: a header has a NULL name or value";
    size_t len = strlen(name);
    if (len >= sizeof h->name) return "sigv4: a header name is 128 bytes or longer";
    if (*n == MAX_HDRS) return "sigv4: too many headers";
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        h[*n].name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    h[*n].value = value;
    h[*n].order = *n;
    (*n)++;
    return NULL;
}

/* ---- signing: what the header and the query ways share ---- */

/* Where the signature goes. */
enum mode { IN_HEADER, IN_QUERY };

static const char bad_expiry[] =
    "sigv4: a presigned URL's expiry must be 1 to " STR(SEAM_SIGV4_MAX_EXPIRES) " seconds";

/* Fills out->amz_date and out->payload_hash.  Returns NULL, or what is
 * wrong with in. */
static const char *check_input(const seam_sigv4_input *in, enum mode mode, unsigned expires,
                               seam_sigv4_output *out)
{
    if (!in->method || !*in->method || !in->host || !in->region || !in->service ||
        !in->access_key || !in->secret_key)
        return "sigv4: method, host, region, service, access key and secret key are required";
    if (in->nheaders > SEAM_SIGV4_MAX_HEADERS)
        return "sigv4: more than " STR(SEAM_SIGV4_MAX_HEADERS) " headers to sign";
    if (in->nheaders && !in->headers) return "sigv4: nheaders is set but headers is NULL";
    if (mode == IN_QUERY && (expires < 1 || expires > SEAM_SIGV4_MAX_EXPIRES)) return bad_expiry;
    struct tm tm;
    if (!gmtime_r(&in->when, &tm) ||
        strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm) != 16)
        return "sigv4: the signing time is outside the years 1000 to 9999";
    unsigned char digest[32];
    crypto_hash_sha256(digest, in->payload ? in->payload : (const void *)"", in->payload_len);
    to_hex(digest, 32, out->payload_hash);
    return NULL;
}

/* Fills h with the headers to sign, sorted by name (stable for repeats):
 * Host, the X-Amz-* ones header signing adds, and the caller's. */
static const char *collect_headers(const seam_sigv4_input *in, enum mode mode,
                                   const seam_sigv4_output *out, hdr *h, size_t *nh)
{
    const char *err = add_hdr(h, nh, "host", in->host);
    if (mode == IN_HEADER) {
        if (!err) err = add_hdr(h, nh, "x-amz-date", out->amz_date);
        if (!err && in->session_token && !(in->flags & SEAM_SIGV4_TOKEN_UNSIGNED))
            err = add_hdr(h, nh, "x-amz-security-token", in->session_token);
        if (!err && (in->flags & SEAM_SIGV4_CONTENT_SHA256))
            err = add_hdr(h, nh, "x-amz-content-sha256", out->payload_hash);
    }
    for (size_t i = 0; i < in->nheaders && !err; i++)
        err = add_hdr(h, nh, in->headers[i].name, in->headers[i].value);
    if (!err) qsort(h, *nh, sizeof *h, hdr_cmp);
    return err;
}

/* Appends the distinct names of sorted h joined by ';' (the SignedHeaders value). */
static int signed_header_list(seam_buf *out, const hdr *h, size_t nh)
{
    int rc = 0;
    for (size_t i = 0; i < nh && !rc; i++) {
        if (i && strcmp(h[i].name, h[i - 1].name) == 0) continue;
        if (i) rc = seam_buf_append(out, ";", 1);
        if (!rc) rc = seam_buf_append_str(out, h[i].name);
    }
    return rc;
}

/* Appends the canonical request: method, path, query, headers (repeats
 * joined by ','), signed header list and payload hash, '\n' between. */
static int canonical_request(seam_buf *cr, const seam_sigv4_input *in, const char *query,
                             const hdr *h, size_t nh, const char *signed_headers,
                             const char *payload_hash)
{
    int rc = seam_buf_printf(cr, "%s\n", in->method);
    if (!rc)
        rc = canonical_path(cr, in->path ? in->path : "", !(in->flags & SEAM_SIGV4_NO_NORMALIZE));
    if (!rc) rc = seam_buf_append(cr, "\n", 1);
    if (!rc) rc = canonical_query(cr, query);
    if (!rc) rc = seam_buf_append(cr, "\n", 1);
    for (size_t i = 0; i < nh && !rc; i++) {
        int first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
        int last = i + 1 == nh || strcmp(h[i].name, h[i + 1].name) != 0;
        rc = first ? seam_buf_printf(cr, "%s:", h[i].name) : seam_buf_append(cr, ",", 1);
        if (!rc) rc = canonical_value(cr, h[i].value);
        if (!rc && last) rc = seam_buf_append(cr, "\n", 1);
    }
    if (!rc) rc = seam_buf_printf(cr, "\n%s\n%s", signed_headers, payload_hash);
    return rc;
}

/* Fills out->string_to_sign and out->signature from out->canonical_request;
 * scope is "date/region/service/aws4_request". */
static int sign_canonical(seam_sigv4_output *out, const seam_sigv4_input *in, const char *scope)
{
    unsigned char digest[32], key[32], tmp[32];
    char cr_hash[65];
    crypto_hash_sha256(digest, (const unsigned char *)out->canonical_request.data,
                       out->canonical_request.len);
    to_hex(digest, 32, cr_hash);
    int rc = seam_buf_printf(&out->string_to_sign, SEAM_SIGV4_ALGORITHM "\n%s\n%s\n%s",
                             out->amz_date, scope, cr_hash);
    if (rc) return rc;

    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
    size_t slen = strlen(in->secret_key);
    char *k0 = malloc(slen + 5);
    if (!k0) return SEAM_BUF_NOMEM;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, in->secret_key, slen + 1);
    hmac(key, k0, slen + 4, out->amz_date, 8);
    sodium_memzero(k0, slen + 4);
    free(k0);
    hmac(tmp, key, 32, in->region, strlen(in->region));
    hmac(key, tmp, 32, in->service, strlen(in->service));
    hmac(tmp, key, 32, "aws4_request", 12);
    hmac(digest, tmp, 32, out->string_to_sign.data, out->string_to_sign.len);
    to_hex(digest, 32, out->signature);
    sodium_memzero(key, sizeof key);
    sodium_memzero(tmp, sizeof tmp);
    return 0;
}

/* Appends "&name=" and value encoded (a presigned URL's parameter). */
static int add_param(seam_buf *out, const char *name, const char *value)
{
    int rc = seam_buf_printf(out, "&%s=", name);
    if (!rc) rc = seam_sigv4_uri_encode(out, value, strlen(value), 0);
    return rc;
}

/* Appends to out->target the path, '?', the caller's query and the X-Amz-*
 * parameters that are signed, in aws-c-auth's order; *qoff is where the
 * query starts. */
static int presign_target(seam_sigv4_output *out, const seam_sigv4_input *in, unsigned expires,
                          const char *scope, const char *signed_headers, size_t *qoff)
{
    seam_buf *t = &out->target;
    const char *path = in->path && *in->path ? in->path : "/";
    int rc = seam_buf_append_str(t, path);
    if (!rc) rc = seam_buf_append(t, "?", 1);
    *qoff = t->len;
    if (!rc && in->query && *in->query) rc = seam_buf_printf(t, "%s&", in->query);
    if (!rc) rc = seam_buf_append_str(t, "X-Amz-Algorithm=" SEAM_SIGV4_ALGORITHM);
    if (!rc) rc = seam_buf_append_str(t, "&X-Amz-Credential=");
    if (!rc) rc = seam_sigv4_uri_encode(t, in->access_key, strlen(in->access_key), 0);
    if (!rc) rc = seam_buf_append(t, "%2F", 3);
    if (!rc) rc = seam_sigv4_uri_encode(t, scope, strlen(scope), 0);
    if (!rc) rc = add_param(t, "X-Amz-Date", out->amz_date);
    if (!rc) rc = add_param(t, "X-Amz-SignedHeaders", signed_headers);
    if (!rc) rc = seam_buf_printf(t, "&X-Amz-Expires=%u", expires);
    if (!rc && in->session_token && !(in->flags & SEAM_SIGV4_TOKEN_UNSIGNED))
        rc = add_param(t, "X-Amz-Security-Token", in->session_token);
    return rc;
}

/* Both public functions: everything is shared but where the X-Amz-*
 * values and the signature go. */
static int sign(const seam_sigv4_input *in, enum mode mode, unsigned expires,
                seam_sigv4_output *out)
{
    memset(out, 0, sizeof *out);
    seam_buf_init(&out->canonical_request, MAX_CANONICAL);
    seam_buf_init(&out->string_to_sign, MAX_CANONICAL);
    seam_buf_init(&out->authorization, MAX_CANONICAL);
    seam_buf_init(&out->target, MAX_CANONICAL);
    seam_buf scope, signed_headers;
    seam_buf_init(&scope, MAX_CANONICAL);
    seam_buf_init(&signed_headers, MAX_CANONICAL);
    const char *query = in->query;
    size_t nh = 0, qoff = 0;
    int rc = 0;
    hdr *h = calloc(MAX_HDRS, sizeof *h);
    const char *err = h ? check_input(in, mode, expires, out) : "sigv4: out of memory";
    if (!err) err = collect_headers(in, mode, out, h, &nh);
    if (err) goto fail;

    rc = signed_header_list(&signed_headers, h, nh);
    if (!rc)
        rc = seam_buf_printf(&scope, "%.8s/%s/%s/aws4_request", out->amz_date, in->region,
                             in->service);
    if (!rc && mode == IN_QUERY) {
        rc = presign_target(out, in, expires, scope.data, signed_headers.data, &qoff);
        if (!rc) query = out->target.data + qoff; /* target does not move until signed */
    }
    if (!rc)
        rc = canonical_request(&out->canonical_request, in, query, h, nh, signed_headers.data,
                               out->payload_hash);
    if (!rc) rc = sign_canonical(out, in, scope.data);
    if (!rc && mode == IN_HEADER)
        rc = seam_buf_printf(&out->authorization,
                             SEAM_SIGV4_ALGORITHM
                             " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                             in->access_key, scope.data, signed_headers.data, out->signature);
    if (!rc && mode == IN_QUERY && in->session_token && (in->flags & SEAM_SIGV4_TOKEN_UNSIGNED))
        rc = add_param(&out->target, "X-Amz-Security-Token", in->session_token);
    if (!rc && mode == IN_QUERY) rc = add_param(&out->target, "X-Amz-Signature", out->signature);
    if (rc) {
        err = rc == SEAM_BUF_TOOBIG ? "sigv4: the canonical request or URL would pass 1 MiB"
                                    : "sigv4: out of memory";
        goto fail;
    }
    seam_buf_free(&scope);
    seam_buf_free(&signed_headers);
    free(h);
    return 0;
fail:
    seam_buf_free(&scope);
    seam_buf_free(&signed_headers);
    free(h);
    seam_sigv4_output_free(out);
    out->error = err;
    return -1;
}

int seam_sigv4_sign(const seam_sigv4_input *in, seam_sigv4_output *out)
{
    return sign(in, IN_HEADER, 0, out);
}

int seam_sigv4_presign(const seam_sigv4_input *in, unsigned expires, seam_sigv4_output *out)
{
    return sign(in, IN_QUERY, expires, out);
}

void seam_sigv4_output_free(seam_sigv4_output *out)
{
    if (!out) return;
    seam_buf_free(&out->canonical_request);
    seam_buf_free(&out->string_to_sign);
    seam_buf_free(&out->authorization);
    seam_buf_free(&out->target);
}
