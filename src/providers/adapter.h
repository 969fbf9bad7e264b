/* adapter.h — the plumbing every translating provider shares.
 *
 * A vendor whose wire format is not OpenAI's (Anthropic, Gemini, Bedrock,
 * and Azure's URLs) supplies only what differs: how to build its request
 * from the OpenAI one, and how to turn its answers (whole, streamed, or an
 * error) back into OpenAI's format.  adapter.c does the rest — the HTTP
 * call, buffering, cancellation, and the callback contract of provider.h —
 * once, for all of them. */
#ifndef SEAM_PROVIDERS_ADAPTER_H
#define SEAM_PROVIDERS_ADAPTER_H

#include "core/buf.h"
#include "http/client.h"
#include "providers/provider.h"

#define SEAM_ADAPTER_MAX_HEADERS 16

typedef struct seam_adapter_out {
    const seam_http_target *target;              /* where the request goes */
    seam_http_target *owned_target;              /* set when made for this call; freed with it */
    seam_buf body;                               /* the vendor's request body */
    char *headers[SEAM_ADAPTER_MAX_HEADERS + 1]; /* "Name: value", NULL-terminated */
    int nheaders;
    unsigned borrowed; /* bit i: headers[i] is not ours to free */
} seam_adapter_out;

/* Releases what build() put in out (headers, target, body). */
void seam_adapter_out_free(seam_adapter_out *out);

/* Adds a header line (copied). Returns 0 or -1 when out of room/memory. */
int seam_adapter_header(seam_adapter_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds a whole header line made once (at create, or a literal) that
 * outlives the call: neither formatted nor copied per call.  Returns 0 or
 * -1 when out of room. */
int seam_adapter_header_line(seam_adapter_out *out, const char *line);

typedef struct seam_adapter_ops {
    /* Builds the vendor request from req (OpenAI format).  Returns 0, or -1
     * after writing to req->refuse why the request cannot be translated
     * (the client gets a 400 naming the field and the provider). */
    int (*build)(const seam_provider *p, const seam_call_req *req, void *state,
                 seam_adapter_out *out);
    size_t state_size; /* per-call translation state, zeroed at start */
    void (*state_free)(void *state);
    /* A whole 2xx answer to a non-stream request -> an OpenAI response body.
     * A translator that writes the body's usage also sets *usage to those
     * counts, which spares the gateway reading them back out of the body;
     * else it leaves usage->prompt_tokens negative, as it comes. */
    int (*response)(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out,
                    seam_usage *usage);
    /* Pieces of a 2xx streamed answer, as they arrive -> OpenAI SSE bytes. */
    int (*stream)(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out);
    /* The vendor's stream ended cleanly -> closing OpenAI events, [DONE] last.
     * Returns -1 when the vendor's stream was cut short. */
    int (*stream_end)(void *state, const seam_call_req *req, seam_buf *out);
    /* A non-2xx answer -> an OpenAI error body (the status is kept). */
    int (*error)(int status, const char *p, size_t n, seam_buf *out);
} seam_adapter_ops;

/* A worker's idle translated calls, kept with their buffers so that the
 * next call allocates nothing; set as seam_io.call_cache.  Calls start and
 * end on that worker's loop only.  Free it after the last call ended. */
typedef struct seam_call_cache seam_call_cache;
seam_call_cache *seam_call_cache_new(void);
void seam_call_cache_free(seam_call_cache *cache);
/* Calls it holds now. */
unsigned seam_call_cache_idle(const seam_call_cache *cache);

/* Runs one translated call; the vtable's start() of an adapter provider. */
seam_call *seam_adapter_start(seam_provider *p, const seam_adapter_ops *ops, const seam_io *io,
                              const seam_call_req *req, const seam_call_cbs *cbs, void *ud);
void seam_adapter_cancel(seam_call *call);

/* Writes a refusal for req: "provider 'NAME' (TYPE) cannot take FIELD: WHY". */
void seam_adapter_refuse(const seam_provider *p, const seam_call_req *req, const char *field,
                         const char *why);

#endif
