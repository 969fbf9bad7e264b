/* test_route.c — target choice, residency, backoff and Retry-After. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "route/route.h"

static seam_route_conf route_of(seam_target_conf *t, size_t n)
{
    seam_route_conf r;
    memset(&r, 0, sizeof r);
    r.name = "chat";
    r.targets = t;
    r.ntargets = n;
    return r;
}

static void test_single_target_always(void **state)
{
    seam_target_conf t[1] = {{.provider = "p", .model = "m", .weight = 100}};
    seam_route_conf r = route_of(t, 1);
    uint64_t rng = 42;
    for (int i = 0; i < 1000; i++)
        assert_ptr_equal(seam_route_pick(&r, &rng), &t[0]);
}

static void test_weights_90_10(void **state)
{
    seam_target_conf t[2] = {{.provider = "a", .weight = 90}, {.provider = "b", .weight = 10}};
    seam_route_conf r = route_of(t, 2);
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    int count[2] = {0, 0};
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        const seam_target_conf *p = seam_route_pick(&r, &rng);
        assert_non_null(p);
        assert_true(p == &t[0] || p == &t[1]);
        count[p - t]++;
    }
    /* within one percentage point of 90/10 */
    assert_in_range(count[0], 89000, 91000);
    assert_in_range(count[1], 9000, 11000);
    assert_int_equal(count[0] + count[1], n);
}

static void test_three_way_split(void **state)
{
    seam_target_conf t[3] = {{.weight = 50}, {.weight = 30}, {.weight = 20}};
    seam_route_conf r = route_of(t, 3);
    uint64_t rng = 12345;
    int count[3] = {0, 0, 0};
    for (int i = 0; i < 100000; i++)
        count[seam_route_pick(&r, &rng) - t]++;
    assert_in_range(count[0], 49000, 51000);
    assert_in_range(count[1], 29000, 31000);
    assert_in_range(count[2], 19000, 21000);
}

static void test_weight_zero_never_picked(void **state)
{
    seam_target_conf t[3] = {{.weight = 0}, {.weight = 50}, {.weight = 0}};
    seam_route_conf r = route_of(t, 3);
    uint64_t rng = 7;
    for (int i = 0; i < 20000; i++)
        assert_ptr_equal(seam_route_pick(&r, &rng), &t[1]);

    /* a zero-weight target between two live ones is skipped too */
    seam_target_conf u[3] = {{.weight = 1}, {.weight = 0}, {.weight = 1}};
    seam_route_conf r2 = route_of(u, 3);
    int seen[3] = {0, 0, 0};
    for (int i = 0; i < 20000; i++)
        seen[seam_route_pick(&r2, &rng) - u]++;
    assert_int_equal(seen[1], 0);
    assert_true(seen[0] > 0);
    assert_true(seen[2] > 0);
}

static void test_all_zero_is_null(void **state)
{
    seam_target_conf t[2] = {{.weight = 0}, {.weight = 0}};
    seam_route_conf r = route_of(t, 2);
    uint64_t rng = 99;
    assert_null(seam_route_pick(&r, &rng));
    seam_route_conf one = route_of(t, 1);
    assert_null(seam_route_pick(&one, &rng));
}

static void test_rng_advances(void **state)
{
    seam_target_conf t[2] = {{.weight = 50}, {.weight = 50}};
    seam_route_conf r = route_of(t, 2);
    uint64_t rng = 1;
    uint64_t before = rng;
    const seam_target_conf *first = seam_route_pick(&r, &rng);
    assert_true(rng != before);
    assert_true(rng != 0);
    /* not stuck on one target */
    int differ = 0;
    for (int i = 0; i < 64 && !differ; i++)
        differ = seam_route_pick(&r, &rng) != first;
    assert_true(differ);
}

static void test_same_seed_same_sequence(void **state)
{
    /* per-worker determinism: the pick depends only on the rng state */
    seam_target_conf t[3] = {{.weight = 10}, {.weight = 20}, {.weight = 70}};
    seam_route_conf r = route_of(t, 3);
    uint64_t a = 555, b = 555;
    for (int i = 0; i < 1000; i++)
        assert_ptr_equal(seam_route_pick(&r, &a), seam_route_pick(&r, &b));
    assert_true(a == b);
}

/* ---- allowed sets, sticky subjects, power of two choices ---- */

static void test_pick_respects_allowed_mask(void **state)
{
    seam_target_conf t[3] = {{.weight = 50}, {.weight = 30}, {.weight = 20}};
    seam_route_conf r = route_of(t, 3);
    uint64_t rng = 3;
    for (int i = 0; i < 10000; i++) {
        const seam_target_conf *p = seam_route_pick_x(&r, 0x5, seam_rng_next(&rng));
        assert_true(p == &t[0] || p == &t[2]);
    }
    assert_null(seam_route_pick_x(&r, 0, 1));
    /* only weight-0 targets allowed: nothing to pick by weight */
    t[1].weight = 0;
    assert_null(seam_route_pick_x(&r, 0x2, 1));
}

static void test_sticky_subject_keeps_its_arm(void **state)
{
    seam_target_conf t[2] = {{.weight = 95}, {.weight = 5}};
    seam_route_conf r = route_of(t, 2);
    int arm[2] = {0, 0};
    for (int u = 0; u < 20000; u++) {
        char subject[32];
        int n = snprintf(subject, sizeof subject, "user-%d", u);
        uint64_t h = seam_subject_hash(subject, (size_t)n);
        const seam_target_conf *first = seam_route_pick_x(&r, ~0ull, h);
        for (int k = 0; k < 5; k++) /* the same subject, asked again */
            assert_ptr_equal(seam_route_pick_x(&r, ~0ull, seam_subject_hash(subject, (size_t)n)),
                             first);
        arm[first - t]++;
    }
    /* subjects still split by weight: 5% +- 1 point */
    assert_in_range(arm[1], 800, 1200);
    assert_int_not_equal(seam_subject_hash("", 0), 0);
}

