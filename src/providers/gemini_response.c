/* gemini_response.c — Gemini's answers, streams and errors in OpenAI's format.
 *
 * The answer side of the "gemini" provider; gemini.c builds the requests
 * and its header comment says what maps to what.  Each answer, and each
 * stream event, is parsed once into a seam_jdoc and OpenAI's JSON is
 * written straight into the output with seam_jw: texts, signatures, numbers
 * and tool arguments are copied as Gemini wrote them, still escaped.  Only
 * short strings that decide something are decoded: finish reasons, error
 * statuses and reasons, a responseId checked before it becomes the id. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_doc.h"
#include "api/json_write.h"
#include "api/openai_out.h"
#include "api/openai_error.h"
#include "providers/gemini_xlate.h"

void seam_gemini_state_free(void *state)
{
    gemini_state *st = state;
    if (st->sse_ready) seam_sse_reader_free(&st->sse);
    st->sse_ready = 0;
}

/* ---- small helpers ---- */

/* Decodes string v into buf[0..cap) (NUL-terminated).  Returns its length,
 * or -1 when v is not a string or does not fit. */
static long small_text(const seam_jdoc *d, seam_jv v, char *buf, size_t cap)
{
    size_t n;
    const char *body = seam_jstr(d, v, &n);
    if (!body) return -1;
    if (!v->escaped) {
        if (n >= cap) return -1;
        memcpy(buf, body, n);
        buf[n] = '\0';
        return (long)n;
    }
    return seam_json_unescape(body, n, buf, cap);
}

/* A token count: a non-negative number, or an int64 as proto JSON writes
 * it, a string; anything else counts 0. */
static long long count_of(const seam_jdoc *d, seam_jv obj, const char *key)
{
    seam_jv v = seam_jget(d, obj, key);
    long long n;
    double f;
    if (seam_jint(d, v, &n) == 0) return n > 0 ? n : 0;
    if (seam_jnum(d, v, &f) == 0) return f >= 9.2e18 ? LLONG_MAX : f > 0 ? (long long)f : 0;
    if (!seam_jis(v, SEAM_JSTRING)) return 0;
    if (!v->escaped) return strtoll(seam_jraw(d, v) + 1, NULL, 10); /* stops at the quote */
    char buf[64];
    return small_text(d, v, buf, sizeof buf) < 0 ? 0 : strtoll(buf, NULL, 10);
}

/* OpenAI's counts from a usageMetadata (see gemini.c's header). */
static gemini_usage usage_of(const seam_jdoc *d, seam_jv um)
{
    gemini_usage u;
    u.prompt = seam_oai_add(count_of(d, um, "promptTokenCount"),
                            count_of(d, um, "toolUsePromptTokenCount"));
    u.reasoning = count_of(d, um, "thoughtsTokenCount");
    u.completion = seam_oai_add(count_of(d, um, "candidatesTokenCount"), u.reasoning);
    u.total = seam_jget(d, um, "totalTokenCount") ? count_of(d, um, "totalTokenCount")
                                                  : seam_oai_add(u.prompt, u.completion);
    u.cached = count_of(d, um, "cachedContentTokenCount");
    return u;
}

static void put_usage(seam_jw *w, const gemini_usage *u)
{
    seam_jw_lkey(w, "usage");
    seam_jw_obj(w);
    seam_jw_lkey(w, "prompt_tokens");
    seam_jw_int(w, u->prompt);
    seam_jw_lkey(w, "completion_tokens");
    seam_jw_int(w, u->completion);
    seam_jw_lkey(w, "total_tokens");
    seam_jw_int(w, u->total);
    seam_jw_lkey(w, "prompt_tokens_details");
    seam_jw_obj(w);
    seam_jw_lkey(w, "cached_tokens");
    seam_jw_int(w, u->cached);
    seam_jw_end(w);
    seam_jw_lkey(w, "completion_tokens_details");
    seam_jw_obj(w);
    seam_jw_lkey(w, "reasoning_tokens");
    seam_jw_int(w, u->reasoning);
    seam_jw_end(w);
    seam_jw_end(w);
}

