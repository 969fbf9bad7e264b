/* client_curl.c — upstream calls through libcurl multi, driven by a
 * libevent loop: the transport for https:// (TLS, HTTP/2); see client.h.
 *
 * curl tells us which sockets to watch (socket callback) and when to wake it
 * (timer callback); we hand events back with curl_multi_socket_action.  Easy
 * handles are kept on a free list and reused, so a request costs no
 * curl_easy_init and reuses the connection cache of the multi handle. */
#include "http/client_impl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#define MAX_IDLE_HANDLES 256

struct curl_client {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    CURL *idle[MAX_IDLE_HANDLES];
    int nidle;
};

typedef struct curl_call {
    seam_http_call base; /* first: cancel dispatch */
    curl_client *client;
    CURL *easy;
    struct curl_slist *hdrs;
    seam_http_call_opts o;
    int status;
    int head_sent;
    int in_curl; /* inside a curl callback: removal must wait */
    int cancelled;
    char retry_after[64];
} curl_call;

typedef struct sock_watch {
    struct event *ev;
    curl_client *client;
} sock_watch;

static void check_done(curl_client *c);

static void release_easy(curl_client *c, CURL *e)
{
    if (c->nidle < MAX_IDLE_HANDLES) {
        curl_easy_reset(e);
        c->idle[c->nidle++] = e;
    } else {
        curl_easy_cleanup(e);
    }
}

static void call_free(curl_call *call)
{
    curl_client *c = call->client;
    curl_multi_remove_handle(c->multi, call->easy);
    release_easy(c, call->easy);
    curl_slist_free_all(call->hdrs);
    free(call);
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
    sock_watch *w = arg;
    curl_client *c = w->client;
    int flags = 0, running;
    if (what & EV_READ) flags |= CURL_CSELECT_IN;
    if (what & EV_WRITE) flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_done(c);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    curl_client *c = arg;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    curl_client *c = userp;
    sock_watch *w = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            event_free(w->ev);
            free(w);
            curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    short kind = EV_PERSIST;
    if (what & CURL_POLL_IN) kind |= EV_READ;
    if (what & CURL_POLL_OUT) kind |= EV_WRITE;
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w) return -1;
        w->client = c;
        curl_multi_assign(c->multi, s, w);
    } else {
        if (event_get_events(w->ev) == kind) return 0; /* unchanged: no epoll_ctl */
        event_free(w->ev);
    }
    w->ev = event_new(c->base, s, kind, on_sock_event, w);
    if (!w->ev) return -1;
    event_add(w->ev, NULL);
    return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    curl_client *c = userp;
    if (timeout_ms < 0) {
        event_del(c->timer);
    } else {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        event_add(c->timer, &tv);
    }
    return 0;
}

static void send_head(curl_call *call)
{
    if (call->head_sent) return;
    call->head_sent = 1;
    if (call->o.on_head)
        call->o.on_head(call->o.ud, call->status, call->retry_after[0] ? call->retry_after : NULL);
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
    curl_call *call = ud;
    size_t len = size * n;
    if (call->cancelled) return 0;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', len);
        call->status = sp ? atoi(sp + 1) : 0;
        call->retry_after[0] = '\0';
    } else if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
        size_t i = 12;
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t e = len;
        while (e > i && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' '))
            e--;
        size_t k = e - i < sizeof call->retry_after - 1 ? e - i : sizeof call->retry_after - 1;
        memcpy(call->retry_after, p + i, k);
        call->retry_after[k] = '\0';
    } else if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n')) {
        /* end of a header block; a 1xx block is followed by the real one */
        if (call->status >= 200) {
            call->in_curl++;
            send_head(call);
            call->in_curl--;
            if (call->cancelled) return 0;
        }
    }
    return len;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
    curl_call *call = ud;
    size_t len = size * n;
    if (call->cancelled) return 0;
    call->in_curl++;
    send_head(call);
    if (!call->cancelled && call->o.on_data) call->o.on_data(call->o.ud, p, len);
    call->in_curl--;
    return call->cancelled ? 0 : len;
}

static int map_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return SEAM_HTTP_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return SEAM_HTTP_ECONNECT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE: return SEAM_HTTP_ETLS;
    case CURLE_OPERATION_TIMEDOUT: return SEAM_HTTP_ETIMEOUT;
    case CURLE_OUT_OF_MEMORY: return SEAM_HTTP_ENOMEM;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING: return SEAM_HTTP_EPROTO;
    default: return SEAM_HTTP_ERESET; /* GOT_NOTHING, RECV_ERROR, PARTIAL_FILE, SEND_ERROR ... */
    }
}

static void check_done(curl_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        curl_call *call = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&call);
        CURLcode rc = m->data.result;
        if (call->cancelled) {
            call_free(call);
            continue;
        }
        int err = map_error(rc);
        /* A reply with headers but a broken body still told us its status. */
        if (err == SEAM_HTTP_OK && call->status >= 200) send_head(call);
        /* in_curl makes a cancel() from inside on_done a no-op */
        call->in_curl++;
        if (call->o.on_done) call->o.on_done(call->o.ud, err);
        call_free(call);
    }
}

curl_client *seam_curl_client_new(struct event_base *base)
{
    static int curl_ready;
    if (!curl_ready) { /* first call happens on the main thread before workers start */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    curl_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->base = base;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, on_timeout, c);
    if (!c->multi || !c->timer) {
        seam_curl_client_free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 1024L);
    return c;
}

void seam_curl_client_free(curl_client *c)
{
    if (!c) return;
    if (c->multi) curl_multi_cleanup(c->multi);
    for (int i = 0; i < c->nidle; i++)
        curl_easy_cleanup(c->idle[i]);
    if (c->timer) event_free(c->timer);
    free(c);
}

static void cancel(seam_http_call *base);

seam_http_call *seam_curl_start(curl_client *c, const seam_http_target *t,
                                const seam_http_call_opts *o)
{
    curl_call *call = calloc(1, sizeof *call);
    if (!call) return NULL;
    call->base.cancel = cancel;
    call->client = c;
    call->o = *o;
    call->easy = c->nidle ? c->idle[--c->nidle] : curl_easy_init();
    if (!call->easy) goto fail;
    /* curl adds these unless told otherwise: Accept: * / *, a form type, and
     * Expect: 100-continue on large bodies, which would cost a round trip. */
    struct curl_slist *h = NULL;
    for (const char *const *p = o->headers; p && *p; p++) {
        struct curl_slist *n = curl_slist_append(h, *p);
        if (!n) goto fail_hdrs;
        h = n;
    }
    struct curl_slist *n = curl_slist_append(h, "Expect:");
    if (!n) goto fail_hdrs;
    h = n;
    call->hdrs = h;
    CURL *e = call->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->hdrs);
    if (o->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, o->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    }
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000));
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(e, CURLOPT_PRIVATE, call);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (t->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) goto fail;
    return &call->base;
fail_hdrs:
    curl_slist_free_all(h);
fail:
    if (call->easy) release_easy(c, call->easy);
    curl_slist_free_all(call->hdrs);
    free(call);
    return NULL;
}

static void cancel(seam_http_call *base)
{
    curl_call *call = (curl_call *)base;
    if (call->cancelled) return;
    call->cancelled = 1;
    if (!call->in_curl) call_free(call);
    /* else: the write/header callback returns 0, curl aborts the transfer
     * and check_done frees it without calling anyone */
}
