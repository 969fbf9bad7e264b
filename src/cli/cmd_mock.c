/* cmd_mock.c — `seam mock`: the mock vendor as a standalone HTTP server.
 *
 * For end-to-end tests and benchmarks: speaks OpenAI's wire format on
 * loopback, replies from providers/mock_reply.c, and misbehaves on request
 * (see mock_reply.h for the [[mock:...]] directives and --fail-rate).
 *
 * One event_base + evhttp per worker thread, each with its own SO_REUSEPORT
 * listening socket, so the kernel spreads connections and the workers share
 * nothing but the read-only flags.  A reply with no delay is sent from the
 * request callback; anything delayed (latency, paced stream, faults) becomes
 * a `pending` with one timer.  evhttp stops reading a connection once its
 * request is in, so while a pending has not sent its head we watch the
 * socket ourselves to notice a client that hangs up; once the head is out
 * evhttp watches it and tells us through the connection's close callback.
 * SIGINT/SIGTERM are taken by the main thread with sigwait(); it then
 * closes a pipe that every worker's loop watches, and joins them. */
#include "providers/mock_reply.h"
#include "providers/mock_wire.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

#define MAX_WORKERS  256
#define MAX_BODY     (32 << 20)
#define MAX_HEADERS  (64 << 10)
#define LISTEN_QUEUE 4096

typedef struct mock_flags {
    char host[256];
    int port;
    int echo;
    int latency_ms;
    int chunk_delay_ms;
    double fail_rate;
    int slow_ms; /* --slow: delay of slow faults, which then join the random ones */
    unsigned long long seed;
    int workers;
} mock_flags;

typedef struct pending pending;

typedef struct worker {
    struct event_base *base;
    struct evhttp *http;
    struct event *stop;
    struct evbuffer *scratch; /* one stream event on its way into a chunk */
    const mock_flags *flags;
    seam_mock_opts opts; /* this worker's RNG */
    pending *pending;    /* in flight, for shutdown */
    pthread_t thread;
    int started;
} worker;

/* A reply that waits for a timer; owned by its worker until sent or dropped. */
struct pending {
    worker *w;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct event *timer;
    struct event *watch; /* EOF watch until the head is sent */
    seam_mock_plan plan;
    size_t next; /* next stream event */
    int head_sent;
    pending *prev, *next_p;
};

/* ---- replies ---- */

static void add_header(struct evhttp_request *req, const char *k, const char *v)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), k, v);
}

/* Sends a whole plan now: JSON (default Content-Type) or every SSE event in one chunk. */
static void send_plan(worker *w, struct evhttp_request *req, const seam_mock_plan *p)
{
    if (p->retry_after) add_header(req, "Retry-After", p->retry_after);
    if (!p->stream) {
        evbuffer_add(evhttp_request_get_output_buffer(req), p->body.data, p->body.len);
        /* evhttp knows no phrase for 429 */
        evhttp_send_reply(req, p->status, p->status == 429 ? "Too Many Requests" : NULL, NULL);
        return;
    }
    add_header(req, "Content-Type", p->stream_type ? p->stream_type : "text/event-stream");
    add_header(req, "Cache-Control", "no-cache");
    evhttp_send_reply_start(req, p->status, NULL);
    evbuffer_add(w->scratch, p->body.data, p->body.len);
    evhttp_send_reply_chunk(req, w->scratch);
    evhttp_send_reply_end(req);
}

static void send_error(worker *w, struct evhttp_request *req, int status, const char *message,
                       const char *type, const char *code)
{
    seam_mock_plan p;
    if (seam_mock_plan_error(&p, status, message, type, NULL, code)) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    send_plan(w, req, &p);
    seam_mock_plan_free(&p);
}

/* ---- pending replies ---- */

static void pending_free(pending *pd)
{
    worker *w = pd->w;
    evhttp_connection_set_closecb(pd->evcon, NULL, NULL);
    if (pd->timer) event_free(pd->timer);
    if (pd->watch) event_free(pd->watch);
    seam_mock_plan_free(&pd->plan);
    if (pd->prev)
        pd->prev->next_p = pd->next_p;
    else
        w->pending = pd->next_p;
    if (pd->next_p) pd->next_p->prev = pd->prev;
    free(pd);
}

