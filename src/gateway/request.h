/* request.h — one client request's state, shared by the pipeline's files
 * (internal to gateway/).
 *
 * pipeline.c takes a request from the HTTP server through authentication,
 * decoding and routing, and answers it; upstream.c makes the calls to the
 * upstreams — attempts, retries, fallbacks, overflow — and relays what
 * comes back; shadow.c mirrors a sample to a route's shadow target. */
#ifndef SEAM_GATEWAY_REQUEST_H
#define SEAM_GATEWAY_REQUEST_H

#include <stdint.h>

#include <event2/util.h>

#include "api/anthropic.h"
#include "api/json_scan.h"
#include "gateway/auth.h"
#include "gateway/worker.h"
#include "http/sse.h"
#include "route/health.h"

#define GW_MAX_MODEL 256

typedef struct gw_req {
    seam_worker *w;
    seam_http_req *http;
    seam_runtime *rt;
    const seam_principal *who;
    struct gw_req *prev, *next;
    uint64_t id; /* per worker, for the access log */

    seam_op op;
    int stream;
    int anthropic; /* the client speaks Anthropic's Messages API */

    /* the request in OpenAI's format, kept for every attempt's model splice */
    const char *in;
    size_t in_len;
    seam_span model_span;
    int model_escaped;
    int add_usage; /* a stream whose client did not ask for usage: seam asks for it
                    * (so that tokens are always counted) and keeps the usage
                    * chunk from the client */

    /* routing */
    const char *route;               /* route name, "" for direct access */
    const seam_route_conf *rc;       /* NULL for direct access */
    const seam_route_health *rh;     /* its targets' health */
    const seam_tenant_conf *tenant;  /* the key's tenant's limits, or NULL */
    seam_target_conf direct;         /* the target of a direct call */
    int direct_pi;                   /* its provider's index in cfg->providers */
    char direct_model[GW_MAX_MODEL]; /* its model */
    const seam_target_conf *primary; /* the pick among the route's targets */
    seam_target_health *primary_health;
    int plan_pos;                /* 0: the pick (or its overflow); k: fallbacks[k - 1] */
    int overflowed;              /* the pick's provider was full and overflow took its place */
    int attempts;                /* upstream calls started */
    int tries_here;              /* of them, to the current target */
    uint64_t slot_wait_until_us; /* waiting for a slot of the pick's provider */
    uint64_t queued_since_us, queued_us; /* when it began waiting; how long it waited */
    int waiting;                         /* the timer is a wait (GW_WAIT_*), not a timeout */
    unsigned tiers_required; /* SEAM_TIER_* the data may reach; the PII scanner narrows it */
    uint64_t subject_hash;   /* sticky routes: the end user's hash, 0 when none */
    char notes[256];         /* why earlier attempts failed: x-seam-fallback */

    /* the call in flight */
    const seam_target_conf *cur;
    const seam_provider_conf *cur_pc;
    seam_target_health *cur_health; /* NULL for direct calls: no breaker */
    seam_provider_health *cur_slot; /* the slot held, or NULL */
    int cur_trial;
    const char *provider; /* provider name, "" before routing */
    char target[GW_MAX_MODEL + 64];
    char model[GW_MAX_MODEL];          /* the upstream's name for the model */
    char asked_model[GW_MAX_MODEL];    /* what the client's `model` said (Anthropic echoes it) */
    char hdrs[GW_MAX_MODEL * 2 + 512]; /* x-seam-* response headers */
    seam_provider *prov;
    seam_call *call;
    uint64_t call_start_us;

    seam_buf upbody;
    seam_buf resp;
    seam_anthropic_stream *astream;
    seam_buf xbody; /* an Anthropic client's request, in OpenAI's format */
    seam_buf xout;  /* answer bytes translated for the client */
    seam_sse_reader sse;
    int sse_ready;
    struct event *timer;
    uint64_t deadline_us; /* timeouts.total */

    int up_status;
    char retry_after[32];
    int last_err; /* SEAM_CALL_* of the last call */
    int started;  /* stream: first event sent to the client */
    int saw_done;
    uint64_t up_start_us, first_byte_us, up_end_us;
    seam_usage usage;
    int has_usage;
    int usage_given; /* this call's provider reported them (on_usage): not read from the body */
    const char *err_code; /* seam code of the error answered, if any */
} gw_req;

enum { GW_WAIT_NONE, GW_WAIT_RETRY, GW_WAIT_SLOT };

/* ---- pipeline.c ---- */

/* Answers r and returns it to the pool. */
void gw_answer(gw_req *r, int status, const char *ctype, const char *body, size_t n);
/* Ends r with a seam error, as JSON or, once a stream began, an SSE event. */
void gw_fail(gw_req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Opens the client's stream (200, text/event-stream, the x-seam headers). */
void gw_stream_start(gw_req *r);
/* Ends a stream that completed and returns r to the pool. */
void gw_stream_end(gw_req *r);

/* ---- upstream.c ---- */

/* Whether r's data may reach pc (the key's, tenant's and request's
 * residency limits); when not, why says which rule forbids it. */
int gw_may_reach(const gw_req *r, const seam_provider_conf *pc, char *why, size_t n);

/* Plans the calls for a routed request and starts the first one. */
void gw_upstream_begin(gw_req *r);
/* r's request for another model: the client's body with model spliced in
 * (and the usage option when r->add_usage), into out; 0 or -1. */
int gw_splice_body(const gw_req *r, const char *model, seam_buf *out);
/* Stops the call in flight, if any, and gives back its slot. */
void gw_upstream_stop(gw_req *r);
/* The timer callback of every request (timeouts and waits). */
void gw_on_timer(evutil_socket_t fd, short what, void *arg);

/* ---- shadow.c ---- */

/* Sends a copy of r to its route's shadow target when the sample says so. */
void gw_shadow_maybe(gw_req *r);
/* Cancels every shadow call of a worker (shutdown). */
void gw_shadow_abort_all(seam_worker *w);

#endif
