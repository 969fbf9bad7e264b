/* server.c — lean HTTP/1.1 server; see server.h for why it exists.
 *
 * A connection moves HEAD -> BODY -> BUSY -> HEAD ...  Its read event stays
 * armed for its whole life, so a client that hangs up while its request is
 * BUSY is seen at once and the caller's abort callback cancels the work.
 * Closing is always deferred to the connection's own timer callback, so no
 * API call ever frees a connection under its caller's feet. */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "core/clock.h"

enum conn_state { ST_HEAD, ST_BODY, ST_BUSY };

typedef struct conn {
    seam_http_server *srv;
    int fd;
    enum conn_state state;
    struct event *ev_read, *ev_write, *ev_timer;
    seam_buf in;
    size_t head_len;       /* bytes of request line + headers, incl. the blank line */
    size_t body_need;      /* Content-Length, when not chunked */
    size_t consumed;       /* bytes of `in` the current request occupies */
    uintptr_t parsed_base; /* in.data when the head was parsed */
    uint64_t req_start_us; /* first byte of the request being read, 0 if none */
    int chunked;
    int sent_continue;
    int http10;
    int keep_alive;
    int streaming; /* a chunked answer is under way */
    int dying;     /* close scheduled */
    int reading;   /* ev_read is armed */
    struct evbuffer *out;
    seam_http_req req;
    void (*abort_cb)(void *);
    void *abort_ud;
    struct conn *prev, *next;
} conn;

struct seam_http_server {
    struct event_base *base;
    seam_http_server_opts o;
    int lfd;
    struct event *ev_accept;
    conn *conns;
    size_t nconns;
    int draining;
    void (*on_drained)(void *);
    void *drained_ud;
};

static void conn_process(conn *c);
static void conn_kill(conn *c);

/* ---- small helpers ---------------------------------------------------- */

const char *seam_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

const char *seam_http_header_get(const seam_http_req *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

static conn *conn_of(seam_http_req *r)
{
    return (conn *)((char *)r - offsetof(conn, req));
}

static void arm_timer(conn *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(c->ev_timer, &tv);
}

static void flush_out(conn *c)
{
    while (evbuffer_get_length(c->out)) {
        int n = evbuffer_write(c->out, c->fd);
        if (n > 0) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
        conn_kill(c); /* peer gone */
        return;
    }
    if (evbuffer_get_length(c->out))
        event_add(c->ev_write, NULL);
    else
        event_del(c->ev_write);
}

/* ---- answering -------------------------------------------------------- */

static void write_head(conn *c, int status, const char *ctype, const char *extra, long clen)
{
    const char *conn_hdr = "";
    if (!c->keep_alive || c->srv->draining)
        conn_hdr = "Connection: close\r\n";
    else if (c->http10)
        conn_hdr = "Connection: keep-alive\r\n";
    char head[512];
    int n;
    if (clen >= 0)
        n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %ld\r\n%s", status,
                     seam_http_reason(status), ctype, clen, conn_hdr);
    else
        n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s%s", status,
                     seam_http_reason(status), ctype,
                     c->http10 ? "" : "Transfer-Encoding: chunked\r\n", conn_hdr);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof head) n = sizeof head - 1; /* a content type no caller sends */
    evbuffer_add(c->out, head, (size_t)n);
    if (extra && *extra) evbuffer_add(c->out, extra, strlen(extra));
    evbuffer_add(c->out, "\r\n", 2);
}

/* The current request is answered: make room for the next one. */
static void request_done(conn *c)
{
    c->abort_cb = NULL;
    c->streaming = 0;
    if (c->dying) return;
    if (!c->keep_alive || c->srv->draining) {
        c->state = ST_HEAD; /* not BUSY: closing now aborts nothing */
        flush_out(c);
        if (!c->dying && evbuffer_get_length(c->out) == 0)
            conn_kill(c);
        else if (!c->dying)
            shutdown(c->fd, SHUT_RD);
        return;
    }
    seam_buf_consume(&c->in, c->consumed);
    c->consumed = 0;
    c->state = ST_HEAD;
    flush_out(c);
    if (c->dying) return;
    if (!c->reading) {
        event_add(c->ev_read, NULL);
        c->reading = 1;
    }
    conn_process(c);
}

