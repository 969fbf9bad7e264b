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
 * exactly is not passed to adapters. */
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/json_scan.h"
#include "api/openai_error.h"
#include "providers/adapter.h"
#include "providers/bedrock_xlate.h"
#include "providers/eventstream.h"
#include "providers/sigv4.h"

#define SERVICE       "bedrock"
#define MAX_MODEL_ID  2048
#define MAX_BLOCKS    4096 /* content blocks per streamed message */
#define MAX_EVENT_OUT (16u << 20)

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

static int dump_to_buf(const char *p, size_t n, void *data)
{
    return seam_buf_append(data, p, n) ? -1 : 0;
}

static int str_is(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* "null for an optional field is as if absent" */
static json_t *field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static void refuse(const seam_provider *p, const seam_call_req *req, const char *why_fmt,
                   const char *field_name, ...) __attribute__((format(printf, 3, 5)));

/* Refuses naming field_name; the reason is formatted from why_fmt. */
static void refuse(const seam_provider *p, const seam_call_req *req, const char *why_fmt,
                   const char *field_name, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, field_name);
    vsnprintf(why, sizeof why, why_fmt, ap);
    va_end(ap);
    seam_adapter_refuse(p, req, field_name, why);
}

/* ---- OpenAI request -> Converse request ---- */

typedef struct xlate {
    const seam_provider *p;
    const seam_call_req *req;
    json_t *system;   /* [SystemContentBlock] */
    json_t *messages; /* [Message] */
    int has_tool_blocks;
    char where[96]; /* the field being translated, for refusals */
} xlate;

/* Appends blocks to the last message when it has role, else a new message. */
static int add_blocks(xlate *x, const char *role, json_t *blocks)
{
    size_t n = json_array_size(x->messages);
    json_t *last = n ? json_array_get(x->messages, n - 1) : NULL;
    if (last && str_is(json_object_get(last, "role"), role)) {
        int rc = json_array_extend(json_object_get(last, "content"), blocks);
        json_decref(blocks);
        return rc;
    }
    json_t *m = json_pack("{s:s, s:o}", "role", role, "content", blocks);
    return m ? json_array_append_new(x->messages, m) : -1;
}

/* 1 when a translation step refused (the refusal is written), -1 out of memory. */
#define REFUSED 1

/* Bedrock refuses blank text blocks, and an empty string says nothing: skipped. */
static int text_block(json_t *blocks, json_t *text)
{
    if (json_string_length(text) == 0) return 0;
    return json_array_append_new(blocks, json_pack("{s:O}", "text", text));
}

/* image_url part -> {image:{format, source:{bytes}}} */
static int image_block(xlate *x, json_t *blocks, json_t *part, const char *where)
{
    const char *url = json_string_value(json_object_get(json_object_get(part, "image_url"), "url"));
    if (!url) {
        refuse(x->p, x->req, "an image_url part needs image_url.url", where);
        return REFUSED;
    }
    if (strncmp(url, "data:", 5) != 0) {
        refuse(x->p, x->req,
               "Bedrock takes images as bytes, not URLs; send a data: URL "
               "(data:image/png;base64,...)",
               where);
        return REFUSED;
    }
    static const struct {
        const char *mime, *format;
    } types[] = {{"image/png", "png"},
                 {"image/jpeg", "jpeg"},
                 {"image/jpg", "jpeg"},
                 {"image/gif", "gif"},
                 {"image/webp", "webp"}};
    const char *semi = strstr(url, ";base64,");
    const char *format = NULL;
    for (size_t i = 0; semi && i < sizeof types / sizeof types[0]; i++) {
        size_t n = strlen(types[i].mime);
        if ((size_t)(semi - (url + 5)) == n && strncasecmp(url + 5, types[i].mime, n) == 0)
            format = types[i].format;
    }
    if (!semi || !format) {
        refuse(x->p, x->req,
               "Bedrock takes base64 data: URLs of image/png, image/jpeg, image/gif or "
               "image/webp",
               where);
        return REFUSED;
    }
    json_t *b =
        json_pack("{s:{s:s, s:{s:s}}}", "image", "format", format, "source", "bytes", semi + 8);
    return json_array_append_new(blocks, b);
}

