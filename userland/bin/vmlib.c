/* vmlib: shared by the VM tools and the demos; see vmlib.h. */
#include "kernel/types.h"
#include "kernel/mman.h"
#include "user/user.h"
#include "vmlib.h"

const char *kind_name(int kind)
{
	static const char *names[] = {"anon", "text", "data", "heap", "stack", "guard", "mmap"};
	return kind >= 0 && kind < (int)(sizeof(names) / sizeof(names[0])) ? names[kind] : "-";
}

const char *outcome_name(int outcome)
{
	static const char *names[VT_NOUTCOMES] = {
	    [VT_ZERO_FILL] = "zero fill",
	    [VT_COW_COPY] = "cow copy",
	    [VT_COW_REUSE] = "cow reuse",
	    [VT_CACHE_HIT] = "cache hit",
	    [VT_DISK_READ] = "disk read",
	    [VT_FILE_COPY] = "file copy",
	    [VT_WRITE_ENABLE] = "write ok",
	    [VT_SPURIOUS] = "spurious",
	    [VT_NOMAP] = "no mapping",
	    [VT_ACCESS] = "access error",
	    [VT_BUS] = "bus error",
	    [VT_OOM] = "out of memory",
	    [VT_EXIT] = "exit",
	};
	return outcome >= 0 && outcome < VT_NOUTCOMES ? names[outcome] : "?";
}

const char *access_name(int access)
{
	return access == VT_WRITE ? "write" : access == VT_EXEC ? "exec" : "read";
}

void prot_string(char out[5], int prot, int flags)
{
	out[0] = (prot & PROT_READ) ? 'r' : '-';
	out[1] = (prot & PROT_WRITE) ? 'w' : '-';
	out[2] = (prot & PROT_EXEC) ? 'x' : '-';
	out[3] = (flags & VMR_SHARED) ? 's' : 'p';
	out[4] = 0;
}

/* Dirty and copy-on-write say the most about what the next store does. */
const unsigned char vmpg_rank[5] = {
    [VMPG_NONE] = 0, [VMPG_PRIVATE] = 1, [VMPG_SHARED] = 2, [VMPG_DIRTY] = 3, [VMPG_COW] = 4,
};

void strip(char *out, const unsigned char *states, int n, const char *chars)
{
	int group = (n + STRIP_WIDTH - 1) / STRIP_WIDTH, k = 0;
	if (group < 1)
		group = 1;
	for (int i = 0; i < n; i += group) {
		int best = states[i];
		for (int j = i + 1; j < i + group && j < n; j++)
			if (states[j] > best)
				best = states[j];
		out[k++] = chars[best];
	}
	out[k] = 0;
}

static void region_strip(int pid, struct vm_region *r, char *out)
{
	static unsigned char st[VM_PAGES_MAX];
	int n = (int)((r->end - r->start) / 4096);
	int group = (n + STRIP_WIDTH - 1) / STRIP_WIDTH;
	unsigned char ranked[STRIP_WIDTH];
	int k = 0;
	/* Ask page by window of VM_PAGES_MAX, folding each group into its most notable page. */
	for (int base = 0; base < n && k < STRIP_WIDTH; base += VM_PAGES_MAX) {
		int m = n - base < VM_PAGES_MAX ? n - base : VM_PAGES_MAX;
		if (vm_pages(pid, r->start + (unsigned long)base * 4096, m, st) != m) {
			out[0] = '?';
			out[1] = 0;
			return;
		}
		for (int i = 0; i < m; i++) {
			int g = (base + i) / group;
			if ((base + i) % group == 0)
				ranked[g] = 0;
			if (vmpg_rank[st[i]] > ranked[g])
				ranked[g] = vmpg_rank[st[i]];
		}
		k = (base + m + group - 1) / group;
	}
	static const char by_rank[] = {'.', 'p', 's', 'D', 'c'};
	for (int i = 0; i < k; i++)
		out[i] = by_rank[ranked[i]];
	out[k] = 0;
}

int show_vmmap(int pid)
{
	struct vm_region r[8];
	unsigned long from = 0;
	int n, total = 0, res = 0;
	char prot[5], line[STRIP_WIDTH + 1];
	while ((n = vm_regions(pid, from, r, 8)) > 0) {
		if (total == 0)
			printf("pid %d: start-end          prot kind  object        pages  res "
			       "dirty cow "
			       "shared\n",
			       pid);
		for (int i = 0; i < n; i++) {
			unsigned long pages = (r[i].end - r[i].start) / 4096;
			prot_string(prot, r[i].prot, r[i].flags);
			printf("%9lx-%-9lx %s %-5s ", r[i].start, r[i].end, prot,
			       kind_name(r[i].kind));
			if (r[i].obj) /* object number and byte offset, like /proc/PID/maps */
				printf("%s#%-2d+%-6lx ", r[i].pager[0] == 'i' ? "file" : "shm ",
				       r[i].obj, r[i].off);
			else
				printf("%-13s ", "anon");
			printf("%6ld %4d %5d %3d %6d\n", pages, r[i].resident, r[i].dirty, r[i].cow,
			       r[i].shared);
			region_strip(pid, &r[i], line);
			int group = (int)((pages + STRIP_WIDTH - 1) / STRIP_WIDTH);
			if (group > 1)
				printf("    [%s] %d pages/char\n", line, group);
			else
				printf("    [%s]\n", line);
			total++;
			res += r[i].resident;
			from = r[i].end;
		}
	}
	if (n < 0 && total == 0) {
		fprintf(2, "vmmap: no process %d (or it has exited)\n", pid);
		return -1;
	}
	printf("%d regions, %d pages resident. "
	       "legend: . not resident  p private  D dirty  s shared  c copy-on-write\n",
	       total, res);
	return 0;
}

