/* pipeline.c — one request's journey: authenticate, decode, route, call the
 * provider, relay the answer, record.
 *
 * The request body is validated and read in one pass (api/json_scan) and
 * forwarded as the client's own bytes, with only the model name spliced
 * when the route names a different one.  Streams are relayed event by event
 * as whole SSE events, so an error can always be appended as a clean event.
 *
 * Ordering rule: seam_http_respond() and seam_http_stream_end() may start
 * the connection's next (pipelined) request before they return, so the
 * access log and metrics are written first and the seam_http_req is never
 * touched after them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api/anthropic.h"
#include "api/json_scan.h"
#include "api/openai_error.h"
#include "core/clock.h"
#include "gateway/auth.h"
#include "gateway/worker.h"
#include "http/sse.h"
#include "route/route.h"

#define MAX_RESPONSE (64u * 1024 * 1024) /* a buffered upstream reply */
#define MAX_EVENT    (8u * 1024 * 1024)  /* one upstream SSE event */
#define MAX_MODEL    256

typedef struct gw_req {
    seam_worker *w;
    seam_http_req *http;
    seam_runtime *rt;
    const seam_principal *who;
    struct gw_req *prev, *next;

    seam_op op;
    int stream;
    const char *route;    /* route name, "" for direct access */
    const char *provider; /* provider name, "" before routing */
    char target[MAX_MODEL + 64];
    char model[MAX_MODEL];
    char hdrs[MAX_MODEL + 160]; /* x-seam-* response headers */
    seam_provider *prov;
    seam_call *call;

    seam_buf upbody;
    seam_buf resp;
    int anthropic;                /* the client speaks Anthropic's Messages API */
    seam_anthropic_stream *astream;
    seam_buf xbody;               /* an Anthropic client's request, in OpenAI's format */
    seam_buf xout;                /* answer bytes translated for the client */
    seam_sse_reader sse;
    struct event *timer;
    uint64_t deadline_us; /* timeouts.total */

    int up_status;
    char retry_after[32];
    int started; /* stream: first event sent to the client */
    int saw_done;
    uint64_t up_start_us, first_byte_us, up_end_us;
    seam_usage usage;
    int has_usage;
    const char *err_code; /* seam code of the error answered, if any */
} gw_req;

/* ---- request states: pooled per worker -------------------------------- */

static void on_timer(evutil_socket_t fd, short what, void *arg);

static gw_req *req_get(seam_worker *w)
{
    gw_req *r = w->free_reqs;
    if (r) {
        w->free_reqs = r->next;
    } else {
        r = calloc(1, sizeof *r);
        if (!r) return NULL;
        seam_buf_init(&r->upbody, 0);
        seam_buf_init(&r->resp, MAX_RESPONSE);
        seam_buf_init(&r->xbody, 0);
        seam_buf_init(&r->xout, MAX_RESPONSE);
        r->timer = evtimer_new(w->base, on_timer, r);
        if (!r->timer) {
            free(r);
            return NULL;
        }
    }
    r->w = w;
    r->next = w->live;
    r->prev = NULL;
    if (w->live) w->live->prev = r;
    w->live = r;
    seam_metrics_inflight(&w->metrics, 1);
    return r;
}

/* Returns r to the pool; h and the call must already be let go. */
static void req_put(gw_req *r)
{
    seam_worker *w = r->w;
    if (r->timer) event_del(r->timer);
    if (r->who) seam_auth_release(w->auth, r->who);
    if (r->rt) seam_runtime_unref(r->rt);
    if (r->stream) seam_sse_reader_free(&r->sse);
    seam_anthropic_stream_free(r->astream);
    if (r->prev)
        r->prev->next = r->next;
    else
        w->live = r->next;
    if (r->next) r->next->prev = r->prev;
    seam_metrics_inflight(&w->metrics, -1);
    /* keep buffers for reuse unless one request made them large */
    if (r->resp.cap > 1024 * 1024) seam_buf_free(&r->resp);
    if (r->upbody.cap > 1024 * 1024) seam_buf_free(&r->upbody);
    if (r->xbody.cap > 1024 * 1024) seam_buf_free(&r->xbody);
    if (r->xout.cap > 1024 * 1024) seam_buf_free(&r->xout);
    seam_buf_reset(&r->resp);
    seam_buf_reset(&r->upbody);
    seam_buf_reset(&r->xbody);
    seam_buf_reset(&r->xout);
    seam_buf upbody = r->upbody, resp = r->resp, xbody = r->xbody, xout = r->xout;
    struct event *timer = r->timer;
    memset(r, 0, sizeof *r);
    r->upbody = upbody;
    r->resp = resp;
    r->xbody = xbody;
    r->xout = xout;
    r->timer = timer;
    r->next = w->free_reqs;
    w->free_reqs = r;
}

