/* anthropic.c — provider type "anthropic": Anthropic's Messages API
 * (POST {base_url}/v1/messages), translated both ways from and to OpenAI
 * chat completions.
 *
 * The gateway hands every provider an OpenAI request; this file turns it
 * into a Messages request and Anthropic's answers (JSON, the SSE event
 * sequence, error bodies) back into OpenAI's.  adapter.c does the HTTP.
 * Each document (request, answer, error body, stream event) is parsed once
 * into a json_doc node array and the other side is written straight into
 * the output buffer (json_write.h): no tree, no copies of strings, which
 * are passed on still escaped, and numbers as the sender wrote them; this is
 * the translator the gateway's overhead is measured on.  Streams are
 * translated event by event with the shared SSE reader, so time to first
 * token is never held.
 *
 * Request, OpenAI -> Anthropic.  A field is translated, dropped (only when
 * dropping it cannot change the answer), or refused with a 400 that names
 * it.  Fields whose value is null are treated as absent.  Unknown fields are
 * refused: silently ignoring a parameter the client meant would give it an
 * answer that looks right and is not.
 *
 *   field                        what happens
 *   ---------------------------  ------------------------------------------------
 *   model                        the route's model (req->model)
 *   messages: system, developer  top-level "system": a string; several messages'
 *                                texts are joined with a blank line, parts of one
 *                                message without separator; moved to the front
 *                                (Anthropic has one system prompt); non-text parts
 *                                refused
 *   messages: user               role user, content blocks: text, image (data: URL
 *                                -> base64 source, http(s) URL -> url source;
 *                                image_url.detail dropped: Anthropic has no such
 *                                knob), file with a PDF data: URL -> document;
 *                                input_audio, file_id and other parts refused
 *   messages: assistant          text (and refusal) parts -> text blocks;
 *                                tool_calls -> tool_use {id, name, input}; arguments
 *                                that are not a JSON object refused ("" is {});
 *                                audio, function_call refused
 *   messages: tool               a user message of tool_result {tool_use_id,
 *                                content}; consecutive results share one message
 *   messages: function           refused (deprecated; use tools)
 *   messages[].name              dropped: Anthropic has no participant names
 *   (alternation)                consecutive same-role messages merged into one,
 *                                as Anthropic requires; empty text parts skipped
 *                                (Anthropic rejects empty text blocks) and a
 *                                message left with no blocks is left out; a
 *                                conversation that ends with an assistant message
 *                                is sent as is (Anthropic continues that text: a
 *                                prefill)
 *   max_completion_tokens,       max_tokens (max_completion_tokens wins if both);
 *   max_tokens                   4096 when absent: Anthropic requires it
 *   temperature, top_p           as is (Anthropic's temperature range is 0..1; a
 *                                value above 1 gets Anthropic's own 400)
 *   stop (string or array)       stop_sequences
 *   stream                       stream (from req->stream)
 *   stream_options               read (include_usage), not sent
 *   user, safety_identifier      metadata.user_id (user wins)
 *   tools (function)             {name, description, input_schema = parameters};
 *                                function.strict dropped (Anthropic follows the
 *                                schema without it); other tool types refused
 *   tool_choice                  auto -> auto, required -> any, none -> none,
 *                                {function:{name}} -> {type:tool, name};
 *                                allowed_tools / custom refused
 *   parallel_tool_calls: false   tool_choice.disable_parallel_tool_use: true
 *   top_k                        passed through (an Anthropic knob clients can
 *                                send as an extra field)
 *   n > 1                        refused: one choice per request
 *   logprobs: true, top_logprobs refused: Anthropic returns no log probabilities
 *   response_format json_object  refused: Anthropic has no JSON mode (say it in
 *   / json_schema                the prompt or use a tool); type text dropped
 *   audio, modalities with audio refused: no audio output
 *   logit_bias (non-empty)       refused
 *   presence_penalty,            refused when non-zero: they change the answer
 *   frequency_penalty
 *   reasoning_effort, verbosity  refused: no equivalent knob
 *   web_search_options           refused
 *   functions, function_call     refused (deprecated; use tools)
 *   seed, store, metadata,       dropped: best-effort determinism, OpenAI-side
 *   service_tier, prediction,    storage and billing, a latency hint and a cache
 *   prompt_cache_key             routing hint; none changes the answer
 *
 * Response, Anthropic -> OpenAI: one choice; text blocks joined into content
 * (null when the answer is only tool calls); tool_use -> tool_calls with the
 * input serialised as the arguments string; thinking, redacted_thinking and
 * server-tool blocks are dropped (OpenAI's chat format has no place for
 * them); stop_reason end_turn / stop_sequence / pause_turn -> stop,
 * max_tokens / model_context_window_exceeded -> length, tool_use ->
 * tool_calls, refusal -> content_filter, a reason this file does not know ->
 * stop; usage prompt_tokens = input + cache read + cache creation tokens
 * (Anthropic counts them apart, OpenAI's prompt_tokens includes cached
 * ones), prompt_tokens_details.cached_tokens = cache read tokens.
 *
 * Streams: message_start -> a role chunk; text deltas -> content; tool_use
 * blocks -> tool_calls[index = n-th tool_use block] with id and name, then
 * input_json_delta pieces passed on as they come ("{}" when a tool's input
 * streamed empty); message_delta -> the finish_reason chunk; message_stop ->
 * the usage chunk (choices: []) when stream_options.include_usage asked for
 * it, then [DONE].  An error event becomes an OpenAI error event and the
 * stream ends failed; a stream without message_stop was cut short.  Events
 * this file does not know (and ping) are ignored, so new event types do not
 * break streams.  Anything malformed is a protocol error (-1). */
#include "providers/anthropic_xlate.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/json_doc.h"
#include "api/json_write.h"
#include "api/openai_out.h"
#include "http/sse.h"

#define DEFAULT_BASE_URL   "https://api.anthropic.com"
#define DEFAULT_VERSION    "2023-06-01"
#define DEFAULT_MAX_TOKENS 4096
#define MAX_SSE_EVENT      (4u << 20) /* one vendor event */
#define MAX_BLOCKS         4096       /* content blocks in one streamed message */
#define MAX_HEAD           (64u << 10)
#define OUT_SLACK          512 /* output beyond the input's size, reserved up front */

typedef struct anthropic_provider {
    seam_provider base;
    seam_http_target *messages;
    char *key_line;             /* "x-api-key: KEY", or NULL without a key */
    char *version_line;         /* "anthropic-version: VERSION" */
    const char *check_lines[4]; /* a health check's GET: credentials, version, Accept */
} anthropic_provider;

/* ---- per-call state ---- */

typedef struct block_info {
    int tool;  /* index among tool_use blocks, or -1 */
    int args;  /* some non-empty arguments piece was sent */
    int begun; /* content_block_start seen */
} block_info;

typedef struct anthropic_state {
    int include_usage; /* stream_options.include_usage */
    const char *model; /* req->model (it outlives the call), for a reply that names none */
    seam_sse_reader sse;
    int sse_ready;
    seam_buf head; /* data: {"id":...,"model":...,"choices":[ */
    int started, finished, stopped, failed;
    block_info *blocks;
    size_t nblocks;
    int ntools;
    seam_oai_tokens tokens;
    seam_buf *out; /* during a feed */
    int werr;      /* first write error into out */
} anthropic_state;

static void state_free(void *state)
{
    anthropic_state *st = state;
    if (st->sse_ready) seam_sse_reader_free(&st->sse);
    seam_buf_free(&st->head);
    free(st->blocks);
}

/* ---- shared by both directions ---- */

static int str_is(const seam_jdoc *d, seam_jv v, const char *s)
{
    return seam_jstr_eq(d, v, s);
}

/* The length of a string's escaped body; 0 when empty or not a string.
 * An escaped body is empty exactly when the text it stands for is. */
static size_t str_len(seam_jv v)
{
    return seam_jis(v, SEAM_JSTRING) ? v->len - 2 : 0;
}

/* Drops what a failed translation wrote after start. */
static void truncate_to(seam_buf *b, size_t start)
{
    b->len = start;
    if (b->data) b->data[start] = '\0';
}

/* ---- request: OpenAI -> Anthropic ---- */

