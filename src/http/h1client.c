/* h1client.c — seam's own keep-alive HTTP/1.1 client for plain-HTTP
 * upstreams (self-hosted model servers, sidecars, the mock); see client.h
 * for why it exists beside libcurl.
 *
 * Per worker, one pool of idle connections per origin.  Each connection's
 * read event stays armed for its whole life — also while idle, so a server
 * that closes a pooled connection is noticed and the connection dropped —
 * which keeps epoll_ctl off the per-request path.  A request on a reused
 * connection that dies before any byte of the answer is sent again once on
 * a fresh connection: the server may have closed it just as it was reused.
 * Call states are pooled too, so a request allocates nothing once warm. */
#include "http/client_impl.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/buf.h"

#define MAX_HEAD            (64 * 1024) /* response status line + headers */
#define READ_CHUNK          16384
#define MAX_IDLE_PER_ORIGIN 256
#define MAX_FREE_CALLS      256

enum rstate { R_HEAD, R_BODY_CL, R_CHUNK_SIZE, R_CHUNK_DATA, R_CHUNK_CRLF, R_TRAILERS, R_BODY_EOF };

typedef struct h1_pool h1_pool;
typedef struct h1_conn h1_conn;
typedef struct h1_call h1_call;

struct h1_pool {
    char *origin;
    h1_conn *idle;
    int nidle;
    h1_pool *next;
};

struct h1_client {
    struct event_base *base;
    h1_pool *pools;
    h1_call *free_calls;
    int nfree;
};

struct h1_conn {
    h1_client *client;
    h1_pool *pool;
    int fd;
    struct event *ev_r, *ev_w, *ev_timer;
    int connected;
    int reused;      /* served a request before this one */
    int pending_err; /* a failure to report from the timer, off the caller's stack */
    seam_buf in;
    h1_call *call;
    h1_conn *prev, *next; /* idle list */
};

struct h1_call {
    seam_http_call base; /* first: cancel dispatch */
    h1_client *client;
    const seam_http_target *t;
    seam_http_call_opts o;
    h1_conn *conn;
    seam_buf head; /* the request's head, kept for reuse */
    size_t sent;   /* bytes of head + body written */
    enum rstate state;
    int status;
    int keep_alive;
    uint64_t remaining;
    int got_bytes;
    int retried;
    int in_cb;
    int cancelled;
    char retry_after[64];
    h1_call *next_free;
};

static void conn_close(h1_conn *c);
static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);
static int finish_connect(h1_conn *k);

/* ---- pools ------------------------------------------------------------ */

static h1_pool *pool_for(h1_client *c, const seam_http_target *t)
{
    for (h1_pool *p = c->pools; p; p = p->next)
        if (strcmp(p->origin, t->origin) == 0) return p;
    h1_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->origin = strdup(t->origin))) {
        free(p);
        return NULL;
    }
    p->next = c->pools;
    c->pools = p;
    return p;
}

static void idle_remove(h1_conn *k)
{
    h1_pool *p = k->pool;
    if (k->prev)
        k->prev->next = k->next;
    else
        p->idle = k->next;
    if (k->next) k->next->prev = k->prev;
    k->prev = k->next = NULL;
    p->nidle--;
}

static void idle_push(h1_conn *k)
{
    h1_pool *p = k->pool;
    if (p->nidle >= MAX_IDLE_PER_ORIGIN) {
        conn_close(k);
        return;
    }
    k->prev = NULL;
    k->next = p->idle;
    if (p->idle) p->idle->prev = k;
    p->idle = k;
    p->nidle++;
}

/* ---- connections ------------------------------------------------------ */

static void conn_close(h1_conn *k)
{
    if (!k->call && (k->prev || k->pool->idle == k)) idle_remove(k);
    event_free(k->ev_r);
    event_free(k->ev_w);
    event_free(k->ev_timer);
    close(k->fd);
    seam_buf_free(&k->in);
    free(k);
}

/* Opens a connection; a failure that connect() reports at once is kept in
 * pending_err and reported from the timer, never from inside start(). */
