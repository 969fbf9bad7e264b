/* config_internal.h — the loader's walk and value helpers, shared by
 * config.c (the walk, plain values, providers, sections, load) and
 * config_routing.c (routes, tenants, the providers' routing keys); not for
 * other modules (they use config.h). */
#ifndef SEAM_CONFIG_CONFIG_INTERNAL_H
#define SEAM_CONFIG_CONFIG_INTERNAL_H

#include "config/config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct cfg_priv; /* the arena and the lookup indexes (config.c) */

/* The walk's state. */
struct loader {
    const char *file; /* as given, for messages */
    char *err;
    size_t errlen;
    yaml_document_t *doc;
    struct cfg_priv *mem;
    seam_config *cfg;
    char path[256]; /* "routes.chat.targets[1].weight", truncated if longer */
    size_t pathlen;
    long budget;
    int no_secrets; /* SEAM_CONFIG_NO_SECRETS: check secret references, read none */
};

/* Checks and stores the value of one key.  key is the key's node (for
 * errors about the whole entry), val the value's, dst the object being
 * filled plus the spec's offset. */
typedef int (*value_fn)(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst);

struct key_spec {
    const char *key;
    value_fn parse;
    size_t off;
};

static inline yaml_node_t *node_at(struct loader *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

static inline const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* An empty value ("key:" with nothing after it), ~ or null, unquoted. */
static inline int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = scalar(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static inline const char *kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a map";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return is_null(n) ? "empty" : "a string";
    }
}

static inline int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
    return 0;
}

/* ---- arena (lives until seam_config_free) ---- */

void *seam__config_alloc(struct cfg_priv *m, size_t n); /* zeroed, or NULL */
void *seam__config_array(struct cfg_priv *m, size_t count, size_t size);
char *seam__config_strndup(struct cfg_priv *m, const char *s, size_t n);

/* ---- errors and key paths ---- */

/* "file:line: key.path: message" into ld->err; each returns -1.  _fail is
 * about node at (its first line); _fail_line takes the line (<= 0: none). */
int seam__config_fail(struct loader *ld, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int seam__config_fail_line(struct loader *ld, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int seam__config_nomem(struct loader *ld);

/* Append ".name" / "[i]" to ld->path; return the length for path_pop(). */
size_t seam__config_push_key(struct loader *ld, const char *name);
size_t seam__config_push_index(struct loader *ld, size_t i);

static inline void path_pop(struct loader *ld, size_t old)
{
    ld->pathlen = old;
    ld->path[old] = '\0';
}

/* ---- nodes and maps ---- */

/* Charges n values against the walk budget (aliases can multiply a file). */
int seam__config_spend(struct loader *ld, const yaml_node_t *at, long n);
/* The text of a scalar that must have one (not empty, no NUL). */
int seam__config_text(struct loader *ld, const yaml_node_t *n, const char **out);
/* The candidate closest to word, if close enough to be a typo, or NULL. */
const char *seam__config_suggest(const char *word, const char *const *cands, size_t n);
/* A map (keys checked: plain strings, no duplicates), or a null node as an
 * empty map; *npairs is its size. */
int seam__config_expect_map(struct loader *ld, const yaml_node_t *n, size_t *npairs);
/* Walks map in file order, handing each value to its key's spec; a key not
 * in specs is an error with a suggestion. */
int seam__config_walk_map(struct loader *ld, const yaml_node_t *map, const struct key_spec *specs,
                          size_t nspecs, void *obj);
/* The value of key in map, or NULL (also when map is not a map). */
yaml_node_t *seam__config_map_get(struct loader *ld, const yaml_node_t *map, const char *key);
/* A provider or route name: not empty, no '/', no control characters. */
int seam__config_check_name(struct loader *ld, const yaml_node_t *k, const char *what);

/* ---- values ---- */

/* Decimal digits only, no sign; *end is left at the first non-digit. */
int seam__config_parse_u64(const char *s, uint64_t *out, const char **end);
/* A duration of at least min ms (0 or 1) and at most 24h into *dst. */
int seam__config_duration(struct loader *ld, const yaml_node_t *val, int *dst, int min);
int seam__config_val_bool(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                          void *dst);
int seam__config_val_string(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                            void *dst);

/* ---- config_routing.c ---- */

/* region, tier, max_inflight and breaker: taken by every provider type,
 * after the type's own keys. */
#define SEAM__CONFIG_NPROVIDER_KEYS 5
extern const struct key_spec seam__config_provider_keys[SEAM__CONFIG_NPROVIDER_KEYS];
/* Sets tier and breaker to their defaults (before the provider's walk). */
void seam__config_provider_defaults(seam_provider_conf *p);
/* The routes: and tenants: sections; dst is the seam_config. */
int seam__config_val_routes(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                            void *dst);
int seam__config_val_tenants(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                             void *dst);
/* After the walk and the lookup index: every provider a route names is
 * configured, and an overflow has a max_inflight to overflow from. */
int seam__config_check_routes(struct loader *ld);

#endif
