/* test_http_server.c — seam's HTTP/1.1 server driven over loopback.
 *
 * Everything runs on the test's thread: the server's event loop is stepped
 * (EVLOOP_NONBLOCK) while a raw, non-blocking client socket talks to it, so
 * no state is shared across threads and every wait has a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "http/server.h"

#define WAIT_MS 2000 /* the most any single wait may take */

/* ---- time and the loop ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- what the handler saw ---- */

typedef struct seen_req {
    enum seam_http_method method;
    char path[128], query[128];
    int has_query;
    char *body; /* copy */
    size_t body_len;
    int body_nul; /* body[body_len] == '\0' when the handler ran */
    char ctype[64], custom[64], host[64];
    int nheaders;
    char peer[64];
} seen_req;

typedef struct fixture {
    struct event_base *base;
    seam_http_server *srv;
    int port;
    seen_req reqs[16];
    int nreq;
    seam_http_req *held; /* a deferred request, answered by the test */
    int aborts;
    int answered_late; /* the late-answer timer found the request still there */
    int drained;
    int nerrors; /* error_fmt calls */
    struct event *late;
    struct client *clients[16]; /* open ones, closed by teardown if a test fails */
} fixture;

static fixture F;

static void pump_once(void)
{
    event_base_loop(F.base, EVLOOP_NONBLOCK);
}

/* Steps the loop for ms milliseconds. */
static void pump_for(int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    while (now_ms() < end) {
        pump_once();
        poll(NULL, 0, 1);
    }
    pump_once();
}

static void on_abort(void *ud)
{
    fixture *f = ud;
    f->aborts++;
    f->held = NULL; /* the request is gone */
}

static void on_late(evutil_socket_t fd, short what, void *arg)
{
    fixture *f = arg;
    if (!f->held) return; /* aborted: must not be touched */
    f->answered_late++;
    seam_http_respond(f->held, 200, "text/plain", "", "late", 4);
    f->held = NULL;
}

/* Routes by path:
 *   /defer*        hold the request; the test (or a timer) answers it
 *   /late          hold it and answer from a 150 ms timer
 *   /stream        a chunked answer written in three pieces
 *   /stream-defer  start a chunked answer, write one piece, hold the rest
 *   anything else  200, text/plain, the body echoed back */
static void handler(seam_http_req *r, void *ud)
{
    fixture *f = ud;
    assert_true(f->nreq < 16);
    seen_req *s = &f->reqs[f->nreq++];
    s->method = r->method;
    snprintf(s->path, sizeof s->path, "%s", r->path);
    s->has_query = r->query != NULL;
    snprintf(s->query, sizeof s->query, "%s", r->query ? r->query : "");
    s->body_len = r->body_len;
    s->body_nul = r->body && r->body[r->body_len] == '\0';
    s->body = malloc(r->body_len + 1);
    assert_non_null(s->body);
    if (r->body_len) memcpy(s->body, r->body, r->body_len);
    s->body[r->body_len] = '\0';
    const char *v = seam_http_header_get(r, "CONTENT-type");
    snprintf(s->ctype, sizeof s->ctype, "%s", v ? v : "");
    v = seam_http_header_get(r, "x-custom");
    snprintf(s->custom, sizeof s->custom, "%s", v ? v : "(none)");
    v = seam_http_header_get(r, "Host");
    snprintf(s->host, sizeof s->host, "%s", v ? v : "");
    s->nheaders = r->nheaders;
    snprintf(s->peer, sizeof s->peer, "%s", r->peer);

    if (strncmp(r->path, "/defer", 6) == 0) {
        f->held = r;
        seam_http_on_abort(r, on_abort, f);
    } else if (strcmp(r->path, "/late") == 0) {
        f->held = r;
        seam_http_on_abort(r, on_abort, f);
        struct timeval tv = {0, 150 * 1000};
        evtimer_add(f->late, &tv);
    } else if (strcmp(r->path, "/stream") == 0) {
        seam_http_stream_start(r, 200, "text/event-stream", "X-Stream: yes\r\n");
        assert_true(seam_http_stream_started(r));
        assert_int_equal(seam_http_stream_write(r, "data: one\n\n", 11), 0);
        assert_int_equal(seam_http_stream_write(r, "", 0), 0);
        assert_int_equal(seam_http_stream_write(r, "data: two\n\n", 11), 0);
        seam_http_stream_end(r);
    } else if (strcmp(r->path, "/stream-defer") == 0) {
        seam_http_on_abort(r, on_abort, f);
        seam_http_stream_start(r, 200, "text/event-stream", "");
        assert_int_equal(seam_http_stream_write(r, "first", 5), 0);
        f->held = r;
    } else {
        assert_false(seam_http_stream_started(r));
        seam_http_respond(r, 200, "text/plain", "X-Seen: yes\r\n", r->body, r->body_len);
    }
}

