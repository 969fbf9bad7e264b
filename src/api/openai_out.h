/* openai_out.h — pieces of OpenAI's chat-completions answers, for the
 * translators that write them from another vendor's (Anthropic, Gemini,
 * Bedrock): token usage and tool calls, which every vendor has and OpenAI
 * spells one way. */
#ifndef SEAM_API_OPENAI_OUT_H
#define SEAM_API_OPENAI_OUT_H

#include "api/json_doc.h"
#include "api/json_write.h"

/* Token counts as vendors report them: input not read from cache, cache
 * reads and writes, output. */
typedef struct seam_oai_tokens {
    long long input, cache_read, cache_write, output;
} seam_oai_tokens;

/* The counts seam_oai_usage writes for t, as the gateway reads them. */
void seam_oai_usage_counts(const seam_oai_tokens *t, seam_usage *u);

/* A vendor's usage object read in one walk into t: names[] are its names
 * for the input, cache-read, cache-write and output counts, in that order.
 * A count present as an integer sets its field (a negative one as 0: never
 * passed on); one absent or malformed leaves the field as it was — zero for
 * a whole answer, what an earlier event said in a stream. */
typedef const char *const seam_oai_token_names[4];
void seam_oai_read_tokens(const seam_jdoc *d, seam_jv usage, seam_oai_token_names names,
                          seam_oai_tokens *t);

/* a + b for counts that come from upstreams: saturates instead of overflowing. */
long long seam_oai_add(long long a, long long b);

/* OpenAI's "usage" value: prompt_tokens counts cached tokens too (vendors
 * that report them apart are summed), completion_tokens, total_tokens, and
 * prompt_tokens_details.cached_tokens (the cache reads). */
void seam_oai_usage(seam_jw *w, const seam_oai_tokens *t);

/* The members a chat.completion or chunk opens with: id, object
 * ("chat.completion" / "chat.completion.chunk"), created, model. */
void seam_oai_head(seam_jw *w, const char *id, const char *object, long long created,
                   const char *model);

/* A choice of a chat.completion up to its message's content:
 * {"index":N,"message":{"role":"assistant","content": — the content value
 * and the rest of the message follow, then two seam_jw_end. */
void seam_oai_message_open(seam_jw *w, long long index);

/* One tool_calls element: {"id","type":"function","function":{"name",
 * "arguments"}}, id and name copied as they stand in d, the arguments
 * string made from the JSON value input ("{}" when it is NULL). */
void seam_oai_tool_call(seam_jw *w, const seam_jdoc *d, seam_jv id, seam_jv name, seam_jv input);

#endif