/* What happens to each top-level field; see the table at the top. */
enum rule {
    R_USED,        /* read by build() */
    R_DROP,        /* no effect on the answer */
    R_REFUSE,      /* any non-null value */
    R_REFUSE_TRUE, /* refused when true */
    R_REFUSE_NONZERO,
    R_REFUSE_NONEMPTY, /* an object with members */
    R_N,
    R_MODALITIES,
    R_RESPONSE_FORMAT,
};

#define NO_EQUIV_LOGPROBS "Anthropic returns no log probabilities"
#define NO_EQUIV_AUDIO    "Anthropic produces no audio"
#define NO_EQUIV_JSON                                                                              \
    "Anthropic has no JSON mode or structured output format; ask for JSON in the prompt or use a " \
    "tool"

/* X(ID, name, rule, why): every top-level field seam knows, in one list
 * that gives both the rules table and the slots build() reads them from. */
#define FIELDS(X)                                                                                  \
    X(MODEL, "model", R_USED, NULL)                                                                \
    X(MESSAGES, "messages", R_USED, NULL)                                                          \
    X(MAX_TOKENS, "max_tokens", R_USED, NULL)                                                      \
    X(MAX_COMPLETION_TOKENS, "max_completion_tokens", R_USED, NULL)                                \
    X(TEMPERATURE, "temperature", R_USED, NULL)                                                    \
    X(TOP_P, "top_p", R_USED, NULL)                                                                \
    X(TOP_K, "top_k", R_USED, NULL)                                                                \
    X(STOP, "stop", R_USED, NULL)                                                                  \
    X(STREAM, "stream", R_USED, NULL)                                                              \
    X(STREAM_OPTIONS, "stream_options", R_USED, NULL)                                              \
    X(USER, "user", R_USED, NULL)                                                                  \
    X(SAFETY_IDENTIFIER, "safety_identifier", R_USED, NULL)                                        \
    X(TOOLS, "tools", R_USED, NULL)                                                                \
    X(TOOL_CHOICE, "tool_choice", R_USED, NULL)                                                    \
    X(PARALLEL_TOOL_CALLS, "parallel_tool_calls", R_USED, NULL)                                    \
    X(SEED, "seed", R_DROP, NULL)                                                                  \
    X(STORE, "store", R_DROP, NULL)                                                                \
    X(METADATA, "metadata", R_DROP, NULL)                                                          \
    X(SERVICE_TIER, "service_tier", R_DROP, NULL)                                                  \
    X(PREDICTION, "prediction", R_DROP, NULL)                                                      \
    X(PROMPT_CACHE_KEY, "prompt_cache_key", R_DROP, NULL)                                          \
    X(N, "n", R_N, "Anthropic returns one choice per request")                                     \
    X(LOGPROBS, "logprobs", R_REFUSE_TRUE, NO_EQUIV_LOGPROBS)                                      \
    X(TOP_LOGPROBS, "top_logprobs", R_REFUSE_NONZERO, NO_EQUIV_LOGPROBS)                           \
    X(PRESENCE_PENALTY, "presence_penalty", R_REFUSE_NONZERO, "Anthropic has no presence penalty") \
    X(FREQUENCY_PENALTY, "frequency_penalty", R_REFUSE_NONZERO,                                    \
      "Anthropic has no frequency penalty")                                                        \
    X(LOGIT_BIAS, "logit_bias", R_REFUSE_NONEMPTY, "Anthropic has no logit bias")                  \
    X(AUDIO, "audio", R_REFUSE, NO_EQUIV_AUDIO)                                                    \
    X(MODALITIES, "modalities", R_MODALITIES, NO_EQUIV_AUDIO)                                      \
    X(RESPONSE_FORMAT, "response_format", R_RESPONSE_FORMAT, NO_EQUIV_JSON)                        \
    X(REASONING_EFFORT, "reasoning_effort", R_REFUSE, "Anthropic has no reasoning_effort knob")    \
    X(VERBOSITY, "verbosity", R_REFUSE, "Anthropic has no verbosity knob")                         \
    X(WEB_SEARCH_OPTIONS, "web_search_options", R_REFUSE,                                          \
      "OpenAI's web search has no equivalent here")                                                \
    X(FUNCTIONS, "functions", R_REFUSE,                                                            \
      "the deprecated functions API is not translated; use tools")                                 \
    X(FUNCTION_CALL, "function_call", R_REFUSE,                                                    \
      "the deprecated functions API is not translated; use tool_choice")

#define AS_ENUM(id, name, rule, why) F_##id,
enum field_id { FIELDS(AS_ENUM) F_COUNT };
#undef AS_ENUM

static const struct {
    const char *name;
    size_t len;
    enum rule rule;
    const char *why;
} rules[F_COUNT] = {
#define AS_RULE(id, name, rule, why) {name, sizeof(name) - 1, rule, why},
    FIELDS(AS_RULE)
#undef AS_RULE
};

typedef struct xl {
    const seam_provider *p;
    const seam_call_req *req;
    const seam_jdoc *d;    /* the OpenAI request */
    seam_jw jw;            /* the Anthropic request, written as it is read ... */
    seam_jw *w;            /* ... through this (&jw) */
    const char *open_role; /* role of the message whose content is open, or NULL */
    seam_jv system1;       /* the system prompt while it is one text: copied as is */
    seam_buf system;       /* else its texts joined, still JSON-escaped */
    int has_system;
    seam_buf scratch;   /* decoded text: tool arguments, escaped data: URLs, keys */
    seam_jv f[F_COUNT]; /* the top-level fields' values; NULL when absent or null */
} xl;

static int refuse(xl *x, const char *field, const char *why)
{
    seam_adapter_refuse(x->p, x->req, field, why);
    return -1;
}

/* refuse() with a field name built from fmt. */
static int refuse_at(xl *x, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse_at(xl *x, const char *why, const char *fmt, ...)
{
    char field[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(field, sizeof field, fmt, ap);
    va_end(ap);
    return refuse(x, field, why);
}

static int nomem(xl *x)
{
    return refuse(x, "the request", "out of memory");
}

/* The text of string v: its body itself when it holds no escape (most do
 * not: no copy), else decoded into x->scratch, which the next call reuses.
 * NULL when out of memory. */
static const char *plain_text(xl *x, seam_jv v, size_t *n)
{
    const char *s = seam_jstr(x->d, v, n);
    if (!v->escaped) return s;
    seam_buf_reset(&x->scratch);
    if (seam_jstr_decode(x->d, v, &x->scratch)) return NULL;
    *n = x->scratch.len;
    return x->scratch.data ? x->scratch.data : "";
}

/* A string value cut from a text plain_text() gave: a span of an unescaped
 * body is itself a valid body and is copied; decoded text is escaped again. */
static void write_piece(xl *x, seam_jv from, const char *s, size_t n)
{
    if (from->escaped)
        seam_jw_str(x->w, s, n);
    else
        seam_jw_str_escaped(x->w, s, n);
}

/* Opens the next content block's place in a message of role, starting a
 * new message when the role changes: Anthropic wants user and assistant to
 * alternate, so consecutive same-role messages merge. */
static void open_block(xl *x, const char *role)
{
    if (x->open_role && strcmp(x->open_role, role) == 0) return;
    if (x->open_role) {
        seam_jw_end(x->w); /* content */
        seam_jw_end(x->w); /* message */
    }
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "role");
    seam_jw_cstr(x->w, role);
    seam_jw_lkey(x->w, "content");
    seam_jw_arr(x->w);
    x->open_role = role;
}

/* {"type":"text","text":TEXT}, TEXT copied as written. */
static void text_block(xl *x, seam_jv text)
{
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "type");
    seam_jw_lstr(x->w, "text");
    seam_jw_lkey(x->w, "text");
    seam_jw_value(x->w, x->d, text);
    seam_jw_end(x->w);
}

/* A text part -> a text block; empty texts are skipped (Anthropic rejects them). */
static int push_text(xl *x, const char *role, seam_jv text)
{
    if (!str_len(text)) return 0;
    open_block(x, role);
    text_block(x, text);
    return 0;
}

