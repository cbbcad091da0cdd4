/* LD_PRELOAD shim for no_vdso.sh: clock_gettime as on a host whose
 * clocksource has no vDSO mode (hpet, acpi_pm), where glibc's vDSO path
 * falls back to the real syscall for the high-resolution clocks. Every
 * thread's seccomp filter then sees each call, as it would there. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*next)(clockid_t, struct timespec *);

	if (id == CLOCK_REALTIME || id == CLOCK_MONOTONIC || id == CLOCK_BOOTTIME)
		return (int)syscall(SYS_clock_gettime, id, ts);
	if (!next)
		next = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	return next(id, ts);
}
