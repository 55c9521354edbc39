/*
 * usertests: Pagoda's in-guest regression suite.
 *
 * Every case is a function that returns 0 on success. The runner (testlib) forks one child
 * per case (so a case that crashes, is killed or corrupts its own memory cannot disturb the
 * next), waits for it, and then checks that the free-page count is back where it was:
 * whatever a case allocates, the kernel must give back when the process goes away. A
 * watchdog process bounds each case's running time, so one hung case cannot stall the run.
 *
 * Output is one "ok N - name" / "not ok N - name" line per case, "# ..." diagnostic lines,
 * and a closing "usertests: P passed, F failed" line; tools/harness.py turns it into TAP.
 *
 *   usertests            run every case
 *   usertests NAME...    run only the named cases
 *
 * Only the runner prints result lines, and it prints them only when no case process is
 * alive, so result lines never interleave with anything a case writes.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/syscall.h"
#include "user/user.h"
#include "testlib.h"

/* Address-space facts of Pagoda's process layout (see mm/mm.h). */
#define PG         4096UL
#define TEXT_START 0x10000UL
#define USER_END   0x4000000000UL
#define STACK_TOP  0x3FFFFFE000UL       /* two unmapped pages above it */
#define KADDR      0xFFFFFFC080200000UL /* kernel text: mapped, but not for user mode */
#define UNMAPPED   0x3000000000UL       /* far from heap and stack: nothing is ever there */
#define MiB        (1024 * 1024)

#define MAXFILE_BYTES ((uint)MAXFILE * BSIZE)

/* ---------- small utilities ---------- */

/*
 * Addresses pass through a volatile so the compiler cannot see, and "optimise", an access
 * it knows to be undefined behaviour: these tests want the real load or store.
 */
static volatile uint64 launder_box;
static uint64 launder(uint64 a)
{
	launder_box = a;
	return launder_box;
}

static char *bad(uint64 a)
{
	return (char *)launder(a);
}

/* Shared scratch buffers; the runner makes their pages present before every case. */
static char buf[8192];
static char buf2[8192];

/* A value in .data that failed execs must leave alone. */
static volatile uint marker = 0x5eed1234;

static void put_uint(char *dst, uint v)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0)
		*dst++ = tmp[--n];
	*dst = '\0';
}

/* Writes n bytes to a new file (truncating an old one); 0 or -1. */
static int write_file(const char *path, const void *data, int n)
{
	int fd = open(path, O_CREATE | O_TRUNC | O_WRONLY);
	int r;

	if (fd < 0)
		return -1;
	r = n > 0 ? write(fd, data, n) : 0;
	close(fd);
	return r == n ? 0 : -1;
}

/* Reads up to max bytes of a file; the count, or -1. */
static int read_file(const char *path, void *dst, int max)
{
	int fd = open(path, O_RDONLY), got = 0, r;

	if (fd < 0)
		return -1;
	while (got < max && (r = read(fd, (char *)dst + got, max - got)) > 0)
		got += r;
	close(fd);
	return got;
}

/* Runs fn in a child; returns the child's wait() status (-1 when it was killed). */
static int status_of(void (*fn)(void))
{
	int pid = fork(), st = 12345;

	if (pid < 0)
		return -1000;
	if (pid == 0) {
		fn();
		exit(0);
	}
	if (wait(&st) != pid)
		return -1001;
	return st;
}

/*
 * Grows the heap so that it ends exactly at a page boundary and returns its last page:
 * the byte after that page is unmapped, which lets a case build buffers that run off
 * the end of mapped memory.
 */
static char *last_heap_page(void)
{
	uint64 brk = (uint64)sbrk(0);
	int pad = (int)(((brk + PG - 1) & ~(PG - 1)) - brk);
	char *p = sbrk(pad + (int)PG);

	if (p == SBRK_ERROR)
		return 0;
	return p + pad;
}

/* A deterministic byte stream, so a reader can check what a writer sent. */
static uint next_rand(uint *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 16;
}

/* ---------- processes ---------- */

static int t_getpid(void)
{
	int me = getpid(), fds[2], pid, child = 0, st = -5;

	check(me > 0);
	check(getpid() == me);
	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		int x = getpid();
		write(fds[1], &x, sizeof(x));
		exit(0);
	}
	check(pid > 0 && pid != me);
	check(read(fds[0], &child, sizeof(child)) == sizeof(child));
	checkf(child == pid, "fork returned %d but the child's getpid() is %d", pid, child);
	check(wait(&st) == pid);
	check(st == 0);
	check(getpid() == me);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

static int t_exitwait(void)
{
	static const int codes[] = {0, 1, 42, 255, 1000, -7};
	enum { N = sizeof(codes) / sizeof(codes[0]) };
	int pids[N], seen[N], i, j, st, w;

	for (i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			exit(codes[i]);
		check(pids[i] > 0);
		seen[i] = 0;
	}
	for (i = 0; i < N; i++) {
		st = 12345;
		w = wait(&st);
		for (j = 0; j < N && pids[j] != w; j++)
			;
		checkf(j < N, "wait returned %d, not one of my children", w);
		check(!seen[j]);
		seen[j] = 1;
		checkf(st == codes[j], "child exited with %d but wait reported %d", codes[j], st);
	}
	check(wait(0) == -1);

	/* A null status pointer means "don't tell me". */
	w = fork();
	if (w == 0)
		exit(5);
	check(wait(0) == w);
	return 0;
}

static int t_waitnochild(void)
{
	int st = 77;

	check(wait(0) == -1);
	check(wait(&st) == -1);
	check(st == 77);
	return 0;
}

static int t_waitbadptr(void)
{
	int pid = fork(), r;

	if (pid == 0)
		exit(3);
	check(pid > 0);
	check(wait((int *)bad(KADDR)) == -1);
	/* The child may still be waiting to be reaped, or may already be gone. */
	r = wait(0);
	checkf(r == pid || r == -1, "second wait returned %d", r);
	pid = fork();
	if (pid == 0)
		exit(4);
	check(wait((int *)bad(UNMAPPED)) == -1);
	wait(0);
	check(wait(0) == -1);
	return 0;
}

static int t_killsleep(void)
{
	int pid, st, fds[2];
	uint64 t0;

	/* A child asleep in sleep(). */
	pid = fork();
	if (pid == 0) {
		sleep(1000000);
		exit(0);
	}
	check(pid > 0);
	sleep(2);
	t0 = uptime_ns();
	check(kill(pid) == 0);
	st = 0;
	check(wait(&st) == pid);
	checkf(st == -1, "killed child's status is %d", st);
	/* Far less than the 10000 s the child asked to sleep, with room for a busy host. */
	checkf(uptime_ns() - t0 < 20000000000UL, "kill took %d ms",
	       (int)((uptime_ns() - t0) / 1000000));

	/* A child blocked reading an empty pipe. */
	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		char c;
		read(fds[0], &c, 1);
		exit(0);
	}
	sleep(2);
	check(kill(pid) == 0);
	st = 0;
	check(wait(&st) == pid);
	checkf(st == -1, "killed child's status is %d", st);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

static void spin_forever(void)
{
	volatile uint64 n = 0;

	for (;;)
		n++;
}

static int t_killloop(void)
{
	int pid = fork(), st = 0;

	if (pid == 0)
		spin_forever();
	check(pid > 0);
	sleep(1);
	check(kill(pid) == 0);
	check(wait(&st) == pid);
	checkf(st == -1, "killed child's status is %d", st);
	return 0;
}

static void kill_self(void)
{
	kill(getpid());
	spin_forever(); /* the kill takes effect on the way back to user mode at the latest */
}

static int t_killself(void)
{
	int st = status_of(kill_self);

	checkf(st == -1, "status %d", st);
	return 0;
}

static int t_killbad(void)
{
	check(kill(-1) == -1);
	check(kill(0) == -1);
	check(kill(1000000) == -1);
	check(kill(0x7fffffff) == -1);
	return 0;
}

static int t_forkbomb(void)
{
	int fds[2], n = 0, i, pid, st;
	char c;

	check(pipe(fds) == 0);
	for (;;) {
		pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			/* Wait until the parent closes the pipe, then go. */
			close(fds[1]);
			read(fds[0], &c, 1);
			exit(0);
		}
		n++;
		if (n > NPROC + 4) {
			close(fds[1]);
			printf("# %s: fork never failed (%d children)\n", curname, n);
			while (wait(0) > 0)
				;
			return 1;
		}
	}
	close(fds[1]);
	close(fds[0]);
	for (i = 0; i < n; i++) {
		st = 12345;
		pid = wait(&st);
		checkf(pid > 0, "only %d of %d children came back", i, n);
		checkf(st == 0, "a child exited with %d", st);
	}
	check(wait(0) == -1);
	/* init, sh, the runner, its watchdog and this case hold five process slots. */
	checkf(n >= NPROC / 2 && n < NPROC, "%d forks succeeded with NPROC %d", n, NPROC);

	/* The table has room again. */
	pid = fork();
	if (pid == 0)
		exit(9);
	check(pid > 0);
	check(wait(&st) == pid && st == 9);
	return 0;
}

