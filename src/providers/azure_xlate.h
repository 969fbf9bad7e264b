/* azure_xlate.h — the azure-openai adapter's steps, for its unit tests
 * (internal to providers/). */
#ifndef SEAM_PROVIDERS_AZURE_XLATE_H
#define SEAM_PROVIDERS_AZURE_XLATE_H

#include "providers/adapter.h"

extern const seam_adapter_ops seam_azure_ops;

#endif
