/*
 * System-call dispatch and argument fetching. Every fetch validates: a bad pointer or
 * length makes the fetch fail and the system call return -1; it never faults the kernel.
 */
#pragma once
#include "lib/types.h"

void syscall(void);

void argint(int n, int *ip);
void arglong(int n, int64 *lp);
void argaddr(int n, uint64 *ap);
/* Copies string argument n into buf (at most max bytes incl. NUL); length or -1. */
int argstr(int n, char *buf, int max);
int fetchaddr(uint64 addr, uint64 *ip); /* 0 or -1 */
int fetchstr(uint64 addr, char *buf, int max);

/* System calls implemented in sysfile.c (fs) and sysproc.c / sysvm.c. */
uint64 sys_read(void);
uint64 sys_write(void);
uint64 sys_fsync(void);
uint64 sys_open(void);
uint64 sys_close(void);
uint64 sys_dup(void);
uint64 sys_pipe(void);
uint64 sys_fstat(void);
uint64 sys_chdir(void);
uint64 sys_mkdir(void);
uint64 sys_mknod(void);
uint64 sys_unlink(void);
uint64 sys_link(void);
uint64 sys_exec(void);