/* Splits "data:MEDIA[;params];base64,DATA".  Returns 0 with the parts, or -1. */
static int data_url(const char *url, size_t n, const char **media, size_t *media_len,
                    const char **data, size_t *data_len)
{
    if (n < 5 || strncmp(url, "data:", 5) != 0) return -1;
    const char *comma = memchr(url, ',', n);
    if (!comma) return -1;
    const char *m = url + 5;
    size_t mlen = 0;
    while (m + mlen < comma && m[mlen] != ';')
        mlen++;
    if ((size_t)(comma - url) < 12 || memcmp(comma - 7, ";base64", 7) != 0 || !mlen) return -1;
    *media = m;
    *media_len = mlen;
    *data = comma + 1;
    *data_len = n - (size_t)(comma + 1 - url);
    return 0;
}

/* {"type": TYPE, "source": {"type":"base64","media_type":M,"data":D}}; M
 * and D are pieces of url's text (see write_piece). */
static void base64_block(xl *x, const char *type, seam_jv url, const char *media, size_t mlen,
                         const char *data, size_t dlen)
{
    open_block(x, "user");
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "type");
    seam_jw_cstr(x->w, type);
    seam_jw_lkey(x->w, "source");
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "type");
    seam_jw_lstr(x->w, "base64");
    seam_jw_lkey(x->w, "media_type");
    write_piece(x, url, media, mlen);
    seam_jw_lkey(x->w, "data");
    write_piece(x, url, data, dlen);
    seam_jw_end(x->w);
    seam_jw_end(x->w);
}

static int push_image(xl *x, size_t i, size_t j, seam_jv part)
{
    seam_jv iu = seam_jget(x->d, part, "image_url");
    seam_jv url = seam_jis(iu, SEAM_JSTRING) ? iu : seam_jget(x->d, iu, "url");
    if (!seam_jis(url, SEAM_JSTRING))
        return refuse_at(x, "needs a url string", "messages[%zu].content[%zu].image_url", i, j);
    if (seam_jstr_prefix(x->d, url, "https://") || seam_jstr_prefix(x->d, url, "http://")) {
        open_block(x, "user");
        seam_jw_obj(x->w);
        seam_jw_lkey(x->w, "type");
        seam_jw_lstr(x->w, "image");
        seam_jw_lkey(x->w, "source");
        seam_jw_obj(x->w);
        seam_jw_lkey(x->w, "type");
        seam_jw_lstr(x->w, "url");
        seam_jw_lkey(x->w, "url");
        seam_jw_value(x->w, x->d, url);
        seam_jw_end(x->w);
        seam_jw_end(x->w);
        return 0;
    }
    size_t n, mlen, dlen;
    const char *u = plain_text(x, url, &n), *media, *data;
    if (!u) return nomem(x);
    if (data_url(u, n, &media, &mlen, &data, &dlen) != 0)
        return refuse_at(x, "only http(s) URLs and base64 data: URLs have an Anthropic equivalent",
                         "messages[%zu].content[%zu].image_url.url", i, j);
    base64_block(x, "image", url, media, mlen, data, dlen);
    return 0;
}

static int push_file(xl *x, size_t i, size_t j, seam_jv part)
{
    seam_jv fd = seam_jget(x->d, seam_jget(x->d, part, "file"), "file_data");
    const char *u = NULL, *media, *data;
    size_t n, mlen, dlen;
    if (seam_jis(fd, SEAM_JSTRING) && !(u = plain_text(x, fd, &n))) return nomem(x);
    if (!u || data_url(u, n, &media, &mlen, &data, &dlen) || mlen != 15 ||
        memcmp(media, "application/pdf", 15) != 0)
        return refuse_at(x, "only PDF file_data as a base64 data: URL has an Anthropic equivalent",
                         "messages[%zu].content[%zu].file", i, j);
    base64_block(x, "document", fd, media, mlen, data, dlen);
    return 0;
}

/* A user message's content -> blocks of a user message. */
static int user_content(xl *x, size_t i, seam_jv c)
{
    if (seam_jnone(c)) return 0;
    if (seam_jis(c, SEAM_JSTRING)) return push_text(x, "user", c);
    if (!seam_jis(c, SEAM_JARRAY))
        return refuse_at(x, "must be a string or an array of parts", "messages[%zu].content", i);
    size_t j;
    seam_jv part;
    seam_jarr_foreach(c, j, part)
    {
        seam_jv type = seam_jget(x->d, part, "type");
        int rc;
        if (str_is(x->d, type, "text")) {
            seam_jv text = seam_jget(x->d, part, "text");
            if (!seam_jis(text, SEAM_JSTRING))
                return refuse_at(x, "must be a string", "messages[%zu].content[%zu].text", i, j);
            rc = push_text(x, "user", text);
        } else if (str_is(x->d, type, "image_url")) {
            rc = push_image(x, i, j, part);
        } else if (str_is(x->d, type, "file")) {
            rc = push_file(x, i, j, part);
        } else if (str_is(x->d, type, "input_audio")) {
            rc = refuse_at(x, "Anthropic takes no audio input", "messages[%zu].content[%zu]", i, j);
        } else {
            rc = refuse_at(x, "this part type has no Anthropic equivalent",
                           "messages[%zu].content[%zu].type", i, j);
        }
        if (rc) return rc;
    }
    return 0;
}

/* Text-only content (system, developer, assistant, tool) -> calls fn per text. */
static int text_parts(xl *x, size_t i, seam_jv c, int allow_refusal,
                      int (*fn)(xl *x, seam_jv text, void *ud), void *ud)
{
    if (seam_jnone(c)) return 0;
    if (seam_jis(c, SEAM_JSTRING)) return fn(x, c, ud);
    if (!seam_jis(c, SEAM_JARRAY))
        return refuse_at(x, "must be a string or an array of text parts", "messages[%zu].content",
                         i);
    size_t j;
    seam_jv part;
    seam_jarr_foreach(c, j, part)
    {
        seam_jv type = seam_jget(x->d, part, "type");
        seam_jv text;
        if (str_is(x->d, type, "text"))
            text = seam_jget(x->d, part, "text");
        else if (allow_refusal && str_is(x->d, type, "refusal"))
            text = seam_jget(x->d, part, "refusal");
        else
            return refuse_at(x, "only text parts have an Anthropic equivalent here",
                             "messages[%zu].content[%zu]", i, j);
        if (!seam_jis(text, SEAM_JSTRING))
            return refuse_at(x, "must be a string", "messages[%zu].content[%zu].text", i, j);
        int rc = fn(x, text, ud);
        if (rc) return rc;
    }
    return 0;
}

/* Collects a system text.  Escaped bodies join into a valid body, so the
 * texts are never decoded; a prompt of one text is not even copied. */
static int system_text(xl *x, seam_jv text, void *ud)
{
    int *first_of_message = ud;
    size_t n;
    const char *s = seam_jstr(x->d, text, &n);
    int rc = 0;
    if (!x->has_system) {
        x->system1 = text;
    } else {
        if (x->system1) {
            size_t n1;
            const char *s1 = seam_jstr(x->d, x->system1, &n1);
            rc = seam_buf_append(&x->system, s1, n1);
            x->system1 = NULL;
        }
        if (!rc && *first_of_message) rc = seam_buf_append(&x->system, "\\n\\n", 4);
        if (!rc) rc = seam_buf_append(&x->system, s, n);
        if (rc) return nomem(x);
    }
    *first_of_message = 0;
    x->has_system = 1;
    return 0;
}

static int assistant_text(xl *x, seam_jv text, void *ud)
{
    return push_text(x, "assistant", text);
}

/* Bytes of JSON whitespace at the start of s[0..n). */
static size_t leading_ws(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r'))
        k++;
    return k;
}

/* A tool call's arguments string as Anthropic's input object: its decoded
 * text in *input, or NULL for "no arguments" ({}).  -1 after refusing. */
static int call_input(xl *x, size_t i, size_t j, seam_jv args, const char **input, size_t *n)
{
    *input = NULL;
    *n = 0;
    if (seam_jnone(args)) return 0;
    const char *a = NULL;
    if (seam_jis(args, SEAM_JSTRING) && !(a = plain_text(x, args, n))) return nomem(x);
    size_t k = a ? leading_ws(a, *n) : 0;
    if (a && k == *n) return 0; /* "" or blanks: no arguments */
    if (!a || a[k] != '{' || seam_json_validate(a, *n, NULL) != 0)
        return refuse_at(x, "must be a JSON object in a string (Anthropic's tool input is one)",
                         "messages[%zu].tool_calls[%zu].function.arguments", i, j);
    *input = a;
    return 0;
}