static const char *error_fmt(int status, const char *code, const char *message, seam_buf *out)
{
    F.nerrors++;
    seam_buf_printf(out, "{\"error\":{\"status\":%d,\"code\":\"%s\",\"message\":\"", status, code);
    seam_buf_append_json_str(out, message, strlen(message));
    seam_buf_append_str(out, "\"}}");
    return "application/json";
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Starts a server with o's limits (zeros take the defaults). */
static void start_server(seam_http_server_opts o)
{
    o.host = "127.0.0.1";
    o.port = F.port = free_port();
    o.handler = handler;
    o.error_fmt = error_fmt;
    o.ud = &F;
    char err[256] = "";
    F.srv = seam_http_server_new(F.base, &o, err, sizeof err);
    if (!F.srv) fail_msg("server: %s", err);
}

static int setup(void **state)
{
    memset(&F, 0, sizeof F);
    F.base = event_base_new();
    if (!F.base) return -1;
    F.late = evtimer_new(F.base, on_late, &F);
    return F.late ? 0 : -1;
}

static void client_close(struct client *c);

static int teardown(void **state)
{
    for (int i = 0; i < 16; i++)
        client_close(F.clients[i]);
    seam_http_server_free(F.srv);
    event_free(F.late);
    event_base_free(F.base);
    for (int i = 0; i < F.nreq; i++)
        free(F.reqs[i].body);
    memset(&F, 0, sizeof F);
    return 0;
}

/* ---- a raw client ---- */

typedef struct client {
    int fd;
    char buf[1 << 16];
    size_t len;
    int eof;
} client;

static client *client_open(void)
{
    client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)F.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    /* loopback: the kernel completes the handshake from the backlog */
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    for (int i = 0; i < 16; i++)
        if (!F.clients[i]) {
            F.clients[i] = c;
            return c;
        }
    fail_msg("too many clients");
    return NULL;
}

static void client_close(client *c)
{
    if (!c) return;
    for (int i = 0; i < 16; i++)
        if (F.clients[i] == c) F.clients[i] = NULL;
    if (c->fd >= 0) close(c->fd);
    free(c);
}

/* Reads whatever is there without blocking. */
static void client_poll(client *c)
{
    while (!c->eof && c->len < sizeof c->buf) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);
        if (n > 0) {
            c->len += (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            c->eof = 1;
        } else {
            break;
        }
    }
}

