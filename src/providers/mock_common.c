/* mock_common.c — the rules every mock wire shares; see mock_common.h.
 * Taken from the OpenAI wire (mock_reply.c), whose outputs the tests pin. */
#include "providers/mock_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT_DELTAS  256 /* text events per reply; beyond, words share one */
#define MAX_ARG_PIECES   64  /* argument events per tool call */
#define ARG_PIECE_TARGET 16  /* bytes of arguments per event, before the caps */
#define SCHEMA_DEPTH     6   /* nesting followed when building tool arguments */

/* ---- hashing, randomness, counting ---- */

uint64_t seam_mock_fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t seam_mock_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

size_t seam_mock_utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80) c++;
    return c;
}

size_t seam_mock_utf8_prefix(const char *s, size_t n, size_t chars)
{
    size_t i = 0;
    while (i < n && chars) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

size_t seam_mock_tokens_for(size_t chars)
{
    size_t t = (chars + 3) / 4;
    return t ? t : 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

size_t seam_mock_count_words(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]) && (i == 0 || is_space(s[i - 1]))) w++;
    return w;
}

int seam_mock_str_eq(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Newton's square root: deterministic everywhere and keeps libm out of the link. */
static double root2(double x)
{
    if (x <= 0) return 0;
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 64; i++) {
        double next = 0.5 * (r + x / r);
        if (next >= r) break;
        r = next;
    }
    return r;
}

/* ---- writing ---- */

seam_mock_out seam_mock_out_plan(seam_mock_plan *p)
{
    seam_mock_out o = {&p->body, 0, p, 0};
    return o;
}

void seam_mock_put(seam_mock_out *o, const char *s, size_t n)
{
    if (!o->err) o->err = seam_buf_append(o->b, s, n);
}

void seam_mock_put_s(seam_mock_out *o, const char *s)
{
    seam_mock_put(o, s, strlen(s));
}

void seam_mock_put_u(seam_mock_out *o, unsigned long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", v);
    seam_mock_put(o, tmp, (size_t)n);
}

void seam_mock_put_hex(seam_mock_out *o, uint64_t v)
{
    char tmp[20];
    int n = snprintf(tmp, sizeof tmp, "%016llx", (unsigned long long)v);
    seam_mock_put(o, tmp, (size_t)n);
}

void seam_mock_put_str(seam_mock_out *o, const char *s, size_t n)
{
    seam_mock_put(o, "\"", 1);
    if (!o->err) o->err = seam_buf_append_json_str(o->b, s, n);
    seam_mock_put(o, "\"", 1);
}

void seam_mock_put_floats(seam_mock_out *o, const float *v, size_t dims)
{
    for (size_t j = 0; j < dims; j++) {
        char num[32];
        int k = snprintf(num, sizeof num, j ? ",%.9g" : "%.9g", (double)v[j]);
        seam_mock_put(o, num, (size_t)k);
    }
}

void seam_mock_event_end(seam_mock_out *o)
{
    if (o->err) return;
    seam_mock_plan *p = o->p;
    if (p->nevents == o->cap) {
        size_t ncap = o->cap ? o->cap * 2 : 16;
        size_t *e = realloc(p->event_ends, ncap * sizeof *e);
        if (!e) {
            o->err = SEAM_BUF_NOMEM;
            return;
        }
        p->event_ends = e;
        o->cap = ncap;
    }
    p->event_ends[p->nevents++] = p->body.len;
}

void seam_mock_sse_end(seam_mock_out *o)
{
    seam_mock_put(o, "\n\n", 2);
    seam_mock_event_end(o);
}

void seam_mock_plan_init(seam_mock_plan *p)
{
    memset(p, 0, sizeof *p);
    p->status = 200;
    p->fault = SEAM_MOCK_OK;
    seam_buf_init(&p->body, SEAM_MOCK_MAX_REPLY);
}

void seam_mock_plan_stall(seam_mock_plan *p)
{
    if (p->fault == SEAM_MOCK_STALL)
        p->stall_after = p->nevents < SEAM_MOCK_STALL_AFTER ? p->nevents : SEAM_MOCK_STALL_AFTER;
}

/* ---- faults ---- */

int seam_mock_fault_directive(const char *s, size_t n)
{
    static const char *const tags[] = {"[[mock:429]]",   "[[mock:500]]",   "[[mock:503]]",
                                       "[[mock:reset]]", "[[mock:stall]]", "[[mock:slow]]"};
    if (!n || !memmem(s, n, "[[mock:", 7)) return -1;
    for (int i = 0; i < 6; i++)
        if (memmem(s, n, tags[i], strlen(tags[i]))) return i;
    return -1;
}

int seam_mock_fault_roll(seam_mock_opts *o)
{
    if (!o || !(o->fail_rate > 0)) return -1;
    double u = (double)(xorshift(&o->rng) >> 11) * (1.0 / 9007199254740992.0);
    if (u >= o->fail_rate) return -1;
    return (int)(xorshift(&o->rng) % (o->slow_ms > 0 ? 6 : 5));
}

int seam_mock_fault_bodiless(seam_mock_plan *p, int f)
{
    if (f == 3) {
        p->fault = SEAM_MOCK_RESET;
        p->status = 0;
        return 1;
    }
    if (f == 4) p->fault = SEAM_MOCK_STALL;
    if (f == 5) p->fault = SEAM_MOCK_SLOW;
    return 0;
}

