/* registry.c — the provider types seam knows, by the name config uses. */
#include "providers/provider.h"

#include <string.h>

#include "http/client.h"

static const seam_provider_vt *const types[] = {
    &seam_provider_openai, &seam_provider_mock,  &seam_provider_anthropic,
    &seam_provider_gemini, &seam_provider_azure, &seam_provider_bedrock,
};

seam_http_target *seam_provider_target_new(const seam_provider_conf *conf, const char *url,
                                           char *err, size_t errlen)
{
    seam_http_target *t = seam_http_target_new(url, err, errlen);
    if (t && conf->ca_file) seam_http_target_set_ca_file(t, conf->ca_file);
    return t;
}

const seam_provider_vt *seam_provider_find(const char *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i]->type, type) == 0) return types[i];
    return NULL;
}
