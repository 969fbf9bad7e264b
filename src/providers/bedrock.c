/* bedrock.c — provider type "bedrock": Amazon Bedrock's Converse API.
 *
 * Each call is POST {base_url}/model/{modelId}/converse (or /converse-stream)
 * with a Converse JSON body, signed with AWS Signature Version 4 (sigv4.c,
 * service "bedrock") from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, read once when the config is loaded.  The model id is
 * percent-encoded into one path segment ("v1:0" -> "v1%3A0", an ARN's '/'
 * -> "%2F"); the signature covers that path encoded once more, as SigV4
 * wants for every service but S3.  The signed Host is the one the transport
 * sends: for https (libcurl) seam sends it explicitly; for plain http the
 * keep-alive client always sends "host:port", so that is what is signed.
 *
 * Request: OpenAI chat completion -> Converse
 *
 * | OpenAI                               | Converse                                               |
 * | ------------------------------------ | ------------------------------------------------------ |
 * | model                                | the path's modelId (the route's upstream model)        |
 * | system / developer messages          | system: [{text}], in order, wherever they stand        |
 * | user content: string / text parts    | {role:user, content:[{text}]}; empty strings are       |
 * |                                      | skipped (Bedrock refuses blank text)                   |
 * | image_url "data:image/T;base64,B"    | {image:{format:T, source:{bytes:B}}}; T is png, jpeg   |
 * |                                      | (also jpg), gif or webp, anything else a 400           |
 * | image_url http(s)://                 | 400: Converse takes image bytes, not URLs              |
 * | input_audio, file parts              | 400                                                    |
 * | assistant content (text, refusal)    | {role:assistant, content:[{text}]}                     |
 * | assistant tool_calls                 | {toolUse:{toolUseId: id, name, input: the arguments    |
 * |                                      | parsed}} ("" -> {}); arguments that are not JSON: 400  |
 * | tool {tool_call_id, content}         | user {toolResult:{toolUseId, content:[{text}]}}: text, |
 * |                                      | not {json}, as every Converse model takes text results |
 * |                                      | (not all take json ones) and the model reads the same  |
 * |                                      | characters                                             |
 * | consecutive messages of one role     | merged into one message: Converse wants turns to       |
 * |                                      | alternate (tool results then a user's text make one    |
 * |                                      | user turn, results first)                              |
 * | function role, function_call, audio  | 400                                                    |
 * | tools [{type:function, function}]    | toolConfig.tools [{toolSpec:{name, description,        |
 * |                                      | inputSchema:{json: parameters, or an empty object      |
 * |                                      | schema}}}]; "strict" is dropped (no Converse           |
 * |                                      | equivalent; the schema still reaches the model)        |
 * | tool_choice auto / required /        | toolChoice {auto:{}} / {any:{}} / {tool:{name}};       |
 * | {function}                           | absent: no toolChoice (Bedrock's default is auto)      |
 * | tool_choice none                     | toolConfig omitted: Converse has no "none", and a      |
 * |                                      | model given no tools calls none. With tool calls in    |
 * |                                      | the history it is a 400: Bedrock then requires the     |
 * |                                      | tools, which would let the model call them             |
 * | max_completion_tokens / max_tokens   | inferenceConfig.maxTokens (max_completion_tokens wins) |
 * | temperature, top_p, stop             | inferenceConfig temperature, topP, stopSequences       |
 * | top_k (seam's Anthropic ingress      | additionalModelRequestFields.top_k: Anthropic, Mistral |
 * | sends it)                            | and Cohere models read it; others answer a 400 that    |
 * |                                      | reaches the client                                     |
 * | n > 1                                | 400: Converse returns one answer                       |
 * | logprobs true, top_logprobs          | 400: Converse returns no log probabilities             |
 * | logit_bias (non-empty)               | 400                                                    |
 * | frequency_penalty, presence_penalty  | 400 when non-zero: no Converse equivalent              |
 * | seed                                 | 400: no Converse equivalent                            |
 * | response_format json_object /        | 400: Converse's structured output is not mapped (yet); |
 * | json_schema                          | {type:text} is accepted                                |
 * | modalities with "audio", audio,      | 400                                                    |
 * | prediction, web_search_options,      |                                                        |
 * | reasoning_effort, verbosity,         |                                                        |
 * | functions                            |                                                        |
 * | user, metadata, store, service_tier, | dropped: OpenAI-side bookkeeping that does not change  |
 * | parallel_tool_calls, stream_options  | the answer (Converse models may call tools in          |
 * |                                      | parallel, and say so)                                  |
 * | any other field                      | 400 "<field>: not supported"                           |
 * | null for an optional field           | as if absent                                           |
 *
 * Embeddings are refused: Converse has none (Titan and Cohere embeddings use
 * InvokeModel with model-specific bodies, which this adapter does not speak).
 *
 * Answer: Converse -> chat.completion (and ConverseStream -> chunks)
 *
 * | Converse                             | OpenAI                                                 |
 * | ------------------------------------ | ------------------------------------------------------ |
 * | output.message.content text blocks   | message.content, concatenated as a stream's deltas     |
 * |                                      | would be; null when there is none                      |
 * | toolUse {toolUseId, name, input}     | tool_calls [{id, type:function, function:{name,        |
 * |                                      | arguments: compact JSON of input}}]                    |
 * | reasoningContent, other blocks       | dropped: chat completions has no place for them        |
 * | stopReason end_turn, stop_sequence   | finish_reason stop                                     |
 * | max_tokens,                          | length                                                 |
 * | model_context_window_exceeded        |                                                        |
 * | tool_use                             | tool_calls                                             |
 * | guardrail_intervened,                | content_filter                                         |
 * | content_filtered                     |                                                        |
 * | anything else                        | stop                                                   |
 * | usage inputTokens +                  | prompt_tokens (OpenAI counts cached input in it;       |
 * | cacheReadInputTokens +               | Bedrock reports it apart)                              |
 * | cacheWriteInputTokens                |                                                        |
 * | usage outputTokens                   | completion_tokens; total_tokens = prompt + completion  |
 * | usage cacheReadInputTokens           | prompt_tokens_details.cached_tokens                    |
 * | (no id in the body)                  | id "chatcmpl-" + 24 random hex digits; created from    |
 * |                                      | the clock                                              |
 *
 * Stream: the body is application/vnd.amazon.eventstream (eventstream.c).
 * messageStart -> the role chunk; contentBlockStart with toolUse -> a
 * tool_calls chunk with index, id, name and empty arguments; contentBlockDelta
 * text -> a content chunk, toolUse.input -> an arguments chunk carrying the
 * piece exactly as sent; messageStop -> the finish_reason chunk; metadata ->
 * the usage chunk (choices: []) when the client asked include_usage; then
 * [DONE].  A :message-type exception (or error) event becomes one
 * data: {"error":...} event and the stream ends as failed; a stream that ends
 * without messageStop, or inside a frame, failed too.
 *
 * Errors: Bedrock's {"message": "..."} (or "Message") becomes OpenAI's
 * error object with the message verbatim, the type from the status and a
 * code naming Bedrock's exception for that status (validation_exception,
 * throttling_exception, ...): the x-amzn-ErrorType header that names it
 * exactly is not passed to adapters.
 *
 * JSON: the request, an answer, and each event's payload are parsed once
 * into a flat array of spans (json_doc.h), and the output is written
 * straight into its buffer (json_write.h), without a tree.  Strings,
 * numbers and nested values (tool schemas, tool inputs, text) are copied
 * as the client or Bedrock wrote them, escapes included; only what is
 * compared, or a tool call's arguments (a JSON text inside a string), is
 * decoded. */
#include <ctype.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/json_doc.h"
#include "api/json_write.h"
#include "api/openai_out.h"
#include "api/openai_error.h"
#include "providers/adapter.h"
#include "providers/bedrock_xlate.h"
#include "providers/eventstream.h"
#include "providers/sigv4.h"