static const char *finish_reason(const seam_jdoc *d, seam_jv r, int has_calls)
{
    static const char *const filtered[] = {"SAFETY",
                                           "RECITATION",
                                           "BLOCKLIST",
                                           "PROHIBITED_CONTENT",
                                           "SPII",
                                           "IMAGE_SAFETY",
                                           "IMAGE_PROHIBITED_CONTENT"};
    if (seam_jstr_eq(d, r, "MAX_TOKENS")) return "length";
    for (size_t i = 0; i < sizeof filtered / sizeof filtered[0]; i++)
        if (seam_jstr_eq(d, r, filtered[i])) return "content_filter";
    return has_calls ? "tool_calls" : "stop";
}

/* Takes the responseId for the OpenAI id when it is plain enough to print. */
static void take_response_id(gemini_state *st, const seam_jdoc *d, seam_jv root)
{
    seam_jv rid = seam_jget(d, root, "responseId");
    if (st->have_response_id || !seam_jis(rid, SEAM_JSTRING)) return;
    char s[sizeof st->id - 9];
    long n = small_text(d, rid, s, sizeof s);
    if (n <= 0 ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != (size_t)n)
        return;
    memcpy(st->id, "chatcmpl-", 9);
    memcpy(st->id + 9, s, (size_t)n + 1);
    st->have_response_id = 1;
}

/* Is this a part the client should see as text (not a thought summary)? */
static seam_jv visible_text(const seam_jdoc *d, seam_jv part)
{
    seam_jv t = seam_jget(d, part, "text");
    return seam_jis(t, SEAM_JSTRING) && !seam_jis(seam_jget(d, part, "thought"), SEAM_JTRUE) ? t
                                                                                             : NULL;
}

static int is_call(const seam_jdoc *d, seam_jv part)
{
    return seam_jis(seam_jget(d, part, "functionCall"), SEAM_JOBJECT);
}

/* The visible texts of parts joined into one string, still escaped. */
static void put_joined_text(seam_jw *w, const seam_jdoc *d, seam_jv parts)
{
    size_t j, n;
    seam_jv part;
    seam_jw_str_begin(w);
    seam_jarr_foreach(parts, j, part)
    {
        seam_jv t = visible_text(d, part);
        const char *s = seam_jstr(d, t, &n);
        if (s) seam_jw_str_add_escaped(w, s, n);
    }
    seam_jw_str_end(w);
}

/* "call_<k>_<name>": Gemini has no call ids, and a tool result finds its
 * function again by the name inside (gemini.c's call_name).  Kept within 95
 * bytes, cut at a character boundary. */
static void put_call_id(seam_jw *w, const seam_jdoc *d, seam_jv name, int k)
{
    char head[32] = "call_";
    size_t hn = 5;
    char digits[12];
    int nd = 0;
    unsigned u = (unsigned)k;
    do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (nd)
        head[hn++] = digits[--nd];
    head[hn++] = '_';
    size_t room = 95 - hn, n;
    const char *body = seam_jstr(d, name, &n);
    seam_jw_str_begin(w);
    seam_jw_str_add(w, head, hn);
    if (body && !name->escaped && n <= room) {
        seam_jw_str_add_escaped(w, body, n);
    } else if (body) {
        seam_buf dec;
        seam_buf_init(&dec, n + 1);
        if (seam_jstr_decode(d, name, &dec) == 0) {
            size_t cut = dec.len < room ? dec.len : room;
            while (cut < dec.len && cut && ((unsigned char)dec.data[cut] & 0xc0) == 0x80)
                cut--;
            seam_jw_str_add(w, dec.data, cut);
        }
        seam_buf_free(&dec);
    }
    seam_jw_str_end(w);
}

