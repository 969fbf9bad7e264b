/* sigv4.h — AWS Signature Version 4, in the Authorization header or in the query.
 *
 * The caller says what it will send (method, Host, path, query, headers,
 * payload) and with which credentials and clock.  seam_sigv4_sign() signs
 * in the Authorization header and returns the headers to add — X-Amz-Date,
 * X-Amz-Security-Token when there is a session token, X-Amz-Content-Sha256
 * when asked, and Authorization.  seam_sigv4_presign() signs in the query
 * instead (a presigned URL, valid for a given number of seconds) and
 * returns the request target to send, the caller's query followed by the
 * X-Amz-* parameters and X-Amz-Signature.  Both return, for tests and
 * debugging, the canonical request and the string to sign.
 *
 * Path rules are those of every service but S3 (AWS's signing guide and the
 * aws-c-auth test suite): the path is taken as it goes on the wire, already
 * percent-encoded, and is encoded once more for the canonical request, so a
 * model id "a:b" sent as "/model/a%3Ab" is signed as "/model/a%253Ab"; and
 * "." / ".." segments and repeated slashes are removed first (unless
 * SEAM_SIGV4_NO_NORMALIZE).  Not implemented, as seam calls no S3 API:
 * S3's single-encoding rules and its UNSIGNED-PAYLOAD.  Headers and query
 * strings alike sign the payload's SHA-256, as the suite's presigned
 * vectors do.
 *
 * Header values are canonicalized as AWS specifies: trimmed, every run of
 * whitespace (folded lines included) made one space; repeated names are
 * joined with ',' in the order given.  Every header passed is signed. */
#ifndef SEAM_PROVIDERS_SIGV4_H
#define SEAM_PROVIDERS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"

#define SEAM_SIGV4_ALGORITHM   "AWS4-HMAC-SHA256"
#define SEAM_SIGV4_MAX_HEADERS 64
#define SEAM_SIGV4_MAX_EXPIRES 604800 /* seconds (7 days): the longest a presigned URL may live */

enum {
    SEAM_SIGV4_NO_NORMALIZE = 1 << 0,   /* sign the path's dot segments and "//" as they are */
    SEAM_SIGV4_CONTENT_SHA256 = 1 << 1, /* add and sign x-amz-content-sha256 (header signing
                                         * only: a presigned URL adds no headers) */
    SEAM_SIGV4_TOKEN_UNSIGNED = 1 << 2, /* send the session token but leave it out of the
                                         * signature (services that add it after signing) */
};

typedef struct seam_sigv4_header {
    const char *name;
    const char *value;
} seam_sigv4_header;

typedef struct seam_sigv4_input {
    const char *method; /* "POST" */
    const char *host;   /* the Host header exactly as sent ("h" or "h:port") */
    const char *path;   /* as sent on the wire (percent-encoded); "" or NULL means "/" */
    const char *query;  /* without '?', or NULL */
    const seam_sigv4_header *headers; /* the other headers sent (not Host, not X-Amz-Date) */
    size_t nheaders;
    const void *payload;
    size_t payload_len;
    time_t when;                  /* UTC seconds */
    const char *region, *service; /* "us-east-1", "bedrock" */
    const char *access_key, *secret_key;
    const char *session_token; /* or NULL */
    unsigned flags;
} seam_sigv4_input;

typedef struct seam_sigv4_output {
    char amz_date[17];     /* the X-Amz-Date value, "20150830T123600Z" */
    char payload_hash[65]; /* hex SHA-256 of the payload (the X-Amz-Content-Sha256 value) */
    char signature[65];    /* hex */
    seam_buf canonical_request;
    seam_buf string_to_sign;
    seam_buf authorization; /* seam_sigv4_sign: the Authorization header's value */
    seam_buf target;        /* seam_sigv4_presign: path '?' query, to send as the request
                             * target (the URL is the scheme and Host before it) */
    const char *error;      /* after a failure: what was wrong (a static string) */
} seam_sigv4_output;

/* Signs in for the Authorization header.  Returns 0 with out filled (release
 * it with seam_sigv4_output_free), or -1 with out empty but for out->error
 * when in is unusable (a required field NULL, more than
 * SEAM_SIGV4_MAX_HEADERS headers, a header name of 128 bytes or more, a time
 * gmtime cannot express, a canonical request over 1 MiB) or memory ran out.
 * Pure: the same input always gives the same output. */
int seam_sigv4_sign(const seam_sigv4_input *in, seam_sigv4_output *out);

/* Signs in for the query: out->target is in's path and query with
 * X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Expires (expires,
 * 1 to SEAM_SIGV4_MAX_EXPIRES seconds), -Security-Token when there is a
 * session token, and last X-Amz-Signature appended, in that order (the
 * order aws-c-auth writes).  All but the signature are signed, the token too
 * unless SEAM_SIGV4_TOKEN_UNSIGNED.  Host and in's headers are the signed
 * headers: the caller sends them unchanged, and no X-Amz-Date header.
 * Returns as seam_sigv4_sign does (out->authorization stays empty), and -1
 * for an expires out of range. */
int seam_sigv4_presign(const seam_sigv4_input *in, unsigned expires, seam_sigv4_output *out);

/* Frees out's buffers; NULL, an emptied or a freed out are harmless. */
void seam_sigv4_output_free(seam_sigv4_output *out);

/* Appends s[0..n) percent-encoded as SigV4 wants it: every byte but
 * A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex); '/' is kept when
 * keep_slash.  For building a path segment (a model id) to send. */
int seam_sigv4_uri_encode(seam_buf *out, const char *s, size_t n, int keep_slash);

#endif
