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

typedef struct seam_metrics {
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
/* Renders the sum over n workers' metrics. */
int seam_metrics_render(seam_metrics *const *all, size_t n, seam_buf *out);

#endif
