/* anthropic_internal.h — pieces shared by anthropic.c and anthropic_stream.c;
 * not for other modules (they use anthropic.h). */
#ifndef SEAM_API_ANTHROPIC_INTERNAL_H
#define SEAM_API_ANTHROPIC_INTERNAL_H

#include <jansson.h>

#include "core/buf.h"

/* Token counts read from an OpenAI "usage" object, in Anthropic's terms. */
typedef struct seam__anthropic_usage {
    int present;        /* usage was an object */
    long input_tokens;  /* prompt_tokens - cached_tokens, never below 0 */
    long output_tokens; /* completion_tokens */
    int has_cached;     /* prompt_tokens_details.cached_tokens was a number */
    long cached_tokens; /* -> cache_read_input_tokens */
} seam__anthropic_usage;

/* Fills u from usage (any JSON value; counts that are absent or not
 * non-negative integers read as 0). */
void seam__anthropic_read_usage(const json_t *usage, seam__anthropic_usage *u);

/* Appends Anthropic's message id for an OpenAI completion id (raw bytes, not
 * JSON-escaped): "msg_" + the id without its "chatcmpl-" prefix; "msg_seam"
 * when there is none. 0 or a seam_buf error. */
int seam__anthropic_msg_id(seam_buf *out, const char *openai_id, size_t len);

/* json_dump_callback sink appending to a seam_buf. */
int seam__anthropic_dump_to_buf(const char *buffer, size_t size, void *data);

/* Sets b back to its first len bytes (what it held before a failed append). */
void seam__anthropic_buf_truncate(seam_buf *b, size_t len);

#endif