/* A message's content (string, array of parts, or null) -> content blocks.
 * allow_images: user turns only. */
static int content_blocks(xlate *x, json_t *content, json_t *blocks, int allow_images,
                          const char *where)
{
    if (!content) return 0;
    if (json_is_string(content)) return text_block(blocks, content);
    if (!json_is_array(content)) {
        refuse(x->p, x->req, "expected a string or an array of content parts", where);
        return REFUSED;
    }
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        char here[128];
        snprintf(here, sizeof here, "%s[%zu]", where, i);
        json_t *type = json_object_get(part, "type");
        int rc;
        if (str_is(type, "text") && json_is_string(json_object_get(part, "text"))) {
            rc = text_block(blocks, json_object_get(part, "text"));
        } else if (str_is(type, "refusal") && json_is_string(json_object_get(part, "refusal"))) {
            rc = text_block(blocks, json_object_get(part, "refusal"));
        } else if (allow_images && str_is(type, "image_url")) {
            rc = image_block(x, blocks, part, here);
        } else {
            refuse(x->p, x->req, "content part type '%s' has no Bedrock equivalent", here,
                   json_is_string(type) ? json_string_value(type) : "?");
            return REFUSED;
        }
        if (rc) return rc;
    }
    return 0;
}

static int tool_use_blocks(xlate *x, json_t *calls, json_t *blocks, const char *where)
{
    if (!json_is_array(calls)) {
        refuse(x->p, x->req, "expected an array", where);
        return REFUSED;
    }
    size_t i;
    json_t *call;
    json_array_foreach(calls, i, call)
    {
        char here[128];
        snprintf(here, sizeof here, "%s[%zu]", where, i);
        json_t *fn = json_object_get(call, "function");
        json_t *id = json_object_get(call, "id"), *name = json_object_get(fn, "name");
        json_t *args = json_object_get(fn, "arguments");
        if (!json_is_string(id) || !json_is_string(name)) {
            refuse(x->p, x->req, "a tool call needs a string id and function.name", here);
            return REFUSED;
        }
        json_t *input;
        if (!args || (json_is_string(args) && json_string_length(args) == 0)) {
            input = json_object();
        } else if (json_is_string(args)) {
            input = json_loadb(json_string_value(args), json_string_length(args),
                               JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
            if (!input) {
                refuse(x->p, x->req,
                       "function.arguments is not JSON; Bedrock takes the input "
                       "as a JSON document",
                       here);
                return REFUSED;
            }
        } else {
            refuse(x->p, x->req, "function.arguments must be a string", here);
            return REFUSED;
        }
        json_t *b = json_pack("{s:{s:O, s:O, s:o}}", "toolUse", "toolUseId", id, "name", name,
                              "input", input);
        if (json_array_append_new(blocks, b)) return -1;
        x->has_tool_blocks = 1;
    }
    return 0;
}

static int tool_result(xlate *x, json_t *m, const char *where)
{
    json_t *id = json_object_get(m, "tool_call_id");
    if (!json_is_string(id)) {
        char here[128];
        snprintf(here, sizeof here, "%s.tool_call_id", where);
        refuse(x->p, x->req, "a tool message needs a string tool_call_id", here);
        return REFUSED;
    }
    char here[128];
    snprintf(here, sizeof here, "%s.content", where);
    json_t *content = json_array();
    int rc = content ? content_blocks(x, field(m, "content"), content, 0, here) : -1;
    if (!rc && json_array_size(content) == 0) /* a result must say something */
        rc = json_array_append_new(content, json_pack("{s:s}", "text", ""));
    if (rc) {
        json_decref(content);
        return rc;
    }
    json_t *blocks =
        json_pack("[{s:{s:O, s:o}}]", "toolResult", "toolUseId", id, "content", content);
    x->has_tool_blocks = 1;
    return blocks ? add_blocks(x, "user", blocks) : -1;
}

static int translate_messages(xlate *x, json_t *messages)
{
    if (!json_is_array(messages)) {
        refuse(x->p, x->req, "expected an array of messages", "messages");
        return REFUSED;
    }
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        char where[64];
        snprintf(where, sizeof where, "messages[%zu]", i);
        json_t *role = json_object_get(m, "role");
        const char *r = json_string_value(role);
        char here[96];
        int rc;
        if (!json_is_object(m) || !r) {
            refuse(x->p, x->req, "a message is an object with a string role", where);
            return REFUSED;
        }
        snprintf(here, sizeof here, "%s.content", where);
        if (strcmp(r, "system") == 0 || strcmp(r, "developer") == 0) {
            rc = content_blocks(x, field(m, "content"), x->system, 0, here);
        } else if (strcmp(r, "user") == 0 || strcmp(r, "assistant") == 0) {
            int user = r[0] == 'u';
            if (!user && (field(m, "audio") || field(m, "function_call"))) {
                snprintf(here, sizeof here, "%s.%s", where,
                         field(m, "audio") ? "audio" : "function_call");
                refuse(x->p, x->req, "no Bedrock equivalent", here);
                return REFUSED;
            }
            json_t *blocks = json_array();
            rc = blocks ? content_blocks(x, field(m, "content"), blocks, user, here) : -1;
            if (!rc && !user && field(m, "tool_calls")) {
                snprintf(here, sizeof here, "%s.tool_calls", where);
                rc = tool_use_blocks(x, field(m, "tool_calls"), blocks, here);
            }
            if (rc) {
                json_decref(blocks);
                return rc;
            }
            rc = add_blocks(x, r, blocks);
        } else if (strcmp(r, "tool") == 0) {
            rc = tool_result(x, m, where);
        } else {
            snprintf(here, sizeof here, "%s.role", where);
            refuse(x->p, x->req, "role '%s' has no Bedrock equivalent", here, r);
            return REFUSED;
        }
        if (rc) return rc;
    }
    return 0;
}

