/* test_alerts.c — deploy/prometheus-alerts.yml is well formed, names only
 * metrics seam exports, and points at runbooks that exist.
 *
 * promtool is not packaged for Debian 12 in a form CI can rely on, so the
 * file is read with libyaml and checked for what promtool would catch that
 * matters here: every rule has alert, expr, for, a severity and a runbook;
 * every seam_* metric in an expression is one that /metrics renders (taken
 * from the real renderers, not a list kept by hand); every runbook anchor
 * is a heading of docs/operations.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "gateway/metrics.h"
#include "route/health.h"

#define ALERTS  "deploy/prometheus-alerts.yml"
#define RUNBOOK "docs/operations.md"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* The metric names /metrics can show: "# TYPE name" lines of the real
 * renderers, after every kind of series has been recorded once. */
static char *exported_names(void)
{
    static seam_metrics m;
    memset(&m, 0, sizeof m);
    seam_metrics_request(&m, "r", "p", 200, 1000, 900, 1, 1);
    for (int ev = 0; ev < SEAM_EV_COUNT; ev++)
        seam_metrics_event(&m, "r", (enum seam_route_event)ev);
    seam_health *h = seam_health_new();
    seam_health_target(h, "p", "m");
    seam_health_provider(h, "p");
    seam_buf b;
    seam_buf_init(&b, 1 << 20);
    seam_metrics *all[1] = {&m};
    assert_int_equal(seam_metrics_render(all, 1, &b), 0);
    assert_int_equal(seam_health_render(h, 0, &b), 0);
    seam_health_free(h);
    seam_buf names;
    seam_buf_init(&names, 1 << 16);
    for (const char *p = b.data; (p = strstr(p, "# TYPE ")); p++) {
        p += 7;
        size_t n = strcspn(p, " ");
        seam_buf_append(&names, " ", 1);
        seam_buf_append(&names, p, n);
        seam_buf_append(&names, " ", 1);
    }
    seam_buf_free(&b);
    return names.data;
}

/* Whether name (a histogram's _bucket/_sum/_count included) is exported. */
static int exported(const char *names, const char *name)
{
    char want[128];
    snprintf(want, sizeof want, " %s ", name);
    if (strstr(names, want)) return 1;
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(name), k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0) {
            snprintf(want, sizeof want, " %.*s ", (int)(n - k), name);
            if (strstr(names, want)) return 1;
        }
    }
    return 0;
}

/* GitHub's anchor of a markdown heading: lower case, spaces to '-',
 * punctuation dropped. */
static int has_anchor(const char *md, const char *anchor)
{
    for (const char *p = md; (p = strstr(p, "\n## ")); p++) {
        char a[128];
        size_t n = 0;
        for (const char *q = p + 4; *q && *q != '\n' && n < sizeof a - 1; q++) {
            if (isalnum((unsigned char)*q))
                a[n++] = (char)tolower((unsigned char)*q);
            else if (*q == ' ' || *q == '-')
                a[n++] = '-';
        }
        a[n] = '\0';
        if (strcmp(a, anchor) == 0) return 1;
    }
    return 0;
}

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static const char *text(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void check_rule(yaml_document_t *d, yaml_node_t *rule, const char *names, const char *md,
                       int *nrules)
{
    const char *alert = text(get(d, rule, "alert"));
    const char *expr = text(get(d, rule, "expr"));
    const char *sev = text(get(d, get(d, rule, "labels"), "severity"));
    const char *summary = text(get(d, get(d, rule, "annotations"), "summary"));
    const char *runbook = text(get(d, get(d, rule, "annotations"), "runbook"));
    if (!alert || !expr || !text(get(d, rule, "for")) || !sev || !summary || !runbook)
        fail_msg("rule %s lacks alert, expr, for, labels.severity, summary or runbook",
                 alert ? alert : "(unnamed)");
    if (strcmp(sev, "critical") && strcmp(sev, "warning") && strcmp(sev, "info"))
        fail_msg("%s: severity %s", alert, sev);
    const char *hash = strchr(runbook, '#');
    if (strncmp(runbook, RUNBOOK "#", strlen(RUNBOOK) + 1) != 0 || !has_anchor(md, hash + 1))
        fail_msg("%s: runbook %s is not a section of %s", alert, runbook, RUNBOOK);
    int metrics = 0;
    for (const char *p = expr; (p = strstr(p, "seam_")); p += 5) {
        if (p > expr && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) continue;
        char name[128];
        size_t n = 0;
        while ((isalnum((unsigned char)p[n]) || p[n] == '_') && n < sizeof name - 1) {
            name[n] = p[n];
            n++;
        }
        name[n] = '\0';
        if (!exported(names, name)) fail_msg("%s: seam does not export %s", alert, name);
        metrics++;
    }
    if (!metrics) fail_msg("%s: its expression uses no seam metric", alert);
    (*nrules)++;
}

static void test_alert_rules(void **state)
{
    char *yml = slurp(ALERTS), *md = slurp(RUNBOOK), *names = exported_names();
    yaml_parser_t parser;
    yaml_document_t doc;
    assert_true(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, (const unsigned char *)yml, strlen(yml));
    if (!yaml_parser_load(&parser, &doc)) fail_msg("%s: %s", ALERTS, parser.problem);
    yaml_node_t *groups = get(&doc, yaml_document_get_root_node(&doc), "groups");
    assert_non_null(groups);
    assert_int_equal(groups->type, YAML_SEQUENCE_NODE);
    int nrules = 0;
    for (yaml_node_item_t *g = groups->data.sequence.items.start;
         g < groups->data.sequence.items.top; g++) {
        yaml_node_t *group = yaml_document_get_node(&doc, *g);
        assert_non_null(text(get(&doc, group, "name")));
        yaml_node_t *rules = get(&doc, group, "rules");
        assert_true(rules && rules->type == YAML_SEQUENCE_NODE);
        for (yaml_node_item_t *r = rules->data.sequence.items.start;
             r < rules->data.sequence.items.top; r++)
            check_rule(&doc, yaml_document_get_node(&doc, *r), names, md, &nrules);
    }
    assert_true(nrules >= 10);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(yml);
    free(md);
    free(names);
}

/* The checker itself catches a metric seam does not have. */
static void test_checker_catches_unknown_metric(void **state)
{
    char *names = exported_names();
    assert_true(exported(names, "seam_circuit_state"));
    assert_true(exported(names, "seam_request_duration_seconds_bucket"));
    assert_false(exported(names, "seam_circuit_states"));
    assert_false(exported(names, "seam_requests"));
    free(names);
    assert_true(has_anchor("x\n## A leaked key\n", "a-leaked-key"));
    assert_false(has_anchor("x\n## A leaked key\n", "leaked-key"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alert_rules),
        cmocka_unit_test(test_checker_catches_unknown_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