/* Sends all of p, stepping the server whenever the socket is full. */
static void client_send(client *c, const char *p, size_t n)
{
    uint64_t end = now_ms() + WAIT_MS;
    size_t sent = 0;
    while (sent < n) {
        ssize_t w = send(c->fd, p + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail_msg("send: %s", strerror(errno));
        if (now_ms() > end) fail_msg("send: timed out");
        pump_once();
        client_poll(c);
        poll(NULL, 0, 1);
    }
    pump_once();
}

static void client_sends(client *c, const char *s)
{
    client_send(c, s, strlen(s));
}

/* Sends what the server still takes: it may answer and close early. */
static void client_send_some(client *c, const char *p, size_t n)
{
    uint64_t end = now_ms() + WAIT_MS;
    size_t sent = 0;
    while (sent < n && now_ms() < end) {
        ssize_t w = send(c->fd, p + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
        pump_once();
        client_poll(c);
        poll(NULL, 0, 1);
    }
    pump_once();
}

typedef struct resp {
    int status;
    char head[8192];
    char *body; /* malloc'd, decoded, NUL-terminated */
    size_t body_len;
    int chunked;
} resp;

static void resp_free(resp *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* The value of a response header (first match), or NULL. */
static const char *resp_header(const resp *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t vl = e ? (size_t)(e - v) : strlen(v);
            if (vl >= cap) vl = cap - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
    }
    return NULL;
}

/* Decodes a chunked body at p; returns bytes used, 0 if incomplete. */
static size_t dechunk(const char *p, size_t n, resp *r)
{
    size_t pos = 0;
    char *out = malloc(n + 1);
    assert_non_null(out);
    size_t olen = 0;
    for (;;) {
        const char *nl = memchr(p + pos, '\n', n - pos);
        if (!nl) goto incomplete;
        unsigned long size = strtoul(p + pos, NULL, 16);
        pos = (size_t)(nl - p) + 1;
        if (size == 0) {
            for (;;) { /* trailers up to the blank line */
                const char *tnl = memchr(p + pos, '\n', n - pos);
                if (!tnl) goto incomplete;
                size_t tl = (size_t)(tnl - (p + pos));
                pos += tl + 1;
                if (tl == 0 || (tl == 1 && p[pos - 2] == '\r')) break;
            }
            out[olen] = '\0';
            r->body = out;
            r->body_len = olen;
            return pos;
        }
        if (n - pos < size + 2) goto incomplete;
        memcpy(out + olen, p + pos, size);
        olen += size;
        pos += size;
        assert_memory_equal(p + pos, "\r\n", 2);
        pos += 2;
    }
incomplete:
    free(out);
    return 0;
}

/* Parses one response from the front of c->buf.  Returns 1 and consumes it,
 * 0 when more bytes are needed.  head_only: the answer to a HEAD. */
static int parse_resp(client *c, resp *r, int head_only)
{
    char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!e) return 0;
    size_t hlen = (size_t)(e - c->buf) + 4;
    memset(r, 0, sizeof *r);
    assert_true(hlen < sizeof r->head);
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    assert_memory_equal(r->head, "HTTP/1.1 ", 9);
    r->status = (int)strtol(r->head + 9, NULL, 10);
    char v[64];
    size_t used;
    if (head_only || r->status < 200 || r->status == 204 || r->status == 304) {
        r->body = calloc(1, 1);
        used = hlen;
    } else if (resp_header(r, "Transfer-Encoding", v, sizeof v)) {
        assert_string_equal(v, "chunked");
        r->chunked = 1;
        used = dechunk(c->buf + hlen, c->len - hlen, r);
        if (!used) return 0;
        used += hlen;
    } else if (resp_header(r, "Content-Length", v, sizeof v)) {
        size_t cl = strtoul(v, NULL, 10);
        if (c->len - hlen < cl) return 0;
        r->body = malloc(cl + 1);
        memcpy(r->body, c->buf + hlen, cl);
        r->body[cl] = '\0';
        r->body_len = cl;
        used = hlen + cl;
    } else { /* to the end of the connection */
        if (!c->eof) return 0;
        r->body_len = c->len - hlen;
        r->body = malloc(r->body_len + 1);
        memcpy(r->body, c->buf + hlen, r->body_len);
        r->body[r->body_len] = '\0';
        used = c->len;
    }
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    return 1;
}

/* Waits for one whole response; fails the test after WAIT_MS. */
static void read_resp_ex(client *c, resp *r, int head_only)
{
    uint64_t end = now_ms() + WAIT_MS;
    for (;;) {
        pump_once();
        client_poll(c);
        if (parse_resp(c, r, head_only)) return;
        if (c->eof)
            fail_msg("connection closed before a whole response: %.*s", (int)c->len, c->buf);
        if (now_ms() > end) fail_msg("no whole response in time: %.*s", (int)c->len, c->buf);
        poll(NULL, 0, 1);
    }
}

static void read_resp(client *c, resp *r)
{
    read_resp_ex(c, r, 0);
}

/* Waits up to ms for the server to close; returns 1 if it did. */
static int wait_eof(client *c, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    while (!c->eof && now_ms() <= end) {
        pump_once();
        client_poll(c);
        if (!c->eof) poll(NULL, 0, 1);
    }
    return c->eof;
}

/* Waits up to WAIT_MS for a condition the loop makes true. */
#define PUMP_UNTIL(cond)                                                                           \
    do {                                                                                           \
        uint64_t end_ = now_ms() + WAIT_MS;                                                        \
        while (!(cond)) {                                                                          \
            if (now_ms() > end_) fail_msg("timed out waiting for %s", #cond);                      \
            pump_once();                                                                           \
            poll(NULL, 0, 1);                                                                      \
        }                                                                                          \
    } while (0)

/* The error body the server made with error_fmt: JSON with this code. */
static void assert_error_body(const resp *r, int status, const char *code)
{
    char v[64];
    assert_int_equal(r->status, status);
    assert_non_null(resp_header(r, "Content-Type", v, sizeof v));
    assert_string_equal(v, "application/json");
    assert_non_null(resp_header(r, "Content-Length", v, sizeof v));
    assert_int_equal(strtoul(v, NULL, 10), r->body_len);
    json_error_t jerr;
    json_t *root = json_loadb(r->body, r->body_len, 0, &jerr);
    if (!root) fail_msg("error body is not JSON: %s", r->body);
    json_t *e = json_object_get(root, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "status")), status);
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 0);
    json_decref(root);
}

static void assert_closes_after_error(client *c, const resp *r)
{
    char v[64];
    assert_non_null(resp_header(r, "Connection", v, sizeof v));
    assert_string_equal(v, "close");
    assert_true(wait_eof(c, WAIT_MS));
    assert_int_equal(c->len, 0); /* nothing after the error */
}

/* ---- requests reach the handler ---- */

static void test_get_with_query_and_headers(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "GET /v1/models?limit=5&x=%20y HTTP/1.1\r\n"
                    "Host: example.test\r\n"
                    "X-CUSTOM:   padded value \t\r\n"
                    "Accept: */*\r\n"
                    "\r\n");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    char v[64];
    assert_non_null(resp_header(&r, "X-Seen", v, sizeof v));
    assert_string_equal(v, "yes");
    assert_non_null(resp_header(&r, "Content-Length", v, sizeof v));
    assert_string_equal(v, "0");
    assert_null(resp_header(&r, "Connection", v, sizeof v)); /* keep-alive is the default */
    assert_int_equal(F.nreq, 1);
    seen_req *s = &F.reqs[0];
    assert_int_equal(s->method, SEAM_HTTP_GET);
    assert_string_equal(s->path, "/v1/models");
    assert_true(s->has_query);
    assert_string_equal(s->query, "limit=5&x=%20y");
    assert_string_equal(s->custom, "padded value"); /* found case-insensitively, trimmed */
    assert_string_equal(s->host, "example.test");
    assert_int_equal(s->nheaders, 3);
    assert_int_equal(s->body_len, 0);
    assert_true(s->body_nul);
    assert_int_equal(strncmp(s->peer, "127.0.0.1:", 10), 0);
    resp_free(&r);
    client_close(c);
}

