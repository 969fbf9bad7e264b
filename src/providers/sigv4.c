/* sigv4.c — AWS Signature Version 4; see sigv4.h.
 *
 * Written against AWS's "Create a signed AWS API request" guide and checked
 * by tests/unit/test_sigv4.c against every header-signing vector of
 * aws-c-auth's suite.  SHA-256 and HMAC-SHA-256 come from libsodium (already
 * linked for the audit log); the rest is string building into seam_bufs, so
 * a signature costs a few small allocations and six hashes — the derived
 * signing key is not cached, as it would have to be shared between workers
 * for a saving of about four HMACs (~2 µs) per request. */
#include "providers/sigv4.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CANONICAL (1u << 20) /* canonical request, string to sign, Authorization */

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

static int add_hdr(hdr *h, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name);
    if (len >= sizeof h->name || *n == SEAM_SIGV4_MAX_HEADERS + 4) return -1;
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        h[*n].name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    h[*n].value = value;
    h[*n].order = *n;
    (*n)++;
    return 0;
}

/* ---- signing ---- */

int seam_sigv4_sign(const seam_sigv4_input *in, seam_sigv4_output *out)
{
    memset(out, 0, sizeof *out);
    seam_buf_init(&out->canonical_request, MAX_CANONICAL);
    seam_buf_init(&out->string_to_sign, MAX_CANONICAL);
    seam_buf_init(&out->authorization, MAX_CANONICAL);
    seam_buf signed_headers;
    seam_buf_init(&signed_headers, MAX_CANONICAL);
    hdr *h = NULL;
    unsigned char key[32], tmp[32];

    struct tm tm;
    if (in->nheaders > SEAM_SIGV4_MAX_HEADERS || !gmtime_r(&in->when, &tm) ||
        strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm) != 16)
        goto fail;
    char date[9];
    memcpy(date, out->amz_date, 8);
    date[8] = '\0';

    unsigned char digest[32];
    crypto_hash_sha256(digest, in->payload ? in->payload : (const void *)"", in->payload_len);
    to_hex(digest, 32, out->payload_hash);

    h = calloc(SEAM_SIGV4_MAX_HEADERS + 4, sizeof *h);
    if (!h) goto fail;
    size_t nh = 0;
    int bad = add_hdr(h, &nh, "host", in->host) || add_hdr(h, &nh, "x-amz-date", out->amz_date);
    if (in->session_token && !(in->flags & SEAM_SIGV4_TOKEN_UNSIGNED))
        bad = bad || add_hdr(h, &nh, "x-amz-security-token", in->session_token);
    if (in->flags & SEAM_SIGV4_CONTENT_SHA256)
        bad = bad || add_hdr(h, &nh, "x-amz-content-sha256", out->payload_hash);
    for (size_t i = 0; i < in->nheaders && !bad; i++)
        bad = add_hdr(h, &nh, in->headers[i].name, in->headers[i].value);
    if (bad) goto fail;
    qsort(h, nh, sizeof *h, hdr_cmp);

    seam_buf *cr = &out->canonical_request;
    int rc = seam_buf_printf(cr, "%s\n", in->method);
    if (!rc) rc = canonical_path(cr, in->path, !(in->flags & SEAM_SIGV4_NO_NORMALIZE));
    if (!rc) rc = seam_buf_append(cr, "\n", 1);
    if (!rc) rc = canonical_query(cr, in->query);
    if (!rc) rc = seam_buf_append(cr, "\n", 1);
    for (size_t i = 0; i < nh && !rc; i++) {
        int first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
        int last = i + 1 == nh || strcmp(h[i].name, h[i + 1].name) != 0;
        if (first) {
            rc = seam_buf_printf(cr, "%s:", h[i].name);
            if (!rc && signed_headers.len) rc = seam_buf_append(&signed_headers, ";", 1);
            if (!rc) rc = seam_buf_append_str(&signed_headers, h[i].name);
        } else {
            rc = seam_buf_append(cr, ",", 1);
        }
        if (!rc) rc = canonical_value(cr, h[i].value);
        if (!rc && last) rc = seam_buf_append(cr, "\n", 1);
    }
    if (!rc)
        rc = seam_buf_printf(cr, "\n%s\n%s", signed_headers.data ? signed_headers.data : "",
                             out->payload_hash);
    if (rc) goto fail;

    char cr_hash[65];
    crypto_hash_sha256(digest, (const unsigned char *)cr->data, cr->len);
    to_hex(digest, 32, cr_hash);
    if (seam_buf_printf(&out->string_to_sign,
                        SEAM_SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", out->amz_date, date,
                        in->region, in->service, cr_hash))
        goto fail;

    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
    size_t slen = strlen(in->secret_key);
    char *k0 = malloc(slen + 5);
    if (!k0) goto fail;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, in->secret_key, slen + 1);
    hmac(key, k0, slen + 4, date, 8);
    sodium_memzero(k0, slen + 4);
    free(k0);
    hmac(tmp, key, 32, in->region, strlen(in->region));
    hmac(key, tmp, 32, in->service, strlen(in->service));
    hmac(tmp, key, 32, "aws4_request", 12);
    hmac(digest, tmp, 32, out->string_to_sign.data, out->string_to_sign.len);
    to_hex(digest, 32, out->signature);

    if (seam_buf_printf(&out->authorization,
                        SEAM_SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, "
                                             "SignedHeaders=%s, Signature=%s",
                        in->access_key, date, in->region, in->service, signed_headers.data,
                        out->signature))
        goto fail;
    sodium_memzero(key, sizeof key);
    sodium_memzero(tmp, sizeof tmp);
    seam_buf_free(&signed_headers);
    free(h);
    return 0;
fail:
    sodium_memzero(key, sizeof key);
    sodium_memzero(tmp, sizeof tmp);
    seam_buf_free(&signed_headers);
    free(h);
    seam_sigv4_output_free(out);
    return -1;
}

void seam_sigv4_output_free(seam_sigv4_output *out)
{
    if (!out) return;
    seam_buf_free(&out->canonical_request);
    seam_buf_free(&out->string_to_sign);
    seam_buf_free(&out->authorization);
}
