/* Process-table internals shared by the files of src/proc. */
#pragma once
#include "proc.h"

extern struct proc proc_table[NPROC];
extern struct spinlock wait_lock;
extern struct proc *init_proc;

struct proc *allocproc(void);
void freeproc(struct proc *p);
void sched(void);
void kick_idle_hart(void);
void swtch(struct context *old, struct context *new);
/* Starts the kernel threads (kthread.c), once the file system is up. */
void kthreads_start(void);