void seam_http_respond(seam_http_req *r, int status, const char *content_type,
                       const char *extra_headers, const char *body, size_t n)
{
    conn *c = conn_of(r);
    if (!c->dying) {
        write_head(c, status, content_type, extra_headers, (long)n);
        if (n && r->method != SEAM_HTTP_HEAD) evbuffer_add(c->out, body, n);
    }
    request_done(c);
}

void seam_http_stream_start(seam_http_req *r, int status, const char *content_type,
                            const char *extra_headers)
{
    conn *c = conn_of(r);
    c->streaming = 1;
    if (c->dying) return;
    if (c->http10) c->keep_alive = 0; /* the end of the body is the end of the connection */
    write_head(c, status, content_type, extra_headers, -1);
    flush_out(c);
}

int seam_http_stream_write(seam_http_req *r, const char *p, size_t n)
{
    conn *c = conn_of(r);
    if (c->dying) return -1;
    if (!n) return 0;
    if (evbuffer_get_length(c->out) > c->srv->o.max_pending_out) {
        conn_kill(c);
        return -1;
    }
    if (!c->http10) {
        char size[24];
        int k = snprintf(size, sizeof size, "%zx\r\n", n);
        evbuffer_add(c->out, size, (size_t)k);
        evbuffer_add(c->out, p, n);
        evbuffer_add(c->out, "\r\n", 2);
    } else {
        evbuffer_add(c->out, p, n);
    }
    flush_out(c);
    return c->dying ? -1 : 0;
}

void seam_http_stream_end(seam_http_req *r)
{
    conn *c = conn_of(r);
    if (!c->dying && !c->http10) evbuffer_add(c->out, "0\r\n\r\n", 5);
    request_done(c);
}

int seam_http_stream_started(const seam_http_req *r)
{
    return conn_of((seam_http_req *)r)->streaming;
}

void seam_http_on_abort(seam_http_req *r, void (*cb)(void *), void *ud)
{
    conn *c = conn_of(r);
    c->abort_cb = cb;
    c->abort_ud = ud;
}

/* An error the server answers itself; the connection closes after it since
 * the rest of the input can no longer be trusted to be framed. */