static int tool_use(xl *x, size_t i, size_t j, seam_jv call)
{
    seam_jv type = seam_jget(x->d, call, "type");
    seam_jv fn = seam_jget(x->d, call, "function");
    seam_jv id = seam_jget(x->d, call, "id");
    seam_jv name = seam_jget(x->d, fn, "name");
    if (type && !str_is(x->d, type, "function"))
        return refuse_at(x, "only function calls have an Anthropic equivalent",
                         "messages[%zu].tool_calls[%zu].type", i, j);
    if (!seam_jis(id, SEAM_JSTRING) || !seam_jis(name, SEAM_JSTRING))
        return refuse_at(x, "needs an id and a function name", "messages[%zu].tool_calls[%zu]", i,
                         j);
    const char *input;
    size_t n;
    if (call_input(x, i, j, seam_jget(x->d, fn, "arguments"), &input, &n)) return -1;
    open_block(x, "assistant");
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "type");
    seam_jw_lstr(x->w, "tool_use");
    seam_jw_lkey(x->w, "id");
    seam_jw_value(x->w, x->d, id);
    seam_jw_lkey(x->w, "name");
    seam_jw_value(x->w, x->d, name);
    seam_jw_lkey(x->w, "input");
    if (input)
        seam_jw_raw(x->w, input, n);
    else
        seam_jw_raw(x->w, "{}", 2);
    seam_jw_end(x->w);
    return 0;
}

static int assistant(xl *x, size_t i, seam_jv m)
{
    if (seam_jopt(x->d, m, "audio"))
        return refuse_at(x, "Anthropic produces no audio", "messages[%zu].audio", i);
    if (seam_jopt(x->d, m, "function_call"))
        return refuse_at(x, "the deprecated functions API is not translated; use tool_calls",
                         "messages[%zu].function_call", i);
    int rc = text_parts(x, i, seam_jget(x->d, m, "content"), 1, assistant_text, NULL);
    if (rc) return rc;
    seam_jv calls = seam_jopt(x->d, m, "tool_calls");
    if (!calls) return 0;
    if (!seam_jis(calls, SEAM_JARRAY))
        return refuse_at(x, "must be an array", "messages[%zu].tool_calls", i);
    size_t j;
    seam_jv call;
    seam_jarr_foreach(calls, j, call)
    {
        if ((rc = tool_use(x, i, j, call))) return rc;
    }
    return 0;
}

/* A tool message's text part; the content array opens at the first
 * non-empty one (*opened), so a result without text gets no content. */
static int tool_text(xl *x, seam_jv text, void *ud)
{
    int *opened = ud;
    if (!str_len(text)) return 0;
    if (!*opened) {
        seam_jw_lkey(x->w, "content");
        seam_jw_arr(x->w);
        *opened = 1;
    }
    text_block(x, text);
    return 0;
}

static int tool_result(xl *x, size_t i, seam_jv m)
{
    seam_jv id = seam_jget(x->d, m, "tool_call_id");
    if (!seam_jis(id, SEAM_JSTRING))
        return refuse_at(x, "a tool message needs a tool_call_id string",
                         "messages[%zu].tool_call_id", i);
    seam_jv c = seam_jget(x->d, m, "content");
    open_block(x, "user");
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "type");
    seam_jw_lstr(x->w, "tool_result");
    seam_jw_lkey(x->w, "tool_use_id");
    seam_jw_value(x->w, x->d, id);
    if (seam_jis(c, SEAM_JSTRING)) {
        seam_jw_lkey(x->w, "content");
        seam_jw_value(x->w, x->d, c);
    } else {
        int opened = 0;
        int rc = text_parts(x, i, c, 0, tool_text, &opened);
        if (rc) return rc;
        if (opened) seam_jw_end(x->w);
    }
    seam_jw_end(x->w);
    return 0;
}

static int message(xl *x, size_t i, seam_jv m)
{
    if (!seam_jis(m, SEAM_JOBJECT)) return refuse_at(x, "must be an object", "messages[%zu]", i);
    seam_jv role = seam_jget(x->d, m, "role");
    if (str_is(x->d, role, "system") || str_is(x->d, role, "developer")) {
        int first = 1;
        return text_parts(x, i, seam_jget(x->d, m, "content"), 0, system_text, &first);
    }
    if (str_is(x->d, role, "user")) return user_content(x, i, seam_jget(x->d, m, "content"));
    if (str_is(x->d, role, "assistant")) return assistant(x, i, m);
    if (str_is(x->d, role, "tool")) return tool_result(x, i, m);
    if (str_is(x->d, role, "function"))
        return refuse_at(x, "the deprecated function role is not translated; use tool",
                         "messages[%zu].role", i);
    return refuse_at(x, "must be system, developer, user, assistant or tool", "messages[%zu].role",
                     i);
}

/* "messages":[...], then "system" when the conversation had one: it is
 * collected on the way, and Anthropic does not care about member order. */
static int messages(xl *x, seam_jv msgs)
{
    if (!seam_jis(msgs, SEAM_JARRAY)) return refuse(x, "messages", "must be an array");
    seam_jw_lkey(x->w, "messages");
    seam_jw_arr(x->w);
    size_t i;
    seam_jv m;
    seam_jarr_foreach(msgs, i, m)
    {
        int rc = message(x, i, m);
        if (rc) return rc;
    }
    if (x->open_role) {
        seam_jw_end(x->w);
        seam_jw_end(x->w);
    }
    seam_jw_end(x->w);
    if (x->has_system) {
        seam_jw_lkey(x->w, "system");
        if (x->system1)
            seam_jw_value(x->w, x->d, x->system1);
        else
            seam_jw_str_escaped(x->w, x->system.data ? x->system.data : "", x->system.len);
    }
    return 0;
}

static int tool_def(xl *x, size_t i, seam_jv tool)
{
    seam_jv type = seam_jget(x->d, tool, "type");
    seam_jv fn = seam_jget(x->d, tool, "function");
    if (!str_is(x->d, type, "function") || !seam_jis(fn, SEAM_JOBJECT))
        return refuse_at(x, "only function tools have an Anthropic equivalent", "tools[%zu]", i);
    seam_jv name = seam_jget(x->d, fn, "name");
    seam_jv desc = seam_jget(x->d, fn, "description");
    seam_jv params = seam_jget(x->d, fn, "parameters");
    if (!seam_jis(name, SEAM_JSTRING))
        return refuse_at(x, "needs a name", "tools[%zu].function.name", i);
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "name");
    seam_jw_value(x->w, x->d, name);
    if (seam_jis(desc, SEAM_JSTRING)) {
        seam_jw_lkey(x->w, "description");
        seam_jw_value(x->w, x->d, desc);
    }
    seam_jw_lkey(x->w, "input_schema");
    if (seam_jis(params, SEAM_JOBJECT))
        seam_jw_value(x->w, x->d, params);
    else /* OpenAI allows a function without parameters; Anthropic needs a schema */
        seam_jw_raw(x->w, "{\"type\":\"object\",\"properties\":{}}", 33);
    seam_jw_end(x->w);
    return 0;
}

/* tool_choice, with parallel (-1 unset, 0/1) folded in; nothing written
 * when none is to be sent. */
static int tool_choice(xl *x, seam_jv choice, int parallel)
{
    const char *type = "auto";
    seam_jv name = NULL;
    if (!choice) {
        if (parallel != 0) return 0; /* the default: send nothing */
    } else if (str_is(x->d, choice, "auto")) {
        type = "auto";
    } else if (str_is(x->d, choice, "required")) {
        type = "any";
    } else if (str_is(x->d, choice, "none")) {
        type = "none";
    } else if (seam_jis(choice, SEAM_JOBJECT) &&
               str_is(x->d, seam_jget(x->d, choice, "type"), "function")) {
        name = seam_jget(x->d, seam_jget(x->d, choice, "function"), "name");
        if (!seam_jis(name, SEAM_JSTRING))
            return refuse(x, "tool_choice.function.name", "must be a string");
        type = "tool";
    } else {
        return refuse(x, "tool_choice",
                      "only auto, required, none and a named function have an Anthropic "
                      "equivalent");
    }
    seam_jw_lkey(x->w, "tool_choice");
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "type");
    seam_jw_cstr(x->w, type);
    if (name) {
        seam_jw_lkey(x->w, "name");
        seam_jw_value(x->w, x->d, name);
    }
    if (parallel == 0 && strcmp(type, "none") != 0) {
        seam_jw_lkey(x->w, "disable_parallel_tool_use");
        seam_jw_bool(x->w, 1);
    }
    seam_jw_end(x->w);
    return 0;
}

