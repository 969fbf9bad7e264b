/* gemini_xlate.h — the Gemini adapter's translation steps, shared by its two
 * files and its unit tests.
 *
 * gemini.c builds requests; gemini_response.c turns answers, streams and
 * errors back into OpenAI's format.  Only those two files and
 * tests/unit/test_gemini_provider.c include this: the gateway reaches the
 * adapter through seam_provider_gemini alone.  The ops are the ones
 * seam_adapter_start() runs; a test drives them directly with a provider
 * made by seam_provider_gemini.create() and a zeroed state of state_size
 * bytes (released with state_free, then free()). */
#ifndef SEAM_PROVIDERS_GEMINI_XLATE_H
#define SEAM_PROVIDERS_GEMINI_XLATE_H

#include "http/sse.h"
#include "providers/adapter.h"

#define GEMINI_MAX_CANDIDATES 8          /* Gemini's candidateCount limit */
#define GEMINI_MAX_EVENT      (8u << 20) /* one Gemini stream event */

extern const seam_adapter_ops seam_gemini_ops;

/* ---- between gemini.c and gemini_response.c ---- */

typedef struct gemini_choice {
    int started;  /* the role has been sent */
    int finished; /* a finish_reason has been sent */
    int ncalls;   /* tool calls sent so far */
} gemini_choice;

/* OpenAI's counts, worked out from a usageMetadata (see gemini.c's header). */
typedef struct gemini_usage {
    long long prompt, completion, total, cached, reasoning;
} gemini_usage;

/* Per call: build() fills the first part, the answer side the rest. */
typedef struct gemini_state {
    long long created;
    char id[160]; /* "chatcmpl-..." (JSON-safe: hex or a checked responseId) */
    int have_response_id;
    int include_usage;
    int base64;     /* embeddings: encoding_format base64 */
    size_t ninputs; /* embeddings: inputs sent */
    /* stream */
    seam_sse_reader sse;
    int sse_ready;
    gemini_choice choice[GEMINI_MAX_CANDIDATES];
    int have_usage;     /* a usageMetadata was seen */
    gemini_usage usage; /* from the last one */
    int failed;         /* an error event was passed on */
} gemini_state;

/* The adapter ops of gemini_response.c (see adapter.h for their contracts). */
void seam_gemini_state_free(void *state);
int seam_gemini_response(void *state, const seam_call_req *req, const char *p, size_t n,
                         seam_buf *out, seam_usage *usage);
int seam_gemini_stream(void *state, const seam_call_req *req, const char *p, size_t n,
                       seam_buf *out);
int seam_gemini_stream_end(void *state, const seam_call_req *req, seam_buf *out);
int seam_gemini_error(int status, const char *p, size_t n, seam_buf *out);

#endif
