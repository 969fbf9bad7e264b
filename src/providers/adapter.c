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
    int status;
    seam_buf in;  /* a non-stream or error answer, gathered whole */
    seam_buf tmp; /* translated bytes on their way to the gateway */
    int in_cb;
    int cancelled;
};

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

void seam_adapter_out_free(seam_adapter_out *out)
{
    for (int i = 0; i < out->nheaders; i++)
        if (!(out->borrowed >> i & 1)) free(out->headers[i]);
    out->nheaders = 0;
    out->borrowed = 0;
    seam_http_target_free(out->owned_target);
    out->owned_target = NULL;
    seam_buf_free(&out->body);
}

static void call_free(seam_call *c)
{
    if (c->state && c->ops->state_free) c->ops->state_free(c->state);
    free(c->state);
    seam_adapter_out_free(&c->out);
    seam_buf_free(&c->in);
    seam_buf_free(&c->tmp);
    free(c);
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
    const char *body = c->in.data ? c->in.data : "";
    if (!ok_status(c->status))
        rc = c->ops->error(c->status, body, c->in.len, &c->tmp);
    else if (c->req.stream)
        rc = c->ops->stream_end(c->state, &c->req, &c->tmp);
    else
        rc = c->ops->response(c->state, &c->req, body, c->in.len, &c->tmp);
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
    seam_call *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->ops = ops;
    c->req = *req;
    c->cbs = *cbs;
    c->ud = ud;
    seam_buf_init(&c->out.body, MAX_VENDOR_BODY);
    seam_buf_init(&c->in, MAX_VENDOR_BODY);
    seam_buf_init(&c->tmp, MAX_VENDOR_BODY);
    /* One allocation each for the usual sizes instead of a few doublings. */
    if (seam_buf_reserve(&c->out.body, req->body_len + 512) || seam_buf_reserve(&c->in, 4096) ||
        seam_buf_reserve(&c->tmp, 4096))
        goto fail;
    if (ops->state_size && !(c->state = calloc(1, ops->state_size))) goto fail;
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
