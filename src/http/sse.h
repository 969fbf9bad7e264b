/* sse.h — incremental Server-Sent Events reader (framing only).
 *
 * Upstream streams arrive in arbitrary pieces; the reader hands back whole
 * events, each with its exact bytes (to forward verbatim) and its parsed
 * "event" and "data" fields (to inspect). Framing follows the WHATWG HTML
 * "event stream" rules: lines end in CRLF, LF or CR (also when a CR ends one
 * piece and its LF starts the next); a blank line ends an event; lines
 * starting with ':' are comments; a line without ':' is a field name with an
 * empty value; one space after the colon is dropped; "id" and "retry" and
 * unknown fields are ignored; a UTF-8 BOM that opens the stream is ignored
 * when fields are read (it stays in raw, and counts as line bytes when
 * finding line ends).
 *
 * Differences from a browser's EventSource, on purpose: a block holding only
 * comments or ignored fields is still delivered (data == NULL) so a gateway
 * can forward keep-alives; blank lines between events belong to no event and
 * are dropped.
 *
 * Zero copy where possible: when nothing is pending, an event wholly inside
 * the fed piece points into that piece, and a single data line points into
 * place. Only an event that straddles pieces is copied (into a buffer capped
 * at max_event), and only multi-line data is joined (into a second buffer of
 * the same cap). Memory is therefore bounded by 2 * max_event.
 *
 * One case waits for more input: when the blank line that ends an event is a
 * CR that is the very last byte fed, the reader cannot tell yet whether an LF
 * follows (and belongs to the event's raw bytes), so it holds the event until
 * the next feed or seam_sse_finish(). CRLF streams are rarely cut exactly
 * there; a stream using bare CRs only would see each event one piece late. */
#ifndef SEAM_HTTP_SSE_H
#define SEAM_HTTP_SSE_H

#include <stddef.h>

#include "core/buf.h"

#define SEAM_SSE_NOMEM     (-1)
#define SEAM_SSE_TOOBIG    (-2) /* an event grew past max_event */
#define SEAM_SSE_TRUNCATED (-3) /* seam_sse_finish: the stream ended inside an event */

/* Valid only during the callback. Pointers are into the fed piece or into
 * the reader's buffers; none is NUL-terminated except by accident. */
typedef struct seam_sse_event {
    const char *raw; /* the event's bytes as received, through its terminating blank line */
    size_t raw_len;
    const char *event; /* value of the last "event" field, or NULL */
    size_t event_len;
    const char *data; /* the "data" values joined with '\n', or NULL when there were none */
    size_t data_len;
} seam_sse_event;

/* Returns 0 to go on; anything else stops the reader and is returned by
 * seam_sse_feed. Use positive values to tell them from SEAM_SSE_* codes. The
 * callback must not feed the same reader. */
typedef int (*seam_sse_cb)(void *ud, const seam_sse_event *ev);

/* One stream's state. Owned by whoever reads the stream; not thread-safe. */
typedef struct seam_sse_reader {
    seam_buf pend;    /* bytes of an event that began in an earlier piece */
    seam_buf scratch; /* joined data of a multi-line event */
    size_t max_event;
    unsigned line; /* line-scan state of the pending event (see sse.c) */
    int held;      /* pend holds a complete event that ended in a CR */
    int pend_bom;  /* the pending event starts the stream: drop a BOM */
    int fed;       /* some byte has been fed */
    int err;       /* sticky: the first non-zero result */
} seam_sse_reader;

/* max_event: cap on one event's raw size, in bytes. */
void seam_sse_reader_init(seam_sse_reader *r, size_t max_event);

/* Feeds p[0..n); calls cb once per complete event, in order. Returns 0, the
 * callback's non-zero value, SEAM_SSE_TOOBIG when an event is longer than
 * max_event, or SEAM_SSE_NOMEM. After a non-zero return the reader is done:
 * further feeds return the same value and deliver nothing. */
int seam_sse_feed(seam_sse_reader *r, const char *p, size_t n, seam_sse_cb cb, void *ud);

/* The stream has ended: delivers an event held back for a possible LF.
 * Returns as seam_sse_feed, or SEAM_SSE_TRUNCATED when bytes of an unfinished
 * event were left (they are discarded, as the spec says). */
int seam_sse_finish(seam_sse_reader *r, seam_sse_cb cb, void *ud);

/* Non-zero when bytes of an event not yet delivered are buffered. */
int seam_sse_pending(const seam_sse_reader *r);

/* Frees the buffers; r may be reused after seam_sse_reader_init. */
void seam_sse_reader_free(seam_sse_reader *r);

#endif
