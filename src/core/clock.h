/* The one monotonic clock for timings (compile times, engine measurements,
 * epoch durations, benchmarks), and the process's CPU time. */
#ifndef CLTRAIN_CORE_CLOCK_H
#define CLTRAIN_CORE_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything. */
double ct_now_seconds(void);

/* The process's CPU time, all threads (CLOCK_PROCESS_CPUTIME_ID). On a CPU
 * device the kernels run on the process's own threads, so the work they do
 * per CPU second holds on a machine that other processes keep busy, where
 * the wall clock swings by several times between runs. */
double ct_cpu_seconds(void);

#endif
