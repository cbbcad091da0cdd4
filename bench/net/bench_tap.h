/* The host side of the tap both network benchmarks send through. */
#ifndef VOLT_BENCH_NET_TAP_H
#define VOLT_BENCH_NET_TAP_H

/* Bring the tap `name` up with a transmit queue of 8192 frames, room for
 * a whole receive burst. A benchmark, not a library: it exits with a
 * message if that fails. */
void bench_tap_up(const char *name);

/* A tap opened as net-tap opens one (tap_open: non-blocking, with the
 * virtio-net header, offloads off), then bench_tap_up; exits on failure. */
int bench_tap_open(const char *name);

#endif