/* One tool call; index >= 0 adds the stream's "index". */
static void put_tool_call(seam_jw *w, const seam_jdoc *d, seam_jv part, int k, int index)
{
    seam_jv fc = seam_jget(d, part, "functionCall");
    seam_jv name = seam_jget(d, fc, "name");
    seam_jv args = seam_jget(d, fc, "args");
    seam_jw_obj(w);
    if (index >= 0) {
        seam_jw_lkey(w, "index");
        seam_jw_int(w, index);
    }
    seam_jw_lkey(w, "id");
    put_call_id(w, d, name, k);
    seam_jw_lkey(w, "type");
    seam_jw_lstr(w, "function");
    seam_jw_lkey(w, "function");
    seam_jw_obj(w);
    seam_jw_lkey(w, "name");
    if (seam_jis(name, SEAM_JSTRING))
        seam_jw_value(w, d, name);
    else
        seam_jw_lstr(w, "");
    seam_jw_lkey(w, "arguments");
    if (seam_jis(args, SEAM_JOBJECT))
        seam_jw_json_as_str(w, seam_jraw(d, args), args->len);
    else
        seam_jw_lstr(w, "{}");
    seam_jw_end(w);
    seam_jv sig = seam_jget(d, part, "thoughtSignature");
    if (seam_jis(sig, SEAM_JSTRING)) {
        seam_jw_lkey(w, "extra_content");
        seam_jw_obj(w);
        seam_jw_lkey(w, "google");
        seam_jw_obj(w);
        seam_jw_lkey(w, "thought_signature");
        seam_jw_value(w, d, sig);
        seam_jw_end(w);
        seam_jw_end(w);
    }
    seam_jw_end(w);
}

static int candidate_index(const seam_jdoc *d, seam_jv cand, size_t pos)
{
    long long i;
    return seam_jint(d, seam_jget(d, cand, "index"), &i) == 0 ? (int)i : (int)pos;
}

static seam_jv parts_of(const seam_jdoc *d, seam_jv cand)
{
    return seam_jget(d, seam_jget(d, cand, "content"), "parts");
}

static int arr_empty(seam_jv v)
{
    return !seam_jis(v, SEAM_JARRAY) || !seam_jfirst(v);
}

/* ---- whole answers ---- */

static void put_choice(seam_jw *w, const seam_jdoc *d, seam_jv cand, size_t pos)
{
    seam_jv parts = parts_of(d, cand);
    size_t j;
    seam_jv part;
    int ntext = 0, ncalls = 0;
    seam_jarr_foreach(parts, j, part)
    {
        ntext += visible_text(d, part) != NULL;
        ncalls += is_call(d, part);
    }
    seam_oai_message_open(w, candidate_index(d, cand, pos));
    if (ntext)
        put_joined_text(w, d, parts);
    else if (ncalls)
        seam_jw_null(w);
    else
        seam_jw_lstr(w, "");
    seam_jw_lkey(w, "refusal");
    seam_jw_null(w);
    if (ncalls) {
        int k = 0;
        seam_jw_lkey(w, "tool_calls");
        seam_jw_arr(w);
        seam_jarr_foreach(parts, j, part)
        {
            if (is_call(d, part)) put_tool_call(w, d, part, k++, -1);
        }
        seam_jw_end(w);
    }
    seam_jw_end(w);
    seam_jw_lkey(w, "logprobs");
    seam_jw_null(w);
    seam_jw_lkey(w, "finish_reason");
    seam_jw_cstr(w, finish_reason(d, seam_jget(d, cand, "finishReason"), ncalls > 0));
    seam_jw_end(w);
}

/* An answer or chunk up to the open choices array: id, object, created, model. */
static void open_answer(seam_jw *w, const gemini_state *st, const seam_call_req *req,
                        const char *object)
{
    seam_jw_obj(w);
    seam_oai_head(w, st->id, object, st->created, req->model);
    seam_jw_lkey(w, "choices");
    seam_jw_arr(w);
}