/* tools + tool_choice -> toolConfig (or nothing).  *out is NULL for none. */
static int translate_tools(xlate *x, json_t *root, json_t **out)
{
    *out = NULL;
    json_t *tools = field(root, "tools"), *choice = field(root, "tool_choice");
    if (tools && !json_is_array(tools)) {
        refuse(x->p, x->req, "expected an array", "tools");
        return REFUSED;
    }
    int have = json_array_size(tools) > 0;
    if (str_is(choice, "none")) {
        if (x->has_tool_blocks && have) {
            refuse(x->p, x->req,
                   "'none' with tool calls in messages: Bedrock then requires the tools "
                   "declared and has no way to forbid calling them",
                   "tool_choice");
            return REFUSED;
        }
        return 0;
    }
    json_t *tc = NULL;
    if (str_is(choice, "auto")) {
        tc = json_pack("{s:{}}", "auto");
    } else if (str_is(choice, "required")) {
        tc = json_pack("{s:{}}", "any");
    } else if (json_is_object(choice) &&
               json_is_string(json_object_get(json_object_get(choice, "function"), "name"))) {
        tc = json_pack("{s:{s:O}}", "tool", "name",
                       json_object_get(json_object_get(choice, "function"), "name"));
    } else if (choice) {
        refuse(x->p, x->req, "expected 'none', 'auto', 'required' or a function", "tool_choice");
        return REFUSED;
    }
    if (!have) {
        if (tc && !str_is(choice, "auto")) {
            json_decref(tc);
            refuse(x->p, x->req, "it asks for a tool call but tools is empty", "tool_choice");
            return REFUSED;
        }
        json_decref(tc);
        return 0;
    }
    json_t *specs = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t)
    {
        char here[64];
        snprintf(here, sizeof here, "tools[%zu]", i);
        json_t *fn = json_object_get(t, "function");
        json_t *name = json_object_get(fn, "name");
        if (!str_is(json_object_get(t, "type"), "function") || !json_is_string(name)) {
            json_decref(specs);
            json_decref(tc);
            refuse(x->p, x->req, "only function tools with a name have a Bedrock equivalent", here);
            return REFUSED;
        }
        json_t *params = field(fn, "parameters");
        json_t *spec = json_pack("{s:O}", "name", name);
        if (spec && json_is_string(field(fn, "description")))
            json_object_set(spec, "description", json_object_get(fn, "description"));
        json_t *schema =
            params ? json_incref(params) : json_pack("{s:s, s:{}}", "type", "object", "properties");
        if (spec && json_object_set_new(spec, "inputSchema", json_pack("{s:o}", "json", schema))) {
            json_decref(spec);
            spec = NULL;
        }
        if (!spec || json_array_append_new(specs, json_pack("{s:o}", "toolSpec", spec))) {
            json_decref(specs);
            json_decref(tc);
            return -1;
        }
    }
    *out = json_pack("{s:o}", "tools", specs);
    if (*out && tc) json_object_set_new(*out, "toolChoice", tc);
    return *out ? 0 : -1;
}

