/*
 * fuzz: throws random system calls with hostile arguments at the kernel from child
 * processes and checks that the kernel survives, that every child can be reaped, and
 * that the available pages come back (testlib's avail_pages(): free plus clean cached
 * file pages, since file data stays cached after the last close). Arguments mix valid
 * buffers with NULL, kernel, unmapped, misaligned and end-of-user-space addresses, huge
 * and negative lengths, and random flags. Each child works in its own directory so it
 * cannot damage the system.
 *
 * Output follows the other suites: "ok N - name" lines and "fuzz: P passed, F failed".
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/syscall.h"
#include "user/user.h"
#include "testlib.h"

#define ROUNDS 24
#define CALLS  400

static uint64 seed = 88172645463325252ULL;

static uint64 rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static char buf[8192];
static const char *names[] = {"a", "b", "c", "d", "d/x", "d/y", "e/f", "", ".", "a/b"};

static uint64 pick_addr(void)
{
	static const uint64 bad[] = {0,
	                             1,
	                             0xFFFFFFC080200000ULL,
	                             0xFFFFFFFFFFFFF000ULL,
	                             0x3000000000ULL,
	                             0x3FFFFFF000ULL,
	                             0x3FFFFFFFFFULL,
	                             0x4000000000ULL,
	                             0x10000ULL,
	                             0x8000000000000000ULL};
	switch (rnd() % 4) {
	case 0:
		return bad[rnd() % (sizeof(bad) / sizeof(bad[0]))];
	case 1:
		return (uint64)names[rnd() % (sizeof(names) / sizeof(names[0]))];
	default:
		return (uint64)buf + rnd() % sizeof(buf);
	}
}

static uint64 pick_len(void)
{
	static const uint64 lens[] = {0,     1,          7,          4096,       8192,
	                              65536, 0x7FFFFFFF, 0xFFFFFFFF, (uint64)-1, (uint64)-4096};
	return rnd() % 2 ? rnd() % 300 : lens[rnd() % (sizeof(lens) / sizeof(lens[0]))];
}

static uint64 pick_int(void)
{
	static const uint64 ints[] = {0, 1, 2, 3, 15, 16, 99, (uint64)-1, 0x7FFFFFFF, 0x80000000};
	return rnd() % 2 ? rnd() % 8 : ints[rnd() % (sizeof(ints) / sizeof(ints[0]))];
}

/* Raw system call with six arguments, bypassing the library's prototypes. */
static uint64 raw(uint64 n, uint64 a0, uint64 a1, uint64 a2, uint64 a3, uint64 a4, uint64 a5)
{
	register uint64 r0 __asm__("a0") = a0;
	register uint64 r1 __asm__("a1") = a1;
	register uint64 r2 __asm__("a2") = a2;
	register uint64 r3 __asm__("a3") = a3;
	register uint64 r4 __asm__("a4") = a4;
	register uint64 r5 __asm__("a5") = a5;
	register uint64 r7 __asm__("a7") = n;
	__asm__ volatile("ecall"
	                 : "+r"(r0)
	                 : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
	                 : "memory");
	return r0;
}

