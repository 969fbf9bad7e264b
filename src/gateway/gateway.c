/* gateway.c — worker threads and their lifecycle; see gateway.h.
 *
 * Each worker runs its own libevent loop (epoll with the changelist, which
 * folds repeated interest changes into one epoll_ctl) with its own
 * SO_REUSEPORT listener, so the kernel spreads connections and no request
 * ever crosses threads.  The main thread reaches a worker only by setting a
 * field under the worker's mutex and writing to the worker's eventfd, so
 * the loops themselves need no locks. */
#include "gateway/gateway.h"
#include "gateway/healthcheck.h"
#include "gateway/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sys/eventfd.h>

#include "core/log.h"
#include "gateway/worker.h"
#include "http/client.h"
#include "providers/adapter.h"

struct seam_gateway {
    seam_worker *workers;
    int n;
};

static void wake(seam_worker *w);

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    seam_worker *w = arg;
    seam_logbuf_flush(&w->log);
}

static void on_drained(void *arg)
{
    seam_worker *w = arg;
    event_base_loopbreak(w->base);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    seam_worker *w = arg;
    seam_log(SEAM_LOG_WARN, "shutdown grace period over: cancelling requests still in flight",
             "\"worker\":%d", w->id);
    seam_pipeline_abort_all(w);
    event_base_loopbreak(w->base);
}

/* The main thread has something for this worker. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    seam_worker *w = arg;
    uint64_t v;
    if (read(w->wake_fd, &v, sizeof v) < 0) { /* EAGAIN: already consumed */
    }
    pthread_mutex_lock(&w->mu);
    seam_runtime *rt = w->pending_rt;
    w->pending_rt = NULL;
    int drain = w->want_drain && !w->draining;
    pthread_mutex_unlock(&w->mu);
    if (rt) {
        seam_runtime *old = w->rt;
        w->rt = rt;
        if (w->id == 0) { /* worker 0 runs the health checks of the newest config */
            seam_checks_stop(w->checks);
            w->checks = seam_checks_start(w, rt);
        }
        seam_runtime_unref(old);
    }
    if (drain) {
        w->draining = 1;
        struct timeval tv = {w->grace_ms / 1000, (w->grace_ms % 1000) * 1000};
        evtimer_add(w->ev_grace, &tv);
        seam_http_server_drain(w->server, on_drained, w);
    }
}

static void *worker_main(void *arg)
{
    seam_worker *w = arg;
    if (w->id == 0) w->checks = seam_checks_start(w, w->rt);
    event_base_dispatch(w->base);
    /* Shadow calls are best effort: those still out are cut, and logged. */
    gw_shadow_abort_all(w);
    seam_checks_stop(w->checks);
    w->checks = NULL;
    seam_logbuf_flush(&w->log);
    return NULL;
}

static void worker_free(seam_worker *w)
{
    if (w->server) seam_http_server_free(w->server); /* aborts what is left */
    seam_pipeline_free_pool(w);
    seam_http_client_free(w->io.http);
    seam_call_cache_free(w->io.call_cache); /* after the calls the two above ended */
    if (w->ev_wake) event_free(w->ev_wake);
    if (w->wake_fd >= 0) close(w->wake_fd);
    if (w->ev_tick) event_free(w->ev_tick);
    if (w->ev_grace) event_free(w->ev_grace);
    if (w->base) event_base_free(w->base);
    seam_runtime_unref(w->rt);
    seam_runtime_unref(w->pending_rt);
    seam_logbuf_free(&w->log);
    pthread_mutex_destroy(&w->mu);
}

