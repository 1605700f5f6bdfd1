/* The one monotonic clock for timings (compile times, engine measurements,
 * epoch durations, benchmarks). */
#ifndef CLTRAIN_CORE_CLOCK_H
#define CLTRAIN_CORE_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything. */
double ct_now_seconds(void);

#endif
