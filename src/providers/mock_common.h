/* mock_common.h — what every wire of `seam mock` does alike (no I/O).
 *
 * The OpenAI wire (mock_reply.c) and the vendor wires (mock_anthropic.c,
 * mock_gemini.c, mock_bedrock.c) answer by the same rules: the same hashes
 * make the same ids and vectors, the same seed draws the same faults, the
 * same text is cut and counted the same way and split into the same stream
 * pieces.  Those rules live here once, so a wire cannot drift from the
 * others by accident; what a vendor's bytes look like stays in its wire. */
#ifndef SEAM_PROVIDERS_MOCK_COMMON_H
#define SEAM_PROVIDERS_MOCK_COMMON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "providers/mock_reply.h"

#define SEAM_MOCK_FNV_INIT     0xcbf29ce484222325ULL
#define SEAM_MOCK_SENTENCE_MAX 96 /* bytes for the "This is a mock reply..." sentence */

/* ---- hashing, counting ---- */

/* FNV-1a of p[0..n) continuing from h: request bytes become ids and seeds. */
uint64_t seam_mock_fnv1a(const void *p, size_t n, uint64_t h);
/* splitmix64: advances *s and returns the next value (ids, vectors). */
uint64_t seam_mock_splitmix(uint64_t *s);
/* Code points in valid UTF-8 (jansson only hands out valid UTF-8). */
size_t seam_mock_utf8_chars(const char *s, size_t n);
/* Byte length of the first `chars` code points of s[0..n). */
size_t seam_mock_utf8_prefix(const char *s, size_t n, size_t chars);
/* The mock's token estimate: ceil(chars / 4), at least 1. */
size_t seam_mock_tokens_for(size_t chars);
/* Runs of non-space in s[0..n). */
size_t seam_mock_count_words(const char *s, size_t n);
/* Is v the JSON string s? */
int seam_mock_str_eq(json_t *v, const char *s);

/* ---- writing a plan ---- */

/* A writer into a buffer that keeps the first failure and skips later
 * writes, so a reply is built without checking every append. */
typedef struct seam_mock_out {
    seam_buf *b;
    int err;           /* first failure (SEAM_BUF_*) */
    seam_mock_plan *p; /* streams: the plan whose event_ends to record, else NULL */
    size_t cap;        /* of p->event_ends */
} seam_mock_out;

/* A writer into p's body that can record p's events. */
seam_mock_out seam_mock_out_plan(seam_mock_plan *p);
void seam_mock_put(seam_mock_out *o, const char *s, size_t n);
void seam_mock_put_s(seam_mock_out *o, const char *s);
void seam_mock_put_u(seam_mock_out *o, unsigned long long v);
/* v as 16 lower-case hex digits. */
void seam_mock_put_hex(seam_mock_out *o, uint64_t v);
/* s[0..n) as a quoted JSON string. */
void seam_mock_put_str(seam_mock_out *o, const char *s, size_t n);
/* v[0..dims) as "%.9g" numbers joined by commas (no brackets). */
void seam_mock_put_floats(seam_mock_out *o, const float *v, size_t dims);
/* Records that an event of o->p ends at the body's current length. */
void seam_mock_event_end(seam_mock_out *o);
/* Closes an SSE event ("\n\n") and records it. */
void seam_mock_sse_end(seam_mock_out *o);

/* An empty 200 plan with the reply cap. */
void seam_mock_plan_init(seam_mock_plan *p);
/* A stalled stream sends its first SEAM_MOCK_STALL_AFTER events (or fewer). */
void seam_mock_plan_stall(seam_mock_plan *p);

/* ---- faults ---- */

/* The [[mock:...]] directive in s[0..n): -1 for none, else 0..5 = 429, 500,
 * 503, reset, stall, slow. */
int seam_mock_fault_directive(const char *s, size_t n);
/* A random fault (0..4) for a fail_rate fraction of calls, else -1; one
 * seed gives the same faults on every wire.  o may be NULL. */
int seam_mock_fault_roll(seam_mock_opts *o);
/* Applies a fault that has no error body (3 reset, 4 stall, 5 slow), alike
 * on every wire: 1 when p is complete (reset), else 0.  Error statuses
 * (0..2) are the wire's own. */
int seam_mock_fault_bodiless(seam_mock_plan *p, int f);

/* ---- what the reply says ---- */

/* The reply text: the user's text when echo is on and echo_ok, else the
 * sentence counting its words, written into sentence[SEAM_MOCK_SENTENCE_MAX].
 * Sets *text and returns its length. */
size_t seam_mock_reply_text(const seam_mock_opts *o, int echo_ok, const seam_buf *user,
                            char *sentence, const char **text);
/* Cuts text[0..*len) at max_tokens * 4 code points (max_tokens 0: no cut);
 * *cut says whether it did.  Returns the text's token estimate. */
size_t seam_mock_cut_text(const char *text, size_t *len, size_t max_tokens, int *cut);
/* Tool arguments for JSON Schema s: enums their first value, numbers 1,
 * booleans true, arrays one item, objects their own properties, strings the
 * user's text or "mock".  Always an object; NULL when out of memory. */
json_t *seam_mock_tool_input(json_t *schema, const seam_buf *user);
/* Tokens of a call: its name and its arguments' JSON. */
size_t seam_mock_call_tokens(json_t *name, const char *args, size_t len);

/* ---- stream pieces ---- */

/* End of the text piece that starts at pos: `words` runs of non-space with
 * the whitespace before each, so pieces concatenate back to the text. */
size_t seam_mock_text_piece_end(const char *s, size_t n, size_t pos, size_t words);
/* Words per text delta so a reply takes at most 256 deltas. */
size_t seam_mock_words_per_delta(const char *s, size_t n);
/* End of the arguments piece that starts at pos, on a UTF-8 boundary. */
size_t seam_mock_arg_piece_end(const char *s, size_t n, size_t pos, size_t size);
/* Bytes per arguments piece for len bytes: about 16, at least 3 and at
 * most 64 pieces. */
size_t seam_mock_arg_piece_size(size_t len);

/* ---- embeddings ---- */

/* A unit vector of dims floats seeded by h: the same text gets the same
 * vector on every wire. */
void seam_mock_embed_vector(uint64_t h, size_t dims, float *v);

#endif