static int t_orphan(void)
{
	int fds[2], pid, st = 1;
	char c = 0;

	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		if (fork() == 0) {
			/* Outlive the parent, then report that we are still running. */
			close(fds[0]);
			sleep(5);
			write(fds[1], "G", 1);
			exit(0);
		}
		exit(0);
	}
	close(fds[1]);
	check(wait(&st) == pid && st == 0);
	/* The grandchild belongs to init now, not to us. */
	check(wait(0) == -1);
	check(read(fds[0], &c, 1) == 1 && c == 'G');
	check(read(fds[0], &c, 1) == 0);
	close(fds[0]);
	/* The runner's page check confirms that init reaped it. */
	return 0;
}

static int t_sleep(void)
{
	int t0, t1;
	uint64 n0, n1, per_tick;

	t0 = uptime();
	n0 = uptime_ns();
	check(sleep(5) == 0);
	t1 = uptime();
	n1 = uptime_ns();
	checkf(t1 - t0 >= 5, "uptime went from %d to %d across sleep(5)", t0, t1);
	check(n1 > n0);
	per_tick = (n1 - n0) / (uint64)(t1 - t0);
	checkf(per_tick >= 100000 && per_tick <= 2000000000UL, "a tick seems to last %d us",
	       (int)(per_tick / 1000));

	n0 = uptime_ns();
	check(sleep(0) == 0);
	n1 = uptime_ns();
	checkf(n1 - n0 < 5000000000UL, "sleep(0) took %d ms", (int)((n1 - n0) / 1000000));
	check(uptime() >= t1);
	return 0;
}

static int t_forkchurn(void)
{
	enum { WORKERS = 4, ROUNDS = 25 };
	int i, k, st;

	for (k = 0; k < WORKERS; k++) {
		if (fork() == 0) {
			for (i = 0; i < ROUNDS; i++) {
				int pid = fork(), s = -5;

				if (pid == 0)
					exit(i);
				if (pid < 0 || wait(&s) != pid || s != i)
					exit(1);
			}
			exit(0);
		}
	}
	for (k = 0; k < WORKERS; k++) {
		st = 1;
		check(wait(&st) > 0);
		check(st == 0);
	}
	check(wait(0) == -1);
	return 0;
}

static volatile int forkcow_global = 1;

static int t_forkcow(void)
{
	enum { LEN = 64 * 1024 };
	char *p = sbrk(LEN);
	volatile int local = 10;
	int i, pid, st = 1;

	check(p != SBRK_ERROR);
	memset(p, 'P', LEN);
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < LEN; i++) {
			if (p[i] != 'P')
				exit(2);
		}
		memset(p, 'C', LEN);
		forkcow_global = 2;
		local = 20;
		exit(p[LEN - 1] == 'C' && forkcow_global == 2 ? 0 : 3);
	}
	check(pid > 0);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	for (i = 0; i < LEN; i++)
		checkf(p[i] == 'P', "byte %d changed to %d after the child wrote its copy", i,
		       p[i]);
	check(forkcow_global == 1);
	check(local == 10);
	return 0;
}

static int t_forkfd(void)
{
	int fd = open("forkfd", O_CREATE | O_TRUNC | O_RDWR), pid, st = 1, n;

	check(fd >= 0);
	pid = fork();
	if (pid == 0) {
		exit(write(fd, "child-", 6) == 6 ? 0 : 1);
	}
	check(wait(&st) == pid && st == 0);
	/* The offset is shared with the child, so this lands after its bytes. */
	check(write(fd, "parent", 6) == 6);
	close(fd);
	n = read_file("forkfd", buf, sizeof(buf));
	check(n == 12);
	check(memcmp(buf, "child-parent", 12) == 0);
	check(unlink("forkfd") == 0);
	return 0;
}

/* ---------- exec ---------- */

/* "usertests --args FD ARGS...": writes ARGS joined with '|' to FD, exits with argc. */
static int echo_args(int argc, char *argv[])
{
	int fd = atoi(argv[2]), i, n = 0;

	for (i = 3; i < argc; i++) {
		uint len = strlen(argv[i]);
		if (n + len + 1 >= sizeof(buf))
			break;
		if (i > 3)
			buf[n++] = '|';
		memmove(buf + n, argv[i], len);
		n += len;
	}
	write(fd, buf, n);
	exit(argc);
}

/* Execs this program in --args mode; fills out[] with what it wrote; returns its status. */
static int exec_echo(char **args, int nargs, char *out, int max, int *outlen)
{
	int fds[2], pid, st = -5, n = 0, r;
	char fdstr[12];
	char *av[MAXARG + 8];

	if (nargs + 4 > MAXARG + 8 || pipe(fds) < 0)
		return -1000;
	put_uint(fdstr, (uint)fds[1]);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		av[0] = "usertests";
		av[1] = "--args";
		av[2] = fdstr;
		for (r = 0; r < nargs; r++)
			av[3 + r] = args[r];
		av[3 + nargs] = 0;
		exec(self_path, av);
		exit(-100);
	}
	close(fds[1]);
	while (n < max && (r = read(fds[0], out + n, max - n)) > 0)
		n += r;
	close(fds[0]);
	if (wait(&st) != pid)
		return -1001;
	*outlen = n;
	return st;
}

static int t_exec(void)
{
	char *args[] = {"alpha", "", "gamma"};
	int n = -1, st;

	st = exec_echo(args, 3, buf2, sizeof(buf2), &n);
	checkf(st == 6, "exec'd program exited with %d (expected argc 6)", st);
	checkf(n == 12 && memcmp(buf2, "alpha||gamma", 12) == 0, "arguments arrived as %d bytes",
	       n);
	return 0;
}

static int t_execargs(void)
{
	static char names[24][4];
	char *args[MAXARG + 8];
	int i, n = -1, st, pid;
	char *p;

	/*
	 * MAXARG - 1 arguments in all (three are this program's own), leaving room for the
	 * terminating null pointer in a MAXARG-entry table.
	 */
	for (i = 0; i < MAXARG - 4; i++) {
		names[i % 24][0] = (char)('a' + i % 24);
		names[i % 24][1] = '\0';
		args[i] = names[i % 24];
	}
	st = exec_echo(args, MAXARG - 4, buf2, sizeof(buf2), &n);
	checkf(st == MAXARG - 1, "exec with %d args: status %d", MAXARG - 1, st);
	check(n == 2 * (MAXARG - 4) - 1);
	for (i = 0, p = buf2; i < MAXARG - 4; i++, p += 2)
		check(*p == 'a' + i % 24);

	/* Far too many arguments: exec must refuse and return. */
	pid = fork();
	if (pid == 0) {
		char *av[MAXARG + 8];
		for (i = 0; i < MAXARG + 7; i++)
			av[i] = "x";
		av[MAXARG + 7] = 0;
		exit(exec(self_path, av) == -1 ? 0 : 2);
	}
	st = 5;
	check(wait(&st) == pid);
	checkf(st == 0, "exec with %d args: status %d", MAXARG + 7, st);
	return 0;
}

/*
 * A minimal static RISC-V ELF: one R+X PT_LOAD segment mapping the whole file at 0x10000,
 * whose code does exit(42). Each "how" breaks exactly one thing; ELF_OK is the control
 * that proves the image is otherwise good, so every refusal is for the intended reason.
 */
enum {
	ELF_OK,
	ELF_EMPTY,
	ELF_MAGIC,
	ELF_SHORTHDR,
	ELF_PHOFF_PAST,
	ELF_PHNUM_PAST,
	ELF_SEG_PAST,
	ELF_FILESZ,
	ELF_KVADDR,
	ELF_WRAP,
	ELF_WRAP_MEMSZ,
	ELF_TOP,
	ELF_HUGE,
	ELF_OVERLAP,
	ELF_NKINDS
};

static const char *elf_kind_name[] = {
    "valid",
    "empty file",
    "bad magic",
    "truncated header",
    "phoff past the file",
    "program headers past the file",
    "segment data past the file",
    "filesz > memsz",
    "kernel vaddr",
    "vaddr+memsz wraps",
    "memsz wraps",
    "segment crosses the top",
    "huge memsz",
    "two segments at one address",
};

static void put16(uchar *p, uint v)
{
	p[0] = (uchar)v;
	p[1] = (uchar)(v >> 8);
}

