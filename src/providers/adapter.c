/* adapter.c — HTTP plumbing for translating providers; see adapter.h. */
#include "providers/adapter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VENDOR_BODY (64u * 1024 * 1024)

struct seam_call {
    const seam_adapter_ops *ops;
    seam_call_req req; /* pointers borrowed from the gateway's request */
    seam_call_cbs cbs;
    void *ud;
    seam_adapter_out out;
    seam_http_call *http;
    void *state;
    size_t state_cap;
    int status;
    seam_buf in;  /* a non-stream or error answer, gathered whole */
    seam_buf tmp; /* translated bytes on their way to the gateway */
    int in_cb;
    int cancelled;
    seam_call_cache *cache; /* where it goes back when it ends */
    seam_call *next_idle;
};

/* A worker's finished calls, kept with their buffers and state memory: a
 * call that reuses one allocates nothing, where a new one takes five
 * allocations (the call, three buffers, the translator's state). */
#define CACHE_MAX_CALLS  64
#define CACHE_MAX_BUFFER (64u * 1024) /* a buffer grown past this is not kept: */
/* what a worker's cache can hold is bounded at 64 x 3 x 64 KB = 12 MB */

struct seam_call_cache {
    seam_call *idle;
    unsigned n;
};

seam_call_cache *seam_call_cache_new(void)
{
    return calloc(1, sizeof(seam_call_cache));
}

unsigned seam_call_cache_idle(const seam_call_cache *cache)
{
    return cache->n;
}

static void call_destroy(seam_call *c)
{
    free(c->state);
    seam_adapter_out_free(&c->out);
    seam_buf_free(&c->in);
    seam_buf_free(&c->tmp);
    free(c);
}

void seam_call_cache_free(seam_call_cache *cache)
{
    if (!cache) return;
    while (cache->idle) {
        seam_call *c = cache->idle;
        cache->idle = c->next_idle;
        call_destroy(c);
    }
    free(cache);
}

static void keep_or_free(seam_buf *b)
{
    if (b->cap > CACHE_MAX_BUFFER)
        seam_buf_free(b);
    else
        seam_buf_reset(b);
}

int seam_adapter_header(seam_adapter_out *out, const char *fmt, ...)
{
    if (out->nheaders == SEAM_ADAPTER_MAX_HEADERS) return -1;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    out->headers[out->nheaders++] = s;
    out->headers[out->nheaders] = NULL;
    return 0;
}

int seam_adapter_header_line(seam_adapter_out *out, const char *line)
{
    if (out->nheaders == SEAM_ADAPTER_MAX_HEADERS) return -1;
    out->borrowed |= 1u << out->nheaders;
    out->headers[out->nheaders++] = (char *)line;
    out->headers[out->nheaders] = NULL;
    return 0;
}

void seam_adapter_refuse(const seam_provider *p, const seam_call_req *req, const char *field,
                         const char *why)
{
    if (req->refuse && req->refuse_len)
        snprintf(req->refuse, req->refuse_len, "provider '%s' (%s) cannot take %s: %s",
                 p->conf->name, p->vt->type, field, why);
}

/* Drops what build() made for one call: its headers and target. */
static void out_clear(seam_adapter_out *out)
{
    for (int i = 0; i < out->nheaders; i++)
        if (!(out->borrowed >> i & 1)) free(out->headers[i]);
    out->nheaders = 0;
    out->borrowed = 0;
    seam_http_target_free(out->owned_target);
    out->owned_target = NULL;
}

void seam_adapter_out_free(seam_adapter_out *out)
{
    out_clear(out);
    seam_buf_free(&out->body);
}

/* Ends a call's life: back to its worker's cache, or freed. */
static void call_free(seam_call *c)
{
    if (c->ops->state_size && c->ops->state_free) c->ops->state_free(c->state);
    seam_call_cache *cache = c->cache;
    if (!cache || cache->n == CACHE_MAX_CALLS) {
        call_destroy(c);
        return;
    }
    out_clear(&c->out);
    keep_or_free(&c->out.body);
    keep_or_free(&c->in);
    keep_or_free(&c->tmp);
    c->next_idle = cache->idle;
    cache->idle = c;
    cache->n++;
}

/* A call ready for ops: from the cache when it has one. */
static seam_call *call_new(seam_call_cache *cache, const seam_adapter_ops *ops)
{
    seam_call *c = cache ? cache->idle : NULL;
    if (c) {
        cache->idle = c->next_idle;
        cache->n--;
    } else {
        c = calloc(1, sizeof *c);
        if (!c) return NULL;
        seam_buf_init(&c->out.body, MAX_VENDOR_BODY);
        seam_buf_init(&c->in, MAX_VENDOR_BODY);
        seam_buf_init(&c->tmp, MAX_VENDOR_BODY);
    }
    c->cache = cache;
    c->ops = ops;
    c->http = NULL;
    c->status = 0;
    c->in_cb = 0;
    c->cancelled = 0;
    c->out.target = NULL;
    if (ops->state_size > c->state_cap) {
        free(c->state);
        c->state_cap = 0;
        if (!(c->state = malloc(ops->state_size))) {
            call_destroy(c);
            return NULL;
        }
        c->state_cap = ops->state_size;
    }
    if (ops->state_size) memset(c->state, 0, ops->state_size);
    return c;
}

