/* mock_wire.c — the table of wire formats the mock server speaks. */
#include "providers/mock_wire.h"

#include <string.h>

/* OpenAI's paths, with or without the /v1 prefix. */
static int openai_path(const char *path, const char *want)
{
    if (strncmp(path, "/v1/", 4) == 0) path += 3;
    return strcmp(path, want) == 0;
}

static int match_chat(const char *path, const char *query)
{
    return openai_path(path, "/chat/completions");
}

static int match_embeddings(const char *path, const char *query)
{
    return openai_path(path, "/embeddings");
}

/* Azure OpenAI: /openai/deployments/{deployment}/{chat/completions|embeddings} */
static int azure_path(const char *path, const char *want)
{
    const char *p = strstr(path, "/openai/deployments/");
    if (!p) return 0;
    p = strchr(p + 20, '/');
    return p && strcmp(p, want) == 0;
}

static int match_azure_chat(const char *path, const char *query)
{
    return azure_path(path, "/chat/completions");
}

static int match_azure_embeddings(const char *path, const char *query)
{
    return azure_path(path, "/embeddings");
}

static int plan_chat(const char *path, const char *query, const char *body, size_t n,
                     seam_mock_opts *o, seam_mock_plan *out)
{
    return seam_mock_plan_chat(body, n, o, out);
}

static int plan_embeddings(const char *path, const char *query, const char *body, size_t n,
                           seam_mock_opts *o, seam_mock_plan *out)
{
    return seam_mock_plan_embeddings(body, n, o, out);
}

static const seam_mock_wire wires[] = {
    {"openai-chat", match_chat, plan_chat},
    {"openai-embeddings", match_embeddings, plan_embeddings},
    /* Azure speaks OpenAI's format on its own paths */
    {"azure-chat", match_azure_chat, plan_chat},
    {"azure-embeddings", match_azure_embeddings, plan_embeddings},
    {"gemini", seam_mock_gemini_match, seam_mock_gemini_plan},
    {"anthropic-messages", seam_mock_anthropic_match, seam_mock_anthropic_plan},
    {"bedrock", seam_mock_bedrock_match, seam_mock_bedrock_plan},
};

const seam_mock_wire *seam_mock_wire_find(const char *path, const char *query)
{
    for (size_t i = 0; i < sizeof wires / sizeof wires[0]; i++)
        if (wires[i].match(path, query)) return &wires[i];
    return NULL;
}
