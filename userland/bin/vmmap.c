/* vmmap [pid]: a process's regions, their page counts and a residency strip each. */
#include "kernel/types.h"
#include "user/user.h"
#include "vmlib.h"

int main(int argc, char *argv[])
{
	long pid = argc > 1 ? parse_num(argv[1]) : getpid();
	if (argc > 2 || pid <= 0) {
		fprintf(2, "usage: vmmap [pid]\n");
		exit(1);
	}
	exit(show_vmmap((int)pid) < 0 ? 1 : 0);
}