static h1_conn *conn_open(h1_client *c, h1_pool *p, const seam_http_target *t, int timeout_ms)
{
    h1_conn *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->client = c;
    k->pool = p;
    k->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (k->fd < 0) {
        free(k);
        return NULL;
    }
    int one = 1;
    setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    seam_buf_init(&k->in, MAX_HEAD + READ_CHUNK);
    k->ev_r = event_new(c->base, k->fd, EV_READ | EV_PERSIST, on_read, k);
    k->ev_w = event_new(c->base, k->fd, EV_WRITE | EV_PERSIST, on_write, k);
    k->ev_timer = evtimer_new(c->base, on_timer, k);
    if (!k->ev_r || !k->ev_w || !k->ev_timer) {
        if (k->ev_r) event_free(k->ev_r);
        if (k->ev_w) event_free(k->ev_w);
        if (k->ev_timer) event_free(k->ev_timer);
        close(k->fd);
        free(k);
        return NULL;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (connect(k->fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0) {
        k->connected = 1;
    } else if (errno == EINPROGRESS) {
        event_add(k->ev_w, NULL);
        event_add(k->ev_timer, &tv);
    } else {
        k->pending_err = SEAM_HTTP_ECONNECT;
        struct timeval zero = {0, 0};
        event_add(k->ev_timer, &zero);
        return k;
    }
    event_add(k->ev_r, NULL);
    return k;
}

/* ---- calls ------------------------------------------------------------ */

static void call_release(h1_call *call)
{
    h1_client *c = call->client;
    if (c->nfree >= MAX_FREE_CALLS || call->head.cap > 64 * 1024) {
        seam_buf_free(&call->head);
        free(call);
        return;
    }
    call->next_free = c->free_calls;
    c->free_calls = call;
    c->nfree++;
}

/* Ends the call: hands the connection back (or closes it), frees the call,
 * then tells the caller. */
static void call_end(h1_call *call, int err)
{
    h1_conn *k = call->conn;
    void (*done)(void *, int) = call->o.on_done;
    void *ud = call->o.ud;
    if (k) {
        k->call = NULL;
        call->conn = NULL;
        int whole = call->sent == call->head.len + call->o.body_len;
        if (err == SEAM_HTTP_OK && call->keep_alive && whole && k->in.len == 0) {
            k->reused = 1;
            idle_push(k);
        } else {
            conn_close(k);
        }
    }
    /* cancel() from inside on_done finds in_cb set and leaves the release
     * to us */
    call->in_cb++;
    if (done) done(ud, err);
    call_release(call);
}

static void try_write(h1_call *call)
{
    h1_conn *k = call->conn;
    size_t total = call->head.len + call->o.body_len;
    while (call->sent < total) {
        struct iovec iov[2];
        int n = 0;
        if (call->sent < call->head.len) {
            iov[n].iov_base = call->head.data + call->sent;
            iov[n++].iov_len = call->head.len - call->sent;
            if (call->o.body_len) {
                iov[n].iov_base = (void *)call->o.body;
                iov[n++].iov_len = call->o.body_len;
            }
        } else {
            size_t off = call->sent - call->head.len;
            iov[n].iov_base = (void *)(call->o.body + off);
            iov[n++].iov_len = call->o.body_len - off;
        }
        ssize_t w = writev(k->fd, iov, n);
        if (w > 0) {
            call->sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(k->ev_w, NULL);
            return;
        }
        /* the peer is gone; the read side reports it (and may retry) */
        event_del(k->ev_w);
        return;
    }
    event_del(k->ev_w);
}

static void attach(h1_call *call, h1_conn *k)
{
    call->conn = k;
    k->call = call;
    call->sent = 0;
    call->state = R_HEAD;
    call->got_bytes = 0;
    if (k->connected && !k->pending_err) try_write(call);
}

static int open_fresh(h1_call *call)
{
    h1_pool *p = pool_for(call->client, call->t);
    if (!p) return -1;
    int ms = call->o.connect_timeout_ms > 0 ? call->o.connect_timeout_ms : 5000;
    h1_conn *k = conn_open(call->client, p, call->t, ms);
    if (!k) return -1;
    attach(call, k);
    return 0;
}

/* The connection died before the answer was complete. */
static void conn_lost(h1_call *call, int err)
{
    h1_conn *k = call->conn;
    if (!call->got_bytes && k->reused && !call->retried) {
        call->retried = 1;
        k->call = NULL;
        call->conn = NULL;
        conn_close(k);
        if (open_fresh(call) == 0) return;
        call_end(call, SEAM_HTTP_ECONNECT);
        return;
    }
    call_end(call, err);
}

/* ---- response parsing ------------------------------------------------- */

static int parse_head(h1_call *call, char *p, size_t n)
{
    /* "HTTP/1.1 200 OK" */
    if (n < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') return -1;
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        st = st * 10 + (p[i] - '0');
    }
    call->status = st;
    call->keep_alive = p[7] == '1';
    call->retry_after[0] = '\0';
    int chunked = 0, have_len = 0;
    uint64_t clen = 0;
    char *end = p + n;
    char *line = memchr(p, '\n', n);
    while (line && ++line < end) {
        char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) break;
        size_t len = (size_t)(eol - line);
        if (len && line[len - 1] == '\r') len--;
        if (len == 0) break;
        char *colon = memchr(line, ':', len);
        if (colon) {
            size_t nlen = (size_t)(colon - line);
            char *v = colon + 1, *ve = line + len;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            size_t vlen = (size_t)(ve - v);
            if (nlen == 14 && strncasecmp(line, "content-length", 14) == 0) {
                clen = 0;
                for (size_t i = 0; i < vlen; i++) {
                    if (v[i] < '0' || v[i] > '9' || clen > (UINT64_MAX - 9) / 10) return -1;
                    clen = clen * 10 + (uint64_t)(v[i] - '0');
                }
                have_len = vlen > 0;
            } else if (nlen == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
                chunked = vlen >= 7 && strncasecmp(ve - 7, "chunked", 7) == 0;
            } else if (nlen == 10 && strncasecmp(line, "connection", 10) == 0) {
                if (vlen == 5 && strncasecmp(v, "close", 5) == 0) call->keep_alive = 0;
            } else if (nlen == 11 && strncasecmp(line, "retry-after", 11) == 0) {
                size_t k =
                    vlen < sizeof call->retry_after - 1 ? vlen : sizeof call->retry_after - 1;
                memcpy(call->retry_after, v, k);
                call->retry_after[k] = '\0';
            }
        }
        line = eol;
    }
    if (st == 204 || st == 304 || (st >= 100 && st < 200)) {
        call->state = R_BODY_CL;
        call->remaining = 0;
    } else if (chunked) {
        call->state = R_CHUNK_SIZE;
    } else if (have_len) {
        call->state = R_BODY_CL;
        call->remaining = clen;
    } else {
        call->state = R_BODY_EOF;
        call->keep_alive = 0;
    }
    return 0;
}

/* Runs a callback; returns non-zero if the call was cancelled in it. */
#define CALLBACK(call, expr)                                                                       \
    do {                                                                                           \
        (call)->in_cb++;                                                                           \
        expr;                                                                                      \
        (call)->in_cb--;                                                                           \
    } while (0)

static void deliver(h1_call *call, const char *p, size_t n)
{
    if (n && call->o.on_data) CALLBACK(call, call->o.on_data(call->o.ud, p, n));
}

/* Consumes what the connection's buffer holds.  Returns 1 when the call
 * ended (or was cancelled) and must not be touched again. */
static int process(h1_call *call)
{
    h1_conn *k = call->conn;
    size_t pos = 0;
    int finished = 0;
    while (!call->cancelled && !finished) {
        char *p = k->in.data + pos;
        size_t avail = k->in.len - pos;
        switch (call->state) {
        case R_HEAD: {
            char *e = avail >= 4 ? memmem(p, avail, "\r\n\r\n", 4) : NULL;
            if (!e) {
                if (avail > MAX_HEAD) goto proto;
                goto more;
            }
            size_t hlen = (size_t)(e - p) + 4;
            if (parse_head(call, p, hlen) != 0) goto proto;
            pos += hlen;
            if (call->status < 200) { /* 100 Continue and friends: the real head follows */
                call->state = R_HEAD;
                break;
            }
            if (call->o.on_head)
                CALLBACK(call, call->o.on_head(call->o.ud, call->status,
                                               call->retry_after[0] ? call->retry_after : NULL));
            if (call->state == R_BODY_CL && call->remaining == 0) finished = 1;
            break;
        }
        case R_BODY_CL:
        case R_CHUNK_DATA: {
            if (!avail) goto more;
            size_t take = avail < call->remaining ? avail : (size_t)call->remaining;
            pos += take;
            call->remaining -= take;
            deliver(call, p, take);
            if (call->remaining == 0) {
                if (call->state == R_BODY_CL)
                    finished = 1;
                else
                    call->state = R_CHUNK_CRLF;
            }
            break;
        }
        case R_CHUNK_SIZE: {
            char *nl = memchr(p, '\n', avail);
            if (!nl) {
                if (avail > 1024) goto proto;
                goto more;
            }
            uint64_t size = 0;
            int digits = 0;
            for (char *q = p; q < nl; q++) {
                int d = *q >= '0' && *q <= '9'                     ? *q - '0'
                        : (*q | 0x20) >= 'a' && (*q | 0x20) <= 'f' ? (*q | 0x20) - 'a' + 10
                                                                   : -1;
                if (d < 0) break; /* ';' extensions or '\r' */
                if (++digits > 15) goto proto;
                size = size * 16 + (uint64_t)d;
            }
            if (!digits) goto proto;
            pos += (size_t)(nl - p) + 1;
            if (size == 0) {
                call->state = R_TRAILERS;
            } else {
                call->remaining = size;
                call->state = R_CHUNK_DATA;
            }
            break;
        }
        case R_CHUNK_CRLF: {
            if (avail < 1) goto more;
            if (p[0] == '\n') {
                pos += 1;
            } else {
                if (avail < 2) goto more;
                if (p[0] != '\r' || p[1] != '\n') goto proto;
                pos += 2;
            }
            call->state = R_CHUNK_SIZE;
            break;
        }
        case R_TRAILERS: {
            char *nl = memchr(p, '\n', avail);
            if (!nl) {
                if (avail > MAX_HEAD) goto proto;
                goto more;
            }
            size_t len = (size_t)(nl - p);
            pos += len + 1;
            if (len == 0 || (len == 1 && p[0] == '\r')) finished = 1;
            break;
        }
        case R_BODY_EOF:
            if (!avail) goto more;
            pos += avail;
            deliver(call, p, avail);
            break;
        }
    }
    seam_buf_consume(&k->in, pos);
    if (call->cancelled) {
        /* cancelled from a callback: nobody is told, the connection can't be reused */
        call->conn = NULL;
        k->call = NULL;
        conn_close(k);
        call_release(call);
        return 1;
    }
    call_end(call, SEAM_HTTP_OK);
    return 1;
more:
    seam_buf_consume(&k->in, pos);
    return 0;
proto:
    seam_buf_consume(&k->in, k->in.len);
    call_end(call, SEAM_HTTP_EPROTO);
    return 1;
}

/* ---- events ----------------------------------------------------------- */

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    h1_conn *k = arg;
    if (!k->connected && finish_connect(k) != 0) return;
    h1_call *call = k->call;
    if (!call) {
        /* idle: the server closed it, or sent something unasked for */
        conn_close(k);
        return;
    }
    for (;;) {
        if (seam_buf_reserve(&k->in, READ_CHUNK) != 0) {
            call_end(call, SEAM_HTTP_ETOOBIG);
            return;
        }
        size_t want = k->in.cap - k->in.len - 1;
        ssize_t n = read(k->fd, k->in.data + k->in.len, want);
        if (n > 0) {
            k->in.len += (size_t)n;
            k->in.data[k->in.len] = '\0';
            call->got_bytes = 1;
            if (process(call)) return;
            if ((size_t)n < want) return; /* drained for now */
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n == 0 && call->state == R_BODY_EOF) {
            call_end(call, SEAM_HTTP_OK);
            return;
        }
        conn_lost(call, SEAM_HTTP_ERESET);
        return;
    }
}