static void put32(uchar *p, uint v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void put64(uchar *p, uint64 v)
{
	put32(p, (uint)v);
	put32(p + 4, (uint)(v >> 32));
}

#define EH_SIZE  64
#define PH_SIZE  56
#define CODE_OFF (EH_SIZE + 2 * PH_SIZE) /* room for a second program header */
#define ELF_LEN  (CODE_OFF + 16)

static int make_elf(const char *path, int how)
{
	uchar img[ELF_LEN];
	uchar *ph = img + EH_SIZE;
	uint64 vaddr = TEXT_START, entry, memsz = ELF_LEN, filesz = ELF_LEN, off = 0;
	uint64 phoff = EH_SIZE;
	uint phnum = 1;
	int len = ELF_LEN;

	switch (how) {
	case ELF_PHOFF_PAST:
		phoff = 4096;
		break;
	case ELF_PHNUM_PAST:
		phnum = 3;
		break;
	case ELF_SEG_PAST:
		off = 0x100000;
		break;
	case ELF_FILESZ:
		memsz = 64;
		break;
	case ELF_KVADDR:
		vaddr = KADDR;
		break;
	case ELF_WRAP:
		vaddr = 0xFFFFFFFFFFFFF000UL;
		memsz = 0x2000;
		break;
	case ELF_WRAP_MEMSZ:
		memsz = 0xFFFFFFFFFFFFF000UL;
		break;
	case ELF_TOP:
		vaddr = STACK_TOP;
		memsz = 0x2000;
		break;
	case ELF_HUGE:
		memsz = 0x100000000000UL;
		break;
	case ELF_OVERLAP:
		phnum = 2; /* the second header is a copy of the first */
		break;
	default:
		break;
	}
	entry = vaddr + CODE_OFF;

	memset(img, 0, sizeof(img));
	img[0] = 0x7f;
	img[1] = 'E';
	img[2] = 'L';
	img[3] = how == ELF_MAGIC ? 'G' : 'F';
	img[4] = 2;           /* 64-bit */
	img[5] = 1;           /* little-endian */
	img[6] = 1;           /* version */
	put16(img + 16, 2);   /* ET_EXEC */
	put16(img + 18, 243); /* EM_RISCV */
	put32(img + 20, 1);
	put64(img + 24, entry);
	put64(img + 32, phoff);
	put64(img + 40, 0);   /* no section headers */
	put32(img + 48, 0x5); /* RVC, double-float ABI */
	put16(img + 52, EH_SIZE);
	put16(img + 54, PH_SIZE);
	put16(img + 56, phnum);
	put16(img + 58, 64);

	put32(ph + 0, 1); /* PT_LOAD */
	put32(ph + 4, 5); /* R | X */
	put64(ph + 8, off);
	put64(ph + 16, vaddr);
	put64(ph + 24, vaddr);
	put64(ph + 32, filesz);
	put64(ph + 40, memsz);
	put64(ph + 48, PG);

	if (how == ELF_OVERLAP)
		memcpy(ph + PH_SIZE, ph, PH_SIZE);

	/* li a0, 42; li a7, SYS_exit; ecall; j . */
	put32(img + CODE_OFF + 0, (42u << 20) | (10u << 7) | 0x13u);
	put32(img + CODE_OFF + 4, ((uint)SYS_exit << 20) | (17u << 7) | 0x13u);
	put32(img + CODE_OFF + 8, 0x00000073u);
	put32(img + CODE_OFF + 12, 0x0000006fu);

	if (how == ELF_EMPTY)
		len = 0;
	else if (how == ELF_SHORTHDR)
		len = 40;
	return write_file(path, img, len);
}

/* Execs path with argv {"x", 0} in a child; returns the child's status. */
static int exec_status(const char *path)
{
	int pid = fork(), st = -5;

	if (pid == 0) {
		char *av[] = {"x", 0};
		exec(path, av);
		exit(-100);
	}
	if (pid < 0 || wait(&st) != pid)
		return -1000;
	return st;
}

static int t_execelf(void)
{
	char *av[] = {"x", 0};
	char *brk0 = sbrk(0);
	int fds[2], how, st, r;
	char c = 0;

	check(make_elf("elfok", ELF_OK) == 0);
	st = exec_status("elfok");
	checkf(st == 42, "the valid test ELF exited with %d, not 42", st);

	check(pipe(fds) == 0);
	for (how = ELF_OK + 1; how < ELF_NKINDS; how++) {
		check(make_elf("elfbad", how) == 0);
		/* In this very process: a refused exec must leave everything as it was. */
		r = exec("elfbad", av);
		checkf(r == -1, "exec of an ELF with %s returned %d", elf_kind_name[how], r);
		check(marker == 0x5eed1234);
		check(sbrk(0) == brk0);
		check(write(fds[1], "k", 1) == 1 && read(fds[0], &c, 1) == 1 && c == 'k');
	}
	check(exec("/", av) == -1);
	check(mkdir("elfdir") == 0);
	check(exec("elfdir", av) == -1);
	check(exec("no-such-program", av) == -1);
	check(write_file("elftext", "#!/bin/sh\necho not an ELF\n", 26) == 0);
	check(exec("elftext", av) == -1);
	check(marker == 0x5eed1234);
	close(fds[0]);
	close(fds[1]);
	check(unlink("elfok") == 0);
	check(unlink("elfbad") == 0);
	check(unlink("elfdir") == 0);
	check(unlink("elftext") == 0);
	return 0;
}

static int t_execbadptr(void)
{
	char *av[] = {"x", 0}, *avk[] = {"x", bad(KADDR), 0}, *avu[] = {"x", bad(UNMAPPED), 0};
	char **unterminated;
	char *top;
	uint i;

	/* A good program, so that a wrongly successful exec shows as exit status 42. */
	check(make_elf("execptr", ELF_OK) == 0);
	check(exec(bad(KADDR), av) == -1);
	check(exec(bad(UNMAPPED), av) == -1);
	check(exec(bad(0), av) == -1);
	check(exec("execptr", (char **)bad(KADDR)) == -1);
	check(exec("execptr", (char **)bad(UNMAPPED)) == -1);
	check(exec("execptr", avk) == -1);
	check(exec("execptr", avu) == -1);

	/* An argv array that runs into unmapped memory before any terminating NULL. */
	top = last_heap_page();
	check(top != 0);
	unterminated = (char **)(top + PG - 4 * sizeof(char *));
	for (i = 0; i < 4; i++)
		unterminated[i] = "x";
	check(exec("execptr", unterminated) == -1);

	/* A path that runs into unmapped memory before its NUL. */
	memset(top + PG - 20, 'p', 20);
	check(exec(top + PG - 20, av) == -1);
	check(open(top + PG - 20, O_RDONLY) == -1);
	check(unlink("execptr") == 0);
	return 0;
}

/* ---------- memory ---------- */

static int t_sbrkbasic(void)
{
	char *a = sbrk(0), *b, *c;
	int i;

	check(a != SBRK_ERROR);
	b = sbrk(PG);
	check(b == a);
	check(sbrk(0) == a + PG);
	b[0] = 1;
	b[PG - 1] = 2;
	check(b[0] == 1 && b[PG - 1] == 2);
	c = sbrk(-(int)PG);
	check(c == a + PG);
	check(sbrk(0) == a);

	/* Unaligned steps: each call returns the previous break. */
	for (i = 0; i < 100; i++) {
		c = sbrk(37);
		check(c == a + 37 * i);
		memset(c, i, 37);
	}
	for (i = 0; i < 100; i++)
		check(a[37 * i] == (char)i && a[37 * i + 36] == (char)i);
	check(sbrk(-3700) == a + 3700);
	check(sbrk(0) == a);
	return 0;
}

static int t_sbrklazy(void)
{
	enum { TOUCH = 20 };
	const int size = 100 * MiB, stride = 5 * MiB;
	int f0, f1, f2, f3, i;
	char *p;

	f0 = freepages();
	p = sbrk(size);
	check(p != SBRK_ERROR);
	f1 = freepages();
	checkf(f0 - f1 <= 4, "sbrk(100 MiB) took %d pages before anything was touched", f0 - f1);
	for (i = 0; i < TOUCH; i++)
		p[i * stride + 123] = (char)(i + 1);
	for (i = 0; i < TOUCH; i++)
		check(p[i * stride + 123] == (char)(i + 1));
	f2 = freepages();
	/* One data page each, plus a page-table page for every 2 MiB region touched. */
	checkf(f1 - f2 >= TOUCH && f1 - f2 <= 3 * TOUCH + 4, "touching %d pages took %d pages",
	       TOUCH, f1 - f2);
	check(sbrk(-size) == p + size);
	f3 = freepages();
	checkf(f3 - f2 >= TOUCH, "shrinking the heap gave back only %d pages", f3 - f2);
	return 0;
}

static int all_zero(const char *p, uint64 len)
{
	const uint64 *w = (const uint64 *)p;
	uint64 i;

	for (i = 0; i < len / 8; i++) {
		if (w[i] != 0)
			return 0;
	}
	return 1;
}

static int t_sbrkzero(void)
{
	const int len = 64 * PG;
	char *p = sbrk(len), *q;

	check(p != SBRK_ERROR);
	check(all_zero(p, len));
	memset(p, 0xA5, len);
	check(sbrk(-len) == p + len);
	q = sbrk(len);
	check(q == p);
	checkf(all_zero(q, len), "heap pages given back and regrown were not zero (%d)", q[0]);
	return 0;
}

static void dirty_and_exit(void)
{
	const int len = 512 * PG;
	char *p = sbrk(len);

	if (p == SBRK_ERROR)
		exit(2);
	memset(p, 0x5A, len);
	exit(0);
}

static int t_recyclezero(void)
{
	const int len = 512 * PG;
	int st = status_of(dirty_and_exit);
	char *p;

	check(st == 0);
	/* The child's 2 MiB of garbage went back to the allocator; our new pages come from it. */
	p = sbrk(len);
	check(p != SBRK_ERROR);
	checkf(all_zero(p, len), "recycled frames were not cleared (%d)", p[0]);
	return 0;
}

static char *shrunk;

static void touch_shrunk_read(void)
{
	volatile char c = *(volatile char *)shrunk;
	(void)c;
}

static void touch_shrunk_write(void)
{
	*(volatile char *)(shrunk + 4 * PG) = 1;
}

static int t_sbrkneg(void)
{
	const int len = 8 * PG;
	char *p = sbrk(len);
	int st;

	check(p != SBRK_ERROR);
	memset(p, 1, len);
	check(sbrk(-len) == p + len);
	shrunk = p;
	st = status_of(touch_shrunk_read);
	checkf(st == -1, "reading memory given back with sbrk(-n): status %d", st);
	st = status_of(touch_shrunk_write);
	checkf(st == -1, "writing memory given back with sbrk(-n): status %d", st);
	return 0;
}

static int t_sbrklimit(void)
{
	char *start = sbrk(0), *b;
	int n = 0, step;
	volatile char probe[64];

	/* Grow in 2 GiB steps (lazily, so nothing is allocated) until the kernel says no. */
	while (n < 200 && sbrk(0x7ffff000) != SBRK_ERROR)
		n++;
	checkf(n < 200, "sbrk grew the heap by %d times 2 GiB", n);
	for (step = 64 * MiB; step >= (int)PG; step /= 4) {
		while (sbrk(step) != SBRK_ERROR)
			;
	}
	b = sbrk(0);
	checkf((uint64)b <= STACK_TOP - 1 * MiB - PG, "break %p reaches into the stack", b);
	check(sbrk(0x7ffff000) == SBRK_ERROR);
	check(sbrk(1 * MiB) == SBRK_ERROR);
	check(sbrk(0) == b);
	/* The heap's last page is usable and the stack is untouched. */
	b[-1] = 7;
	check(b[-1] == 7);
	probe[0] = 1;
	probe[63] = 2;
	check(probe[0] + probe[63] == 3);

	/* Shrink back, then try to shrink below the heap's start. */
	while ((uint64)sbrk(0) - (uint64)start >= 0x7ffff000)
		check(sbrk(-0x7ffff000) != SBRK_ERROR);
	check(sbrk(-(int)((uint64)sbrk(0) - (uint64)start)) != SBRK_ERROR);
	check(sbrk(0) == start);
	check((uint64)start < 0x40000000UL);
	check(sbrk(-0x40000000) == SBRK_ERROR);
	check(sbrk(0) == start);
	/* Still alive and running our own text. */
	check(t_sbrkbasic() == 0);
	return 0;
}

#ifndef PAGODA_RAM_MIB
#define PAGODA_RAM_MIB 128
#endif

/*
 * Grows the heap to well past the machine's RAM, 64 MiB at a time and untouched (each step
 * fits in the memory that is free, so the kernel promises it), then touches every page.
 */
static void eat_all_memory(void)
{
	const int step = 64 * MiB;
	int total;
	char *start = sbrk(0);

	for (total = 0; total < PAGODA_RAM_MIB + 128; total += 64)
		if (sbrk(step) == SBRK_ERROR)
			exit(3);
	for (uint64 off = 0; off < (uint64)total * MiB; off += PG)
		start[off] = 1;
	exit(0);
}

/*
 * xv6's usertests `mem`: malloc until it fails, touching each block. The heap must be
 * refused while memory is still there to refuse it (the child sees malloc fail, frees
 * everything and gets memory again), not run on until the child is killed.
 */
static int t_memfail(void)
{
	unsigned long blocks, ms;
	int st = malloc_until_fail(&blocks, &ms);

	printf("# memfail: %lu blocks of 10001 bytes (%lu MiB) in %lu ms\n", blocks,
	       blocks * 10001 / MiB, ms);
	checkf(st != -1, "%s", "the child was killed before malloc failed");
	checkf(st == 0, "the child ended with status %d", st);
	checkf(blocks * 10001 > (uint64)PAGODA_RAM_MIB * MiB / 2,
	       "malloc failed after only %lu blocks", blocks);
	return 0;
}

static int t_oom(void)
{
	int st, fds[2], pid;
	char c = 0;

	st = status_of(eat_all_memory);
	checkf(st == -1, "a process touching more memory than exists: status %d", st);
	/* The kernel goes on: processes, pipes and memory all work. */
	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		char *p = sbrk(16 * PG);
		if (p == SBRK_ERROR)
			exit(2);
		memset(p, 3, 16 * PG);
		write(fds[1], "m", 1);
		exit(0);
	}
	check(pid > 0);
	check(read(fds[0], &c, 1) == 1 && c == 'm');
	check(wait(&st) == pid && st == 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

#define FRAME 4000
static volatile int recurse_limit = 1 << 30;

/* Uses about FRAME bytes of stack per level; reports depth to fd every 16 levels. */
static int recurse(int depth, int fd)
{
	volatile char frame[FRAME];

	frame[0] = (char)depth;
	frame[FRAME - 1] = (char)(depth >> 8);
	if (fd >= 0 && (depth & 15) == 0)
		write(fd, &depth, sizeof(depth));
	if (depth >= recurse_limit)
		return depth & 0xff;
	return recurse(depth + 1, fd) + frame[0] - (char)depth + frame[FRAME - 1] -
	       (char)(depth >> 8);
}

static int t_stackoverflow(void)
{
	int fds[2], pid, st = 0, depth = 0, last = -1;

	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		recurse(0, fds[1]);
		exit(0);
	}
	close(fds[1]);
	while (read(fds[0], &depth, sizeof(depth)) == sizeof(depth))
		last = depth;
	close(fds[0]);
	check(wait(&st) == pid);
	checkf(st == -1, "unbounded recursion: status %d", st);
	/*
	 * It got through at least most of the initial 1 MiB stack (the stack may grow
	 * further, to its limit) before the guard page stopped it.
	 */
	checkf(last * FRAME >= 800 * 1024, "died after only %d levels", last);
	return 0;
}

static int t_deeprecursion(void)
{
	int r;

	recurse_limit = 150; /* about 600 KB of the 1 MiB stack */
	r = recurse(0, -1);
	checkf(r == 150, "deep recursion returned %d", r);
	return 0;
}

/* ---------- faults that must kill only the faulting process ---------- */

static void read_null(void)
{
	volatile char c = *(volatile char *)bad(0);
	(void)c;
}

static void read_low(void)
{
	volatile char c = *(volatile char *)bad(TEXT_START - PG);
	(void)c;
}

static void read_kernel(void)
{
	volatile char c = *(volatile char *)bad(KADDR);
	(void)c;
}

static void write_kernel(void)
{
	*(volatile char *)bad(KADDR) = 1;
}

static void jump_kernel(void)
{
	((void (*)(void))bad(KADDR))();
}

static void read_unmapped(void)
{
	volatile char c = *(volatile char *)bad(UNMAPPED);
	(void)c;
}

static void write_top(void)
{
	*(volatile char *)bad(STACK_TOP) = 1; /* the first page above the stack */
}

static void read_top(void)
{
	volatile char c = *(volatile char *)bad(USER_END - PG); /* the last page of user space */
	(void)c;
}

static void write_user_end(void)
{
	*(volatile char *)bad(USER_END) = 1; /* not a valid Sv39 user address at all */
}

static void write_text(void)
{
	*(volatile char *)bad((uint64)write_text) = 0;
}

static void jump_heap(void)
{
	uint *p = (uint *)sbrk(PG);

	if (p == (uint *)SBRK_ERROR)
		exit(2);
	p[0] = 0x00008067u; /* ret */
	__asm__ volatile("fence.i");
	((void (*)(void))p)();
}

static void __attribute__((noinline)) jump_stack(void)
{
	uint code[2];
	/* Laundered, so the compiler cannot keep the instruction in read-only data instead. */
	volatile uint *w = (volatile uint *)launder((uint64)code);

	if ((uint64)w < STACK_TOP - 64 * MiB)
		exit(5);    /* not on the stack after all: the case would prove nothing */
	w[0] = 0x00008067u; /* ret */
	w[1] = 0;
	__asm__ volatile("fence.i");
	((void (*)(void))launder((uint64)w))();
}

static int expect_killed(const char *what, void (*fn)(void))
{
	int st = status_of(fn);

	checkf(st == -1, "%s: status %d, expected the process to be killed", what, st);
	return 0;
}

static int t_faultnull(void)
{
	return expect_killed("read at 0", read_null) || expect_killed("read below text", read_low);
}

static int t_faultkernel(void)
{
	return expect_killed("read kernel", read_kernel) ||
	       expect_killed("write kernel", write_kernel) ||
	       expect_killed("jump to kernel", jump_kernel);
}

static int t_faultunmapped(void)
{
	return expect_killed("read unmapped", read_unmapped) ||
	       expect_killed("write above stack", write_top) ||
	       expect_killed("read last user page", read_top) ||
	       expect_killed("write at user end", write_user_end);
}

static int t_faulttext(void)
{
	return expect_killed("write own text", write_text);
}

static int t_faultnoexec(void)
{
	return expect_killed("execute heap", jump_heap) ||
	       expect_killed("execute stack", jump_stack);
}

/* ---------- bad pointers handed to system calls ---------- */

static int t_badbuf(void)
{
	int fd, wfd, fds[2];
	char *top;
	struct stat st;

	check(write_file("badbuf", "0123456789", 10) == 0);
	fd = open("badbuf", O_RDONLY);
	check(fd >= 0);
	check(read(fd, bad(KADDR), 10) == -1);
	check(read(fd, bad(UNMAPPED), 10) == -1);
	check(read(fd, bad(0), 10) == -1);
	check(read(fd, bad((uint64)t_badbuf), 10) == -1); /* read-only text */
	check(fstat(fd, (struct stat *)bad(KADDR)) == -1);
	check(fstat(fd, (struct stat *)bad(UNMAPPED)) == -1);

	wfd = open("badbuf2", O_CREATE | O_TRUNC | O_WRONLY);
	check(wfd >= 0);
	check(write(wfd, bad(KADDR), 10) == -1);
	check(write(wfd, bad(UNMAPPED), 10) == -1);
	check(write(wfd, bad(0), 10) == -1);
	check(write(wfd, bad(STACK_TOP), 2 * PG) == -1); /* the two pages above the stack */
	check(write(1, bad(KADDR), 10) == -1);           /* the console checks too */
	check(fstat(wfd, &st) == 0);
	check(st.size == 0);

	/* Buffers that start in mapped memory and run off its end. */
	top = last_heap_page();
	check(top != 0);
	memset(top, 'z', PG);
	check(write(wfd, top + PG - 10, 100) != 100);
	check(read(fd, top + PG - 5, 10) != 10);

	check(pipe(fds) == 0);
	check(write(fds[1], bad(KADDR), 10) == -1);
	check(write(fds[1], "abc", 3) == 3);
	check(read(fds[0], bad(KADDR), 3) == -1);
	close(fds[0]);
	close(fds[1]);
	close(fd);
	close(wfd);
	check(unlink("badbuf") == 0);
	check(unlink("badbuf2") == 0);
	return 0;
}

static int t_badpath(void)
{
	char *top, *longp;
	int i;

	check(open(bad(KADDR), O_RDONLY) == -1);
	check(open(bad(KADDR), O_CREATE | O_RDWR) == -1);
	check(open(bad(UNMAPPED), O_CREATE | O_RDWR) == -1);
	check(open(bad(0), O_RDONLY) == -1);
	check(mkdir(bad(KADDR)) == -1);
	check(chdir(bad(KADDR)) == -1);
	check(unlink(bad(KADDR)) == -1);
	check(unlink(bad(UNMAPPED)) == -1);
	check(mknod(bad(KADDR), 1, 0) == -1);
	check(write_file("badpath", "x", 1) == 0);
	check(link("badpath", bad(KADDR)) == -1);
	check(link(bad(KADDR), "badpath2") == -1);
	check(link("badpath", bad(UNMAPPED)) == -1);

	/* A name with no NUL before the end of mapped memory. */
	top = last_heap_page();
	check(top != 0);
	memset(top + PG - 50, 'q', 50);
	check(open(top + PG - 50, O_CREATE | O_RDWR) == -1);
	check(mkdir(top + PG - 50) == -1);

	/* A path longer than MAXPATH. */
	longp = top;
	for (i = 0; i < 3 * MAXPATH; i++)
		longp[i] = (i % 15 == 14) ? '/' : 'l';
	longp[3 * MAXPATH] = '\0';
	check(open(longp, O_CREATE | O_RDWR) == -1);
	check(mkdir(longp) == -1);

	check(unlink("badpath") == 0);
	check(open("badpath2", O_RDONLY) == -1);
	return 0;
}

static int t_pipebad(void)
{
	int fd;

	check(pipe((int *)bad(KADDR)) == -1);
	check(pipe((int *)bad(UNMAPPED)) == -1);
	check(pipe((int *)bad((uint64)t_pipebad)) == -1);
	/* The failed calls must not have left descriptors behind: 3 is still the lowest free. */
	fd = open("pipebad", O_CREATE | O_RDWR);
	checkf(fd == 3, "after failed pipe() calls the next descriptor is %d", fd);
	close(fd);
	check(unlink("pipebad") == 0);
	return 0;
}

/* ---------- files ---------- */

static int t_fileio(void)
{
	static const int sizes[] = {1, 1000, 5000};
	int fd, i, n, total = 0, r;
	struct stat st;

	for (i = 0; i < 6001; i++)
		buf[i] = (char)(i * 7 + i / 256);
	fd = open("fileio", O_CREATE | O_RDWR);
	check(fd >= 0);
	for (i = 0; i < 3; i++) {
		check(write(fd, buf + total, sizes[i]) == sizes[i]);
		total += sizes[i];
	}
	check(fstat(fd, &st) == 0);
	check(st.type == T_FILE && st.size == 6001 && st.nlink == 1);
	close(fd);

	fd = open("fileio", O_RDONLY);
	check(fd >= 0);
	for (n = 0; (r = read(fd, buf2 + n, 777)) > 0; n += r)
		;
	check(r == 0 && n == 6001);
	check(memcmp(buf, buf2, 6001) == 0);
	check(read(fd, buf2, 10) == 0);
	close(fd);

	/* O_CREATE on an existing file keeps its data; O_TRUNC drops it. */
	fd = open("fileio", O_CREATE | O_WRONLY);
	check(fd >= 0 && fstat(fd, &st) == 0 && st.size == 6001);
	close(fd);
	fd = open("fileio", O_WRONLY | O_TRUNC);
	check(fd >= 0 && fstat(fd, &st) == 0 && st.size == 0);
	check(write(fd, "new", 3) == 3);
	close(fd);
	check(read_file("fileio", buf2, sizeof(buf2)) == 3 && memcmp(buf2, "new", 3) == 0);
	check(unlink("fileio") == 0);
	return 0;
}

/* Fills an 8 KiB chunk whose 1 KiB blocks start with their block number. */
static void stamp_chunk(char *chunk, uint first_block)
{
	uint i;

	for (i = 0; i < sizeof(buf) / BSIZE; i++)
		*(uint *)(chunk + i * BSIZE) = (first_block + i) ^ 0xb16f11e0u;
}

#define READBACK (2 * MiB)
static int t_bigfile(void)
{
	const uint chunk = sizeof(buf);
	uint off = 0, n, i, blocks = 0;
	int fd, r;
	struct stat st;

	for (i = 0; i < chunk; i++)
		buf[i] = (char)(i % 251);
	fd = open("bigfile", O_CREATE | O_TRUNC | O_WRONLY);
	check(fd >= 0);
	while (off < MAXFILE_BYTES) {
		n = MAXFILE_BYTES - off < chunk ? MAXFILE_BYTES - off : chunk;
		stamp_chunk(buf, off / BSIZE);
		r = write(fd, buf, (int)n);
		checkf(r == (int)n, "write at offset %d returned %d", (int)off, r);
		off += n;
	}
	r = write(fd, "!", 1);
	checkf(r != 1, "a write past the maximum file size (%d bytes) succeeded", (int)off);
	check(fstat(fd, &st) == 0);
	checkf(st.size == MAXFILE_BYTES, "size is %d", (int)st.size);
	close(fd);

	/*
	 * Read back the first 2 MiB: that covers the direct blocks, the singly-indirect ones
	 * and the first doubly-indirect ones. The whole 64 MiB would double the running time
	 * (there is no lseek to sample the end).
	 */
	fd = open("bigfile", O_RDONLY);
	check(fd >= 0);
	off = 0;
	while (off < READBACK && (r = read(fd, buf2, chunk)) > 0) {
		checkf(r % BSIZE == 0 || off + r == MAXFILE_BYTES, "short read of %d bytes", r);
		for (i = 0; i < (uint)r; i += BSIZE, blocks++) {
			uint want = ((off + i) / BSIZE) ^ 0xb16f11e0u;
			checkf(*(uint *)(buf2 + i) == want, "block %d holds the wrong data",
			       (int)((off + i) / BSIZE));
		}
		checkf(buf2[17] == (char)(17 % 251), "offset %d", (int)off);
		off += r;
	}
	check(off == READBACK && blocks == READBACK / BSIZE);
	close(fd);
	check(unlink("bigfile") == 0);
	return 0;
}

static int t_unlinkopen(void)
{
	int rfd, wfd, fd2;
	struct stat st, st2;

	check(write_file("unlinkopen", "hello, ", 7) == 0);
	rfd = open("unlinkopen", O_RDONLY);
	wfd = open("unlinkopen", O_RDWR);
	check(rfd >= 0 && wfd >= 0);
	check(unlink("unlinkopen") == 0);
	check(open("unlinkopen", O_RDONLY) == -1);
	check(fstat(rfd, &st) == 0);
	checkf(st.nlink == 0, "an unlinked open file has nlink %d", st.nlink);

	/* Both descriptors still reach the same, nameless, inode. */
	check(read(rfd, buf, 7) == 7 && memcmp(buf, "hello, ", 7) == 0);
	check(read(wfd, buf, 7) == 7);
	check(write(wfd, "world", 5) == 5);
	check(read(rfd, buf, 10) == 5 && memcmp(buf, "world", 5) == 0);

	/* The name is free for a different file. */
	fd2 = open("unlinkopen", O_CREATE | O_RDWR);
	check(fd2 >= 0);
	check(fstat(fd2, &st2) == 0);
	check(st2.ino != st.ino && st2.size == 0);
	close(rfd);
	close(wfd);
	close(fd2);
	check(unlink("unlinkopen") == 0);
	return 0;
}

static void many_name(char *name, int i)
{
	name[0] = 'm';
	name[1] = 'f';
	name[2] = (char)('0' + i / 100);
	name[3] = (char)('0' + i / 10 % 10);
	name[4] = (char)('0' + i % 10);
	name[5] = '\0';
}

static int t_manyfiles(void)
{
	enum { N = 120 };
	char name[8];
	int i;

	for (i = 0; i < N; i++) {
		many_name(name, i);
		checkf(write_file(name, name, 6) == 0, "creating file %d failed", i);
	}
	for (i = 0; i < N; i++) {
		many_name(name, i);
		checkf(read_file(name, buf, 100) == 6 && memcmp(buf, name, 6) == 0,
		       "file %s has the wrong contents", name);
	}
	for (i = 0; i < N; i++) {
		many_name(name, i);
		checkf(unlink(name) == 0, "unlink %s failed", name);
	}
	for (i = 0; i < N; i++) {
		many_name(name, i);
		check(open(name, O_RDONLY) == -1);
	}
	return 0;
}

static int t_dirs(void)
{
	int fd;
	struct stat st;

	check(mkdir("dd") == 0);
	check(mkdir("dd") == -1);
	check(mkdir("dd/sub") == 0);
	check(write_file("dd/sub/f", "deep", 4) == 0);
	check(chdir("dd") == 0);
	check(read_file("sub/f", buf, 10) == 4);
	check(chdir("sub") == 0);
	check(read_file("f", buf, 10) == 4);
	check(read_file("../../dd/sub/f", buf, 10) == 4);
	check(read_file("./../sub/./f", buf, 10) == 4);
	check(chdir("../..") == 0);
	check(read_file("dd/sub/f", buf, 10) == 4);
	check(chdir("/") == 0 && chdir("..") == 0); /* the root is its own parent */
	check(read_file("dd/sub/f", buf, 10) == 4);

	fd = open("dd", O_RDONLY);
	check(fd >= 0 && fstat(fd, &st) == 0 && st.type == T_DIR);
	close(fd);

	/* Non-empty directories stay. */
	check(unlink("dd") == -1);
	check(unlink("dd/sub") == -1);
	check(unlink("dd/sub/f") == 0);
	check(unlink("dd/sub") == 0);
	check(unlink("dd") == 0);
	check(chdir("dd") == -1);
	check(open("dd", O_RDONLY) == -1);

	check(mkdir("nonexistent/x") == -1);
	check(write_file("dfile", "x", 1) == 0);
	check(chdir("dfile") == -1);
	check(mkdir("dfile/x") == -1);
	check(open("dfile/x", O_CREATE | O_RDWR) == -1);
	check(unlink("dfile") == 0);
	return 0;
}

static int t_rmdot(void)
{
	check(mkdir("rmdot") == 0);
	check(chdir("rmdot") == 0);
	check(unlink(".") == -1);
	check(unlink("..") == -1);
	check(chdir("/") == 0);
	check(unlink("rmdot/.") == -1);
	check(unlink("rmdot/..") == -1);
	check(unlink("/") == -1);
	check(unlink("rmdot") == 0);
	return 0;
}

static int t_links(void)
{
	int fd;
	struct stat st;

	check(write_file("la", "link data", 9) == 0);
	fd = open("la", O_RDONLY);
	check(fd >= 0);
	check(fstat(fd, &st) == 0 && st.nlink == 1);
	check(link("la", "lb") == 0);
	check(fstat(fd, &st) == 0);
	checkf(st.nlink == 2, "nlink %d after link", st.nlink);
	check(link("la", "lb") == -1);
	check(link("no-such-file", "lc") == -1);
	check(mkdir("ldir") == 0);
	check(link("ldir", "ld") == -1); /* no hard links to directories */
	check(link("la", "ldir/inside") == 0);
	check(fstat(fd, &st) == 0 && st.nlink == 3);

	check(unlink("la") == 0);
	check(open("la", O_RDONLY) == -1);
	check(read_file("lb", buf, 20) == 9 && memcmp(buf, "link data", 9) == 0);
	check(fstat(fd, &st) == 0 && st.nlink == 2);
	check(unlink("ldir/inside") == 0);
	check(unlink("lb") == 0);
	check(fstat(fd, &st) == 0 && st.nlink == 0);
	check(open("lb", O_RDONLY) == -1);
	close(fd);
	check(unlink("ldir") == 0);
	return 0;
}

static int t_concfiles(void)
{
	enum { WORKERS = 4, LEN = 20000, STEP = 500 };
	char name[4] = {'c', 'f', '0', '\0'};
	int k, i, st, n;

	for (k = 0; k < WORKERS; k++) {
		if (fork() == 0) {
			name[2] = (char)('0' + k);
			memset(buf, 'A' + k, STEP);
			int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
			if (fd < 0)
				exit(2);
			for (i = 0; i < LEN; i += STEP) {
				if (write(fd, buf, STEP) != STEP)
					exit(3);
			}
			close(fd);
			exit(0);
		}
	}
	for (k = 0; k < WORKERS; k++) {
		st = 1;
		check(wait(&st) > 0);
		checkf(st == 0, "a writer exited with %d", st);
	}
	for (k = 0; k < WORKERS; k++) {
		name[2] = (char)('0' + k);
		n = read_file(name, buf2, sizeof(buf2));
		/* The file is longer than the buffer, so the buffer must come back full. */
		checkf(n == (int)sizeof(buf2), "reading %s gave %d bytes", name, n);
		for (i = 0; i < n; i++)
			checkf(buf2[i] == 'A' + k, "file %s byte %d is %d", name, i, buf2[i]);
		{
			struct stat s;
			check(stat(name, &s) == 0 && s.size == LEN);
		}
		check(unlink(name) == 0);
	}
	return 0;
}

#define REC 32
static int t_concsame(void)
{
	enum { WORKERS = 4, PER = 50 };
	int fd = open("concsame", O_CREATE | O_TRUNC | O_WRONLY), k, i, st, n;
	int next[WORKERS];
	char *data;

	check(fd >= 0);
	for (k = 0; k < WORKERS; k++) {
		if (fork() == 0) {
			char rec[REC];
			memset(rec, '.', REC);
			rec[0] = 'w';
			rec[1] = (char)('0' + k);
			rec[REC - 1] = '\n';
			for (i = 0; i < PER; i++) {
				rec[3] = (char)('0' + i / 10);
				rec[4] = (char)('0' + i % 10);
				if (write(fd, rec, REC) != REC)
					exit(2);
			}
			exit(0);
		}
	}
	close(fd);
	for (k = 0; k < WORKERS; k++) {
		st = 1;
		check(wait(&st) > 0 && st == 0);
		next[k] = 0;
	}
	/* The shared offset puts every record in a slot of its own, in each writer's order. */
	data = sbrk(WORKERS * PER * REC + 1);
	check(data != SBRK_ERROR);
	n = read_file("concsame", data, WORKERS * PER * REC + 1);
	checkf(n == WORKERS * PER * REC, "file has %d bytes", n);
	for (i = 0; i < n; i += REC) {
		char *r = data + i;
		k = r[1] - '0';
		checkf(r[0] == 'w' && k >= 0 && k < WORKERS && r[REC - 1] == '\n',
		       "garbled record at %d", i);
		checkf((r[3] - '0') * 10 + (r[4] - '0') == next[k],
		       "writer %d's record %d is out of order", k, next[k]);
		next[k]++;
	}
	for (k = 0; k < WORKERS; k++)
		check(next[k] == PER);
	check(unlink("concsame") == 0);
	return 0;
}

static int t_concdir(void)
{
	enum { WORKERS = 4, ROUNDS = 20 };
	int k, i, st;

	for (k = 0; k < WORKERS; k++) {
		if (fork() == 0) {
			char name[6] = {'c', 'd', (char)('0' + k), '0', '0', '\0'};
			for (i = 0; i < ROUNDS; i++) {
				name[3] = (char)('0' + i / 10);
				name[4] = (char)('0' + i % 10);
				if (write_file(name, name, 5) < 0)
					exit(2);
				if (read_file(name, buf, 10) != 5 || memcmp(buf, name, 5) != 0)
					exit(3);
				if (i % 2 == 1 && unlink(name) < 0)
					exit(4);
			}
			for (i = 0; i < ROUNDS; i += 2) {
				name[3] = (char)('0' + i / 10);
				name[4] = (char)('0' + i % 10);
				if (unlink(name) < 0)
					exit(5);
			}
			exit(0);
		}
	}
	for (k = 0; k < WORKERS; k++) {
		st = 1;
		check(wait(&st) > 0);
		checkf(st == 0, "a worker failed with %d", st);
	}
	return 0;
}

static int t_openflags(void)
{
	int fd;
	struct stat st;
	static const int odd[] = {-1, 0x7fffff00, O_WRONLY | O_RDWR, 0x1000};
	uint i;

	check(open("openflags", O_RDONLY) == -1);
	check(open("openflags", O_WRONLY) == -1);
	fd = open("openflags", O_CREATE | O_WRONLY);
	check(fd >= 0);
	check(write(fd, "abc", 3) == 3);
	check(read(fd, buf, 3) == -1);
	close(fd);
	fd = open("openflags", O_RDONLY);
	check(fd >= 0);
	check(write(fd, "x", 1) == -1);
	check(read(fd, buf, 3) == 3);
	close(fd);
	fd = open("openflags", O_RDWR);
	check(fd >= 0);
	check(write(fd, "d", 1) == 1);
	check(read(fd, buf, 3) == 2);
	close(fd);

	check(mkdir("openflags.d") == 0);
	check(open("openflags.d", O_CREATE | O_RDWR) == -1);
	check(open("openflags.d", O_WRONLY) == -1);

	/* Odd flag words: refused or accepted, but never harmful. */
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		fd = open("openflags", odd[i]);
		if (fd >= 0)
			check(close(fd) == 0);
	}
	check(stat("openflags", &st) == 0 && st.type == T_FILE);
	check(unlink("openflags") == 0);
	check(unlink("openflags.d") == 0);
	return 0;
}

