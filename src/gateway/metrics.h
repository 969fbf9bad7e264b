/* metrics.h — request counters and latency histograms, per worker.
 *
 * Each worker writes only its own seam_metrics, so counting costs no lock
 * and no atomic read-modify-write; a scrape (from any thread) sums all
 * workers with relaxed atomic loads.  Label sets (route, provider, status)
 * live in a fixed-size table that only grows, so a reader never sees an
 * entry move.  Rendered in Prometheus text format. */
#ifndef SEAM_GATEWAY_METRICS_H
#define SEAM_GATEWAY_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SEAM_METRICS_SERIES  512
#define SEAM_METRICS_BUCKETS 15

typedef struct seam_hist {
    uint64_t buckets[SEAM_METRICS_BUCKETS]; /* counts per bucket, not cumulative */
    uint64_t count;
    uint64_t sum_us;
} seam_hist;

typedef struct seam_series {
    char route[64], provider[64];
    int status;
    uint64_t requests;
    uint64_t tokens_in, tokens_out;
} seam_series;

/* What routing did, counted per route (seam_route_events_total). */
enum seam_route_event {
    SEAM_EV_RETRY,          /* a call to the same target again */
    SEAM_EV_FALLBACK,       /* a move to the next target of the plan */
    SEAM_EV_OVERFLOW,       /* the picked provider was full: the overflow target took it */
    SEAM_EV_DENIED,         /* no target the request's data may reach (403) */
    SEAM_EV_SHADOW_SENT,    /* a copy went to the shadow target */
    SEAM_EV_SHADOW_OK,      /* ... and it answered 2xx */
    SEAM_EV_SHADOW_FAILED,  /* ... and it failed */
    SEAM_EV_SHADOW_SKIPPED, /* sampled, but not sent (residency, breaker, capacity) */
    SEAM_EV_COUNT
};

#define SEAM_METRICS_ROUTES 128

typedef struct seam_route_events {
    char route[64];
    uint64_t n[SEAM_EV_COUNT];
} seam_route_events;

typedef struct seam_metrics {
    seam_route_events routes[SEAM_METRICS_ROUTES];
    size_t nroutes; /* published with release order */
    seam_series series[SEAM_METRICS_SERIES];
    size_t nseries;    /* published with release order */
    uint64_t overflow; /* requests whose label set did not fit */
    seam_hist total;
    seam_hist upstream;
    int64_t inflight;
} seam_metrics;

/* Counts one finished request.  route/provider may be "" (e.g. 401s). */
void seam_metrics_request(seam_metrics *m, const char *route, const char *provider, int status,
                          uint64_t total_us, uint64_t upstream_us, long tokens_in, long tokens_out);
void seam_metrics_inflight(seam_metrics *m, int delta);
/* Counts one routing event of a route ("" for direct calls). */
void seam_metrics_event(seam_metrics *m, const char *route, enum seam_route_event ev);
/* Renders the sum over n workers' metrics. */
int seam_metrics_render(seam_metrics *const *all, size_t n, seam_buf *out);

#endif