/* A non-blocking connect ended (either event may tell first).  Returns 0
 * when connected; otherwise the call has been ended. */
static int finish_connect(h1_conn *k)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == EINPROGRESS || err == EALREADY) return 1;
    event_del(k->ev_timer);
    if (err) {
        event_del(k->ev_w);
        if (k->call)
            call_end(k->call, SEAM_HTTP_ECONNECT);
        else
            conn_close(k);
        return -1;
    }
    k->connected = 1;
    if (k->call) try_write(k->call);
    return 0;
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    h1_conn *k = arg;
    if (!k->connected) {
        finish_connect(k);
        return;
    }
    if (k->call)
        try_write(k->call);
    else
        event_del(k->ev_w);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    h1_conn *k = arg;
    int err = k->pending_err ? k->pending_err : SEAM_HTTP_ETIMEOUT;
    if (k->call)
        call_end(k->call, err);
    else
        conn_close(k);
}

/* ---- the client ------------------------------------------------------- */

static void cancel(seam_http_call *base)
{
    h1_call *call = (h1_call *)base;
    if (call->cancelled) return;
    call->cancelled = 1;
    if (call->in_cb) return; /* process() cleans up when the callback returns */
    h1_conn *k = call->conn;
    if (k) {
        k->call = NULL;
        call->conn = NULL;
        conn_close(k); /* an answer is in flight: the connection can't be reused */
    }
    call_release(call);
}

