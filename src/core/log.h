/* log.h — structured logging to stderr, one JSON object per line.
 *
 * seam_log() is for rare events (start, reload, errors) and writes at once.
 * The access log is per worker and buffered: see seam_logbuf. Neither ever
 * carries prompt or answer text, nor a secret. */
#ifndef SEAM_CORE_LOG_H
#define SEAM_CORE_LOG_H

#include "core/buf.h"

enum seam_log_level { SEAM_LOG_DEBUG, SEAM_LOG_INFO, SEAM_LOG_WARN, SEAM_LOG_ERROR };

void seam_log_set_level(enum seam_log_level lvl);
/* msg is a short fixed text; fmt/... adds JSON members ("\"k\":1,\"s\":\"x\"")
 * and may be NULL. */
void seam_log(enum seam_log_level lvl, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A worker's access-log buffer: lines gather here and go to fd 2 in one
 * write when it fills or when seam_logbuf_flush() is called (on a timer). */
typedef struct seam_logbuf {
    seam_buf buf;
    int fd;
} seam_logbuf;

void seam_logbuf_init(seam_logbuf *lb, int fd);
/* Appends one complete line (the caller ends it with '\n'). */
void seam_logbuf_line(seam_logbuf *lb, const char *line, size_t n);
void seam_logbuf_flush(seam_logbuf *lb);
void seam_logbuf_free(seam_logbuf *lb);

#endif