static void test_post_with_content_length(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /v1/chat/completions HTTP/1.1\r\n"
                    "Host: x\r\n"
                    "content-type: application/json\r\n"
                    "Content-Length: 16\r\n"
                    "\r\n"
                    "{\"model\":\"m\"}\r\nX");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(F.nreq, 1);
    seen_req *s = &F.reqs[0];
    assert_int_equal(s->method, SEAM_HTTP_POST);
    assert_string_equal(s->path, "/v1/chat/completions");
    assert_false(s->has_query);
    assert_string_equal(s->ctype, "application/json");
    assert_int_equal(s->body_len, 16);
    assert_string_equal(s->body, "{\"model\":\"m\"}\r\nX");
    assert_true(s->body_nul);
    assert_string_equal(s->custom, "(none)");
    /* echoed back byte for byte */
    assert_int_equal(r.body_len, 16);
    assert_string_equal(r.body, "{\"model\":\"m\"}\r\nX");
    resp_free(&r);
    client_close(c);
}

static void test_body_split_across_writes(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /p HTTP/1.1\r\nContent-Len");
    pump_for(5);
    client_sends(c, "gth: 10\r\n\r");
    pump_for(5);
    client_sends(c, "\n01234");
    pump_for(5);
    assert_int_equal(F.nreq, 0); /* not before the whole body is in */
    client_sends(c, "56789");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(F.nreq, 1);
    assert_string_equal(F.reqs[0].body, "0123456789");
    assert_true(F.reqs[0].body_nul);
    resp_free(&r);
    client_close(c);
}

static void test_keep_alive_two_requests(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    resp r;
    client_sends(c, "POST /one HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "abc");
    resp_free(&r);
    /* a stray CRLF between requests is tolerated (RFC 9112 2.2) */
    client_sends(c, "\r\nGET /two HTTP/1.1\r\n\r\n");
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    resp_free(&r);
    assert_int_equal(F.nreq, 2);
    assert_string_equal(F.reqs[0].path, "/one");
    assert_string_equal(F.reqs[1].path, "/two");
    assert_string_equal(F.reqs[0].peer, F.reqs[1].peer); /* the same connection */
    assert_int_equal(seam_http_server_connections(F.srv), 1);
    assert_false(c->eof);
    client_close(c);
}

static void test_pipelined_answered_in_order(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nfirst"
                    "POST /b HTTP/1.1\r\nContent-Length: 6\r\n\r\nsecond"
                    "GET /c?q=1 HTTP/1.1\r\n\r\n");
    resp r1, r2, r3;
    read_resp(c, &r1);
    read_resp(c, &r2);
    read_resp(c, &r3);
    assert_string_equal(r1.body, "first");
    assert_string_equal(r2.body, "second");
    assert_int_equal(r3.body_len, 0);
    assert_int_equal(F.nreq, 3);
    assert_string_equal(F.reqs[0].path, "/a");
    assert_string_equal(F.reqs[0].body, "first");
    assert_true(F.reqs[0].body_nul);
    assert_string_equal(F.reqs[1].path, "/b");
    assert_string_equal(F.reqs[1].body, "second");
    assert_true(F.reqs[1].body_nul);
    assert_string_equal(F.reqs[2].path, "/c");
    assert_string_equal(F.reqs[2].query, "q=1");
    resp_free(&r1);
    resp_free(&r2);
    resp_free(&r3);
    client_close(c);
}

/* A deferred handler may read its body (as a C string, as server.h
 * promises) after more input arrived on the connection. */
static void test_deferred_body_stays_terminated_under_pipelining(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /defer HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    PUMP_UNTIL(F.held != NULL);
    seam_http_req *held = F.held;
    client_sends(c, "GET /next HTTP/1.1\r\n\r\n"); /* pipelined while the first is busy */
    pump_for(20);
    assert_int_equal(F.nreq, 1); /* one request at a time */
    assert_int_equal(held->body_len, 3);
    assert_memory_equal(held->body, "abc", 3);
    assert_int_equal(strlen(held->body), 3);
    seam_http_respond(held, 200, "text/plain", "", "A", 1);
    F.held = NULL;
    resp r;
    read_resp(c, &r);
    assert_string_equal(r.body, "A");
    resp_free(&r);
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(F.nreq, 2);
    assert_string_equal(F.reqs[1].path, "/next");
    resp_free(&r);
    client_close(c);
}