static int chat_response(gemini_state *st, const seam_call_req *req, const seam_jdoc *d,
                         seam_jv root, seam_jw *w)
{
    take_response_id(st, d, root);
    open_answer(w, st, req, "chat.completion");
    seam_jv cands = seam_jget(d, root, "candidates");
    size_t i;
    seam_jv cand;
    seam_jarr_foreach(cands, i, cand)
    {
        put_choice(w, d, cand, i);
    }
    if (arr_empty(cands)) {
        /* the prompt itself was blocked (promptFeedback.blockReason) */
        int blocked = seam_jis(seam_jget(d, seam_jget(d, root, "promptFeedback"), "blockReason"),
                               SEAM_JSTRING);
        seam_oai_message_open(w, 0);
        seam_jw_null(w);
        seam_jw_lkey(w, "refusal");
        seam_jw_null(w);
        seam_jw_end(w);
        seam_jw_lkey(w, "logprobs");
        seam_jw_null(w);
        seam_jw_lkey(w, "finish_reason");
        seam_jw_cstr(w, blocked ? "content_filter" : "stop");
        seam_jw_end(w);
    }
    seam_jw_end(w);
    seam_jv um = seam_jget(d, root, "usageMetadata");
    if (seam_jis(um, SEAM_JOBJECT)) {
        gemini_usage u = usage_of(d, um);
        put_usage(w, &u);
    }
    seam_jw_end(w);
    return 0;
}

/* A float32 vector as OpenAI's base64 (little-endian floats). */
static void put_base64_floats(seam_jw *w, const seam_jdoc *d, seam_jv values)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[256]; /* flushed in pieces: base64 needs no escaping */
    size_t on = 0, i, have = 0;
    unsigned char tri[3];
    seam_jv v;
    seam_jw_str_begin(w);
    seam_jarr_foreach(values, i, v)
    {
        double x = 0; /* a value that is not a number counts 0 */
        seam_jnum(d, v, &x);
        float f = (float)x;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        for (int k = 0; k < 4; k++) {
            tri[have++] = (unsigned char)(bits >> (8 * k));
            if (have < 3) continue;
            out[on++] = b64[tri[0] >> 2];
            out[on++] = b64[((tri[0] & 3) << 4) | (tri[1] >> 4)];
            out[on++] = b64[((tri[1] & 15) << 2) | (tri[2] >> 6)];
            out[on++] = b64[tri[2] & 63];
            have = 0;
            if (on > sizeof out - 4) {
                seam_jw_str_add_escaped(w, out, on);
                on = 0;
            }
        }
    }
    if (have) {
        if (have == 1) tri[1] = 0;
        out[on++] = b64[tri[0] >> 2];
        out[on++] = b64[((tri[0] & 3) << 4) | (tri[1] >> 4)];
        out[on++] = have == 2 ? b64[(tri[1] & 15) << 2] : '=';
        out[on++] = '=';
    }
    seam_jw_str_add_escaped(w, out, on);
    seam_jw_str_end(w);
}