#define SERVICE      "bedrock"
#define MAX_MODEL_ID 2048
#define MAX_BLOCKS   4096 /* content blocks per streamed message */

/* For tests (declared in bedrock_xlate.h): the clock
 * that dates signatures and answers (NULL: time()), and the translation
 * steps that seam_adapter_start() runs.  Nothing else uses them. */
time_t (*seam_bedrock_clock)(void);

static time_t now(void)
{
    return seam_bedrock_clock ? seam_bedrock_clock() : time(NULL);
}

typedef struct bedrock_provider {
    seam_provider base;
    seam_http_target *origin;
    char *path_prefix; /* the path of base_url, "" when none */
    char *host;        /* the Host header the transport sends, which is signed */
    int send_host;     /* https: seam sends Host itself (libcurl honours it) */
    char *region;
    char *access_key, *secret_key, *session_token;
} bedrock_provider;

/* ---- small helpers ---- */

static int is_str(seam_jv v)
{
    return seam_jis(v, SEAM_JSTRING);
}

/* The decoded text of string v in tmp (reset first), for a refusal's
 * message; "?" when v is not a string or out of memory. */
static const char *text_of(const seam_jdoc *d, seam_jv v, seam_buf *tmp)
{
    seam_buf_reset(tmp);
    if (!is_str(v) || seam_jstr_decode(d, v, tmp) != 0) return "?";
    return tmp->data ? tmp->data : "";
}

/* The decoded text of string v: its body when it holds no escape (no copy),
 * else decoded into tmp.  NULL when out of memory. */
static const char *decoded(const seam_jdoc *d, seam_jv v, seam_buf *tmp, size_t *n)
{
    if (!v->escaped) return seam_jstr(d, v, n);
    seam_buf_reset(tmp);
    if (seam_jstr_decode(d, v, tmp) != 0) return NULL;
    *n = tmp->len;
    return tmp->data ? tmp->data : "";
}

/* ---- OpenAI request -> Converse request ---- */

/* Where a refusal points: top[i]member[j], e.g. "messages[3].content[1]",
 * "tools[0]", "seed" (i, j: -1 for none). */
typedef struct loc {
    const char *top;
    long i;
    const char *member; /* ".content", or NULL */
    long j;
} loc;

#define AT(top) ((loc){(top), -1, NULL, -1})

typedef struct xlate {
    const seam_provider *p;
    const seam_call_req *req;
    const seam_jdoc *d;
    seam_jw *w;      /* the Converse body */
    char turn;       /* the role of the message open in w: 'u', 'a', or 0 */
    seam_jw sys;     /* system blocks, gathered apart: they go in one top-level array */
    seam_buf sysbuf; /* what sys writes */
    size_t nsys;
    int has_tool_blocks;
    seam_buf tmp; /* scratch for decoded text */
} xlate;

/* A translation step's result: 0, REFUSED (the refusal is written), or -1
 * out of memory. */
#define REFUSED 1

static int refuse(const xlate *x, loc at, const char *why_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Refuses naming the field at; the reason is formatted from why_fmt. */
static int refuse(const xlate *x, loc at, const char *why_fmt, ...)
{
    char why[256], i[24] = "", j[24] = "", where[160];
    va_list ap;
    va_start(ap, why_fmt);
    vsnprintf(why, sizeof why, why_fmt, ap);
    va_end(ap);
    if (at.i < 0 && !at.member) { /* a top-level field, named in full */
        seam_adapter_refuse(x->p, x->req, at.top, why);
        return REFUSED;
    }
    if (at.i >= 0) snprintf(i, sizeof i, "[%ld]", at.i);
    if (at.j >= 0) snprintf(j, sizeof j, "[%ld]", at.j);
    snprintf(where, sizeof where, "%s%s%s%s", at.top, i, at.member ? at.member : "", j);
    seam_adapter_refuse(x->p, x->req, where, why);
    return REFUSED;
}

static void end_turn(xlate *x)
{
    if (!x->turn) return;
    seam_jw_end(x->w); /* content */
    seam_jw_end(x->w); /* the message */
    x->turn = 0;
}

/* Opens a message of role ('u' or 'a') for the blocks that follow, unless
 * the open one has that role: Converse wants turns to alternate, so
 * consecutive messages of one role merge. */
static void begin_turn(xlate *x, char role)
{
    if (x->turn == role) return;
    end_turn(x);
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "role");
    seam_jw_cstr(x->w, role == 'u' ? "user" : "assistant");
    seam_jw_lkey(x->w, "content");
    seam_jw_arr(x->w);
    x->turn = role;
}

/* {text} from the string s, copied as sent.  Bedrock refuses blank text
 * blocks, and an empty string says nothing: skipped.  Returns the blocks
 * written, 0 or 1. */
static size_t text_block(const seam_jdoc *d, seam_jw *w, seam_jv s)
{
    if (s->len == 2) return 0; /* "" (an escape never decodes to nothing) */
    seam_jw_obj(w);
    seam_jw_lkey(w, "text");
    seam_jw_value(w, d, s);
    seam_jw_end(w);
    return 1;
}

