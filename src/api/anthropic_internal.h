/* anthropic_internal.h — pieces shared by anthropic.c and anthropic_stream.c;
 * not for other modules (they use anthropic.h). */
#ifndef SEAM_API_ANTHROPIC_INTERNAL_H
#define SEAM_API_ANTHROPIC_INTERNAL_H

#include <stddef.h>

#include "api/json_doc.h"
#include "core/buf.h"

/* Token counts read from an OpenAI "usage" object, in Anthropic's terms. */
typedef struct seam__anthropic_usage {
    int present;        /* usage was an object */
    long input_tokens;  /* prompt_tokens - cached_tokens, never below 0 */
    long output_tokens; /* completion_tokens */
    int has_cached;     /* prompt_tokens_details.cached_tokens was an integer */
    long cached_tokens; /* -> cache_read_input_tokens */
} seam__anthropic_usage;

/* Fills u from usage (any value, or NULL; counts that are absent or not
 * non-negative integers read as 0, counts past LONG_MAX as LONG_MAX). */
void seam__anthropic_read_usage(const seam_jdoc *d, seam_jv usage, seam__anthropic_usage *u);

/* v is an integer (no fraction or exponent): its value in *out, clamped to
 * LONG_MIN..LONG_MAX. 0, or -1 when v is anything else. */
int seam__anthropic_long(const seam_jdoc *d, seam_jv v, long *out);

/* Anthropic's message id for an OpenAI completion id (decoded bytes, or
 * NULL): "msg_" + the id without its "chatcmpl-" prefix; an id already
 * starting "msg_" as it is; "msg_seam" when there is none. Returns the
 * prefix to write before id[0..*len), which it may advance past
 * "chatcmpl-". */
const char *seam__anthropic_msg_id_split(const char **id, size_t *len);
/* The same id appended to out (raw bytes, not JSON-escaped). 0 or a
 * seam_buf error. */
int seam__anthropic_msg_id(seam_buf *out, const char *openai_id, size_t len);

/* seam_anthropic_stop_reason for a parsed finish_reason (any value). */
const char *seam__anthropic_stop_reason(const seam_jdoc *d, seam_jv finish_reason);

/* The error object of seam_anthropic_error_json with a message that is
 * already a JSON-escaped string body (a span of a parsed document). */
int seam__anthropic_error_escaped(seam_buf *out, int status, const char *body, size_t len);

/* Sets b back to its first len bytes (what it held before a failed append). */
void seam__anthropic_buf_truncate(seam_buf *b, size_t len);

#endif
