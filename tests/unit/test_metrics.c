/* test_metrics.c — counting across workers and the Prometheus rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/metrics.h"

static seam_metrics *w1, *w2;

static int setup(void **state)
{
    w1 = calloc(1, sizeof *w1);
    w2 = calloc(1, sizeof *w2);
    return w1 && w2 ? 0 : -1;
}

static int teardown(void **state)
{
    free(w1);
    free(w2);
    w1 = w2 = NULL;
    return 0;
}

/* Renders both workers into a malloc'd string. */
static char *render(size_t nworkers)
{
    seam_metrics *all[2] = {w1, w2};
    seam_buf b;
    seam_buf_init(&b, 1 << 20);
    assert_int_equal(seam_metrics_render(all, nworkers, &b), 0);
    assert_non_null(b.data);
    char *s = strdup(b.data);
    assert_non_null(s);
    seam_buf_free(&b);
    return s;
}

/* How many whole lines of text start with series + " ". */
static int count_lines(const char *text, const char *series)
{
    int n = 0;
    size_t sl = strlen(series);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > sl && memcmp(p, series, sl) == 0 && p[sl] == ' ') n++;
        p += len + (nl ? 1 : 0);
    }
    return n;
}

/* The value on the one line for series; fails when there is not exactly one. */
static double value_of(const char *text, const char *series)
{
    int n = count_lines(text, series);
    if (n != 1) fail_msg("%d lines for %s in:\n%s", n, series, text);
    size_t sl = strlen(series);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > sl && memcmp(p, series, sl) == 0 && p[sl] == ' ') {
            char *end;
            double v = strtod(p + sl + 1, &end);
            assert_ptr_equal(end, p + len); /* nothing after the number */
            return v;
        }
        p += len + (nl ? 1 : 0);
    }
    return -1;
}

#define REQ(route, prov, status)                                                                   \
    "seam_requests_total{route=\"" route "\",provider=\"" prov "\",status=\"" #status "\"}"

static void test_requests_summed_over_workers(void **state)
{
    for (int i = 0; i < 3; i++)
        seam_metrics_request(w1, "a", "p", 200, 1000, 500, 0, 0);
    for (int i = 0; i < 2; i++)
        seam_metrics_request(w2, "a", "p", 200, 1000, 500, 0, 0);
    seam_metrics_request(w2, "a", "p", 502, 1000, 500, 0, 0);
    seam_metrics_request(w1, "b", "p", 200, 1000, 500, 0, 0);
    seam_metrics_request(w1, "a", "q", 200, 1000, 500, 0, 0);
    seam_metrics_request(w2, "", "", 401, 10, 0, 0, 0);
    seam_metrics_request(w2, NULL, NULL, 401, 10, 0, 0, 0);
    char *s = render(2);
    assert_true(value_of(s, REQ("a", "p", 200)) == 5);
    assert_true(value_of(s, REQ("a", "p", 502)) == 1);
    assert_true(value_of(s, REQ("b", "p", 200)) == 1);
    assert_true(value_of(s, REQ("a", "q", 200)) == 1);
    assert_true(value_of(s, REQ("", "", 401)) == 2); /* NULL labels count as "" */
    assert_int_equal(count_lines(s, REQ("a", "p", 404)), 0);
    assert_non_null(strstr(s, "# TYPE seam_requests_total counter\n"));
    free(s);

    /* one worker only: w2's counts are not in it */
    s = render(1);
    assert_true(value_of(s, REQ("a", "p", 200)) == 3);
    assert_int_equal(count_lines(s, REQ("a", "p", 502)), 0);
    free(s);
}