/* Drops the connection; the request goes with it.  abort_it sends a RST, as
 * a crashed upstream would: evhttp_connection_free() always shuts down
 * writing first (a FIN), so the socket is first swapped for an unconnected
 * dummy with dup2(), which closes the real one at once with linger 0; evhttp
 * then shuts down and closes the dummy.  The fd number never comes free in
 * between, so no other thread can be handed it. */
static void drop_connection(pending *pd, int abort_it)
{
    struct evhttp_connection *evcon = pd->evcon;
    int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    if (abort_it && fd >= 0) {
        struct linger lg = {1, 0};
        int dummy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0 && dummy >= 0)
            dup2(dummy, fd);
        if (dummy >= 0) close(dummy);
    }
    pending_free(pd);
    evhttp_connection_free(evcon);
}

/* evhttp closes a connection whose client went away after our head was sent.
 * It has already detached the request (we had not finished it), so the
 * request is ours to free. */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    pending *pd = arg;
    struct evhttp_request *req = pd->req;
    int detached = evhttp_request_get_connection(req) == NULL;
    pending_free(pd);
    if (detached) evhttp_request_free(req);
}

/* Before the head: readable means EOF (the client left) or a pipelined request. */
static void on_watch(evutil_socket_t fd, short what, void *arg)
{
    pending *pd = arg;
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r > 0) return; /* pipelined data: stop watching, evhttp reads it after our reply */
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        event_add(pd->watch, NULL);
        return;
    }
    drop_connection(pd, 0);
}