static int t_dirfd(void)
{
	int fd = open(".", O_RDONLY);
	struct dirent de;
	struct stat st;

	check(fd >= 0);
	check(fstat(fd, &st) == 0 && st.type == T_DIR);
	check(write(fd, "x", 1) == -1);
	check(read(fd, &de, sizeof(de)) == sizeof(de));
	check(de.inum != 0 && strcmp(de.name, ".") == 0);
	close(fd);
	check(open(".", O_RDWR) == -1);
	check(open(".", O_WRONLY) == -1);
	return 0;
}

static int t_dup(void)
{
	int fd, d, fds[2], n = 0, i, last = -1;
	char c;

	fd = open("dupfile", O_CREATE | O_TRUNC | O_RDWR);
	check(fd == 3);
	d = dup(fd);
	checkf(d == 4, "dup returned %d, not the lowest free descriptor", d);
	check(write(fd, "ab", 2) == 2);
	check(write(d, "cd", 2) == 2); /* shares the offset */
	close(fd);
	check(write(d, "ef", 2) == 2);
	close(d);
	check(read_file("dupfile", buf, 100) == 6 && memcmp(buf, "abcdef", 6) == 0);

	check(dup(-1) == -1);
	check(dup(99) == -1);
	check(dup(NOFILE) == -1);
	check(dup(fd) == -1); /* closed */

	/* Fill the descriptor table. */
	fd = open("dupfile", O_RDONLY);
	check(fd == 3);
	while ((d = dup(fd)) >= 0) {
		last = d;
		n++;
		check(n <= NOFILE);
	}
	checkf(last == NOFILE - 1, "last descriptor %d", last);
	check(pipe(fds) == -1);
	for (i = 4; i < NOFILE; i++)
		check(close(i) == 0);
	check(dup(fd) == 4);
	close(4);
	close(fd);

	/* A pipe's reader sees EOF only when every copy of the write end is closed. */
	check(pipe(fds) == 0);
	d = dup(fds[1]);
	check(d >= 0);
	close(fds[1]);
	check(write(d, "z", 1) == 1);
	close(d);
	check(read(fds[0], &c, 1) == 1 && c == 'z');
	check(read(fds[0], &c, 1) == 0);
	close(fds[0]);
	check(unlink("dupfile") == 0);
	return 0;
}

