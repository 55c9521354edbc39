/*
 * vmlib: what the VM tools (vmmap, vmprint, vmtrace, vmstat, pcache) and the demos share:
 * names for the kernel's codes, the residency strip, and running a tool from a program.
 */
#pragma once
#include "kernel/types.h"
#include "kernel/vminfo.h"
#include "kernel/vmtrace.h"

#define STRIP_WIDTH 64 /* characters in a residency strip at most */

const char *kind_name(int kind);                    /* "text", "heap", ... ("-" if none) */
const char *outcome_name(int outcome);              /* "zero fill", "cow copy", ... */
const char *access_name(int access);                /* "read", "write", "exec" */
void prot_string(char out[5], int prot, int flags); /* "rw-p" / "r--s" */
/* The residency strip of n page states (VMPG_* or VMPC_* with chars), one char per page,
 * or per group of pages when n is more than STRIP_WIDTH: a group shows its most notable
 * page (the highest code). out must hold STRIP_WIDTH + 1 bytes. */
void strip(char *out, const unsigned char *states, int n, const char *chars);
#define VMPG_CHARS ".pDsc" /* indexed by VMPG_* */
#define VMPC_CHARS ".cmD"  /* indexed by VMPC_* */
/* The VMPG_* codes, most notable last, so strip() may take the maximum. */
extern const unsigned char vmpg_rank[5];

/* Prints pid's map as vmmap does: 0, or -1 (with a message) if pid has no memory map. */
int show_vmmap(int pid);
/* Runs program argv[0] (from /) and waits for it; its exit status, or -1. */
int run(char *argv[]);
/* run() with a pid as the last argument: run2("vmmap", pid) is "vmmap PID". */
int run_pid(const char *prog, int pid);
/* Unsigned number in decimal or 0x-hex; -1 if s is not one. */
long parse_num(const char *s);
/* v in decimal, or in hex with 0x (hex != 0), into buf (24 bytes); returns buf. For
 * building argument vectors: the user library has no snprintf. */
char *fmt_num(char *buf, unsigned long v, int hex);

/* One trace record as vmtrace prints it; t0 is the time of the session's first record. */
void print_record(const struct vt_record *r, unsigned long t0);
/*
 * Follows trace session `session` from sequence number *from: prints each of its records
 * (unless quiet) and adds it to counts[VT_*], until the session's own process exits
 * (its VT_EXIT record) if until_exit, else until the ring has nothing newer. Returns the
 * number of records lost to ring overflow.
 */
int follow_trace(int session, unsigned long *from, int counts[VT_NOUTCOMES], int quiet,
                 int until_exit);
/* "zero fill 3, cow copy 1" for the non-zero counts. */
void print_summary(const int counts[VT_NOUTCOMES]);

/* Demos: demo_args() reads -n (no pauses); step() prints one numbered idea and, unless
 * -n, waits for Enter before the demo shows it. */
void demo_args(int argc, char *argv[]);
void step(const char *text);
/* Sets *from past every record now in the ring, so a demo's trace shows only what follows. */
void trace_mark(unsigned long *from);
/* Prints (and counts) the records of session since *from, then the summary line. */
void trace_show(int session, unsigned long *from);
/* Runs "vmprint PID VA 4096": the one page's entry and the tables above it. */
int run_vmprint(int pid, unsigned long va);