static void test_head_has_no_body(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    /* HEAD with a body to echo: the length is announced, the bytes are not sent */
    client_sends(c, "HEAD /h HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"
                    "POST /after HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
    resp r;
    read_resp_ex(c, &r, 1);
    assert_int_equal(r.status, 200);
    char v[32];
    assert_string_equal(resp_header(&r, "Content-Length", v, sizeof v), "4");
    resp_free(&r);
    read_resp(c, &r); /* framed right only if no body bytes followed the HEAD answer */
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    assert_int_equal(F.reqs[0].method, SEAM_HTTP_HEAD);
    resp_free(&r);
    client_close(c);
}

/* ---- chunked request bodies ---- */

static const char chunked_req[] = "POST /chunked HTTP/1.1\r\n"
                                  "Transfer-Encoding: chunked\r\n"
                                  "\r\n"
                                  "5;name=value\r\n"
                                  "hello\r\n"
                                  "1\r\n"
                                  " \r\n"
                                  "A\r\n"
                                  "0123456789\r\n"
                                  "0\r\n"
                                  "X-Trailer: yes\r\n"
                                  "\r\n";

static void test_chunked_body_decoded(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    /* followed by a second request: the trailers must be consumed exactly */
    client_sends(c, chunked_req);
    client_sends(c, "GET /after HTTP/1.1\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello 0123456789");
    resp_free(&r);
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(F.nreq, 2);
    assert_int_equal(F.reqs[0].body_len, 16);
    assert_string_equal(F.reqs[0].body, "hello 0123456789");
    assert_true(F.reqs[0].body_nul);
    assert_string_equal(F.reqs[1].path, "/after");
    client_close(c);
}

static void test_chunked_body_byte_by_byte(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    size_t n = strlen(chunked_req);
    for (size_t i = 0; i < n; i++) {
        client_send(c, chunked_req + i, 1);
        pump_once();
        pump_once();
        if (i + 1 < n) assert_int_equal(F.nreq, 0);
    }
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello 0123456789");
    assert_int_equal(F.nreq, 1);
    assert_string_equal(F.reqs[0].body, "hello 0123456789");
    assert_true(F.reqs[0].body_nul);
    resp_free(&r);
    client_close(c);
}

static void test_chunked_malformed_is_400(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c,
                 "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 400, "bad_chunked_body");
    assert_closes_after_error(c, &r);
    assert_int_equal(F.nreq, 0);
    resp_free(&r);
    client_close(c);
}

/* ---- Expect: 100-continue ---- */

static void test_expect_100_continue(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /up HTTP/1.1\r\n"
                    "Expect: 100-continue\r\n"
                    "Content-Length: 5\r\n"
                    "\r\n");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 100);
    assert_memory_equal(r.head, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    assert_int_equal(F.nreq, 0);
    resp_free(&r);
    client_sends(c, "hello");
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    resp_free(&r);
    client_close(c);
}

static void test_expect_with_body_already_sent_no_100(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /up HTTP/1.1\r\n"
                    "Expect: 100-continue\r\n"
                    "Content-Length: 5\r\n"
                    "\r\n"
                    "hello");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200); /* the first answer is the real one */
    assert_string_equal(r.body, "hello");
    resp_free(&r);
    client_close(c);
}

/* ---- limits and bad input ---- */

static void test_body_over_max_body_413(void **state)
{
    start_server((seam_http_server_opts){.max_body = 1024});
    client *c = client_open();
    client_sends(c, "POST /big HTTP/1.1\r\nContent-Length: 1025\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 413, "body_too_large");
    assert_closes_after_error(c, &r);
    assert_int_equal(F.nreq, 0);
    assert_int_equal(F.nerrors, 1);
    resp_free(&r);
    client_close(c);

    /* exactly max_body is fine */
    c = client_open();
    char *req = malloc(1024 + 128);
    int n = snprintf(req, 128, "POST /fits HTTP/1.1\r\nContent-Length: 1024\r\n\r\n");
    memset(req + n, 'b', 1024);
    client_send(c, req, (size_t)n + 1024);
    free(req);
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 1024);
    resp_free(&r);
    client_close(c);
}

static void test_chunked_over_max_body_413(void **state)
{
    start_server((seam_http_server_opts){.max_body = 1024});
    client *c = client_open();
    char chunk[600];
    memset(chunk, 'c', sizeof chunk);
    client_sends(c, "POST /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    client_sends(c, "258\r\n"); /* 600 */
    client_send(c, chunk, sizeof chunk);
    client_sends(c, "\r\n258\r\n"); /* 1200 in all: refused from here on */
    client_send_some(c, chunk, sizeof chunk);
    client_send_some(c, "\r\n0\r\n\r\n", 7);
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 413, "body_too_large");
    assert_closes_after_error(c, &r);
    assert_int_equal(F.nreq, 0);
    resp_free(&r);
    client_close(c);
}

