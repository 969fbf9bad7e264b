/* client.h — upstream HTTP calls on a worker's event loop.
 *
 * A target is a URL parsed (and, for plain http://, resolved) once, when the
 * config is loaded; calls to it then cost no URL parsing.  Plain-HTTP
 * targets go through seam's own keep-alive HTTP/1.1 client (h1client.c):
 * libcurl spent as much CPU per proxied request as the rest of seam
 * together (status-line sscanf, URL re-parse, a liveness poll per reuse).
 * https:// targets, and hosts that did not resolve at load, go through
 * libcurl multi, which brings TLS and HTTP/2.
 *
 * One client per worker; it keeps that worker's connection pools.  Knows
 * nothing of LLMs.
 *
 * Callback contract: on_head at most once, then on_data, then on_done
 * exactly once — unless cancelled, after which nothing is called.  A start
 * that fails returns NULL and calls nothing.  Cancelling from inside a
 * callback is allowed. */
#ifndef SEAM_HTTP_CLIENT_H
#define SEAM_HTTP_CLIENT_H

#include <stddef.h>

struct event_base;
typedef struct seam_http_client seam_http_client;
typedef struct seam_http_call seam_http_call;
typedef struct seam_http_target seam_http_target;

enum seam_http_call_err {
    SEAM_HTTP_OK = 0,
    SEAM_HTTP_ECONNECT,
    SEAM_HTTP_ETIMEOUT,
    SEAM_HTTP_ERESET,
    SEAM_HTTP_EPROTO,
    SEAM_HTTP_ETOOBIG,
    SEAM_HTTP_ENOMEM,
    SEAM_HTTP_ETLS, /* the TLS handshake failed, or the peer's certificate was not verified */
};

typedef struct seam_http_call_opts {
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *body;           /* POST body, or NULL for GET */
    size_t body_len;
    int connect_timeout_ms;
    void (*on_head)(void *ud, int status, const char *retry_after);
    void (*on_data)(void *ud, const char *p, size_t n);
    void (*on_done)(void *ud, int err);
    void *ud;
} seam_http_call_opts;

/* Parses url (http:// or https://).  Returns NULL with err when it is not a
 * URL seam can call.  Blocks on DNS for plain-HTTP hosts: call it at load. */
seam_http_target *seam_http_target_new(const char *url, char *err, size_t errlen);
/* A target on the same origin with another path (and query), for vendors
 * whose URL names the model: no parsing of the origin and no DNS, so it is
 * cheap enough to make per request. */
seam_http_target *seam_http_target_derive(const seam_http_target *base, const char *path_and_query);
void seam_http_target_free(seam_http_target *t);
/* An https target's peer is verified against the CA certificates in the
 * PEM file ca_file instead of the system's store (a self-hosted server with
 * an internal CA).  Borrowed: ca_file must outlive t and the targets
 * derived from it, which share it. */
void seam_http_target_set_ca_file(seam_http_target *t, const char *ca_file);
const char *seam_http_target_url(const seam_http_target *t);

seam_http_client *seam_http_client_new(struct event_base *base);
void seam_http_client_free(seam_http_client *c);

/* headers and body must outlive the call; the target outlives every call. */
seam_http_call *seam_http_client_start(seam_http_client *c, const seam_http_target *t,
                                       const seam_http_call_opts *o);
void seam_http_call_cancel(seam_http_call *call);

#endif
