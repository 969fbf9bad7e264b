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
 * How: the body is parsed once into a seam_jdoc (json_doc.h), a flat array
 * of spans over the client's bytes, and the OpenAI body is written straight
 * into out with seam_jw (json_write.h) while it is read; no tree is built.
 * Strings and numbers are copied as they were written, escapes included:
 * only the few strings compared (types, roles) are looked at decoded, and
 * only the tool-call arguments of a reply (JSON inside a string) are
 * decoded. Where OpenAI's order differs from the client's (tool messages
 * before the user message of their turn, an assistant's joined text before
 * its tool calls) the blocks are walked twice rather than buffered. */
#include "api/anthropic.h"
#include "api/anthropic_internal.h"
#include "api/json_doc.h"
#include "api/json_write.h"
#include "api/openai_out.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Literal pieces of output, each written with one append and no escaping
 * scan (a string literal as a value is seam_jw_lstr).  A literal JSON value: */
#define JW_RAW(w, s) seam_jw_raw((w), s, sizeof(s) - 1)
/* A member whose key and string value are literals: */
#define JW_PAIR(w, k, v) seam_jw_raw((w), "\"" k "\":\"" v "\"", sizeof(k) + sizeof(v) + 3)

/* ---- shared helpers (anthropic_internal.h) ---- */

void seam__anthropic_buf_truncate(seam_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

/* A number written without fraction or exponent. */
static int is_integer(const seam_jdoc *d, seam_jv v)
{
    if (!seam_jis(v, SEAM_JNUMBER)) return 0;
    const char *p = seam_jraw(d, v);
    for (uint32_t i = 0; i < v->len; i++)
        if (p[i] == '.' || p[i] == 'e' || p[i] == 'E') return 0;
    return 1;
}

int seam__anthropic_long(const seam_jdoc *d, seam_jv v, long *out)
{
    if (!is_integer(d, v)) return -1;
    long long i;
    if (seam_jint(d, v, &i)) /* past long long: only the sign matters */
        i = seam_jraw(d, v)[0] == '-' ? LLONG_MIN : LLONG_MAX;
    *out = i > LONG_MAX ? LONG_MAX : i < LONG_MIN ? LONG_MIN : (long)i;
    return 0;
}

const char *seam__anthropic_msg_id_split(const char **id, size_t *len)
{
    static const char prefix[] = "chatcmpl-";
    if (!*id || !*len) {
        *len = 0;
        return "msg_seam";
    }
    if (*len > sizeof prefix - 1 && !memcmp(*id, prefix, sizeof prefix - 1)) {
        *id += sizeof prefix - 1;
        *len -= sizeof prefix - 1;
    }
    /* an id that already is Anthropic's (an anthropic-type upstream) stays as it is */
    return *len > 4 && !memcmp(*id, "msg_", 4) ? "" : "msg_";
}

int seam__anthropic_msg_id(seam_buf *out, const char *id, size_t len)
{
    const char *prefix = seam__anthropic_msg_id_split(&id, &len);
    int rc = seam_buf_append_str(out, prefix);
    if (!rc && len) rc = seam_buf_append(out, id, len);
    return rc;
}

/* A token count: a non-negative integer, else 0. */
static long count_of(const seam_jdoc *d, seam_jv v)
{
    long n;
    return seam__anthropic_long(d, v, &n) || n < 0 ? 0 : n;
}

void seam__anthropic_read_usage(const seam_jdoc *d, seam_jv usage, seam__anthropic_usage *u)
{
    static const char *const names[] = {"prompt_tokens", "completion_tokens",
                                        "prompt_tokens_details"};
    seam_jv f[3];
    memset(u, 0, sizeof *u);
    if (!seam_jis(usage, SEAM_JOBJECT)) return;
    u->present = 1;
    seam_jpick(d, usage, names, 3, f);
    long prompt = count_of(d, f[0]);
    u->output_tokens = count_of(d, f[1]);
    seam_jv cached = seam_jget(d, f[2], "cached_tokens");
    if (is_integer(d, cached)) {
        u->has_cached = 1;
        u->cached_tokens = count_of(d, cached);
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

const char *seam__anthropic_stop_reason(const seam_jdoc *d, seam_jv v)
{
    if (seam_jstr_eq(d, v, "length")) return "max_tokens";
    if (seam_jstr_eq(d, v, "tool_calls") || seam_jstr_eq(d, v, "function_call")) return "tool_use";
    if (seam_jstr_eq(d, v, "content_filter")) return "refusal";
    return "end_turn";
}

/* ---- counting (count_tokens only) ---- */

/* The code point of the escape at s[0] (a backslash); its length in *len. */
static unsigned escape_cp(const char *s, size_t *len)
{
    *len = 2;
    switch (s[1]) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': break;
    default: return (unsigned char)s[1];
    }
    unsigned cp = 0;
    for (int i = 2; i < 6; i++) {
        unsigned h = (unsigned char)s[i];
        cp = cp * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    *len = 6;
    return cp;
}

/* What one decoded character adds to a count: 1 for a code point of text
 * (json 0), or its length in compact JSON that escapes only what it must
 * (json 1): the estimate counts tool schemas and inputs that way. */
static long char_weight(unsigned cp, int json)
{
    if (cp >= 0xDC00 && cp <= 0xDFFF) return 0; /* the second half of a surrogate pair */
    if (!json) return 1;
    if (cp == '"' || cp == '\\' || cp == '\b' || cp == '\f' || cp == '\n' || cp == '\r' ||
        cp == '\t')
        return 2;
    return cp < 0x20 ? 6 : 1;
}

/* Characters of the escaped string body s[0..n) (valid) once decoded. */
static long body_chars(const char *s, size_t n, int json)
{
    long c = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\\') {
            size_t len;
            c += char_weight(escape_cp(s + i, &len), json);
            i += len;
        } else {
            c += ((unsigned char)s[i++] & 0xC0) != 0x80;
        }
    }
    return c;
}

/* Characters of the JSON text p[0..n) (valid) written compactly. */
static long json_chars(const char *p, size_t n)
{
    long c = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '"') {
            c += p[i] != ' ' && p[i] != '\n' && p[i] != '\r' && p[i] != '\t';
            continue;
        }
        size_t j = i + 1;
        while (p[j] != '"')
            j += p[j] == '\\' ? 2 : 1;
        c += 2 + body_chars(p + i + 1, j - i - 1, 1);
        i = j;
    }
    return c;
}

/* ---- request ---- */

