/* eventstream.h — AWS's binary event stream (application/vnd.amazon.eventstream).
 *
 * Bedrock's ConverseStream answers with a sequence of these messages:
 *
 *   total length  u32 BE   the whole message, these 4 bytes included
 *   headers length u32 BE
 *   prelude CRC   u32 BE   CRC-32 (IEEE, as gzip) of the 8 bytes above
 *   headers       name length u8, name, value type u8, value — repeated
 *   payload       total - headers - 16 bytes
 *   message CRC   u32 BE   CRC-32 of everything before it
 *
 * Header value types: 0 true, 1 false (no bytes), 2 byte (1), 3 short (2),
 * 4 int (4), 5 long (8), 6 byte array and 7 string (u16 BE length + bytes),
 * 8 timestamp (8, ms since the epoch), 9 UUID (16).
 *
 * The decoder is incremental: bytes go in as they arrive, split anywhere,
 * and each complete, CRC-checked message comes out through a callback with
 * pointers into the decoder's (or the caller's) memory, valid during the
 * callback only.  A message whose bytes arrived in one piece is parsed in
 * place; one split across pieces is gathered first, up to the cap. */
#ifndef SEAM_PROVIDERS_EVENTSTREAM_H
#define SEAM_PROVIDERS_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SEAM_ES_PRELUDE     12          /* lengths + prelude CRC */
#define SEAM_ES_OVERHEAD    16          /* prelude + message CRC */
#define SEAM_ES_MAX_MESSAGE (16u << 20) /* default cap on a message's total length */
#define SEAM_ES_MAX_HEADERS 16          /* headers kept per message; more are checked, not kept */

enum seam_es_type {
    SEAM_ES_TRUE = 0,
    SEAM_ES_FALSE = 1,
    SEAM_ES_BYTE = 2,
    SEAM_ES_SHORT = 3,
    SEAM_ES_INT = 4,
    SEAM_ES_LONG = 5,
    SEAM_ES_BYTES = 6,
    SEAM_ES_STRING = 7,
    SEAM_ES_TIMESTAMP = 8,
    SEAM_ES_UUID = 9,
};

/* Decoder results (negative); once one is returned the decoder is spent. */
enum seam_es_err {
    SEAM_ES_OK = 0,
    SEAM_ES_EPRELUDE_CRC = -1, /* the prelude's CRC does not match */
    SEAM_ES_EMESSAGE_CRC = -2, /* the message's CRC does not match */
    SEAM_ES_ETOOBIG = -3,      /* total length over the cap */
    SEAM_ES_EFORMAT = -4,      /* lengths that contradict each other, a bad header */
    SEAM_ES_ETRUNCATED = -5,   /* the input ended inside a message */
    SEAM_ES_ENOMEM = -6,
};

typedef struct seam_es_header {
    const char *name;
    size_t name_len;
    uint8_t type;      /* enum seam_es_type */
    const char *value; /* the value's bytes (for 6 and 7 after the length; NULL for 0/1) */
    size_t value_len;
} seam_es_header;

typedef struct seam_es_message {
    seam_es_header headers[SEAM_ES_MAX_HEADERS];
    size_t nheaders;
    const char *payload;
    size_t payload_len;
} seam_es_message;

/* The value of the first string header called name (not NUL-terminated), or
 * NULL; *len (which may be NULL) gets its length. */
const char *seam_es_header_str(const seam_es_message *m, const char *name, size_t *len);
/* Does m have string header name equal to value? */
int seam_es_header_is(const seam_es_message *m, const char *name, const char *value);

/* Called per message; a non-zero return stops the feed, is returned by it and,
 * like an error, leaves the decoder spent. */
typedef int (*seam_es_on_message)(void *ud, const seam_es_message *m);

typedef struct seam_es_decoder {
    seam_buf partial;   /* a message split across feeds */
    size_t max_message; /* cap on total length */
    uint32_t need;      /* total length of the partial message, 0 until its prelude is in */
    int err;            /* sticky error */
} seam_es_decoder;

/* max_message 0 means SEAM_ES_MAX_MESSAGE. */
void seam_es_decoder_init(seam_es_decoder *d, size_t max_message);
void seam_es_decoder_free(seam_es_decoder *d);
/* Feeds p[0..n).  Returns 0, a seam_es_err, or the callback's non-zero value. */
int seam_es_decoder_feed(seam_es_decoder *d, const void *p, size_t n, seam_es_on_message cb,
                         void *ud);
/* The input has ended: 0 when it ended between messages, else SEAM_ES_ETRUNCATED
 * (or the sticky error). */
int seam_es_decoder_finish(seam_es_decoder *d);

/* Appends one message with the given headers and payload to out.  Values of
 * types 0-1 take no bytes, 2-5 and 8-9 exactly their size (big-endian, as
 * on the wire), 6-7 up to 65535.  Returns 0, SEAM_ES_EFORMAT for a header
 * that cannot be encoded, or a seam_buf error. */
int seam_es_encode(seam_buf *out, const seam_es_header *h, size_t nh, const void *payload,
                   size_t n);
/* A string header, for seam_es_encode. */
seam_es_header seam_es_string(const char *name, const char *value);

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32): pass 0 to start. */
uint32_t seam_es_crc32(uint32_t crc, const void *p, size_t n);

#endif