static int embeddings_response(gemini_state *st, const seam_call_req *req, const seam_jdoc *d,
                               seam_jv root, seam_jw *w)
{
    seam_jv embs = seam_jget(d, root, "embeddings");
    if (!seam_jis(embs, SEAM_JARRAY) || seam_jcount(embs) != st->ninputs) return -1;
    seam_jw_obj(w);
    seam_jw_lkey(w, "object");
    seam_jw_lstr(w, "list");
    seam_jw_lkey(w, "data");
    seam_jw_arr(w);
    size_t i, j;
    seam_jv e, v;
    seam_jarr_foreach(embs, i, e)
    {
        seam_jv values = seam_jget(d, e, "values");
        if (!seam_jis(values, SEAM_JARRAY)) return -1;
        seam_jw_obj(w);
        seam_jw_lkey(w, "object");
        seam_jw_lstr(w, "embedding");
        seam_jw_lkey(w, "index");
        seam_jw_int(w, (long long)i);
        seam_jw_lkey(w, "embedding");
        if (st->base64) {
            put_base64_floats(w, d, values);
        } else {
            seam_jw_arr(w);
            seam_jarr_foreach(values, j, v)
            {
                if (!seam_jis(v, SEAM_JNUMBER)) return -1;
                seam_jw_value(w, d, v); /* as Gemini wrote it */
            }
            seam_jw_end(w);
        }
        seam_jw_end(w);
    }
    seam_jw_end(w);
    /* batchEmbedContents reports no token counts: 0 says "the vendor sent none"
     * rather than a guess; a usageMetadata, should one appear, is used. */
    long long tokens = count_of(d, seam_jget(d, root, "usageMetadata"), "promptTokenCount");
    seam_jw_lkey(w, "model");
    seam_jw_cstr(w, req->model);
    seam_jw_lkey(w, "usage");
    seam_jw_obj(w);
    seam_jw_lkey(w, "prompt_tokens");
    seam_jw_int(w, tokens);
    seam_jw_lkey(w, "total_tokens");
    seam_jw_int(w, tokens);
    seam_jw_end(w);
    seam_jw_end(w);
    return 0;
}

int seam_gemini_response(void *state, const seam_call_req *req, const char *p, size_t n,
                         seam_buf *out, seam_usage *usage)
{
    seam_jdoc d;
    int rc = -1;
    if (seam_jdoc_parse(&d, p, n, NULL) == 0 && seam_jis(seam_jroot(&d), SEAM_JOBJECT)) {
        seam_jw w;
        seam_jw_init(&w, out);
        rc = req->op == SEAM_OP_EMBEDDINGS ? embeddings_response(state, req, &d, seam_jroot(&d), &w)
                                           : chat_response(state, req, &d, seam_jroot(&d), &w);
        if (seam_jw_error(&w)) rc = -1;
    }
    seam_jdoc_free(&d);
    return rc;
}

/* ---- errors ---- */

/* ASCII upper case to lower, up to the NUL. */
static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s + 32);
}

/* The string v decoded, cut to cap - 1 bytes, lower-cased. */
static void lower_copy(const seam_jdoc *d, seam_jv v, char *out, size_t cap)
{
    seam_buf dec;
    seam_buf_init(&dec, v->len);
    size_t n = 0;
    if (seam_jstr_decode(d, v, &dec) == 0) {
        n = dec.len < cap - 1 ? dec.len : cap - 1;
        memcpy(out, dec.data ? dec.data : "", n);
    }
    out[n] = '\0';
    seam_buf_free(&dec);
    lower(out);
}

/* Gemini's {"error":{"code","message","status","details"}} -> OpenAI's. */
static void put_error(seam_jw *w, const seam_jdoc *d, int status, seam_jv err)
{
    seam_jv msg = seam_jget(d, err, "message");
    seam_jv st = seam_jget(d, err, "status");
    char type[64];
    /* google.rpc.ErrorInfo's reason (e.g. API_KEY_INVALID) is the most specific code */
    seam_jv reason = NULL, det;
    size_t i;
    seam_jarr_foreach(seam_jget(d, err, "details"), i, det)
    {
        seam_jv r = seam_jget(d, det, "reason");
        if (seam_jis(r, SEAM_JSTRING)) reason = r;
    }
    seam_jw_obj(w);
    seam_jw_lkey(w, "error");
    seam_jw_obj(w);
    seam_jw_lkey(w, "message");
    if (seam_jis(msg, SEAM_JSTRING))
        seam_jw_value(w, d, msg);
    else
        seam_jw_lstr(w, "the provider reported an error without a message");
    seam_jw_lkey(w, "type");
    if (small_text(d, st, type, sizeof type) >= 0) { /* a status that fits */
        lower(type);
        seam_jw_cstr(w, type);
    } else {
        seam_jw_cstr(w, seam_openai_error_type(status));
    }
    seam_jw_lkey(w, "param");
    seam_jw_null(w);
    seam_jw_lkey(w, "code");
    if (reason) {
        char code[64];
        lower_copy(d, reason, code, sizeof code);
        seam_jw_cstr(w, code);
    } else {
        seam_jw_null(w);
    }
    seam_jw_end(w);
    seam_jw_end(w);
}

