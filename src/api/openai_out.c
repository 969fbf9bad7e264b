/* openai_out.c — see openai_out.h. */
#include "api/openai_out.h"

#include <limits.h>

void seam_oai_read_tokens(const seam_jdoc *d, seam_jv usage, seam_oai_token_names names,
                          seam_oai_tokens *t)
{
    seam_jv v[4];
    long long *dst[4] = {&t->input, &t->cache_read, &t->cache_write, &t->output};
    seam_jpick(d, usage, names, 4, v);
    for (int i = 0; i < 4; i++) {
        long long n;
        if (seam_jint(d, v[i], &n) == 0) *dst[i] = n > 0 ? n : 0;
    }
}

long long seam_oai_add(long long a, long long b)
{
    return a > LLONG_MAX - b ? LLONG_MAX : a + b;
}

void seam_oai_usage_counts(const seam_oai_tokens *t, seam_usage *u)
{
    long long prompt = seam_oai_add(seam_oai_add(t->input, t->cache_read), t->cache_write);
    u->prompt_tokens = prompt;
    u->completion_tokens = t->output;
    u->total_tokens = seam_oai_add(prompt, t->output);
    u->cached_tokens = t->cache_read;
}

void seam_oai_usage(seam_jw *w, const seam_oai_tokens *t)
{
    seam_usage u;
    seam_oai_usage_counts(t, &u);
    seam_jw_obj(w);
    seam_jw_lkey(w, "prompt_tokens");
    seam_jw_int(w, u.prompt_tokens);
    seam_jw_lkey(w, "completion_tokens");
    seam_jw_int(w, u.completion_tokens);
    seam_jw_lkey(w, "total_tokens");
    seam_jw_int(w, u.total_tokens);
    seam_jw_lkey(w, "prompt_tokens_details");
    seam_jw_obj(w);
    seam_jw_lkey(w, "cached_tokens");
    seam_jw_int(w, u.cached_tokens);
    seam_jw_end(w);
    seam_jw_end(w);
}

void seam_oai_head(seam_jw *w, const char *id, const char *object, long long created,
                   const char *model)
{
    seam_jw_lkey(w, "id");
    seam_jw_cstr(w, id);
    seam_jw_lkey(w, "object");
    seam_jw_cstr(w, object);
    seam_jw_lkey(w, "created");
    seam_jw_int(w, created);
    seam_jw_lkey(w, "model");
    seam_jw_cstr(w, model);
}

void seam_oai_message_open(seam_jw *w, long long index)
{
    seam_jw_obj(w);
    seam_jw_lkey(w, "index");
    seam_jw_int(w, index);
    seam_jw_lkey(w, "message");
    seam_jw_obj(w);
    seam_jw_lkey(w, "role");
    seam_jw_lstr(w, "assistant");
    seam_jw_lkey(w, "content");
}

void seam_oai_tool_call(seam_jw *w, const seam_jdoc *d, seam_jv id, seam_jv name, seam_jv input)
{
    seam_jw_obj(w);
    seam_jw_lkey(w, "id");
    seam_jw_value(w, d, id);
    seam_jw_lkey(w, "type");
    seam_jw_lstr(w, "function");
    seam_jw_lkey(w, "function");
    seam_jw_obj(w);
    seam_jw_lkey(w, "name");
    seam_jw_value(w, d, name);
    seam_jw_lkey(w, "arguments");
    if (input)
        seam_jw_json_as_str(w, seam_jraw(d, input), input->len);
    else
        seam_jw_lstr(w, "{}");
    seam_jw_end(w);
    seam_jw_end(w);
}