static int t_fdcheck(void)
{
	int fd;
	struct stat st;

	check(close(-1) == -1);
	check(close(99) == -1);
	check(close(NOFILE) == -1);
	check(close(5) == -1);
	check(read(99, buf, 1) == -1);
	check(read(-1, buf, 1) == -1);
	check(write(99, buf, 1) == -1);
	check(write(NOFILE, buf, 1) == -1);
	check(fstat(99, &st) == -1);
	check(fstat(-5, &st) == -1);

	check(write_file("fdcheck", "0123456789", 10) == 0);
	fd = open("fdcheck", O_RDWR);
	check(fd >= 0);
	checkf(read(fd, buf, -1) <= 0, "%s", "read with a negative count returned data");
	checkf(write(fd, buf, -1) <= 0, "%s", "write with a negative count wrote data");
	check(close(fd) == 0);
	check(close(fd) == -1);
	check(write(fd, "x", 1) == -1);
	check(read(fd, buf, 1) == -1);
	check(fstat(fd, &st) == -1);
	check(unlink("fdcheck") == 0);
	return 0;
}

/* ---------- pipes ---------- */

static int t_pipedata(void)
{
	enum { TOTAL = 64 * 1024 };
	int fds[2], pid, st = 1, got = 0, r, i, want_sizes = 1;
	uint wstate = 7, rstate = 7;

	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		int sent = 0, n;
		close(fds[0]);
		while (sent < TOTAL) {
			/* Sizes 1, 2, 3, ... up to 1500, cycling. */
			n = want_sizes;
			want_sizes = want_sizes % 1500 + 1;
			if (n > TOTAL - sent)
				n = TOTAL - sent;
			for (i = 0; i < n; i++)
				buf[i] = (char)next_rand(&wstate);
			if (write(fds[1], buf, n) != n)
				exit(2);
			sent += n;
		}
		exit(0);
	}
	close(fds[1]);
	for (;;) {
		r = read(fds[0], buf2, 1 + got % 700);
		if (r <= 0)
			break;
		for (i = 0; i < r; i++)
			checkf(buf2[i] == (char)next_rand(&rstate), "byte %d is wrong", got + i);
		got += r;
	}
	check(r == 0);
	checkf(got == TOTAL, "received %d of %d bytes", got, TOTAL);
	close(fds[0]);
	check(wait(&st) == pid && st == 0);
	return 0;
}

