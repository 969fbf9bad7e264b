/* bedrock_xlate.h — the Bedrock adapter's translation, for its tests and
 * fuzz target (internal to providers/). */
#ifndef SEAM_PROVIDERS_BEDROCK_XLATE_H
#define SEAM_PROVIDERS_BEDROCK_XLATE_H

#include <time.h>

#include "providers/adapter.h"

extern const seam_adapter_ops seam_bedrock_ops;
/* The signing clock; NULL means time(NULL).  Tests pin it. */
extern time_t (*seam_bedrock_clock)(void);

#endif
