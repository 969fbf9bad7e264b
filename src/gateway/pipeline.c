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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api/openai_error.h"
#include "core/clock.h"
#include "gateway/request.h"
#include "route/route.h"

#define MAX_RESPONSE (64u * 1024 * 1024) /* a buffered upstream reply */

/* ---- request states: pooled per worker -------------------------------- */

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
        r->timer = evtimer_new(w->base, gw_on_timer, r);
        if (!r->timer) {
            free(r);
            return NULL;
        }
    }
    r->w = w;
    r->id = ++w->served;
    r->tiers_required = SEAM_TIER_ALL;
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
    if (r->sse_ready) seam_sse_reader_free(&r->sse);
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
    seam_buf_printf(&b,
                    "{\"ts\":%lld,\"id\":\"%d-%llu\",\"worker\":%d,\"peer\":\"%s\",\"method\":\"%"
                    "s\",\"path\":\"",
                    (long long)seam_wall_ms(), w->id, (unsigned long long)r->id, w->id, h->peer,
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
    if (r->attempts > 1) seam_buf_printf(&b, ",\"attempts\":%d", r->attempts);
    if (r->queued_since_us)
        seam_buf_printf(&b, ",\"queued_us\":%llu", (unsigned long long)r->queued_us);
    if (r->plan_pos > 0 || r->overflowed)
        seam_buf_printf(&b, ",\"fallback\":true%s", r->overflowed ? ",\"overflow\":true" : "");
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

/* The x-seam-* headers: what routing did for this answer. */
static const char *routing_headers(gw_req *r)
{
    seam_buf b = {r->hdrs, 0, sizeof r->hdrs, sizeof r->hdrs - 1};
    r->hdrs[0] = '\0';
    if (!r->target[0]) return r->hdrs;
    seam_buf_printf(&b, "x-seam-route: %s\r\nx-seam-target: %s\r\nx-seam-attempts: %d\r\n",
                    r->route && r->route[0] ? r->route : "-", r->target, r->attempts);
    if (r->plan_pos > 0 || r->overflowed)
        seam_buf_printf(&b, "x-seam-fallback: %s\r\n", r->notes[0] ? r->notes : "yes");
    if (r->retry_after[0]) seam_buf_printf(&b, "Retry-After: %s\r\n", r->retry_after);
    return r->hdrs;
}

void gw_answer(gw_req *r, int status, const char *ctype, const char *body, size_t n)
{
    seam_http_req *h = r->http;
    const char *extra = routing_headers(r);
    record(r, status);
    r->http = NULL;
    seam_http_respond(h, status, ctype, extra, body, n);
    req_put(r);
}

void gw_stream_start(gw_req *r)
{
    seam_http_stream_start(r->http, 200, "text/event-stream", routing_headers(r));
}

void gw_stream_end(gw_req *r)
{
    seam_http_req *h = r->http;
    record(r, 200);
    r->http = NULL;
    seam_http_stream_end(h);
    req_put(r);
}

void gw_fail(gw_req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gw_upstream_stop(r);
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
    gw_answer(r, status, "application/json", body.data, body.len);
}

const char *seam_pipeline_error_body(int status, const char *code, const char *message,
                                     seam_buf *out)
{
    seam_openai_error_json(out, status, code, message);
    return "application/json";
}

static void on_client_abort(void *ud)
{
    gw_req *r = ud;
    gw_upstream_stop(r);
    r->err_code = "client_closed";
    record(r, 499);
    r->http = NULL;
    req_put(r);
}

void seam_pipeline_abort_all(seam_worker *w)
{
    gw_shadow_abort_all(w);
    while (w->live) {
        gw_req *r = w->live;
        if (r->http)
            gw_fail(r, 503, "shutting_down", "seam is shutting down");
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
        gw_fail(r, 401, "missing_api_key",
                "no API key: send the header 'Authorization: Bearer sk-seam-...' (or "
                "'x-api-key: sk-seam-...')");
    else
        gw_fail(r, 401, "invalid_api_key", "the API key is not valid or has been revoked");
    return -1;
}

/* Finds the route (or, for provider/model, the direct target) of the
 * client's `model` and checks that the key may use it. */
static int resolve(gw_req *r, const char *model)
{
    const seam_config *cfg = r->rt->cfg;
    const char *slash = strchr(model, '/');
    if (!slash) {
        const seam_route_conf *rc = seam_config_route(cfg, model);
        if (!rc) {
            gw_fail(r, 404, "unknown_route",
                    "model '%s' is not a route of this gateway (GET /v1/models lists yours)",
                    model);
            return -1;
        }
        r->route = rc->name;
        if (!seam_principal_allows_route(r->who, rc->name)) {
            gw_fail(r, 403, "route_not_allowed", "this key may not use route '%s'", model);
            return -1;
        }
        r->rc = rc;
        r->rh = seam_runtime_route_health(r->rt, rc);
        return 0;
    }
    char pname[GW_MAX_MODEL];
    size_t plen = (size_t)(slash - model);
    memcpy(pname, model, plen);
    pname[plen] = '\0';
    const seam_provider_conf *pc = seam_config_provider(cfg, pname);
    if (!pc || !slash[1]) {
        gw_fail(r, 404, "unknown_model",
                "model '%s' is neither a route nor provider/model with a configured provider",
                model);
        return -1;
    }
    if (!seam_principal_allows_direct(r->who, pc->name, slash + 1)) {
        gw_fail(r, 403, "route_not_allowed", "this key may not call '%s' directly", model);
        return -1;
    }
    char why[256];
    if (!gw_may_reach(r, pc, why, sizeof why)) {
        seam_metrics_event(&r->w->metrics, "", SEAM_EV_DENIED);
        gw_fail(r, 403, "residency_denied", "'%s' may not be used for this request: %s", model,
                why);
        return -1;
    }
    r->route = "";
    snprintf(r->direct_model, sizeof r->direct_model, "%s", slash + 1);
    r->direct = (seam_target_conf){.provider = pc->name, .model = r->direct_model, .weight = 100};
    r->direct_pi = (int)(pc - cfg->providers);
    return 0;
}

/* Who the request is for, from X-Seam-Subject or the body's "user": sticky
 * routes send one subject to one arm. */
static uint64_t subject_of(gw_req *r, const seam_openai_req *q)
{
    const char *hdr = seam_http_header_get(r->http, "x-seam-subject");
    if (hdr && *hdr) return seam_subject_hash(hdr, strlen(hdr));
    if (q->has_user && q->user.len) return seam_subject_hash(r->in + q->user.off, q->user.len);
    return 0;
}

static void model_call(gw_req *r, seam_op op)
{
    seam_http_req *h = r->http;
    if (authenticate(r) != 0) return;
    if (r->who->tenant && r->who->tenant[0])
        r->tenant = seam_config_tenant(r->rt->cfg, r->who->tenant);

    /* in: the request in OpenAI's format, as the client sent it or translated */
    const char *in = h->body;
    size_t in_len = h->body_len;
    seam_json_error jerr;
    if (r->anthropic) {
        char why[256];
        int stream = 0;
        r->xbody.max = 2 * in_len + 4096;
        int rc = seam_anthropic_request_to_openai(in, in_len, &r->xbody, &stream, why, sizeof why);
        if (rc != 0) {
            gw_fail(r, 400, rc == SEAM_ANTHROPIC_EJSON ? "invalid_json" : "invalid_request", "%s",
                    why);
            return;
        }
        in = r->xbody.data;
        in_len = r->xbody.len;
    }

    seam_openai_req q;
    if (seam_openai_scan_request(in, in_len, &q, &jerr) != 0) {
        gw_fail(r, 400, "invalid_json", "request body is not valid JSON: %s (line %d, column %d)",
                jerr.msg, jerr.line, jerr.column);
        return;
    }
    if (!q.has_model || q.model_not_string) {
        gw_fail(r, 400, "model_required", "'model' is required and must be a string");
        return;
    }
    if (q.model_count > 1) {
        /* parsers disagree on which duplicate wins: never route on one and
         * let the upstream read another */
        gw_fail(r, 400, "duplicate_model", "'model' appears more than once");
        return;
    }
    if (op == SEAM_OP_CHAT && !q.has_messages) {
        gw_fail(r, 400, "messages_required", "'messages' is required");
        return;
    }
    if (op == SEAM_OP_EMBEDDINGS && !q.has_input) {
        gw_fail(r, 400, "input_required", "'input' is required");
        return;
    }
    char model[GW_MAX_MODEL];
    long mlen_decoded = seam_json_unescape(in + q.model.off, q.model.len, model, sizeof model);
    if (mlen_decoded < 1 || (size_t)mlen_decoded != strlen(model)) {
        gw_fail(r, 400, "invalid_model", "'model' must be a non-empty name under %d bytes",
                GW_MAX_MODEL);
        return;
    }
    r->op = op;
    r->stream = op == SEAM_OP_CHAT && q.stream;
    r->in = in;
    r->in_len = in_len;
    r->model_span = q.model;
    r->model_escaped = q.model_escaped;
    r->add_usage = r->stream && !q.has_stream_options;
    r->subject_hash = subject_of(r, &q);
    memcpy(r->asked_model, model, (size_t)mlen_decoded + 1);
    if (resolve(r, model) != 0) return;
    if (r->stream && r->anthropic && !(r->astream = seam_anthropic_stream_new(model))) {
        gw_fail(r, 500, "internal", "out of memory");
        return;
    }
    seam_http_on_abort(h, on_client_abort, r);
    gw_upstream_begin(r);
}

/* Anthropic's count_tokens: an estimate made here, no upstream involved. */
static void count_tokens(gw_req *r)
{
    if (authenticate(r) != 0) return;
    seam_http_req *h = r->http;
    char why[256];
    int rc = seam_anthropic_count_tokens(h->body, h->body_len, &r->xout, why, sizeof why);
    if (rc != 0) {
        gw_fail(r, 400, rc == SEAM_ANTHROPIC_EJSON ? "invalid_json" : "invalid_request", "%s", why);
        return;
    }
    gw_answer(r, 200, "application/json", r->xout.data, r->xout.len);
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
        gw_fail(r, 500, "internal", "out of memory");
        return;
    }
    gw_answer(r, 200, "application/json", b->data, b->len);
}

static void metrics(gw_req *r)
{
    seam_worker *w = r->w;
    seam_metrics *all[256];
    int n = w->nall < 256 ? w->nall : 256;
    for (int i = 0; i < n; i++)
        all[i] = &w->all[i].metrics;
    r->resp.max = 16 * 1024 * 1024;
    if (seam_metrics_render(all, (size_t)n, &r->resp) != 0 ||
        seam_health_render(r->rt->health, seam_now_us(), &r->resp) != 0) {
        gw_fail(r, 500, "internal", "metrics did not fit");
        return;
    }
    gw_answer(r, 200, "text/plain; version=0.0.4", r->resp.data, r->resp.len);
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
            return gw_answer(r, 200, "application/json", ok, sizeof ok - 1);
        }
    } else if (strcmp(p, "/metrics") == 0) {
        if (get) return metrics(r);
    } else {
        return gw_fail(r, 404, "not_found", "no such endpoint: %s", p);
    }
    gw_fail(r, 405, "method_not_allowed", "%s does not accept this method", p);
}