void seam_pipeline_free_pool(seam_worker *w)
{
    while (w->free_reqs) {
        gw_req *r = w->free_reqs;
        w->free_reqs = r->next;
        seam_buf_free(&r->upbody);
        seam_buf_free(&r->resp);
        seam_buf_free(&r->xbody);
        seam_buf_free(&r->xout);
        event_free(r->timer);
        free(r);
    }
}

/* ---- recording -------------------------------------------------------- */

static void record(gw_req *r, int status)
{
    seam_worker *w = r->w;
    seam_http_req *h = r->http;
    uint64_t now = seam_now_us();
    uint64_t total = now - h->start_us;
    uint64_t upstream = r->up_start_us ? (r->up_end_us ? r->up_end_us : now) - r->up_start_us : 0;
    long tin = r->has_usage ? r->usage.prompt_tokens : 0;
    long tout = r->has_usage ? r->usage.completion_tokens : 0;
    seam_metrics_request(&w->metrics, r->route ? r->route : "", r->provider ? r->provider : "",
                         status, total, upstream, tin, tout);
    if (!r->rt || !r->rt->cfg->access_log) return;

    /* No prompt, answer or secret ever goes in here: names, numbers, codes. */
    char line[1024];
    seam_buf b = {line, 0, sizeof line, sizeof line - 1};
    b.data[0] = '\0';
    char *heap = NULL;
    (void)heap;
    seam_buf_printf(&b, "{\"ts\":%lld,\"worker\":%d,\"peer\":\"%s\",\"method\":\"%s\",\"path\":\"",
                    (long long)seam_wall_ms(), w->id, h->peer,
                    h->method == SEAM_HTTP_GET    ? "GET"
                    : h->method == SEAM_HTTP_POST ? "POST"
                    : h->method == SEAM_HTTP_HEAD ? "HEAD"
                                                  : "OTHER");
    seam_buf_append_json_str(&b, h->path, strnlen(h->path, 128));
    seam_buf_printf(&b, "\",\"status\":%d", status);
    if (r->who) {
        seam_buf_append_str(&b, ",\"key\":\"");
        seam_buf_append_json_str(&b, r->who->key_name, strlen(r->who->key_name));
        seam_buf_append_str(&b, "\"");
        if (r->who->tenant && r->who->tenant[0]) {
            seam_buf_append_str(&b, ",\"tenant\":\"");
            seam_buf_append_json_str(&b, r->who->tenant, strlen(r->who->tenant));
            seam_buf_append_str(&b, "\"");
        }
    }
    if (r->route && r->route[0]) {
        seam_buf_append_str(&b, ",\"route\":\"");
        seam_buf_append_json_str(&b, r->route, strlen(r->route));
        seam_buf_append_str(&b, "\"");
    }
    if (r->target[0]) {
        seam_buf_append_str(&b, ",\"target\":\"");
        seam_buf_append_json_str(&b, r->target, strlen(r->target));
        seam_buf_printf(&b, "\",\"stream\":%s", r->stream ? "true" : "false");
    }
    if (r->up_status) seam_buf_printf(&b, ",\"upstream_status\":%d", r->up_status);
    seam_buf_printf(&b, ",\"duration_us\":%llu", (unsigned long long)total);
    if (upstream) seam_buf_printf(&b, ",\"upstream_us\":%llu", (unsigned long long)upstream);
    if (r->first_byte_us)
        seam_buf_printf(&b, ",\"ttfb_us\":%llu",
                        (unsigned long long)(r->first_byte_us - r->up_start_us));
    if (r->has_usage) seam_buf_printf(&b, ",\"tokens_in\":%ld,\"tokens_out\":%ld", tin, tout);
    if (r->err_code) seam_buf_printf(&b, ",\"error\":\"%s\"", r->err_code);
    if (seam_buf_append_str(&b, "}\n") != 0) {
        /* a line that does not fit is cut to a valid, marked record */
        b.len = 0;
        seam_buf_printf(&b, "{\"ts\":%lld,\"worker\":%d,\"status\":%d,\"truncated\":true}\n",
                        (long long)seam_wall_ms(), w->id, status);
    }
    seam_logbuf_line(&w->log, b.data, b.len);
}

