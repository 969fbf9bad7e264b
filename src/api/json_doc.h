/* json_doc.h — a validated JSON document as a flat array of nodes.
 *
 * The translators (Anthropic, Gemini, Bedrock, and Anthropic's client API)
 * must read a whole request or answer and rewrite it in another vendor's
 * shape.  A jansson tree costs a malloc per node and a copy of every string,
 * and writing it back out costs a printf per number: on the 2-vCPU bench
 * machine that was ~37 of the ~49 µs a translated request added.  Here a
 * document is parsed (and validated by the same lexer as json_scan.c) into
 * one array of nodes in document order, each a span of the original bytes:
 * no copies, one allocation.  Strings stay escaped, so a translator copies a
 * value to its output verbatim (seam_jw_value) and decodes only the few it
 * must compare.
 *
 * Layout: a container's node is followed by its children's subtrees; an
 * object's children alternate key (a string node), value.  node->size
 * counts the nodes of a subtree, itself included, so the next sibling of n
 * is n + n->size and walking needs no parent pointers.  A seam_jv is a
 * pointer to a node, NULL for "absent"; every accessor accepts NULL. */
#ifndef SEAM_API_JSON_DOC_H
#define SEAM_API_JSON_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/json_scan.h"
#include "core/buf.h"

enum seam_jtype {
    SEAM_JNULL = 1,
    SEAM_JFALSE,
    SEAM_JTRUE,
    SEAM_JNUMBER,
    SEAM_JSTRING,
    SEAM_JARRAY,
    SEAM_JOBJECT,
};

typedef struct seam_jnode {
    uint32_t off, len; /* the value's bytes in the text; a string's include its quotes */
    uint32_t size;     /* nodes in this subtree, this one included */
    uint8_t type;      /* enum seam_jtype */
    uint8_t escaped;   /* a string whose body holds a backslash escape */
} seam_jnode;

typedef const seam_jnode *seam_jv;

/* Nodes a document holds in itself before it allocates: a chat request
 * or answer of a few kilobytes parses with no allocation at all. */
#define SEAM_JDOC_INLINE 64

/* Lives where it was parsed (a document points into itself: never copy
 * one by value). */
typedef struct seam_jdoc {
    const char *text;  /* borrowed: must outlive the document */
    seam_jnode *nodes; /* inline, or on the heap once the document outgrew it */
    size_t n, cap;
    seam_jnode inline_nodes[SEAM_JDOC_INLINE];
} seam_jdoc;

/* Parses and validates p[0..n) (any top-level value; the rules of
 * json_scan.h).  Returns 0, or -1 with err (may be NULL) saying where and
 * what — "out of memory" included.  Free with seam_jdoc_free either way. */
int seam_jdoc_parse(seam_jdoc *d, const char *p, size_t n, seam_json_error *err);
void seam_jdoc_free(seam_jdoc *d);

static inline seam_jv seam_jroot(const seam_jdoc *d)
{
    return d->n ? d->nodes : NULL;
}

static inline int seam_jis(seam_jv v, enum seam_jtype t)
{
    return v && v->type == t;
}

/* Absent or null: the translators treat both as "not sent". */
static inline int seam_jnone(seam_jv v)
{
    return !v || v->type == SEAM_JNULL;
}

/* The member of obj named key[0..n) (the last one if repeated), or NULL. */
seam_jv seam_jget_n(const seam_jdoc *d, seam_jv obj, const char *key, size_t n);

/* The same for a C string: inline, so that a literal's length is known
 * where it is written. */
static inline seam_jv seam_jget(const seam_jdoc *d, seam_jv obj, const char *key)
{
    return seam_jget_n(d, obj, key, strlen(key));
}

/* The member of obj named key, NULL when absent or null: the translators
 * take a null field as not sent. */
static inline seam_jv seam_jopt(const seam_jdoc *d, seam_jv obj, const char *key)
{
    seam_jv v = seam_jget(d, obj, key);
    return seam_jnone(v) ? NULL : v;
}

/* Several members of obj in one walk, for an object read whole: out[i] is
 * the member named names[i] (the last if repeated), or NULL; names are
 * distinct.  Returns the key of the first member whose name is not among
 * them, or NULL — for a reader that refuses what it does not know. */
seam_jv seam_jpick(const seam_jdoc *d, seam_jv obj, const char *const *names, size_t n,
                   seam_jv *out);

/* The first child of a container (an object's first key), or NULL. */
static inline seam_jv seam_jfirst(seam_jv c)
{
    return c && c->size > 1 ? c + 1 : NULL;
}

/* The sibling after it inside container c, or NULL. */
static inline seam_jv seam_jnext(seam_jv c, seam_jv it)
{
    seam_jv next = it + it->size;
    return next < c + c->size ? next : NULL;
}

/* Elements of an array (nothing when v is not one); i counts from 0. */
#define seam_jarr_foreach(arr, i, it)                                                              \
    for ((i) = 0, (it) = seam_jis(arr, SEAM_JARRAY) ? seam_jfirst(arr) : NULL; (it);               \
         (i)++, (it) = seam_jnext(arr, it))

/* Members of an object (nothing when v is not one): k the key, v its value. */
#define seam_jobj_foreach(obj, k, v)                                                               \
    for ((k) = seam_jis(obj, SEAM_JOBJECT) ? seam_jfirst(obj) : NULL; (k) && ((v) = (k) + 1);      \
         (k) = seam_jnext(obj, (k) + 1))

/* Elements of an array or members of an object; 0 for anything else. */
size_t seam_jcount(seam_jv c);

/* The value's bytes as they stand in the text (a string with its quotes). */
static inline const char *seam_jraw(const seam_jdoc *d, seam_jv v)
{
    return d->text + v->off;
}

/* A string's body between the quotes, still escaped; NULL when v is not a
 * string.  An empty body is an empty string. */
const char *seam_jstr(const seam_jdoc *d, seam_jv v, size_t *len);

/* v is a string equal to lit[0..n) (compared after decoding escapes). */
int seam_jstr_eq_n(const seam_jdoc *d, seam_jv v, const char *lit, size_t n);

static inline int seam_jstr_eq(const seam_jdoc *d, seam_jv v, const char *lit)
{
    return seam_jstr_eq_n(d, v, lit, strlen(lit));
}

/* v is a string that starts with prefix (after decoding). */
int seam_jstr_prefix(const seam_jdoc *d, seam_jv v, const char *prefix);

/* Appends the decoded string to out.  Returns 0, -1 when v is not a
 * string, or a seam_buf error. */
int seam_jstr_decode(const seam_jdoc *d, seam_jv v, seam_buf *out);

/* The number's value; 0 with *out set, -1 when v is not a number. */
int seam_jnum(const seam_jdoc *d, seam_jv v, double *out);

/* An integer (no fraction or exponent) that fits a long long; 0 or -1. */
int seam_jint(const seam_jdoc *d, seam_jv v, long long *out);

/* The key node k's text equals lit (keys are string nodes). */
static inline int seam_jkey_is(const seam_jdoc *d, seam_jv k, const char *lit)
{
    return seam_jstr_eq(d, k, lit);
}

#endif
