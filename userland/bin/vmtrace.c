/*
 * vmtrace [-f] [-q] CMD ARGS...: runs CMD with its page faults traced and prints each one
 * as it happens (time, hart, pid, access, address, region, how it was resolved), then a
 * summary by outcome. -f follows the children CMD forks; -q prints only the summary.
 */
#include "kernel/types.h"
#include "user/user.h"
#include "vmlib.h"

int main(int argc, char *argv[])
{
	int follow = 0, quiet = 0, i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0)
			follow = 1;
		else if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else
			break;
	}
	if (i >= argc || argv[i][0] == '-') {
		fprintf(2, "usage: vmtrace [-f] [-q] CMD ARGS...\n");
		exit(1);
	}
	int go[2];
	if (pipe(go) < 0)
		exit(1);
	int pid = fork();
	if (pid < 0) {
		fprintf(2, "vmtrace: fork failed\n");
		exit(1);
	}
	if (pid == 0) {
		/* Wait until the parent has turned tracing on, so exec is the first thing traced.
		 */
		char c;
		close(go[1]);
		read(go[0], &c, 1);
		close(go[0]);
		char path[64] = "/";
		strcpy(path + (argv[i][0] != '/'), argv[i]);
		exec(path, argv + i);
		fprintf(2, "vmtrace: cannot run %s\n", argv[i]);
		exit(127);
	}
	close(go[0]);
	if (vmtrace(pid, VT_ON | (follow ? VT_CHILDREN : 0)) < 0) {
		fprintf(2, "vmtrace: cannot trace pid %d\n", pid);
		exit(1);
	}
	write(go[1], "g", 1);
	close(go[1]);
	int counts[VT_NOUTCOMES] = {0};
	unsigned long from = 1;
	int lost = follow_trace(pid, &from, counts, quiet, 1);
	int status = 0;
	wait(&status);
	printf("vmtrace: pid %d exited with status %d. ", pid, status);
	print_summary(counts);
	if (lost)
		printf(
		    "vmtrace: %d records overwritten before they were read (the ring holds %d)\n",
		    lost, VT_RING);
	exit(0);
}
