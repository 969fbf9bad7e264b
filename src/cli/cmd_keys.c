/* cmd_keys.c — `seam keys create|list|revoke`: virtual keys in storage.
 *
 * The secret of a new key is printed once, alone on stdout's last line, so
 * that `KEY=$(seam keys create --name x)` captures exactly it; everything
 * meant for a person goes to stderr.  Only the key's hash is stored (see
 * gateway/auth.h and docs/keys.md).  Exit status: 0 done, 1 failed (storage,
 * no such key), 2 usage. */
#include "cli/cli.h"
#include "gateway/auth.h"
#include "store/store.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_STORAGE_URL "sqlite://./seam-data/seam.db"

static const char usage_main[] =
    "usage: seam keys [--storage URL] <command> [options]\n"
    "\n"
    "Virtual keys: what clients send as 'Authorization: Bearer sk-seam-...'.\n"
    "\n"
    "commands:\n"
    "  create --name NAME [--routes LIST] [--tenant T]   make a key, print its secret once\n"
    "         [--regions LIST] [--tiers LIST]            (where its data may go)\n"
    "  list                                              show all keys (never a secret)\n"
    "  revoke NAME                                       disable a key for good\n"
    "\n"
    "  --storage URL   storage to use instead of the config's storage.url\n"
    "                  (e.g. sqlite://./seam-data/seam.db)\n"
    "\n"
    "'seam keys <command> --help' describes a command.\n";

static const char usage_create[] =
    "usage: seam keys create --name NAME [--routes LIST] [--tenant T]\n"
    "                        [--regions LIST] [--tiers LIST] [--storage URL]\n"
    "\n"
    "Creates a key and prints its secret alone on the last line of stdout. The\n"
    "secret is shown this once: seam keeps only its hash.\n"
    "\n"
    "  --name NAME     1..127 characters of A-Z a-z 0-9 . _ -; never reused\n"
    "  --routes LIST   comma-separated; each entry is one of\n"
    "                    ROUTE            that configured route\n"
    "                    PROVIDER/MODEL   that model of that provider, directly\n"
    "                    PROVIDER/*       any model of that provider, directly\n"
    "                    *                everything\n"
    "                  without --routes: every configured route, no direct access\n"
    "  --tenant T      the tenant the key's traffic is accounted to\n"
    "  --regions LIST  comma-separated region names (at most 16): the key's requests\n"
    "                  may only reach providers whose region is one of them or\n"
    "                  inside one (eu covers eu-west-1); without it: any region\n"
    "  --tiers LIST    private, vendor or private,vendor: the provider tiers the\n"
    "                  key's requests may reach; without it: both\n";

static const char usage_list[] =
    "usage: seam keys list [--storage URL]\n"
    "\n"
    "Prints NAME TENANT ROUTES REGIONS TIERS CREATED STATUS for every key.\n"
    "TENANT '-' means none; ROUTES '(all)' means every configured route and no\n"
    "direct provider access; REGIONS and TIERS '(any)' mean no limit. Times are UTC.\n";

static const char usage_revoke[] =
    "usage: seam keys revoke NAME [--storage URL]\n"
    "\n"
    "Revokes the key for good; running gateways refuse it within about half a\n"
    "second. Its name stays taken.\n";

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "seam keys: <what>", the usage, and returns exit status 2. */
static int usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("seam keys: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage, stderr);
    return 2;
}

/* Matches argv[*i] against "--flag VALUE" or "--flag=VALUE".  Returns 1 and
 * *val (advancing *i past a separate value), 0 when it is another argument,
 * -1 when the value is missing. */
static int flag_value(int argc, char **argv, int *i, const char *flag, const char **val)
{
    size_t n = strlen(flag);
    const char *a = argv[*i];
    if (strncmp(a, flag, n) != 0) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) return -1;
    *val = argv[++*i];
    return 1;
}

static int is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/* "a, b ,c" -> "a,b,c": blanks around entries are dropped, blanks inside
 * one are kept for the field check to refuse ("eu west" must not quietly
 * become "euwest").  Returns 0, or -1 when it does not fit. */
static int normalize_list(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in;;) {
        while (blank(*p))
            p++;
        const char *end = p + strcspn(p, ","), *e = end;
        while (e > p && blank(e[-1]))
            e--;
        size_t n = (size_t)(e - p);
        if (n >= cap - o) return -1; /* o < cap always: room for n and the NUL? */
        memcpy(out + o, p, n);
        o += n;
        if (!*end) break;
        if (o + 1 >= cap) return -1;
        out[o++] = ',';
        p = end + 1;
    }
    out[o] = '\0';
    return 0;
}

