/* fuzz_translate.c — every translator that reads bytes from outside: an
 * Anthropic client's request, an upstream's OpenAI stream as Anthropic
 * events, and the anthropic, gemini and bedrock adapters' answers (whole and
 * streamed, split where the input says).  Any bytes must neither crash nor
 * leak; output stays bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/anthropic.h"
#include "providers/anthropic_xlate.h"
#include "providers/bedrock_xlate.h"
#include "providers/gemini_xlate.h"

static void adapter_answers(const seam_adapter_ops *ops, const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    seam_call_req req = {.op = SEAM_OP_CHAT,
                         .model = "m",
                         .body = "{\"model\":\"m\",\"stream\":true,"
                                 "\"stream_options\":{\"include_usage\":true},\"messages\":[]}",
                         .stream = 1};
    req.body_len = strlen(req.body);
    seam_buf out;
    seam_buf_init(&out, 64u << 20);

    void *st = calloc(1, ops->state_size ? ops->state_size : 1);
    ops->response(st, &req, p, size, &out, &(seam_usage){.prompt_tokens = -1});
    if (ops->state_free) ops->state_free(st);
    free(st);

    /* the stream, in pieces whose sizes come from the input itself */
    st = calloc(1, ops->state_size ? ops->state_size : 1);
    size_t off = 0;
    int rc = 0;
    while (off < size && rc == 0) {
        size_t piece = 1 + data[off] % 64;
        if (piece > size - off) piece = size - off;
        rc = ops->stream(st, &req, p + off, piece, &out);
        off += piece;
        if (out.len > (1u << 20)) seam_buf_reset(&out);
    }
    if (rc == 0) ops->stream_end(st, &req, &out);
    if (ops->state_free) ops->state_free(st);
    free(st);

    seam_buf_reset(&out);
    ops->error(400, p, size, &out);
    seam_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    seam_buf out;
    seam_buf_init(&out, 64u << 20);
    char err[256];
    int stream;
    seam_anthropic_request_to_openai(p, size, &out, &stream, err, sizeof err);
    seam_buf_reset(&out);
    seam_anthropic_response_from_openai(p, size, &out);
    seam_buf_reset(&out);
    seam_anthropic_count_tokens(p, size, &out, err, sizeof err);

    /* an OpenAI stream, one event per line, as Anthropic events */
    seam_anthropic_stream *s = seam_anthropic_stream_new("m");
    if (s) {
        size_t start = 0;
        for (size_t i = 0; i <= size; i++) {
            if (i < size && data[i] != '\n') continue;
            seam_buf_reset(&out);
            if (seam_anthropic_stream_event(s, p + start, i - start, &out) != 0) break;
            start = i + 1;
        }
        seam_buf_reset(&out);
        seam_anthropic_stream_error(s, 502, "cut", &out);
        seam_anthropic_stream_free(s);
    }
    seam_buf_free(&out);

    adapter_answers(&seam_provider_anthropic_ops, data, size);
    adapter_answers(&seam_gemini_ops, data, size);
    adapter_answers(&seam_bedrock_ops, data, size); /* a Converse answer, or event-stream bytes */
    return 0;
}
