/* upstream.c — the calls behind one request: which target, how many tries,
 * what a failure leads to; see request.h.
 *
 * A request's plan is its route's pick (weighted, sticky or by latency,
 * among the targets its data may reach and whose breaker is not open)
 * followed by the route's fallbacks in order.  Each target gets up to
 * retry.per_target calls — the same target again after a backoff that
 * honours Retry-After — and the request at most retry.attempts calls in
 * all, none past timeouts.total.  A failed call leads to another only when
 * its class is in retry.on and nothing of its answer has reached the client;
 * otherwise the client gets the failure as it is.  Targets whose breaker is
 * open, or that the request's data may not reach, are passed over without a
 * call.  When the pick's provider is at max_inflight the request waits up to
 * overflow.wait for a slot, then goes to the route's overflow target.
 *
 * Every call ends in exactly one of: end_call() with its outcome (breaker,
 * latency, slot), or gw_upstream_stop() when the client left first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/clock.h"
#include "gateway/request.h"
#include "route/route.h"

#define MAX_RESPONSE (64u * 1024 * 1024) /* a buffered upstream reply */
#define MAX_EVENT    (8u * 1024 * 1024)  /* one upstream SSE event */
#define SLOT_POLL_MS 1                   /* how often a request waiting for a slot looks */

/* How a call ended, beyond provider.h's SEAM_CALL_* codes. */
enum {
    GW_CUT = 100,     /* a 200 stream that ended before [DONE] */
    GW_NO_FIRST_BYTE, /* timeouts.first_byte passed */
    GW_SILENT,        /* timeouts.between_events passed */
};

/* Direct provider/model calls have no route: they retry with these. */
static const seam_retry_conf direct_retry = {
    .attempts = 3,
    .per_target = 2,
    .backoff_ms = 100,
    .max_backoff_ms = 2000,
    .on = SEAM_RETRY_DEFAULT_ON,
};

static const seam_retry_conf *retry_conf(const gw_req *r)
{
    return r->rc ? &r->rc->retry : &direct_retry;
}

static void attempt(gw_req *r);

/* ---- timers ----------------------------------------------------------- */

/* Arms r's timer for ms from now, never past the request's deadline. */
static void arm(gw_req *r, long ms)
{
    uint64_t now = seam_now_us();
    uint64_t at = now + (uint64_t)ms * 1000;
    if (at > r->deadline_us) at = r->deadline_us;
    uint64_t d = at > now ? at - now : 0;
    struct timeval tv = {(time_t)(d / 1000000), (suseconds_t)(d % 1000000)};
    event_add(r->timer, &tv);
}

static void wait_then_attempt(gw_req *r, int kind, long ms)
{
    r->waiting = kind;
    arm(r, ms);
}

/* ---- notes: what x-seam-fallback says --------------------------------- */