static double score_by_index(const seam_target_conf *t, void *ud)
{
    const double *scores = ud;
    return scores[t->line];
}

static void test_p2c_prefers_lower_score(void **state)
{
    seam_target_conf t[2] = {{.weight = 50, .line = 0}, {.weight = 50, .line = 1}};
    seam_route_conf r = route_of(t, 2);
    double scores[2] = {1000.0, 10.0};
    uint64_t rng = 11;
    for (int i = 0; i < 1000; i++) /* two arms: both are always compared */
        assert_ptr_equal(seam_route_pick_p2c(&r, ~0ull, &rng, score_by_index, scores), &t[1]);
    /* one allowed arm: it is the answer whatever its score */
    for (int i = 0; i < 100; i++)
        assert_ptr_equal(seam_route_pick_p2c(&r, 0x1, &rng, score_by_index, scores), &t[0]);
}

/* ---- residency ---- */

static void test_residency(void **state)
{
    seam_provider_conf eu = {.name = "eu", .region = "eu-west-1", .tier = SEAM_TIER_VENDOR};
    seam_provider_conf onprem = {.name = "op", .region = "eu", .tier = SEAM_TIER_PRIVATE};
    seam_provider_conf us = {.name = "us", .region = "us-east-1", .tier = SEAM_TIER_VENDOR};
    seam_provider_conf nowhere = {.name = "x", .tier = SEAM_TIER_VENDOR};
    const char *only_eu[] = {"eu", NULL};
    assert_null(seam_residency_check(&eu, NULL, SEAM_TIER_ALL));
    assert_null(seam_residency_check(&eu, only_eu, SEAM_TIER_ALL));
    assert_null(seam_residency_check(&onprem, only_eu, SEAM_TIER_PRIVATE));
    assert_string_equal(seam_residency_check(&us, only_eu, SEAM_TIER_ALL), "region");
    assert_string_equal(seam_residency_check(&nowhere, only_eu, SEAM_TIER_ALL), "region");
    assert_string_equal(seam_residency_check(&eu, only_eu, SEAM_TIER_PRIVATE), "tier");
    assert_true(seam_region_within("eu-west-1", "eu"));
    assert_true(seam_region_within("eu", "eu"));
    assert_false(seam_region_within("europe", "eu"));
    assert_false(seam_region_within("eu", "eu-west-1"));
}

/* ---- backoff and Retry-After ---- */

static void test_backoff_doubles_with_jitter_and_cap(void **state)
{
    seam_retry_conf rc = {
        .attempts = 5, .per_target = 5, .backoff_ms = 100, .max_backoff_ms = 1000};
    uint64_t rng = 5;
    assert_int_equal(seam_backoff_ms(&rc, 1, &rng), 0);
    for (int i = 0; i < 1000; i++) {
        assert_in_range(seam_backoff_ms(&rc, 2, &rng), 50, 100);
        assert_in_range(seam_backoff_ms(&rc, 3, &rng), 100, 200);
        assert_in_range(seam_backoff_ms(&rc, 4, &rng), 200, 400);
        assert_in_range(seam_backoff_ms(&rc, 9, &rng), 500, 1000);
    }
    int differ = 0, first = seam_backoff_ms(&rc, 4, &rng);
    for (int i = 0; i < 50 && !differ; i++)
        differ = seam_backoff_ms(&rc, 4, &rng) != first;
    assert_true(differ); /* jitter: not one fixed value */
    rc.backoff_ms = 0;
    assert_int_equal(seam_backoff_ms(&rc, 3, &rng), 0);
}

static void test_retry_after(void **state)
{
    assert_int_equal(seam_retry_after_ms(NULL, 0), -1);
    assert_int_equal(seam_retry_after_ms("2", 0), 2000);
    assert_int_equal(seam_retry_after_ms(" 0 ", 0), 0);
    assert_int_equal(seam_retry_after_ms("soon", 0), -1);
    assert_int_equal(seam_retry_after_ms("-1", 0), -1);
    assert_int_equal(seam_retry_after_ms("3x", 0), -1);
    assert_int_equal(seam_retry_after_ms("999999", 0), 86400L * 1000);
    /* an HTTP-date 90 s after "now" */
    int64_t now = (int64_t)1445412390 * 1000; /* Wed, 21 Oct 2015 07:26:30 GMT */
    assert_int_equal(seam_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", now), 90000);
    assert_int_equal(seam_retry_after_ms("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
    assert_int_equal(seam_retry_after_ms("Wed, 21 Oct 2015 07:28:00", now), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_target_always),
        cmocka_unit_test(test_weights_90_10),
        cmocka_unit_test(test_three_way_split),
        cmocka_unit_test(test_weight_zero_never_picked),
        cmocka_unit_test(test_all_zero_is_null),
        cmocka_unit_test(test_rng_advances),
        cmocka_unit_test(test_same_seed_same_sequence),
        cmocka_unit_test(test_pick_respects_allowed_mask),
        cmocka_unit_test(test_sticky_subject_keeps_its_arm),
        cmocka_unit_test(test_p2c_prefers_lower_score),
        cmocka_unit_test(test_residency),
        cmocka_unit_test(test_backoff_doubles_with_jitter_and_cap),
        cmocka_unit_test(test_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
