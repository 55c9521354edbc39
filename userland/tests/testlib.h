/*
 * testlib: the case runner shared by Pagoda's in-guest test programs (usertests, mmaptest,
 * cowtest).
 *
 * It owns everything between main() and a case function: picking the cases named on the
 * command line, running each in a child process of its own under a watchdog process that
 * bounds its time, reading the child's wait status, checking afterwards that the available
 * pages came back (avail_pages(), after making the runner's own demand-paged image
 * resident, so its own faults do not count as leaks), and the output that tools/harness.py
 * parses:
 *
 *   ok N - name
 *   not ok N - name # reason
 *   ok N - name # SKIP not implemented
 *   # diagnostic
 *   PROG: P passed, F failed[, S skipped]   (the last line, only after a complete run)
 *
 * A program keeps its cases, its table and its auxiliary argv modes (those that other
 * cases exec it in); main() dispatches those first and then hands over to run_tests().
 */
#pragma once
#include "kernel/types.h"
#include "kernel/param.h"

struct test {
	const char *name;
	int (*fn)(void); /* 0 when the case passed, TEST_SKIP, anything else a failure */
	int secs;        /* the watchdog's limit */
};

/*
 * What a case returns when the feature it tests does not exist yet (a lab exercise not
 * done): the case is reported as skipped, not failed. Say why in a "# ..." line first.
 */
#define TEST_SKIP 77

/* The running case's name (the program's in the runner), for "# ..." diagnostics. */
extern const char *curname;

/* This program's absolute path, for cases that exec it again; set by run_tests(). */
extern char self_path[MAXPATH];

/* Reports a failed check and makes the case fail. */
#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s: line %d: check failed: %s\n", curname, __LINE__, #cond);     \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* Like check(), with a message saying what was seen. */
#define checkf(cond, fmt, ...)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s: line %d: " fmt "\n", curname, __LINE__, __VA_ARGS__);        \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/*
 * Stores to the 16 KiB of stack below the caller. After a fork those stack pages are shared
 * read-only and the first store to each takes a free page; a process that must keep
 * running while memory is short, or that is about to count free pages, calls this first.
 */
void own_stack(void);

/*
 * Runs the cases named in argv[1..] (all of them when there are none) in table order,
 * numbering them from 1, prints a result line for each and the summary line, and exits:
 * 0 if no case failed (skipped ones do not fail), 1 otherwise. prog names the program in the
 * summary line.
 */
void run_tests(const char *prog, const struct test *tests, int ntests, int argc, char *argv[])
    __attribute__((noreturn));

/*
 * Pages the kernel could hand out now: the free ones plus the cached file pages that
 * nothing maps or uses (vmstat's reclaimable_pages), which it frees on demand. File data
 * stays in the page cache after the last close, so a case that reads a file leaves those
 * pages cached and the free count alone would call that a leak; a page that nobody can
 * get back is still missing from this count. Pages on the clock's ring that only PTEs
 * use count too (reclaim takes them from long-lived processes, which fault them back), and so
 * does the free room inside kernel slab pages, in whole pages (docs/reclaim.md).
 * freepages() if vmstat() fails.
 */
int avail_pages(void);

/* Writes the decimal text of v, NUL-terminated, to dst (at least 21 bytes). */
void put_num(char *dst, long v);

/*
 * Runs memory out the way xv6's usertests `mem` does, in a child: malloc 10001-byte blocks,
 * storing to every page of each, until malloc fails; then frees them all and mallocs 20 KiB
 * again. Returns the child's wait status: 0 if malloc failed and memory came back, 2 if
 * the 20 KiB could not be had after freeing, -1 if the child was killed instead (the heap
 * was never refused). *blocks is how many blocks it got, *ms how long it took.
 */
int malloc_until_fail(unsigned long *blocks, unsigned long *ms);