/* Top-level fields: what maps, what is dropped, what is refused. */
static int translate_params(xlate *x, json_t *root, json_t *conv)
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
    json_t *inf = json_object(), *extra = json_object();
    int rc = inf && extra ? 0 : -1;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (rc) break;
        if (json_is_null(v)) continue;
        int done = 0;
        for (size_t i = 0; i < sizeof dropped / sizeof dropped[0] && !done; i++)
            done = strcmp(key, dropped[i]) == 0;
        for (size_t i = 0; i < sizeof refused / sizeof refused[0] && !done; i++)
            if (strcmp(key, refused[i].name) == 0) {
                refuse(x->p, x->req, "%s", key, refused[i].why);
                rc = REFUSED;
                done = 1;
            }
        if (done) continue;
        if (strcmp(key, "max_tokens") == 0 || strcmp(key, "max_completion_tokens") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                refuse(x->p, x->req, "expected an integer of at least 1", key);
                rc = REFUSED;
            } else if (strcmp(key, "max_completion_tokens") == 0 ||
                       !field(root, "max_completion_tokens")) {
                rc = json_object_set(inf, "maxTokens", v);
            }
        } else if (strcmp(key, "temperature") == 0 || strcmp(key, "top_p") == 0) {
            if (!json_is_number(v)) {
                refuse(x->p, x->req, "expected a number", key);
                rc = REFUSED;
            } else {
                rc = json_object_set(inf, strcmp(key, "top_p") == 0 ? "topP" : "temperature", v);
            }
        } else if (strcmp(key, "stop") == 0) {
            json_t *seqs = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
            size_t i;
            json_t *s;
            int ok = json_is_array(seqs);
            json_array_foreach(seqs, i, s) ok = ok && json_is_string(s);
            if (!ok) {
                refuse(x->p, x->req, "expected a string or an array of strings", key);
                rc = REFUSED;
            } else if (json_array_size(seqs)) {
                rc = json_object_set(inf, "stopSequences", seqs);
            }
            json_decref(seqs);
        } else if (strcmp(key, "top_k") == 0) {
            if (!json_is_integer(v)) {
                refuse(x->p, x->req, "expected an integer", key);
                rc = REFUSED;
            } else {
                rc = json_object_set(extra, "top_k", v);
            }
        } else if (strcmp(key, "n") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) != 1) {
                refuse(x->p, x->req, "Bedrock returns one choice; n must be 1", key);
                rc = REFUSED;
            }
        } else if (strcmp(key, "logprobs") == 0) {
            if (!json_is_false(v)) {
                refuse(x->p, x->req, "Bedrock returns no log probabilities", key);
                rc = REFUSED;
            }
        } else if (strcmp(key, "logit_bias") == 0) {
            if (!json_is_object(v) || json_object_size(v)) {
                refuse(x->p, x->req, "no Bedrock equivalent", key);
                rc = REFUSED;
            }
        } else if (strcmp(key, "frequency_penalty") == 0 || strcmp(key, "presence_penalty") == 0) {
            if (!json_is_number(v) || json_number_value(v) != 0) {
                refuse(x->p, x->req, "no Bedrock equivalent (only 0 is accepted)", key);
                rc = REFUSED;
            }
        } else if (strcmp(key, "seed") == 0) {
            refuse(x->p, x->req, "no Bedrock equivalent", key);
            rc = REFUSED;
        } else if (strcmp(key, "response_format") == 0) {
            if (!str_is(json_object_get(v, "type"), "text")) {
                refuse(x->p, x->req,
                       "JSON modes are not mapped to Bedrock; only {\"type\":\"text\"} is "
                       "accepted",
                       key);
                rc = REFUSED;
            }
        } else if (strcmp(key, "modalities") == 0) {
            size_t i;
            json_t *s;
            json_array_foreach(v, i, s)
            {
                if (!str_is(s, "text")) {
                    refuse(x->p, x->req, "Bedrock's Converse API answers in text only", key);
                    rc = REFUSED;
                    break;
                }
            }
        } else {
            refuse(x->p, x->req, "not supported by seam's Bedrock adapter", key);
            rc = REFUSED;
        }
    }
    if (!rc && json_object_size(inf)) rc = json_object_set(conv, "inferenceConfig", inf);
    if (!rc && json_object_size(extra))
        rc = json_object_set(conv, "additionalModelRequestFields", extra);
    json_decref(inf);
    json_decref(extra);
    return rc;
}

