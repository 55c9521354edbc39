/*
 * ktest NAME: ask the kernel to fail on purpose (see lib/abi/ktest.h), for the panic-path
 * tests in tools/panic_test.py. On a kernel booted without "selftest" the call is refused
 * and this prints "ktest: refused"; otherwise the machine stops and nothing returns.
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
};

int main(int argc, char *argv[])
{
	for (int i = 0; argc == 2 && i < (int)(sizeof(tests) / sizeof(tests[0])); i++) {
		if (strcmp(argv[1], tests[i].name) == 0) {
			int r = ktest(tests[i].what);
			if (r < 0)
				printf("ktest: refused\n");
			else if (tests[i].what == KTEST_LOSE_DISK_IRQ)
				printf("ktest: the next disk interrupt will be ignored\n");
			else
				printf("ktest: %s returned: the kernel did not stop\n", argv[1]);
			exit(0);
		}
	}
	fprintf(2, "usage: ktest overflow|text|data|panicfault|panic|loseirq\n");
	exit(1);
}
