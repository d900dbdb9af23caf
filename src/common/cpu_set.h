/* cpu_set.h — the CPUs this process may run on, in order, so that keyd and the web process
 * agree on which keyd channel belongs to which CPU (channel i to the (i mod n)-th CPU).
 *
 * A key service round trip costs two context switches; when the thread that asks and the
 * thread that answers share a CPU, each wake-up stays on it (no inter-processor interrupt, no
 * idle CPU woken to run a few microseconds of work). keyd pins channel i's thread to its CPU;
 * the web process asks on a channel of the CPU it is running on when one is free. */
#ifndef COFFER_COMMON_CPU_SET_H
#define COFFER_COMMON_CPU_SET_H

#define CPU_SET_LIST_MAX 256

/* The CPUs of the calling thread's affinity mask into CPUS (ascending); how many (0: unknown). */
int cpu_set_list(int cpus[CPU_SET_LIST_MAX]);

/* The position of CPU in CPUS[0..N), or -1. */
int cpu_set_index(const int *cpus, int n, int cpu);

#endif