typedef struct xlate {
    seam_jdoc doc;      /* the client's request */
    const seam_jdoc *d; /* &doc */
    seam_jw w;          /* the OpenAI body */
    char *err;
    size_t errlen;
    seam_buf scratch; /* a decoded string for an error message */
    int counting;     /* count_tokens: max_tokens optional, prefill allowed, chars counted */
    long chars;       /* counted text, for count_tokens */
    long images;
} xlate;

/* Where a content block sits, for error messages: "system[msg]",
 * "messages[msg].content[block]" or, inside a tool_result,
 * "messages[msg].content[block].content[inner]". */
typedef struct where {
    int system;
    size_t msg, block;
    long inner; /* -1: not inside a tool_result */
} where;

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

/* fail() with the block's path before fmt (which starts with '.' or ':'). */
static int fail_at(xlate *x, const where *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(xlate *x, const where *at, const char *fmt, ...)
{
    if (!x->err || !x->errlen) return -1;
    char path[96], msg[256];
    if (at->system)
        snprintf(path, sizeof path, "system[%zu]", at->msg);
    else if (at->inner < 0)
        snprintf(path, sizeof path, "messages[%zu].content[%zu]", at->msg, at->block);
    else
        snprintf(path, sizeof path, "messages[%zu].content[%zu].content[%ld]", at->msg, at->block,
                 at->inner);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->errlen, "%s%s", path, msg);
    return -1;
}

/* The decoded text of string v, for an error message ("" if it cannot be). */
static const char *text_of(xlate *x, seam_jv v)
{
    x->scratch.len = 0;
    if (seam_jstr_decode(x->d, v, &x->scratch) || !x->scratch.data) return "";
    return x->scratch.data;
}

static void count_str(xlate *x, seam_jv s)
{
    if (!x->counting) return;
    size_t n;
    const char *body = seam_jstr(x->d, s, &n);
    x->chars += body_chars(body, n, 0);
}

/* Counts v serialised compactly (tool inputs and schemas). */
static void count_json(xlate *x, seam_jv v)
{
    if (x->counting) x->chars += json_chars(seam_jraw(x->d, v), v->len);
}

/* The string member key of o, or NULL. */
static seam_jv str_member(const seam_jdoc *d, seam_jv o, const char *key)
{
    seam_jv v = seam_jget(d, o, key);
    return seam_jis(v, SEAM_JSTRING) ? v : NULL;
}

/* v is absent, null, or of type t. */
static int none_or(seam_jv v, enum seam_jtype t)
{
    return seam_jnone(v) || v->type == t;
}

static int is_bool(seam_jv v)
{
    return seam_jis(v, SEAM_JTRUE) || seam_jis(v, SEAM_JFALSE);
}

/* Opens {"role":role, ...}; role is a literal. */
#define OPEN_MESSAGE(w, role) (seam_jw_obj(w), JW_PAIR(w, "role", role))

/* Appends string s's body to the string being written, "\n\n" first when
 * text was written before (*joined counts it). */
static void join_text(seam_jw *w, const seam_jdoc *d, seam_jv s, size_t *joined)
{
    size_t n;
    const char *body = seam_jstr(d, s, &n);
    if (*joined) {
        seam_jw_str_add_escaped(w, "\\n\\n", 4);
        *joined += 2;
    }
    seam_jw_str_add_escaped(w, body, n);
    *joined += n;
}

static const char *const unsupported_blocks[] = {
    "document",
    "search_result",
    "container_upload",
    NULL,
};

static int block_refused(xlate *x, const where *at, seam_jv type)
{
    const char *t = text_of(x, type);
    for (int i = 0; unsupported_blocks[i]; i++)
        if (!strcmp(t, unsupported_blocks[i]))
            return fail_at(x, at, ".type: '%s' blocks are not supported", t);
    return fail_at(x, at, ".type: '%s' blocks are not supported here", t);
}

/* The type of a content block (a string node), or NULL with err. */
static seam_jv block_type(xlate *x, const where *at, seam_jv block)
{
    if (!seam_jis(block, SEAM_JOBJECT)) {
        fail_at(x, at, ": must be an object");
        return NULL;
    }
    seam_jv type = str_member(x->d, block, "type");
    if (!type) fail_at(x, at, ".type: must be a string");
    return type;
}

/* A text block's text (a string), or NULL with err. */
static seam_jv block_text(xlate *x, const where *at, seam_jv block)
{
    seam_jv t = str_member(x->d, block, "text");
    if (!t) fail_at(x, at, ".text: must be a string");
    return t;
}

/* Validates an image block (see the table) and counts it. */
static int check_image(xlate *x, const where *at, seam_jv block)
{
    const seam_jdoc *d = x->d;
    seam_jv src = seam_jget(d, block, "source");
    if (!seam_jis(src, SEAM_JOBJECT)) return fail_at(x, at, ".source: must be an object");
    seam_jv type = seam_jget(d, src, "type");
    if (seam_jstr_eq(d, type, "base64")) {
        if (!str_member(d, src, "media_type") || !str_member(d, src, "data"))
            return fail_at(x, at, ".source: base64 images need string media_type and data");
    } else if (seam_jstr_eq(d, type, "url")) {
        if (!str_member(d, src, "url")) return fail_at(x, at, ".source.url: must be a string");
    } else if (seam_jstr_eq(d, type, "file")) {
        return fail_at(x, at, ".source.type: 'file' sources (the Files API) are not supported");
    } else {
        return fail_at(x, at, ".source.type: must be 'base64' or 'url'");
    }
    x->images++;
    return 0;
}

/* A validated image block -> an OpenAI image_url part. */
static void write_image(xlate *x, seam_jv block)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    seam_jv src = seam_jget(d, block, "source");
    seam_jw_obj(w);
    JW_PAIR(w, "type", "image_url");
    seam_jw_lkey(w, "image_url");
    seam_jw_obj(w);
    seam_jw_lkey(w, "url");
    if (seam_jstr_eq(d, seam_jget(d, src, "type"), "base64")) {
        size_t mn, dn;
        const char *mt = seam_jstr(d, seam_jget(d, src, "media_type"), &mn);
        const char *data = seam_jstr(d, seam_jget(d, src, "data"), &dn);
        seam_jw_str_begin(w);
        seam_jw_str_add_escaped(w, "data:", 5);
        seam_jw_str_add_escaped(w, mt, mn);
        seam_jw_str_add_escaped(w, ";base64,", 8);
        seam_jw_str_add_escaped(w, data, dn);
        seam_jw_str_end(w);
    } else {
        seam_jw_value(w, d, seam_jget(d, src, "url"));
    }
    seam_jw_end(w);
    seam_jw_end(w);
}

