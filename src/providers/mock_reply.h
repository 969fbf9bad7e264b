/* mock_reply.h — what the mock vendor answers to an OpenAI request (no I/O).
 *
 * A plan is a pure function of the request bytes and the options: the same
 * request gets the same reply byte for byte (id and created included), and a
 * seeded RNG makes random faults reproducible.  Two deliverers share it: the
 * in-process provider (providers/mock.c) and the `seam mock` HTTP server
 * (cli/cmd_mock.c); they only decide when the bytes go out.
 *
 * What the reply says (chat):
 *   - echo on: the text of the last user message verbatim (an array of
 *     content parts gives its "text" parts concatenated, no separator);
 *     echo off or no user message: "This is a mock reply from seam to a
 *     message of N words." (N = words in the last user message).
 *   - max_completion_tokens / max_tokens cut the text at 4 chars per token
 *     and give finish_reason "length".
 *   - tools: a non-empty "tools" with tool_choice not "none" gives one call
 *     to the first function tool (or the one tool_choice names; a name that
 *     is not in tools is a 400).  Its arguments come from the function's
 *     parameters.properties: strings get the last user text (or "mock"),
 *     enums their first value, numbers 1, booleans true, arrays one item,
 *     objects their own properties.  When the last message is a tool result
 *     and tool_choice is not "required"/a function, the reply is text, so an
 *     agent loop ends.
 *   - n > 1 gives n identical choices (at most SEAM_MOCK_MAX_N).
 *   - usage: ceil(characters / 4) per text, at least 1 each.
 *
 * Faults, asked for by a directive in the last user message's text (for
 * embeddings: in any input string), else drawn at random for a fail_rate
 * fraction of requests, uniformly among 429/500/503/reset/stall (and slow,
 * when slow_ms is set):
 *   [[mock:429]] [[mock:500]] [[mock:503]]  that status, OpenAI error JSON
 *                                           (429 with Retry-After: 1)
 *   [[mock:reset]]  close the connection without a reply
 *   [[mock:stall]]  stream: head and the first stall_after events, then
 *                   silence with the connection open; non-stream: silence
 *   [[mock:slow]]   the normal reply, first byte after SEAM_MOCK_SLOW_MS
 * A body that is not JSON, or lacks what the endpoint requires, gets a 400
 * in OpenAI's error format and never a fault. */
#ifndef SEAM_PROVIDERS_MOCK_REPLY_H
#define SEAM_PROVIDERS_MOCK_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SEAM_MOCK_MAX_N       8           /* choices per reply */
#define SEAM_MOCK_MAX_DIMS    4096        /* embedding dimensions */
#define SEAM_MOCK_MAX_INPUTS  2048        /* embedding inputs per request */
#define SEAM_MOCK_MAX_REPLY   (16u << 20) /* bytes of body; beyond it a 400 */
#define SEAM_MOCK_SLOW_MS     10000       /* [[mock:slow]] delay to first byte */
#define SEAM_MOCK_STALL_AFTER 2           /* events sent before a stream stalls */

enum seam_mock_fault {
    SEAM_MOCK_OK,     /* send status + body as planned */
    SEAM_MOCK_STATUS, /* an injected error status; body is its error JSON */
    SEAM_MOCK_RESET,  /* close without replying; status and body unused */
    SEAM_MOCK_STALL,  /* send stall_after events (none for non-stream), then hold */
    SEAM_MOCK_SLOW,   /* as OK, but the first byte waits SEAM_MOCK_SLOW_MS */
};

typedef struct seam_mock_opts {
    int echo;         /* reply with the last user message's text */
    double fail_rate; /* 0..1: fraction of requests given a random fault */
    int slow_ms;      /* > 0: slow first bytes join the random faults, with this delay */
    uint64_t rng;     /* xorshift64 state, advanced per draw; 0 is replaced by a constant.
                       * Not shared between threads: give each worker its own. */
} seam_mock_opts;

typedef struct seam_mock_plan {
    int status; /* HTTP status to send */
    enum seam_mock_fault fault;
    const char *retry_after; /* Retry-After header value (static string), or NULL */
    int stream;              /* body is a stream of events, else one JSON body */
    const char *stream_type; /* Content-Type of a stream; NULL: text/event-stream */
    seam_buf body;           /* the JSON body, or every SSE event back to back */
    size_t *event_ends;      /* stream: event i is body[ends[i-1] .. ends[i]) */
    size_t nevents;
    size_t stall_after; /* STALL: events to send before going silent */
} seam_mock_plan;

/* Each builds *out from the request body req[0..n) (need not be
 * NUL-terminated).  Returns 0 with a plan to deliver — which may be a 400 or
 * an injected fault — or SEAM_BUF_NOMEM with *out empty.  Either way *out
 * must be released with seam_mock_plan_free().  o may be NULL (echo off, no
 * random faults); its rng advances only when fail_rate > 0. */
int seam_mock_plan_chat(const char *req, size_t n, seam_mock_opts *o, seam_mock_plan *out);
int seam_mock_plan_embeddings(const char *req, size_t n, seam_mock_opts *o, seam_mock_plan *out);
/* GET /v1/models: a fixed list owned by "seam-mock". */
int seam_mock_plan_models(seam_mock_plan *out);
/* Builds an OpenAI error body {"error":{message,type,param,code}} for status;
 * for the deliverers' own errors (404, 405).  param and code may be NULL. */
int seam_mock_plan_error(seam_mock_plan *out, int status, const char *message, const char *type,
                         const char *param, const char *code);
/* Releases what a plan holds and leaves it empty; accepts an empty plan. */
void seam_mock_plan_free(seam_mock_plan *p);

/* Bounds of event i of a stream plan. */
static inline const char *seam_mock_event(const seam_mock_plan *p, size_t i, size_t *len)
{
    size_t start = i ? p->event_ends[i - 1] : 0;
    *len = p->event_ends[i] - start;
    return p->body.data + start;
}

#endif