/* The Converse format of a data: URL's media type, or NULL. */
static const char *image_format(const char *mime, size_t n)
{
    static const struct {
        const char *mime, *format;
    } types[] = {{"image/png", "png"},
                 {"image/jpeg", "jpeg"},
                 {"image/jpg", "jpeg"},
                 {"image/gif", "gif"},
                 {"image/webp", "webp"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (n == strlen(types[i].mime) && strncasecmp(mime, types[i].mime, n) == 0)
            return types[i].format;
    return NULL;
}

/* image_url part -> {image:{format, source:{bytes}}} */
static int image_block(xlate *x, seam_jw *w, seam_jv part, loc at)
{
    const seam_jdoc *d = x->d;
    seam_jv v = seam_jget(d, seam_jget(d, part, "image_url"), "url");
    if (!is_str(v)) return refuse(x, at, "an image_url part needs image_url.url");
    size_t n;
    const char *url = decoded(d, v, &x->tmp, &n);
    if (!url) return -1;
    if (n < 5 || memcmp(url, "data:", 5) != 0)
        return refuse(x, at,
                      "Bedrock takes images as bytes, not URLs; send a data: URL "
                      "(data:image/png;base64,...)");
    const char *semi = memmem(url, n, ";base64,", 8);
    const char *format = semi ? image_format(url + 5, (size_t)(semi - (url + 5))) : NULL;
    if (!format)
        return refuse(x, at,
                      "Bedrock takes base64 data: URLs of image/png, image/jpeg, image/gif or "
                      "image/webp");
    const char *bytes = semi + 8;
    size_t blen = (size_t)(url + n - bytes);
    seam_jw_obj(w);
    seam_jw_lkey(w, "image");
    seam_jw_obj(w);
    seam_jw_lkey(w, "format");
    seam_jw_cstr(w, format);
    seam_jw_lkey(w, "source");
    seam_jw_obj(w);
    seam_jw_lkey(w, "bytes");
    if (v->escaped)
        seam_jw_str(w, bytes, blen);
    else
        seam_jw_str_escaped(w, bytes, blen); /* a span of the body: no escaping needed */
    seam_jw_end(w);
    seam_jw_end(w);
    seam_jw_end(w);
    return 0;
}

/* A message's content (string, array of parts, or NULL) -> content blocks
 * in w, counted in *n.  allow_images: user turns only.  at: the content. */
static int content_blocks(xlate *x, seam_jw *w, seam_jv content, int allow_images, loc at,
                          size_t *n)
{
    const seam_jdoc *d = x->d;
    if (!content) return 0;
    if (is_str(content)) {
        *n += text_block(d, w, content);
        return 0;
    }
    if (!seam_jis(content, SEAM_JARRAY))
        return refuse(x, at, "expected a string or an array of content parts");
    size_t j;
    seam_jv part, s;
    seam_jarr_foreach(content, j, part)
    {
        at.j = (long)j;
        seam_jv type = seam_jget(d, part, "type");
        if (seam_jstr_eq(d, type, "text") && is_str(s = seam_jget(d, part, "text"))) {
            *n += text_block(d, w, s);
        } else if (seam_jstr_eq(d, type, "refusal") && is_str(s = seam_jget(d, part, "refusal"))) {
            *n += text_block(d, w, s);
        } else if (allow_images && seam_jstr_eq(d, type, "image_url")) {
            int rc = image_block(x, w, part, at);
            if (rc) return rc;
            (*n)++;
        } else {
            return refuse(x, at, "content part type '%s' has no Bedrock equivalent",
                          text_of(d, type, &x->tmp));
        }
    }
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A tool call's arguments as the JSON text of its input, in *input.
 * Returns 0, REFUSED or -1. */
static int tool_input(xlate *x, seam_jv args, loc at, const char **input, size_t *n)
{
    *input = "{}";
    *n = 2;
    if (!args || (is_str(args) && args->len == 2)) return 0; /* none, or "" */
    if (!is_str(args)) return refuse(x, at, "function.arguments must be a string");
    const char *p = decoded(x->d, args, &x->tmp, n);
    if (!p) return -1;
    if (seam_json_validate(p, *n, NULL) != 0)
        return refuse(x, at,
                      "function.arguments is not JSON; Bedrock takes the input "
                      "as a JSON document");
    while (*n && is_ws(p[*n - 1])) /* the whitespace around is valid, but noise */
        --*n;
    while (*n && is_ws(*p))
        p++, --*n;
    *input = p;
    return 0;
}

/* assistant tool_calls -> {toolUse:{toolUseId, name, input}} blocks in the open turn. */
static int tool_use_blocks(xlate *x, seam_jv calls, long mi)
{
    const seam_jdoc *d = x->d;
    loc at = {"messages", mi, ".tool_calls", -1};
    if (!seam_jis(calls, SEAM_JARRAY)) return refuse(x, at, "expected an array");
    size_t j;
    seam_jv call;
    seam_jarr_foreach(calls, j, call)
    {
        at.j = (long)j;
        seam_jv fn = seam_jget(d, call, "function");
        seam_jv id = seam_jget(d, call, "id"), name = seam_jget(d, fn, "name");
        if (!is_str(id) || !is_str(name))
            return refuse(x, at, "a tool call needs a string id and function.name");
        const char *input;
        size_t n;
        int rc = tool_input(x, seam_jget(d, fn, "arguments"), at, &input, &n);
        if (rc) return rc;
        seam_jw_obj(x->w);
        seam_jw_lkey(x->w, "toolUse");
        seam_jw_obj(x->w);
        seam_jw_lkey(x->w, "toolUseId");
        seam_jw_value(x->w, d, id);
        seam_jw_lkey(x->w, "name");
        seam_jw_value(x->w, d, name);
        seam_jw_lkey(x->w, "input");
        seam_jw_raw(x->w, input, n);
        seam_jw_end(x->w);
        seam_jw_end(x->w);
        x->has_tool_blocks = 1;
    }
    return 0;
}

/* tool message -> {toolResult:{toolUseId, content}} in a user turn. */
static int tool_result(xlate *x, seam_jv m, long mi)
{
    const seam_jdoc *d = x->d;
    seam_jv id = seam_jget(d, m, "tool_call_id");
    if (!is_str(id))
        return refuse(x, (loc){"messages", mi, ".tool_call_id", -1},
                      "a tool message needs a string tool_call_id");
    begin_turn(x, 'u');
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "toolResult");
    seam_jw_obj(x->w);
    seam_jw_lkey(x->w, "toolUseId");
    seam_jw_value(x->w, d, id);
    seam_jw_lkey(x->w, "content");
    seam_jw_arr(x->w);
    size_t n = 0;
    int rc = content_blocks(x, x->w, seam_jopt(d, m, "content"), 0,
                            (loc){"messages", mi, ".content", -1}, &n);
    if (rc) return rc;
    if (!n) { /* a result must say something */
        seam_jw_obj(x->w);
        seam_jw_lkey(x->w, "text");
        seam_jw_lstr(x->w, "");
        seam_jw_end(x->w);
    }
    seam_jw_end(x->w);
    seam_jw_end(x->w);
    seam_jw_end(x->w);
    x->has_tool_blocks = 1;
    return 0;
}

/* system / developer content -> blocks of the top-level system array. */
static int system_blocks(xlate *x, seam_jv m, long mi)
{
    if (!x->sys.depth) { /* the first system message opens the array */
        seam_jw_init(&x->sys, &x->sysbuf);
        seam_jw_arr(&x->sys);
    }
    return content_blocks(x, &x->sys, seam_jopt(x->d, m, "content"), 0,
                          (loc){"messages", mi, ".content", -1}, &x->nsys);
}

static int translate_message(xlate *x, seam_jv m, long mi)
{
    const seam_jdoc *d = x->d;
    seam_jv role = seam_jget(d, m, "role");
    loc at = {"messages", mi, NULL, -1};
    if (!seam_jis(m, SEAM_JOBJECT) || !is_str(role))
        return refuse(x, at, "a message is an object with a string role");
    if (seam_jstr_eq(d, role, "system") || seam_jstr_eq(d, role, "developer"))
        return system_blocks(x, m, mi);
    if (seam_jstr_eq(d, role, "tool")) return tool_result(x, m, mi);
    int user = seam_jstr_eq(d, role, "user");
    if (!user && !seam_jstr_eq(d, role, "assistant")) {
        at.member = ".role";
        return refuse(x, at, "role '%s' has no Bedrock equivalent", text_of(d, role, &x->tmp));
    }
    if (!user && (seam_jopt(d, m, "audio") || seam_jopt(d, m, "function_call"))) {
        at.member = seam_jopt(d, m, "audio") ? ".audio" : ".function_call";
        return refuse(x, at, "no Bedrock equivalent");
    }
    begin_turn(x, user ? 'u' : 'a');
    size_t n = 0;
    at.member = ".content";
    int rc = content_blocks(x, x->w, seam_jopt(d, m, "content"), user, at, &n);
    seam_jv calls = user ? NULL : seam_jopt(d, m, "tool_calls");
    if (!rc && calls) rc = tool_use_blocks(x, calls, mi);
    return rc;
}

static int translate_messages(xlate *x, seam_jv messages)
{
    if (!seam_jis(messages, SEAM_JARRAY))
        return refuse(x, AT("messages"), "expected an array of messages");
    seam_jw_lkey(x->w, "messages");
    seam_jw_arr(x->w);
    size_t i;
    seam_jv m;
    seam_jarr_foreach(messages, i, m)
    {
        int rc = translate_message(x, m, (long)i);
        if (rc) return rc;
    }
    end_turn(x);
    seam_jw_end(x->w);
    return 0;
}

/* tools[i] -> {toolSpec:{name, description, inputSchema:{json}}} */
static int tool_spec(xlate *x, seam_jv t, long i)
{
    const seam_jdoc *d = x->d;
    seam_jv fn = seam_jget(d, t, "function");
    seam_jv name = seam_jget(d, fn, "name");
    loc at = {"tools", i, NULL, -1};
    if (!seam_jstr_eq(d, seam_jget(d, t, "type"), "function") || !is_str(name))
        return refuse(x, at, "only function tools with a name have a Bedrock equivalent");
    seam_jv desc = seam_jopt(d, fn, "description"), params = seam_jopt(d, fn, "parameters");
    seam_jw *w = x->w;
    seam_jw_obj(w);
    seam_jw_lkey(w, "toolSpec");
    seam_jw_obj(w);
    seam_jw_lkey(w, "name");
    seam_jw_value(w, d, name);
    if (is_str(desc)) {
        seam_jw_lkey(w, "description");
        seam_jw_value(w, d, desc);
    }
    seam_jw_lkey(w, "inputSchema");
    seam_jw_obj(w);
    seam_jw_lkey(w, "json");
    static const char empty_schema[] = "{\"type\":\"object\",\"properties\":{}}";
    if (params)
        seam_jw_value(w, d, params);
    else
        seam_jw_raw(w, empty_schema, sizeof empty_schema - 1);
    seam_jw_end(w);
    seam_jw_end(w);
    seam_jw_end(w);
    return 0;
}

/* tools + tool_choice -> toolConfig, or nothing. */
static int translate_tools(xlate *x, seam_jv root)
{
    const seam_jdoc *d = x->d;
    seam_jv tools = seam_jopt(d, root, "tools"), choice = seam_jopt(d, root, "tool_choice");
    if (tools && !seam_jis(tools, SEAM_JARRAY)) return refuse(x, AT("tools"), "expected an array");
    int have = seam_jcount(tools) > 0;
    if (seam_jstr_eq(d, choice, "none")) {
        if (x->has_tool_blocks && have)
            return refuse(x, AT("tool_choice"),
                          "'none' with tool calls in messages: Bedrock then requires the tools "
                          "declared and has no way to forbid calling them");
        return 0;
    }
    /* toolChoice: {auto:{}}, {any:{}} or {tool:{name}}; NULL: none written */
    const char *tc = NULL;
    seam_jv tc_name = NULL;
    if (seam_jstr_eq(d, choice, "auto")) {
        tc = "auto";
    } else if (seam_jstr_eq(d, choice, "required")) {
        tc = "any";
    } else if (seam_jis(choice, SEAM_JOBJECT) &&
               is_str(tc_name = seam_jget(d, seam_jget(d, choice, "function"), "name"))) {
        tc = "tool";
    } else if (choice) {
        return refuse(x, AT("tool_choice"), "expected 'none', 'auto', 'required' or a function");
    }
    if (!have) {
        if (tc && strcmp(tc, "auto") != 0)
            return refuse(x, AT("tool_choice"), "it asks for a tool call but tools is empty");
        return 0;
    }
    seam_jw *w = x->w;
    seam_jw_lkey(w, "toolConfig");
    seam_jw_obj(w);
    seam_jw_lkey(w, "tools");
    seam_jw_arr(w);
    size_t i;
    seam_jv t;
    seam_jarr_foreach(tools, i, t)
    {
        int rc = tool_spec(x, t, (long)i);
        if (rc) return rc;
    }
    seam_jw_end(w);
    if (tc) {
        seam_jw_lkey(w, "toolChoice");
        seam_jw_obj(w);
        seam_jw_key(w, tc);
        seam_jw_obj(w);
        if (tc_name) {
            seam_jw_lkey(w, "name");
            seam_jw_value(w, d, tc_name);
        }
        seam_jw_end(w);
        seam_jw_end(w);
    }
    seam_jw_end(w);
    return 0;
}

/* The top-level fields that map, each as sent (NULL: not sent). */
typedef struct params {
    seam_jv max_tokens, max_completion_tokens, temperature, top_p, top_k;
    seam_jv stop; /* a string, or a non-empty array of strings */
} params;

/* Checks one top-level field v named key: dropped, refused, or kept in ps. */
static int read_param(xlate *x, const char *key, seam_jv v, params *ps)
{
    static const char *const dropped[] = {"model",
                                          "messages",
                                          "tools",
                                          "tool_choice",
                                          "stream",
                                          "stream_options",
                                          "user",
                                          "metadata",
                                          "store",
                                          "service_tier",
                                          "parallel_tool_calls"};
    static const struct {
        const char *name, *why;
    } refused[] = {
        {"audio", "Bedrock's Converse API has no audio output"},
        {"prediction", "no Bedrock equivalent"},
        {"web_search_options", "no Bedrock equivalent"},
        {"reasoning_effort", "no Bedrock equivalent (model-specific fields are not mapped)"},
        {"verbosity", "no Bedrock equivalent"},
        {"functions", "legacy functions are not supported; use tools"},
        {"function_call", "legacy functions are not supported; use tool_choice"},
        {"top_logprobs", "Bedrock returns no log probabilities"},
    };
    const seam_jdoc *d = x->d;
    for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
        if (strcmp(key, dropped[i]) == 0) return 0;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (strcmp(key, refused[i].name) == 0) return refuse(x, AT(key), "%s", refused[i].why);
    long long ll;
    double num;
    if (strcmp(key, "max_tokens") == 0 || strcmp(key, "max_completion_tokens") == 0) {
        if (seam_jint(d, v, &ll) != 0 || ll < 1)
            return refuse(x, AT(key), "expected an integer of at least 1");
        if (strcmp(key, "max_tokens") == 0)
            ps->max_tokens = v;
        else
            ps->max_completion_tokens = v;
    } else if (strcmp(key, "temperature") == 0 || strcmp(key, "top_p") == 0) {
        if (!seam_jis(v, SEAM_JNUMBER)) return refuse(x, AT(key), "expected a number");
        if (strcmp(key, "top_p") == 0)
            ps->top_p = v;
        else
            ps->temperature = v;
    } else if (strcmp(key, "stop") == 0) {
        size_t i;
        seam_jv s;
        int ok = is_str(v) || seam_jis(v, SEAM_JARRAY);
        seam_jarr_foreach(v, i, s) ok = ok && is_str(s);
        if (!ok) return refuse(x, AT(key), "expected a string or an array of strings");
        ps->stop = seam_jcount(v) || is_str(v) ? v : NULL; /* [] stops nothing */
    } else if (strcmp(key, "top_k") == 0) {
        if (seam_jint(d, v, &ll) != 0) return refuse(x, AT(key), "expected an integer");
        ps->top_k = v;
    } else if (strcmp(key, "n") == 0) {
        if (seam_jint(d, v, &ll) != 0 || ll != 1)
            return refuse(x, AT(key), "Bedrock returns one choice; n must be 1");
    } else if (strcmp(key, "logprobs") == 0) {
        if (!seam_jis(v, SEAM_JFALSE))
            return refuse(x, AT(key), "Bedrock returns no log probabilities");
    } else if (strcmp(key, "logit_bias") == 0) {
        if (!seam_jis(v, SEAM_JOBJECT) || seam_jcount(v))
            return refuse(x, AT(key), "no Bedrock equivalent");
    } else if (strcmp(key, "frequency_penalty") == 0 || strcmp(key, "presence_penalty") == 0) {
        if (seam_jnum(d, v, &num) != 0 || num != 0)
            return refuse(x, AT(key), "no Bedrock equivalent (only 0 is accepted)");
    } else if (strcmp(key, "seed") == 0) {
        return refuse(x, AT(key), "no Bedrock equivalent");
    } else if (strcmp(key, "response_format") == 0) {
        if (!seam_jstr_eq(d, seam_jget(d, v, "type"), "text"))
            return refuse(x, AT(key),
                          "JSON modes are not mapped to Bedrock; only {\"type\":\"text\"} is "
                          "accepted");
    } else if (strcmp(key, "modalities") == 0) {
        size_t i;
        seam_jv s;
        seam_jarr_foreach(v, i, s)
        {
            if (!seam_jstr_eq(d, s, "text"))
                return refuse(x, AT(key), "Bedrock's Converse API answers in text only");
        }
    } else {
        return refuse(x, AT(key), "not supported by seam's Bedrock adapter");
    }
    return 0;
}

/* inferenceConfig and additionalModelRequestFields from what read_param kept. */
static void write_params(xlate *x, const params *ps)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = x->w;
    seam_jv max = ps->max_completion_tokens ? ps->max_completion_tokens : ps->max_tokens;
    if (max || ps->temperature || ps->top_p || ps->stop) {
        seam_jw_lkey(w, "inferenceConfig");
        seam_jw_obj(w);
        if (max) {
            seam_jw_lkey(w, "maxTokens");
            seam_jw_value(w, d, max);
        }
        if (ps->temperature) {
            seam_jw_lkey(w, "temperature");
            seam_jw_value(w, d, ps->temperature);
        }
        if (ps->top_p) {
            seam_jw_lkey(w, "topP");
            seam_jw_value(w, d, ps->top_p);
        }
        if (ps->stop) {
            seam_jw_lkey(w, "stopSequences");
            if (is_str(ps->stop)) seam_jw_arr(w);
            seam_jw_value(w, d, ps->stop);
            if (is_str(ps->stop)) seam_jw_end(w);
        }
        seam_jw_end(w);
    }
    if (ps->top_k) {
        seam_jw_lkey(w, "additionalModelRequestFields");
        seam_jw_obj(w);
        seam_jw_lkey(w, "top_k");
        seam_jw_value(w, d, ps->top_k);
        seam_jw_end(w);
    }
}

/* A member of obj before key node k has the text key. */
static int seen_before(const seam_jdoc *d, seam_jv obj, seam_jv k, const char *key)
{
    for (seam_jv it = seam_jfirst(obj); it && it != k; it = seam_jnext(obj, it + 1))
        if (seam_jkey_is(d, it, key)) return 1;
    return 0;
}

/* Top-level fields: what maps, what is dropped, what is refused. */
static int translate_params(xlate *x, seam_jv root)
{
    params ps = {0};
    seam_jv k, first;
    seam_jobj_foreach(root, k, first)
    {
        seam_buf_reset(&x->tmp);
        if (seam_jstr_decode(x->d, k, &x->tmp) != 0) return -1;
        const char *key = x->tmp.data ? x->tmp.data : "";
        if (strlen(key) != x->tmp.len) /* a NUL inside: no field has one */
            return refuse(x, AT(key), "not supported by seam's Bedrock adapter");
        /* A repeated field counts once, where it first stands (the order
         * decides which refusal is reported), with its last value. */
        if (seen_before(x->d, root, k, key)) continue;
        seam_jv v = seam_jget(x->d, root, key);
        if (seam_jnone(v)) continue;
        int rc = read_param(x, key, v, &ps);
        if (rc) return rc;
    }
    write_params(x, &ps);
    return 0;
}

/* The whole Converse body into w.  Returns 0, REFUSED or -1. */
static int translate(xlate *x, seam_jv root)
{
    seam_jw_obj(x->w);
    int rc = translate_messages(x, seam_jget(x->d, root, "messages"));
    if (!rc) rc = translate_tools(x, root);
    if (!rc) rc = translate_params(x, root);
    if (!rc && x->nsys) {
        seam_jw_end(&x->sys);
        rc = seam_jw_error(&x->sys) ? -1 : 0;
        seam_jw_lkey(x->w, "system"); /* written apart: a copy, not a second serialisation */
        seam_jw_raw(x->w, x->sysbuf.data, x->sysbuf.len);
    }
    seam_jw_end(x->w);
    if (!rc && seam_jw_error(x->w)) rc = -1;
    return rc;
}

/* ---- per-call state ---- */

typedef struct bedrock_state {
    seam_es_decoder dec;
    int include_usage;
    char id[40];
    long long created;
    seam_buf head; /* a stream's chunk members up to "model", without the closing '}' */
    int started, stopped, failed, broken;
    int ntools;
    int *block_tool; /* contentBlockIndex -> tool call index + 1 (0: a text block) */
    size_t nblocks;
    int have_usage;
    seam_oai_tokens tokens;
    seam_buf *out; /* during a stream() call */
} bedrock_state;

static void state_free(void *state)
{
    bedrock_state *st = state;
    seam_es_decoder_free(&st->dec);
    seam_buf_free(&st->head);
    free(st->block_tool);
}

static int valid_model(const char *m)
{
    size_t n = m ? strlen(m) : 0;
    if (!n || n > MAX_MODEL_ID) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)m[i] < 0x20 || m[i] == 0x7f) return 0;
    return 1;
}

