/* openai_error.c — OpenAI-format error bodies; see openai_error.h. */
#include "api/openai_error.h"

const char *seam_openai_error_type(int status)
{
    switch (status) {
    case 400:
    case 404:
    case 405:
    case 413: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 408:
    case 504: return "timeout_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

int seam_openai_error_json(seam_buf *out, int status, const char *code, const char *message)
{
    int rc = seam_buf_append_str(out, "{\"error\":{\"message\":\"");
    if (!rc) rc = seam_buf_append_json_str(out, message, __builtin_strlen(message));
    if (!rc)
        rc = seam_buf_printf(out, "\",\"type\":\"%s\",\"param\":null,\"code\":\"%s\"}}",
                             seam_openai_error_type(status), code);
    return rc;
}

int seam_openai_error_event(seam_buf *out, int status, const char *code, const char *message)
{
    int rc = seam_buf_append_str(out, "data: ");
    if (!rc) rc = seam_openai_error_json(out, status, code, message);
    if (!rc) rc = seam_buf_append_str(out, "\n\n");
    return rc;
}