static int open_store(const char *url, seam_store **st)
{
    char err[512];
    if (seam_store_open(url, st, err, sizeof err) != 0) {
        fprintf(stderr, "seam keys: %s\n", err);
        return -1;
    }
    return 0;
}

static int cmd_create(int argc, char **argv, const char *url)
{
    const char *name = NULL, *tenant = "", *routes_arg = "", *regions_arg = "", *tiers_arg = "";
    for (int i = 0; i < argc; i++) {
        int r;
        if (is_help(argv[i])) {
            fputs(usage_create, stdout);
            return 0;
        }
        if ((r = flag_value(argc, argv, &i, "--name", &name)) ||
            (r = flag_value(argc, argv, &i, "--routes", &routes_arg)) ||
            (r = flag_value(argc, argv, &i, "--tenant", &tenant)) ||
            (r = flag_value(argc, argv, &i, "--regions", &regions_arg)) ||
            (r = flag_value(argc, argv, &i, "--tiers", &tiers_arg)) ||
            (r = flag_value(argc, argv, &i, "--storage", &url))) {
            if (r < 0) return usage_error(usage_create, "%s needs a value", argv[i]);
            continue;
        }
        return usage_error(usage_create, "create: unexpected argument '%s'", argv[i]);
    }
    if (!name) return usage_error(usage_create, "create: --name is required");

    seam_key_rec rec;
    memset(&rec, 0, sizeof rec);
    char err[512];
    const struct {
        const char *what, *in;
        char *out;
        size_t cap;
    } lists[] = {
        {"routes", routes_arg, rec.routes, sizeof rec.routes},
        {"regions", regions_arg, rec.regions, sizeof rec.regions},
        {"tiers", tiers_arg, rec.tiers, sizeof rec.tiers},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (normalize_list(lists[i].in, lists[i].out, lists[i].cap) != 0) {
            fprintf(stderr, "seam keys: %s: longer than %zu characters\n", lists[i].what,
                    lists[i].cap - 1);
            return 2;
        }
    int rc =
        seam_key_fields_check(name, tenant, rec.routes, rec.regions, rec.tiers, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "seam keys: %s\n", err);
        return 2;
    }
    snprintf(rec.name, sizeof rec.name, "%s", name);
    snprintf(rec.tenant, sizeof rec.tenant, "%s", tenant);

    seam_store *st;
    if (open_store(url, &st) != 0) return 1;
    char secret[64];
    int ret = 1;
    if (seam_key_generate(secret) != 0) {
        fprintf(stderr, "seam keys: libsodium failed to start\n");
        goto out;
    }
    seam_key_hash(secret, strlen(secret), rec.hash);
    if (seam_store_key_add(st, &rec, err, sizeof err) != 0) {
        fprintf(stderr, "seam keys: %s\n", err);
        goto out;
    }
    fprintf(stderr, "created key %s (routes: %s, tenant: %s, regions: %s, tiers: %s)\n", rec.name,
            *rec.routes ? rec.routes : "every configured route", *rec.tenant ? rec.tenant : "none",
            *rec.regions ? rec.regions : "any", *rec.tiers ? rec.tiers : "any");
    printf("%s\n", secret);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        /* Nobody saw the secret and nobody ever will: do not leave a live
         * key behind that no one can use or knows to revoke. */
        int rr = seam_store_key_revoke(st, rec.name, err, sizeof err);
        fprintf(stderr, "seam keys: cannot write the secret to stdout; key %s %s\n", rec.name,
                rr == 0 ? "revoked again" : "left active: revoke it");
        goto out;
    }
    ret = 0;
out:
    sodium_memzero(secret, sizeof secret);
    seam_store_close(st);
    return ret;
}

struct rows {
    seam_key_rec *v;
    size_t n, cap;
    int nomem;
};

static int collect(const seam_key_rec *rec, void *ud)
{
    struct rows *r = ud;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        seam_key_rec *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            r->nomem = 1;
            return 1;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = *rec;
    return 0;
}

static void fmt_time(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, cap, "?");
}

