/* log.c — JSON-lines logging to stderr; see log.h. */
#include "core/log.h"
#include "core/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOGBUF_FLUSH_AT (32 * 1024)

static enum seam_log_level min_level = SEAM_LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void seam_log_set_level(enum seam_log_level lvl)
{
    min_level = lvl;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* stderr gone: nothing better to do */
        p += w;
        n -= (size_t)w;
    }
}

void seam_log(enum seam_log_level lvl, const char *msg, const char *fmt, ...)
{
    if (lvl < min_level) return;
    char line[2048];
    int n = snprintf(line, sizeof line, "{\"ts\":%lld,\"level\":\"%s\",\"msg\":\"%s\"",
                     (long long)seam_wall_ms(), level_names[lvl], msg);
    if (n < 0 || (size_t)n >= sizeof line) return;
    if (fmt) {
        line[n++] = ',';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
        va_end(ap);
        if (m < 0) return;
        n += m;
        if ((size_t)n > sizeof line - 3) n = sizeof line - 3;
    }
    line[n++] = '}';
    line[n++] = '\n';
    write_all(2, line, (size_t)n);
}

void seam_logbuf_init(seam_logbuf *lb, int fd)
{
    seam_buf_init(&lb->buf, 4 * LOGBUF_FLUSH_AT);
    lb->fd = fd;
}

void seam_logbuf_line(seam_logbuf *lb, const char *line, size_t n)
{
    if (seam_buf_append(&lb->buf, line, n) != 0) {
        seam_logbuf_flush(lb);
        if (seam_buf_append(&lb->buf, line, n) != 0) write_all(lb->fd, line, n);
    }
    if (lb->buf.len >= LOGBUF_FLUSH_AT) seam_logbuf_flush(lb);
}

void seam_logbuf_flush(seam_logbuf *lb)
{
    if (!lb->buf.len) return;
    write_all(lb->fd, lb->buf.data, lb->buf.len);
    seam_buf_reset(&lb->buf);
}

void seam_logbuf_free(seam_logbuf *lb)
{
    seam_logbuf_flush(lb);
    seam_buf_free(&lb->buf);
}
