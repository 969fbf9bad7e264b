/* test_health.c — breakers, latency, in-flight slots, the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "route/health.h"

static const seam_breaker_conf conf = {.failures = 3,
                                       .error_rate_pct = 0,
                                       .min_requests = 20,
                                       .window_ms = 10000,
                                       .cooldown_ms = 1000};

#define MS 1000ull

static void test_registry_finds_the_same_entry(void **state)
{
    seam_health *h = seam_health_new();
    seam_target_health *a = seam_health_target(h, "p", "m");
    assert_non_null(a);
    assert_ptr_equal(seam_health_target(h, "p", "m"), a);
    assert_ptr_not_equal(seam_health_target(h, "p", "n"), a);
    assert_string_equal(a->name, "p/m");
    seam_provider_health *p = seam_health_provider(h, "p");
    assert_ptr_equal(seam_health_provider(h, "p"), p);
    for (int i = 0; i < 100; i++) { /* growth keeps entries where they are */
        char m[16];
        snprintf(m, sizeof m, "m%d", i);
        assert_non_null(seam_health_target(h, "q", m));
    }
    assert_ptr_equal(seam_health_target(h, "p", "m"), a);
    seam_health_free(h);
}

static void test_breaker_opens_half_opens_closes(void **state)
{
    seam_health *h = seam_health_new();
    seam_target_health *t = seam_health_target(h, "p", "m");
    uint64_t now = 1000 * MS;
    int trial;
    for (int i = 0; i < 2; i++) {
        assert_true(seam_breaker_admit(t, &conf, now, &trial));
        assert_false(trial);
        seam_breaker_report(t, &conf, 0, trial, now, 0);
    }
    assert_int_equal(seam_breaker_state(t, now), SEAM_BREAKER_CLOSED);
    /* a success in between resets the count */
    seam_breaker_report(t, &conf, 1, 0, now, 5000);
    for (int i = 0; i < 3; i++)
        seam_breaker_report(t, &conf, 0, 0, now, 0);
    assert_int_equal(seam_breaker_state(t, now), SEAM_BREAKER_OPEN);
    assert_int_equal(t->opened_total, 1);
    assert_false(seam_breaker_admit(t, &conf, now + 999 * MS, &trial));
    /* cooldown over: exactly one trial goes through */
    assert_int_equal(seam_breaker_state(t, now + 1000 * MS), SEAM_BREAKER_HALF_OPEN);
    assert_true(seam_breaker_admit(t, &conf, now + 1000 * MS, &trial));
    assert_true(trial);
    int again;
    assert_false(seam_breaker_admit(t, &conf, now + 1001 * MS, &again));
    /* the trial fails: open for another cooldown */
    seam_breaker_report(t, &conf, 0, 1, now + 1100 * MS, 0);
    assert_int_equal(seam_breaker_state(t, now + 1100 * MS), SEAM_BREAKER_OPEN);
    assert_int_equal(t->opened_total, 2);
    assert_false(seam_breaker_admit(t, &conf, now + 2000 * MS, &trial));
    /* next trial succeeds: closed */
    assert_true(seam_breaker_admit(t, &conf, now + 2100 * MS, &trial));
    assert_true(trial);
    seam_breaker_report(t, &conf, 1, 1, now + 2200 * MS, 1000);
    assert_int_equal(seam_breaker_state(t, now + 2200 * MS), SEAM_BREAKER_CLOSED);
    assert_true(seam_breaker_admit(t, &conf, now + 2200 * MS, &trial));
    assert_false(trial);
    seam_health_free(h);
}

static void test_abandoned_trial_is_taken_over(void **state)
{
    seam_health *h = seam_health_new();
    seam_target_health *t = seam_health_target(h, "p", "m");
    int trial;
    for (int i = 0; i < 3; i++)
        seam_breaker_report(t, &conf, 0, 0, 0, 0);
    assert_true(seam_breaker_admit(t, &conf, 1000 * MS, &trial));
    assert_true(trial);
    seam_breaker_abandon(t, trial); /* the client left */
    assert_true(seam_breaker_admit(t, &conf, 1001 * MS, &trial));
    assert_true(trial);
    /* never reported: after another cooldown someone else may try */
    assert_false(seam_breaker_admit(t, &conf, 1500 * MS, &trial));
    assert_true(seam_breaker_admit(t, &conf, 2001 * MS, &trial));
    assert_true(trial);
    seam_health_free(h);
}

