/* anthropic.c — Anthropic Messages requests and replies <-> OpenAI chat
 * completions; error bodies; count_tokens. Streams are in anthropic_stream.c.
 *
 * Request (POST /v1/messages) -> OpenAI chat-completions request
 *
 * | Anthropic                            | OpenAI                                                 |
 * | ------------------------------------ | ------------------------------------------------------ |
 * | model                                | model, unchanged (the gateway routes on it)            |
 * | system: string                       | a leading {"role":"system","content":string}           |
 * | system: [text blocks]                | one system message, the texts joined with "\n\n" (many |
 * |                                      | OpenAI-compatible servers take only a string here)     |
 * | user content: a string, or one text  | {"role":"user","content":string}                       |
 * | block                                |                                                        |
 * | user content: several blocks         | content parts: text -> {"type":"text"}, image ->       |
 * |                                      | {"type":"image_url"} (images are passed through)       |
 * | image source base64 {media_type,     | image_url.url = "data:<media_type>;base64,<data>"      |
 * | data}                                |                                                        |
 * | image source url                     | image_url.url = the url                                |
 * | image source file (Files API)        | 400                                                    |
 * | tool_result blocks (user turn)       | one {"role":"tool","tool_call_id","content"} each,     |
 * |                                      | BEFORE the user message with the turn's other blocks.  |
 * |                                      | content: the string, or the texts of its blocks joined |
 * |                                      | with "\n\n"; is_error: true prefixes "Error: ". An     |
 * |                                      | image in a tool result moves to that user message      |
 * |                                      | (tool messages carry text only)                        |
 * | assistant text blocks                | content: the texts joined with "\n\n"; null when the   |
 * |                                      | turn is only tool calls                                |
 * | assistant tool_use {id, name, input} | tool_calls [{id, type: function, function: {name,      |
 * |                                      | arguments: input as compact JSON}}]                    |
 * | assistant thinking,                  | dropped: Anthropic strips earlier turns' thinking from |
 * | redacted_thinking                    | the context too, and thinking is refused below         |
 * | a final assistant message (prefill)  | 400: an OpenAI model would answer it, not continue it  |
 * | document, search_result,             | 400 naming the block; also tool_use in a user turn,    |
 * | container_upload, server-tool and    | image or tool_result in an assistant turn              |
 * | unknown blocks                       |                                                        |
 * | cache_control (anywhere), citations  | dropped: caching hints and citation metadata do not    |
 * | of text blocks                       | change the answer                                      |
 * | tools [{name, description,           | [{type: function, function: {name, description,        |
 * | input_schema}]                       | parameters: input_schema}}]; "strict" kept; other tool |
 * |                                      | fields 400                                             |
 * | tools whose type is not "custom"     | 400 (server tools: web_search, bash, text_editor,      |
 * |                                      | computer, code_execution, ...)                         |
 * | tool_choice auto / any / tool {name} | "auto" / "required" / {type: function, function:       |
 * | / none                               | {name}} / "none". Without tools, auto and none are     |
 * |                                      | dropped, any and tool are a 400                        |
 * | disable_parallel_tool_use: true (in  | parallel_tool_calls: false (not with tool_choice none) |
 * | tool_choice)                         |                                                        |
 * | max_tokens (required)                | max_tokens; missing, or not an integer >= 1: 400       |
 * | temperature, top_p                   | temperature, top_p, unchanged (Anthropic's 0..1 lies   |
 * |                                      | inside OpenAI's 0..2: not rescaled)                    |
 * | top_k                                | top_k, passed through: vLLM, llama.cpp, Ollama and TGI |
 * |                                      | honour it; OpenAI itself answers 400, which reaches    |
 * |                                      | the client in Anthropic's format. Refusing here would  |
 * |                                      | block the routes that support it                       |
 * | stop_sequences                       | stop (omitted when empty)                              |
 * | metadata.user_id                     | user; other metadata keys dropped                      |
 * | stream: true                         | stream: true, stream_options: {include_usage: true}    |
 * | thinking {type: "disabled"}          | dropped (it is the default)                            |
 * | thinking of any other type           | 400: chat completions have no thinking budget          |
 * | service_tier                         | dropped: a capacity choice, not a change of answer     |
 * | container                            | dropped: it serves the code-execution server tool,     |
 * |                                      | which is refused                                       |
 * | cache_control (top level)            | dropped, as everywhere                                 |
 * | mcp_servers (non-empty)              | 400: it would give the model tools                     |
 * | any other field                      | 400 "<field>: not supported" (context_management,      |
 * |                                      | output_format, output_config, and fields newer than    |
 * |                                      | this file, which may change the answer)                |
 * | null for an optional field           | as if absent                                           |
 *
 * Reply: chat.completion -> Anthropic message
 *
 * | OpenAI                               | Anthropic                                              |
 * | ------------------------------------ | ------------------------------------------------------ |
 * | id "chatcmpl-X"                      | "msg_X" (the prefix is dropped when present, an id     |
 * |                                      | already starting "msg_" is kept as it is;              |
 * |                                      | "msg_seam" when there is no id)                        |
 * | model                                | the client's model name when the caller passes it      |
 * |                                      | (seam_anthropic_response_from_openai_model), as        |
 * |                                      | Anthropic repeats the requested name; else the         |
 * |                                      | upstream's                                             |
 * | choices                              | choice 0 only (the request never asks for n > 1)       |
 * | message.content (string, or text     | one text block when non-empty                          |
 * | parts)                               |                                                        |
 * | message.refusal                      | a text block; stop_reason "refusal"                    |
 * | message.tool_calls                   | tool_use blocks {id, name, input}: input is the parsed |
 * |                                      | arguments, {} when they are empty or not a JSON object |
 * |                                      | (a cut-off call: stop_reason says max_tokens)          |
 * | finish_reason                        | seam_anthropic_stop_reason; "stop" next to tool calls  |
 * |                                      | reads as tool_use (some servers say "stop" there, and  |
 * |                                      | clients run tools on tool_use only)                    |
 * | (which stop sequence matched)        | stop_sequence: null and stop_reason end_turn: OpenAI   |
 * |                                      | does not say whether a stop sequence matched           |
 * | usage.prompt_tokens - cached_tokens  | usage.input_tokens (never below 0)                     |
 * | usage.completion_tokens              | usage.output_tokens                                    |
 * | prompt_tokens_details.cached_tokens  | usage.cache_read_input_tokens, only when present       |
 * |                                      | (OpenAI reports no cache writes: no                    |
 * |                                      | cache_creation_input_tokens)                           |
 *
 * Errors: see seam_anthropic_error_type in anthropic.h. 503 is reported as
 * overloaded_error (like Anthropic's 529): it is the status upstreams and
 * seam use for "no capacity now, retry".
 *
 * Why jansson and not json_scan: every field of the request is rewritten, so
 * the whole tree is needed anyway. */
