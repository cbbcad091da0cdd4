/* What both network benchmarks measure with: a clock and the median of a
 * round's samples. */
#ifndef VOLT_BENCH_NET_STATS_H
#define VOLT_BENCH_NET_STATS_H

#include <time.h>

/* clock_gettime(clock) in seconds. */
double bench_seconds(clockid_t clock);

/* The median of v[0 .. n) (n >= 1); sorts v in place, smallest first. */
double bench_median(double *v, int n);

#endif