int run(char *argv[])
{
	int pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char path[64] = "/";
		strcpy(path + 1, argv[0]);
		exec(path, argv);
		fprintf(2, "cannot run %s\n", argv[0]);
		exit(127);
	}
	int status = -1;
	wait(&status);
	return status;
}

int run_pid(const char *prog, int pid)
{
	char num[16];
	int i = 15;
	num[i] = 0;
	do
		num[--i] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	char *argv[] = {(char *)prog, num + i, 0};
	return run(argv);
}

long parse_num(const char *s)
{
	long v = 0;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		v = v * base + d;
	}
	return v;
}

void print_record(const struct vt_record *r, unsigned long t0)
{
	unsigned long us = (r->ns - t0) / 1000;
	if (r->outcome == VT_EXIT) {
		printf("%5lu.%03lu ms hart %d pid %d exit: its memory is freed\n", us / 1000,
		       us % 1000, r->hart, r->pid);
		return;
	}
	printf("%5lu.%03lu ms hart %d pid %d %-5s 0x%lx %-5s %s%s\n", us / 1000, us % 1000, r->hart,
	       r->pid, access_name(r->access), r->va, kind_name(r->kind), outcome_name(r->outcome),
	       r->disk && r->outcome != VT_DISK_READ ? " (disk read)" : "");
}

int follow_trace(int session, unsigned long *from, int counts[VT_NOUTCOMES], int quiet,
                 int until_exit)
{
	static struct vt_record buf[VT_READMAX];
	static unsigned long t0;
	int lost = 0;
	for (;;) {
		int n = vmtrace_read(*from, buf, VT_READMAX);
		if (n < 0)
			return lost;
		if (n == 0) {
			if (!until_exit)
				return lost;
			sleep(1);
			continue;
		}
		if (buf[0].seq > *from)
			lost += (int)(buf[0].seq - *from);
		for (int i = 0; i < n; i++) {
			struct vt_record *r = &buf[i];
			*from = r->seq + 1;
			if (r->session != session)
				continue;
			if (!t0)
				t0 = r->ns;
			if (r->outcome < VT_NOUTCOMES)
				counts[r->outcome]++;
			if (!quiet)
				print_record(r, t0);
			if (until_exit && r->outcome == VT_EXIT && r->pid == session)
				return lost;
		}
	}
}

void print_summary(const int counts[VT_NOUTCOMES])
{
	int faults = 0;
	for (int i = 0; i < VT_NOUTCOMES; i++)
		if (i != VT_EXIT)
			faults += counts[i];
	printf("%d fault%s:", faults, faults == 1 ? "" : "s");
	for (int i = 0; i < VT_NOUTCOMES; i++)
		if (i != VT_EXIT && counts[i])
			printf(" %s %d,", outcome_name(i), counts[i]);
	printf("\n");
}

static int no_pause;
static int step_no;

void demo_args(int argc, char *argv[])
{
	no_pause = argc > 1 && strcmp(argv[1], "-n") == 0;
}

void step(const char *text)
{
	printf("\n%d. %s\n", ++step_no, text);
	if (no_pause)
		return;
	char line[16];
	printf("   [Enter] ");
	gets(line, sizeof(line));
}

void trace_mark(unsigned long *from)
{
	int counts[VT_NOUTCOMES];
	*from = 1;
	follow_trace(-1, from, counts, 1, 0);
}

void trace_show(int session, unsigned long *from)
{
	int counts[VT_NOUTCOMES] = {0};
	follow_trace(session, from, counts, 0, 0);
	print_summary(counts);
}

char *fmt_num(char *buf, unsigned long v, int hex)
{
	char tmp[24];
	int i = 0, j = 0;
	do {
		int d = (int)(v % (hex ? 16 : 10));
		tmp[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= hex ? 16 : 10;
	} while (v);
	if (hex) {
		buf[j++] = '0';
		buf[j++] = 'x';
	}
	while (i > 0)
		buf[j++] = tmp[--i];
	buf[j] = 0;
	return buf;
}

int run_vmprint(int pid, unsigned long va)
{
	char p[24], v[24];
	char *argv[] = {"vmprint", fmt_num(p, (unsigned long)pid, 0), fmt_num(v, va, 1), "4096", 0};
	return run(argv);
}