static void respond_error(conn *c, int status, const char *code, const char *msg)
{
    seam_buf body;
    seam_buf_init(&body, 4096);
    const char *ctype = "text/plain";
    if (c->srv->o.error_fmt)
        ctype = c->srv->o.error_fmt(status, code, msg, &body);
    else
        seam_buf_append_str(&body, msg);
    c->keep_alive = 0;
    c->state = ST_BUSY;
    write_head(c, status, ctype, "", (long)body.len);
    evbuffer_add(c->out, body.data ? body.data : "", body.len);
    seam_buf_free(&body);
    request_done(c);
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_head(conn *c)
{
    char *p = c->in.data;
    char *end = p + c->head_len - 2; /* the final CRLF of the blank line */
    seam_http_req *r = &c->req;
    char peer[sizeof r->peer];
    memcpy(peer, r->peer, sizeof peer);
    memset(r, 0, sizeof *r);
    memcpy(r->peer, peer, sizeof peer);
    c->parsed_base = (uintptr_t)c->in.data;

    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) return -1;
    *eol = '\0';
    if (eol > p && eol[-1] == '\r') eol[-1] = '\0';
    char *sp1 = strchr(p, ' ');
    if (!sp1) return -1;
    *sp1 = '\0';
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (!sp2) return -1;
    *sp2 = '\0';
    const char *version = sp2 + 1;
    if (strcmp(version, "HTTP/1.1") == 0)
        c->http10 = 0;
    else if (strcmp(version, "HTTP/1.0") == 0)
        c->http10 = 1;
    else
        return -2;
    if (strcmp(p, "GET") == 0)
        r->method = SEAM_HTTP_GET;
    else if (strcmp(p, "POST") == 0)
        r->method = SEAM_HTTP_POST;
    else if (strcmp(p, "HEAD") == 0)
        r->method = SEAM_HTTP_HEAD;
    else
        r->method = SEAM_HTTP_OTHER;
    if (*target != '/') return -1;
    char *q = strchr(target, '?');
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    r->path = target;

    char *line = eol + 1;
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line) + 1);
        if (!nl) nl = end;
        *nl = '\0';
        if (nl > line && nl[-1] == '\r') nl[-1] = '\0';
        if (*line == ' ' || *line == '\t') return -1; /* obsolete line folding */
        char *colon = strchr(line, ':');
        if (!colon || colon == line) return -1;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            *--ve = '\0';
        if (r->nheaders == SEAM_HTTP_MAX_HEADERS) return -3;
        r->headers[r->nheaders].name = line;
        r->headers[r->nheaders].value = v;
        r->nheaders++;
        line = nl + 1;
    }

    const char *connection = seam_http_header_get(r, "connection");
    if (c->http10)
        c->keep_alive = connection && strcasecmp(connection, "keep-alive") == 0;
    else
        c->keep_alive = !(connection && strcasecmp(connection, "close") == 0);

    const char *te = seam_http_header_get(r, "transfer-encoding");
    const char *cl = seam_http_header_get(r, "content-length");
    c->chunked = 0;
    c->body_need = 0;
    if (te) {
        if (strcasecmp(te, "chunked") != 0 || cl) return -4;
        c->chunked = 1;
    } else if (cl) {
        char *e;
        errno = 0;
        if (*cl < '0' || *cl > '9') return -1;
        unsigned long long v = strtoull(cl, &e, 10);
        if (*e || errno) return -1;
        if (v > c->srv->o.max_body) return -5;
        c->body_need = (size_t)v;
    }
    return 0;
}

/* Walks a chunked body.  With commit == 0 it only checks framing; with
 * commit == 1 (called once the whole body is known to be in) it decodes in
 * place.  Returns 1 when complete (*out_len, c->consumed set), 0 when more
 * input is needed, -1 on a framing error, -5 when over max_body. */
static int dechunk(conn *c, int commit, size_t *out_len)
{
    char *base = c->in.data + c->head_len;
    size_t avail = c->in.len - c->head_len;
    size_t rd = 0, wr = 0;
    for (;;) {
        char *nl = memchr(base + rd, '\n', avail - rd);
        if (!nl) return avail - rd > 64 ? -1 : 0;
        char *e;
        errno = 0;
        unsigned long long size = strtoull(base + rd, &e, 16);
        if (e == base + rd || errno) return -1;
        if (*e != '\r' && *e != '\n' && *e != ';') return -1;
        size_t line_end = (size_t)(nl - base) + 1;
        if (size == 0) {
            /* trailers are skipped up to the blank line */
            size_t pos = line_end;
            for (;;) {
                char *tnl = memchr(base + pos, '\n', avail - pos);
                if (!tnl) return 0;
                size_t tlen = (size_t)(tnl - (base + pos));
                pos = (size_t)(tnl - base) + 1;
                if (tlen == 0 || (tlen == 1 && base[pos - 2] == '\r')) break;
            }
            *out_len = wr;
            c->consumed = c->head_len + pos;
            return 1;
        }
        if (size > c->srv->o.max_body || wr + size > c->srv->o.max_body) return -5;
        if (avail - line_end < size + 1) return 0;
        size_t after = line_end + (size_t)size;
        if (base[after] == '\r') {
            if (avail - after < 2) return 0;
            after++;
        }
        if (base[after] != '\n') return -1;
        if (commit) memmove(base + wr, base + line_end, (size_t)size);
        wr += (size_t)size;
        rd = after + 1;
    }
}

