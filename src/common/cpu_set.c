/* cpu_set.c — the CPUs this process may run on (cpu_set.h). */
#include "common/cpu_set.h"

#include <sched.h>

int cpu_set_list(int cpus[CPU_SET_LIST_MAX])
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 0;
	int n = 0;
	for (int c = 0; c < CPU_SETSIZE && n < CPU_SET_LIST_MAX; c++) {
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	}
	return n;
}

int cpu_set_index(const int *cpus, int n, int cpu)
{
	for (int i = 0; i < n; i++) {
		if (cpus[i] == cpu)
			return i;
	}
	return -1;
}