static void test_error_rate_rule(void **state)
{
    seam_breaker_conf c = conf;
    c.failures = 0; /* only the rate */
    c.error_rate_pct = 50;
    c.min_requests = 10;
    seam_health *h = seam_health_new();
    seam_target_health *t = seam_health_target(h, "p", "m");
    uint64_t now = 5000 * MS;
    for (int i = 0; i < 4; i++) { /* 4 failed of 8: not enough calls yet */
        seam_breaker_report(t, &c, 1, 0, now, 100);
        seam_breaker_report(t, &c, 0, 0, now, 0);
    }
    assert_int_equal(seam_breaker_state(t, now), SEAM_BREAKER_CLOSED);
    seam_breaker_report(t, &c, 1, 0, now, 100); /* 4 of 9 */
    seam_breaker_report(t, &c, 0, 0, now, 0);   /* 5 of 10: 50% */
    assert_int_equal(seam_breaker_state(t, now), SEAM_BREAKER_OPEN);
    /* a new window starts from zero */
    seam_health *h2 = seam_health_new();
    seam_target_health *u = seam_health_target(h2, "p", "m");
    for (int i = 0; i < 9; i++)
        seam_breaker_report(u, &c, 0, 0, now, 0);
    seam_breaker_report(u, &c, 0, 0, now + 10001 * MS, 0); /* window passed: 1 of 1 */
    assert_int_equal(seam_breaker_state(u, now + 10001 * MS), SEAM_BREAKER_CLOSED);
    seam_health_free(h);
    seam_health_free(h2);
}

static void test_latency_ewma_and_score(void **state)
{
    seam_health *h = seam_health_new();
    seam_target_health *t = seam_health_target(h, "p", "m");
    assert_true(seam_target_score(t) == 0.0); /* unmeasured: tried first */
    seam_breaker_report(t, &conf, 1, 0, 0, 8000);
    assert_int_equal(t->ewma_us, 8000);
    for (int i = 0; i < 100; i++)
        seam_breaker_report(t, &conf, 1, 0, 0, 16000);
    assert_in_range(t->ewma_us, 15900, 16000);
    double idle = seam_target_score(t);
    seam_target_calls(t, 3);
    assert_true(seam_target_score(t) == idle * 4);
    seam_target_calls(t, -3);
    seam_health_free(h);
}

static void test_slots(void **state)
{
    seam_health *h = seam_health_new();
    seam_provider_health *p = seam_health_provider(h, "p");
    assert_true(seam_slot_take(p, 2));
    assert_true(seam_slot_take(p, 2));
    assert_false(seam_slot_take(p, 2));
    assert_int_equal(p->inflight, 2);
    assert_int_equal(p->full_total, 1);
    seam_slot_give(p);
    assert_true(seam_slot_take(p, 2));
    for (int i = 0; i < 100; i++) /* no limit */
        assert_true(seam_slot_take(p, 0));
    seam_health_free(h);
}

typedef struct {
    seam_provider_health *p;
    int max, got;
    int *held; /* slots held by all threads together (the counter itself may overshoot
                * for an instant while a refused take undoes its increment) */
} slot_arg;

static void *hammer(void *arg)
{
    slot_arg *a = arg;
    for (int i = 0; i < 100000; i++) {
        if (seam_slot_take(a->p, a->max)) {
            if (__atomic_add_fetch(a->held, 1, __ATOMIC_ACQ_REL) > a->max) a->got = -1;
            __atomic_sub_fetch(a->held, 1, __ATOMIC_ACQ_REL);
            seam_slot_give(a->p);
        }
    }
    return NULL;
}

/* Four threads never hold more than max slots together. */
static void test_slots_under_contention(void **state)
{
    seam_health *h = seam_health_new();
    seam_provider_health *p = seam_health_provider(h, "p");
    pthread_t th[4];
    slot_arg a[4];
    int held = 0;
    for (int i = 0; i < 4; i++) {
        a[i] = (slot_arg){p, 2, 0, &held};
        pthread_create(&th[i], NULL, hammer, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(a[i].got, 0);
    }
    assert_int_equal(p->inflight, 0);
    seam_health_free(h);
}

static void test_render(void **state)
{
    seam_health *h = seam_health_new();
    seam_target_health *t = seam_health_target(h, "local", "llama");
    seam_health_provider(h, "local");
    for (int i = 0; i < 3; i++)
        seam_breaker_report(t, &conf, 0, 0, 0, 0);
    seam_buf b;
    seam_buf_init(&b, 1 << 16);
    assert_int_equal(seam_health_render(h, 0, &b), 0);
    assert_non_null(strstr(b.data, "seam_circuit_state{target=\"local/llama\"} 1\n"));
    assert_non_null(strstr(b.data, "seam_circuit_opened_total{target=\"local/llama\"} 1\n"));
    assert_non_null(strstr(b.data, "seam_provider_inflight{provider=\"local\"} 0\n"));
    seam_buf_free(&b);
    seam_health_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_finds_the_same_entry),
        cmocka_unit_test(test_breaker_opens_half_opens_closes),
        cmocka_unit_test(test_abandoned_trial_is_taken_over),
        cmocka_unit_test(test_error_rate_rule),
        cmocka_unit_test(test_latency_ewma_and_score),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_slots_under_contention),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
