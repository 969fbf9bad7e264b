/* anthropic.h — Anthropic's Messages API (POST /v1/messages) on top of OpenAI's
 * chat completions.
 *
 * An Anthropic client's request is translated to an OpenAI chat-completions
 * request, routed like any other, and the OpenAI answer (JSON, or SSE chunks
 * one event at a time) is translated back. Every function here is pure: no
 * I/O, no clock, no randomness; output is appended to the caller's seam_buf,
 * whose cap bounds it. The rules of the translation, what is refused and what
 * is dropped, are the table at the top of anthropic.c; the stream's are at the
 * top of anthropic_stream.c.
 *
 * Return values: 0 is success; -1 means the input was wrong (a 400 for a
 * client's request, an unreadable upstream answer); SEAM_ANTHROPIC_EOUT (-2)
 * means out could not take the output (its cap, or memory); a client's
 * request that is not JSON at all is SEAM_ANTHROPIC_EJSON (-3), so that the
 * gateway need not validate it on its own first. Whatever fails, out is left
 * as it was. */
#ifndef SEAM_API_ANTHROPIC_H
#define SEAM_API_ANTHROPIC_H

#include <stddef.h>

#include "core/buf.h"

#define SEAM_ANTHROPIC_EOUT  (-2)
#define SEAM_ANTHROPIC_EJSON (-3)

/* Anthropic Messages request p[0..n) -> OpenAI chat-completions request (JSON)
 * appended to out. The model string is copied as is (the gateway routes on
 * it). *stream (may be NULL) is set from "stream". When streaming,
 * "stream_options":{"include_usage":true} is always set so that the usage for
 * message_delta arrives. Returns 0; -1 with err, a 400 message naming the
 * field (e.g. "messages[2].content[0].type: 'document' blocks are not
 * supported"); SEAM_ANTHROPIC_EJSON with err ("request body is not valid
 * JSON: ... (line L, column C)"); or SEAM_ANTHROPIC_EOUT with err. err may
 * be NULL. */
int seam_anthropic_request_to_openai(const char *p, size_t n, seam_buf *out, int *stream, char *err,
                                     size_t errlen);

/* OpenAI chat.completion JSON -> Anthropic message JSON appended to out.
 * model: the name the client asked for (what its request said), which the
 * reply repeats as Anthropic's does; NULL uses the upstream's "model".
 * Only choice 0 is read. Returns 0, -1 when p is not a chat.completion, or
 * SEAM_ANTHROPIC_EOUT. */
int seam_anthropic_response_from_openai_model(const char *p, size_t n, const char *model,
                                              seam_buf *out);
/* The same with model NULL: the reply names the upstream's model. */
int seam_anthropic_response_from_openai(const char *p, size_t n, seam_buf *out);

/* Streams. Feed the data of each OpenAI SSE event in order (the JSON of a
 * chat.completion.chunk, or "[DONE]"); Anthropic SSE events
 * ("event: NAME\ndata: {...}\n\n") are appended to out. One state per
 * response, owned by the caller. */
typedef struct seam_anthropic_stream seam_anthropic_stream;

/* Pieces that must wait (see anthropic_stream.c) are buffered up to this
 * many bytes per stream; past it the event fails with -1. */
#define SEAM_ANTHROPIC_STREAM_MAX (8u << 20)

/* model: as for seam_anthropic_response_from_openai_model (copied; NULL: the
 * upstream's). Returns NULL when out of memory. */
seam_anthropic_stream *seam_anthropic_stream_new(const char *model);
/* Returns 0; -1 on an event it cannot read (not JSON, not an object, a tool
 * call piece it cannot place, buffered pieces past SEAM_ANTHROPIC_STREAM_MAX);
 * or SEAM_ANTHROPIC_EOUT. On failure the stream is spent: later events and
 * seam_anthropic_stream_finish return -1; end it with
 * seam_anthropic_stream_error. Events after message_stop or after an error
 * event append nothing and return 0. An OpenAI error object sent inside the stream
 * ({"error":{...}}) becomes an Anthropic error event. */
int seam_anthropic_stream_event(seam_anthropic_stream *s, const char *data, size_t n,
                                seam_buf *out);
/* The upstream ended cleanly without "[DONE]": closes the message as "[DONE]"
 * would (open blocks, message_delta, message_stop). 0, -1 after a failed
 * event, or SEAM_ANTHROPIC_EOUT. */
int seam_anthropic_stream_finish(seam_anthropic_stream *s, seam_buf *out);
/* The stream failed midway: appends an Anthropic `error` event (type from
 * status, see seam_anthropic_error_type) and ends the stream; later events
 * append nothing. Returns 0, -1 when message_stop was already sent (nothing
 * is appended: the client has a complete message), or SEAM_ANTHROPIC_EOUT. */
int seam_anthropic_stream_error(seam_anthropic_stream *s, int status, const char *message,
                                seam_buf *out);
/* 1 once message_stop was emitted. */
int seam_anthropic_stream_done(const seam_anthropic_stream *s);
/* Accepts NULL. */
void seam_anthropic_stream_free(seam_anthropic_stream *s);

/* Errors in Anthropic's format:
 * {"type":"error","error":{"type":"...","message":"..."}}
 * Types by status: 400 invalid_request_error, 401 authentication_error,
 * 403 permission_error, 404 not_found_error, 413 request_too_large,
 * 429 rate_limit_error, 503 and 529 overloaded_error, 500, 502, 504 and any
 * other 5xx api_error, any other 4xx invalid_request_error (Anthropic's own
 * rule for unlisted 4xx). */
const char *seam_anthropic_error_type(int status);
/* Appends the error object; 0 or SEAM_ANTHROPIC_EOUT. */
int seam_anthropic_error_json(seam_buf *out, int status, const char *message);
/* An upstream's OpenAI-format error body p[0..n) -> Anthropic's format,
 * keeping its message; the type follows status. Also reads the shapes
 * OpenAI-compatible servers use ({"error":"text"}, {"message":...},
 * {"detail":...}); a body with no message becomes "upstream returned HTTP
 * <status>". 0 or SEAM_ANTHROPIC_EOUT. */
int seam_anthropic_error_from_openai(int status, const char *p, size_t n, seam_buf *out);

/* POST /v1/messages/count_tokens: {"input_tokens": N}, an ESTIMATE, not the
 * count of any tokenizer: ceil(characters / 4) over the system prompt,
 * message text, tool calls and results, and tool definitions, plus
 * SEAM_ANTHROPIC_IMAGE_TOKENS per image. The body is validated as a Messages
 * request (max_tokens not required). 0, -1 with err (400),
 * SEAM_ANTHROPIC_EJSON with err, or SEAM_ANTHROPIC_EOUT. */
#define SEAM_ANTHROPIC_IMAGE_TOKENS 1600
int seam_anthropic_count_tokens(const char *p, size_t n, seam_buf *out, char *err, size_t errlen);

/* OpenAI finish_reason -> Anthropic stop_reason: stop -> end_turn,
 * length -> max_tokens, tool_calls and function_call -> tool_use,
 * content_filter -> refusal; NULL or anything else -> end_turn. */
const char *seam_anthropic_stop_reason(const char *finish_reason);

#endif