static void note(gw_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(gw_req *r, const char *fmt, ...)
{
    size_t len = strlen(r->notes);
    if (len + 3 >= sizeof r->notes) return;
    if (len) {
        memcpy(r->notes + len, ", ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes + len, sizeof r->notes - len, fmt, ap);
    va_end(ap);
}

static const char *call_error_text(int err)
{
    switch (err) {
    case SEAM_CALL_CONNECT: return "could not be reached";
    case SEAM_CALL_TLS:
        return "could not be reached over TLS: the handshake failed or its certificate was not "
               "verified (a server with an internal CA needs the provider's ca_file)";
    case SEAM_CALL_TIMEOUT: return "did not accept a connection within timeouts.connect";
    case SEAM_CALL_PROTOCOL: return "sent a reply that is not valid HTTP";
    case SEAM_CALL_TOOBIG: return "sent a reply that is too large";
    case SEAM_CALL_NOMEM: return "could not be called (out of memory)";
    default: return "closed the connection before the reply was complete";
    }
}

/* A few words for the notes on how the last call failed. */
static void note_failure(gw_req *r)
{
    switch (r->last_err) {
    case SEAM_CALL_OK: note(r, "%s: HTTP %d", r->target, r->up_status); break;
    case GW_CUT: note(r, "%s: stream cut", r->target); break;
    case GW_NO_FIRST_BYTE: note(r, "%s: no first byte", r->target); break;
    case GW_SILENT: note(r, "%s: stream stalled", r->target); break;
    case SEAM_CALL_CONNECT: note(r, "%s: connect failed", r->target); break;
    case SEAM_CALL_TLS: note(r, "%s: TLS failed", r->target); break;
    case SEAM_CALL_TIMEOUT: note(r, "%s: connect timeout", r->target); break;
    case SEAM_CALL_RESET: note(r, "%s: reset", r->target); break;
    default: note(r, "%s: failed", r->target); break;
    }
}

/* ---- residency -------------------------------------------------------- */

/* Whether r's data may reach pc: the key's, its tenant's and the request's
 * own limits all hold.  When not, why names the rule. */
int gw_may_reach(const gw_req *r, const seam_provider_conf *pc, char *why, size_t n)
{
    const seam_principal *p = r->who;
    const char *rule = NULL, *who = NULL;
    if (!(r->tiers_required & (unsigned)pc->tier)) {
        rule = "tier";
        who = "this request";
    } else if (p && (rule = seam_residency_check(pc, p->regions, p->tiers))) {
        who = "the key";
    } else if (r->tenant &&
               (rule = seam_residency_check(pc, r->tenant->regions, r->tenant->tiers))) {
        who = "the tenant";
    }
    if (!rule) return 1;
    if (strcmp(rule, "tier") == 0)
        snprintf(why, n, "%s may not send data to the %s tier (provider '%s')", who,
                 pc->tier == SEAM_TIER_PRIVATE ? "private" : "vendor", pc->name);
    else
        snprintf(why, n, "%s may not send data to region '%s' (provider '%s')", who,
                 pc->region ? pc->region : "unknown", pc->name);
    return 0;
}

/* ---- the plan --------------------------------------------------------- */

/* The target at plan position pos, its health entry and its provider's
 * index in cfg->providers; NULL past the end. */
static const seam_target_conf *plan_target(const gw_req *r, int pos, seam_target_health **th,
                                           int *pi)
{
    *th = NULL;
    if (!r->rc) {
        *pi = r->direct_pi;
        return pos == 0 ? &r->direct : NULL;
    }
    if (pos == 0) {
        *th = r->overflowed ? r->rh->overflow : r->primary_health;
        *pi = r->overflowed ? r->rh->overflow_pi : r->rh->targets_pi[r->primary - r->rc->targets];
        return r->overflowed ? r->rc->overflow : r->primary;
    }
    if ((size_t)pos > r->rc->nfallbacks) return NULL;
    *th = r->rh->fallbacks[pos - 1];
    *pi = r->rh->fallbacks_pi[pos - 1];
    return &r->rc->fallbacks[pos - 1];
}

static void next_target(gw_req *r)
{
    r->plan_pos++;
    r->tries_here = 0;
}

static double latency_score(const seam_target_conf *t, void *ud)
{
    const gw_req *r = ud;
    return seam_target_score(r->rh->targets[t - r->rc->targets]);
}

/* Picks among the route's targets.  Returns 0, or -1 after answering 403
 * when the request's data may reach none of them. */
static int pick(gw_req *r)
{
    const seam_route_conf *rc = r->rc;
    const seam_config *cfg = r->rt->cfg;
    uint64_t now = seam_now_us();
    seam_target_mask reachable = 0, healthy = 0;
    char why[256] = "";
    for (size_t i = 0; i < rc->ntargets && i < 64; i++) {
        int pi = r->rh->targets_pi[i];
        const seam_provider_conf *pc = &cfg->providers[pi];
        char w[256];
        if (!gw_may_reach(r, pc, w, sizeof w)) {
            if (!why[0]) snprintf(why, sizeof why, "%s", w);
            continue;
        }
        reachable |= (seam_target_mask)1 << i;
        if (seam_breaker_state(r->rh->targets[i], now) != SEAM_BREAKER_OPEN &&
            !seam_provider_is_down(r->rt->prov_health[pi]))
            healthy |= (seam_target_mask)1 << i;
    }
    if (!reachable && !rc->nfallbacks) {
        seam_metrics_event(&r->w->metrics, r->route, SEAM_EV_DENIED);
        gw_fail(r, 403, "residency_denied", "route '%s' has no target this request may use: %s",
                r->route, why);
        return -1;
    }
    /* Open breakers are avoided while another arm can answer. */
    seam_target_mask mask = healthy ? healthy : reachable;
    if (!mask) { /* only fallbacks may take it */
        r->primary = NULL;
        r->plan_pos = 1;
        return 0;
    }
    if (rc->sticky && r->subject_hash)
        r->primary = seam_route_pick_x(rc, mask, r->subject_hash);
    else if (rc->balance == SEAM_BALANCE_LATENCY)
        r->primary = seam_route_pick_p2c(rc, mask, &r->w->rng, latency_score, r);
    else
        r->primary = seam_route_pick_x(rc, mask, seam_rng_next(&r->w->rng));
    if (!r->primary) { /* only weight-0 targets are allowed: take the first of them */
        for (size_t i = 0; i < rc->ntargets && !r->primary; i++)
            if (mask >> i & 1) r->primary = &rc->targets[i];
    }
    r->primary_health = r->rh->targets[r->primary - rc->targets];
    return 0;
}

/* ---- one call --------------------------------------------------------- */

/* Calls in flight per target feed only latency balancing; other routes
 * skip the count (a write to a word all workers share). */
static int counts_calls(const gw_req *r)
{
    return r->rc && r->rc->balance == SEAM_BALANCE_LATENCY;
}

/* Ends the call in flight with its outcome: breaker, latency, slot. */
static void end_call(gw_req *r, int ok)
{
    uint64_t now = seam_now_us();
    if (r->cur_health) {
        uint64_t at = r->first_byte_us ? r->first_byte_us : now;
        seam_breaker_report(r->cur_health, &r->cur_pc->breaker, ok, r->cur_trial, now,
                            at - r->call_start_us);
        if (counts_calls(r)) seam_target_calls(r->cur_health, -1);
    }
    if (r->cur_slot) seam_slot_give(r->cur_slot);
    r->cur_health = NULL;
    r->cur_slot = NULL;
    r->cur_trial = 0;
}

void gw_upstream_stop(gw_req *r)
{
    /* Nothing left to time: a client that left mid-stream is finished by
     * its abort callback, perhaps a loop turn later. */
    event_del(r->timer);
    r->waiting = GW_WAIT_NONE;
    if (r->call) {
        r->prov->vt->cancel(r->call);
        r->call = NULL;
    }
    if (r->cur_health) {
        seam_breaker_abandon(r->cur_health, r->cur_trial);
        if (counts_calls(r)) seam_target_calls(r->cur_health, -1);
    }
    if (r->cur_slot) seam_slot_give(r->cur_slot);
    r->cur_health = NULL;
    r->cur_slot = NULL;
    r->cur_trial = 0;
}

/* What a stream's body gets when its client did not ask for usage. */
static const char usage_option[] = "\"stream_options\":{\"include_usage\":true},";

int gw_splice_body(const gw_req *r, const char *model, seam_buf *out)
{
    size_t mlen = strlen(model);
    const seam_span *m = &r->model_span;
    size_t open = 0; /* the body's '{' (the scanner checked it is an object) */
    while (r->in[open] != '{')
        open++;
    size_t at = r->add_usage ? open + 1 : 0;
    seam_buf_reset(out);
    if (seam_buf_append(out, r->in, at) ||
        (r->add_usage && seam_buf_append(out, usage_option, sizeof usage_option - 1)) ||
        seam_buf_append(out, r->in + at, m->off - at) ||
        seam_buf_append_json_str(out, model, mlen) ||
        seam_buf_append(out, r->in + m->off + m->len, r->in_len - m->off - m->len))
        return -1;
    return 0;
}

/* The body of the call to r->model: the client's own bytes when nothing
 * changes, else spliced; 0 or -1. */
static int body_for(gw_req *r, const char **body, size_t *len)
{
    size_t mlen = strlen(r->model);
    const seam_span *m = &r->model_span;
    if (!r->add_usage && !r->model_escaped && mlen == m->len &&
        memcmp(r->model, r->in + m->off, mlen) == 0) {
        *body = r->in; /* the client's bytes as they came */
        *len = r->in_len;
        return 0;
    }
    r->upbody.max = r->in_len + 2 * GW_MAX_MODEL + sizeof usage_option + 16;
    if (gw_splice_body(r, r->model, &r->upbody) != 0) return -1;
    *body = r->upbody.data;
    *len = r->upbody.len;
    return 0;
}

static void on_head(void *ud, int status, const char *retry_after);
static void on_data(void *ud, const char *p, size_t n);
static void on_done(void *ud, int err);
static void on_usage(void *ud, const seam_usage *u);
static void call_ended(gw_req *r, int err);

/* Starts a call to t (its slot and breaker admission already held). */
static void start_call(gw_req *r, const seam_target_conf *t, int pi, seam_target_health *th)
{
    const seam_config *cfg = r->rt->cfg;
    int same = r->cur == t;
    r->cur = t;
    r->cur_pc = &cfg->providers[pi];
    r->provider = r->cur_pc->name;
    r->prov = r->rt->providers[pi];
    if (r->attempts)
        seam_metrics_event(&r->w->metrics, r->route, same ? SEAM_EV_RETRY : SEAM_EV_FALLBACK);
    r->attempts++;
    r->tries_here++;
    snprintf(r->target, sizeof r->target, "%s/%s", r->provider, t->model);
    snprintf(r->model, sizeof r->model, "%s", t->model);
    if (th && counts_calls(r)) seam_target_calls(th, 1);

    /* what the last call left behind */
    r->up_status = 0;
    r->retry_after[0] = '\0';
    r->first_byte_us = 0;
    r->saw_done = 0;
    r->usage_given = 0;
    r->last_err = SEAM_CALL_OK;
    seam_buf_reset(&r->resp);
    if (r->sse_ready) seam_sse_reader_free(&r->sse);
    r->sse_ready = 0;
    if (r->stream) {
        seam_sse_reader_init(&r->sse, MAX_EVENT);
        r->sse_ready = 1;
    }

    const char *body;
    size_t body_len;
    if (body_for(r, &body, &body_len) != 0) {
        gw_fail(r, 500, "internal", "out of memory");
        return;
    }
    char refuse[256] = "";
    seam_call_req creq = {
        .op = r->op,
        .model = r->model,
        .refuse = refuse,
        .refuse_len = sizeof refuse,
        .body = body,
        .body_len = body_len,
        .stream = r->stream,
        .connect_timeout_ms = cfg->connect_timeout_ms,
    };
    static const seam_call_cbs cbs = {on_head, on_data, on_done, on_usage};
    r->call_start_us = seam_now_us();
    if (!r->up_start_us) r->up_start_us = r->call_start_us;
    r->call = r->prov->vt->start(r->prov, &r->w->io, &creq, &cbs, r);
    if (!r->call && refuse[0]) {
        /* the request, not the target, is at fault: no breaker count */
        gw_fail(r, 400, "unsupported_by_provider", "%s", refuse);
        return;
    }
    if (!r->call) {
        call_ended(r, SEAM_CALL_CONNECT);
        return;
    }
    arm(r, cfg->first_byte_timeout_ms);
    /* The copy leaves after the primary call, so it never delays it. */
    if (r->attempts == 1 && r->rc) gw_shadow_maybe(r);
}

/* Gives up: the last call's failure is the answer, or, when no call was
 * made, why none could be. */
static void give_up(gw_req *r);

/* Starts the next call of the plan, passing over targets that cannot take it. */
static void attempt(gw_req *r)
{
    const seam_retry_conf *rc = retry_conf(r);
    for (;;) {
        uint64_t now = seam_now_us();
        seam_target_health *th;
        int pi;
        const seam_target_conf *t = plan_target(r, r->plan_pos, &th, &pi);
        if (!t || r->attempts >= rc->attempts || now >= r->deadline_us) {
            give_up(r);
            return;
        }
        const seam_provider_conf *pc = &r->rt->cfg->providers[pi];
        char why[256];
        if (!gw_may_reach(r, pc, why, sizeof why)) {
            note(r, "%s/%s: %s", pc->name, t->model, "not allowed for this request");
            next_target(r);
            continue;
        }
        seam_provider_health *ph = r->rt->prov_health[pi];
        /* Only a limited provider's calls are counted: counting costs every
         * call a write to a word all workers share. */
        seam_provider_health *slot = pc->max_inflight ? ph : NULL;
        if (seam_provider_is_down(ph)) {
            note(r, "%s/%s: failing health checks", pc->name, t->model);
            next_target(r);
            continue;
        }
        if (slot && !seam_slot_take(slot, pc->max_inflight)) {
            if (r->plan_pos == 0 && r->rc && r->rc->overflow && !r->overflowed) {
                if (!r->slot_wait_until_us) {
                    r->queued_since_us = now;
                    r->slot_wait_until_us = now + (uint64_t)r->rc->overflow_wait_ms * 1000;
                }
                if (now < r->slot_wait_until_us) {
                    wait_then_attempt(r, GW_WAIT_SLOT, SLOT_POLL_MS);
                    return;
                }
                note(r, "%s/%s: full", pc->name, t->model);
                r->queued_us = now - r->queued_since_us;
                seam_metrics_event(&r->w->metrics, r->route, SEAM_EV_OVERFLOW);
                r->overflowed = 1;
                continue;
            }
            note(r, "%s/%s: full", pc->name, t->model);
            if (!(rc->on & SEAM_RETRY_FULL) || !plan_target(r, r->plan_pos + 1, &th, &pi)) {
                gw_fail(r, 503, "provider_full",
                        "provider '%s' is at its max_inflight (%d calls) and no other target "
                        "may take the request",
                        pc->name, pc->max_inflight);
                return;
            }
            next_target(r);
            continue;
        }
        int trial = 0;
        if (th && !seam_breaker_admit(th, &pc->breaker, now, &trial)) {
            if (slot) seam_slot_give(slot);
            note(r, "%s/%s: circuit open", pc->name, t->model);
            next_target(r);
            continue;
        }
        if (r->queued_since_us && !r->queued_us) r->queued_us = now - r->queued_since_us;
        r->cur_health = th;
        r->cur_slot = slot;
        r->cur_trial = trial;
        start_call(r, t, pi, th);
        return;
    }
}

/* After a failed call: schedules the next one and returns 1, or returns 0
 * when this failure is the answer. */
static int try_again(gw_req *r, unsigned cls)
{
    const seam_retry_conf *rc = retry_conf(r);
    if (!cls || !(rc->on & cls) || r->started || r->attempts >= rc->attempts) return 0;
    uint64_t now = seam_now_us();
    long ra = seam_retry_after_ms(r->retry_after[0] ? r->retry_after : NULL, seam_wall_ms());
    /* Again on the same target, unless it asked for a longer pause than we
     * would wait, or the wait would pass the deadline. */
    if (r->tries_here < rc->per_target && ra <= rc->max_backoff_ms) {
        long wait = seam_backoff_ms(rc, r->tries_here + 1, &r->w->rng);
        if (ra > wait) wait = ra;
        if (now + (uint64_t)wait * 1000 < r->deadline_us) {
            wait_then_attempt(r, GW_WAIT_RETRY, wait);
            return 1;
        }
    }
    seam_target_health *th;
    int pi;
    if (!plan_target(r, r->plan_pos + 1, &th, &pi)) return 0;
    next_target(r);
    wait_then_attempt(r, GW_WAIT_RETRY, 0); /* not from inside the client's callback */
    return 1;
}

/* The retry.on class of how the last call ended; 0: it did not fail. */
static unsigned failure_class(const gw_req *r)
{
    switch (r->last_err) {
    case SEAM_CALL_OK:
        if (r->up_status == 429) return SEAM_RETRY_429;
        return r->up_status >= 500 ? SEAM_RETRY_5XX : 0;
    case SEAM_CALL_CONNECT:
    case SEAM_CALL_TLS: return SEAM_RETRY_CONNECT;
    case SEAM_CALL_TIMEOUT:
    case GW_NO_FIRST_BYTE:
    case GW_SILENT: return SEAM_RETRY_TIMEOUT;
    case SEAM_CALL_RESET:
    case GW_CUT: return SEAM_RETRY_RESET;
    default: return 0; /* an unreadable or oversized reply: the same again */
    }
}

/* The failure a client gets when no other call follows. */
static void deliver(gw_req *r)
{
    const seam_config *cfg = r->rt->cfg;
    int err = r->last_err, st = r->up_status;
    switch (err) {
    case SEAM_CALL_OK: break;
    case GW_CUT:
        gw_fail(r, 502, "upstream_incomplete", "provider '%s' ended the stream before [DONE]",
                r->provider);
        return;
    case GW_NO_FIRST_BYTE:
        gw_fail(r, 504, "upstream_timeout",
                "provider '%s' sent no reply within timeouts.first_byte (%d ms)", r->provider,
                cfg->first_byte_timeout_ms);
        return;
    case GW_SILENT:
        gw_fail(r, 504, "upstream_timeout",
                "provider '%s' sent no stream event within timeouts.between_events (%d ms)",
                r->provider, cfg->idle_timeout_ms);
        return;
    default: {
        int timeout = err == SEAM_CALL_TIMEOUT;
        gw_fail(r, timeout ? 504 : 502, timeout ? "upstream_timeout" : "upstream_unavailable",
                "provider '%s' %s", r->provider, call_error_text(err));
        return;
    }
    }
    const char *body = r->resp.data ? r->resp.data : "";
    if (st >= 200 && st < 300) {
        seam_usage u;
        if (!r->usage_given && seam_json_find_usage(body, r->resp.len, &u) == 0) {
            r->usage = u;
            r->has_usage = 1;
        }
        if (!r->anthropic) {
            gw_answer(r, st, "application/json", body, r->resp.len);
        } else if (seam_anthropic_response_from_openai_model(body, r->resp.len, r->asked_model,
                                                             &r->xout) == 0) {
            gw_answer(r, st, "application/json", r->xout.data, r->xout.len);
        } else {
            gw_fail(r, 502, "upstream_protocol", "provider '%s' sent an answer seam cannot read",
                    r->provider);
        }
    } else if (st == 401 || st == 403) {
        gw_fail(r, 502, "upstream_auth", "provider '%s' refused seam's credentials (HTTP %d)",
                r->provider, st);
    } else if (st == 429) {
        gw_fail(r, 429, "upstream_rate_limited",
                "provider '%s' is rate limiting requests (HTTP 429)", r->provider);
    } else if (st >= 400 && st < 500) {
        /* The vendor's own words about the request are the most useful. */
        r->err_code = "upstream_rejected";
        if (r->anthropic && seam_anthropic_error_from_openai(st, body, r->resp.len, &r->xout) == 0)
            gw_answer(r, st, "application/json", r->xout.data, r->xout.len);
        else
            gw_answer(r, st, "application/json", body, r->resp.len);
    } else {
        gw_fail(r, 502, "upstream_error", "provider '%s' failed (HTTP %d)", r->provider, st);
    }
}

static void give_up(gw_req *r)
{
    if (r->attempts) {
        deliver(r);
        return;
    }
    gw_fail(r, 503, "no_target_available", "no target of route '%s' can take the request now (%s)",
            r->route, r->notes[0] ? r->notes : "none configured");
}

/* The call in flight ended as err (SEAM_CALL_OK: with an HTTP answer). */
static void call_ended(gw_req *r, int err)
{
    r->call = NULL;
    r->last_err = err;
    unsigned cls = failure_class(r);
    /* A 4xx other than 429 is the request's fault, not the target's. */
    end_call(r, err == SEAM_CALL_OK && !cls);
    if (!cls && err == SEAM_CALL_OK) {
        deliver(r);
        return;
    }
    note_failure(r);
    if (try_again(r, cls)) return;
    deliver(r);
}

void gw_upstream_begin(gw_req *r)
{
    const seam_config *cfg = r->rt->cfg;
    r->deadline_us = r->http->start_us + (uint64_t)cfg->total_timeout_ms * 1000;
    if (r->rc && pick(r) != 0) return;
    attempt(r);
}

/* ---- the call's callbacks --------------------------------------------- */

void gw_on_timer(evutil_socket_t fd, short what, void *arg)
{
    gw_req *r = arg;
    const seam_config *cfg = r->rt->cfg;
    if (r->waiting) {
        r->waiting = GW_WAIT_NONE;
        if (seam_now_us() >= r->deadline_us && !r->attempts) {
            gw_fail(r, 504, "upstream_timeout",
                    "no upstream call could start within "
                    "timeouts.total (%d ms)",
                    cfg->total_timeout_ms);
            return;
        }
        attempt(r);
        return;
    }
    if (seam_now_us() >= r->deadline_us) {
        gw_fail(r, 504, "upstream_timeout",
                "provider '%s' did not finish within timeouts.total (%d ms)", r->provider,
                cfg->total_timeout_ms);
        return;
    }
    /* A call that has sent the client nothing yet may still be replaced. */
    int silent = r->first_byte_us != 0;
    if (silent && r->started) {
        gw_fail(r, 504, "upstream_timeout",
                "provider '%s' sent no stream event within timeouts.between_events (%d ms)",
                r->provider, cfg->idle_timeout_ms);
        return;
    }
    r->prov->vt->cancel(r->call);
    call_ended(r, silent ? GW_SILENT : GW_NO_FIRST_BYTE);
}

static void on_head(void *ud, int status, const char *retry_after)
{
    gw_req *r = ud;
    r->up_status = status;
    if (retry_after) snprintf(r->retry_after, sizeof r->retry_after, "%s", retry_after);
}

static int is_done_marker(const seam_sse_event *ev)
{
    return ev->data && ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0;
}

/* The final chunk include_usage adds: usage and no choices. */
static int is_usage_only(const seam_sse_event *ev)
{
    return memmem(ev->data, ev->data_len, "\"choices\":[]", 12) ||
           memmem(ev->data, ev->data_len, "\"choices\": []", 13);
}

/* What on_event tells seam_sse_feed's caller when it stops early; the
 * request is never finished from inside the reader's callback. */
#define EVENT_CLIENT_GONE 1
#define EVENT_UNREADABLE  2

static int on_event(void *ud, const seam_sse_event *ev)
{
    gw_req *r = ud;
    if (!r->started) {
        r->started = 1;
        gw_stream_start(r);
    }
    if (is_done_marker(ev)) {
        r->saw_done = 1;
    } else if (ev->data && memmem(ev->data, ev->data_len, "\"usage\"", 7)) {
        seam_usage u;
        if (seam_json_find_usage(ev->data, ev->data_len, &u) == 0) {
            r->usage = u;
            r->has_usage = 1;
            /* the usage chunk seam asked for: counted, not passed on */
            if (r->add_usage && !r->anthropic && is_usage_only(ev)) return 0;
        }
    }
    const char *out = ev->raw;
    size_t n = ev->raw_len;
    if (r->anthropic) {
        if (!ev->data) return 0; /* a comment: nothing to say in Anthropic's stream */
        seam_buf_reset(&r->xout);
        if (seam_anthropic_stream_event(r->astream, ev->data, ev->data_len, &r->xout) != 0)
            return EVENT_UNREADABLE;
        out = r->xout.data;
        n = r->xout.len;
    }
    if (n && seam_http_stream_write(r->http, out, n) != 0) {
        /* the client is gone or too slow: its abort callback finishes r */
        gw_upstream_stop(r);
        return EVENT_CLIENT_GONE;
    }
    return 0;
}

static void on_data(void *ud, const char *p, size_t n)
{
    gw_req *r = ud;
    const seam_config *cfg = r->rt->cfg;
    if (!r->first_byte_us) r->first_byte_us = seam_now_us();
    if (r->stream && r->up_status == 200) {
        int rc = seam_sse_feed(&r->sse, p, n, on_event, r);
        if (rc == EVENT_CLIENT_GONE) return;
        if (rc == EVENT_UNREADABLE) {
            gw_fail(r, 502, "upstream_protocol",
                    "provider '%s' sent a stream event seam cannot read", r->provider);
            return;
        }
        if (rc == SEAM_SSE_TOOBIG) {
            gw_fail(r, 502, "upstream_event_too_large",
                    "provider '%s' sent a stream event over %u bytes", r->provider, MAX_EVENT);
            return;
        }
        arm(r, cfg->idle_timeout_ms);
        return;
    }
    if (seam_buf_append(&r->resp, p, n) != 0) {
        gw_fail(r, 502, "upstream_reply_too_large", "provider '%s' sent a reply over %u bytes",
                r->provider, MAX_RESPONSE);
        return;
    }
    arm(r, cfg->total_timeout_ms);
}

/* Counts the provider wrote itself: not read back out of the body. */
static void on_usage(void *ud, const seam_usage *u)
{
    gw_req *r = ud;
    r->usage = *u;
    r->has_usage = 1;
    r->usage_given = 1;
}

static void on_done(void *ud, int err)
{
    gw_req *r = ud;
    r->call = NULL; /* it freed itself */
    r->up_end_us = seam_now_us();
    if (err == SEAM_CALL_OK && r->stream && r->up_status == 200) {
        /* an event whose last byte was a bare CR is only complete now */
        int rc = seam_sse_finish(&r->sse, on_event, r);
        if (rc == EVENT_CLIENT_GONE) return;
        if (rc == 0 && r->saw_done && (!r->anthropic || seam_anthropic_stream_done(r->astream))) {
            end_call(r, 1);
            gw_stream_end(r);
            return;
        }
        err = GW_CUT;
    }
    call_ended(r, err);
}
