/* mock.c — provider type "mock": the mock vendor in-process, no sockets.
 *
 * start() builds the whole reply at once (mock_reply.c) and plays it on the
 * worker's loop with one cancellable timer: on_head after the latency, one
 * on_data per stream event chunk_delay apart (the whole body at once when
 * not streaming), then on_done.  Faults: reset ends with SEAM_CALL_RESET and
 * no head; stall sends the head and the first events, then nothing until
 * the gateway cancels; slow holds the head for SEAM_MOCK_SLOW_MS.
 *
 * No callback runs from inside start(): the first one waits for the timer
 * even at zero latency.  A callback may cancel its own call; the call then
 * frees itself when the callback returns.  After on_done the call is freed
 * and must not be touched. */
#include "providers/mock_reply.h"
#include "providers/provider.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct mock_provider {
    seam_provider base;
    int echo;
    int latency_ms;
    int chunk_delay_ms;
} mock_provider;

enum call_state { CALL_HEAD, CALL_BODY, CALL_HOLD };

struct seam_call {
    struct event *timer;
    seam_mock_plan plan;
    seam_call_cbs cbs;
    void *ud;
    int chunk_delay_ms;
    enum call_state state;
    size_t next;   /* next stream event to deliver */
    int in_cb;     /* a callback is running */
    int cancelled; /* cancel() was called from inside it */
};

static void call_free(seam_call *c)
{
    if (c->timer) event_free(c->timer);
    seam_mock_plan_free(&c->plan);
    free(c);
}

static void arm(seam_call *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
}

/* After a callback: 0 when the call lives on, -1 when it was cancelled
 * inside the callback and is now freed. */
static int after_cb(seam_call *c)
{
    c->in_cb = 0;
    if (!c->cancelled) return 0;
    call_free(c);
    return -1;
}

static int emit_head(seam_call *c)
{
    c->in_cb = 1;
    if (c->cbs.on_head) c->cbs.on_head(c->ud, c->plan.status, c->plan.retry_after);
    return after_cb(c);
}

static int emit_data(seam_call *c, const char *p, size_t n)
{
    c->in_cb = 1;
    if (c->cbs.on_data) c->cbs.on_data(c->ud, p, n);
    return after_cb(c);
}

static void emit_done(seam_call *c, int err)
{
    c->in_cb = 1;
    if (c->cbs.on_done) c->cbs.on_done(c->ud, err);
    call_free(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    seam_call *c = arg;
    seam_mock_plan *p = &c->plan;

    if (c->state == CALL_HOLD) return;
    if (c->state == CALL_HEAD) {
        if (p->fault == SEAM_MOCK_RESET) {
            emit_done(c, SEAM_CALL_RESET);
            return;
        }
        if (p->fault == SEAM_MOCK_STALL && !p->stream) {
            c->state = CALL_HOLD; /* silence until the gateway gives up and cancels */
            return;
        }
        if (emit_head(c)) return;
        c->state = CALL_BODY;
        if (!p->stream) {
            if (p->body.len && emit_data(c, p->body.data, p->body.len)) return;
            emit_done(c, SEAM_CALL_OK);
            return;
        }
    }

    size_t limit = p->fault == SEAM_MOCK_STALL ? p->stall_after : p->nevents;
    while (c->next < limit) {
        size_t len;
        const char *ev = seam_mock_event(p, c->next++, &len);
        if (emit_data(c, ev, len)) return;
        if (c->chunk_delay_ms && c->next < limit) {
            arm(c, c->chunk_delay_ms);
            return;
        }
    }
    if (p->fault == SEAM_MOCK_STALL) {
        c->state = CALL_HOLD;
        return;
    }
    emit_done(c, SEAM_CALL_OK);
}

static seam_call *mock_start(seam_provider *prov, const seam_io *io, const seam_call_req *req,
                             const seam_call_cbs *cbs, void *ud)
{
    const mock_provider *mp = (const mock_provider *)prov;
    seam_call *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    seam_mock_opts opts = {.echo = mp->echo, .fail_rate = 0, .rng = 0};
    int rc = req->op == SEAM_OP_EMBEDDINGS
                 ? seam_mock_plan_embeddings(req->body, req->body_len, &opts, &c->plan)
                 : seam_mock_plan_chat(req->body, req->body_len, &opts, &c->plan);
    if (rc) goto fail;
    c->timer = evtimer_new(io->base, on_timer, c);
    if (!c->timer) goto fail;
    c->cbs = *cbs;
    c->ud = ud;
    c->chunk_delay_ms = mp->chunk_delay_ms;
    c->state = CALL_HEAD;
    int delay = mp->latency_ms;
    if (c->plan.fault == SEAM_MOCK_SLOW && delay < SEAM_MOCK_SLOW_MS) delay = SEAM_MOCK_SLOW_MS;
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    if (evtimer_add(c->timer, &tv)) goto fail;
    return c;

fail:
    call_free(c);
    return NULL;
}

static void mock_cancel(seam_call *c)
{
    if (!c) return;
    if (c->in_cb) { /* our caller's callback is on the stack: free on its return */
        c->cancelled = 1;
        evtimer_del(c->timer);
        return;
    }
    call_free(c);
}

static int mock_create(const seam_provider_conf *conf, seam_provider **out, char *err,
                       size_t errlen)
{
    if (conf->mock_latency_ms < 0 || conf->mock_chunk_delay_ms < 0) {
        snprintf(err, errlen, "providers.%s (line %d): mock latency and chunk delay must be >= 0",
                 conf->name ? conf->name : "?", conf->line);
        return -1;
    }
    mock_provider *mp = calloc(1, sizeof *mp);
    if (!mp) {
        snprintf(err, errlen, "providers.%s: out of memory", conf->name ? conf->name : "?");
        return -1;
    }
    mp->base.vt = &seam_provider_mock;
    mp->base.conf = conf;
    mp->echo = conf->mock_echo;
    mp->latency_ms = conf->mock_latency_ms;
    mp->chunk_delay_ms = conf->mock_chunk_delay_ms;
    *out = &mp->base;
    return 0;
}

static void mock_destroy(seam_provider *p)
{
    free(p);
}

const seam_provider_vt seam_provider_mock = {
    .type = "mock",
    .create = mock_create,
    .start = mock_start,
    .cancel = mock_cancel,
    .destroy = mock_destroy,
};
