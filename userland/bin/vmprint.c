/*
 * vmprint [pid] [va len]: the Sv39 page table of a process as a tree, one line per valid
 * entry: the root's entries (1 GiB each) at the left, the level-1 tables' (2 MiB) below
 * them, the leaves (4 KiB pages) innermost. With va and len, only the leaves in that
 * range and the tables above them, so the output fits a screen.
 */
#include "kernel/types.h"
#include "user/user.h"
#include "vmlib.h"

static void flags(char out[10], unsigned int b)
{
	const char *names = "vrwxugad";
	for (int i = 0; i < 8; i++)
		out[i] = (b & (1u << i)) ? names[i] : '-';
	out[8] = (b & VMPTE_CACHED) ? 'C' : ' ';
	out[9] = 0;
}

int main(int argc, char *argv[])
{
	long pid = getpid(), va = 0, len = 0x4000000000L; /* all of user space */
	int ok = argc <= 4;
	if (argc == 2 || argc == 4)
		ok = ok && (pid = parse_num(argv[1])) > 0;
	if (argc >= 3) {
		va = parse_num(argv[argc - 2]);
		len = parse_num(argv[argc - 1]);
		ok = ok && va >= 0 && len > 0;
		va &= ~4095L;
	}
	if (!ok) {
		fprintf(2, "usage: vmprint [pid] [va len]\n");
		exit(1);
	}
	struct vm_pte e[VM_PTES_MAX];
	unsigned long next = (unsigned long)va, end = (unsigned long)va + (unsigned long)len;
	unsigned long shown_l2 = ~0UL, shown_l1 = ~0UL;
	int n, leaves = 0, first = 1;
	char f[10];
	while (next < end && (n = vm_ptes((int)pid, next, end - next, e, VM_PTES_MAX)) > 0) {
		if (first)
			printf("page table of pid %d, root entries 0-255 (user half)\n", (int)pid);
		first = 0;
		for (int i = 0; i < n; i++) {
			flags(f, e[i].bits);
			if (e[i].level == 2) {
				if (e[i].va == shown_l2)
					continue;
				shown_l2 = e[i].va;
				printf("..%3ld: pte %s pa 0x%lx  (va 0x%lx, 1 GiB)\n",
				       (e[i].va >> 30) & 511, f, e[i].pa, e[i].va);
			} else if (e[i].level == 1) {
				if (e[i].va == shown_l1)
					continue;
				shown_l1 = e[i].va;
				printf(".. ..%3ld: pte %s pa 0x%lx  (va 0x%lx, 2 MiB)\n",
				       (e[i].va >> 21) & 511, f, e[i].pa, e[i].va);
			} else {
				printf(".. .. ..%3ld: pte %s pa 0x%lx  va 0x%lx refs %d\n",
				       (e[i].va >> 12) & 511, f, e[i].pa, e[i].va, e[i].refcnt);
				leaves++;
				next = e[i].va + 4096;
			}
		}
	}
	if (first && n < 0) {
		fprintf(2, "vmprint: no process %d, or bad range\n", (int)pid);
		exit(1);
	}
	printf("%d pages mapped in range. flags: v valid r w x u user g global a accessed "
	       "d dirty, C page-cache frame\n",
	       leaves);
	exit(0);
}