static int t_pipebig(void)
{
	const int total = 2 * MiB, chunk = 4096;
	int fds[2], pid, st = 1, got = 0, r, carry = 0, have, k;
	uint sum = 0, want = 0, i, pos = 0;

	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		int sent;
		close(fds[0]);
		for (sent = 0; sent < total; sent += chunk) {
			for (i = 0; i < (uint)chunk; i += 4)
				*(uint *)(buf + i) = (uint)(sent + i) * 2654435761u;
			if (write(fds[1], buf, chunk) != chunk)
				exit(2);
		}
		exit(0);
	}
	close(fds[1]);
	for (i = 0; i < (uint)total; i += 4)
		want += i * 2654435761u * (i | 1);
	/*
	 * Reads of an odd size; every 4-byte word is summed weighted by its offset, so lost,
	 * repeated or reordered data changes the sum. buf2[0] is at stream offset pos, and
	 * carry bytes of a partial word wait there for the rest of it.
	 */
	while ((r = read(fds[0], buf2 + carry, 3000)) > 0) {
		have = carry + r;
		for (k = 0; k + 4 <= have; k += 4)
			sum += *(uint *)(buf2 + k) * ((pos + (uint)k) | 1);
		memmove(buf2, buf2 + k, have - k);
		pos += (uint)k;
		carry = have - k;
		got += r;
	}
	check(r == 0);
	checkf(got == total, "received %d of %d bytes", got, total);
	check(sum == want);
	close(fds[0]);
	check(wait(&st) == pid && st == 0);
	return 0;
}