/* The input buffer may have been reallocated while the body arrived: move
 * the request's pointers, taken when the head was parsed, along with it. */
static void rebase_headers(conn *c)
{
    uintptr_t now = (uintptr_t)c->in.data, then = c->parsed_base;
    if (now == then) return;
    seam_http_req *r = &c->req;
#define REBASE(p) ((p) = (p) ? (const char *)((uintptr_t)(p)-then + now) : NULL)
    REBASE(r->path);
    REBASE(r->query);
    for (int i = 0; i < r->nheaders; i++) {
        REBASE(r->headers[i].name);
        REBASE(r->headers[i].value);
    }
#undef REBASE
    c->parsed_base = now;
}

/* Waiting for input: an empty connection may idle for idle_timeout_ms; a
 * request that has begun must be whole within read_timeout_ms of its first
 * byte, however slowly it trickles in. */
static void arm_wait_timer(conn *c)
{
    if (c->in.len == 0) {
        c->req_start_us = 0;
        arm_timer(c, c->srv->o.idle_timeout_ms);
        return;
    }
    uint64_t now = seam_now_us();
    if (!c->req_start_us) c->req_start_us = now;
    uint64_t limit = (uint64_t)c->srv->o.read_timeout_ms * 1000, spent = now - c->req_start_us;
    arm_timer(c, spent >= limit ? 0 : (int)((limit - spent) / 1000));
}

static void dispatch(conn *c)
{
    c->req_start_us = 0;
    c->state = ST_BUSY;
    event_del(c->ev_timer);
    c->req.start_us = seam_now_us();
    c->srv->o.handler(&c->req, c->srv->o.ud);
}