static int tools(xl *x, seam_jv root)
{
    seam_jv list = x->f[F_TOOLS];
    seam_jv choice = x->f[F_TOOL_CHOICE];
    seam_jv par = x->f[F_PARALLEL_TOOL_CALLS];
    if (par && !seam_jis(par, SEAM_JTRUE) && !seam_jis(par, SEAM_JFALSE))
        return refuse(x, "parallel_tool_calls", "must be a boolean");
    if (list && !seam_jis(list, SEAM_JARRAY)) return refuse(x, "tools", "must be an array");
    if (!seam_jfirst(list)) {
        if (choice && !str_is(x->d, choice, "none") && !str_is(x->d, choice, "auto"))
            return refuse(x, "tool_choice", "asks for a tool call but no tools were given");
        return 0;
    }
    seam_jw_lkey(x->w, "tools");
    seam_jw_arr(x->w);
    size_t i;
    seam_jv t;
    seam_jarr_foreach(list, i, t)
    {
        if (tool_def(x, i, t)) return -1;
    }
    seam_jw_end(x->w);
    return tool_choice(x, choice, par ? seam_jis(par, SEAM_JTRUE) : -1);
}

static int is_zero(const seam_jdoc *d, seam_jv v)
{
    double x;
    return seam_jnum(d, v, &x) == 0 && x == 0;
}

/* The field named key[0..n), or F_COUNT when seam does not know it. */
static enum field_id field_id(const char *key, size_t n)
{
    for (int i = 0; i < F_COUNT; i++)
        if (rules[i].len == n && rules[i].name[0] == key[0] && memcmp(rules[i].name, key, n) == 0)
            return (enum field_id)i;
    return F_COUNT;
}

/* Checks field id, whose (last) value is v, against its rule.  Returns 0
 * or -1 (refused). */
static int check_field(xl *x, enum field_id id, seam_jv v)
{
    const char *name = rules[id].name, *why = rules[id].why;
    if (seam_jnone(v)) return 0;
    switch (rules[id].rule) {
    case R_USED:
    case R_DROP: return 0;
    case R_REFUSE: return refuse(x, name, why);
    case R_REFUSE_TRUE:
        if (seam_jis(v, SEAM_JFALSE)) return 0;
        return refuse(x, name, why);
    case R_REFUSE_NONZERO:
        if (is_zero(x->d, v)) return 0;
        return refuse(x, name, why);
    case R_REFUSE_NONEMPTY:
        if (seam_jis(v, SEAM_JOBJECT) && !seam_jfirst(v)) return 0;
        return refuse(x, name, why);
    case R_N: {
        long long k;
        if (seam_jint(x->d, v, &k) == 0 && k == 1) return 0;
        return refuse(x, name, why);
    }
    case R_MODALITIES: {
        size_t j;
        seam_jv m;
        if (!seam_jis(v, SEAM_JARRAY)) return refuse(x, name, "must be an array");
        seam_jarr_foreach(v, j, m)
        {
            if (!str_is(x->d, m, "text")) return refuse(x, name, why);
        }
        return 0;
    }
    case R_RESPONSE_FORMAT:
        if (str_is(x->d, seam_jget(x->d, v, "type"), "text")) return 0;
        return refuse(x, name, why);
    }
    return 0;
}

/* Reads the top-level fields into x->f in one walk (a repeated key stands
 * for its last value, as JSON readers and the upstream take it) and checks
 * them in the order they first appear, an unknown one where it stands.
 * Returns 0 or -1 (refused). */
static int check_fields(xl *x, seam_jv root)
{
    unsigned char order[F_COUNT];
    size_t norder = 0, unknown_at = 0;
    seam_jv unknown = NULL, k, v;
    unsigned long long seen = 0; /* x->f is all NULL until then */
    _Static_assert(F_COUNT <= 64, "one bit per field");
    seam_jobj_foreach(root, k, v)
    {
        size_t n;
        const char *name = plain_text(x, k, &n);
        if (!name) return nomem(x);
        enum field_id id = n ? field_id(name, n) : F_COUNT;
        if (id == F_COUNT) {
            if (!unknown) {
                unknown = k;
                unknown_at = norder;
            }
            continue;
        }
        x->f[id] = seam_jnone(v) ? NULL : v; /* null is as if absent */
        if (!(seen >> id & 1)) order[norder++] = (unsigned char)id;
        seen |= 1ull << id;
    }
    for (size_t i = 0; i < norder; i++) {
        if (unknown && i == unknown_at) break;
        if (check_field(x, order[i], x->f[order[i]])) return -1;
    }
    if (unknown) {
        size_t n;
        const char *name = plain_text(x, unknown, &n); /* into scratch when escaped */
        if (!name) return nomem(x);
        if (name != x->scratch.data) {
            seam_buf_reset(&x->scratch);
            if (seam_buf_append(&x->scratch, name, n)) return nomem(x);
        }
        return refuse(x, x->scratch.data ? x->scratch.data : "",
                      "not a parameter seam can translate to Anthropic's Messages API");
    }
    return 0;
}

/* The Anthropic request body, from the checked top-level fields. */
static int write_body(xl *x, seam_jv root)
{
    seam_jv msgs = x->f[F_MESSAGES];
    if (!msgs) return refuse(x, "messages", "is required");
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "model");
    seam_jw_cstr(x->w, x->req->model ? x->req->model : "");
    if (messages(x, msgs)) return -1;

    seam_jv mt = x->f[F_MAX_COMPLETION_TOKENS];
    const char *mt_name = "max_completion_tokens";
    if (!mt) {
        mt = x->f[F_MAX_TOKENS];
        mt_name = "max_tokens";
    }
    long long tokens;
    if (mt && (seam_jint(x->d, mt, &tokens) != 0 || tokens < 1))
        return refuse(x, mt_name, "must be a positive integer");
    seam_jw_lkey(x->w, "max_tokens");
    if (mt)
        seam_jw_value(x->w, x->d, mt); /* the client's digits, as written */
    else
        seam_jw_int(x->w, DEFAULT_MAX_TOKENS);

    static const enum field_id same[] = {F_TEMPERATURE, F_TOP_P, F_TOP_K};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        seam_jv v = x->f[same[i]];
        const char *name = rules[same[i]].name;
        if (!v) continue;
        if (!seam_jis(v, SEAM_JNUMBER)) return refuse(x, name, "must be a number");
        seam_jw_key(x->w, name);
        seam_jw_value(x->w, x->d, v);
    }

    seam_jv v = x->f[F_STOP];
    if (seam_jis(v, SEAM_JSTRING)) {
        seam_jw_lkey(x->w, "stop_sequences");
        seam_jw_arr(x->w);
        seam_jw_value(x->w, x->d, v);
        seam_jw_end(x->w);
    } else if (seam_jis(v, SEAM_JARRAY)) {
        size_t i;
        seam_jv s;
        seam_jarr_foreach(v, i, s)
        {
            if (!seam_jis(s, SEAM_JSTRING)) return refuse(x, "stop", "must be a string or strings");
        }
        if (seam_jfirst(v)) {
            seam_jw_lkey(x->w, "stop_sequences");
            seam_jw_value(x->w, x->d, v);
        }
    } else if (v) {
        return refuse(x, "stop", "must be a string or an array of strings");
    }

    if (x->req->stream) {
        seam_jw_lkey(x->w, "stream");
        seam_jw_bool(x->w, 1);
    }

    v = x->f[F_USER];
    const char *user_field = "user";
    if (!v) {
        v = x->f[F_SAFETY_IDENTIFIER];
        user_field = "safety_identifier";
    }
    if (v) {
        if (!seam_jis(v, SEAM_JSTRING)) return refuse(x, user_field, "must be a string");
        seam_jw_lkey(x->w, "metadata");
        seam_jw_obj(x->w);
        seam_jw_lkey(x->w, "user_id");
        seam_jw_value(x->w, x->d, v);
        seam_jw_end(x->w);
    }

    if (tools(x, root)) return -1;
    seam_jw_end(x->w);
    return 0;
}