/* id, object, created and model: the members every answer and chunk opens with. */
static void put_head(seam_jw *w, const bedrock_state *st, const seam_call_req *req,
                     const char *object)
{
    seam_oai_head(w, st->id, object, st->created, req->model);
}

/* The request body: parsed once, written once into body. */
static int build_body(const seam_provider *p, const seam_call_req *req, bedrock_state *st,
                      seam_buf *body)
{
    seam_jdoc doc;
    seam_jv root = NULL;
    if (seam_jdoc_parse(&doc, req->body, req->body_len, NULL) == 0) root = seam_jroot(&doc);
    if (!seam_jis(root, SEAM_JOBJECT)) {
        seam_jdoc_free(&doc);
        seam_adapter_refuse(p, req, "body", "not a valid JSON object");
        return REFUSED;
    }
    st->include_usage =
        req->stream &&
        seam_jis(seam_jget(&doc, seam_jget(&doc, root, "stream_options"), "include_usage"),
                 SEAM_JTRUE);
    /* one allocation: the Converse body is about the size of the request (a
     * refusal here is no error: the writes that do not fit will say so) */
    (void)seam_buf_reserve(body, req->body_len + 256);
    seam_jw w;
    seam_jw_init(&w, body);
    xlate x = {.p = p, .req = req, .d = &doc, .w = &w};
    seam_buf_init(&x.sysbuf, body->max);
    seam_buf_init(&x.tmp, req->body_len + 1); /* decoded text never outgrows the body */
    int rc = translate(&x, root);
    seam_buf_free(&x.sysbuf);
    seam_buf_free(&x.tmp);
    seam_jdoc_free(&doc);
    if (rc < 0) seam_adapter_refuse(p, req, "body", "could not be translated");
    return rc;
}