static void one_call(void)
{
	static const int calls[] = {SYS_read,
	                            SYS_write,
	                            SYS_open,
	                            SYS_close,
	                            SYS_dup,
	                            SYS_pipe,
	                            SYS_fstat,
	                            SYS_chdir,
	                            SYS_mkdir,
	                            SYS_mknod,
	                            SYS_unlink,
	                            SYS_link,
	                            SYS_sbrk,
	                            SYS_mmap,
	                            SYS_munmap,
	                            SYS_msync,
	                            SYS_mprotect,
	                            SYS_exec,
	                            SYS_getpid,
	                            SYS_uptime,
	                            SYS_vmstat,
	                            SYS_vmacount,
	                            SYS_freepages,
	                            SYS_wait,
	                            99,
	                            SYS_vm_regions,
	                            SYS_vm_pages,
	                            SYS_vm_ptes,
	                            SYS_vm_pcache,
	                            SYS_vmtrace,
	                            SYS_vmtrace_read,
	                            -1};
	int n = calls[rnd() % (sizeof(calls) / sizeof(calls[0]))];
	uint64 a[6];
	switch (n) {
	case SYS_read:
	case SYS_write:
		a[0] = pick_int(), a[1] = pick_addr(), a[2] = pick_len();
		break;
	case SYS_open:
		a[0] = pick_addr(), a[1] = rnd() % 3 ? (rnd() & 0x603) : rnd();
		break;
	case SYS_chdir:
		/* Never leave our own directory: no "..". */
		a[0] = (uint64)(rnd() % 2 ? "d" : "e");
		break;
	case SYS_mknod:
		a[0] = pick_addr(), a[1] = pick_int(), a[2] = pick_int();
		break;
	case SYS_link:
		a[0] = pick_addr(), a[1] = pick_addr();
		break;
	case SYS_sbrk:
		a[0] = rnd() % 2 ? rnd() % 20000 - 10000 : pick_len();
		break;
	case SYS_mmap:
		a[0] = rnd() % 2 ? 0 : pick_addr(), a[1] = pick_len() * (rnd() % 3),
		a[2] = rnd() % 9, a[3] = rnd() % 3 ? (rnd() & 0x33) : rnd(), a[4] = pick_int(),
		a[5] = rnd() % 3 ? 0 : pick_len();
		break;
	case SYS_munmap:
	case SYS_msync:
	case SYS_mprotect:
		a[0] = rnd() % 2 ? (pick_addr() & ~4095ULL) : pick_addr(), a[1] = pick_len(),
		a[2] = rnd() % 9;
		break;
	case SYS_vm_regions:
	case SYS_vm_pages:
	case SYS_vm_ptes:
	case SYS_vmtrace:
		/* A real pid (our own) half the time, so the checks past the pid lookup are
		 * reached too; never another's, so no trace outlives the run. */
		a[0] = rnd() % 2 ? (uint64)getpid() : pick_int();
		for (int i = 1; i < 6; i++)
			a[i] = rnd() % 2 ? pick_addr() : pick_len();
		break;
	case SYS_exec:
		/* Only names in our directory (never real programs), hostile argv. */
		a[0] = (uint64)names[rnd() % 5], a[1] = pick_addr();
		break;
	default:
		for (int i = 0; i < 6; i++)
			a[i] = rnd() % 2 ? pick_addr() : pick_int();
	}
	if (n == SYS_write && a[0] <= 2)
		a[0] = 3; /* keep the console clean for the harness */
	raw((uint64)n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void child(int round)
{
	char dir[16] = "fz0";
	dir[2] = (char)('a' + round % 26);
	mkdir(dir);
	if (chdir(dir) < 0)
		exit(2);
	mkdir("d");
	mkdir("e");
	int fd = open("a", O_CREATE | O_RDWR);
	write(fd, "hello fuzz", 10);
	close(0); /* random reads must not wait on the console */
	for (int i = 0; i < CALLS; i++)
		one_call();
	exit(0);
}

/* Removes what a child left in its directory (two levels are all it can make). */
static void cleanup(int round)
{
	char dir[16] = "fz0";
	dir[2] = (char)('a' + round % 26);
	static const char *files[] = {"d/x", "d/y", "e/f", "a/b", "a", "b", "c", "d", "e"};
	if (chdir(dir) < 0)
		return;
	for (int i = 0; i < (int)(sizeof(files) / sizeof(files[0])); i++)
		unlink(files[i]);
	chdir("..");
	unlink(dir);
}

int main(int argc, char *argv[])
{
	int passed = 0, failed = 0;
	/* Measured after round 0, which has faulted in every page of this program that the
	 * loop uses (text is demand-paged), so only the kernel's own leaks can show. */
	int before = 0;
	for (int r = 0; r < ROUNDS; r++) {
		if (r == 1)
			before = avail_pages();
		seed += (uint64)r * 0x9E3779B97F4A7C15ULL;
		int pid = fork();
		if (pid == 0)
			child(r);
		/* A child may block (an empty pipe, a pipe with no reader): give it time, then
		 * kill it; a killed sleeper must wake and exit. */
		sleep(20);
		kill(pid);
		int st = 0;
		int got = wait(&st);
		cleanup(r);
		if (got == pid) {
			passed++;
			printf("ok %d - fuzz round %d (seed-derived, %d calls)\n", r + 1, r, CALLS);
		} else {
			failed++;
			printf("not ok %d - fuzz round %d: wait returned %d\n", r + 1, r, got);
		}
	}
	int after = avail_pages();
	if (after == before) {
		passed++;
		printf("ok %d - available pages back to %d after all rounds\n", ROUNDS + 1, before);
	} else {
		failed++;
		printf("not ok %d - available pages %d before, %d after\n", ROUNDS + 1, before,
		       after);
	}
	printf("fuzz: %d passed, %d failed\n", passed, failed);
	exit(failed != 0);
}