/* The translated body into out->body; 0, or -1 after refusing. */
static int translate_body(xl *x, const seam_jdoc *d, seam_buf *body)
{
    seam_jv root = seam_jroot(d);
    if (!seam_jis(root, SEAM_JOBJECT))
        return refuse(x, "the request", "the body is not valid JSON");
    if (check_fields(x, root)) return -1;
    seam_jw_init(&x->jw, body);
    x->w = &x->jw;
    /* one allocation for the usual body: the output is about the input's size */
    seam_buf_reserve(body, x->req->body_len + OUT_SLACK);
    if (write_body(x, root)) return -1;
    int err = seam_jw_error(x->w);
    if (err == SEAM_BUF_TOOBIG) return refuse(x, "the request", "too large once translated");
    if (err) return nomem(x);
    return 0;
}

static int build(const seam_provider *p, const seam_call_req *req, void *state,
                 seam_adapter_out *out)
{
    const anthropic_provider *ap = (const anthropic_provider *)p;
    anthropic_state *st = state;
    xl x = {.p = p, .req = req};
    if (req->op == SEAM_OP_EMBEDDINGS)
        return refuse(&x, "embeddings", "Anthropic has no embeddings endpoint");

    seam_jdoc d;
    size_t start = out->body.len;
    int rc = -1;
    seam_buf_init(&x.system, 2 * req->body_len + 16);
    seam_buf_init(&x.scratch, req->body_len + 16);
    x.d = &d;
    if (seam_jdoc_parse(&d, req->body, req->body_len, NULL) != 0) {
        refuse(&x, "the request", "the body is not valid JSON");
        goto done;
    }
    if (translate_body(&x, &d, &out->body)) goto done;
    seam_jv so = x.f[F_STREAM_OPTIONS];
    st->include_usage = req->stream && seam_jis(seam_jget(&d, so, "include_usage"), SEAM_JTRUE);
    st->model = req->model;
    seam_buf_init(&st->head, MAX_HEAD);
    out->target = ap->messages;
    if ((ap->key_line && seam_adapter_header_line(out, ap->key_line)) ||
        seam_adapter_header_line(out, ap->version_line) ||
        seam_adapter_header_line(out, "content-type: application/json") ||
        seam_adapter_header_line(out, req->stream ? "accept: text/event-stream"
                                                  : "accept: application/json")) {
        nomem(&x);
        goto done;
    }
    if (req->stream) {
        seam_sse_reader_init(&st->sse, MAX_SSE_EVENT);
        st->sse_ready = 1;
    }
    rc = 0;
done:
    if (rc) truncate_to(&out->body, start);
    seam_buf_free(&x.system);
    seam_buf_free(&x.scratch);
    seam_jdoc_free(&d);
    return rc;
}

/* ---- response: Anthropic -> OpenAI ---- */

/* Anthropic's names for the input, cache-read, cache-write and output counts. */
static seam_oai_token_names usage_names = {"input_tokens", "cache_read_input_tokens",
                                           "cache_creation_input_tokens", "output_tokens"};

static const char *finish_reason(const seam_jdoc *d, seam_jv stop_reason)
{
    if (!seam_jis(stop_reason, SEAM_JSTRING)) return "stop";
    if (str_is(d, stop_reason, "max_tokens") ||
        str_is(d, stop_reason, "model_context_window_exceeded"))
        return "length";
    if (str_is(d, stop_reason, "tool_use")) return "tool_calls";
    if (str_is(d, stop_reason, "refusal")) return "content_filter";
    return "stop"; /* end_turn, stop_sequence, pause_turn, and reasons added later */
}

/* Checks the content blocks and counts the text and tool_use ones, so the
 * answer can be written in one pass.  Returns 0, or -1 when malformed. */
static int count_blocks(const seam_jdoc *d, seam_jv content, size_t *texts, size_t *calls)
{
    size_t i;
    seam_jv b;
    *texts = *calls = 0;
    seam_jarr_foreach(content, i, b)
    {
        seam_jv type = seam_jget(d, b, "type");
        if (!seam_jis(type, SEAM_JSTRING)) return -1;
        if (str_is(d, type, "text")) {
            if (!seam_jis(seam_jget(d, b, "text"), SEAM_JSTRING)) return -1;
            ++*texts;
        } else if (str_is(d, type, "tool_use")) {
            if (!seam_jis(seam_jget(d, b, "id"), SEAM_JSTRING) ||
                !seam_jis(seam_jget(d, b, "name"), SEAM_JSTRING))
                return -1;
            ++*calls;
        } /* thinking, redacted_thinking, server tools: no place in OpenAI's format */
    }
    return 0;
}

/* The text blocks joined into one string: escaped bodies concatenate. */
static void write_text(seam_jw *w, const seam_jdoc *d, seam_jv content)
{
    size_t i, n;
    seam_jv b;
    seam_jw_str_begin(w);
    seam_jarr_foreach(content, i, b)
    {
        if (!str_is(d, seam_jget(d, b, "type"), "text")) continue;
        const char *s = seam_jstr(d, seam_jget(d, b, "text"), &n);
        seam_jw_str_add_escaped(w, s, n);
    }
    seam_jw_str_end(w);
}

/* tool_use blocks -> tool_calls, the input as the arguments string. */
static void write_calls(seam_jw *w, const seam_jdoc *d, seam_jv content)
{
    size_t i;
    seam_jv b;
    seam_jw_arr(w);
    seam_jarr_foreach(content, i, b)
    {
        if (!str_is(d, seam_jget(d, b, "type"), "tool_use")) continue;
        seam_oai_tool_call(w, d, seam_jget(d, b, "id"), seam_jget(d, b, "name"),
                           seam_jget(d, b, "input"));
    }
    seam_jw_end(w);
}

/* A chat.completion from an Anthropic message.  Returns 0, or -1 when the
 * message is malformed or the output does not fit. */
static int write_completion(const anthropic_state *st, const seam_jdoc *d, seam_buf *out,
                            seam_usage *counts)
{
    static const char *const names[] = {"content", "id", "model", "usage", "stop_reason"};
    seam_jv msg = seam_jroot(d), m[5];
    seam_jpick(d, msg, names, 5, m);
    seam_jv content = m[0], id = m[1], model = m[2], usage = m[3], stop_reason = m[4];
    size_t texts, calls;
    if (!seam_jis(msg, SEAM_JOBJECT) || !seam_jis(content, SEAM_JARRAY) ||
        !seam_jis(id, SEAM_JSTRING) || count_blocks(d, content, &texts, &calls))
        return -1;
    seam_jw w;
    seam_jw_init(&w, out);
    seam_jw_obj(&w);
    seam_jw_lkey(&w, "id");
    seam_jw_value(&w, d, id);
    seam_jw_lkey(&w, "object");
    seam_jw_lstr(&w, "chat.completion");
    seam_jw_lkey(&w, "created");
    seam_jw_int(&w, (long long)time(NULL));
    seam_jw_lkey(&w, "model");
    if (seam_jis(model, SEAM_JSTRING))
        seam_jw_value(&w, d, model);
    else
        seam_jw_cstr(&w, st->model ? st->model : "");
    seam_jw_lkey(&w, "choices");
    seam_jw_arr(&w);
    seam_oai_message_open(&w, 0);
    if (texts)
        write_text(&w, d, content);
    else if (calls) /* only tool calls: OpenAI's content is null */
        seam_jw_null(&w);
    else
        seam_jw_lstr(&w, "");
    seam_jw_lkey(&w, "refusal");
    seam_jw_null(&w);
    if (calls) {
        seam_jw_lkey(&w, "tool_calls");
        write_calls(&w, d, content);
    }
    seam_jw_end(&w);
    seam_jw_lkey(&w, "logprobs");
    seam_jw_null(&w);
    seam_jw_lkey(&w, "finish_reason");
    seam_jw_cstr(&w, finish_reason(d, stop_reason));
    seam_jw_end(&w);
    seam_jw_end(&w);
    seam_jw_lkey(&w, "usage");
    seam_oai_tokens t = {0};
    seam_oai_read_tokens(d, usage, usage_names, &t);
    seam_oai_usage(&w, &t);
    seam_jw_end(&w);
    if (seam_jw_error(&w)) return -1;
    seam_oai_usage_counts(&t, counts);
    return 0;
}