/* The chunk head for a stream, written once: every chunk copies it. */
static int build_head(bedrock_state *st, const seam_call_req *req)
{
    seam_buf_init(&st->head, 4 * MAX_MODEL_ID + 256);
    seam_jw w;
    seam_jw_init(&w, &st->head);
    seam_jw_obj(&w);
    put_head(&w, st, req, "chat.completion.chunk");
    seam_jw_end(&w);
    if (seam_jw_error(&w)) return -1;
    st->head.len--; /* the chunk writes its own members, and the '}' */
    return 0;
}

static int build(const seam_provider *p, const seam_call_req *req, void *state,
                 seam_adapter_out *out)
{
    const bedrock_provider *bp = (const bedrock_provider *)p;
    bedrock_state *st = state;
    seam_es_decoder_init(&st->dec, 0);
    if (req->op == SEAM_OP_EMBEDDINGS) {
        seam_adapter_refuse(p, req, "embeddings",
                            "Bedrock's Converse API has no embeddings (Titan and Cohere "
                            "embeddings use InvokeModel, which seam does not speak)");
        return -1;
    }
    if (!valid_model(req->model)) {
        seam_adapter_refuse(p, req, "model",
                            "a Bedrock model id is 1 to 2048 characters without control "
                            "characters");
        return -1;
    }
    if (build_body(p, req, st, &out->body) != 0) return -1;

    seam_buf path;
    seam_buf_init(&path, 8192);
    int rc = seam_buf_append_str(&path, bp->path_prefix);
    if (!rc) rc = seam_buf_append_str(&path, "/model/");
    if (!rc) rc = seam_sigv4_uri_encode(&path, req->model, strlen(req->model), 0);
    if (!rc) rc = seam_buf_append_str(&path, req->stream ? "/converse-stream" : "/converse");
    if (!rc && !(out->owned_target = seam_http_target_derive(bp->origin, path.data))) rc = -1;
    out->target = out->owned_target;

    const char *accept = req->stream ? "application/vnd.amazon.eventstream" : "application/json";
    seam_sigv4_header signed_hdrs[2] = {{"accept", accept}, {"content-type", "application/json"}};
    seam_sigv4_input in = {
        .method = "POST",
        .host = bp->host,
        .path = path.data,
        .headers = signed_hdrs,
        .nheaders = 2,
        .payload = out->body.data,
        .payload_len = out->body.len,
        .when = now(),
        .region = bp->region,
        .service = SERVICE,
        .access_key = bp->access_key,
        .secret_key = bp->secret_key,
        .session_token = bp->session_token,
    };
    seam_sigv4_output sig;
    if (!rc) rc = seam_sigv4_sign(&in, &sig);
    seam_buf_free(&path);
    if (rc) return -1;
    if ((bp->send_host && seam_adapter_header(out, "Host: %s", bp->host)) ||
        seam_adapter_header(out, "Accept: %s", accept) ||
        seam_adapter_header(out, "Content-Type: application/json") ||
        seam_adapter_header(out, "X-Amz-Date: %s", sig.amz_date) ||
        (bp->session_token &&
         seam_adapter_header(out, "X-Amz-Security-Token: %s", bp->session_token)) ||
        seam_adapter_header(out, "Authorization: %s", sig.authorization.data))
        rc = -1;
    seam_sigv4_output_free(&sig);
    if (rc) return -1;

    unsigned char raw[12];
    randombytes_buf(raw, sizeof raw);
    memcpy(st->id, "chatcmpl-", 9);
    sodium_bin2hex(st->id + 9, sizeof st->id - 9, raw, sizeof raw);
    st->created = (long long)in.when;
    return req->stream ? build_head(st, req) : 0;
}

