/* server.h — a lean HTTP/1.1 server on a libevent loop.
 *
 * Why not evhttp: evhttp answers an oversized body with an HTML page and no
 * hook to change it, stops reading a client once its request is in (so a
 * hang-up goes unseen until the next write), and allocates per header.  This
 * server keeps one read event per connection for its whole life (no epoll_ctl
 * churn), sees EOF while a request is in flight, reuses its buffers across
 * keep-alive requests, and lets the caller shape every error body.
 *
 * One server per worker thread, each with its own SO_REUSEPORT listener.
 * One request at a time per connection; pipelined requests wait in the input
 * buffer.  Knows nothing of LLMs. */
#ifndef SEAM_HTTP_SERVER_H
#define SEAM_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct event_base;

typedef struct seam_http_server seam_http_server;
typedef struct seam_http_req seam_http_req;

enum seam_http_method { SEAM_HTTP_OTHER, SEAM_HTTP_GET, SEAM_HTTP_POST, SEAM_HTTP_HEAD };

#define SEAM_HTTP_MAX_HEADERS 64

typedef struct seam_http_header {
    const char *name, *value; /* NUL-terminated, inside the request buffer */
} seam_http_header;

struct seam_http_req {
    enum seam_http_method method;
    const char *path;  /* NUL-terminated, query string removed */
    const char *query; /* after '?', or NULL */
    seam_http_header headers[SEAM_HTTP_MAX_HEADERS];
    int nheaders;
    const char *body; /* NUL-terminated (the NUL is not counted) */
    size_t body_len;
    char peer[64]; /* "ip:port" of the client */
    uint64_t start_us;
};

/* Called once per complete request.  The handler must eventually answer
 * with seam_http_respond() or seam_http_stream_*(), unless the abort
 * callback (seam_http_on_abort) fires first. */
typedef void (*seam_http_handler)(seam_http_req *req, void *ud);
/* Shapes the body of an error the server answers by itself (413, 431, 400
 * on bad HTTP, 408 ...): writes a body into out and returns its type. */
typedef const char *(*seam_http_error_fmt)(int status, const char *code, const char *message,
                                           seam_buf *out);

typedef struct seam_http_server_opts {
    const char *host;
    int port;
    size_t max_header;      /* bytes of request line + headers; default 64 KiB */
    size_t max_body;        /* bytes; default 4 MiB */
    int idle_timeout_ms;    /* keep-alive idle; default 60 s */
    int read_timeout_ms;    /* a started request must arrive within this; default 30 s */
    size_t max_pending_out; /* a client that lets this much output pile up is dropped; default 16
                               MiB */
    seam_http_handler handler;
    seam_http_error_fmt error_fmt;
    void *ud;
} seam_http_server_opts;

/* Binds a SO_REUSEPORT listener on base.  Returns NULL with err on failure. */
seam_http_server *seam_http_server_new(struct event_base *base, const seam_http_server_opts *o,
                                       char *err, size_t errlen);
/* Stops accepting and closes idle connections; busy ones close after their
 * current response.  on_drained runs once no connection is left. */
void seam_http_server_drain(seam_http_server *s, void (*on_drained)(void *), void *ud);
size_t seam_http_server_connections(const seam_http_server *s);
void seam_http_server_free(seam_http_server *s);

const char *seam_http_header_get(const seam_http_req *r, const char *name);

/* A complete answer with Content-Length.  extra_headers is "" or whole
 * "Name: value\r\n" lines. */
void seam_http_respond(seam_http_req *r, int status, const char *content_type,
                       const char *extra_headers, const char *body, size_t n);
/* A chunked answer, written as it is produced. */
void seam_http_stream_start(seam_http_req *r, int status, const char *content_type,
                            const char *extra_headers);
/* Returns 0, or -1 when the client is too slow (output over its cap). */
int seam_http_stream_write(seam_http_req *r, const char *p, size_t n);
void seam_http_stream_end(seam_http_req *r);
int seam_http_stream_started(const seam_http_req *r);

/* cb runs if the client goes away before the answer is complete; the
 * request is gone once it returns and must not be touched again. */
void seam_http_on_abort(seam_http_req *r, void (*cb)(void *ud), void *ud);

const char *seam_http_reason(int status);

#endif