static int build_head(h1_call *call)
{
    seam_buf *b = &call->head;
    seam_buf_reset(b);
    b->max = MAX_HEAD;
    const seam_http_target *t = call->t;
    int rc = call->o.body
                 ? seam_buf_printf(b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n",
                                   t->path, t->origin, call->o.body_len)
                 : seam_buf_printf(b, "GET %s HTTP/1.1\r\nHost: %s\r\n", t->path, t->origin);
    for (const char *const *h = call->o.headers; h && *h && !rc; h++) {
        rc = seam_buf_append_str(b, *h);
        if (!rc) rc = seam_buf_append(b, "\r\n", 2);
    }
    if (!rc) rc = seam_buf_append(b, "\r\n", 2);
    return rc;
}

seam_http_call *seam_h1_start(h1_client *c, const seam_http_target *t, const seam_http_call_opts *o)
{
    h1_call *call = c->free_calls;
    if (call) {
        c->free_calls = call->next_free;
        c->nfree--;
        seam_buf head = call->head;
        memset(call, 0, sizeof *call);
        call->head = head;
    } else {
        call = calloc(1, sizeof *call);
        if (!call) return NULL;
        seam_buf_init(&call->head, MAX_HEAD);
    }
    call->base.cancel = cancel;
    call->client = c;
    call->t = t;
    call->o = *o;
    if (build_head(call) != 0) goto fail;
    h1_pool *p = pool_for(c, t);
    if (!p) goto fail;
    if (p->idle) {
        h1_conn *k = p->idle;
        idle_remove(k);
        attach(call, k);
    } else if (open_fresh(call) != 0) {
        goto fail;
    }
    return &call->base;
fail:
    call_release(call);
    return NULL;
}

h1_client *seam_h1_client_new(struct event_base *base)
{
    h1_client *c = calloc(1, sizeof *c);
    if (c) c->base = base;
    return c;
}

void seam_h1_client_free(h1_client *c)
{
    if (!c) return;
    while (c->pools) {
        h1_pool *p = c->pools;
        c->pools = p->next;
        while (p->idle)
            conn_close(p->idle);
        free(p->origin);
        free(p);
    }
    while (c->free_calls) {
        h1_call *call = c->free_calls;
        c->free_calls = call->next_free;
        seam_buf_free(&call->head);
        free(call);
    }
    free(c);
}