static void test_histogram_cumulative(void **state)
{
    /* bucket bounds are upper-inclusive: 1000 us is in le="0.001" */
    seam_metrics_request(w1, "r", "p", 200, 500, 0, 0, 0);
    seam_metrics_request(w1, "r", "p", 200, 1000, 0, 0, 0);
    seam_metrics_request(w2, "r", "p", 200, 1001, 0, 0, 0);
    seam_metrics_request(w2, "r", "p", 200, 300000, 0, 0, 0);   /* 0.3 s */
    seam_metrics_request(w1, "r", "p", 200, 70000000, 0, 0, 0); /* 70 s: only +Inf */
    char *s = render(2);
#define B(le) "seam_request_duration_seconds_bucket{le=\"" le "\"}"
    assert_true(value_of(s, B("0.001")) == 2);
    assert_true(value_of(s, B("0.005")) == 3);
    assert_true(value_of(s, B("0.01")) == 3);
    assert_true(value_of(s, B("0.25")) == 3);
    assert_true(value_of(s, B("0.5")) == 4);
    assert_true(value_of(s, B("1")) == 4);
    assert_true(value_of(s, B("60")) == 4);
    assert_true(value_of(s, B("+Inf")) == 5);
    assert_true(value_of(s, "seam_request_duration_seconds_count") == 5);
    double sum = value_of(s, "seam_request_duration_seconds_sum");
    assert_true(sum > 70.302 && sum < 70.303); /* 70.302501 s */
#undef B
    /* every bucket line of both histograms is non-decreasing, +Inf == count */
    const char *names[] = {"seam_request_duration_seconds", "seam_upstream_duration_seconds"};
    for (int h = 0; h < 2; h++) {
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s_bucket{le=\"", names[h]);
        double prev = 0, last = -1;
        int nb = 0;
        for (const char *p = strstr(s, prefix); p; p = strstr(p + 1, prefix)) {
            const char *sp = strchr(p, ' ');
            double v = strtod(sp + 1, NULL);
            assert_true(v >= prev);
            prev = last = v;
            nb++;
        }
        assert_int_equal(nb, SEAM_METRICS_BUCKETS);
        char count[96];
        snprintf(count, sizeof count, "%s_count", names[h]);
        assert_true(last == value_of(s, count));
    }
    /* upstream_us == 0 means no upstream call: not observed */
    assert_true(value_of(s, "seam_upstream_duration_seconds_count") == 0);
    free(s);
}

static void test_upstream_histogram(void **state)
{
    seam_metrics_request(w1, "r", "p", 200, 9000, 4000, 0, 0);
    seam_metrics_request(w2, "r", "p", 200, 9000, 20000, 0, 0);
    char *s = render(2);
    assert_true(value_of(s, "seam_upstream_duration_seconds_bucket{le=\"0.001\"}") == 0);
    assert_true(value_of(s, "seam_upstream_duration_seconds_bucket{le=\"0.005\"}") == 1);
    assert_true(value_of(s, "seam_upstream_duration_seconds_bucket{le=\"0.025\"}") == 2);
    assert_true(value_of(s, "seam_upstream_duration_seconds_count") == 2);
    assert_true(value_of(s, "seam_request_duration_seconds_bucket{le=\"0.01\"}") == 2);
    free(s);
}

static void test_label_characters_replaced(void **state)
{
    seam_metrics_request(w1, "a\"b\\c\nd", "pro\"v", 200, 1, 0, 0, 0);
    seam_metrics_request(w2, "a\"b\\c\nd", "pro\"v", 200, 1, 0, 0, 0);
    char *s = render(2);
    assert_true(value_of(s, REQ("a_b_c_d", "pro_v", 200)) == 2);
    /* no raw quote inside a label value anywhere */
    assert_null(strstr(s, "a\"b"));
    assert_null(strstr(s, "c\nd"));
    free(s);
}

