/* gemini_xlate.h — the Gemini adapter's translation steps, for its unit tests.
 *
 * Only gemini.c and tests/unit/test_gemini_provider.c include this: the
 * gateway reaches the adapter through seam_provider_gemini alone.  The ops
 * are the ones seam_adapter_start() runs; a test drives them directly with a
 * provider made by seam_provider_gemini.create() and a zeroed state of
 * state_size bytes (released with state_free, then free()). */
#ifndef SEAM_PROVIDERS_GEMINI_XLATE_H
#define SEAM_PROVIDERS_GEMINI_XLATE_H

#include "providers/adapter.h"

extern const seam_adapter_ops seam_gemini_ops;

#endif