/* The parts of a user message, noted while its blocks are validated. */
typedef struct parts {
    size_t n;
    seam_jv text; /* the text when the only part is one */
} parts;

static void note_part(parts *p, seam_jv text)
{
    p->text = p->n++ ? NULL : text;
}

/* The content blocks of a tool_result -> the tool message's text (joined
 * with "\n\n" after the "Error: " prefix); its images are noted in p. */
static int tool_result_blocks(xlate *x, const where *at, seam_jv content, parts *p)
{
    size_t k, joined = 0;
    seam_jv b;
    seam_jarr_foreach(content, k, b)
    {
        where in = *at;
        in.inner = (long)k;
        seam_jv type = block_type(x, &in, b), t;
        if (!type) return -1;
        if (seam_jstr_eq(x->d, type, "text")) {
            if (!(t = block_text(x, &in, b))) return -1;
            count_str(x, t);
            join_text(&x->w, x->d, t, &joined);
        } else if (seam_jstr_eq(x->d, type, "image")) {
            if (check_image(x, &in, b)) return -1;
            note_part(p, NULL);
        } else {
            return block_refused(x, &in, type);
        }
    }
    return 0;
}

/* One tool_result block -> a tool message. */
static int conv_tool_result(xlate *x, const where *at, seam_jv block, parts *p)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    seam_jv id = str_member(d, block, "tool_use_id");
    if (!id) return fail_at(x, at, ".tool_use_id: must be a string");
    seam_jv is_error = seam_jget(d, block, "is_error");
    if (!seam_jnone(is_error) && !is_bool(is_error))
        return fail_at(x, at, ".is_error: must be a boolean");

    OPEN_MESSAGE(w, "tool");
    seam_jw_lkey(w, "tool_call_id");
    seam_jw_value(w, d, id);
    seam_jw_lkey(w, "content");
    seam_jw_str_begin(w);
    if (seam_jis(is_error, SEAM_JTRUE)) seam_jw_str_add_escaped(w, "Error: ", 7);
    seam_jv content = seam_jget(d, block, "content");
    int rc = 0;
    if (seam_jis(content, SEAM_JSTRING)) {
        size_t n;
        const char *body = seam_jstr(d, content, &n);
        count_str(x, content);
        seam_jw_str_add_escaped(w, body, n);
    } else if (seam_jis(content, SEAM_JARRAY)) {
        rc = tool_result_blocks(x, at, content, p);
    } else if (!seam_jnone(content)) { /* no content: an empty result */
        rc = fail_at(x, at, ".content: must be a string or an array of content blocks");
    }
    seam_jw_str_end(w);
    seam_jw_end(w);
    return rc;
}

/* A user turn's blocks in order: validated, counted, and each tool_result
 * written as a tool message; the parts left for the user message are
 * noted in p. */
static int user_blocks(xlate *x, size_t i, seam_jv content, parts *p, int *had_tool_result)
{
    const seam_jdoc *d = x->d;
    size_t j;
    seam_jv b;
    seam_jarr_foreach(content, j, b)
    {
        where at = {.msg = i, .block = j, .inner = -1};
        seam_jv type = block_type(x, &at, b), t;
        if (!type) return -1;
        if (seam_jstr_eq(d, type, "text")) {
            if (!(t = block_text(x, &at, b))) return -1;
            count_str(x, t);
            note_part(p, t);
        } else if (seam_jstr_eq(d, type, "image")) {
            if (check_image(x, &at, b)) return -1;
            note_part(p, NULL);
        } else if (seam_jstr_eq(d, type, "tool_result")) {
            *had_tool_result = 1;
            if (conv_tool_result(x, &at, b, p)) return -1;
        } else if (seam_jstr_eq(d, type, "tool_use")) {
            return fail_at(x, &at, ".type: 'tool_use' blocks belong in assistant messages");
        } else {
            return block_refused(x, &at, type);
        }
    }
    return 0;
}

/* The content parts of a validated user turn: texts and images in order,
 * the images of its tool results included. */
static void write_user_parts(xlate *x, seam_jv content)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    size_t j, k;
    seam_jv b, ib;
    seam_jw_arr(w);
    seam_jarr_foreach(content, j, b)
    {
        seam_jv type = seam_jget(d, b, "type");
        if (seam_jstr_eq(d, type, "text")) {
            seam_jw_obj(w);
            JW_PAIR(w, "type", "text");
            seam_jw_lkey(w, "text");
            seam_jw_value(w, d, seam_jget(d, b, "text"));
            seam_jw_end(w);
        } else if (seam_jstr_eq(d, type, "image")) {
            write_image(x, b);
        } else if (seam_jstr_eq(d, type, "tool_result")) {
            seam_jarr_foreach(seam_jget(d, b, "content"), k, ib)
            {
                if (seam_jstr_eq(d, seam_jget(d, ib, "type"), "image")) write_image(x, ib);
            }
        }
    }
    seam_jw_end(w);
}

static int conv_user(xlate *x, size_t i, seam_jv content)
{
    seam_jw *w = &x->w;
    parts p = {0};
    int had_tool_result = 0;
    if (!seam_jis(content, SEAM_JSTRING)) {
        if (user_blocks(x, i, content, &p, &had_tool_result)) return -1;
        if (!p.n && had_tool_result) return 0; /* only tool messages */
    }
    OPEN_MESSAGE(w, "user");
    seam_jw_lkey(w, "content");
    if (seam_jis(content, SEAM_JSTRING)) {
        count_str(x, content);
        seam_jw_value(w, x->d, content);
    } else if (p.text) { /* one text block: a plain string, as most servers expect */
        seam_jw_value(w, x->d, p.text);
    } else if (!p.n) {
        seam_jw_lstr(w, "");
    } else {
        write_user_parts(x, content);
    }
    seam_jw_end(w);
    return 0;
}

/* Validates a tool_use block and counts it. */
static int check_tool_use(xlate *x, const where *at, seam_jv b)
{
    seam_jv name = str_member(x->d, b, "name");
    if (!str_member(x->d, b, "id")) return fail_at(x, at, ".id: must be a string");
    if (!name) return fail_at(x, at, ".name: must be a string");
    seam_jv input = seam_jget(x->d, b, "input");
    if (!none_or(input, SEAM_JOBJECT)) return fail_at(x, at, ".input: must be an object");
    if (seam_jis(input, SEAM_JOBJECT))
        count_json(x, input);
    else if (x->counting)
        x->chars += 2; /* "{}" */
    count_str(x, name);
    return 0;
}

