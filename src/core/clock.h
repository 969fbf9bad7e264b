/* clock.h — monotonic and wall time in the units seam measures in. */
#ifndef SEAM_CORE_CLOCK_H
#define SEAM_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t seam_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline int64_t seam_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
