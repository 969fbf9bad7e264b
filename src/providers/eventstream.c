/* eventstream.c — AWS event stream framing; see eventstream.h.
 *
 * The CRC-32 is written here rather than taken from zlib: zlib is not among
 * seam's libraries (ARCHITECTURE.md's table), and linking it for 20 lines
 * of table-driven CRC would add a dependency to every build.  The table is
 * the standard reflected IEEE one (polynomial 0xEDB88320), precomputed so
 * that no thread has to build it; test_eventstream.c checks it against the
 * usual "123456789" -> 0xCBF43926 vector.
 *
 * Nothing here trusts a length before its CRC: the prelude CRC is checked
 * before the total length is used to size anything, and a message is handed
 * out only after its own CRC matches. */
#include "providers/eventstream.h"

#include <string.h>

static const uint32_t crc_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
    0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988, 0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
    0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
    0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172, 0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
    0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
    0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924, 0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
    0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
    0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e, 0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
    0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
    0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0, 0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
    0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
    0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a, 0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
    0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
    0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc, 0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
    0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
    0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236, 0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
    0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
    0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38, 0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
    0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
    0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2, 0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
    0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
    0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94, 0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

uint32_t seam_es_crc32(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Bytes of a fixed-size value of type t, or -1 for the variable-size ones and -2 for unknown. */
static int fixed_size(uint8_t t)
{
    switch (t) {
    case SEAM_ES_TRUE:
    case SEAM_ES_FALSE: return 0;
    case SEAM_ES_BYTE: return 1;
    case SEAM_ES_SHORT: return 2;
    case SEAM_ES_INT: return 4;
    case SEAM_ES_LONG:
    case SEAM_ES_TIMESTAMP: return 8;
    case SEAM_ES_UUID: return 16;
    case SEAM_ES_BYTES:
    case SEAM_ES_STRING: return -1;
    default: return -2;
    }
}

/* ---- headers ---- */

const char *seam_es_header_str(const seam_es_message *m, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < m->nheaders; i++) {
        const seam_es_header *h = &m->headers[i];
        if (h->type == SEAM_ES_STRING && h->name_len == n && memcmp(h->name, name, n) == 0) {
            if (len) *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

int seam_es_header_is(const seam_es_message *m, const char *name, const char *value)
{
    size_t len;
    const char *v = seam_es_header_str(m, name, &len);
    return v && len == strlen(value) && memcmp(v, value, len) == 0;
}

seam_es_header seam_es_string(const char *name, const char *value)
{
    seam_es_header h = {name, strlen(name), SEAM_ES_STRING, value, strlen(value)};
    return h;
}

/* ---- decoding ---- */

/* Checks the prelude at p (SEAM_ES_PRELUDE bytes) and reads the total length. */
static int check_prelude(const unsigned char *p, size_t max, uint32_t *total)
{
    if (seam_es_crc32(0, p, 8) != be32(p + 8)) return SEAM_ES_EPRELUDE_CRC;
    uint32_t t = be32(p), hl = be32(p + 4);
    if (t > max) return SEAM_ES_ETOOBIG;
    if (t < SEAM_ES_OVERHEAD || hl > t - SEAM_ES_OVERHEAD) return SEAM_ES_EFORMAT;
    *total = t;
    return 0;
}

/* Checks the message CRC of the whole message at p, parses its headers and
 * hands it to cb. */
static int deliver(const unsigned char *p, uint32_t total, seam_es_on_message cb, void *ud)
{
    if (seam_es_crc32(0, p, total - 4) != be32(p + total - 4)) return SEAM_ES_EMESSAGE_CRC;
    seam_es_message m;
    m.nheaders = 0;
    size_t pos = SEAM_ES_PRELUDE, end = SEAM_ES_PRELUDE + be32(p + 4);
    while (pos < end) {
        size_t nlen = p[pos++];
        if (nlen == 0 || nlen + 1 > end - pos) return SEAM_ES_EFORMAT;
        const char *name = (const char *)p + pos;
        pos += nlen;
        uint8_t type = p[pos++];
        int size = fixed_size(type);
        size_t vlen;
        if (size == -2) return SEAM_ES_EFORMAT;
        if (size == -1) {
            if (end - pos < 2) return SEAM_ES_EFORMAT;
            vlen = (size_t)p[pos] << 8 | p[pos + 1];
            pos += 2;
        } else {
            vlen = (size_t)size;
        }
        if (vlen > end - pos) return SEAM_ES_EFORMAT;
        if (m.nheaders < SEAM_ES_MAX_HEADERS) {
            seam_es_header *h = &m.headers[m.nheaders++];
            h->name = name;
            h->name_len = nlen;
            h->type = type;
            h->value = vlen || size ? (const char *)p + pos : NULL;
            h->value_len = vlen;
        }
        pos += vlen;
    }
    m.payload = (const char *)p + end;
    m.payload_len = total - end - 4;
    return cb(ud, &m);
}

void seam_es_decoder_init(seam_es_decoder *d, size_t max_message)
{
    memset(d, 0, sizeof *d);
    d->max_message = max_message ? max_message : SEAM_ES_MAX_MESSAGE;
    if (d->max_message > UINT32_MAX) d->max_message = UINT32_MAX;
    seam_buf_init(&d->partial, d->max_message);
}

void seam_es_decoder_free(seam_es_decoder *d)
{
    if (d) seam_buf_free(&d->partial);
}

static int spend(seam_es_decoder *d, int rc)
{
    d->err = rc;
    return rc;
}

/* Gathers bytes of a split message; the cap was checked against its prelude. */
static int gather(seam_es_decoder *d, const unsigned char *s, size_t n)
{
    return seam_buf_append(&d->partial, s, n) == 0 ? 0 : SEAM_ES_ENOMEM;
}

int seam_es_decoder_feed(seam_es_decoder *d, const void *data, size_t n, seam_es_on_message cb,
                         void *ud)
{
    if (d->err) return d->err;
    const unsigned char *s = data;
    int rc;
    while (n) {
        if (d->partial.len == 0) {
            /* whole messages straight from the caller's bytes */
            uint32_t total = 0;
            if (n >= SEAM_ES_PRELUDE) {
                if ((rc = check_prelude(s, d->max_message, &total))) return spend(d, rc);
                if (n >= total) {
                    if ((rc = deliver(s, total, cb, ud))) return spend(d, rc);
                    s += total;
                    n -= total;
                    continue;
                }
            }
            d->need = total; /* 0 while the prelude is incomplete */
            if ((rc = gather(d, s, n))) return spend(d, rc);
            return 0;
        }
        if (!d->need) {
            size_t take = SEAM_ES_PRELUDE - d->partial.len;
            if (take > n) take = n;
            if ((rc = gather(d, s, take))) return spend(d, rc);
            s += take;
            n -= take;
            if (d->partial.len < SEAM_ES_PRELUDE) return 0;
            rc = check_prelude((const unsigned char *)d->partial.data, d->max_message, &d->need);
            if (rc) return spend(d, rc);
        }
        size_t take = d->need - d->partial.len;
        if (take > n) take = n;
        if ((rc = gather(d, s, take))) return spend(d, rc);
        s += take;
        n -= take;
        if (d->partial.len == d->need) {
            rc = deliver((const unsigned char *)d->partial.data, d->need, cb, ud);
            seam_buf_reset(&d->partial);
            d->need = 0;
            if (rc) return spend(d, rc);
        }
    }
    return 0;
}

int seam_es_decoder_finish(seam_es_decoder *d)
{
    if (d->err) return d->err;
    return d->partial.len ? SEAM_ES_ETRUNCATED : 0;
}

/* ---- encoding ---- */

int seam_es_encode(seam_buf *out, const seam_es_header *h, size_t nh, const void *payload, size_t n)
{
    size_t hl = 0;
    for (size_t i = 0; i < nh; i++) {
        int size = fixed_size(h[i].type);
        if (h[i].name_len == 0 || h[i].name_len > 255 || size == -2) return SEAM_ES_EFORMAT;
        if (size >= 0 && h[i].value_len != (size_t)size) return SEAM_ES_EFORMAT;
        if (size == -1 && h[i].value_len > 65535) return SEAM_ES_EFORMAT;
        hl += 2 + h[i].name_len + (size == -1 ? 2 : 0) + h[i].value_len;
    }
    if (hl > UINT32_MAX - SEAM_ES_OVERHEAD || n > UINT32_MAX - SEAM_ES_OVERHEAD - hl)
        return SEAM_ES_EFORMAT;
    uint32_t total = (uint32_t)(SEAM_ES_OVERHEAD + hl + n);
    int rc = seam_buf_reserve(out, total);
    if (rc) return rc;
    size_t start = out->len;
    unsigned char pre[SEAM_ES_PRELUDE];
    put_be32(pre, total);
    put_be32(pre + 4, (uint32_t)hl);
    put_be32(pre + 8, seam_es_crc32(0, pre, 8));
    seam_buf_append(out, pre, sizeof pre); /* room is reserved: these cannot fail */
    for (size_t i = 0; i < nh; i++) {
        unsigned char b[3] = {(unsigned char)h[i].name_len, h[i].type, 0};
        seam_buf_append(out, b, 1);
        seam_buf_append(out, h[i].name, h[i].name_len);
        seam_buf_append(out, b + 1, 1);
        if (fixed_size(h[i].type) == -1) {
            unsigned char len[2] = {(unsigned char)(h[i].value_len >> 8),
                                    (unsigned char)h[i].value_len};
            seam_buf_append(out, len, 2);
        }
        if (h[i].value_len) seam_buf_append(out, h[i].value, h[i].value_len);
    }
    if (n) seam_buf_append(out, payload, n);
    unsigned char crc[4];
    put_be32(crc, seam_es_crc32(0, out->data + start, out->len - start));
    seam_buf_append(out, crc, 4);
    return 0;
}
