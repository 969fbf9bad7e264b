/* client.h — upstream HTTP calls on a worker's event loop (libcurl multi).
 *
 * One client per worker; it keeps that worker's connection pool, so
 * keep-alive connections to each upstream are reused across requests.
 * Knows nothing of LLMs: a call is a URL, headers, a body and a stream of
 * response bytes.
 *
 * Callback contract (the same as a provider call's): on_head at most once,
 * then on_data, then on_done exactly once — unless cancelled, after which
 * nothing is called.  A start that fails returns NULL and calls nothing. */
#ifndef SEAM_HTTP_CLIENT_H
#define SEAM_HTTP_CLIENT_H

#include <stddef.h>

struct event_base;
typedef struct seam_http_client seam_http_client;
typedef struct seam_http_call seam_http_call;

enum seam_http_call_err {
    SEAM_HTTP_OK = 0,
    SEAM_HTTP_ECONNECT,
    SEAM_HTTP_ETIMEOUT,
    SEAM_HTTP_ERESET,
    SEAM_HTTP_EPROTO,
    SEAM_HTTP_ETOOBIG,
    SEAM_HTTP_ENOMEM,
};

typedef struct seam_http_call_opts {
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *body;           /* POST body, or NULL for GET */
    size_t body_len;
    int connect_timeout_ms;
    void (*on_head)(void *ud, int status, const char *retry_after);
    void (*on_data)(void *ud, const char *p, size_t n);
    void (*on_done)(void *ud, int err);
    void *ud;
} seam_http_call_opts;

seam_http_client *seam_http_client_new(struct event_base *base);
void seam_http_client_free(seam_http_client *c);

/* The call copies nothing: url, headers and body must outlive it. */
seam_http_call *seam_http_client_start(seam_http_client *c, const seam_http_call_opts *o);
void seam_http_call_cancel(seam_http_call *call);

#endif