static int response(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out,
                    seam_usage *usage)
{
    seam_jdoc d;
    size_t start = out->len;
    int rc = -1;
    seam_buf_reserve(out, n + OUT_SLACK); /* the answer is about the message's size */
    if (seam_jdoc_parse(&d, p, n, NULL) == 0) rc = write_completion(state, &d, out, usage);
    seam_jdoc_free(&d);
    if (rc) truncate_to(out, start);
    return rc;
}

/* ---- errors ---- */

static const char *status_type(int status)
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return "api_error";
    }
}

/* {"error":{"message","type","param":null,"code":null}} from Anthropic's
 * {"type":"error","error":{"type","message"}}, or from the status alone when
 * the body is not that (a proxy's HTML page, say). */
static int error(int status, const char *p, size_t n, seam_buf *out)
{
    seam_jdoc d;
    seam_jv err = NULL;
    if (seam_jdoc_parse(&d, p, n, NULL) == 0) err = seam_jget(&d, seam_jroot(&d), "error");
    seam_jv type = seam_jget(&d, err, "type");
    seam_jv message = seam_jget(&d, err, "message");
    size_t start = out->len;
    seam_jw w;
    seam_jw_init(&w, out);
    seam_jw_obj(&w);
    seam_jw_lkey(&w, "error");
    seam_jw_obj(&w);
    seam_jw_lkey(&w, "message");
    if (seam_jis(message, SEAM_JSTRING)) {
        seam_jw_value(&w, &d, message);
    } else {
        char fallback[64];
        snprintf(fallback, sizeof fallback, "Anthropic returned HTTP %d", status);
        seam_jw_cstr(&w, fallback);
    }
    seam_jw_lkey(&w, "type");
    if (seam_jis(type, SEAM_JSTRING))
        seam_jw_value(&w, &d, type);
    else
        seam_jw_cstr(&w, status_type(status));
    seam_jw_lkey(&w, "param");
    seam_jw_null(&w);
    seam_jw_lkey(&w, "code");
    seam_jw_null(&w);
    seam_jw_end(&w);
    seam_jw_end(&w);
    seam_jdoc_free(&d);
    if (!seam_jw_error(&w)) return 0;
    truncate_to(out, start);
    return -1;
}

/* ---- stream: Anthropic SSE -> OpenAI chunks ---- */

/* Each chunk is written as text around the shared head (an open fragment
 * the writer cannot hold), with vendor strings copied as they came. */

#define EV_PROTOCOL 2 /* the vendor sent something malformed */
#define EV_END      3 /* message_stop or error: read no further */

static void w(anthropic_state *st, const char *s, size_t n)
{
    if (!st->werr) st->werr = seam_buf_append(st->out, s, n);
}

static void ws(anthropic_state *st, const char *s)
{
    w(st, s, strlen(s));
}

/* Plain text as a JSON string. */
static void wstr(anthropic_state *st, const char *s, size_t n)
{
    w(st, "\"", 1);
    if (!st->werr) st->werr = seam_buf_append_json_str(st->out, s, n);
    w(st, "\"", 1);
}

/* A value of the event, as written. */
static void wval(anthropic_state *st, const seam_jdoc *d, seam_jv v)
{
    w(st, seam_jraw(d, v), v->len);
}

static void wint(anthropic_state *st, long long v)
{
    if (!st->werr) st->werr = seam_buf_append_int(st->out, v);
}

/* data: {head}{"index":0,"delta": — the delta object follows. */
static void choice_open(anthropic_state *st)
{
    w(st, "data: ", 6);
    w(st, st->head.data, st->head.len);
    ws(st, "{\"index\":0,\"delta\":");
}

static void choice_close(anthropic_state *st, const char *finish)
{
    ws(st, ",\"logprobs\":null,\"finish_reason\":");
    if (finish) {
        w(st, "\"", 1);
        ws(st, finish);
        w(st, "\"", 1);
    } else {
        ws(st, "null");
    }
    ws(st, "}]}\n\n");
}

static void emit_text(anthropic_state *st, const seam_jdoc *d, seam_jv text)
{
    if (!str_len(text)) return;
    choice_open(st);
    ws(st, "{\"content\":");
    wval(st, d, text);
    ws(st, "}");
    choice_close(st, NULL);
}

/* A piece of a call's arguments; piece is a JSON string as written. */
static void emit_args(anthropic_state *st, int tool, const char *piece, size_t n)
{
    choice_open(st);
    ws(st, "{\"tool_calls\":[{\"index\":");
    wint(st, tool);
    ws(st, ",\"function\":{\"arguments\":");
    w(st, piece, n);
    ws(st, "}}]}");
    choice_close(st, NULL);
}

static void emit_finish(anthropic_state *st, const char *reason)
{
    if (st->finished) return;
    st->finished = 1;
    choice_open(st);
    ws(st, "{}");
    choice_close(st, reason);
}

static void emit_error(anthropic_state *st, const seam_jdoc *d, seam_jv err)
{
    seam_jv type = seam_jget(d, err, "type");
    seam_jv message = seam_jget(d, err, "message");
    ws(st, "data: {\"error\":{\"message\":");
    if (seam_jis(message, SEAM_JSTRING))
        wval(st, d, message);
    else
        ws(st, "\"Anthropic's stream reported an error\"");
    ws(st, ",\"type\":");
    if (seam_jis(type, SEAM_JSTRING))
        wval(st, d, type);
    else
        ws(st, "\"api_error\"");
    ws(st, ",\"param\":null,\"code\":null}}\n\n");
}

static void read_usage(anthropic_state *st, const seam_jdoc *d, seam_jv usage)
{
    seam_oai_read_tokens(d, usage, usage_names, &st->tokens);
}

static int message_start(anthropic_state *st, const seam_jdoc *d, seam_jv ev)
{
    seam_jv msg = seam_jget(d, ev, "message");
    seam_jv id = seam_jget(d, msg, "id");
    seam_jv model = seam_jget(d, msg, "model");
    if (st->started || !seam_jis(id, SEAM_JSTRING)) return EV_PROTOCOL;
    st->started = 1;
    read_usage(st, d, seam_jget(d, msg, "usage"));
    seam_buf *out = st->out;
    st->out = &st->head; /* the prefix every chunk shares */
    ws(st, "{\"id\":");
    wval(st, d, id);
    ws(st, ",\"object\":\"chat.completion.chunk\",\"created\":");
    wint(st, (long long)time(NULL));
    ws(st, ",\"model\":");
    if (seam_jis(model, SEAM_JSTRING))
        wval(st, d, model);
    else if (st->model)
        wstr(st, st->model, strlen(st->model));
    else
        ws(st, "\"\"");
    ws(st, ",\"choices\":[");
    st->out = out;
    choice_open(st);
    ws(st, "{\"role\":\"assistant\",\"content\":\"\"}");
    choice_close(st, NULL);
    return 0;
}

/* The block an event names, or NULL. */
static block_info *block_at(anthropic_state *st, const seam_jdoc *d, seam_jv ev, int create)
{
    long long index;
    if (seam_jint(d, seam_jget(d, ev, "index"), &index) != 0 || index < 0 || index >= MAX_BLOCKS)
        return NULL;
    size_t i = (size_t)index;
    if (i >= st->nblocks) {
        if (!create) return NULL;
        size_t n = i + 1 > st->nblocks * 2 ? i + 1 : st->nblocks * 2;
        block_info *b = realloc(st->blocks, n * sizeof *b);
        if (!b) return NULL;
        for (size_t k = st->nblocks; k < n; k++)
            b[k] = (block_info){.tool = -1};
        st->blocks = b;
        st->nblocks = n;
    }
    return &st->blocks[i];
}

