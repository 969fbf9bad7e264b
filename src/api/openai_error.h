/* openai_error.h — errors in OpenAI's wire format.
 *
 * {"error":{"message":"...","type":"...","param":null,"code":"..."}}
 * `code` is a stable seam code that clients and runbooks can match on. */
#ifndef SEAM_API_OPENAI_ERROR_H
#define SEAM_API_OPENAI_ERROR_H

#include "core/buf.h"

/* The OpenAI error type that goes with an HTTP status. */
const char *seam_openai_error_type(int status);
/* Appends the error object to out; returns 0 or a seam_buf error. */
int seam_openai_error_json(seam_buf *out, int status, const char *code, const char *message);
/* The same object as one SSE event, for a stream that fails after it began. */
int seam_openai_error_event(seam_buf *out, int status, const char *code, const char *message);

#endif