/* The whole Converse body, or NULL after a refusal (*refused set) or out of memory. */
static json_t *translate(const seam_provider *p, const seam_call_req *req, json_t *root,
                         int *refused)
{
    xlate x = {.p = p, .req = req, .system = json_array(), .messages = json_array()};
    json_t *conv = json_object(), *tool_config = NULL;
    int rc = x.system && x.messages && conv ? 0 : -1;
    if (!rc) rc = translate_messages(&x, json_object_get(root, "messages"));
    if (!rc) rc = translate_tools(&x, root, &tool_config);
    if (!rc) rc = json_object_set(conv, "messages", x.messages);
    if (!rc && json_array_size(x.system)) rc = json_object_set(conv, "system", x.system);
    if (!rc) rc = translate_params(&x, root, conv);
    if (!rc && tool_config) rc = json_object_set(conv, "toolConfig", tool_config);
    json_decref(tool_config);
    json_decref(x.system);
    json_decref(x.messages);
    if (rc) {
        *refused = rc == REFUSED;
        json_decref(conv);
        return NULL;
    }
    return conv;
}

/* ---- per-call state ---- */

typedef struct bedrock_state {
    seam_es_decoder dec;
    int include_usage;
    char id[40];
    long long created;
    int started, stopped, failed, broken;
    int ntools;
    int *block_tool; /* contentBlockIndex -> tool call index + 1 (0: a text block) */
    size_t nblocks;
    int have_usage;
    long long in_tokens, out_tokens, cache_read, cache_write;
    const seam_call_req *req; /* during a stream() call */
    seam_buf *out;            /* during a stream() call */
} bedrock_state;

static void state_free(void *state)
{
    bedrock_state *st = state;
    seam_es_decoder_free(&st->dec);
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
    seam_openai_req scan;
    if (seam_openai_scan_request(req->body, req->body_len, &scan, NULL) != 0) {
        seam_adapter_refuse(p, req, "body", "not a valid JSON object");
        return -1;
    }
    st->include_usage = req->stream && scan.include_usage;
    json_t *root = json_loadb(req->body, req->body_len, JSON_ALLOW_NUL, NULL);
    int refused = 0;
    json_t *conv = json_is_object(root) ? translate(p, req, root, &refused) : NULL;
    json_decref(root);
    if (!conv) {
        if (!refused) seam_adapter_refuse(p, req, "body", "could not be translated");
        return -1;
    }
    int rc = json_dump_callback(conv, dump_to_buf, &out->body, JSON_COMPACT);
    json_decref(conv);
    if (rc) return -1;

    seam_buf path;
    seam_buf_init(&path, 8192);
    rc = seam_buf_printf(&path, "%s/model/", bp->path_prefix);
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
    return 0;
}

/* ---- Converse answer -> chat.completion ---- */

