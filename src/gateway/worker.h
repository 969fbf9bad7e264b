/* worker.h — one worker thread's state (internal to gateway/). */
#ifndef SEAM_GATEWAY_WORKER_H
#define SEAM_GATEWAY_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "core/log.h"
#include "gateway/metrics.h"
#include "gateway/runtime.h"
#include "http/server.h"
#include "providers/provider.h"

struct seam_auth;
struct gw_req;

typedef struct seam_worker {
    int id;
    pthread_t thread;
    struct event_base *base;
    seam_http_server *server;
    seam_io io;
    seam_runtime *rt; /* the generation new requests start with */
    struct seam_auth *auth;
    struct seam_worker *all; /* every worker, for /metrics */
    int nall;

    /* set by the main thread under mu, acted on by the worker when woken */
    pthread_mutex_t mu;
    int wake_fd; /* eventfd */
    struct event *ev_wake;
    seam_runtime *pending_rt;
    int want_drain;
    int grace_ms;

    struct event *ev_tick;  /* flushes the access log */
    struct event *ev_grace; /* ends a drain that takes too long */
    seam_metrics metrics;
    seam_logbuf log;
    uint64_t rng;
    uint64_t served;            /* requests taken, numbering them for the access log */
    struct gw_shadow *shadows;  /* shadow calls in flight (shadow.c) */
    struct seam_checks *checks; /* worker 0: active health checks (healthcheck.c) */
    struct gw_req *free_reqs;   /* request states kept for reuse */
    struct gw_req *live;        /* requests in flight */
    int draining;
} seam_worker;

/* The HTTP handler for every request (pipeline.c). */
void seam_pipeline_handle(seam_http_req *req, void *worker);
/* The body of an error the HTTP layer answers itself (pipeline.c). */
const char *seam_pipeline_error_body(int status, const char *code, const char *message,
                                     seam_buf *out);
/* Cancels every in-flight request of a worker (shutdown after grace). */
void seam_pipeline_abort_all(seam_worker *w);
void seam_pipeline_free_pool(seam_worker *w);

#endif