static int cmd_list(int argc, char **argv, const char *url)
{
    for (int i = 0; i < argc; i++) {
        int r;
        if (is_help(argv[i])) {
            fputs(usage_list, stdout);
            return 0;
        }
        if ((r = flag_value(argc, argv, &i, "--storage", &url))) {
            if (r < 0) return usage_error(usage_list, "%s needs a value", argv[i]);
            continue;
        }
        return usage_error(usage_list, "list: unexpected argument '%s'", argv[i]);
    }
    seam_store *st;
    if (open_store(url, &st) != 0) return 1;
    struct rows rows = {0};
    char err[512];
    int ret = 1;
    if (seam_store_key_each(st, collect, &rows, err, sizeof err) != 0) {
        fprintf(stderr, "seam keys: %s\n", err);
        goto out;
    }
    if (rows.nomem) {
        fprintf(stderr, "seam keys: out of memory\n");
        goto out;
    }
    /* Column widths: the header's, or the widest value ("(any)" is 5). */
    int wn = 4, wt = 6, wr = 6, wg = 7, wi = 5;
    for (size_t i = 0; i < rows.n; i++) {
        int n = (int)strlen(rows.v[i].name), t = (int)strlen(rows.v[i].tenant),
            r = (int)strlen(rows.v[i].routes), g = (int)strlen(rows.v[i].regions),
            ti = (int)strlen(rows.v[i].tiers);
        if (n > wn) wn = n;
        if (t > wt) wt = t;
        if (r > wr) wr = r;
        if (g > wg) wg = g;
        if (ti > wi) wi = ti;
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-20s  %s\n", wn, "NAME", wt, "TENANT", wr, "ROUTES", wg,
           "REGIONS", wi, "TIERS", "CREATED", "STATUS");
    for (size_t i = 0; i < rows.n; i++) {
        const seam_key_rec *k = &rows.v[i];
        char created[32];
        fmt_time(k->created_ms, created, sizeof created);
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-20s  %s\n", wn, k->name, wt,
               *k->tenant ? k->tenant : "-", wr, *k->routes ? k->routes : "(all)", wg,
               *k->regions ? k->regions : "(any)", wi, *k->tiers ? k->tiers : "(any)", created,
               k->revoked_ms ? "revoked" : "active");
    }
    if (!rows.n) fputs("seam keys: no keys yet; make one with 'seam keys create'\n", stderr);
    ret = fflush(stdout) == 0 ? 0 : 1;
out:
    free(rows.v);
    seam_store_close(st);
    return ret;
}

static int cmd_revoke(int argc, char **argv, const char *url)
{
    const char *name = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if (is_help(argv[i])) {
            fputs(usage_revoke, stdout);
            return 0;
        }
        if ((r = flag_value(argc, argv, &i, "--storage", &url))) {
            if (r < 0) return usage_error(usage_revoke, "%s needs a value", argv[i]);
            continue;
        }
        if (argv[i][0] == '-' || name)
            return usage_error(usage_revoke, "revoke: unexpected argument '%s'", argv[i]);
        name = argv[i];
    }
    if (!name) return usage_error(usage_revoke, "revoke: which key? give its NAME");
    seam_store *st;
    if (open_store(url, &st) != 0) return 1;
    char err[512];
    int rc = seam_store_key_revoke(st, name, err, sizeof err);
    seam_store_close(st);
    if (rc < 0) {
        fprintf(stderr, "seam keys: %s\n", err);
        return 1;
    }
    if (rc > 0) {
        fprintf(stderr, "seam keys: no active key named %s\n", name);
        return 1;
    }
    fprintf(stderr, "revoked key %s (running gateways refuse it within about %d ms)\n", name,
            SEAM_AUTH_POLL_MS);
    return 0;
}

int seam_cmd_keys(int argc, char **argv, const char *storage_url)
{
    const char *url = storage_url ? storage_url : DEFAULT_STORAGE_URL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int r;
        if (is_help(argv[i])) {
            fputs(usage_main, stdout);
            return 0;
        }
        if ((r = flag_value(argc, argv, &i, "--storage", &url))) {
            if (r < 0) return usage_error(usage_main, "%s needs a value", argv[i]);
            continue;
        }
        return usage_error(usage_main, "unknown option '%s'", argv[i]);
    }
    if (i >= argc) return usage_error(usage_main, "which command?");
    const char *cmd = argv[i++];
    if (strcmp(cmd, "create") == 0) return cmd_create(argc - i, argv + i, url);
    if (strcmp(cmd, "list") == 0) return cmd_list(argc - i, argv + i, url);
    if (strcmp(cmd, "revoke") == 0) return cmd_revoke(argc - i, argv + i, url);
    if (strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    return usage_error(usage_main, "unknown command '%s'", cmd);
}