/* Hands translated bytes to the gateway.  Returns -1 if it cancelled. */
static int emit(seam_call *c)
{
    if (c->tmp.len) {
        c->in_cb++;
        c->cbs.on_data(c->ud, c->tmp.data, c->tmp.len);
        c->in_cb--;
        seam_buf_reset(&c->tmp);
    }
    return c->cancelled ? -1 : 0;
}

/* Ends the call with err after the translated bytes, if any. */
static void finish(seam_call *c, int err)
{
    c->http = NULL;
    if (err == SEAM_CALL_OK && emit(c) != 0) {
        call_free(c);
        return;
    }
    c->in_cb++;
    c->cbs.on_done(c->ud, err);
    call_free(c);
}

static int ok_status(int st)
{
    return st >= 200 && st < 300;
}

static void on_head(void *ud, int status, const char *retry_after)
{
    seam_call *c = ud;
    c->status = status;
    c->in_cb++;
    if (c->cbs.on_head) c->cbs.on_head(c->ud, status, retry_after);
    c->in_cb--;
    if (c->cancelled) { /* the http client stops calling us once we cancel it */
        seam_http_call_cancel(c->http);
        call_free(c);
    }
}

static void on_data(void *ud, const char *p, size_t n)
{
    seam_call *c = ud;
    if (ok_status(c->status) && c->req.stream) {
        if (c->ops->stream(c->state, &c->req, p, n, &c->tmp) != 0) {
            seam_http_call_cancel(c->http);
            finish(c, SEAM_CALL_PROTOCOL);
            return;
        }
        if (emit(c) != 0) {
            seam_http_call_cancel(c->http);
            call_free(c);
        }
        return;
    }
    if (seam_buf_append(&c->in, p, n) != 0) {
        seam_http_call_cancel(c->http);
        finish(c, SEAM_CALL_TOOBIG);
    }
}

static void on_done(void *ud, int err)
{
    seam_call *c = ud;
    c->http = NULL; /* it freed itself */
    if (err != SEAM_CALL_OK) {
        finish(c, err);
        return;
    }
    int rc;
    seam_usage usage = {.prompt_tokens = -1};
    const char *body = c->in.data ? c->in.data : "";
    if (!ok_status(c->status))
        rc = c->ops->error(c->status, body, c->in.len, &c->tmp);
    else if (c->req.stream)
        rc = c->ops->stream_end(c->state, &c->req, &c->tmp);
    else
        rc = c->ops->response(c->state, &c->req, body, c->in.len, &c->tmp, &usage);
    if (rc == 0 && usage.prompt_tokens >= 0 && c->cbs.on_usage) {
        c->in_cb++;
        c->cbs.on_usage(c->ud, &usage);
        c->in_cb--;
        if (c->cancelled) {
            call_free(c);
            return;
        }
    }
    /* A stream cut short still delivers what was translated, then fails. */
    if (rc != 0 && ok_status(c->status) && c->req.stream && emit(c) != 0) {
        call_free(c);
        return;
    }
    finish(c, rc == 0 ? SEAM_CALL_OK : c->req.stream ? SEAM_CALL_RESET : SEAM_CALL_PROTOCOL);
}

seam_call *seam_adapter_start(seam_provider *p, const seam_adapter_ops *ops, const seam_io *io,
                              const seam_call_req *req, const seam_call_cbs *cbs, void *ud)
{
    seam_call *c = call_new(io->call_cache, ops);
    if (!c) return NULL;
    c->req = *req;
    c->cbs = *cbs;
    c->ud = ud;
    /* One allocation each for the usual sizes instead of a few doublings. */
    if (seam_buf_reserve(&c->out.body, req->body_len + 512) || seam_buf_reserve(&c->in, 4096) ||
        seam_buf_reserve(&c->tmp, 4096))
        goto fail;
    if (ops->build(p, req, c->state, &c->out) != 0) goto fail;
    c->req.refuse = NULL; /* the caller's buffer does not outlive start() */
    c->req.refuse_len = 0;
    seam_http_call_opts o = {
        .headers = (const char *const *)c->out.headers,
        .body = c->out.body.data ? c->out.body.data : "",
        .body_len = c->out.body.len,
        .connect_timeout_ms = req->connect_timeout_ms,
        .on_head = on_head,
        .on_data = on_data,
        .on_done = on_done,
        .ud = c,
    };
    c->http = seam_http_client_start(io->http, c->out.target, &o);
    if (!c->http) goto fail;
    return c;
fail:
    call_free(c);
    return NULL;
}

void seam_adapter_cancel(seam_call *c)
{
    if (c->cancelled) return;
    c->cancelled = 1;
    if (c->in_cb) return; /* freed when the callback we are in returns */
    seam_http_call_cancel(c->http);
    call_free(c);
}
