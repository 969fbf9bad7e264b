/* azure.c — provider type "azure-openai": Azure OpenAI Service.
 *
 * The wire format is OpenAI's, so nothing is translated; what differs is
 * the address and the credential: the model a route names is the Azure
 * deployment, which goes in the path
 *     {base_url}/openai/deployments/{deployment}/chat/completions?api-version=V
 * and the key goes in an `api-key` header.  The adapter plumbing carries
 * the bytes through unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/azure_xlate.h"

#define DEFAULT_API_VERSION "2024-10-21"

typedef struct azure_provider {
    seam_provider base;
    seam_http_target *origin; /* base_url; per-request paths derive from it */
    char *path_prefix;        /* the path part of base_url, "" when none */
    const char *api_version;
    char *key_line;             /* "api-key: KEY", or NULL without a key */
    const char *check_lines[3]; /* a health check's GET: credentials, Accept */
} azure_provider;

/* Deployment names are letters, digits, '-', '_' and '.': anything else
 * would have to be escaped into the path, and Azure accepts none of it. */
static int valid_deployment(const char *s)
{
    if (!*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

static int build(const seam_provider *p, const seam_call_req *req, void *state,
                 seam_adapter_out *out)
{
    const azure_provider *az = (const azure_provider *)p;
    if (!valid_deployment(req->model)) {
        seam_adapter_refuse(p, req, "model",
                            "an Azure deployment name is letters, digits, '-', '_' and '.'");
        return -1;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/openai/deployments/%s/%s?api-version=%s", az->path_prefix,
             req->model, req->op == SEAM_OP_EMBEDDINGS ? "embeddings" : "chat/completions",
             az->api_version);
    out->owned_target = seam_http_target_derive(az->origin, path);
    if (!out->owned_target) return -1;
    out->target = out->owned_target;
    if (az->key_line && seam_adapter_header_line(out, az->key_line) != 0) return -1;
    if (seam_adapter_header_line(out, "Content-Type: application/json") != 0 ||
        seam_adapter_header_line(out, req->stream ? "Accept: text/event-stream"
                                                  : "Accept: application/json"))
        return -1;
    return seam_buf_append(&out->body, req->body, req->body_len) == 0 ? 0 : -1;
}

/* The answer is already OpenAI's: every direction is a copy. */
static int copy(const char *p, size_t n, seam_buf *out)
{
    return seam_buf_append(out, p, n) == 0 ? 0 : -1;
}

static int response(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out,
                    seam_usage *usage)
{
    return copy(p, n, out); /* usage left for the gateway to read: seam did not write it */
}

static int stream(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    return copy(p, n, out);
}

static int stream_end(void *state, const seam_call_req *req, seam_buf *out)
{
    return 0; /* the upstream sent its own [DONE]; the gateway checks for it */
}

static int error(int status, const char *p, size_t n, seam_buf *out)
{
    return copy(p, n, out);
}

const seam_adapter_ops seam_azure_ops = {
    .build = build,
    .response = response,
    .stream = stream,
    .stream_end = stream_end,
    .error = error,
};

static void destroy(seam_provider *p)
{
    azure_provider *az = (azure_provider *)p;
    if (!az) return;
    seam_http_target_free(az->origin);
    free(az->path_prefix);
    free(az->key_line);
    free(az);
}

static int create(const seam_provider_conf *conf, seam_provider **out, char *err, size_t errlen)
{
    if (!conf->base_url) {
        snprintf(err, errlen,
                 "base_url: required for azure-openai (https://RESOURCE.openai.azure.com)");
        return -1;
    }
    azure_provider *az = calloc(1, sizeof *az);
    if (!az) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    az->base.vt = &seam_provider_azure;
    az->base.conf = conf;
    az->api_version = conf->api_version ? conf->api_version : DEFAULT_API_VERSION;
    const char *host = strstr(conf->base_url, "://");
    const char *path = host ? strchr(host + 3, '/') : NULL;
    az->path_prefix = strdup(path ? path : "");
    az->origin = seam_provider_target_new(conf, conf->base_url, err, errlen);
    if (conf->api_key && asprintf(&az->key_line, "api-key: %s", conf->api_key) < 0)
        az->key_line = NULL;
    if (!az->path_prefix || !az->origin || (conf->api_key && !az->key_line)) {
        if (az->origin) snprintf(err, errlen, "out of memory");
        destroy(&az->base);
        return -1;
    }
    int n = 0;
    if (az->key_line) az->check_lines[n++] = az->key_line;
    az->check_lines[n++] = "Accept: application/json";
    *out = &az->base;
    return 0;
}

static seam_call *start(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud)
{
    return seam_adapter_start(p, &seam_azure_ops, io, req, cbs, ud);
}

static const char *const *check_headers(const seam_provider *p)
{
    return ((const azure_provider *)p)->check_lines;
}

const seam_provider_vt seam_provider_azure = {
    .type = "azure-openai",
    .create = create,
    .start = start,
    .cancel = seam_adapter_cancel,
    .destroy = destroy,
    .check_headers = check_headers,
};