static void arm(struct event *ev, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static void on_pending_timer(evutil_socket_t fd, short what, void *arg)
{
    pending *pd = arg;
    worker *w = pd->w;
    seam_mock_plan *p = &pd->plan;

    if (!pd->head_sent) {
        if (p->fault == SEAM_MOCK_RESET) {
            drop_connection(pd, 1);
            return;
        }
        if (p->fault == SEAM_MOCK_STALL && !p->stream) return; /* hold; the watch ends it */
        if (!p->stream) {
            struct evhttp_request *req = pd->req;
            evhttp_connection_set_closecb(pd->evcon, NULL, NULL);
            send_plan(w, req, p);
            pending_free(pd);
            return;
        }
        /* from here evhttp itself watches for the client going away */
        event_free(pd->watch);
        pd->watch = NULL;
        add_header(pd->req, "Content-Type",
                   pd->plan.stream_type ? pd->plan.stream_type : "text/event-stream");
        add_header(pd->req, "Cache-Control", "no-cache");
        evhttp_send_reply_start(pd->req, p->status, NULL);
        pd->head_sent = 1;
    }

    size_t limit = p->fault == SEAM_MOCK_STALL ? p->stall_after : p->nevents;
    int delay = w->flags->chunk_delay_ms;
    while (pd->next < limit) {
        size_t len;
        const char *ev = seam_mock_event(p, pd->next++, &len);
        evbuffer_add(w->scratch, ev, len);
        evhttp_send_reply_chunk(pd->req, w->scratch);
        if (delay && pd->next < limit) {
            arm(pd->timer, delay);
            return;
        }
    }
    if (p->fault == SEAM_MOCK_STALL) return; /* open and silent until the client leaves */
    struct evhttp_request *req = pd->req;
    pending_free(pd);
    evhttp_send_reply_end(req);
}

/* Sends p now when nothing waits, else hands it to a pending (taking it over). */
static void deliver(worker *w, struct evhttp_request *req, seam_mock_plan *p)
{
    int delay = w->flags->latency_ms;
    int slow = w->flags->slow_ms ? w->flags->slow_ms : SEAM_MOCK_SLOW_MS;
    if (p->fault == SEAM_MOCK_SLOW && delay < slow) delay = slow;
    int plain = p->fault == SEAM_MOCK_OK || p->fault == SEAM_MOCK_STATUS;
    if (!delay && plain && (!p->stream || !w->flags->chunk_delay_ms)) {
        send_plan(w, req, p);
        seam_mock_plan_free(p);
        return;
    }

    pending *pd = calloc(1, sizeof *pd);
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    if (!pd) goto fail;
    pd->w = w;
    pd->req = req;
    pd->evcon = evcon;
    pd->plan = *p;
    pd->timer = evtimer_new(w->base, on_pending_timer, pd);
    pd->watch = event_new(w->base, fd, EV_READ, on_watch, pd);
    if (!pd->timer || !pd->watch || event_add(pd->watch, NULL)) {
        /* pd->plan is a shallow copy: *p still owns the plan and fail frees it */
        if (pd->timer) event_free(pd->timer);
        if (pd->watch) event_free(pd->watch);
        free(pd);
        goto fail;
    }
    pd->next_p = w->pending;
    if (w->pending) w->pending->prev = pd;
    w->pending = pd;
    evhttp_connection_set_closecb(evcon, on_conn_close, pd);
    arm(pd->timer, delay);
    return;

fail:
    seam_mock_plan_free(p);
    send_error(w, req, 500, "seam mock: out of memory", "server_error", NULL);
}

/* ---- routing ---- */

static void on_request(struct evhttp_request *req, void *arg)
{
    worker *w = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *full = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!full) full = "";
    const char *path = strncmp(full, "/v1/", 4) == 0 ? full + 3 : full;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    int post = cmd == EVHTTP_REQ_POST, get = cmd == EVHTTP_REQ_GET;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    const seam_mock_wire *wire = seam_mock_wire_find(full, query);

    if (wire && post) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        const char *body = n ? (const char *)evbuffer_pullup(in, -1) : "";
        seam_mock_plan p;
        if (wire->plan(full, query, body, n, &w->opts, &p)) {
            send_error(w, req, 500, "seam mock: out of memory", "server_error", NULL);
            return;
        }
        deliver(w, req, &p);
        return;
    }
    if (strcmp(path, "/models") == 0 && get) {
        seam_mock_plan p;
        if (seam_mock_plan_models(&p)) {
            send_error(w, req, 500, "seam mock: out of memory", "server_error", NULL);
            return;
        }
        send_plan(w, req, &p);
        seam_mock_plan_free(&p);
        return;
    }
    if (strcmp(full, "/healthz") == 0 && get) {
        add_header(req, "Content-Type", "text/plain");
        evbuffer_add(evhttp_request_get_output_buffer(req), "ok\n", 3);
        evhttp_send_reply(req, 200, NULL, NULL);
        return;
    }

    char msg[300];
    int known = wire || strcmp(path, "/models") == 0 || strcmp(full, "/healthz") == 0;
    const char *method = post ? "POST" : get ? "GET" : "this method";
    snprintf(msg, sizeof msg, known ? "Method not allowed: %s %.200s" : "Invalid URL (%s %.200s)",
             method, full);
    send_error(w, req, known ? 405 : 404, msg, "invalid_request_error",
               known ? "method_not_allowed" : "unknown_url");
}

/* ---- workers ---- */

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

static void worker_free(worker *w)
{
    while (w->pending)
        pending_free(w->pending); /* evhttp_free below frees their requests */
    if (w->http) evhttp_free(w->http);
    if (w->stop) event_free(w->stop);
    if (w->scratch) evbuffer_free(w->scratch);
    if (w->base) event_base_free(w->base);
}

static int worker_init(worker *w, const mock_flags *f, int index, int listen_fd, int stop_fd)
{
    memset(w, 0, sizeof *w);
    w->flags = f;
    w->opts.echo = f->echo;
    w->opts.fail_rate = f->fail_rate;
    w->opts.slow_ms = f->slow_ms;
    uint64_t s = f->seed + (uint64_t)index * 0x9e3779b97f4a7c15ULL;
    w->opts.rng = s ? s : 1;

    struct event_config *cfg = event_config_new();
    if (!cfg) return -1;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!w->base) return -1;
    w->scratch = evbuffer_new();
    w->http = evhttp_new(w->base);
    w->stop = event_new(w->base, stop_fd, EV_READ | EV_PERSIST, on_stop, w->base);
    if (!w->scratch || !w->http || !w->stop || event_add(w->stop, NULL)) return -1;
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(w->http, MAX_BODY);
    evhttp_set_max_headers_size(w->http, MAX_HEADERS);
    evhttp_set_default_content_type(w->http, "application/json");
    evhttp_set_gencb(w->http, on_request, w);
    if (evhttp_accept_socket(w->http, listen_fd)) return -1;
    return 0;
}

