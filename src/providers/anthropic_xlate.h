/* anthropic_xlate.h — the Anthropic adapter's translation ops, exposed for
 * its unit tests (tests/unit/test_anthropic_provider.c).  Nothing else
 * should need them: the gateway reaches the adapter through
 * seam_provider_anthropic. */
#ifndef SEAM_PROVIDERS_ANTHROPIC_XLATE_H
#define SEAM_PROVIDERS_ANTHROPIC_XLATE_H

#include "providers/adapter.h"

/* build / response / stream / stream_end / error between OpenAI chat
 * completions and Anthropic's Messages API; see anthropic.c. */
extern const seam_adapter_ops seam_provider_anthropic_ops;

#endif