static const char *finish_reason(const char *stop)
{
    if (!stop) return "stop";
    if (strcmp(stop, "max_tokens") == 0 || strcmp(stop, "model_context_window_exceeded") == 0)
        return "length";
    if (strcmp(stop, "tool_use") == 0) return "tool_calls";
    if (strcmp(stop, "guardrail_intervened") == 0 || strcmp(stop, "content_filtered") == 0)
        return "content_filter";
    return "stop";
}

static long long count(json_t *usage, const char *key)
{
    json_t *v = json_object_get(usage, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (long long)json_integer_value(v) : 0;
}

static void read_usage(bedrock_state *st, json_t *usage)
{
    if (!json_is_object(usage)) return;
    st->have_usage = 1;
    st->in_tokens = count(usage, "inputTokens");
    st->out_tokens = count(usage, "outputTokens");
    st->cache_read = count(usage, "cacheReadInputTokens");
    st->cache_write = count(usage, "cacheWriteInputTokens");
}

static int put_usage(seam_buf *b, const bedrock_state *st)
{
    long long prompt = st->in_tokens + st->cache_read + st->cache_write;
    return seam_buf_printf(b,
                           "\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
                           "\"total_tokens\":%lld,\"prompt_tokens_details\":{\"cached_tokens\":"
                           "%lld}}",
                           prompt, st->out_tokens, prompt + st->out_tokens, st->cache_read);
}

static int put_str(seam_buf *b, const char *s, size_t n)
{
    int rc = seam_buf_append(b, "\"", 1);
    if (!rc) rc = seam_buf_append_json_str(b, s, n);
    if (!rc) rc = seam_buf_append(b, "\"", 1);
    return rc;
}

static int put_head(seam_buf *b, const bedrock_state *st, const seam_call_req *req,
                    const char *object)
{
    int rc =
        seam_buf_printf(b, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%lld,\"model\":", st->id,
                        object, st->created);
    if (!rc) rc = put_str(b, req->model, strlen(req->model));
    return rc;
}

static int response(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    bedrock_state *st = state;
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL, NULL);
    json_t *content =
        json_object_get(json_object_get(json_object_get(root, "output"), "message"), "content");
    if (!json_is_array(content)) {
        json_decref(root);
        return -1;
    }
    seam_buf text, calls;
    seam_buf_init(&text, MAX_EVENT_OUT);
    seam_buf_init(&calls, MAX_EVENT_OUT);
    int rc = 0, ntext = 0, ncalls = 0;
    size_t i;
    json_t *block;
    json_array_foreach(content, i, block)
    {
        json_t *t = json_object_get(block, "text");
        json_t *tu = json_object_get(block, "toolUse");
        if (json_is_string(t)) {
            rc = seam_buf_append_json_str(&text, json_string_value(t), json_string_length(t));
            ntext++;
        } else if (json_is_object(tu)) {
            json_t *id = json_object_get(tu, "toolUseId"), *name = json_object_get(tu, "name");
            json_t *input = json_object_get(tu, "input");
            if (!json_is_string(id) || !json_is_string(name)) {
                rc = -1;
                break;
            }
            char *args = input ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            rc = seam_buf_append_str(&calls, ncalls++ ? ",{\"id\":" : "{\"id\":");
            if (!rc) rc = put_str(&calls, json_string_value(id), json_string_length(id));
            if (!rc)
                rc = seam_buf_append_str(&calls, ",\"type\":\"function\",\"function\":{\"name\":");
            if (!rc) rc = put_str(&calls, json_string_value(name), json_string_length(name));
            if (!rc) rc = seam_buf_append_str(&calls, ",\"arguments\":");
            if (!rc) rc = put_str(&calls, args ? args : "{}", args ? strlen(args) : 2);
            if (!rc) rc = seam_buf_append_str(&calls, "}}");
            free(args);
        }
        if (rc) break;
    }
    if (!rc) rc = put_head(out, st, req, "chat.completion");
    if (!rc)
        rc = seam_buf_append_str(out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                      "\"assistant\",\"content\":");
    if (!rc && ntext) rc = seam_buf_append(out, "\"", 1);
    if (!rc && ntext) rc = seam_buf_append(out, text.data ? text.data : "", text.len);
    if (!rc) rc = ntext ? seam_buf_append(out, "\"", 1) : seam_buf_append_str(out, "null");
    if (!rc && ncalls) rc = seam_buf_append_str(out, ",\"tool_calls\":[");
    if (!rc && ncalls) rc = seam_buf_append(out, calls.data, calls.len);
    if (!rc && ncalls) rc = seam_buf_append(out, "]", 1);
    if (!rc)
        rc =
            seam_buf_printf(out, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"%s\"}],",
                            finish_reason(json_string_value(json_object_get(root, "stopReason"))));
    read_usage(st, json_object_get(root, "usage"));
    if (!rc) rc = put_usage(out, st);
    if (!rc) rc = seam_buf_append(out, "}", 1);
    seam_buf_free(&text);
    seam_buf_free(&calls);
    json_decref(root);
    return rc ? -1 : 0;
}

