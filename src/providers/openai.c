/* openai.c — provider type "openai": OpenAI and every server that speaks its
 * API (vLLM, llama.cpp server, Ollama, TGI).
 *
 * The gateway already holds an OpenAI-format body, so this adapter only
 * adds the URL and credentials and hands the bytes to the worker's HTTP
 * client; the reply is passed back untouched. */
#include "providers/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/client.h"

_Static_assert((int)SEAM_CALL_CONNECT == (int)SEAM_HTTP_ECONNECT &&
                   (int)SEAM_CALL_TIMEOUT == (int)SEAM_HTTP_ETIMEOUT &&
                   (int)SEAM_CALL_RESET == (int)SEAM_HTTP_ERESET &&
                   (int)SEAM_CALL_PROTOCOL == (int)SEAM_HTTP_EPROTO &&
                   (int)SEAM_CALL_TOOBIG == (int)SEAM_HTTP_ETOOBIG &&
                   (int)SEAM_CALL_NOMEM == (int)SEAM_HTTP_ENOMEM &&
                   (int)SEAM_CALL_TLS == (int)SEAM_HTTP_ETLS,
               "the HTTP client's error codes are passed through as call errors");

typedef struct openai_provider {
    seam_provider base;
    seam_http_target *chat;
    seam_http_target *embeddings;
    char *auth_header; /* "Authorization: Bearer ..." or NULL */
    const char *headers_json[4];
    const char *headers_sse[4];
    const char *headers_check[3]; /* a health check's GET: credentials, Accept */
} openai_provider;

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s", a, b);
    return s;
}

static void destroy(seam_provider *p)
{
    openai_provider *op = (openai_provider *)p;
    if (!op) return;
    seam_http_target_free(op->chat);
    seam_http_target_free(op->embeddings);
    free(op->auth_header);
    free(op);
}

static int create(const seam_provider_conf *conf, seam_provider **out, char *err, size_t errlen)
{
    openai_provider *op = calloc(1, sizeof *op);
    if (!op) goto nomem;
    op->base.vt = &seam_provider_openai;
    op->base.conf = conf;
    const char *base = conf->base_url ? conf->base_url : "https://api.openai.com/v1";
    char *url_chat = join(base, "/chat/completions");
    char *url_embeddings = join(base, "/embeddings");
    if (url_chat && url_embeddings) {
        op->chat = seam_provider_target_new(conf, url_chat, err, errlen);
        if (op->chat) op->embeddings = seam_provider_target_new(conf, url_embeddings, err, errlen);
    }
    int built = url_chat && url_embeddings;
    free(url_chat);
    free(url_embeddings);
    if (!built) goto nomem;
    if (!op->chat || !op->embeddings) goto fail;
    int i = 0, j = 0, k = 0;
    if (conf->api_key) {
        op->auth_header = join("Authorization: Bearer ", conf->api_key);
        if (!op->auth_header) goto nomem;
        op->headers_json[i++] = op->auth_header;
        op->headers_sse[j++] = op->auth_header;
        op->headers_check[k++] = op->auth_header;
    }
    op->headers_check[k++] = "Accept: application/json";
    op->headers_json[i++] = "Content-Type: application/json";
    op->headers_json[i++] = "Accept: application/json";
    op->headers_sse[j++] = "Content-Type: application/json";
    op->headers_sse[j++] = "Accept: text/event-stream";
    *out = &op->base;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    if (op) destroy(&op->base);
    return -1;
}

static seam_call *start(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud)
{
    openai_provider *op = (openai_provider *)p;
    seam_http_call_opts o = {
        .headers = req->stream ? op->headers_sse : op->headers_json,
        .body = req->body,
        .body_len = req->body_len,
        .connect_timeout_ms = req->connect_timeout_ms,
        .on_head = cbs->on_head,
        .on_data = cbs->on_data,
        .on_done = cbs->on_done,
        .ud = ud,
    };
    const seam_http_target *t = req->op == SEAM_OP_EMBEDDINGS ? op->embeddings : op->chat;
    return (seam_call *)seam_http_client_start(io->http, t, &o);
}

static void cancel(seam_call *call)
{
    seam_http_call_cancel((seam_http_call *)call);
}

static const char *const *check_headers(const seam_provider *p)
{
    return ((const openai_provider *)p)->headers_check;
}

const seam_provider_vt seam_provider_openai = {
    .type = "openai",
    .create = create,
    .start = start,
    .cancel = cancel,
    .destroy = destroy,
    .check_headers = check_headers,
};
