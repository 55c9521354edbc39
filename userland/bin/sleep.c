/* sleep: pause for the given number of clock ticks. */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"

int main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(2, "usage: sleep ticks\n");
		exit(1);
	}
	if (sleep(atoi(argv[1])) < 0)
		exit(1);
	exit(0);
}