/* ---- ConverseStream -> chunks ---- */

/* data: {head,"choices":[{"index":0,"delta":DELTA,"logprobs":null,"finish_reason":F}]}\n\n
 * DELTA is written by the caller between chunk_open and chunk_close. */
static int chunk_open(bedrock_state *st)
{
    seam_buf *b = st->out;
    int rc = seam_buf_append_str(b, "data: ");
    if (!rc) rc = put_head(b, st, st->req, "chat.completion.chunk");
    if (!rc) rc = seam_buf_append_str(b, ",\"choices\":[{\"index\":0,\"delta\":");
    return rc;
}

static int chunk_close(bedrock_state *st, const char *finish)
{
    seam_buf *b = st->out;
    int rc = finish ? seam_buf_printf(b, ",\"logprobs\":null,\"finish_reason\":\"%s\"}]", finish)
                    : seam_buf_append_str(b, ",\"logprobs\":null,\"finish_reason\":null}]");
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
static int block_tool(const bedrock_state *st, json_int_t bi)
{
    if (bi < 0 || (size_t)bi >= st->nblocks) return -1;
    return st->block_tool[bi] - 1;
}

static int on_block_start(bedrock_state *st, json_t *ev)
{
    json_t *bi = json_object_get(ev, "contentBlockIndex");
    json_t *tu = json_object_get(json_object_get(ev, "start"), "toolUse");
    if (!json_is_object(tu)) return role_chunk(st); /* a text block needs no announcement */
    json_t *id = json_object_get(tu, "toolUseId"), *name = json_object_get(tu, "name");
    if (!json_is_integer(bi) || json_integer_value(bi) < 0 ||
        json_integer_value(bi) >= MAX_BLOCKS || !json_is_string(id) || !json_is_string(name))
        return -1;
    size_t idx = (size_t)json_integer_value(bi);
    if (idx >= st->nblocks) {
        int *grown = realloc(st->block_tool, (idx + 1) * sizeof *grown);
        if (!grown) return -1;
        memset(grown + st->nblocks, 0, (idx + 1 - st->nblocks) * sizeof *grown);
        st->block_tool = grown;
        st->nblocks = idx + 1;
    }
    int k = st->ntools++;
    st->block_tool[idx] = k + 1;
    int rc = role_chunk(st);
    if (!rc) rc = chunk_open(st);
    if (!rc) rc = seam_buf_printf(st->out, "{\"tool_calls\":[{\"index\":%d,\"id\":", k);
    if (!rc) rc = put_str(st->out, json_string_value(id), json_string_length(id));
    if (!rc) rc = seam_buf_append_str(st->out, ",\"type\":\"function\",\"function\":{\"name\":");
    if (!rc) rc = put_str(st->out, json_string_value(name), json_string_length(name));
    if (!rc) rc = seam_buf_append_str(st->out, ",\"arguments\":\"\"}}]}");
    if (!rc) rc = chunk_close(st, NULL);
    return rc;
}

static int on_block_delta(bedrock_state *st, json_t *ev)
{
    json_t *delta = json_object_get(ev, "delta");
    json_t *text = json_object_get(delta, "text");
    json_t *input = json_object_get(json_object_get(delta, "toolUse"), "input");
    int rc = 0;
    if (json_is_string(text)) {
        rc = role_chunk(st);
        if (!rc) rc = chunk_open(st);
        if (!rc) rc = seam_buf_append_str(st->out, "{\"content\":");
        if (!rc) rc = put_str(st->out, json_string_value(text), json_string_length(text));
        if (!rc) rc = seam_buf_append(st->out, "}", 1);
        if (!rc) rc = chunk_close(st, NULL);
    } else if (json_is_string(input)) {
        json_t *bi = json_object_get(ev, "contentBlockIndex");
        int k = json_is_integer(bi) ? block_tool(st, json_integer_value(bi)) : -1;
        if (k < 0) return -1; /* input for a tool call that never started */
        rc = chunk_open(st);
        if (!rc)
            rc = seam_buf_printf(st->out,
                                 "{\"tool_calls\":[{\"index\":%d,\"function\":"
                                 "{\"arguments\":",
                                 k);
        if (!rc) rc = put_str(st->out, json_string_value(input), json_string_length(input));
        if (!rc) rc = seam_buf_append_str(st->out, "}}]}");
        if (!rc) rc = chunk_close(st, NULL);
    }
    /* reasoningContent, citations and newer deltas have no chat-completions place */
    return rc;
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

    json_t *root = json_loadb(m->payload, m->payload_len, JSON_ALLOW_NUL, NULL);
    const char *msg = json_string_value(json_object_get(root, "message"));
    if (!msg) msg = json_string_value(json_object_get(root, "Message"));
    size_t mlen = 0;
    const char *hmsg = seam_es_header_str(m, ":error-message", &mlen);
    char text[1024];
    if (msg)
        snprintf(text, sizeof text, "Bedrock %s: %s", tname, msg);
    else if (hmsg)
        snprintf(text, sizeof text, "Bedrock %s: %.*s", tname, (int)mlen, hmsg);
    else
        snprintf(text, sizeof text, "Bedrock %s in the stream", tname);
    json_decref(root);
    st->failed = 1;
    return seam_openai_error_event(st->out, status, "upstream_stream_error", text) ? -1 : 0;
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
    json_t *ev = json_loadb(m->payload, m->payload_len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return -1;
    }
#define IS(name) (n == sizeof name - 1 && memcmp(type, name, n) == 0)
    int rc = 0;
    if (IS("messageStart")) {
        rc = role_chunk(st);
    } else if (IS("contentBlockStart")) {
        rc = on_block_start(st, ev);
    } else if (IS("contentBlockDelta")) {
        rc = on_block_delta(st, ev);
    } else if (IS("messageStop")) {
        rc = role_chunk(st);
        if (!rc) rc = chunk_open(st);
        if (!rc) rc = seam_buf_append_str(st->out, "{}");
        if (!rc)
            rc = chunk_close(st,
                             finish_reason(json_string_value(json_object_get(ev, "stopReason"))));
        st->stopped = 1;
    } else if (IS("metadata")) {
        read_usage(st, json_object_get(ev, "usage"));
    }
#undef IS
    json_decref(ev);
    return rc;
}

static int stream(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    bedrock_state *st = state;
    st->req = req;
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
    st->req = req;
    st->out = out;
    int rc = 0;
    if (st->include_usage && st->have_usage) {
        rc = seam_buf_append_str(out, "data: ");
        if (!rc) rc = put_head(out, st, req, "chat.completion.chunk");
        if (!rc) rc = seam_buf_append_str(out, ",\"choices\":[],");
        if (!rc) rc = put_usage(out, st);
        if (!rc) rc = seam_buf_append_str(out, "}\n\n");
    }
    if (!rc) rc = seam_buf_append_str(out, "data: [DONE]\n\n");
    st->out = NULL;
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
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL, NULL);
    const char *msg = json_string_value(json_object_get(root, "message"));
    if (!msg) msg = json_string_value(json_object_get(root, "Message"));
    char fallback[96];
    if (!msg) {
        snprintf(fallback, sizeof fallback, "Bedrock answered HTTP %d", status);
        msg = fallback;
    }
    int rc = seam_openai_error_json(out, status, code, msg);
    json_decref(root);
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
    bp->origin = seam_http_target_new(base, err, errlen);
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