/* ---- what the reply says ---- */

size_t seam_mock_reply_text(const seam_mock_opts *o, int echo_ok, const seam_buf *user,
                            char *sentence, const char **text)
{
    if (o && o->echo && echo_ok) {
        *text = user->data ? user->data : "";
        return user->len;
    }
    int k = snprintf(sentence, SEAM_MOCK_SENTENCE_MAX,
                     "This is a mock reply from seam to a message of %zu words.",
                     seam_mock_count_words(user->data, user->len));
    *text = sentence;
    return (size_t)k;
}

size_t seam_mock_cut_text(const char *text, size_t *len, size_t max_tokens, int *cut)
{
    size_t chars = seam_mock_utf8_chars(text, *len);
    *cut = max_tokens && chars > max_tokens * 4;
    if (*cut) {
        *len = seam_mock_utf8_prefix(text, *len, max_tokens * 4);
        chars = max_tokens * 4;
    }
    return seam_mock_tokens_for(chars);
}

/* A value that fits schema s; NULL when out of memory. */
static json_t *sample_value(json_t *s, const seam_buf *user, int depth)
{
    json_t *en = json_object_get(s, "enum");
    if (json_is_array(en) && json_array_size(en)) return json_deep_copy(json_array_get(en, 0));
    json_t *type = json_object_get(s, "type");
    if (json_is_array(type)) { /* ["string", "null"]: the first that is not null */
        size_t i;
        json_t *t, *pick = NULL;
        json_array_foreach(type, i, t)
        {
            if (!seam_mock_str_eq(t, "null")) {
                pick = t;
                break;
            }
        }
        type = pick;
    }
    json_t *props = json_object_get(s, "properties");
    if (depth < SCHEMA_DEPTH &&
        (seam_mock_str_eq(type, "object") || (!type && json_is_object(props)))) {
        json_t *obj = json_object();
        const char *key;
        json_t *sub;
        if (!obj) return NULL;
        json_object_foreach(props, key, sub)
        {
            json_t *v = sample_value(sub, user, depth + 1);
            if (!v || json_object_set_new(obj, key, v)) {
                json_decref(obj);
                return NULL;
            }
        }
        return obj;
    }
    if (seam_mock_str_eq(type, "object")) return json_object();
    if (seam_mock_str_eq(type, "array")) {
        json_t *arr = json_array();
        json_t *items = json_object_get(s, "items");
        if (arr && depth < SCHEMA_DEPTH && json_is_object(items)) {
            json_t *v = sample_value(items, user, depth + 1);
            if (!v || json_array_append_new(arr, v)) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    if (seam_mock_str_eq(type, "integer") || seam_mock_str_eq(type, "number"))
        return json_integer(1);
    if (seam_mock_str_eq(type, "boolean")) return json_true();
    if (seam_mock_str_eq(type, "null")) return json_null();
    if (user->len) return json_stringn(user->data, user->len);
    return json_string("mock");
}

json_t *seam_mock_tool_input(json_t *schema, const seam_buf *user)
{
    json_t *v = sample_value(schema, user, 0);
    if (v && !json_is_object(v)) { /* arguments are always an object */
        json_decref(v);
        v = json_object();
    }
    return v;
}

size_t seam_mock_call_tokens(json_t *name, const char *args, size_t len)
{
    return seam_mock_tokens_for(
        seam_mock_utf8_chars(json_string_value(name), json_string_length(name)) +
        seam_mock_utf8_chars(args, len));
}

/* ---- stream pieces ---- */

size_t seam_mock_text_piece_end(const char *s, size_t n, size_t pos, size_t words)
{
    size_t i = pos;
    while (i < n && words--) {
        while (i < n && is_space(s[i]))
            i++;
        while (i < n && !is_space(s[i]))
            i++;
    }
    return i;
}

size_t seam_mock_words_per_delta(const char *s, size_t n)
{
    size_t words = seam_mock_count_words(s, n);
    size_t per = (words + MAX_TEXT_DELTAS - 1) / MAX_TEXT_DELTAS;
    return per ? per : 1;
}

size_t seam_mock_arg_piece_end(const char *s, size_t n, size_t pos, size_t size)
{
    size_t i = pos + size < n ? pos + size : n;
    while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
        i++;
    return i;
}

size_t seam_mock_arg_piece_size(size_t len)
{
    size_t want = (len + ARG_PIECE_TARGET - 1) / ARG_PIECE_TARGET;
    if (want < 3) want = 3;
    if (want > MAX_ARG_PIECES) want = MAX_ARG_PIECES;
    size_t size = (len + want - 1) / want;
    return size ? size : 1;
}

/* ---- embeddings ---- */

void seam_mock_embed_vector(uint64_t h, size_t dims, float *v)
{
    double sum = 0;
    for (size_t j = 0; j < dims; j++) {
        double x = (double)(seam_mock_splitmix(&h) >> 40) / 8388608.0 - 1.0; /* [-1, 1) */
        v[j] = (float)x;
        sum += x * x;
    }
    double norm = root2(sum);
    if (norm > 0)
        for (size_t j = 0; j < dims; j++)
            v[j] = (float)(v[j] / norm);
}
