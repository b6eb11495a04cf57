/* Clocks and sleeps. Every clock counts from boot: there is no RTC, so CLOCK_REALTIME is the
 * time since boot too (vmm/platform.md section 1). */
#include "syscall.h"

static struct timespec ns_to_ts(u64 ns) { return (struct timespec){ (s64)(ns / 1000000000), (s64)(ns % 1000000000) }; }

static bool valid_clock(u64 id) { return id <= CLOCK_BOOTTIME; }

SYSCALL_DEFINE(clock_gettime)
{
	if (!valid_clock(a0))
		return -EINVAL;
	u64 ns = ktime_ns();
	if (a0 == CLOCK_PROCESS_CPUTIME_ID || a0 == CLOCK_THREAD_CPUTIME_ID)
		ns -= current_proc()->start_ns; /* a process runs alone: its CPU time is its age */
	struct timespec ts = ns_to_ts(ns);
	return copy_to_user((void *)a1, &ts, sizeof ts) ? -EFAULT : 0;
}

SYSCALL_DEFINE(clock_getres)
{
	if (!valid_clock(a0))
		return -EINVAL;
	struct timespec ts = { 0, 1 };
	return a1 && copy_to_user((void *)a1, &ts, sizeof ts) ? -EFAULT : 0;
}

SYSCALL_DEFINE(gettimeofday)
{
	u64 ns = ktime_ns();
	struct timeval tv = { (s64)(ns / 1000000000), (s64)(ns % 1000000000 / 1000) };
	return a0 && copy_to_user((void *)a0, &tv, sizeof tv) ? -EFAULT : 0;
}

SYSCALL_DEFINE(time)
{
	s64 t = (s64)(ktime_ns() / 1000000000);
	if (a0 && copy_to_user((void *)a0, &t, sizeof t))
		return -EFAULT;
	return t;
}

/* Sleep until the deadline; a signal ends it early with -EINTR and the time left. */
static s64 sleep_until(u64 deadline, u64 urem)
{
	for (;;) {
		u64 f = irq_save();
		u64 now = ktime_ns();
		if (now >= deadline) {
			irq_restore(f);
			return 0;
		}
		int err = sleep_on(&deadline, true, deadline);
		irq_restore(f);
		if (err) {
			now = ktime_ns();
			struct timespec rem = ns_to_ts(deadline > now ? deadline - now : 0);
			if (urem && copy_to_user((void *)urem, &rem, sizeof rem))
				return -EFAULT;
			return -EINTR;
		}
	}
}

static int read_ts(u64 uts, u64 *ns)
{
	struct timespec ts;
	if (copy_from_user(&ts, (const void *)uts, sizeof ts))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	*ns = (u64)ts.tv_sec >= 1000000000ULL * 1000 ? ~0ULL / 2 : (u64)ts.tv_sec * 1000000000 + (u64)ts.tv_nsec;
	return 0;
}

SYSCALL_DEFINE(nanosleep)
{
	u64 ns;
	int err = read_ts(a0, &ns);
	return err ? err : sleep_until(ktime_ns() + ns, a1);
}

SYSCALL_DEFINE(clock_nanosleep)
{
	u64 ns;
	if (!valid_clock(a0))
		return -EINVAL;
	int err = read_ts(a2, &ns);
	if (err)
		return err;
	return a1 & TIMER_ABSTIME ? sleep_until(ns, 0) : sleep_until(ktime_ns() + ns, a3);
}