/* ---- flags and sockets ---- */

static void usage(FILE *out)
{
    fputs("usage: seam mock --listen HOST:PORT [options]\n"
          "\n"
          "A fake LLM vendor speaking OpenAI's wire format, for tests and benchmarks.\n"
          "Serves POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models (also\n"
          "without /v1) and GET /healthz.  The Authorization header is ignored.\n"
          "\n"
          "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8081; port 0 picks one)\n"
          "  --echo              reply with the last user message instead of a fixed sentence\n"
          "  --latency MS        delay before the first byte (default 0)\n"
          "  --chunk-delay MS    delay between stream events (default 0)\n"
          "  --fail-rate F       fraction 0..1 of requests given a random fault\n"
          "                      (429, 500, 503, connection reset, stalled stream)\n"
          "  --slow MS           slow first bytes take MS (default 10000) and join the\n"
          "                      random faults\n"
          "  --seed N            seed for those faults (default 1)\n"
          "  --workers N         threads, each with its own SO_REUSEPORT socket (default 1)\n"
          "  --help              this text\n"
          "\n"
          "A user message containing [[mock:429]], [[mock:500]], [[mock:503]], [[mock:reset]],\n"
          "[[mock:stall]] or [[mock:slow]] (10 s to first byte) asks for that fault.\n",
          out);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_listen(const char *s, mock_flags *f)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return -1;
    size_t hlen = (size_t)(colon - s);
    const char *h = s;
    if (h[0] == '[') { /* [::1]:8080 */
        if (hlen < 3 || h[hlen - 1] != ']') return -1;
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof f->host) return -1;
    long port;
    if (parse_long(colon + 1, 0, 65535, &port)) return -1;
    memcpy(f->host, h, hlen);
    f->host[hlen] = '\0';
    f->port = (int)port;
    return 0;
}

static int flag_error(const char *flag, const char *what, const char *got)
{
    if (got)
        fprintf(stderr, "seam mock: %s: %s, got \"%s\"\n", flag, what, got);
    else
        fprintf(stderr, "seam mock: %s: %s\n", flag, what);
    fputs("run `seam mock --help` for usage\n", stderr);
    return 2;
}

/* Returns -1 to go on, else the exit code (0 for --help, 2 for a bad flag). */
static int parse_flags(int argc, char **argv, mock_flags *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->host, sizeof f->host, "127.0.0.1");
    f->port = 8081;
    f->seed = 1;
    f->workers = 1;
    for (int i = 1; i < argc; i++) {
        char name[32];
        const char *arg = argv[i], *val = NULL, *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (strncmp(arg, "--", 2) != 0 || nlen >= sizeof name)
            return flag_error(arg, "unknown argument", NULL);
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        if (!strcmp(name, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(name, "--echo")) {
            if (eq) return flag_error(name, "takes no value", eq + 1);
            f->echo = 1;
            continue;
        }
        int known = !strcmp(name, "--listen") || !strcmp(name, "--latency") ||
                    !strcmp(name, "--chunk-delay") || !strcmp(name, "--fail-rate") ||
                    !strcmp(name, "--seed") || !strcmp(name, "--workers") ||
                    !strcmp(name, "--slow");
        if (!known) return flag_error(name, "unknown flag", NULL);
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return flag_error(name, "needs a value", NULL);

        long v;
        if (!strcmp(name, "--listen")) {
            if (parse_listen(val, f)) return flag_error(name, "expected HOST:PORT", val);
        } else if (!strcmp(name, "--latency")) {
            if (parse_long(val, 0, 3600000, &v))
                return flag_error(name, "expected milliseconds 0..3600000", val);
            f->latency_ms = (int)v;
        } else if (!strcmp(name, "--chunk-delay")) {
            if (parse_long(val, 0, 3600000, &v))
                return flag_error(name, "expected milliseconds 0..3600000", val);
            f->chunk_delay_ms = (int)v;
        } else if (!strcmp(name, "--slow")) {
            if (parse_long(val, 1, 3600000, &v))
                return flag_error(name, "expected milliseconds 1..3600000", val);
            f->slow_ms = (int)v;
        } else if (!strcmp(name, "--workers")) {
            if (parse_long(val, 1, MAX_WORKERS, &v))
                return flag_error(name, "expected 1..256", val);
            f->workers = (int)v;
        } else if (!strcmp(name, "--fail-rate")) {
            char *end;
            errno = 0;
            double d = strtod(val, &end);
            if (errno || end == val || *end || !(d >= 0 && d <= 1))
                return flag_error(name, "expected a fraction 0..1", val);
            f->fail_rate = d;
        } else { /* --seed */
            char *end;
            errno = 0;
            unsigned long long s = strtoull(val, &end, 10);
            if (errno || end == val || *end || val[0] == '-')
                return flag_error(name, "expected a non-negative integer", val);
            f->seed = s;
        }
    }
    return -1;
}

