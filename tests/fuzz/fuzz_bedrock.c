/* fuzz_bedrock.c — the event-stream decoder and the Bedrock stream
 * translation read bytes from an upstream; the Bedrock mock reads request
 * bodies from anywhere.  Any bytes, split anywhere, must neither crash nor
 * leak, and what the decoder hands out must re-encode to the same bytes. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/adapter.h"
#include "providers/eventstream.h"
#include "providers/mock_wire.h"
#include "providers/sigv4.h"

#include "providers/bedrock_xlate.h"

static int count_cb(void *ud, const seam_es_message *m)
{
    (*(int *)ud)++;
    return 0;
}

/* A decoded message re-encodes to a message that decodes again, payload intact. */
static int reencode(void *ud, const seam_es_message *m)
{
    if (m->nheaders == SEAM_ES_MAX_HEADERS) return 0; /* some may have been dropped */
    seam_buf b;
    seam_buf_init(&b, 32u << 20);
    if (seam_es_encode(&b, m->headers, m->nheaders, m->payload, m->payload_len) != 0)
        __builtin_trap();
    int count = 0;
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    if (seam_es_decoder_feed(&d, b.data, b.len, count_cb, &count) != 0 || count != 1)
        __builtin_trap();
    seam_es_decoder_free(&d);
    seam_buf_free(&b);
    return 0;
}

static seam_provider *provider(void)
{
    static seam_provider *p;
    static seam_provider_conf conf = {.name = "fuzz", .type = "bedrock", .region = "us-east-1"};
    if (!p) {
        setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
        char err[256];
        if (seam_provider_bedrock.create(&conf, &p, err, sizeof err) != 0) __builtin_trap();
    }
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t split = data[0] % (size - 1) + 1;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    if (split > n) split = n;

    /* 1. the decoder: two pieces decode exactly as one */
    int one = 0, two = 0;
    seam_es_decoder d;
    seam_es_decoder_init(&d, 1 << 16);
    int r1 = seam_es_decoder_feed(&d, s, n, count_cb, &one);
    if (!r1) r1 = seam_es_decoder_finish(&d);
    seam_es_decoder_free(&d);
    seam_es_decoder_init(&d, 1 << 16);
    int r2 = seam_es_decoder_feed(&d, s, split, count_cb, &two);
    if (!r2) r2 = seam_es_decoder_feed(&d, s + split, n - split, count_cb, &two);
    if (!r2) r2 = seam_es_decoder_finish(&d);
    seam_es_decoder_free(&d);
    if (r1 != r2 || one != two) __builtin_trap();
    seam_es_decoder_init(&d, 0);
    seam_es_decoder_feed(&d, s, n, reencode, NULL);
    seam_es_decoder_free(&d);

    /* 2. the Bedrock stream translation, in two pieces */
    seam_call_req req = {.op = SEAM_OP_CHAT,
                         .model = "m",
                         .stream = 1,
                         .body = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                                 "\"stream_options\":{\"include_usage\":true}}"};
    req.body_len = strlen(req.body);
    char refuse[256];
    req.refuse = refuse;
    req.refuse_len = sizeof refuse;
    void *st = calloc(1, seam_bedrock_ops.state_size);
    seam_adapter_out out;
    memset(&out, 0, sizeof out);
    seam_buf_init(&out.body, 1 << 20);
    if (seam_bedrock_ops.build(provider(), &req, st, &out) != 0) __builtin_trap();
    seam_buf sse;
    seam_buf_init(&sse, 64u << 20);
    if (seam_bedrock_ops.stream(st, &req, s, split, &sse) == 0 &&
        seam_bedrock_ops.stream(st, &req, s + split, n - split, &sse) == 0)
        seam_bedrock_ops.stream_end(st, &req, &sse);
    seam_buf_free(&sse);
    seam_bedrock_ops.state_free(st);
    free(st);
    for (int i = 0; i < out.nheaders; i++)
        free(out.headers[i]);
    seam_http_target_free(out.owned_target);
    seam_buf_free(&out.body);

    /* 3. the same bytes as a Converse answer and as an error body */
    seam_buf b;
    seam_buf_init(&b, 64u << 20);
    seam_bedrock_ops.error(400, s, n, &b);
    seam_buf_free(&b);

    /* 4. the mock's wire, for a body from anywhere */
    const seam_mock_wire *w =
        seam_mock_wire_find(data[0] & 1 ? "/model/m/converse-stream" : "/model/m/converse", NULL);
    seam_mock_opts o = {.echo = data[0] & 2, .fail_rate = 0.1, .rng = size};
    seam_mock_plan p;
    if (w->plan(data[0] & 1 ? "/model/m/converse-stream" : "/model/m/converse", NULL, s, n, &o,
                &p) == 0)
        seam_mock_plan_free(&p);

    /* 5. signing any path and query */
    char *path = strndup(s, split), *query = strndup(s + split, n - split);
    seam_sigv4_input in = {.method = "POST",
                           .host = "h",
                           .path = path,
                           .query = query,
                           .when = 0,
                           .region = "r",
                           .service = "s",
                           .access_key = "a",
                           .secret_key = "k"};
    seam_sigv4_output so;
    if (seam_sigv4_sign(&in, &so) == 0) seam_sigv4_output_free(&so);
    if (seam_sigv4_presign(&in, 3600, &so) == 0) seam_sigv4_output_free(&so);
    free(path);
    free(query);
    return 0;
}