/* Parses and dispatches what the input buffer holds. */
static void conn_process(conn *c)
{
    while (!c->dying && c->state != ST_BUSY) {
        if (c->state == ST_HEAD) {
            /* tolerate stray CRLFs between requests (RFC 9112 2.2) */
            size_t skip = 0;
            while (skip < c->in.len && (c->in.data[skip] == '\r' || c->in.data[skip] == '\n'))
                skip++;
            if (skip) seam_buf_consume(&c->in, skip);
            char *hend = c->in.len ? memmem(c->in.data, c->in.len, "\r\n\r\n", 4) : NULL;
            size_t hlen = hend ? (size_t)(hend - c->in.data) + 4 : 0;
            if (!hend) {
                char *lf = c->in.len ? memmem(c->in.data, c->in.len, "\n\n", 2) : NULL;
                if (lf) hlen = (size_t)(lf - c->in.data) + 2;
            }
            if (!hlen) {
                if (c->in.len > c->srv->o.max_header) {
                    respond_error(c, 431, "headers_too_large", "request headers are too large");
                    return;
                }
                arm_wait_timer(c);
                return;
            }
            if (hlen > c->srv->o.max_header) {
                respond_error(c, 431, "headers_too_large", "request headers are too large");
                return;
            }
            c->head_len = hlen;
            c->sent_continue = 0;
            int rc = parse_head(c);
            if (rc == -2) {
                respond_error(c, 505, "http_version", "only HTTP/1.0 and HTTP/1.1 are served");
                return;
            } else if (rc == -3) {
                respond_error(c, 431, "headers_too_large", "too many request headers");
                return;
            } else if (rc == -4) {
                respond_error(
                    c, 400, "bad_transfer_encoding",
                    "only Transfer-Encoding: chunked, without Content-Length, is accepted");
                return;
            } else if (rc == -5) {
                respond_error(c, 413, "body_too_large",
                              "request body is larger than server.max_body");
                return;
            } else if (rc < 0) {
                respond_error(c, 400, "bad_http", "malformed HTTP request");
                return;
            }
            c->state = ST_BODY;
        }
        /* ST_BODY */
        size_t body_len;
        if (c->chunked) {
            int rc = dechunk(c, 0, &body_len);
            if (rc == 1) dechunk(c, 1, &body_len);
            if (rc == -5) {
                respond_error(c, 413, "body_too_large",
                              "request body is larger than server.max_body");
                return;
            }
            if (rc < 0) {
                respond_error(c, 400, "bad_chunked_body", "malformed chunked request body");
                return;
            }
            if (rc == 0) goto need_more;
        } else {
            if (c->in.len - c->head_len < c->body_need) goto need_more;
            body_len = c->body_need;
            c->consumed = c->head_len + body_len;
        }
        /* The handler gets a NUL-terminated body.  A byte is inserted after
         * the request for that NUL, even when nothing follows yet: input read
         * while the request is served (a pipelined request) lands after it. */
        {
            if (seam_buf_append(&c->in, "", 1) != 0) {
                respond_error(c, 413, "body_too_large", "request is too large");
                return;
            }
            char *body = c->in.data + c->head_len;
            memmove(c->in.data + c->consumed + 1, c->in.data + c->consumed,
                    c->in.len - 1 - c->consumed);
            c->consumed++;
            body[body_len] = '\0';
            c->req.body = body;
            c->req.body_len = body_len;
        }
        rebase_headers(c);
        dispatch(c);
        continue;
    need_more : {
        const char *expect = seam_http_header_get(&c->req, "expect");
        if (expect && !c->sent_continue && strcasecmp(expect, "100-continue") == 0) {
            c->sent_continue = 1;
            evbuffer_add(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
            flush_out(c);
        }
        arm_wait_timer(c);
        return;
    }
    }
}

/* ---- connection life -------------------------------------------------- */

static void conn_free(conn *c)
{
    seam_http_server *s = c->srv;
    if (c->state == ST_BUSY && c->abort_cb) {
        void (*cb)(void *) = c->abort_cb;
        c->abort_cb = NULL;
        cb(c->abort_ud);
    }
    event_free(c->ev_read);
    event_free(c->ev_write);
    event_free(c->ev_timer);
    evbuffer_free(c->out);
    close(c->fd);
    seam_buf_free(&c->in);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    free(c);
    if (s->draining && s->nconns == 0 && s->on_drained) {
        void (*cb)(void *) = s->on_drained;
        s->on_drained = NULL;
        cb(s->drained_ud);
    }
}

/* Schedules the close on the connection's timer, with a clean stack. */
static void conn_kill(conn *c)
{
    if (c->dying) return;
    c->dying = 1;
    event_del(c->ev_read);
    event_del(c->ev_write);
    struct timeval zero = {0, 0};
    event_add(c->ev_timer, &zero);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    if (c->dying) {
        conn_free(c);
        return;
    }
    /* idle keep-alive or a request that stopped arriving */
    if (c->state == ST_HEAD && c->in.len == 0)
        conn_kill(c);
    else
        respond_error(c, 408, "request_timeout", "the request did not arrive in time");
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    flush_out(c);
    if (!c->dying && evbuffer_get_length(c->out) == 0 && c->state == ST_HEAD &&
        (!c->keep_alive || c->srv->draining))
        conn_kill(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    for (;;) {
        if (c->state == ST_BUSY && c->in.cap - c->in.len <= 1) {
            /* The request being served points into this buffer, so it must
             * not move: pipelined input waits until the answer is done. */
            event_del(c->ev_read);
            c->reading = 0;
            return;
        }
        if (c->state != ST_BUSY && c->in.cap - c->in.len < 4096) {
            size_t room = c->in.max - c->in.len;
            if (room == 0) {
                respond_error(c, 413, "body_too_large", "request is larger than server.max_body");
                return;
            }
            if (seam_buf_reserve(&c->in, room < 16384 ? room : 16384) != 0) {
                conn_kill(c);
                return;
            }
        }
        ssize_t n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
        if (n > 0) {
            c->in.len += (size_t)n;
            c->in.data[c->in.len] = '\0';
            if ((size_t)n < c->in.cap - (c->in.len - (size_t)n) - 1) break; /* drained */
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        conn_kill(c); /* EOF or error: closing while BUSY aborts the request */
        return;
    }
    if (c->state != ST_BUSY) conn_process(c);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    seam_http_server *s = arg;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return; /* EAGAIN, or EMFILE: try again on the next wake-up */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->srv = s;
        c->fd = fd;
        seam_buf_init(&c->in, s->o.max_header + s->o.max_body + 65536);
        c->out = evbuffer_new();
        c->ev_read = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
        c->ev_write = event_new(s->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
        c->ev_timer = evtimer_new(s->base, on_timer, c);
        if (!c->out || !c->ev_read || !c->ev_write || !c->ev_timer) {
            if (c->out) evbuffer_free(c->out);
            if (c->ev_read) event_free(c->ev_read);
            if (c->ev_write) event_free(c->ev_write);
            if (c->ev_timer) event_free(c->ev_timer);
            free(c);
            close(fd);
            continue;
        }
        char host[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        }
        snprintf(c->req.peer, sizeof c->req.peer, "%s:%d", host, port);
        c->next = s->conns;
        if (s->conns) s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        event_add(c->ev_read, NULL);
        c->reading = 1;
        arm_timer(c, s->o.idle_timeout_ms);
    }
}

static int listen_socket(const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    int rc = getaddrinfo(host, ports, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "listen %s:%d: %s", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) goto fail;
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) goto fail;
    if (listen(fd, 1024) != 0) goto fail;
    freeaddrinfo(res);
    return fd;
fail:
    snprintf(err, errlen, "listen %s:%d: %s", host, port, strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return -1;
}

seam_http_server *seam_http_server_new(struct event_base *base, const seam_http_server_opts *o,
                                       char *err, size_t errlen)
{
    seam_http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base = base;
    s->o = *o;
    if (!s->o.max_header) s->o.max_header = 64 * 1024;
    if (!s->o.max_body) s->o.max_body = 4 * 1024 * 1024;
    if (!s->o.idle_timeout_ms) s->o.idle_timeout_ms = 60000;
    if (!s->o.read_timeout_ms) s->o.read_timeout_ms = 30000;
    if (!s->o.max_pending_out) s->o.max_pending_out = 16 * 1024 * 1024;
    s->lfd = listen_socket(o->host, o->port, err, errlen);
    if (s->lfd < 0) {
        free(s);
        return NULL;
    }
    s->ev_accept = event_new(base, s->lfd, EV_READ | EV_PERSIST, on_accept, s);
    if (!s->ev_accept || event_add(s->ev_accept, NULL) != 0) {
        snprintf(err, errlen, "cannot watch the listener");
        if (s->ev_accept) event_free(s->ev_accept);
        close(s->lfd);
        free(s);
        return NULL;
    }
    return s;
}

void seam_http_server_drain(seam_http_server *s, void (*on_drained)(void *), void *ud)
{
    if (!s->draining) {
        s->draining = 1;
        event_free(s->ev_accept);
        s->ev_accept = NULL;
        close(s->lfd);
        s->lfd = -1;
    }
    s->on_drained = on_drained;
    s->drained_ud = ud;
    for (conn *c = s->conns; c; c = c->next)
        if (c->state != ST_BUSY && evbuffer_get_length(c->out) == 0) conn_kill(c);
    if (s->nconns == 0 && on_drained) {
        s->on_drained = NULL;
        on_drained(ud);
    }
}

size_t seam_http_server_connections(const seam_http_server *s)
{
    return s->nconns;
}

void seam_http_server_free(seam_http_server *s)
{
    if (!s) return;
    s->on_drained = NULL;
    while (s->conns) {
        conn *c = s->conns;
        c->dying = 1;
        conn_free(c);
    }
    if (s->ev_accept) event_free(s->ev_accept);
    if (s->lfd >= 0) close(s->lfd);
    free(s);
}