/* ---- answering -------------------------------------------------------- */

static void answer(gw_req *r, int status, const char *ctype, const char *extra, const char *body,
                   size_t n)
{
    seam_http_req *h = r->http;
    record(r, status);
    r->http = NULL;
    seam_http_respond(h, status, ctype, extra ? extra : "", body, n);
    req_put(r);
}

/* Ends the request with a seam error, in whatever shape the client can
 * still receive: error JSON, or an SSE error event once a stream began. */
static void fail(gw_req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(gw_req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->call) {
        r->prov->vt->cancel(r->call);
        r->call = NULL;
    }
    r->err_code = code;
    seam_buf body;
    char small[1024];
    body = (seam_buf){small, 0, sizeof small, sizeof small - 1};
    small[0] = '\0';
    if (r->started) {
        if (r->anthropic)
            seam_anthropic_stream_error(r->astream, status, msg, &body);
        else
            seam_openai_error_event(&body, status, code, msg);
        seam_http_req *h = r->http;
        record(r, status);
        r->http = NULL;
        seam_http_stream_write(h, body.data, body.len);
        seam_http_stream_end(h);
        req_put(r);
        return;
    }
    if (r->anthropic)
        seam_anthropic_error_json(&body, status, msg);
    else
        seam_openai_error_json(&body, status, code, msg);
    char extra[sizeof r->hdrs + 64];
    snprintf(extra, sizeof extra, "%s%s%s%s", r->hdrs, r->retry_after[0] ? "Retry-After: " : "",
             r->retry_after, r->retry_after[0] ? "\r\n" : "");
    answer(r, status, "application/json", extra, body.data, body.len);
}

const char *seam_pipeline_error_body(int status, const char *code, const char *message,
                                     seam_buf *out)
{
    seam_openai_error_json(out, status, code, message);
    return "application/json";
}

/* ---- timers ----------------------------------------------------------- */