/* An assistant turn's blocks in order: validated and counted. */
static int assistant_blocks(xlate *x, size_t i, seam_jv content, int *any_text, int *any_call)
{
    const seam_jdoc *d = x->d;
    size_t j;
    seam_jv b;
    seam_jarr_foreach(content, j, b)
    {
        where at = {.msg = i, .block = j, .inner = -1};
        seam_jv type = block_type(x, &at, b), t;
        if (!type) return -1;
        if (seam_jstr_eq(d, type, "text")) {
            if (!(t = block_text(x, &at, b))) return -1;
            count_str(x, t);
            *any_text = 1;
        } else if (seam_jstr_eq(d, type, "tool_use")) {
            if (check_tool_use(x, &at, b)) return -1;
            *any_call = 1;
        } else if (seam_jstr_eq(d, type, "thinking") ||
                   seam_jstr_eq(d, type, "redacted_thinking")) {
            /* dropped: see the table */
        } else if (seam_jstr_eq(d, type, "image") || seam_jstr_eq(d, type, "tool_result")) {
            return fail_at(x, &at, ".type: '%s' blocks belong in user messages", text_of(x, type));
        } else {
            return block_refused(x, &at, type);
        }
    }
    return 0;
}

static int conv_assistant(xlate *x, size_t i, seam_jv content)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    int any_text = 0, any_call = 0;
    if (seam_jis(content, SEAM_JARRAY) && assistant_blocks(x, i, content, &any_text, &any_call))
        return -1;
    OPEN_MESSAGE(w, "assistant");
    seam_jw_lkey(w, "content");
    size_t j, joined = 0;
    seam_jv b;
    if (seam_jis(content, SEAM_JSTRING)) {
        count_str(x, content);
        seam_jw_value(w, d, content);
    } else if (any_text) {
        seam_jw_str_begin(w);
        seam_jarr_foreach(content, j, b)
        {
            if (seam_jstr_eq(d, seam_jget(d, b, "type"), "text"))
                join_text(w, d, seam_jget(d, b, "text"), &joined);
        }
        seam_jw_str_end(w);
    } else if (any_call) {
        seam_jw_null(w);
    } else {
        seam_jw_lstr(w, "");
    }
    if (any_call) {
        seam_jw_lkey(w, "tool_calls");
        seam_jw_arr(w);
        seam_jarr_foreach(content, j, b)
        {
            if (seam_jstr_eq(d, seam_jget(d, b, "type"), "tool_use")) {
                seam_jv input = seam_jget(d, b, "input"); /* validated: an object or absent */
                seam_oai_tool_call(&x->w, d, seam_jget(d, b, "id"), seam_jget(d, b, "name"),
                                   seam_jis(input, SEAM_JOBJECT) ? input : NULL);
            }
        }
        seam_jw_end(w);
    }
    seam_jw_end(w);
    return 0;
}

static int conv_messages(xlate *x, seam_jv messages)
{
    const seam_jdoc *d = x->d;
    static const char *const names[] = {"role", "content"};
    if (!seam_jis(messages, SEAM_JARRAY)) return fail(x, "messages: must be an array");
    if (!seam_jfirst(messages)) return fail(x, "messages: at least one message is required");
    size_t i;
    seam_jv m, f[2];
    seam_jarr_foreach(messages, i, m)
    {
        if (!seam_jis(m, SEAM_JOBJECT)) return fail(x, "messages[%zu]: must be an object", i);
        seam_jpick(d, m, names, 2, f);
        int user = seam_jstr_eq(d, f[0], "user");
        if (!user && !seam_jstr_eq(d, f[0], "assistant"))
            return fail(x, "messages[%zu].role: must be 'user' or 'assistant'", i);
        if (!seam_jis(f[1], SEAM_JSTRING) && !seam_jis(f[1], SEAM_JARRAY))
            return fail(x, "messages[%zu].content: must be a string or an array of content blocks",
                        i);
        if (!user && !seam_jnext(messages, m) && !x->counting)
            return fail(x,
                        "messages[%zu]: a final assistant message (prefill) is not supported: "
                        "the model would answer it, not continue it",
                        i);
        int rc = user ? conv_user(x, i, f[1]) : conv_assistant(x, i, f[1]);
        if (rc) return rc;
    }
    return 0;
}

static int conv_system(xlate *x, seam_jv system)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    if (seam_jnone(system)) return 0;
    if (seam_jis(system, SEAM_JSTRING)) {
        count_str(x, system);
        OPEN_MESSAGE(w, "system");
        seam_jw_lkey(w, "content");
        seam_jw_value(w, d, system);
        seam_jw_end(w);
        return 0;
    }
    if (!seam_jis(system, SEAM_JARRAY))
        return fail(x, "system: must be a string or an array of text blocks");
    if (!seam_jfirst(system)) return 0;
    /* one string: many OpenAI-compatible servers take only a string here */
    OPEN_MESSAGE(w, "system");
    seam_jw_lkey(w, "content");
    seam_jw_str_begin(w);
    size_t i, joined = 0;
    seam_jv b;
    seam_jarr_foreach(system, i, b)
    {
        where at = {.system = 1, .msg = i, .inner = -1};
        seam_jv type = block_type(x, &at, b), t;
        if (!type) return -1;
        if (!seam_jstr_eq(d, type, "text")) return fail_at(x, &at, ".type: must be 'text'");
        if (!(t = block_text(x, &at, b))) return -1;
        count_str(x, t);
        join_text(w, d, t, &joined);
    }
    seam_jw_str_end(w);
    seam_jw_end(w);
    return 0;
}