/* A client that keeps sending the body it announced still gets the 413. */
static void test_413_readable_while_client_still_sends(void **state)
{
    start_server((seam_http_server_opts){.max_body = 1024});
    client *c = client_open();
    client_sends(c, "POST /big HTTP/1.1\r\nContent-Length: 200000\r\n\r\n");
    pump_for(20);
    char chunk[4096];
    memset(chunk, 'z', sizeof chunk);
    for (int i = 0; i < 10; i++) {
        client_send_some(c, chunk, sizeof chunk);
        pump_for(2);
    }
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 413, "body_too_large");
    resp_free(&r);
    client_close(c);
}

static void test_headers_over_max_header_431(void **state)
{
    start_server((seam_http_server_opts){.max_header = 1024});
    client *c = client_open();
    char big[2000];
    memset(big, 'h', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    client_sends(c, "GET / HTTP/1.1\r\nX-Big: ");
    client_sends(c, big);
    client_sends(c, "\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 431, "headers_too_large");
    assert_closes_after_error(c, &r);
    resp_free(&r);
    client_close(c);

    /* a head that never ends is cut off at the limit too */
    c = client_open();
    client_sends(c, "GET / HTTP/1.1\r\nX-Big: ");
    client_sends(c, big);
    read_resp(c, &r);
    assert_error_body(&r, 431, "headers_too_large");
    resp_free(&r);
    client_close(c);
    assert_int_equal(F.nreq, 0);
}

static void test_too_many_headers_431(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    char req[4096];
    size_t n = (size_t)snprintf(req, sizeof req, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < SEAM_HTTP_MAX_HEADERS + 1; i++)
        n += (size_t)snprintf(req + n, sizeof req - n, "X-H%d: v\r\n", i);
    n += (size_t)snprintf(req + n, sizeof req - n, "\r\n");
    client_send(c, req, n);
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 431, "headers_too_large");
    resp_free(&r);
    client_close(c);
    assert_int_equal(F.nreq, 0);
}

static void expect_400(const char *req, const char *code)
{
    client *c = client_open();
    client_sends(c, req);
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 400, code);
    assert_closes_after_error(c, &r);
    resp_free(&r);
    client_close(c);
}

static void test_malformed_requests_400(void **state)
{
    start_server((seam_http_server_opts){0});
    expect_400("GARBAGE\r\n\r\n", "bad_http");
    expect_400("GET\r\n\r\n", "bad_http");
    expect_400("GET nopath HTTP/1.1\r\n\r\n", "bad_http");
    expect_400("GET / HTTP/1.1\r\nno colon here\r\n\r\n", "bad_http");
    expect_400("GET / HTTP/1.1\r\n: empty name\r\n\r\n", "bad_http");
    expect_400("POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", "bad_http");
    expect_400("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "bad_http");
    expect_400("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
               "bad_transfer_encoding");
    expect_400("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "bad_transfer_encoding");
    assert_int_equal(F.nreq, 0);

    client *c = client_open();
    client_sends(c, "GET / HTTP/2.0\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 505, "http_version");
    resp_free(&r);
    client_close(c);
}

/* ---- closing ---- */

static void test_http10_closes_after_answer(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "GET /old HTTP/1.0\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    char v[32];
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_true(wait_eof(c, WAIT_MS));
    resp_free(&r);
    client_close(c);
    PUMP_UNTIL(seam_http_server_connections(F.srv) == 0);

    /* with keep-alive asked for, it stays open for the next request */
    c = client_open();
    client_sends(c, "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    read_resp(c, &r);
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "keep-alive");
    resp_free(&r);
    client_sends(c, "GET /b HTTP/1.0\r\n\r\n");
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_true(wait_eof(c, WAIT_MS));
    resp_free(&r);
    assert_int_equal(F.nreq, 3);
    client_close(c);
}

static void test_connection_close_honoured(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    /* the request after it must not be served */
    client_sends(c, "POST /x HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"
                    "GET /never HTTP/1.1\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hi");
    char v[32];
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_true(wait_eof(c, WAIT_MS));
    assert_int_equal(c->len, 0);
    assert_int_equal(F.nreq, 1);
    resp_free(&r);
    client_close(c);
    PUMP_UNTIL(seam_http_server_connections(F.srv) == 0);
}

/* ---- streamed answers ---- */

static void test_stream_is_chunked(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "GET /stream HTTP/1.1\r\n\r\n");
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.chunked);
    char v[64];
    assert_null(resp_header(&r, "Content-Length", v, sizeof v));
    assert_string_equal(resp_header(&r, "Content-Type", v, sizeof v), "text/event-stream");
    assert_string_equal(resp_header(&r, "X-Stream", v, sizeof v), "yes");
    assert_int_equal(r.body_len, 22);
    assert_string_equal(r.body, "data: one\n\ndata: two\n\n");
    resp_free(&r);
    /* the connection is reusable after a streamed answer */
    client_sends(c, "GET /again HTTP/1.1\r\n\r\n");
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    client_close(c);
}

static void test_stream_arrives_as_written(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "GET /stream-defer HTTP/1.1\r\n\r\n");
    PUMP_UNTIL(F.held != NULL);
    /* the head and the first piece are on the wire before the end */
    uint64_t end = now_ms() + WAIT_MS;
    while (!memmem(c->buf, c->len, "5\r\nfirst\r\n", 10)) {
        if (now_ms() > end) fail_msg("first piece not sent: %.*s", (int)c->len, c->buf);
        pump_once();
        client_poll(c);
        poll(NULL, 0, 1);
    }
    assert_true(seam_http_stream_started(F.held));
    assert_int_equal(seam_http_stream_write(F.held, " then", 5), 0);
    seam_http_stream_end(F.held);
    F.held = NULL;
    resp r;
    read_resp(c, &r);
    assert_true(r.chunked);
    assert_string_equal(r.body, "first then");
    resp_free(&r);
    assert_int_equal(F.aborts, 0);
    client_close(c);
}

