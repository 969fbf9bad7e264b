/* test_route.c — weighted target choice. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