static void test_series_overflow(void **state)
{
    char route[32];
    for (int i = 0; i < SEAM_METRICS_SERIES; i++) {
        snprintf(route, sizeof route, "r%d", i);
        seam_metrics_request(w1, route, "p", 200, 1, 0, 0, 0);
    }
    char *s = render(1);
    assert_true(value_of(s, "seam_metrics_series_overflow_total") == 0);
    free(s);
    /* the table is full: new label sets are counted as overflow ... */
    seam_metrics_request(w1, "new1", "p", 200, 1, 0, 0, 0);
    seam_metrics_request(w1, "new2", "p", 200, 1, 0, 0, 0);
    seam_metrics_request(w1, "r0", "p", 500, 1, 0, 0, 0);
    /* ... while known ones still count */
    seam_metrics_request(w1, "r7", "p", 200, 1, 0, 0, 0);
    /* another worker has its own table */
    seam_metrics_request(w2, "new1", "p", 200, 1, 0, 0, 0);
    s = render(2);
    assert_true(value_of(s, "seam_metrics_series_overflow_total") == 3);
    assert_int_equal(count_lines(s, REQ("new2", "p", 200)), 0);
    assert_int_equal(count_lines(s, REQ("r0", "p", 500)), 0);
    assert_true(value_of(s, REQ("new1", "p", 200)) == 1);
    assert_true(value_of(s, REQ("r7", "p", 200)) == 2);
    assert_true(value_of(s, REQ("r511", "p", 200)) == 1);
    /* overflowed requests still count in the latency histogram */
    assert_true(value_of(s, "seam_request_duration_seconds_count") == SEAM_METRICS_SERIES + 5);
    /* one line per label set, no more */
    int lines = 0;
    for (const char *p = strstr(s, "seam_requests_total{"); p;
         p = strstr(p + 1, "seam_requests_total{"))
        lines++;
    assert_int_equal(lines, SEAM_METRICS_SERIES + 1);
    free(s);
}

static void test_tokens(void **state)
{
    seam_metrics_request(w1, "chat", "openai", 200, 1, 1, 10, 20);
    seam_metrics_request(w2, "chat", "openai", 200, 1, 1, 5, 7);
    seam_metrics_request(w2, "chat", "openai", 200, 1, 1, -1, -1); /* unknown usage */
    seam_metrics_request(w1, "quiet", "openai", 200, 1, 1, 0, 0);
    char *s = render(2);
    assert_true(
        value_of(s, "seam_tokens_total{route=\"chat\",provider=\"openai\",direction=\"in\"}") ==
        15);
    assert_true(
        value_of(s, "seam_tokens_total{route=\"chat\",provider=\"openai\",direction=\"out\"}") ==
        27);
    assert_true(value_of(s, REQ("chat", "openai", 200)) == 3);
    /* no token lines for a series that never reported tokens */
    assert_null(strstr(s, "seam_tokens_total{route=\"quiet\""));
    free(s);
}

static void test_inflight(void **state)
{
    seam_metrics_inflight(w1, 3);
    seam_metrics_inflight(w1, -1);
    seam_metrics_inflight(w2, 2);
    char *s = render(2);
    assert_true(value_of(s, "seam_requests_inflight") == 4);
    free(s);
    seam_metrics_inflight(w2, -2);
    seam_metrics_inflight(w1, -2);
    s = render(2);
    assert_true(value_of(s, "seam_requests_inflight") == 0);
    free(s);
}

static void test_empty_and_cap(void **state)
{
    char *s = render(2);
    assert_int_equal(count_lines(s, "seam_requests_total"), 0);
    assert_true(value_of(s, "seam_request_duration_seconds_bucket{le=\"+Inf\"}") == 0);
    assert_true(value_of(s, "seam_request_duration_seconds_count") == 0);
    free(s);
    /* a scrape that does not fit the caller's cap says so */
    seam_metrics *all[2] = {w1, w2};
    seam_buf b;
    seam_buf_init(&b, 100);
    assert_int_equal(seam_metrics_render(all, 2, &b), SEAM_BUF_TOOBIG);
    seam_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_requests_summed_over_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_histogram_cumulative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_histogram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_characters_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_series_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inflight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_cap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