/* One tool definition -> {type: function, function: {...}}. */
static int conv_tool(xlate *x, size_t i, seam_jv t)
{
    enum { NAME, DESC, SCHEMA, TYPE, STRICT, CACHE_CONTROL, NT };
    static const char *const names[NT] = {"name", "description", "input_schema",
                                          "type", "strict",      "cache_control"};
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    if (!seam_jis(t, SEAM_JOBJECT)) return fail(x, "tools[%zu]: must be an object", i);
    seam_jv f[NT];
    seam_jv unknown = seam_jpick(d, t, names, NT, f);
    if (!seam_jnone(f[TYPE]) && !seam_jstr_eq(d, f[TYPE], "custom"))
        return fail(x,
                    "tools[%zu].type: '%s' is a server tool, which is not supported "
                    "(only custom tools)",
                    i, seam_jis(f[TYPE], SEAM_JSTRING) ? text_of(x, f[TYPE]) : "?");
    if (unknown) return fail(x, "tools[%zu].%s: not supported", i, text_of(x, unknown));
    if (!seam_jis(f[NAME], SEAM_JSTRING)) return fail(x, "tools[%zu].name: must be a string", i);
    if (!none_or(f[DESC], SEAM_JSTRING))
        return fail(x, "tools[%zu].description: must be a string", i);
    if (!seam_jis(f[SCHEMA], SEAM_JOBJECT))
        return fail(x, "tools[%zu].input_schema: must be an object", i);
    if (!seam_jnone(f[STRICT]) && !is_bool(f[STRICT]))
        return fail(x, "tools[%zu].strict: must be a boolean", i);

    count_str(x, f[NAME]);
    if (seam_jis(f[DESC], SEAM_JSTRING)) count_str(x, f[DESC]);
    count_json(x, f[SCHEMA]);

    seam_jw_obj(w);
    JW_PAIR(w, "type", "function");
    seam_jw_lkey(w, "function");
    seam_jw_obj(w);
    seam_jw_lkey(w, "name");
    seam_jw_value(w, d, f[NAME]);
    if (seam_jis(f[DESC], SEAM_JSTRING)) {
        seam_jw_lkey(w, "description");
        seam_jw_value(w, d, f[DESC]);
    }
    seam_jw_lkey(w, "parameters");
    seam_jw_value(w, d, f[SCHEMA]);
    if (is_bool(f[STRICT])) {
        seam_jw_lkey(w, "strict");
        seam_jw_value(w, d, f[STRICT]);
    }
    seam_jw_end(w);
    seam_jw_end(w);
    return 0;
}

/* *have_tools: "tools" was written (a non-empty array). */
static int conv_tools(xlate *x, seam_jv tools, int *have_tools)
{
    seam_jw *w = &x->w;
    if (seam_jnone(tools)) return 0;
    if (!seam_jis(tools, SEAM_JARRAY)) return fail(x, "tools: must be an array");
    if (!seam_jfirst(tools)) return 0;
    seam_jw_lkey(w, "tools");
    seam_jw_arr(w);
    size_t i;
    seam_jv t;
    seam_jarr_foreach(tools, i, t)
    {
        if (conv_tool(x, i, t)) return -1;
    }
    seam_jw_end(w);
    *have_tools = 1;
    return 0;
}

static int conv_tool_choice(xlate *x, seam_jv tc, int have_tools)
{
    static const char *const names[] = {"type", "name", "disable_parallel_tool_use"};
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    if (seam_jnone(tc)) return 0;
    if (!seam_jis(tc, SEAM_JOBJECT)) return fail(x, "tool_choice: must be an object");
    seam_jv f[3];
    seam_jpick(d, tc, names, 3, f);
    seam_jv type = f[0], name = f[1], dp = f[2];
    if (!seam_jis(type, SEAM_JSTRING)) return fail(x, "tool_choice.type: must be a string");
    if (!seam_jnone(dp) && !is_bool(dp))
        return fail(x, "tool_choice.disable_parallel_tool_use: must be a boolean");
    int none = seam_jstr_eq(d, type, "none");
    if (none || seam_jstr_eq(d, type, "auto")) {
        if (!have_tools) return 0;
        seam_jw_lkey(w, "tool_choice");
        if (none)
            seam_jw_lstr(w, "none");
        else
            seam_jw_lstr(w, "auto");
    } else if (seam_jstr_eq(d, type, "any")) {
        if (!have_tools) return fail(x, "tool_choice: type 'any' needs tools");
        JW_PAIR(w, "tool_choice", "required");
    } else if (seam_jstr_eq(d, type, "tool")) {
        if (!have_tools) return fail(x, "tool_choice: type 'tool' needs tools");
        if (!seam_jis(name, SEAM_JSTRING)) return fail(x, "tool_choice.name: must be a string");
        seam_jw_lkey(w, "tool_choice");
        seam_jw_obj(w);
        JW_PAIR(w, "type", "function");
        seam_jw_lkey(w, "function");
        seam_jw_obj(w);
        seam_jw_lkey(w, "name");
        seam_jw_value(w, d, name);
        seam_jw_end(w);
        seam_jw_end(w);
    } else {
        return fail(x, "tool_choice.type: must be 'auto', 'any', 'tool' or 'none'");
    }
    if (seam_jis(dp, SEAM_JTRUE) && !none) {
        seam_jw_lkey(w, "parallel_tool_calls");
        seam_jw_bool(w, 0);
    }
    return 0;
}

static int conv_max_tokens(xlate *x, seam_jv v)
{
    long n;
    if (seam__anthropic_long(x->d, v, &n) == 0 && n >= 1) {
        seam_jw_lkey(&x->w, "max_tokens");
        seam_jw_value(&x->w, x->d, v);
        return 0;
    }
    if (!seam_jnone(v)) return fail(x, "max_tokens: must be an integer of at least 1");
    return x->counting ? 0 : fail(x, "max_tokens: field required");
}

static int copy_number(xlate *x, const char *key, seam_jv v)
{
    if (seam_jnone(v)) return 0;
    if (!seam_jis(v, SEAM_JNUMBER)) return fail(x, "%s: must be a number", key);
    seam_jw_key(&x->w, key);
    seam_jw_value(&x->w, x->d, v);
    return 0;
}

static int conv_top_k(xlate *x, seam_jv v)
{
    long n;
    if (seam_jnone(v)) return 0;
    if (seam__anthropic_long(x->d, v, &n) || n < 0)
        return fail(x, "top_k: must be a non-negative integer");
    seam_jw_lkey(&x->w, "top_k");
    seam_jw_value(&x->w, x->d, v);
    return 0;
}

static int conv_stop_sequences(xlate *x, seam_jv v)
{
    if (seam_jnone(v)) return 0;
    if (!seam_jis(v, SEAM_JARRAY)) return fail(x, "stop_sequences: must be an array of strings");
    size_t i;
    seam_jv s;
    seam_jarr_foreach(v, i, s)
    {
        if (!seam_jis(s, SEAM_JSTRING)) return fail(x, "stop_sequences[%zu]: must be a string", i);
    }
    if (seam_jfirst(v)) { /* empty: omitted */
        seam_jw_lkey(&x->w, "stop");
        seam_jw_value(&x->w, x->d, v);
    }
    return 0;
}

static int conv_metadata(xlate *x, seam_jv v)
{
    if (seam_jnone(v)) return 0;
    if (!seam_jis(v, SEAM_JOBJECT)) return fail(x, "metadata: must be an object");
    seam_jv uid = seam_jget(x->d, v, "user_id");
    if (!none_or(uid, SEAM_JSTRING)) return fail(x, "metadata.user_id: must be a string");
    if (seam_jis(uid, SEAM_JSTRING)) {
        seam_jw_lkey(&x->w, "user");
        seam_jw_value(&x->w, x->d, uid);
    }
    return 0;
}