/* ---- Converse answer -> chat.completion ---- */

static const char *finish_reason(const seam_jdoc *d, seam_jv stop)
{
    if (seam_jstr_eq(d, stop, "max_tokens") ||
        seam_jstr_eq(d, stop, "model_context_window_exceeded"))
        return "length";
    if (seam_jstr_eq(d, stop, "tool_use")) return "tool_calls";
    if (seam_jstr_eq(d, stop, "guardrail_intervened") || seam_jstr_eq(d, stop, "content_filtered"))
        return "content_filter";
    return "stop";
}

static void read_usage(bedrock_state *st, const seam_jdoc *d, seam_jv usage)
{
    if (!seam_jis(usage, SEAM_JOBJECT)) return;
    st->have_usage = 1;
    static seam_oai_token_names names = {"inputTokens", "cacheReadInputTokens",
                                         "cacheWriteInputTokens", "outputTokens"};
    st->tokens = (seam_oai_tokens){0};
    seam_oai_read_tokens(d, usage, names, &st->tokens);
}

/* A content block's text (a string), else its toolUse (an object), else neither. */
static seam_jv block_text(const seam_jdoc *d, seam_jv block)
{
    seam_jv t = seam_jget(d, block, "text");
    return is_str(t) ? t : NULL;
}

static seam_jv block_tool_use(const seam_jdoc *d, seam_jv block)
{
    seam_jv tu = block_text(d, block) ? NULL : seam_jget(d, block, "toolUse");
    return seam_jis(tu, SEAM_JOBJECT) ? tu : NULL;
}

/* message.content: the text blocks' bodies concatenated (as escaped
 * bodies: that is still one valid string), or null. */
static void put_content(seam_jw *w, const seam_jdoc *d, seam_jv content)
{
    size_t i, ntext = 0;
    seam_jv block, t;
    seam_jarr_foreach(content, i, block) ntext += block_text(d, block) != NULL;
    if (!ntext) {
        seam_jw_null(w);
        return;
    }
    seam_jw_str_begin(w);
    seam_jarr_foreach(content, i, block)
    {
        if (!(t = block_text(d, block))) continue;
        size_t n;
        const char *s = seam_jstr(d, t, &n);
        seam_jw_str_add_escaped(w, s, n);
    }
    seam_jw_str_end(w);
}

/* The toolUse blocks as tool_calls members (their ids and names checked before). */
static void put_tool_calls(seam_jw *w, const seam_jdoc *d, seam_jv content, size_t ncalls)
{
    if (!ncalls) return;
    seam_jw_lkey(w, "tool_calls");
    seam_jw_arr(w);
    size_t i;
    seam_jv block, tu;
    seam_jarr_foreach(content, i, block)
    {
        if (!(tu = block_tool_use(d, block))) continue;
        seam_oai_tool_call(w, d, seam_jget(d, tu, "toolUseId"), seam_jget(d, tu, "name"),
                           seam_jget(d, tu, "input"));
    }
    seam_jw_end(w);
}

static int write_completion(bedrock_state *st, const seam_call_req *req, const seam_jdoc *d,
                            seam_buf *out)
{
    seam_jv root = seam_jroot(d);
    seam_jv content =
        seam_jget(d, seam_jget(d, seam_jget(d, root, "output"), "message"), "content");
    if (!seam_jis(content, SEAM_JARRAY)) return -1;
    size_t i, ncalls = 0;
    seam_jv block, tu;
    seam_jarr_foreach(content, i, block)
    {
        if (!(tu = block_tool_use(d, block))) continue;
        if (!is_str(seam_jget(d, tu, "toolUseId")) || !is_str(seam_jget(d, tu, "name"))) return -1;
        ncalls++;
    }
    read_usage(st, d, seam_jget(d, root, "usage"));
    (void)seam_buf_reserve(out, d->nodes->len + 512); /* one allocation, as in build_body */
    seam_jw w;
    seam_jw_init(&w, out);
    seam_jw_obj(&w);
    put_head(&w, st, req, "chat.completion");
    seam_jw_lkey(&w, "choices");
    seam_jw_arr(&w);
    seam_oai_message_open(&w, 0);
    put_content(&w, d, content);
    put_tool_calls(&w, d, content, ncalls);
    seam_jw_lkey(&w, "refusal");
    seam_jw_null(&w);
    seam_jw_end(&w);
    seam_jw_lkey(&w, "logprobs");
    seam_jw_null(&w);
    seam_jw_lkey(&w, "finish_reason");
    seam_jw_cstr(&w, finish_reason(d, seam_jget(d, root, "stopReason")));
    seam_jw_end(&w);
    seam_jw_end(&w);
    seam_jw_lkey(&w, "usage");
    seam_oai_usage(&w, &st->tokens);
    seam_jw_end(&w);
    return seam_jw_error(&w) ? -1 : 0;
}

static int response(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out,
                    seam_usage *usage)
{
    seam_jdoc doc;
    int rc = seam_jdoc_parse(&doc, p, n, NULL);
    if (!rc) rc = write_completion(state, req, &doc, out);
    seam_jdoc_free(&doc);
    if (rc) return -1;
    seam_oai_usage_counts(&((bedrock_state *)state)->tokens, usage);
    return 0;
}

/* ---- ConverseStream -> chunks ---- */

/* data: {head,"choices":[{"index":0,"delta":DELTA,"logprobs":null,"finish_reason":F}]}\n\n
 * DELTA is written by the caller between chunk_open and chunk_close. */
static int chunk_open(bedrock_state *st)
{
    seam_buf *b = st->out;
    int rc = seam_buf_append_str(b, "data: ");
    if (!rc) rc = seam_buf_append(b, st->head.data, st->head.len);
    if (!rc) rc = seam_buf_append_str(b, ",\"choices\":[{\"index\":0,\"delta\":");
    return rc;
}

static int chunk_close(bedrock_state *st, const char *finish)
{
    seam_buf *b = st->out;
    int rc = seam_buf_append_str(b, ",\"logprobs\":null,\"finish_reason\":");
    if (!rc && finish) rc = seam_buf_append(b, "\"", 1);
    if (!rc) rc = seam_buf_append_str(b, finish ? finish : "null");
    if (!rc && finish) rc = seam_buf_append(b, "\"", 1);
    if (!rc) rc = seam_buf_append_str(b, "}]");
    if (!rc && st->include_usage) rc = seam_buf_append_str(b, ",\"usage\":null");
    if (!rc) rc = seam_buf_append_str(b, "}\n\n");
    return rc;
}

static int role_chunk(bedrock_state *st)
{
    if (st->started) return 0;
    st->started = 1;
    int rc = chunk_open(st);
    if (!rc) rc = seam_buf_append_str(st->out, "{\"role\":\"assistant\",\"content\":\"\"}");
    if (!rc) rc = chunk_close(st, NULL);
    return rc;
}

/* The tool call index of content block bi, -1 when it is not a tool block. */
static int block_tool(const bedrock_state *st, long long bi)
{
    if (bi < 0 || (size_t)bi >= st->nblocks) return -1;
    return st->block_tool[bi] - 1;
}