/* A listening socket on host:*port with SO_REUSEPORT; a port of 0 is
 * replaced by the one the kernel chose, so later workers share it. */
static int open_listener(const mock_flags *f, int *port)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char serv[8];
    snprintf(serv, sizeof serv, "%d", *port);
    int rc = getaddrinfo(f->host, serv, &hints, &ai);
    if (rc) {
        fprintf(stderr, "seam mock: --listen %s: %s\n", f->host, gai_strerror(rc));
        return -1;
    }
    int one = 1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, LISTEN_QUEUE)) {
        fprintf(stderr, "seam mock: cannot listen on %s:%d: %s\n", f->host, *port, strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    if (*port == 0) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return fd;
}

int seam_cmd_mock(int argc, char **argv)
{
    mock_flags f;
    int rc = parse_flags(argc, argv, &f);
    if (rc >= 0) return rc;

    /* Workers inherit this mask; the main thread alone takes the signals. */
    sigset_t stop_sigs, old_sigs;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_sigs);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-write is an error return, not a death */

    worker *workers = calloc((size_t)f.workers, sizeof *workers);
    int stop_pipe[2] = {-1, -1};
    int port = f.port, nstarted = 0, ninit = 0;
    rc = 1;
    if (!workers || pipe(stop_pipe)) {
        fprintf(stderr, "seam mock: %s\n", strerror(errno));
        goto done;
    }
    for (int i = 0; i < f.workers; i++) {
        int fd = open_listener(&f, &port);
        if (fd < 0) goto done;
        ninit++;
        if (worker_init(&workers[i], &f, i, fd, stop_pipe[0])) {
            close(fd); /* worker_init only owns it once evhttp accepted it */
            fprintf(stderr, "seam mock: cannot set up worker %d\n", i);
            goto done;
        }
    }
    for (int i = 0; i < f.workers; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
            fprintf(stderr, "seam mock: cannot start worker %d\n", i);
            goto done;
        }
        workers[i].started = 1;
        nstarted++;
    }
    if (strchr(f.host, ':'))
        fprintf(stderr, "seam mock listening on [%s]:%d\n", f.host, port);
    else
        fprintf(stderr, "seam mock listening on %s:%d\n", f.host, port);

    int sig;
    while (sigwait(&stop_sigs, &sig) != 0) {
    }
    rc = 0;

done:
    if (stop_pipe[1] >= 0) close(stop_pipe[1]); /* EOF wakes every worker */
    for (int i = 0; i < nstarted; i++)
        pthread_join(workers[i].thread, NULL);
    for (int i = 0; i < ninit; i++)
        worker_free(&workers[i]);
    if (stop_pipe[0] >= 0) close(stop_pipe[0]);
    free(workers);
    /* A second SIGTERM during shutdown is still pending: take it here, or
     * restoring the caller's mask would deliver it and kill the process. */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&stop_sigs, NULL, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_sigs, NULL);
    return rc;
}