#include "api/anthropic.h"
#include "api/anthropic_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- shared helpers (anthropic_internal.h) ---- */

void seam__anthropic_buf_truncate(seam_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

int seam__anthropic_dump_to_buf(const char *buffer, size_t size, void *data)
{
    return seam_buf_append(data, buffer, size) ? -1 : 0;
}

int seam__anthropic_msg_id(seam_buf *out, const char *id, size_t len)
{
    static const char prefix[] = "chatcmpl-";
    if (!id || !len) return seam_buf_append_str(out, "msg_seam");
    if (len > sizeof prefix - 1 && !memcmp(id, prefix, sizeof prefix - 1)) {
        id += sizeof prefix - 1;
        len -= sizeof prefix - 1;
    }
    /* an id that already is Anthropic's (an anthropic-type upstream) stays as it is */
    int rc = len > 4 && !memcmp(id, "msg_", 4) ? 0 : seam_buf_append_str(out, "msg_");
    if (!rc) rc = seam_buf_append(out, id, len);
    return rc;
}

static long count_of(const json_t *v)
{
    if (!json_is_integer(v)) return 0;
    json_int_t i = json_integer_value(v);
    if (i < 0) return 0;
    return i > LONG_MAX ? LONG_MAX : (long)i;
}

void seam__anthropic_read_usage(const json_t *usage, seam__anthropic_usage *u)
{
    memset(u, 0, sizeof *u);
    if (!json_is_object(usage)) return;
    u->present = 1;
    long prompt = count_of(json_object_get(usage, "prompt_tokens"));
    u->output_tokens = count_of(json_object_get(usage, "completion_tokens"));
    const json_t *cached =
        json_object_get(json_object_get(usage, "prompt_tokens_details"), "cached_tokens");
    if (json_is_integer(cached)) {
        u->has_cached = 1;
        u->cached_tokens = count_of(cached);
    }
    u->input_tokens = prompt > u->cached_tokens ? prompt - u->cached_tokens : 0;
}

const char *seam_anthropic_stop_reason(const char *finish_reason)
{
    if (!finish_reason) return "end_turn";
    if (!strcmp(finish_reason, "length")) return "max_tokens";
    if (!strcmp(finish_reason, "tool_calls") || !strcmp(finish_reason, "function_call"))
        return "tool_use";
    if (!strcmp(finish_reason, "content_filter")) return "refusal";
    return "end_turn";
}

/* Appends v as compact JSON; on failure out is unchanged. */
static int dump_json(const json_t *v, seam_buf *out)
{
    size_t mark = out->len;
    if (json_dump_callback(v, seam__anthropic_dump_to_buf, out, JSON_COMPACT) != 0) {
        seam__anthropic_buf_truncate(out, mark);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

/* UTF-8 code points in s[0..n): bytes that do not continue a sequence. */
static long utf8_chars(const char *s, size_t n)
{
    long c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* ---- request ---- */

typedef struct xlate {
    char *err;
    size_t errlen;
    int counting; /* count_tokens: max_tokens optional, prefill allowed */
    long chars;   /* counted text, for count_tokens */
    long images;
} xlate;

static int fail(xlate *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(xlate *x, const char *fmt, ...)
{
    if (x->err && x->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A string member of o, or NULL. */
static const json_t *str_member(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? v : NULL;
}

/* json_string_value for a string, "" for anything else (NULL-safe for printf). */
static const char *sv(const json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static void count_text(xlate *x, const json_t *str)
{
    x->chars += utf8_chars(json_string_value(str), json_string_length(str));
}

/* Counts the characters of v serialised compactly (tool inputs and schemas). */
static void count_json(xlate *x, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s) x->chars += utf8_chars(s, strlen(s));
    free(s);
}

/* Appends s to a growing "\n\n"-joined text. 0 or -1 (out of memory). */
static int join_text(seam_buf *b, const json_t *s)
{
    if (b->len && seam_buf_append(b, "\n\n", 2)) return -1;
    return seam_buf_append(b, json_string_value(s), json_string_length(s)) ? -1 : 0;
}

#define TEXT_MAX ((size_t)256 << 20) /* joined texts: far above any request seam accepts */

static const char *const unsupported_blocks[] = {
    "document",
    "search_result",
    "container_upload",
    NULL,
};

static int block_refused(xlate *x, const char *path, const char *type)
{
    for (int i = 0; unsupported_blocks[i]; i++)
        if (!strcmp(type, unsupported_blocks[i]))
            return fail(x, "%s.type: '%s' blocks are not supported", path, type);
    return fail(x, "%s.type: '%s' blocks are not supported here", path, type);
}

/* An Anthropic image block -> an OpenAI image_url part (NULL with err). */
static json_t *conv_image(xlate *x, const char *path, const json_t *block)
{
    const json_t *src = json_object_get(block, "source");
    if (!json_is_object(src)) {
        fail(x, "%s.source: must be an object", path);
        return NULL;
    }
    const char *type = json_string_value(json_object_get(src, "type"));
    json_t *url = NULL;
    if (type && !strcmp(type, "base64")) {
        const json_t *mt = str_member(src, "media_type"), *data = str_member(src, "data");
        if (!mt || !data) {
            fail(x, "%s.source: base64 images need string media_type and data", path);
            return NULL;
        }
        size_t mlen = json_string_length(mt), dlen = json_string_length(data);
        size_t len = 5 + mlen + 8 + dlen;
        char *u = malloc(len + 1);
        if (!u) {
            fail(x, "out of memory");
            return NULL;
        }
        memcpy(u, "data:", 5);
        memcpy(u + 5, json_string_value(mt), mlen);
        memcpy(u + 5 + mlen, ";base64,", 8);
        memcpy(u + 13 + mlen, json_string_value(data), dlen);
        u[len] = '\0';
        url = json_stringn(u, len);
        free(u);
    } else if (type && !strcmp(type, "url")) {
        const json_t *s = str_member(src, "url");
        if (!s) {
            fail(x, "%s.source.url: must be a string", path);
            return NULL;
        }
        url = json_copy((json_t *)s);
    } else if (type && !strcmp(type, "file")) {
        fail(x, "%s.source.type: 'file' sources (the Files API) are not supported", path);
        return NULL;
    } else {
        fail(x, "%s.source.type: must be 'base64' or 'url'", path);
        return NULL;
    }
    if (!url) {
        fail(x, "out of memory");
        return NULL;
    }
    x->images++;
    return json_pack("{s:s, s:{s:o}}", "type", "image_url", "image_url", "url", url);
}

/* The type of a content block, or NULL with err. */
static const char *block_type(xlate *x, const char *path, const json_t *block)
{
    if (!json_is_object(block)) {
        fail(x, "%s: must be an object", path);
        return NULL;
    }
    const char *type = json_string_value(json_object_get(block, "type"));
    if (!type) fail(x, "%s.type: must be a string", path);
    return type;
}

/* A text block's text (a string member), or NULL with err. */
static const json_t *block_text(xlate *x, const char *path, const json_t *block)
{
    const json_t *t = str_member(block, "text");
    if (!t) fail(x, "%s.text: must be a string", path);
    return t;
}

/* One tool_result block -> a tool message appended to msgs; its images are
 * appended to parts (they go in the user message that follows). */
static int conv_tool_result(xlate *x, const char *path, const json_t *block, json_t *msgs,
                            json_t *parts)
{
    const json_t *id = str_member(block, "tool_use_id");
    if (!id) return fail(x, "%s.tool_use_id: must be a string", path);
    const json_t *is_error = json_object_get(block, "is_error");
    if (is_error && !json_is_boolean(is_error) && !json_is_null(is_error))
        return fail(x, "%s.is_error: must be a boolean", path);

    seam_buf text;
    seam_buf_init(&text, TEXT_MAX);
    int rc = 0;
    if (json_is_true(is_error)) rc = seam_buf_append_str(&text, "Error: ") ? -1 : 0;
    const json_t *content = json_object_get(block, "content");
    if (rc) {
        rc = fail(x, "out of memory");
    } else if (!content || json_is_null(content)) {
        /* no content: an empty result */
    } else if (json_is_string(content)) {
        count_text(x, content);
        if (seam_buf_append(&text, json_string_value(content), json_string_length(content)))
            rc = fail(x, "out of memory");
    } else if (json_is_array(content)) {
        size_t prefix = text.len, k;
        const json_t *b;
        json_array_foreach(content, k, b)
        {
            char sub[160];
            snprintf(sub, sizeof sub, "%s.content[%zu]", path, k);
            const char *type = block_type(x, sub, b);
            if (!type) {
                rc = -1;
                break;
            }
            if (!strcmp(type, "text")) {
                const json_t *t = block_text(x, sub, b);
                if (!t) {
                    rc = -1;
                    break;
                }
                count_text(x, t);
                /* the "Error: " prefix is not a text to join with */
                if (text.len > prefix && seam_buf_append(&text, "\n\n", 2)) {
                    rc = fail(x, "out of memory");
                    break;
                }
                if (seam_buf_append(&text, json_string_value(t), json_string_length(t))) {
                    rc = fail(x, "out of memory");
                    break;
                }
            } else if (!strcmp(type, "image")) {
                json_t *img = conv_image(x, sub, b);
                if (!img || json_array_append_new(parts, img)) {
                    rc = -1;
                    break;
                }
            } else {
                rc = block_refused(x, sub, type);
                break;
            }
        }
    } else {
        rc = fail(x, "%s.content: must be a string or an array of content blocks", path);
    }
    if (!rc) {
        json_t *m = json_pack("{s:s, s:O, s:s%}", "role", "tool", "tool_call_id", id, "content",
                              text.data ? text.data : "", text.len);
        if (!m || json_array_append_new(msgs, m)) rc = fail(x, "out of memory");
    }
    seam_buf_free(&text);
    return rc;
}

static int conv_user(xlate *x, size_t i, const json_t *content, json_t *msgs)
{
    if (json_is_string(content)) {
        count_text(x, content);
        return json_array_append_new(msgs,
                                     json_pack("{s:s, s:O}", "role", "user", "content", content))
                   ? fail(x, "out of memory")
                   : 0;
    }
    json_t *parts = json_array();
    if (!parts) return fail(x, "out of memory");
    int rc = 0, had_tool_result = 0;
    size_t j;
    const json_t *b;
    json_array_foreach(content, j, b)
    {
        char path[96];
        snprintf(path, sizeof path, "messages[%zu].content[%zu]", i, j);
        const char *type = block_type(x, path, b);
        json_t *part = NULL;
        if (!type) {
            rc = -1;
        } else if (!strcmp(type, "text")) {
            const json_t *t = block_text(x, path, b);
            if (!t) {
                rc = -1;
            } else {
                count_text(x, t);
                part = json_pack("{s:s, s:O}", "type", "text", "text", t);
                if (!part) rc = fail(x, "out of memory");
            }
        } else if (!strcmp(type, "image")) {
            part = conv_image(x, path, b);
            if (!part) rc = -1;
        } else if (!strcmp(type, "tool_result")) {
            had_tool_result = 1;
            rc = conv_tool_result(x, path, b, msgs, parts);
        } else if (!strcmp(type, "tool_use")) {
            rc = fail(x, "%s.type: 'tool_use' blocks belong in assistant messages", path);
        } else {
            rc = block_refused(x, path, type);
        }
        if (part && json_array_append_new(parts, part)) rc = fail(x, "out of memory");
        if (rc) break;
    }
    if (!rc && (json_array_size(parts) || !had_tool_result)) {
        json_t *first = json_array_get(parts, 0);
        json_t *m;
        if (json_array_size(parts) == 1 && !strcmp(sv(json_object_get(first, "type")), "text"))
            m = json_pack("{s:s, s:O}", "role", "user", "content", json_object_get(first, "text"));
        else if (!json_array_size(parts))
            m = json_pack("{s:s, s:s}", "role", "user", "content", "");
        else
            m = json_pack("{s:s, s:O}", "role", "user", "content", parts);
        if (!m || json_array_append_new(msgs, m)) rc = fail(x, "out of memory");
    }
    json_decref(parts);
    return rc;
}

static int conv_tool_use(xlate *x, const char *path, const json_t *b, json_t *calls)
{
    const json_t *id = str_member(b, "id"), *name = str_member(b, "name");
    if (!id) return fail(x, "%s.id: must be a string", path);
    if (!name) return fail(x, "%s.name: must be a string", path);
    const json_t *input = json_object_get(b, "input");
    if (input && !json_is_object(input) && !json_is_null(input))
        return fail(x, "%s.input: must be an object", path);
    char *args = input && json_is_object(input) ? json_dumps(input, JSON_COMPACT) : strdup("{}");
    if (!args) return fail(x, "out of memory");
    x->chars += utf8_chars(args, strlen(args));
    count_text(x, name);
    json_t *call = json_pack("{s:O, s:s, s:{s:O, s:s}}", "id", id, "type", "function", "function",
                             "name", name, "arguments", args);
    free(args);
    if (!call || json_array_append_new(calls, call)) return fail(x, "out of memory");
    return 0;
}

static int conv_assistant(xlate *x, size_t i, const json_t *content, json_t *msgs)
{
    if (json_is_string(content)) {
        count_text(x, content);
        return json_array_append_new(
                   msgs, json_pack("{s:s, s:O}", "role", "assistant", "content", content))
                   ? fail(x, "out of memory")
                   : 0;
    }
    seam_buf text;
    seam_buf_init(&text, TEXT_MAX);
    json_t *calls = json_array();
    int rc = calls ? 0 : fail(x, "out of memory"), any_text = 0;
    size_t j;
    const json_t *b;
    json_array_foreach(content, j, b)
    {
        if (rc) break;
        char path[96];
        snprintf(path, sizeof path, "messages[%zu].content[%zu]", i, j);
        const char *type = block_type(x, path, b);
        if (!type) {
            rc = -1;
        } else if (!strcmp(type, "text")) {
            const json_t *t = block_text(x, path, b);
            if (!t) {
                rc = -1;
            } else {
                count_text(x, t);
                any_text = 1;
                if (join_text(&text, t)) rc = fail(x, "out of memory");
            }
        } else if (!strcmp(type, "tool_use")) {
            rc = conv_tool_use(x, path, b, calls);
        } else if (!strcmp(type, "thinking") || !strcmp(type, "redacted_thinking")) {
            /* dropped: see the table */
        } else if (!strcmp(type, "image") || !strcmp(type, "tool_result")) {
            rc = fail(x, "%s.type: '%s' blocks belong in user messages", path, type);
        } else {
            rc = block_refused(x, path, type);
        }
    }
    if (!rc) {
        json_t *m = json_pack("{s:s}", "role", "assistant");
        int bad = !m;
        if (!bad) {
            json_t *c;
            if (any_text)
                c = json_stringn(text.data ? text.data : "", text.len);
            else
                c = json_array_size(calls) ? json_null() : json_string("");
            bad = json_object_set_new(m, "content", c) != 0;
        }
        if (!bad && json_array_size(calls)) bad = json_object_set(m, "tool_calls", calls) != 0;
        if (bad || json_array_append_new(msgs, m)) rc = fail(x, "out of memory");
    }
    json_decref(calls);
    seam_buf_free(&text);
    return rc;
}

static int conv_messages(xlate *x, const json_t *messages, json_t *msgs)
{
    if (!json_is_array(messages)) return fail(x, "messages: must be an array");
    size_t count = json_array_size(messages), i;
    if (!count) return fail(x, "messages: at least one message is required");
    const json_t *m;
    json_array_foreach(messages, i, m)
    {
        if (!json_is_object(m)) return fail(x, "messages[%zu]: must be an object", i);
        const char *role = json_string_value(json_object_get(m, "role"));
        int user = role && !strcmp(role, "user");
        if (!user && !(role && !strcmp(role, "assistant")))
            return fail(x, "messages[%zu].role: must be 'user' or 'assistant'", i);
        const json_t *content = json_object_get(m, "content");
        if (!json_is_string(content) && !json_is_array(content))
            return fail(x, "messages[%zu].content: must be a string or an array of content blocks",
                        i);
        if (!user && i == count - 1 && !x->counting)
            return fail(x,
                        "messages[%zu]: a final assistant message (prefill) is not supported: "
                        "the model would answer it, not continue it",
                        i);
        int rc = user ? conv_user(x, i, content, msgs) : conv_assistant(x, i, content, msgs);
        if (rc) return rc;
    }
    return 0;
}

static int conv_system(xlate *x, const json_t *system, json_t *msgs)
{
    if (!system || json_is_null(system)) return 0;
    json_t *m = NULL;
    if (json_is_string(system)) {
        count_text(x, system);
        m = json_pack("{s:s, s:O}", "role", "system", "content", system);
    } else if (json_is_array(system)) {
        seam_buf text;
        seam_buf_init(&text, TEXT_MAX);
        size_t i;
        const json_t *b;
        json_array_foreach(system, i, b)
        {
            char path[48];
            snprintf(path, sizeof path, "system[%zu]", i);
            const char *type = block_type(x, path, b);
            const json_t *t = NULL;
            if (type && strcmp(type, "text"))
                fail(x, "%s.type: must be 'text'", path);
            else if (type)
                t = block_text(x, path, b);
            if (!t) {
                seam_buf_free(&text);
                return -1;
            }
            count_text(x, t);
            if (join_text(&text, t)) {
                seam_buf_free(&text);
                return fail(x, "out of memory");
            }
        }
        if (!json_array_size(system)) {
            seam_buf_free(&text);
            return 0;
        }
        m = json_pack("{s:s, s:s%}", "role", "system", "content", text.data ? text.data : "",
                      text.len);
        seam_buf_free(&text);
    } else {
        return fail(x, "system: must be a string or an array of text blocks");
    }
    return !m || json_array_append_new(msgs, m) ? fail(x, "out of memory") : 0;
}

static int conv_tools(xlate *x, const json_t *tools, json_t *req)
{
    if (!tools || json_is_null(tools)) return 0;
    if (!json_is_array(tools)) return fail(x, "tools: must be an array");
    if (!json_array_size(tools)) return 0;
    json_t *out = json_array();
    if (!out || json_object_set_new(req, "tools", out)) return fail(x, "out of memory");
    size_t i;
    const json_t *t;
    json_array_foreach(tools, i, t)
    {
        if (!json_is_object(t)) return fail(x, "tools[%zu]: must be an object", i);
        const json_t *type = json_object_get(t, "type");
        if (type && !json_is_null(type) && strcmp(sv(type), "custom"))
            return fail(x,
                        "tools[%zu].type: '%s' is a server tool, which is not supported "
                        "(only custom tools)",
                        i, json_is_string(type) ? sv(type) : "?");
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)t, key, v)
        {
            if (strcmp(key, "name") && strcmp(key, "description") && strcmp(key, "input_schema") &&
                strcmp(key, "cache_control") && strcmp(key, "type") && strcmp(key, "strict"))
                return fail(x, "tools[%zu].%s: not supported", i, key);
        }
        const json_t *name = str_member(t, "name");
        if (!name) return fail(x, "tools[%zu].name: must be a string", i);
        const json_t *desc = json_object_get(t, "description");
        if (desc && !json_is_string(desc) && !json_is_null(desc))
            return fail(x, "tools[%zu].description: must be a string", i);
        const json_t *schema = json_object_get(t, "input_schema");
        if (!json_is_object(schema))
            return fail(x, "tools[%zu].input_schema: must be an object", i);
        const json_t *strict = json_object_get(t, "strict");
        if (strict && !json_is_boolean(strict) && !json_is_null(strict))
            return fail(x, "tools[%zu].strict: must be a boolean", i);

        count_text(x, name);
        if (json_is_string(desc)) count_text(x, desc);
        count_json(x, schema);

        json_t *fn = json_pack("{s:O}", "name", name);
        if (!fn) return fail(x, "out of memory");
        int bad = json_is_string(desc) && json_object_set(fn, "description", (json_t *)desc);
        bad = bad || json_object_set(fn, "parameters", (json_t *)schema);
        if (json_is_boolean(strict)) bad = bad || json_object_set(fn, "strict", (json_t *)strict);
        json_t *tool = bad ? NULL : json_pack("{s:s, s:o}", "type", "function", "function", fn);
        if (bad) json_decref(fn);
        if (!tool || json_array_append_new(out, tool)) return fail(x, "out of memory");
    }
    return 0;
}

static int conv_tool_choice(xlate *x, const json_t *tc, json_t *req)
{
    if (!tc || json_is_null(tc)) return 0;
    if (!json_is_object(tc)) return fail(x, "tool_choice: must be an object");
    const char *type = json_string_value(json_object_get(tc, "type"));
    if (!type) return fail(x, "tool_choice.type: must be a string");
    const json_t *dp = json_object_get(tc, "disable_parallel_tool_use");
    if (dp && !json_is_boolean(dp) && !json_is_null(dp))
        return fail(x, "tool_choice.disable_parallel_tool_use: must be a boolean");
    int have_tools = json_object_get(req, "tools") != NULL;
    json_t *choice;
    if (!strcmp(type, "auto") || !strcmp(type, "none")) {
        if (!have_tools) return 0;
        choice = json_string(type);
    } else if (!strcmp(type, "any") || !strcmp(type, "tool")) {
        if (!have_tools) return fail(x, "tool_choice: type '%s' needs tools", type);
        if (!strcmp(type, "any")) {
            choice = json_string("required");
        } else {
            const json_t *name = str_member(tc, "name");
            if (!name) return fail(x, "tool_choice.name: must be a string");
            choice = json_pack("{s:s, s:{s:O}}", "type", "function", "function", "name", name);
        }
    } else {
        return fail(x, "tool_choice.type: must be 'auto', 'any', 'tool' or 'none'");
    }
    if (!choice || json_object_set_new(req, "tool_choice", choice)) return fail(x, "out of memory");
    if (json_is_true(dp) && strcmp(type, "none") &&
        json_object_set_new(req, "parallel_tool_calls", json_false()))
        return fail(x, "out of memory");
    return 0;
}

/* Top-level fields handled below, in the order they are written out. */
static const char *const known_fields[] = {
    "model",    "system",         "messages",  "max_tokens",    "temperature", "top_p",
    "top_k",    "stop_sequences", "metadata",  "tools",         "tool_choice", "stream",
    "thinking", "service_tier",   "container", "cache_control", "mcp_servers", NULL,
};

static int copy_number(xlate *x, const json_t *root, const char *key, json_t *req)
{
    const json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return fail(x, "%s: must be a number", key);
    return json_object_set(req, key, (json_t *)v) ? fail(x, "out of memory") : 0;
}

/* Validates and translates root into *outp (a new object). */
static int translate(xlate *x, const json_t *root, json_t **outp, int *stream)
{
    *outp = NULL;
    if (!json_is_object(root)) return fail(x, "request body must be a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        int known = 0;
        for (int i = 0; known_fields[i] && !known; i++)
            known = !strcmp(key, known_fields[i]);
        if (!known) return fail(x, "%s: not supported", key);
    }

    json_t *req = json_object(), *msgs = json_array();
    if (!req || !msgs) {
        json_decref(req);
        json_decref(msgs);
        return fail(x, "out of memory");
    }
    int rc = 0;
    const json_t *model = json_object_get(root, "model");
    if (!json_is_string(model) || !json_string_length(model))
        rc = fail(x, "model: must be a non-empty string");
    if (!rc && json_object_set(req, "model", (json_t *)model)) rc = fail(x, "out of memory");
    if (!rc && json_object_set_new(req, "messages", json_incref(msgs)))
        rc = fail(x, "out of memory");
    if (!rc) rc = conv_system(x, json_object_get(root, "system"), msgs);
    if (!rc) rc = conv_messages(x, json_object_get(root, "messages"), msgs);

    if (!rc) {
        const json_t *mt = json_object_get(root, "max_tokens");
        if (json_is_integer(mt) && json_integer_value(mt) >= 1) {
            if (json_object_set(req, "max_tokens", (json_t *)mt)) rc = fail(x, "out of memory");
        } else if (mt && !json_is_null(mt)) {
            rc = fail(x, "max_tokens: must be an integer of at least 1");
        } else if (!x->counting) {
            rc = fail(x, "max_tokens: field required");
        }
    }
    if (!rc) rc = copy_number(x, root, "temperature", req);
    if (!rc) rc = copy_number(x, root, "top_p", req);
    if (!rc) {
        v = json_object_get(root, "top_k");
        if (v && !json_is_null(v)) {
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                rc = fail(x, "top_k: must be a non-negative integer");
            else if (json_object_set(req, "top_k", (json_t *)v))
                rc = fail(x, "out of memory");
        }
    }
    if (!rc) {
        v = json_object_get(root, "stop_sequences");
        if (v && !json_is_null(v)) {
            size_t i;
            const json_t *s;
            if (!json_is_array(v)) rc = fail(x, "stop_sequences: must be an array of strings");
            json_array_foreach(v, i, s)
            {
                if (rc) break;
                if (!json_is_string(s)) rc = fail(x, "stop_sequences[%zu]: must be a string", i);
            }
            if (!rc && json_array_size(v) && json_object_set(req, "stop", (json_t *)v))
                rc = fail(x, "out of memory");
        }
    }
    if (!rc) {
        v = json_object_get(root, "metadata");
        if (v && !json_is_null(v)) {
            const json_t *uid = json_object_get(v, "user_id");
            if (!json_is_object(v))
                rc = fail(x, "metadata: must be an object");
            else if (uid && !json_is_string(uid) && !json_is_null(uid))
                rc = fail(x, "metadata.user_id: must be a string");
            else if (json_is_string(uid) && json_object_set(req, "user", (json_t *)uid))
                rc = fail(x, "out of memory");
        }
    }
    if (!rc) rc = conv_tools(x, json_object_get(root, "tools"), req);
    if (!rc) rc = conv_tool_choice(x, json_object_get(root, "tool_choice"), req);
    if (!rc) {
        v = json_object_get(root, "thinking");
        if (v && !json_is_null(v)) {
            const char *type = json_string_value(json_object_get(v, "type"));
            if (!json_is_object(v) || !type)
                rc = fail(x, "thinking.type: must be a string");
            else if (strcmp(type, "disabled"))
                rc = fail(x, "thinking: extended thinking ('%s') is not supported", type);
        }
    }
    if (!rc) {
        v = json_object_get(root, "mcp_servers");
        if (v && !json_is_null(v) && !(json_is_array(v) && !json_array_size(v)))
            rc = fail(x, "mcp_servers: the MCP connector is not supported");
    }
    int streaming = 0;
    if (!rc) {
        v = json_object_get(root, "stream");
        if (v && !json_is_boolean(v) && !json_is_null(v)) rc = fail(x, "stream: must be a boolean");
        streaming = json_is_true(v);
        if (!rc && streaming &&
            (json_object_set_new(req, "stream", json_true()) ||
             json_object_set_new(req, "stream_options", json_pack("{s:b}", "include_usage", 1))))
            rc = fail(x, "out of memory");
    }
    json_decref(msgs);
    if (rc) {
        json_decref(req);
        return rc;
    }
    if (stream) *stream = streaming;
    *outp = req;
    return 0;
}

/* Parses p[0..n) and translates it; *req is NULL on failure. */
static int parse_and_translate(xlate *x, const char *p, size_t n, json_t **req, int *stream)
{
    json_error_t je;
    *req = NULL;
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL, &je);
    if (!root)
        return fail(x, "request body is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                    je.column);
    int rc = translate(x, root, req, stream);
    json_decref(root);
    return rc;
}

int seam_anthropic_request_to_openai(const char *p, size_t n, seam_buf *out, int *stream, char *err,
                                     size_t errlen)
{
    xlate x = {.err = err, .errlen = errlen};
    json_t *req;
    int rc = parse_and_translate(&x, p, n, &req, stream);
    if (rc) return rc;
    rc = dump_json(req, out);
    json_decref(req);
    if (rc) {
        fail(&x, "the translated request does not fit in %zu bytes", out->max);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

int seam_anthropic_count_tokens(const char *p, size_t n, seam_buf *out, char *err, size_t errlen)
{
    xlate x = {.err = err, .errlen = errlen, .counting = 1};
    json_t *req;
    int rc = parse_and_translate(&x, p, n, &req, NULL);
    if (rc) return rc;
    json_decref(req);
    long tokens = x.chars / 4 + (x.chars % 4 != 0);
    if (x.images > (LONG_MAX - tokens) / SEAM_ANTHROPIC_IMAGE_TOKENS)
        tokens = LONG_MAX;
    else
        tokens += x.images * SEAM_ANTHROPIC_IMAGE_TOKENS;
    if (seam_buf_printf(out, "{\"input_tokens\":%ld}", tokens)) {
        fail(&x, "the answer does not fit in %zu bytes", out->max);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

/* ---- reply ---- */

/* The text of message.content: a string, or the text parts of an array. */
static int content_text(const json_t *content, seam_buf *text)
{
    if (json_is_string(content))
        return seam_buf_append(text, json_string_value(content), json_string_length(content));
    size_t i;
    const json_t *part;
    json_array_foreach(content, i, part)
    {
        const json_t *t = str_member(part, "text");
        if (t && seam_buf_append(text, json_string_value(t), json_string_length(t))) return -1;
    }
    return 0;
}

/* A text block, appended to blocks when text is non-empty. */
static int add_text_block(json_t *blocks, const char *s, size_t len)
{
    if (!len) return 0;
    return json_array_append_new(blocks, json_pack("{s:s, s:s%}", "type", "text", "text", s, len));
}

/* Arguments -> the tool_use input: the parsed object, or {} (see the table). */
static json_t *parse_arguments(const json_t *args)
{
    json_t *v = NULL;
    if (json_is_string(args))
        v = json_loadb(json_string_value(args), json_string_length(args), JSON_ALLOW_NUL, NULL);
    if (json_is_object(v)) return v;
    json_decref(v);
    return json_object();
}

static json_t *tool_use_blocks(const json_t *calls, const char *msg_id, json_t *blocks)
{
    size_t i;
    const json_t *call;
    json_array_foreach(calls, i, call)
    {
        const json_t *fn = json_object_get(call, "function");
        if (!json_is_object(fn)) continue; /* not a function call: nothing to map it to */
        const json_t *id = str_member(call, "id");
        char synth[160];
        if (!id) snprintf(synth, sizeof synth, "toolu_%s_%zu", msg_id + 4, i);
        json_t *b =
            json_pack("{s:s, s:s, s:s, s:o}", "type", "tool_use", "id",
                      id ? json_string_value(id) : synth, "name", sv(json_object_get(fn, "name")),
                      "input", parse_arguments(json_object_get(fn, "arguments")));
        if (!b || json_array_append_new(blocks, b)) return NULL;
    }
    return blocks;
}

int seam_anthropic_response_from_openai_model(const char *p, size_t n, const char *model,
                                              seam_buf *out)
{
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL, NULL);
    const json_t *obj = json_object_get(root, "object");
    const json_t *choices = json_object_get(root, "choices");
    if (!json_is_object(root) || (obj && strcmp(sv(obj), "chat.completion")) ||
        !json_is_array(choices) || !json_array_size(choices)) {
        json_decref(root);
        return -1;
    }
    const json_t *choice = json_array_get(choices, 0), *c;
    size_t i;
    json_array_foreach(choices, i, c)
    {
        const json_t *index = json_object_get(c, "index");
        if (json_is_integer(index) && json_integer_value(index) == 0) {
            choice = c;
            break;
        }
    }
    const json_t *message = json_object_get(choice, "message");
    if (!json_is_object(message)) {
        json_decref(root);
        return -1;
    }

    int rc = SEAM_ANTHROPIC_EOUT;
    seam_buf id, text;
    seam_buf_init(&id, 4096);
    seam_buf_init(&text, TEXT_MAX);
    json_t *msg = NULL, *blocks = json_array();
    const json_t *oid = str_member(root, "id");
    if (!blocks || seam__anthropic_msg_id(&id, json_string_value(oid), json_string_length(oid)))
        goto done;

    const json_t *content = json_object_get(message, "content");
    const json_t *refusal = str_member(message, "refusal");
    if (content_text(content, &text) ||
        add_text_block(blocks, text.data ? text.data : "", text.len) ||
        (refusal &&
         add_text_block(blocks, json_string_value(refusal), json_string_length(refusal))))
        goto done;
    size_t ntext = json_array_size(blocks);
    if (!tool_use_blocks(json_object_get(message, "tool_calls"), id.data, blocks)) goto done;

    const char *stop =
        seam_anthropic_stop_reason(json_string_value(json_object_get(choice, "finish_reason")));
    if (refusal && json_string_length(refusal))
        stop = "refusal";
    else if (json_array_size(blocks) > ntext && !strcmp(stop, "end_turn"))
        stop = "tool_use";

    seam__anthropic_usage u;
    seam__anthropic_read_usage(json_object_get(root, "usage"), &u);
    json_t *usage = json_pack("{s:I, s:I}", "input_tokens", (json_int_t)u.input_tokens,
                              "output_tokens", (json_int_t)u.output_tokens);
    if (usage && u.has_cached &&
        json_object_set_new(usage, "cache_read_input_tokens",
                            json_integer((json_int_t)u.cached_tokens))) {
        json_decref(usage);
        usage = NULL;
    }
    if (!usage) goto done;
    if (!model) model = sv(json_object_get(root, "model"));
    msg = json_pack("{s:s%, s:s, s:s, s:s, s:O, s:s, s:n, s:o}", "id", id.data, id.len, "type",
                    "message", "role", "assistant", "model", model, "content", blocks,
                    "stop_reason", stop, "stop_sequence", "usage", usage);
    if (msg) rc = dump_json(msg, out);
done:
    json_decref(msg);
    json_decref(blocks);
    seam_buf_free(&id);
    seam_buf_free(&text);
    json_decref(root);
    return rc;
}

int seam_anthropic_response_from_openai(const char *p, size_t n, seam_buf *out)
{
    return seam_anthropic_response_from_openai_model(p, n, NULL, out);
}

/* ---- errors ---- */

const char *seam_anthropic_error_type(int status)
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static int error_json(seam_buf *out, int status, const char *message, size_t len)
{
    size_t mark = out->len;
    int rc = seam_buf_printf(out, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"",
                             seam_anthropic_error_type(status));
    if (!rc) rc = seam_buf_append_json_str(out, message, len);
    if (!rc) rc = seam_buf_append_str(out, "\"}}");
    if (rc) {
        seam__anthropic_buf_truncate(out, mark);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

int seam_anthropic_error_json(seam_buf *out, int status, const char *message)
{
    if (!message) message = "";
    return error_json(out, status, message, strlen(message));
}

/* The message of an OpenAI-format error body, or NULL. */
static const json_t *openai_error_message(const json_t *root)
{
    const json_t *e = json_object_get(root, "error");
    if (json_is_string(e) && json_string_length(e)) return e; /* {"error":"text"} */
    const json_t *m = str_member(e, "message");               /* OpenAI */
    if (!m) m = str_member(root, "message");                  /* vLLM, TGI */
    if (!m) m = str_member(root, "detail");                   /* FastAPI servers */
    return m && json_string_length(m) ? m : NULL;
}

int seam_anthropic_error_from_openai(int status, const char *p, size_t n, seam_buf *out)
{
    json_t *root = p ? json_loadb(p, n, JSON_ALLOW_NUL, NULL) : NULL;
    const json_t *m = openai_error_message(root);
    int rc;
    if (m) {
        rc = error_json(out, status, json_string_value(m), json_string_length(m));
    } else {
        char msg[64];
        snprintf(msg, sizeof msg, "upstream returned HTTP %d", status);
        rc = error_json(out, status, msg, strlen(msg));
    }
    json_decref(root);
    return rc;
}