static int check_thinking(xlate *x, seam_jv v)
{
    if (seam_jnone(v)) return 0;
    seam_jv type = str_member(x->d, v, "type");
    if (!type) return fail(x, "thinking.type: must be a string");
    if (!seam_jstr_eq(x->d, type, "disabled"))
        return fail(x, "thinking: extended thinking ('%s') is not supported", text_of(x, type));
    return 0;
}

static int conv_stream(xlate *x, seam_jv v, int *streaming)
{
    if (!seam_jnone(v) && !is_bool(v)) return fail(x, "stream: must be a boolean");
    *streaming = seam_jis(v, SEAM_JTRUE);
    if (*streaming) {
        seam_jw_lkey(&x->w, "stream");
        seam_jw_bool(&x->w, 1);
        seam_jw_lkey(&x->w, "stream_options");
        JW_RAW(&x->w, "{\"include_usage\":true}");
    }
    return 0;
}

/* Top-level fields. */
enum {
    F_MODEL,
    F_SYSTEM,
    F_MESSAGES,
    F_MAX_TOKENS,
    F_TEMPERATURE,
    F_TOP_P,
    F_TOP_K,
    F_STOP_SEQUENCES,
    F_METADATA,
    F_TOOLS,
    F_TOOL_CHOICE,
    F_STREAM,
    F_THINKING,
    F_SERVICE_TIER,
    F_CONTAINER,
    F_CACHE_CONTROL,
    F_MCP_SERVERS,
    NFIELDS,
};
static const char *const known_fields[NFIELDS] = {
    "model",    "system",         "messages",  "max_tokens",    "temperature", "top_p",
    "top_k",    "stop_sequences", "metadata",  "tools",         "tool_choice", "stream",
    "thinking", "service_tier",   "container", "cache_control", "mcp_servers",
};

/* Validates root and writes the OpenAI body, fields in the order of the
 * checks so that the first error found is the one reported. */
static int translate(xlate *x, seam_jv root, int *streaming)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = &x->w;
    if (!seam_jis(root, SEAM_JOBJECT)) return fail(x, "request body must be a JSON object");
    seam_jv f[NFIELDS];
    seam_jv unknown = seam_jpick(d, root, known_fields, NFIELDS, f);
    if (unknown) return fail(x, "%s: not supported", text_of(x, unknown));
    if (!seam_jis(f[F_MODEL], SEAM_JSTRING) || f[F_MODEL]->len == 2)
        return fail(x, "model: must be a non-empty string");

    seam_jw_obj(w);
    seam_jw_lkey(w, "model");
    seam_jw_value(w, d, f[F_MODEL]);
    seam_jw_lkey(w, "messages");
    seam_jw_arr(w);
    int rc = conv_system(x, f[F_SYSTEM]), have_tools = 0;
    if (!rc) rc = conv_messages(x, f[F_MESSAGES]);
    seam_jw_end(w);
    if (!rc) rc = conv_max_tokens(x, f[F_MAX_TOKENS]);
    if (!rc) rc = copy_number(x, "temperature", f[F_TEMPERATURE]);
    if (!rc) rc = copy_number(x, "top_p", f[F_TOP_P]);
    if (!rc) rc = conv_top_k(x, f[F_TOP_K]);
    if (!rc) rc = conv_stop_sequences(x, f[F_STOP_SEQUENCES]);
    if (!rc) rc = conv_metadata(x, f[F_METADATA]);
    if (!rc) rc = conv_tools(x, f[F_TOOLS], &have_tools);
    if (!rc) rc = conv_tool_choice(x, f[F_TOOL_CHOICE], have_tools);
    if (!rc) rc = check_thinking(x, f[F_THINKING]);
    if (!rc && !seam_jnone(f[F_MCP_SERVERS]) &&
        !(seam_jis(f[F_MCP_SERVERS], SEAM_JARRAY) && !seam_jfirst(f[F_MCP_SERVERS])))
        rc = fail(x, "mcp_servers: the MCP connector is not supported");
    if (!rc) rc = conv_stream(x, f[F_STREAM], streaming);
    seam_jw_end(w);
    return rc;
}

/* Parses p[0..n) and translates it into out. Returns 0 (out holds the
 * body), -1 with err, or SEAM_ANTHROPIC_EOUT (a full out: only once the
 * request was found valid, as a 400 says more). On failure out is as it
 * was. */
static int parse_and_translate(xlate *x, const char *p, size_t n, seam_buf *out, int *stream)
{
    seam_json_error je;
    if (seam_jdoc_parse(&x->doc, p, n, &je)) {
        seam_jdoc_free(&x->doc);
        fail(x, "request body is not valid JSON: %s (line %d, column %d)", je.msg, je.line,
             je.column);
        return SEAM_ANTHROPIC_EJSON;
    }
    x->d = &x->doc;
    seam_buf_init(&x->scratch, 64u << 10);
    seam_jw_init(&x->w, out);
    size_t mark = out->len;
    int streaming = 0;
    int rc = translate(x, seam_jroot(x->d), &streaming);
    if (!rc && seam_jw_error(&x->w)) rc = SEAM_ANTHROPIC_EOUT;
    if (rc)
        seam__anthropic_buf_truncate(out, mark);
    else if (stream)
        *stream = streaming;
    seam_buf_free(&x->scratch);
    seam_jdoc_free(&x->doc);
    return rc;
}

int seam_anthropic_request_to_openai(const char *p, size_t n, seam_buf *out, int *stream, char *err,
                                     size_t errlen)
{
    xlate x = {.err = err, .errlen = errlen};
    int rc = parse_and_translate(&x, p, n, out, stream);
    if (rc == SEAM_ANTHROPIC_EOUT)
        fail(&x, "the translated request does not fit in %zu bytes", out->max);
    return rc;
}