int seam_gemini_error(int status, const char *p, size_t n, seam_buf *out)
{
    seam_jdoc d;
    seam_jv err = NULL;
    if (seam_jdoc_parse(&d, p, n, NULL) == 0) {
        seam_jv root = seam_jroot(&d);
        err = seam_jget(&d, root, "error");
        /* a list of one response is what streamGenerateContent without SSE sends */
        if (!err && seam_jis(root, SEAM_JARRAY)) err = seam_jget(&d, seam_jfirst(root), "error");
    }
    int rc;
    if (seam_jis(err, SEAM_JOBJECT)) {
        seam_jw w;
        seam_jw_init(&w, out);
        put_error(&w, &d, status, err);
        rc = seam_jw_error(&w);
    } else {
        char msg[160];
        snprintf(msg, sizeof msg, "the provider answered HTTP %d without a Gemini error body",
                 status);
        rc = seam_openai_error_json(out, status, "upstream_error", msg);
    }
    seam_jdoc_free(&d);
    return rc ? -1 : 0;
}

/* ---- streams ---- */

typedef struct stream_ctx {
    gemini_state *st;
    const seam_call_req *req;
    seam_jw w; /* between events at depth 0, where raw SSE framing goes */
} stream_ctx;

/* "data: " and a chunk up to its choice's open delta, the role first of all. */
static void chunk_open(stream_ctx *c, int index)
{
    seam_jw *w = &c->w;
    gemini_choice *cs = &c->st->choice[index];
    seam_jw_raw(w, "data: ", 6);
    open_answer(w, c->st, c->req, "chat.completion.chunk");
    seam_jw_obj(w);
    seam_jw_lkey(w, "index");
    seam_jw_int(w, index);
    seam_jw_lkey(w, "delta");
    seam_jw_obj(w);
    if (!cs->started) {
        seam_jw_lkey(w, "role");
        seam_jw_lstr(w, "assistant");
        cs->started = 1;
    }
}

static void chunk_close(stream_ctx *c, const char *finish)
{
    seam_jw *w = &c->w;
    seam_jw_end(w); /* delta */
    seam_jw_lkey(w, "logprobs");
    seam_jw_null(w);
    seam_jw_lkey(w, "finish_reason");
    if (finish)
        seam_jw_cstr(w, finish);
    else
        seam_jw_null(w);
    seam_jw_end(w);
    seam_jw_end(w);
    seam_jw_end(w);
    seam_jw_raw(w, "\n\n", 2);
}

static int stream_candidate(stream_ctx *c, const seam_jdoc *d, seam_jv cand, size_t pos)
{
    int index = candidate_index(d, cand, pos);
    if (index < 0 || index >= GEMINI_MAX_CANDIDATES) return -1;
    gemini_choice *cs = &c->st->choice[index];
    if (cs->finished) return 0; /* nothing may follow a finish_reason */
    seam_jv parts = parts_of(d, cand);
    size_t j;
    seam_jv part;
    int ntext = 0, ncalls = 0;
    seam_jarr_foreach(parts, j, part)
    {
        seam_jv t = visible_text(d, part);
        ntext += t && t->len > 2;
        ncalls += is_call(d, part);
    }
    seam_jw *w = &c->w;
    if (ntext || ncalls) {
        chunk_open(c, index);
        seam_jw_lkey(w, "content");
        if (ntext)
            put_joined_text(w, d, parts);
        else
            seam_jw_null(w);
        if (ncalls) {
            seam_jw_lkey(w, "tool_calls");
            seam_jw_arr(w);
            seam_jarr_foreach(parts, j, part)
            {
                if (!is_call(d, part)) continue;
                put_tool_call(w, d, part, cs->ncalls, cs->ncalls);
                cs->ncalls++;
            }
            seam_jw_end(w);
        }
        chunk_close(c, NULL);
    }
    seam_jv fr = seam_jget(d, cand, "finishReason");
    if (seam_jis(fr, SEAM_JSTRING)) {
        chunk_open(c, index);
        chunk_close(c, finish_reason(d, fr, cs->ncalls > 0));
        cs->finished = 1;
    }
    return 0;
}