static void test_stream_http10_until_close(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_true(wait_eof(c, WAIT_MS));
    resp r;
    assert_true(parse_resp(c, &r, 0));
    assert_false(r.chunked);
    assert_string_equal(r.body, "data: one\n\ndata: two\n\n");
    resp_free(&r);
    client_close(c);
}

/* ---- a client that goes away ---- */

static void test_client_gone_fires_abort(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /late HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
    PUMP_UNTIL(F.held != NULL);
    client_close(c); /* before the 150 ms answer */
    PUMP_UNTIL(F.aborts > 0);
    assert_null(F.held);
    pump_for(250); /* past the answer's timer */
    assert_int_equal(F.aborts, 1);
    assert_int_equal(F.answered_late, 0);
    assert_int_equal(seam_http_server_connections(F.srv), 0);
}

static void test_late_answer_when_client_stays(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "POST /late HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
    resp r;
    read_resp(c, &r);
    assert_string_equal(r.body, "late");
    assert_int_equal(F.answered_late, 1);
    assert_int_equal(F.aborts, 0);
    resp_free(&r);
    client_close(c);
}

static void test_client_gone_mid_stream_fires_abort(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "GET /stream-defer HTTP/1.1\r\n\r\n");
    PUMP_UNTIL(F.held != NULL);
    client_close(c);
    PUMP_UNTIL(F.aborts > 0);
    assert_null(F.held);
    pump_for(20);
    assert_int_equal(F.aborts, 1);
    assert_int_equal(seam_http_server_connections(F.srv), 0);
}

static void test_answered_request_no_abort(void **state)
{
    start_server((seam_http_server_opts){0});
    client *c = client_open();
    client_sends(c, "GET /defer HTTP/1.1\r\n\r\n");
    PUMP_UNTIL(F.held != NULL);
    seam_http_respond(F.held, 204, "text/plain", "", "", 0);
    F.held = NULL;
    resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 204);
    resp_free(&r);
    client_close(c); /* gone after the answer: nothing to abort */
    PUMP_UNTIL(seam_http_server_connections(F.srv) == 0);
    assert_int_equal(F.aborts, 0);
}

/* ---- drain ---- */

static void on_drained(void *ud)
{
    ((fixture *)ud)->drained++;
}

static void test_drain(void **state)
{
    start_server((seam_http_server_opts){0});
    client *idle = client_open();
    client_sends(idle, "GET /idle HTTP/1.1\r\n\r\n");
    resp r;
    read_resp(idle, &r);
    resp_free(&r);
    client *busy = client_open();
    client_sends(busy, "GET /defer HTTP/1.1\r\n\r\n");
    PUMP_UNTIL(F.held != NULL);
    assert_int_equal(seam_http_server_connections(F.srv), 2);

    seam_http_server_drain(F.srv, on_drained, &F);
    assert_true(wait_eof(idle, WAIT_MS)); /* idle: closed at once */
    assert_int_equal(idle->len, 0);
    pump_for(20);
    assert_int_equal(F.drained, 0); /* the busy one is still being served */
    client_poll(busy);
    assert_false(busy->eof);
    assert_int_equal(seam_http_server_connections(F.srv), 1);

    /* no new connections */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)F.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_not_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);

    seam_http_respond(F.held, 200, "text/plain", "", "bye", 3);
    F.held = NULL;
    read_resp(busy, &r);
    assert_string_equal(r.body, "bye");
    char v[32];
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_true(wait_eof(busy, WAIT_MS));
    resp_free(&r);
    PUMP_UNTIL(F.drained > 0);
    pump_for(20);
    assert_int_equal(F.drained, 1);
    assert_int_equal(seam_http_server_connections(F.srv), 0);
    assert_int_equal(F.aborts, 0);
    client_close(idle);
    client_close(busy);
}

static void test_drain_with_nothing_open(void **state)
{
    start_server((seam_http_server_opts){0});
    seam_http_server_drain(F.srv, on_drained, &F);
    assert_int_equal(F.drained, 1);
}

/* ---- timeouts ---- */