/* Records that content block idx is tool call k. */
static int set_block_tool(bedrock_state *st, size_t idx, int k)
{
    if (idx >= st->nblocks) {
        int *grown = realloc(st->block_tool, (idx + 1) * sizeof *grown);
        if (!grown) return -1;
        memset(grown + st->nblocks, 0, (idx + 1 - st->nblocks) * sizeof *grown);
        st->block_tool = grown;
        st->nblocks = idx + 1;
    }
    st->block_tool[idx] = k + 1;
    return 0;
}

/* A delta {"tool_calls":[{"index":k, ...}]}, the caller writing the rest of the call. */
static void tool_delta_open(seam_jw *w, int k)
{
    seam_jw_obj(w);
    seam_jw_lkey(w, "tool_calls");
    seam_jw_arr(w);
    seam_jw_obj(w);
    seam_jw_lkey(w, "index");
    seam_jw_int(w, k);
}

static void tool_delta_close(seam_jw *w)
{
    seam_jw_end(w);
    seam_jw_end(w);
    seam_jw_end(w);
}

static int on_block_start(bedrock_state *st, const seam_jdoc *d, seam_jv ev)
{
    seam_jv tu = seam_jget(d, seam_jget(d, ev, "start"), "toolUse");
    if (!seam_jis(tu, SEAM_JOBJECT)) return role_chunk(st); /* a text block needs no announcement */
    seam_jv id = seam_jget(d, tu, "toolUseId"), name = seam_jget(d, tu, "name");
    long long bi;
    if (seam_jint(d, seam_jget(d, ev, "contentBlockIndex"), &bi) != 0 || bi < 0 ||
        bi >= MAX_BLOCKS || !is_str(id) || !is_str(name))
        return -1;
    int k = st->ntools++;
    if (set_block_tool(st, (size_t)bi, k)) return -1;
    int rc = role_chunk(st);
    if (!rc) rc = chunk_open(st);
    if (rc) return rc;
    seam_jw w;
    seam_jw_init(&w, st->out);
    tool_delta_open(&w, k);
    seam_jw_lkey(&w, "id");
    seam_jw_value(&w, d, id);
    seam_jw_lkey(&w, "type");
    seam_jw_lstr(&w, "function");
    seam_jw_lkey(&w, "function");
    seam_jw_obj(&w);
    seam_jw_lkey(&w, "name");
    seam_jw_value(&w, d, name);
    seam_jw_lkey(&w, "arguments");
    seam_jw_lstr(&w, "");
    seam_jw_end(&w);
    tool_delta_close(&w);
    rc = seam_jw_error(&w);
    return rc ? rc : chunk_close(st, NULL);
}

/* Text and tool input pieces pass as sent; reasoningContent, citations and
 * newer deltas have no chat-completions place. */
static int on_block_delta(bedrock_state *st, const seam_jdoc *d, seam_jv ev)
{
    seam_jv delta = seam_jget(d, ev, "delta");
    seam_jv text = seam_jget(d, delta, "text");
    seam_jv input = is_str(text) ? NULL : seam_jget(d, seam_jget(d, delta, "toolUse"), "input");
    if (!is_str(text) && !is_str(input)) return 0;
    int k = 0, rc = 0;
    if (is_str(text)) {
        rc = role_chunk(st);
    } else {
        long long bi;
        int ok = seam_jint(d, seam_jget(d, ev, "contentBlockIndex"), &bi) == 0;
        if (!ok || (k = block_tool(st, bi)) < 0) return -1; /* input for a call never started */
    }
    if (!rc) rc = chunk_open(st);
    if (rc) return rc;
    seam_jw w;
    seam_jw_init(&w, st->out);
    if (is_str(text)) {
        seam_jw_obj(&w);
        seam_jw_lkey(&w, "content");
        seam_jw_value(&w, d, text);
        seam_jw_end(&w);
    } else {
        tool_delta_open(&w, k);
        seam_jw_lkey(&w, "function");
        seam_jw_obj(&w);
        seam_jw_lkey(&w, "arguments");
        seam_jw_value(&w, d, input);
        seam_jw_end(&w);
        tool_delta_close(&w);
    }
    rc = seam_jw_error(&w);
    return rc ? rc : chunk_close(st, NULL);
}

/* An error body's "message" (or "Message"), decoded into buf; NULL if none. */
static const char *error_message(const char *p, size_t n, seam_buf *buf)
{
    seam_jdoc doc;
    const char *msg = NULL;
    if (seam_jdoc_parse(&doc, p, n, NULL) == 0) {
        seam_jv root = seam_jroot(&doc), v = seam_jget(&doc, root, "message");
        if (!is_str(v)) v = seam_jget(&doc, root, "Message");
        if (is_str(v) && seam_jstr_decode(&doc, v, buf) == 0) msg = buf->data ? buf->data : "";
    }
    seam_jdoc_free(&doc);
    return msg;
}

/* An exception or error message: one OpenAI error event, and the stream has failed. */
static int on_exception(bedrock_state *st, const seam_es_message *m)
{
    static const struct {
        const char *type;
        int status;
    } statuses[] = {
        {"throttlingException", 429},         {"validationException", 400},
        {"serviceUnavailableException", 503}, {"internalServerException", 500},
        {"modelStreamErrorException", 424},   {"modelTimeoutException", 408},
    };
    size_t tlen = 0;
    const char *type = seam_es_header_str(m, ":exception-type", &tlen);
    if (!type) type = seam_es_header_str(m, ":error-code", &tlen);
    char tname[64];
    snprintf(tname, sizeof tname, "%.*s", type ? (int)tlen : 7, type ? type : "unknown");
    int status = 502;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(tname, statuses[i].type) == 0) status = statuses[i].status;

    seam_buf mb;
    seam_buf_init(&mb, m->payload_len + 1);
    const char *msg = error_message(m->payload, m->payload_len, &mb);
    size_t mlen = 0;
    const char *hmsg = seam_es_header_str(m, ":error-message", &mlen);
    char text[1024];
    if (msg)
        snprintf(text, sizeof text, "Bedrock %s: %s", tname, msg);
    else if (hmsg)
        snprintf(text, sizeof text, "Bedrock %s: %.*s", tname, (int)mlen, hmsg);
    else
        snprintf(text, sizeof text, "Bedrock %s in the stream", tname);
    seam_buf_free(&mb);
    st->failed = 1;
    return seam_openai_error_event(st->out, status, "upstream_stream_error", text) ? -1 : 0;
}

/* One event's JSON payload, parsed once. */
static int on_event(bedrock_state *st, const char *type, size_t n, const seam_jdoc *d, seam_jv ev)
{
#define IS(name) (n == sizeof name - 1 && memcmp(type, name, n) == 0)
    int rc = 0;
    if (IS("messageStart")) {
        rc = role_chunk(st);
    } else if (IS("contentBlockStart")) {
        rc = on_block_start(st, d, ev);
    } else if (IS("contentBlockDelta")) {
        rc = on_block_delta(st, d, ev);
    } else if (IS("messageStop")) {
        rc = role_chunk(st);
        if (!rc) rc = chunk_open(st);
        if (!rc) rc = seam_buf_append_str(st->out, "{}");
        if (!rc) rc = chunk_close(st, finish_reason(d, seam_jget(d, ev, "stopReason")));
        st->stopped = 1;
    } else if (IS("metadata")) {
        read_usage(st, d, seam_jget(d, ev, "usage"));
    }
#undef IS
    return rc;
}

static int on_message(void *ud, const seam_es_message *m)
{
    bedrock_state *st = ud;
    if (st->failed) return 0; /* nothing after the error event */
    if (seam_es_header_is(m, ":message-type", "exception") ||
        seam_es_header_is(m, ":message-type", "error"))
        return on_exception(st, m);
    if (!seam_es_header_is(m, ":message-type", "event")) return 0;
    size_t n = 0;
    const char *type = seam_es_header_str(m, ":event-type", &n);
    if (!type) return 0;
    seam_jdoc doc;
    int rc = seam_jdoc_parse(&doc, m->payload, m->payload_len, NULL);
    if (!rc && !seam_jis(seam_jroot(&doc), SEAM_JOBJECT)) rc = -1;
    if (!rc) rc = on_event(st, type, n, &doc, seam_jroot(&doc));
    seam_jdoc_free(&doc);
    return rc;
}