int seam_anthropic_count_tokens(const char *p, size_t n, seam_buf *out, char *err, size_t errlen)
{
    xlate x = {.err = err, .errlen = errlen, .counting = 1};
    seam_buf sink; /* the translation is not wanted: a cap of 0 turns its writes off */
    seam_buf_init(&sink, 0);
    int rc = parse_and_translate(&x, p, n, &sink, NULL);
    seam_buf_free(&sink);
    if (rc == -1 || rc == SEAM_ANTHROPIC_EJSON) return rc;
    long tokens = x.chars / 4 + (x.chars % 4 != 0);
    if (x.images > (LONG_MAX - tokens) / SEAM_ANTHROPIC_IMAGE_TOKENS)
        tokens = LONG_MAX;
    else
        tokens += x.images * SEAM_ANTHROPIC_IMAGE_TOKENS;
    size_t mark = out->len;
    seam_jw w;
    seam_jw_init(&w, out);
    seam_jw_obj(&w);
    seam_jw_lkey(&w, "input_tokens");
    seam_jw_int(&w, tokens);
    seam_jw_end(&w);
    if (seam_jw_error(&w)) {
        seam__anthropic_buf_truncate(out, mark);
        fail(&x, "the answer does not fit in %zu bytes", out->max);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

/* ---- reply ---- */

/* Appends string s to the text block being written, opening it first. */
static void text_piece(seam_jw *w, const seam_jdoc *d, seam_jv s, int *open)
{
    size_t n;
    const char *body = seam_jstr(d, s, &n);
    if (!body || !n) return;
    if (!*open) {
        seam_jw_obj(w);
        JW_PAIR(w, "type", "text");
        seam_jw_lkey(w, "text");
        seam_jw_str_begin(w);
        *open = 1;
    }
    seam_jw_str_add_escaped(w, body, n);
}

/* One text block when content (a string, or parts whose "text" members are
 * joined as they are) holds text. */
static void write_text_block(seam_jw *w, const seam_jdoc *d, seam_jv content)
{
    int open = 0;
    size_t i;
    seam_jv part;
    if (seam_jis(content, SEAM_JSTRING)) text_piece(w, d, content, &open);
    seam_jarr_foreach(content, i, part)
    {
        text_piece(w, d, seam_jget(d, part, "text"), &open);
    }
    if (open) {
        seam_jw_str_end(w);
        seam_jw_end(w);
    }
}

/* The message id, decoded: its prefix, then id[0..len) (see
 * seam__anthropic_msg_id_split). */
typedef struct msg_id {
    const char *prefix, *id;
    size_t len;
    int plain; /* id was not escaped in the answer: it needs no escaping */
} msg_id;

/* Adds p[0..n), a piece of the message id, to the string being written. */
static void add_id_piece(seam_jw *w, const msg_id *m, const char *p, size_t n)
{
    if (m->plain)
        seam_jw_str_add_escaped(w, p, n);
    else
        seam_jw_str_add(w, p, n);
}

/* A tool_use block's id when the upstream gave none: "toolu_" + the message
 * id after "msg_" + "_" + the call's position, unique within the message. */
static void write_synthetic_tool_id(seam_jw *w, const msg_id *m, size_t pos)
{
    size_t plen = strlen(m->prefix); /* prefix: "msg_", "msg_seam", or "" (id has it) */
    seam_jw_str_begin(w);
    seam_jw_str_add_escaped(w, "toolu_", 6);
    if (plen >= 4) {
        seam_jw_str_add_escaped(w, m->prefix + 4, plen - 4);
        add_id_piece(w, m, m->id, m->len);
    } else {
        add_id_piece(w, m, m->id + 4, m->len - 4);
    }
    seam_jw_str_add_escaped(w, "_", 1);
    seam_jw_str_add_int(w, (long long)pos);
    seam_jw_str_end(w);
}

/* The tool_use input for OpenAI's arguments string: the object it holds,
 * or {} when it is not one (see the table). */
static void write_input(seam_jw *w, const seam_jdoc *d, seam_jv args, seam_buf *scratch)
{
    size_t n;
    const char *text = seam_jstr(d, args, &n);
    if (text && args->escaped) { /* the JSON inside the string, decoded */
        scratch->len = 0;
        text = seam_jstr_decode(d, args, scratch) ? NULL : scratch->data;
        n = scratch->len;
    }
    size_t i = 0;
    while (text && i < n &&
           (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    if (text && i < n && text[i] == '{' && seam_json_validate(text, n, NULL) == 0)
        seam_jw_raw(w, text, n);
    else
        seam_jw_raw(w, "{}", 2);
}

/* message.tool_calls -> tool_use blocks; returns how many were written. */
static size_t write_tool_uses(seam_jw *w, const seam_jdoc *d, seam_jv calls, const msg_id *m)
{
    static const char *const names[] = {"name", "arguments"};
    seam_buf scratch; /* decoded arguments: never longer than the document */
    seam_buf_init(&scratch, seam_jroot(d)->len);
    size_t i, written = 0;
    seam_jv call, f[2];
    seam_jarr_foreach(calls, i, call)
    {
        seam_jv fn = seam_jget(d, call, "function");
        if (!seam_jis(fn, SEAM_JOBJECT)) continue; /* not a function call: nothing to map it to */
        seam_jpick(d, fn, names, 2, f);
        seam_jv id = str_member(d, call, "id");
        seam_jw_obj(w);
        JW_PAIR(w, "type", "tool_use");
        seam_jw_lkey(w, "id");
        if (id)
            seam_jw_value(w, d, id);
        else
            write_synthetic_tool_id(w, m, i);
        seam_jw_lkey(w, "name");
        if (seam_jis(f[0], SEAM_JSTRING))
            seam_jw_value(w, d, f[0]);
        else
            seam_jw_lstr(w, "");
        seam_jw_lkey(w, "input");
        write_input(w, d, f[1], &scratch);
        seam_jw_end(w);
        written++;
    }
    seam_buf_free(&scratch);
    return written;
}

static void write_usage(seam_jw *w, const seam__anthropic_usage *u)
{
    seam_jw_obj(w);
    seam_jw_lkey(w, "input_tokens");
    seam_jw_int(w, u->input_tokens);
    seam_jw_lkey(w, "output_tokens");
    seam_jw_int(w, u->output_tokens);
    if (u->has_cached) {
        seam_jw_lkey(w, "cache_read_input_tokens");
        seam_jw_int(w, u->cached_tokens);
    }
    seam_jw_end(w);
}

/* Choice 0: the one whose index says 0, else the first. */
static seam_jv choice_zero(const seam_jdoc *d, seam_jv choices)
{
    size_t i;
    seam_jv c;
    long index;
    seam_jarr_foreach(choices, i, c)
    {
        if (seam__anthropic_long(d, seam_jget(d, c, "index"), &index) == 0 && index == 0) return c;
    }
    return seam_jfirst(choices);
}

/* The message of a parsed chat.completion, written to w. -1 when root is
 * not one. */
static int reply(const seam_jdoc *d, const char *model, seam_jw *w, seam_buf *idbuf)
{
    enum { OBJECT, CHOICES, ID, MODEL, USAGE };
    static const char *const top[] = {"object", "choices", "id", "model", "usage"};
    static const char *const msg_names[] = {"content", "refusal", "tool_calls"};
    seam_jv root = seam_jroot(d), f[5], mf[3];
    if (!seam_jis(root, SEAM_JOBJECT)) return -1;
    seam_jpick(d, root, top, 5, f);
    if ((f[OBJECT] && !seam_jstr_eq(d, f[OBJECT], "chat.completion")) ||
        !seam_jis(f[CHOICES], SEAM_JARRAY) || !seam_jfirst(f[CHOICES]))
        return -1;
    seam_jv choice = choice_zero(d, f[CHOICES]);
    seam_jv message = seam_jget(d, choice, "message");
    if (!seam_jis(message, SEAM_JOBJECT)) return -1;
    seam_jpick(d, message, msg_names, 3, mf);
    seam_jv refusal = seam_jis(mf[1], SEAM_JSTRING) ? mf[1] : NULL;

    msg_id m;
    m.id = seam_jstr(d, f[ID], &m.len);
    m.plain = !m.id || !f[ID]->escaped;
    if (!m.plain) { /* rare: decode it */
        if (seam_jstr_decode(d, f[ID], idbuf)) return SEAM_ANTHROPIC_EOUT;
        m.id = idbuf->data, m.len = idbuf->len;
    }
    m.prefix = seam__anthropic_msg_id_split(&m.id, &m.len);

    seam_jw_obj(w);
    seam_jw_lkey(w, "id");
    seam_jw_str_begin(w);
    seam_jw_str_add_escaped(w, m.prefix, strlen(m.prefix));
    add_id_piece(w, &m, m.id, m.len);
    seam_jw_str_end(w);
    JW_PAIR(w, "type", "message");
    JW_PAIR(w, "role", "assistant");
    seam_jw_lkey(w, "model");
    if (model)
        seam_jw_cstr(w, model);
    else if (seam_jis(f[MODEL], SEAM_JSTRING))
        seam_jw_value(w, d, f[MODEL]);
    else
        seam_jw_lstr(w, "");
    seam_jw_lkey(w, "content");
    seam_jw_arr(w);
    write_text_block(w, d, mf[0]);
    write_text_block(w, d, refusal);
    size_t calls = write_tool_uses(w, d, mf[2], &m);
    seam_jw_end(w);

    const char *stop = seam__anthropic_stop_reason(d, seam_jget(d, choice, "finish_reason"));
    if (refusal && refusal->len > 2)
        stop = "refusal";
    else if (calls && !strcmp(stop, "end_turn"))
        stop = "tool_use";
    seam_jw_lkey(w, "stop_reason");
    seam_jw_str_escaped(w, stop, strlen(stop)); /* one of ours: nothing to escape */
    seam_jw_lkey(w, "stop_sequence");
    seam_jw_null(w);
    seam__anthropic_usage u;
    seam__anthropic_read_usage(d, f[USAGE], &u);
    seam_jw_lkey(w, "usage");
    write_usage(w, &u);
    seam_jw_end(w);
    return 0;
}

int seam_anthropic_response_from_openai_model(const char *p, size_t n, const char *model,
                                              seam_buf *out)
{
    seam_jdoc doc;
    seam_buf idbuf;
    seam_jw w;
    size_t mark = out->len;
    seam_buf_init(&idbuf, 4096);
    seam_jw_init(&w, out);
    int rc = seam_jdoc_parse(&doc, p, n, NULL) ? -1 : reply(&doc, model, &w, &idbuf);
    if (!rc && seam_jw_error(&w)) rc = SEAM_ANTHROPIC_EOUT;
    if (rc) seam__anthropic_buf_truncate(out, mark);
    seam_buf_free(&idbuf);
    seam_jdoc_free(&doc);
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

/* The error object; message is text, or (escaped) a JSON string body. */
static int error_json(seam_buf *out, int status, const char *message, size_t len, int escaped)
{
    size_t mark = out->len;
    seam_jw w;
    seam_jw_init(&w, out);
    seam_jw_obj(&w);
    JW_PAIR(&w, "type", "error");
    seam_jw_lkey(&w, "error");
    seam_jw_obj(&w);
    seam_jw_lkey(&w, "type");
    seam_jw_cstr(&w, seam_anthropic_error_type(status));
    seam_jw_lkey(&w, "message");
    if (escaped)
        seam_jw_str_escaped(&w, message, len);
    else
        seam_jw_str(&w, message, len);
    seam_jw_end(&w);
    seam_jw_end(&w);
    if (seam_jw_error(&w)) {
        seam__anthropic_buf_truncate(out, mark);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

int seam_anthropic_error_json(seam_buf *out, int status, const char *message)
{
    if (!message) message = "";
    return error_json(out, status, message, strlen(message), 0);
}

int seam__anthropic_error_escaped(seam_buf *out, int status, const char *body, size_t len)
{
    return error_json(out, status, body, len, 1);
}

/* The message of an OpenAI-format error body (a non-empty string), or NULL. */
static seam_jv openai_error_message(const seam_jdoc *d)
{
    static const char *const names[] = {"error", "message", "detail"};
    seam_jv f[3];
    seam_jpick(d, seam_jroot(d), names, 3, f);
    seam_jv m = f[0]; /* {"error":"text"} */
    if (!seam_jis(m, SEAM_JSTRING) || m->len == 2) {
        m = str_member(d, f[0], "message");                     /* OpenAI */
        if (!m) m = seam_jis(f[1], SEAM_JSTRING) ? f[1] : NULL; /* vLLM, TGI */
        if (!m) m = seam_jis(f[2], SEAM_JSTRING) ? f[2] : NULL; /* FastAPI servers */
    }
    return m && m->len > 2 ? m : NULL;
}

int seam_anthropic_error_from_openai(int status, const char *p, size_t n, seam_buf *out)
{
    seam_jdoc doc = {0};
    seam_jv m = p && seam_jdoc_parse(&doc, p, n, NULL) == 0 ? openai_error_message(&doc) : NULL;
    int rc;
    if (m) {
        size_t len;
        const char *body = seam_jstr(&doc, m, &len);
        rc = error_json(out, status, body, len, 1);
    } else {
        char msg[64];
        snprintf(msg, sizeof msg, "upstream returned HTTP %d", status);
        rc = error_json(out, status, msg, strlen(msg), 0);
    }
    seam_jdoc_free(&doc);
    return rc;
}