static void arm(gw_req *r, int ms)
{
    uint64_t now = seam_now_us();
    uint64_t at = now + (uint64_t)ms * 1000;
    if (at > r->deadline_us) at = r->deadline_us;
    uint64_t d = at > now ? at - now : 0;
    struct timeval tv = {(time_t)(d / 1000000), (suseconds_t)(d % 1000000)};
    event_add(r->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    gw_req *r = arg;
    const seam_config *cfg = r->rt->cfg;
    if (seam_now_us() >= r->deadline_us)
        fail(r, 504, "upstream_timeout",
             "provider '%s' did not finish within timeouts.total (%d ms)", r->provider,
             cfg->total_timeout_ms);
    else if (!r->first_byte_us)
        fail(r, 504, "upstream_timeout",
             "provider '%s' sent no reply within timeouts.first_byte (%d ms)", r->provider,
             cfg->first_byte_timeout_ms);
    else
        fail(r, 504, "upstream_timeout",
             "provider '%s' sent no stream event within timeouts.between_events (%d ms)",
             r->provider, cfg->idle_timeout_ms);
}

/* ---- upstream callbacks ----------------------------------------------- */

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

/* What on_event tells seam_sse_feed's caller when it stops early; the
 * request is never finished from inside the reader's callback. */
#define EVENT_CLIENT_GONE 1
#define EVENT_UNREADABLE 2

static int on_event(void *ud, const seam_sse_event *ev)
{
    gw_req *r = ud;
    if (!r->started) {
        r->started = 1;
        seam_http_stream_start(r->http, 200, "text/event-stream", r->hdrs);
    }
    if (is_done_marker(ev)) {
        r->saw_done = 1;
    } else if (ev->data && memmem(ev->data, ev->data_len, "\"usage\"", 7)) {
        seam_usage u;
        if (seam_json_find_usage(ev->data, ev->data_len, &u) == 0) {
            r->usage = u;
            r->has_usage = 1;
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
        if (r->call) r->prov->vt->cancel(r->call);
        r->call = NULL;
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
            fail(r, 502, "upstream_protocol", "provider '%s' sent a stream event seam cannot read",
                 r->provider);
            return;
        }
        if (rc == SEAM_SSE_TOOBIG) {
            fail(r, 502, "upstream_event_too_large",
                 "provider '%s' sent a stream event over %u bytes", r->provider, MAX_EVENT);
            return;
        }
        arm(r, cfg->idle_timeout_ms);
        return;
    }
    if (seam_buf_append(&r->resp, p, n) != 0) {
        fail(r, 502, "upstream_reply_too_large", "provider '%s' sent a reply over %u bytes",
             r->provider, MAX_RESPONSE);
        return;
    }
    arm(r, cfg->total_timeout_ms);
}

static const char *call_error_text(int err)
{
    switch (err) {
    case SEAM_CALL_CONNECT: return "could not be reached";
    case SEAM_CALL_TIMEOUT: return "did not accept a connection within timeouts.connect";
    case SEAM_CALL_PROTOCOL: return "sent a reply that is not valid HTTP";
    case SEAM_CALL_TOOBIG: return "sent a reply that is too large";
    case SEAM_CALL_NOMEM: return "could not be called (out of memory)";
    default: return "closed the connection before the reply was complete";
    }
}

static void on_done(void *ud, int err)
{
    gw_req *r = ud;
    r->call = NULL; /* it freed itself */
    r->up_end_us = seam_now_us();
    if (err != SEAM_CALL_OK) {
        int timeout = err == SEAM_CALL_TIMEOUT;
        fail(r, timeout ? 504 : 502, timeout ? "upstream_timeout" : "upstream_unavailable",
             "provider '%s' %s", r->provider, call_error_text(err));
        return;
    }
    int st = r->up_status;
    if (r->stream && st == 200) {
        /* an event whose last byte was a bare CR is only complete now */
        int rc = seam_sse_finish(&r->sse, on_event, r);
        if (rc == EVENT_CLIENT_GONE) return;
        if (rc != 0 || !r->saw_done || (r->anthropic && !seam_anthropic_stream_done(r->astream))) {
            fail(r, 502, "upstream_incomplete", "provider '%s' ended the stream before [DONE]",
                 r->provider);
            return;
        }
        seam_http_req *h = r->http;
        record(r, 200);
        r->http = NULL;
        seam_http_stream_end(h);
        req_put(r);
        return;
    }
    const char *body = r->resp.data ? r->resp.data : "";
    if (st >= 200 && st < 300) {
        seam_usage u;
        if (seam_json_find_usage(body, r->resp.len, &u) == 0) {
            r->usage = u;
            r->has_usage = 1;
        }
        if (!r->anthropic) {
            answer(r, st, "application/json", r->hdrs, body, r->resp.len);
        } else if (seam_anthropic_response_from_openai(body, r->resp.len, &r->xout) == 0) {
            answer(r, st, "application/json", r->hdrs, r->xout.data, r->xout.len);
        } else {
            fail(r, 502, "upstream_protocol", "provider '%s' sent an answer seam cannot read",
                 r->provider);
        }
    } else if (st == 401 || st == 403) {
        fail(r, 502, "upstream_auth", "provider '%s' refused seam's credentials (HTTP %d)",
             r->provider, st);
    } else if (st == 429) {
        fail(r, 429, "upstream_rate_limited", "provider '%s' is rate limiting requests (HTTP 429)",
             r->provider);
    } else if (st >= 400 && st < 500) {
        /* The vendor's own words about the request are the most useful. */
        r->err_code = "upstream_rejected";
        if (r->anthropic && seam_anthropic_error_from_openai(st, body, r->resp.len, &r->xout) == 0)
            answer(r, st, "application/json", r->hdrs, r->xout.data, r->xout.len);
        else
            answer(r, st, "application/json", r->hdrs, body, r->resp.len);
    } else {
        fail(r, 502, "upstream_error", "provider '%s' failed (HTTP %d)", r->provider, st);
    }
}

static void on_client_abort(void *ud)
{
    gw_req *r = ud;
    if (r->call) {
        r->prov->vt->cancel(r->call);
        r->call = NULL;
    }
    r->err_code = "client_closed";
    record(r, 499);
    r->http = NULL;
    req_put(r);
}

void seam_pipeline_abort_all(seam_worker *w)
{
    while (w->live) {
        gw_req *r = w->live;
        if (r->http)
            fail(r, 503, "shutting_down", "seam is shutting down");
        else
            req_put(r);
    }
}

/* ---- the stages ------------------------------------------------------- */

static int authenticate(gw_req *r)
{
    const char *hdr = seam_http_header_get(r->http, "authorization");
    const char *xkey = hdr ? NULL : seam_http_header_get(r->http, "x-api-key");
    int rc = xkey && *xkey ? seam_auth_check_key(r->w->auth, xkey, strlen(xkey), &r->who)
                           : seam_auth_check(r->w->auth, hdr, &r->who);
    if (rc == 0) return 0;
    r->who = NULL;
    if (rc == SEAM_AUTH_MISSING)
        fail(r, 401, "missing_api_key",
             "no API key: send the header 'Authorization: Bearer sk-seam-...' (or "
             "'x-api-key: sk-seam-...')");
    else
        fail(r, 401, "invalid_api_key", "the API key is not valid or has been revoked");
    return -1;
}

/* Finds the provider and upstream model for the client's `model`. */
static int resolve(gw_req *r, const char *model)
{
    const seam_config *cfg = r->rt->cfg;
    const char *slash = strchr(model, '/');
    const char *upstream_model;
    if (slash) {
        char pname[MAX_MODEL];
        size_t plen = (size_t)(slash - model);
        memcpy(pname, model, plen);
        pname[plen] = '\0';
        const seam_provider_conf *pc = seam_config_provider(cfg, pname);
        if (!pc || !slash[1]) {
            fail(r, 404, "unknown_model",
                 "model '%s' is neither a route nor provider/model with a configured provider",
                 model);
            return -1;
        }
        if (!seam_principal_allows_direct(r->who, pc->name, slash + 1)) {
            fail(r, 403, "route_not_allowed", "this key may not call '%s' directly", model);
            return -1;
        }
        r->route = "";
        r->provider = pc->name;
        upstream_model = slash + 1;
    } else {
        const seam_route_conf *rc = seam_config_route(cfg, model);
        if (!rc) {
            fail(r, 404, "unknown_route",
                 "model '%s' is not a route of this gateway (GET /v1/models lists yours)", model);
            return -1;
        }
        r->route = rc->name;
        if (!seam_principal_allows_route(r->who, rc->name)) {
            fail(r, 403, "route_not_allowed", "this key may not use route '%s'", model);
            return -1;
        }
        const seam_target_conf *t = seam_route_pick(rc, &r->w->rng);
        if (!t) {
            fail(r, 503, "no_target", "route '%s' has no target with a weight above 0", model);
            return -1;
        }
        r->provider = t->provider;
        upstream_model = t->model;
    }
    r->prov = seam_runtime_provider(r->rt, r->provider);
    snprintf(r->target, sizeof r->target, "%s/%s", r->provider, upstream_model);
    snprintf(r->hdrs, sizeof r->hdrs, "x-seam-route: %s\r\nx-seam-target: %s\r\n",
             r->route[0] ? r->route : "-", r->target);
    /* the upstream model name, kept in r->model for the body splice */
    if (upstream_model != r->model) {
        memmove(r->model, upstream_model, strlen(upstream_model) + 1);
    }
    return 0;
}

static void model_call(gw_req *r, seam_op op)
{
    seam_http_req *h = r->http;
    const seam_config *cfg = r->rt->cfg;
    if (authenticate(r) != 0) return;

    /* in: the request in OpenAI's format, as the client sent it or translated */
    const char *in = h->body;
    size_t in_len = h->body_len;
    seam_json_error jerr;
    if (r->anthropic) {
        if (seam_json_validate(in, in_len, &jerr) != 0) {
            fail(r, 400, "invalid_json", "request body is not valid JSON: %s (line %d, column %d)",
                 jerr.msg, jerr.line, jerr.column);
            return;
        }
        char why[256];
        int stream = 0;
        r->xbody.max = 2 * in_len + 4096;
        if (seam_anthropic_request_to_openai(in, in_len, &r->xbody, &stream, why, sizeof why) != 0) {
            fail(r, 400, "invalid_request", "%s", why);
            return;
        }
        in = r->xbody.data;
        in_len = r->xbody.len;
    }

    seam_openai_req q;
    if (seam_openai_scan_request(in, in_len, &q, &jerr) != 0) {
        fail(r, 400, "invalid_json", "request body is not valid JSON: %s (line %d, column %d)",
             jerr.msg, jerr.line, jerr.column);
        return;
    }
    if (!q.has_model || q.model_not_string) {
        fail(r, 400, "model_required", "'model' is required and must be a string");
        return;
    }
    if (q.model_count > 1) {
        /* parsers disagree on which duplicate wins: never route on one and
         * let the upstream read another */
        fail(r, 400, "duplicate_model", "'model' appears more than once");
        return;
    }
    if (op == SEAM_OP_CHAT && !q.has_messages) {
        fail(r, 400, "messages_required", "'messages' is required");
        return;
    }
    if (op == SEAM_OP_EMBEDDINGS && !q.has_input) {
        fail(r, 400, "input_required", "'input' is required");
        return;
    }
    char model[MAX_MODEL];
    long mlen_decoded = seam_json_unescape(in + q.model.off, q.model.len, model, sizeof model);
    if (mlen_decoded < 1 || (size_t)mlen_decoded != strlen(model)) {
        fail(r, 400, "invalid_model", "'model' must be a non-empty name under %d bytes", MAX_MODEL);
        return;
    }
    r->op = op;
    r->stream = op == SEAM_OP_CHAT && q.stream;
    if (resolve(r, model) != 0) return;

    /* Forward the client's bytes; splice the model only when it changes. */
    const char *body = in;
    size_t body_len = in_len;
    size_t mlen = strlen(r->model);
    if (q.model_escaped || mlen != q.model.len || memcmp(r->model, in + q.model.off, mlen)) {
        r->upbody.max = body_len + 2 * MAX_MODEL + 16;
        seam_buf_reset(&r->upbody);
        if (seam_buf_append(&r->upbody, in, q.model.off) ||
            seam_buf_append_json_str(&r->upbody, r->model, mlen) ||
            seam_buf_append(&r->upbody, in + q.model.off + q.model.len,
                            body_len - q.model.off - q.model.len)) {
            fail(r, 500, "internal", "out of memory");
            return;
        }
        body = r->upbody.data;
        body_len = r->upbody.len;
    }

    if (r->stream) seam_sse_reader_init(&r->sse, MAX_EVENT);
    if (r->stream && r->anthropic && !(r->astream = seam_anthropic_stream_new(model))) {
        fail(r, 500, "internal", "out of memory");
        return;
    }
    char refuse[256] = "";
    seam_call_req creq = {
        .op = op,
        .model = r->model,
        .refuse = refuse,
        .refuse_len = sizeof refuse,
        .body = body,
        .body_len = body_len,
        .stream = r->stream,
        .connect_timeout_ms = cfg->connect_timeout_ms,
    };
    static const seam_call_cbs cbs = {on_head, on_data, on_done};
    r->up_start_us = seam_now_us();
    r->deadline_us = h->start_us + (uint64_t)cfg->total_timeout_ms * 1000;
    r->call = r->prov->vt->start(r->prov, &r->w->io, &creq, &cbs, r);
    if (!r->call && refuse[0]) {
        fail(r, 400, "unsupported_by_provider", "%s", refuse);
        return;
    }
    if (!r->call) {
        fail(r, 502, "upstream_unavailable", "could not start a call to provider '%s'",
             r->provider);
        return;
    }
    seam_http_on_abort(h, on_client_abort, r);
    arm(r, cfg->first_byte_timeout_ms);
}

/* Anthropic's count_tokens: an estimate made here, no upstream involved. */
static void count_tokens(gw_req *r)
{
    if (authenticate(r) != 0) return;
    seam_http_req *h = r->http;
    seam_json_error jerr;
    if (seam_json_validate(h->body, h->body_len, &jerr) != 0) {
        fail(r, 400, "invalid_json", "request body is not valid JSON: %s (line %d, column %d)",
             jerr.msg, jerr.line, jerr.column);
        return;
    }
    char why[256];
    if (seam_anthropic_count_tokens(h->body, h->body_len, &r->xout, why, sizeof why) != 0) {
        fail(r, 400, "invalid_request", "%s", why);
        return;
    }
    answer(r, 200, "application/json", "", r->xout.data, r->xout.len);
}

static void list_models(gw_req *r)
{
    if (authenticate(r) != 0) return;
    const seam_config *cfg = r->rt->cfg;
    seam_buf *b = &r->resp;
    int rc = seam_buf_append_str(b, "{\"object\":\"list\",\"data\":[");
    int first = 1;
    for (size_t i = 0; i < cfg->nroutes && !rc; i++) {
        const char *name = cfg->routes[i].name;
        if (!seam_principal_allows_route(r->who, name)) continue;
        rc = seam_buf_append_str(b, first ? "{\"id\":\"" : ",{\"id\":\"");
        if (!rc) rc = seam_buf_append_json_str(b, name, strlen(name));
        if (!rc)
            rc = seam_buf_append_str(
                b, "\",\"object\":\"model\",\"created\":0,\"owned_by\":\"seam\"}");
        first = 0;
    }
    if (!rc) rc = seam_buf_append_str(b, "]}");
    if (rc) {
        fail(r, 500, "internal", "out of memory");
        return;
    }
    answer(r, 200, "application/json", "", b->data, b->len);
}

static void metrics(gw_req *r)
{
    seam_worker *w = r->w;
    seam_metrics *all[256];
    int n = w->nall < 256 ? w->nall : 256;
    for (int i = 0; i < n; i++)
        all[i] = &w->all[i].metrics;
    r->resp.max = 16 * 1024 * 1024;
    if (seam_metrics_render(all, (size_t)n, &r->resp) != 0) {
        fail(r, 500, "internal", "metrics did not fit");
        return;
    }
    answer(r, 200, "text/plain; version=0.0.4", "", r->resp.data, r->resp.len);
}

void seam_pipeline_handle(seam_http_req *h, void *arg)
{
    seam_worker *w = arg;
    gw_req *r = req_get(w);
    if (!r) {
        static const char oom[] =
            "{\"error\":{\"message\":\"out of memory\",\"type\":\"api_error\","
            "\"param\":null,\"code\":\"internal\"}}";
        seam_http_respond(h, 503, "application/json", "", oom, sizeof oom - 1);
        return;
    }
    r->http = h;
    r->rt = seam_runtime_ref(w->rt);
    r->resp.max = MAX_RESPONSE;
    const char *p = h->path;
    int get = h->method == SEAM_HTTP_GET || h->method == SEAM_HTTP_HEAD;
    int post = h->method == SEAM_HTTP_POST;

    if (strcmp(p, "/v1/chat/completions") == 0 || strcmp(p, "/chat/completions") == 0) {
        if (post) return model_call(r, SEAM_OP_CHAT);
    } else if (strcmp(p, "/v1/messages") == 0) {
        r->anthropic = 1;
        if (post) return model_call(r, SEAM_OP_CHAT);
    } else if (strcmp(p, "/v1/messages/count_tokens") == 0) {
        r->anthropic = 1;
        if (post) return count_tokens(r);
    } else if (strcmp(p, "/v1/embeddings") == 0 || strcmp(p, "/embeddings") == 0) {
        if (post) return model_call(r, SEAM_OP_EMBEDDINGS);
    } else if (strcmp(p, "/v1/models") == 0 || strcmp(p, "/models") == 0) {
        if (get) return list_models(r);
    } else if (strcmp(p, "/healthz") == 0) {
        if (get) {
            static const char ok[] = "{\"status\":\"ok\"}";
            return answer(r, 200, "application/json", "", ok, sizeof ok - 1);
        }
    } else if (strcmp(p, "/metrics") == 0) {
        if (get) return metrics(r);
    } else {
        return fail(r, 404, "not_found", "no such endpoint: %s", p);
    }
    fail(r, 405, "method_not_allowed", "%s does not accept this method", p);
}