static int stream(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    bedrock_state *st = state;
    st->out = out;
    int rc = seam_es_decoder_feed(&st->dec, p, n, on_message, st);
    st->out = NULL;
    if (rc) st->broken = 1;
    return rc ? -1 : 0;
}

static int stream_end(void *state, const seam_call_req *req, seam_buf *out)
{
    bedrock_state *st = state;
    if (st->failed || st->broken || seam_es_decoder_finish(&st->dec) != 0 || !st->stopped)
        return -1;
    int rc = 0;
    if (st->include_usage && st->have_usage) {
        rc = seam_buf_append_str(out, "data: ");
        if (!rc) rc = seam_buf_append(out, st->head.data, st->head.len);
        if (!rc) rc = seam_buf_append_str(out, ",\"choices\":[],\"usage\":");
        seam_jw w;
        seam_jw_init(&w, out);
        seam_oai_usage(&w, &st->tokens);
        if (!rc) rc = seam_jw_error(&w);
        if (!rc) rc = seam_buf_append_str(out, "}\n\n");
    }
    if (!rc) rc = seam_buf_append_str(out, "data: [DONE]\n\n");
    return rc ? -1 : 0;
}

/* ---- errors ---- */

static int error(int status, const char *p, size_t n, seam_buf *out)
{
    static const struct {
        int status;
        const char *code;
    } codes[] = {
        {400, "validation_exception"},         {403, "access_denied_exception"},
        {404, "resource_not_found_exception"}, {408, "model_timeout_exception"},
        {424, "model_error_exception"},        {429, "throttling_exception"},
        {500, "internal_server_exception"},    {503, "service_unavailable_exception"},
    };
    const char *code = "upstream_error";
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].status == status) code = codes[i].code;
    seam_buf mb;
    seam_buf_init(&mb, n + 1);
    const char *msg = error_message(p, n, &mb);
    char fallback[96];
    if (!msg) {
        snprintf(fallback, sizeof fallback, "Bedrock answered HTTP %d", status);
        msg = fallback;
    }
    int rc = seam_openai_error_json(out, status, code, msg);
    seam_buf_free(&mb);
    return rc ? -1 : 0;
}

const seam_adapter_ops seam_bedrock_ops = {
    .build = build,
    .state_size = sizeof(bedrock_state),
    .state_free = state_free,
    .response = response,
    .stream = stream,
    .stream_end = stream_end,
    .error = error,
};

/* ---- the provider ---- */

static void free_secret(char *s)
{
    if (!s) return;
    sodium_memzero(s, strlen(s));
    free(s);
}

static void destroy(seam_provider *p)
{
    bedrock_provider *bp = (bedrock_provider *)p;
    if (!bp) return;
    seam_http_target_free(bp->origin);
    free(bp->path_prefix);
    free(bp->host);
    free(bp->region);
    free_secret(bp->access_key);
    free_secret(bp->secret_key);
    free_secret(bp->session_token);
    free(bp);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int valid_region(const char *r)
{
    if (!*r || strlen(r) > 64) return 0;
    for (; *r; r++)
        if (!(islower((unsigned char)*r) || isdigit((unsigned char)*r) || *r == '-')) return 0;
    return 1;
}

/* Splits base_url into the Host header the transport will send and the path
 * prefix.  https goes through libcurl, which sends "host" (":port" unless
 * 443) — and seam passes it explicitly; http goes through h1client.c, which
 * always sends "host:port". */
static int split_url(bedrock_provider *bp, const char *url, char *err, size_t errlen)
{
    int https = strncmp(url, "https://", 8) == 0;
    if (!https && strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "base_url: '%s' is not an http:// or https:// URL", url);
        return -1;
    }
    const char *auth = url + (https ? 8 : 7);
    size_t alen = strcspn(auth, "/?#");
    const char *rest = auth + alen;
    if (!alen || memchr(auth, '@', alen) || (*rest && *rest != '/')) {
        snprintf(err, errlen, "base_url: '%s' needs a host and no user, query or fragment", url);
        return -1;
    }
    const char *close = auth[0] == '[' ? memchr(auth, ']', alen) : NULL;
    const char *colon =
        memchr(close ? close : auth, ':', alen - (size_t)((close ? close : auth) - auth));
    size_t hlen = colon ? (size_t)(colon - auth) : alen;
    long port = https ? 443 : 80;
    if (colon) {
        char *end;
        port = strtol(colon + 1, &end, 10);
        if (end != auth + alen || port < 1 || port > 65535) {
            snprintf(err, errlen, "base_url: '%s' has a bad port", url);
            return -1;
        }
    }
    size_t cap = hlen + 8;
    bp->host = malloc(cap);
    bp->path_prefix = strdup(rest);
    if (!bp->host || !bp->path_prefix) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (https && port == 443)
        snprintf(bp->host, cap, "%.*s", (int)hlen, auth);
    else
        snprintf(bp->host, cap, "%.*s:%ld", (int)hlen, auth, port);
    bp->send_host = https;
    size_t plen = strlen(bp->path_prefix); /* "/" alone or a trailing '/' adds nothing */
    while (plen && bp->path_prefix[plen - 1] == '/')
        bp->path_prefix[--plen] = '\0';
    return 0;
}

static int create(const seam_provider_conf *conf, seam_provider **out, char *err, size_t errlen)
{
    /* The loader fills it from AWS_REGION / AWS_DEFAULT_REGION when not
     * written, so that residency rules see it too. */
    const char *region = conf->region;
    const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
    const char *token = env("AWS_SESSION_TOKEN");
    if (!region) {
        snprintf(err, errlen,
                 "region: required for bedrock (set region:, or AWS_REGION or "
                 "AWS_DEFAULT_REGION in the environment)");
        return -1;
    }
    if (!valid_region(region)) {
        snprintf(err, errlen, "region: '%s' is not an AWS region name (like us-east-1)", region);
        return -1;
    }
    if (!ak || !sk) {
        snprintf(err, errlen,
                 "bedrock needs AWS credentials: %s not set in the environment (seam reads "
                 "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for temporary credentials, "
                 "AWS_SESSION_TOKEN)",
                 !ak && !sk ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are"
                 : !ak      ? "AWS_ACCESS_KEY_ID is"
                            : "AWS_SECRET_ACCESS_KEY is");
        return -1;
    }
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium could not start");
        return -1;
    }
    bedrock_provider *bp = calloc(1, sizeof *bp);
    if (!bp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bp->base.vt = &seam_provider_bedrock;
    bp->base.conf = conf;
    char url[256];
    /* China's regions live under their own domain */
    snprintf(url, sizeof url, "https://bedrock-runtime.%s.amazonaws.com%s", region,
             strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
    const char *base = conf->base_url ? conf->base_url : url;
    bp->region = strdup(region);
    bp->access_key = strdup(ak);
    bp->secret_key = strdup(sk);
    bp->session_token = token ? strdup(token) : NULL;
    if (!bp->region || !bp->access_key || !bp->secret_key || (token && !bp->session_token)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (split_url(bp, base, err, errlen) != 0) goto fail;
    bp->origin = seam_provider_target_new(conf, base, err, errlen);
    if (!bp->origin) goto fail;
    *out = &bp->base;
    return 0;
fail:
    destroy(&bp->base);
    return -1;
}

static seam_call *start(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud)
{
    return seam_adapter_start(p, &seam_bedrock_ops, io, req, cbs, ud);
}

const seam_provider_vt seam_provider_bedrock = {
    .type = "bedrock",
    .create = create,
    .start = start,
    .cancel = seam_adapter_cancel,
    .destroy = destroy,
};
