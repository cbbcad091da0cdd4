/* The control API: Firecracker's REST API (paths, fields, status codes) on
 * a Unix socket, served by libmicrohttpd on one thread of its own (epoll,
 * no thread per connection). docs/api.md describes every path.
 *
 * In API mode (--api-sock or [api] socket) volt serves the socket first,
 * lets the API edit the configuration (as the INI file would have filled
 * it), boots on InstanceStart, and keeps serving while the VM runs (GET /,
 * PATCH /vm, actions, metrics). The socket is removed at exit.
 *
 * Threads: the API thread runs every handler. The main thread waits for
 * InstanceStart in api_server_wait_boot(), builds the machine with the
 * configuration the API filled, and reports the outcome with
 * api_server_boot_done(); the API thread answers the InstanceStart request
 * then. After boot the configuration is read-only to both.
 *
 * The sandbox: the API thread exists before lockdown. Its filter must be
 * stacked by the thread itself: api_thread_call() runs a function there,
 * between requests. docs/api.md lists the syscalls it makes after boot. */
#ifndef VOLT_API_API_H
#define VOLT_API_API_H

#include <stdint.h>

#include "config/config.h"
#include "util/err.h"

struct api_server;
struct machine;

/* Bind cfg->api_sock (mode 0600; a path a live process serves is refused,
 * a stale socket file replaced) and start the API thread. cfg is edited by
 * the API until InstanceStart and must outlive the server. Signals must
 * already be blocked (machine_block_signals), so the thread inherits that.
 * start_ns (CLOCK_MONOTONIC at process start) dates the metrics' uptime. */
int api_server_create(struct api_server **out, struct volt_config *cfg, uint64_t start_ns,
		      struct volt_err *err);

/* Main thread: wait for InstanceStart (returns 1: build the machine from
 * cfg) or for SIGTERM/SIGINT (returns 0: exit). -errno on failure. */
int api_server_wait_boot(struct api_server *s, struct volt_err *err);

/* Main thread: how the build went. m is the built machine (it must stay
 * valid until api_server_destroy), or NULL with err saying why it failed;
 * the API then answers InstanceStart with 400 and err's message, and the
 * configuration may be corrected and started again. */
void api_server_boot_done(struct api_server *s, struct machine *m, const struct volt_err *err);

/* Stop the thread, close every connection, remove the socket file (if it
 * is still ours). Safe on NULL. */
void api_server_destroy(struct api_server *s);

/* Run fn(arg) on the API thread between two requests and return what it
 * returns (the sandbox stacks the API thread's filter this way). Returns 0
 * without calling fn if no API server runs. Never call it from the API
 * thread itself. Volt runs at most one API server per process. */
int api_thread_call(int (*fn)(void *arg), void *arg);

/* API mode from start to exit: serve, wait for InstanceStart, build, run,
 * clean up. Returns the process exit status (enum vm_exit_status). */
int api_run(struct volt_config *cfg, uint64_t start_ns);

#endif