static void test_partial_head_gets_408(void **state)
{
    start_server((seam_http_server_opts){.read_timeout_ms = 200});
    client *c = client_open();
    uint64_t t0 = now_ms();
    client_sends(c, "GET / HTTP/1.1\r\nHost: x\r\n");
    resp r;
    read_resp(c, &r);
    uint64_t took = now_ms() - t0;
    assert_error_body(&r, 408, "request_timeout");
    assert_true(took >= 180);
    assert_true(took < 1500);
    assert_closes_after_error(c, &r);
    assert_int_equal(F.nreq, 0);
    resp_free(&r);
    client_close(c);
}

static void test_partial_body_gets_408(void **state)
{
    start_server((seam_http_server_opts){.read_timeout_ms = 200});
    client *c = client_open();
    uint64_t t0 = now_ms();
    client_sends(c, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123");
    resp r;
    read_resp(c, &r);
    assert_error_body(&r, 408, "request_timeout");
    assert_true(now_ms() - t0 >= 180);
    assert_closes_after_error(c, &r);
    assert_int_equal(F.nreq, 0);
    resp_free(&r);
    client_close(c);
}

/* server.h: "a started request must arrive within" read_timeout_ms.  A
 * client that trickles its head a line at a time must not stretch that. */
static void test_trickled_head_still_times_out(void **state)
{
    start_server((seam_http_server_opts){.read_timeout_ms = 200});
    client *c = client_open();
    uint64_t t0 = now_ms();
    client_sends(c, "GET / HTTP/1.1\r\n");
    resp r;
    int got = 0;
    for (int i = 0; i < 16 && !got; i++) { /* 0.8 s: four times the timeout */
        pump_for(50);
        client_poll(c);
        got = parse_resp(c, &r, 0);
        if (!got && !c->eof) client_sends(c, "X-Slow: 1\r\n");
    }
    if (!got)
        fail_msg("no 408 after %llu ms of a head arriving one line per 50 ms "
                 "(read_timeout_ms = 200)",
                 (unsigned long long)(now_ms() - t0));
    assert_error_body(&r, 408, "request_timeout");
    resp_free(&r);
    client_close(c);
}

static void test_idle_connection_closed_quietly(void **state)
{
    start_server((seam_http_server_opts){.idle_timeout_ms = 200});
    client *c = client_open();
    uint64_t t0 = now_ms();
    assert_true(wait_eof(c, WAIT_MS));
    assert_true(now_ms() - t0 >= 180);
    assert_int_equal(c->len, 0); /* no 408 for a connection that never started a request */
    client_close(c);

    /* after an answer, the idle timer runs again */
    c = client_open();
    client_sends(c, "GET / HTTP/1.1\r\n\r\n");
    resp r;
    read_resp(c, &r);
    resp_free(&r);
    assert_true(wait_eof(c, WAIT_MS));
    assert_int_equal(c->len, 0);
    client_close(c);
    PUMP_UNTIL(seam_http_server_connections(F.srv) == 0);
}

static void test_reason_phrases(void **state)
{
    assert_string_equal(seam_http_reason(200), "OK");
    assert_string_equal(seam_http_reason(413), "Payload Too Large");
    assert_string_equal(seam_http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(seam_http_reason(408), "Request Timeout");
    assert_non_null(seam_http_reason(299));
    assert_non_null(seam_http_reason(599));
}

static void test_port_in_use_fails_cleanly(void **state)
{
    /* a plain listener (no SO_REUSEPORT) holds the port */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    seam_http_server_opts o = {.host = "127.0.0.1", .port = ntohs(a.sin_port), .handler = handler};
    char err[256] = "";
    seam_http_server *s = seam_http_server_new(F.base, &o, err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "127.0.0.1"));
    close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as seam serve does (it blocks it) */
    const struct CMUnitTest tests[] = {
        T(test_get_with_query_and_headers),
        T(test_post_with_content_length),
        T(test_body_split_across_writes),
        T(test_keep_alive_two_requests),
        T(test_pipelined_answered_in_order),
        T(test_deferred_body_stays_terminated_under_pipelining),
        T(test_head_has_no_body),
        T(test_chunked_body_decoded),
        T(test_chunked_body_byte_by_byte),
        T(test_chunked_malformed_is_400),
        T(test_expect_100_continue),
        T(test_expect_with_body_already_sent_no_100),
        T(test_body_over_max_body_413),
        T(test_chunked_over_max_body_413),
        T(test_413_readable_while_client_still_sends),
        T(test_headers_over_max_header_431),
        T(test_too_many_headers_431),
        T(test_malformed_requests_400),
        T(test_http10_closes_after_answer),
        T(test_connection_close_honoured),
        T(test_stream_is_chunked),
        T(test_stream_arrives_as_written),
        T(test_stream_http10_until_close),
        T(test_client_gone_fires_abort),
        T(test_late_answer_when_client_stays),
        T(test_client_gone_mid_stream_fires_abort),
        T(test_answered_request_no_abort),
        T(test_drain),
        T(test_drain_with_nothing_open),
        T(test_partial_head_gets_408),
        T(test_partial_body_gets_408),
        T(test_trickled_head_still_times_out),
        T(test_idle_connection_closed_quietly),
        T(test_reason_phrases),
        T(test_port_in_use_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