/* One event of streamGenerateContent: 0, or 1 when it is not one. */
static int stream_event(stream_ctx *c, const seam_jdoc *d, seam_jv root)
{
    gemini_state *st = c->st;
    seam_jv err = seam_jget(d, root, "error");
    if (seam_jis(err, SEAM_JOBJECT)) {
        long long code;
        int status = seam_jint(d, seam_jget(d, err, "code"), &code) == 0 ? (int)code : 500;
        seam_jw_raw(&c->w, "data: ", 6);
        put_error(&c->w, d, status, err);
        seam_jw_raw(&c->w, "\n\n", 2);
        st->failed = 1;
        return 0;
    }
    take_response_id(st, d, root);
    seam_jv um = seam_jget(d, root, "usageMetadata");
    if (seam_jis(um, SEAM_JOBJECT)) {
        st->usage = usage_of(d, um);
        st->have_usage = 1;
    }
    seam_jv cands = seam_jget(d, root, "candidates");
    size_t i;
    seam_jv cand;
    seam_jarr_foreach(cands, i, cand)
    {
        if (stream_candidate(c, d, cand, i)) return 1;
    }
    seam_jv block = seam_jget(d, seam_jget(d, root, "promptFeedback"), "blockReason");
    if (arr_empty(cands) && seam_jis(block, SEAM_JSTRING) && !st->choice[0].finished) {
        chunk_open(c, 0);
        chunk_close(c, "content_filter");
        st->choice[0].finished = 1;
    }
    return 0;
}

static int on_event(void *ud, const seam_sse_event *ev)
{
    stream_ctx *c = ud;
    if (!ev->data || c->st->failed) return 0;
    seam_jdoc d;
    int rc = 1; /* not what streamGenerateContent sends */
    if (seam_jdoc_parse(&d, ev->data, ev->data_len, NULL) == 0 &&
        seam_jis(seam_jroot(&d), SEAM_JOBJECT))
        rc = stream_event(c, &d, seam_jroot(&d));
    seam_jdoc_free(&d);
    return rc ? rc : seam_jw_error(&c->w) ? 1 : 0;
}

int seam_gemini_stream(void *state, const seam_call_req *req, const char *p, size_t n,
                       seam_buf *out)
{
    stream_ctx c = {.st = state, .req = req};
    seam_jw_init(&c.w, out);
    return seam_sse_feed(&c.st->sse, p, n, on_event, &c) ? -1 : 0;
}

int seam_gemini_stream_end(void *state, const seam_call_req *req, seam_buf *out)
{
    gemini_state *st = state;
    stream_ctx c = {.st = st, .req = req};
    seam_jw *w = &c.w;
    seam_jw_init(w, out);
    if (seam_sse_finish(&st->sse, on_event, &c) != 0 || st->failed) return -1;
    int finished = 0;
    for (int i = 0; i < GEMINI_MAX_CANDIDATES; i++) {
        if (st->choice[i].started && !st->choice[i].finished) return -1; /* cut short */
        finished |= st->choice[i].finished;
    }
    if (!finished) return -1;
    if (st->include_usage && st->have_usage) {
        seam_jw_raw(w, "data: ", 6);
        open_answer(w, st, req, "chat.completion.chunk");
        seam_jw_end(w);
        put_usage(w, &st->usage);
        seam_jw_end(w);
        seam_jw_raw(w, "\n\n", 2);
    }
    seam_jw_raw(w, "data: [DONE]\n\n", 14);
    return seam_jw_error(w) ? -1 : 0;
}