static int worker_init(seam_worker *w, int id, seam_gateway *gw, seam_runtime *rt,
                       struct seam_auth *auth, char *err, size_t errlen)
{
    const seam_config *cfg = rt->cfg;
    w->id = id;
    w->wake_fd = -1;
    w->all = gw->workers;
    w->nall = gw->n;
    w->auth = auth;
    w->rt = seam_runtime_ref(rt);
    w->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)time(NULL) << 16) ^
             (uint64_t)(id + 1) * 0xBF58476D1CE4E5B9ULL;
    pthread_mutex_init(&w->mu, NULL);
    seam_logbuf_init(&w->log, 2);

    struct event_config *ec = event_config_new();
    if (!ec) goto nomem;
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST | EVENT_BASE_FLAG_NOLOCK);
    w->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!w->base) goto nomem;
    w->io.base = w->base;
    w->io.http = seam_http_client_new(w->base);
    w->io.call_cache = seam_call_cache_new();
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0) goto nomem;
    w->ev_wake = event_new(w->base, w->wake_fd, EV_READ | EV_PERSIST, on_wake, w);
    w->ev_tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
    w->ev_grace = evtimer_new(w->base, on_grace, w);
    if (!w->io.http || !w->io.call_cache || !w->ev_wake || !w->ev_tick || !w->ev_grace) goto nomem;
    event_add(w->ev_wake, NULL);
    struct timeval tick = {0, 200000};
    event_add(w->ev_tick, &tick);

    seam_http_server_opts o = {
        .host = cfg->listen_host,
        .port = cfg->listen_port,
        .max_body = cfg->max_body,
        .handler = seam_pipeline_handle,
        .error_fmt = seam_pipeline_error_body,
        .ud = w,
    };
    w->server = seam_http_server_new(w->base, &o, err, errlen);
    if (!w->server) return -1;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory starting worker %d", id);
    return -1;
}

seam_gateway *seam_gateway_start(seam_runtime *rt, struct seam_auth *auth, char *err, size_t errlen)
{
    seam_gateway *gw = calloc(1, sizeof *gw);
    if (!gw) return NULL;
    gw->n = rt->cfg->workers > 0 ? rt->cfg->workers : 1;
    gw->workers = calloc((size_t)gw->n, sizeof *gw->workers);
    if (!gw->workers) {
        free(gw);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int started = 0, made = 0;
    for (int i = 0; i < gw->n; i++) {
        made++;
        if (worker_init(&gw->workers[i], i, gw, rt, auth, err, errlen) != 0) goto fail;
    }
    for (int i = 0; i < gw->n; i++) {
        if (pthread_create(&gw->workers[i].thread, NULL, worker_main, &gw->workers[i]) != 0) {
            snprintf(err, errlen, "cannot start worker thread %d", i);
            goto fail;
        }
        started++;
    }
    return gw;
fail:
    for (int i = 0; i < started; i++) {
        seam_worker *w = &gw->workers[i];
        pthread_mutex_lock(&w->mu);
        w->want_drain = 1;
        pthread_mutex_unlock(&w->mu);
        wake(w);
        pthread_join(w->thread, NULL);
    }
    for (int i = 0; i < made; i++)
        worker_free(&gw->workers[i]);
    free(gw->workers);
    free(gw);
    return NULL;
}

static void wake(seam_worker *w)
{
    uint64_t one = 1;
    if (write(w->wake_fd, &one, sizeof one) < 0) { /* the counter is full: it is awake anyway */
    }
}

void seam_gateway_reload(seam_gateway *gw, seam_runtime *rt)
{
    for (int i = 0; i < gw->n; i++) {
        seam_worker *w = &gw->workers[i];
        pthread_mutex_lock(&w->mu);
        seam_runtime *old = w->pending_rt;
        w->pending_rt = seam_runtime_ref(rt);
        pthread_mutex_unlock(&w->mu);
        seam_runtime_unref(old);
        wake(w);
    }
}

void seam_gateway_shutdown(seam_gateway *gw, int grace_ms)
{
    for (int i = 0; i < gw->n; i++) {
        seam_worker *w = &gw->workers[i];
        pthread_mutex_lock(&w->mu);
        w->want_drain = 1;
        w->grace_ms = grace_ms;
        pthread_mutex_unlock(&w->mu);
        wake(w);
    }
    for (int i = 0; i < gw->n; i++)
        pthread_join(gw->workers[i].thread, NULL);
}

void seam_gateway_free(seam_gateway *gw)
{
    if (!gw) return;
    for (int i = 0; i < gw->n; i++)
        worker_free(&gw->workers[i]);
    free(gw->workers);
    free(gw);
}