static int t_pipeeof(void)
{
	int fds[2], pid, st = 1;
	char c = 0;

	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		sleep(3);
		write(fds[1], "y", 1);
		exit(0);
	}
	/* Our own copy of the write end must not keep the reader waiting. */
	close(fds[1]);
	check(read(fds[0], &c, 1) == 1 && c == 'y');
	check(read(fds[0], &c, 1) == 0);
	check(read(fds[0], &c, 1) == 0);
	check(wait(&st) == pid && st == 0);
	close(fds[0]);
	return 0;
}

static int t_pipenoreader(void)
{
	int fds[2], pid, st = 1, r;
	char *big;

	check(pipe(fds) == 0);
	close(fds[0]);
	r = write(fds[1], "x", 1);
	checkf(r == -1, "write to a pipe without readers returned %d", r);
	close(fds[1]);

	/* A writer blocked on a full pipe learns that the reader went away. */
	check(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		big = sbrk(64 * 1024);
		if (big == SBRK_ERROR)
			exit(2);
		memset(big, 'b', 64 * 1024);
		r = write(fds[1], big, 64 * 1024);
		exit(r == 64 * 1024 ? 3 : 0);
	}
	close(fds[1]);
	check(read(fds[0], buf, 100) > 0);
	close(fds[0]);
	check(wait(&st) == pid);
	checkf(st == 0, "writer status %d", st);
	return 0;
}

