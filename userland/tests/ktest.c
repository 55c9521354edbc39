/*
 * ktest NAME: ask the kernel to fail on purpose (see lib/abi/ktest.h), for the panic-path
 * tests in tools/selftest.py. On a kernel booted without "selftest" the call is refused
 * and this prints "ktest: refused"; otherwise the machine stops and nothing returns.
 * Two names check the swap device instead and report: "swapdev" runs the kernel's
 * write-read-compare check in SWAP_PROCS processes at once (so that their requests are in
 * flight together), "swappages" prints the device's size in pages.
 */
#include "kernel/types.h"
#include "user/user.h"
#include "lib/abi/ktest.h"

static const struct {
	const char *name;
	int what;
} tests[] = {
    {"overflow", KTEST_STACK_OVERFLOW},
    {"text", KTEST_WRITE_TEXT},
    {"data", KTEST_EXEC_DATA},
    {"panicfault", KTEST_PANIC_FAULT},
    {"panic", KTEST_PANIC},
    {"loseirq", KTEST_LOSE_DISK_IRQ},
    {"swapdev", KTEST_SWAPDEV},
    {"swappages", KTEST_SWAPDEV_PAGES},
};

#define SWAP_PROCS 4

static void swapdev(void)
{
	int failed = 0;
	for (int i = 1; i < SWAP_PROCS; i++) {
		int pid = fork();
		if (pid < 0) {
			printf("ktest: swapdev: fork failed\n");
			failed++;
		} else if (pid == 0) {
			exit(ktest(KTEST_SWAPDEV) == 0 ? 0 : 1);
		}
	}
	int r = ktest(KTEST_SWAPDEV);
	if (r < 0) {
		printf("ktest: refused\n");
		failed++;
	} else if (r > 0) {
		failed++;
	}
	int status;
	while (wait(&status) > 0)
		if (status != 0)
			failed++;
	if (failed)
		printf("ktest: swapdev FAILED in %d of %d processes\n", failed, SWAP_PROCS);
	else
		printf("ktest: swapdev ok in %d processes at once\n", SWAP_PROCS);
}

int main(int argc, char *argv[])
{
	for (int i = 0; argc == 2 && i < (int)(sizeof(tests) / sizeof(tests[0])); i++) {
		if (strcmp(argv[1], tests[i].name) == 0) {
			if (tests[i].what == KTEST_SWAPDEV) {
				swapdev();
				exit(0);
			}
			int r = ktest(tests[i].what);
			if (r < 0)
				printf("ktest: refused\n");
			else if (tests[i].what == KTEST_LOSE_DISK_IRQ)
				printf("ktest: the next disk interrupt will be ignored\n");
			else if (tests[i].what == KTEST_SWAPDEV_PAGES)
				printf("ktest: the swap device has %d pages\n", r);
			else
				printf("ktest: %s returned: the kernel did not stop\n", argv[1]);
			exit(0);
		}
	}
	fprintf(2, "usage: ktest overflow|text|data|panicfault|panic|loseirq|swapdev|swappages\n");
	exit(1);
}