static int block_start(anthropic_state *st, const seam_jdoc *d, seam_jv ev)
{
    block_info *b = block_at(st, d, ev, 1);
    seam_jv cb = seam_jget(d, ev, "content_block");
    seam_jv type = seam_jget(d, cb, "type");
    if (!b || b->begun || !seam_jis(type, SEAM_JSTRING)) return EV_PROTOCOL;
    b->begun = 1;
    if (str_is(d, type, "text")) {
        emit_text(st, d, seam_jget(d, cb, "text"));
    } else if (str_is(d, type, "tool_use")) {
        seam_jv id = seam_jget(d, cb, "id"), name = seam_jget(d, cb, "name");
        if (!seam_jis(id, SEAM_JSTRING) || !seam_jis(name, SEAM_JSTRING)) return EV_PROTOCOL;
        b->tool = st->ntools++;
        choice_open(st);
        ws(st, "{\"tool_calls\":[{\"index\":");
        wint(st, b->tool);
        ws(st, ",\"id\":");
        wval(st, d, id);
        ws(st, ",\"type\":\"function\",\"function\":{\"name\":");
        wval(st, d, name);
        ws(st, ",\"arguments\":\"\"}}]}");
        choice_close(st, NULL);
    }
    return 0;
}

static int block_delta(anthropic_state *st, const seam_jdoc *d, seam_jv ev)
{
    block_info *b = block_at(st, d, ev, 0);
    seam_jv delta = seam_jget(d, ev, "delta");
    seam_jv type = seam_jget(d, delta, "type");
    if (!b || !b->begun || !seam_jis(type, SEAM_JSTRING)) return EV_PROTOCOL;
    if (str_is(d, type, "text_delta")) {
        seam_jv text = seam_jget(d, delta, "text");
        if (!seam_jis(text, SEAM_JSTRING)) return EV_PROTOCOL;
        emit_text(st, d, text);
    } else if (str_is(d, type, "input_json_delta") && b->tool >= 0) {
        seam_jv pj = seam_jget(d, delta, "partial_json");
        if (!seam_jis(pj, SEAM_JSTRING)) return EV_PROTOCOL;
        if (str_len(pj)) {
            emit_args(st, b->tool, seam_jraw(d, pj), pj->len);
            b->args = 1;
        }
    } /* thinking, signature, citations: no place in OpenAI's format */
    return 0;
}

static int block_stop(anthropic_state *st, const seam_jdoc *d, seam_jv ev)
{
    block_info *b = block_at(st, d, ev, 0);
    if (!b || !b->begun) return EV_PROTOCOL;
    if (b->tool >= 0 && !b->args) { /* a call without arguments: OpenAI sends "{}" */
        emit_args(st, b->tool, "\"{}\"", 4);
        b->args = 1;
    }
    return 0;
}

static void emit_usage(anthropic_state *st)
{
    w(st, "data: ", 6);
    w(st, st->head.data, st->head.len);
    ws(st, "],\"usage\":");
    seam_jw jw;
    seam_jw_init(&jw, st->out);
    seam_oai_usage(&jw, &st->tokens);
    if (!st->werr) st->werr = seam_jw_error(&jw);
    ws(st, "}\n\n");
}

/* One event, already parsed; returns 0, EV_PROTOCOL or EV_END. */
static int dispatch(anthropic_state *st, const seam_jdoc *d, seam_jv ev)
{
    seam_jv type = seam_jget(d, ev, "type");
    if (!seam_jis(type, SEAM_JSTRING)) return EV_PROTOCOL;
    if (str_is(d, type, "error")) {
        emit_error(st, d, seam_jget(d, ev, "error"));
        st->failed = 1;
        return EV_END;
    }
    if (str_is(d, type, "ping")) return 0;
    if (str_is(d, type, "message_start")) return message_start(st, d, ev);
    int content_start = str_is(d, type, "content_block_start");
    int content_delta = !content_start && str_is(d, type, "content_block_delta");
    int content_stop = !content_start && !content_delta && str_is(d, type, "content_block_stop");
    int delta = str_is(d, type, "message_delta");
    int stop = !delta && str_is(d, type, "message_stop");
    if (!st->started && (content_start || content_delta || content_stop || delta || stop))
        return EV_PROTOCOL; /* these belong to a started message */
    if (content_start) return block_start(st, d, ev);
    if (content_delta) return block_delta(st, d, ev);
    if (content_stop) return block_stop(st, d, ev);
    if (delta) {
        read_usage(st, d, seam_jget(d, ev, "usage"));
        seam_jv reason = seam_jget(d, seam_jget(d, ev, "delta"), "stop_reason");
        if (seam_jis(reason, SEAM_JSTRING)) emit_finish(st, finish_reason(d, reason));
        return 0;
    }
    if (stop) {
        emit_finish(st, "stop"); /* when no message_delta said why */
        if (st->include_usage) emit_usage(st);
        ws(st, "data: [DONE]\n\n");
        st->stopped = 1;
        return EV_END;
    }
    return 0; /* an event type this file does not know */
}

static int on_event(void *ud, const seam_sse_event *sev)
{
    anthropic_state *st = ud;
    if (!sev->data) return 0; /* a comment or keep-alive */
    seam_jdoc d;
    int rc = EV_PROTOCOL;
    if (seam_jdoc_parse(&d, sev->data, sev->data_len, NULL) == 0)
        rc = dispatch(st, &d, seam_jroot(&d));
    seam_jdoc_free(&d);
    if (st->werr) return EV_PROTOCOL;
    return rc;
}

/* Maps the reader's result: 0 to go on, -1 for a broken stream. */
static int feed_result(anthropic_state *st, int rc)
{
    if (rc == 0 || (rc == EV_END && !st->werr)) return 0;
    return -1;
}

static int stream(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    anthropic_state *st = state;
    if (!st->sse_ready) return -1;
    if (st->stopped || st->failed) return 0; /* the answer is complete; ignore the rest */
    st->out = out;
    int rc = seam_sse_feed(&st->sse, p, n, on_event, st);
    st->out = NULL;
    return feed_result(st, rc);
}

static int stream_end(void *state, const seam_call_req *req, seam_buf *out)
{
    anthropic_state *st = state;
    if (!st->sse_ready) return -1;
    if (!st->stopped && !st->failed) {
        st->out = out;
        int rc = seam_sse_finish(&st->sse, on_event, st);
        st->out = NULL;
        if (feed_result(st, rc) != 0) return -1;
    }
    return st->stopped && !st->failed ? 0 : -1;
}

const seam_adapter_ops seam_provider_anthropic_ops = {
    .build = build,
    .state_size = sizeof(anthropic_state),
    .state_free = state_free,
    .response = response,
    .stream = stream,
    .stream_end = stream_end,
    .error = error,
};

/* ---- the provider ---- */

static void destroy(seam_provider *p)
{
    anthropic_provider *ap = (anthropic_provider *)p;
    if (!ap) return;
    seam_http_target_free(ap->messages);
    free(ap->key_line);
    free(ap->version_line);
    free(ap);
}

static int create(const seam_provider_conf *conf, seam_provider **out, char *err, size_t errlen)
{
    anthropic_provider *ap = calloc(1, sizeof *ap);
    char *url = NULL;
    if (!ap) goto nomem;
    ap->base.vt = &seam_provider_anthropic;
    ap->base.conf = conf;
    const char *base = conf->base_url ? conf->base_url : DEFAULT_BASE_URL;
    if (asprintf(&url, "%s/v1/messages", base) < 0) {
        url = NULL;
        goto nomem;
    }
    ap->messages = seam_provider_target_new(conf, url, err, errlen);
    free(url);
    if (!ap->messages) goto fail;
    /* the header lines are the same for every request: built once */
    if (asprintf(&ap->version_line, "anthropic-version: %s",
                 conf->api_version ? conf->api_version : DEFAULT_VERSION) < 0) {
        ap->version_line = NULL;
        goto nomem;
    }
    if (conf->api_key && asprintf(&ap->key_line, "x-api-key: %s", conf->api_key) < 0) {
        ap->key_line = NULL;
        goto nomem;
    }
    int n = 0;
    if (ap->key_line) ap->check_lines[n++] = ap->key_line;
    ap->check_lines[n++] = ap->version_line;
    ap->check_lines[n++] = "accept: application/json";
    *out = &ap->base;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    destroy(ap ? &ap->base : NULL);
    return -1;
}

static seam_call *start(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud)
{
    return seam_adapter_start(p, &seam_provider_anthropic_ops, io, req, cbs, ud);
}

static const char *const *check_headers(const seam_provider *p)
{
    return ((const anthropic_provider *)p)->check_lines;
}

const seam_provider_vt seam_provider_anthropic = {
    .type = "anthropic",
    .create = create,
    .start = start,
    .cancel = seam_adapter_cancel,
    .destroy = destroy,
    .check_headers = check_headers,
};