/* ---------- the cases in the order they run ---------- */

/* ---------- fsync ---------- */

static int t_fsync(void)
{
	int fd, fds[2], i;
	struct stat st;

	/* Descriptors that are out of range, not open, or not a file or directory. */
	check(fsync(-1) == -1);
	check(fsync(NOFILE) == -1);
	check(fsync(1000) == -1);
	check(fsync(NOFILE - 1) == -1);
	check(fsync(1) == -1); /* the console, a device */
	check(pipe(fds) == 0);
	check(fsync(fds[0]) == -1);
	check(fsync(fds[1]) == -1);
	close(fds[0]);
	close(fds[1]);

	for (i = 0; i < 5000; i++)
		buf[i] = (char)(i * 13 + 5);
	fd = open("fsyncf", O_CREATE | O_TRUNC | O_RDWR);
	check(fd >= 0);
	check(fsync(fd) == 0); /* nothing written yet */
	check(write(fd, buf, 5000) == 5000);
	check(fsync(fd) == 0);
	check(fsync(fd) == 0); /* nothing new: returns at once */
	check(fstat(fd, &st) == 0 && st.size == 5000);
	close(fd);
	check(fsync(fd) == -1); /* closed */

	/* A read-only descriptor may be synced; so may a directory (its entries). */
	fd = open("fsyncf", O_RDONLY);
	check(fd >= 0);
	check(fsync(fd) == 0);
	check(read(fd, buf2, 5000) == 5000 && memcmp(buf, buf2, 5000) == 0);
	close(fd);
	fd = open(".", O_RDONLY);
	check(fd >= 0);
	check(fsync(fd) == 0);
	close(fd);
	check(unlink("fsyncf") == 0);
	return 0;
}

/*
 * fsync forces a commit that a steady stream of other operations would otherwise put
 * off (log.c): with two children creating, writing and removing files as fast as they
 * can, each fsync must still return, with its own data intact.
 */
static int t_fsyncbusy(void)
{
	enum { CHURNERS = 3, SYNCS = 30 };
	int pids[CHURNERS], k, i, fd, st;
	char name[4] = {'f', 'b', '0', '\0'};
	struct stat s;

	for (k = 0; k < CHURNERS; k++) {
		pids[k] = fork();
		check(pids[k] >= 0);
		if (pids[k] == 0) {
			name[2] = (char)('0' + k);
			for (;;) {
				fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
				if (fd < 0 || write(fd, "churn", 5) != 5)
					exit(2);
				close(fd);
				unlink(name);
			}
		}
	}
	fd = open("fsyncbusy", O_CREATE | O_TRUNC | O_RDWR);
	check(fd >= 0);
	for (i = 0; i < SYNCS; i++) {
		check(write(fd, "0123456789", 10) == 10);
		checkf(fsync(fd) == 0, "fsync %d failed", i);
	}
	check(fstat(fd, &s) == 0 && s.size == 10 * SYNCS);
	close(fd);
	for (k = 0; k < CHURNERS; k++)
		kill(pids[k]);
	for (k = 0; k < CHURNERS; k++) {
		st = 0;
		check(wait(&st) > 0);
		checkf(st == -1, "a churner ended with status %d before it was killed", st);
	}
	for (k = 0; k < CHURNERS; k++) {
		name[2] = (char)('0' + k);
		unlink(name);
	}
	check(unlink("fsyncbusy") == 0);
	return 0;
}

static const struct test tests[] = {
    {"getpid", t_getpid, 30},
    {"exitwait", t_exitwait, 30},
    {"waitnochild", t_waitnochild, 30},
    {"waitbadptr", t_waitbadptr, 30},
    {"killsleep", t_killsleep, 30},
    {"killloop", t_killloop, 30},
    {"killself", t_killself, 30},
    {"killbad", t_killbad, 30},
    {"forkbomb", t_forkbomb, 60},
    {"orphan", t_orphan, 30},
    {"sleep", t_sleep, 30},
    {"forkchurn", t_forkchurn, 60},
    {"forkcow", t_forkcow, 30},
    {"forkfd", t_forkfd, 30},
    {"exec", t_exec, 30},
    {"execargs", t_execargs, 30},
    {"execelf", t_execelf, 60},
    {"execbadptr", t_execbadptr, 30},
    {"sbrkbasic", t_sbrkbasic, 30},
    {"sbrklazy", t_sbrklazy, 30},
    {"sbrkzero", t_sbrkzero, 30},
    {"recyclezero", t_recyclezero, 30},
    {"sbrkneg", t_sbrkneg, 30},
    {"sbrklimit", t_sbrklimit, 30},
    {"stackoverflow", t_stackoverflow, 30},
    {"deeprecursion", t_deeprecursion, 30},
    {"faultnull", t_faultnull, 30},
    {"faultkernel", t_faultkernel, 30},
    {"faultunmapped", t_faultunmapped, 30},
    {"faulttext", t_faulttext, 30},
    {"faultnoexec", t_faultnoexec, 30},
    {"badbuf", t_badbuf, 30},
    {"badpath", t_badpath, 30},
    {"pipebad", t_pipebad, 30},
    {"pipedata", t_pipedata, 60},
    {"pipebig", t_pipebig, 120},
    {"pipeeof", t_pipeeof, 30},
    {"pipenoreader", t_pipenoreader, 30},
    {"fileio", t_fileio, 30},
    {"unlinkopen", t_unlinkopen, 30},
    {"manyfiles", t_manyfiles, 120},
    {"dirs", t_dirs, 30},
    {"rmdot", t_rmdot, 30},
    {"links", t_links, 30},
    {"concfiles", t_concfiles, 60},
    {"concsame", t_concsame, 60},
    {"concdir", t_concdir, 60},
    {"openflags", t_openflags, 30},
    {"dirfd", t_dirfd, 30},
    {"dup", t_dup, 30},
    {"fdcheck", t_fdcheck, 30},
    {"fsync", t_fsync, 30},
    {"fsyncbusy", t_fsyncbusy, 120},
    {"oom", t_oom, 120},
    {"memfail", t_memfail, 120},
    {"bigfile", t_bigfile, 420},
};
#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

int main(int argc, char *argv[])
{
	if (argc >= 3 && strcmp(argv[1], "--args") == 0)
		return echo_args(argc, argv);
	run_tests("usertests", tests, NTESTS, argc, argv);
}
