/*
 * init: the first user process. It makes sure the console device exists, opens it as
 * standard input, output and error, and then keeps a shell running on it for ever.
 * Orphaned processes are re-parented to init, so its wait() loop also reaps them.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"
#include "kernel/file.h"

static char *shell_argv[] = {"sh", 0};

static int start_shell(void)
{
	int pid = fork();

	if (pid == 0) {
		exec("sh", shell_argv);
		exec("/sh", shell_argv);
		fprintf(2, "init: cannot exec sh\n");
		exit(1);
	}
	return pid;
}

int main(void)
{
	if (open("console", O_RDWR) < 0) {
		mknod("console", CONSOLE, 0);
		if (open("console", O_RDWR) < 0)
			exit(1); /* nowhere to even report the failure */
	}
	dup(0); /* standard output */
	dup(0); /* standard error */

	for (;;) {
		int pid, w, status = 0;

		printf("init: starting sh\n");
		pid = start_shell();
		if (pid < 0) {
			fprintf(2, "init: fork failed\n");
			sleep(10);
			continue;
		}
		/* Reap whatever exits until it is the shell itself. */
		while ((w = wait(&status)) != pid) {
			if (w < 0)
				break; /* cannot happen while the shell lives; do not spin */
		}
		if (status != 0)
			sleep(10); /* the shell failed: do not flood the console */
	}
}
