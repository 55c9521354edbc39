/*
 * Processes and harts: the public view used by fs, syscall and the trap code.
 *
 * Lock order (outermost first): wait_lock, then p->lock. A process's aspace is touched
 * only by that process (or by its parent before it first runs), so mm locks nest inside.
 */
#pragma once
#include "lib/types.h"
#include "lib/spinlock.h"
#include "lib/abi/param.h"

struct aspace;
struct file;
struct inode;

/* Callee-saved registers saved by swtch() on a context switch. */
struct context {
	uint64 ra, sp;
	uint64 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
};

/* Per-hart state. */
struct cpu {
	struct proc *proc;      /* the process running on this hart, or NULL */
	struct context context; /* swtch() here to enter the scheduler */
	int noff;               /* depth of push_off() nesting */
	int intena;             /* were interrupts enabled before push_off()? */
	int started;
	int idle; /* in the scheduler with nothing to run (may be in wfi) */
};
extern struct cpu cpus[NCPU];

/*
 * Registers saved on a trap from user mode. It sits at the top of the process's kernel
 * stack; sscratch points at it while the process runs in user mode. Offsets are used by
 * trapvec.S: keep them in step.
 */
struct trapframe {
	uint64 ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7; /* 0..128 */
	uint64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, t3, t4, t5, t6;           /* 136..240 */
	uint64 epc;       /* 248: user pc */
	uint64 kernel_tp; /* 256: hart id, restored into tp on entry */
};

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
	struct spinlock lock;

	/* p->lock must be held when using these: */
	enum procstate state;
	void *chan; /* if non-NULL, sleeping on chan */
	int killed; /* if non-zero, have been killed */
	int xstate; /* exit status to be returned to parent's wait */
	int pid;

	/* wait_lock must be held when using this: */
	struct proc *parent;

	/* private to the process, so p->lock need not be held: */
	char *kstack;           /* bottom of the kernel stack */
	struct trapframe *tf;   /* at the top of kstack */
	struct aspace *as;      /* user address space */
	struct context context; /* swtch() here to run process */
	struct file *ofile[NOFILE];
	struct inode *cwd;
	char name[16];
	void (*kthread)(void); /* a kernel thread's loop (kthread.c); NULL for a process */
};

int cpuid(void);
struct cpu *mycpu(void);
struct proc *myproc(void);

void proc_init(void);
void user_init(void);
void scheduler(void) __attribute__((noreturn));
void yield(void);
void sleep(void *chan, struct spinlock *lk);
/* sleep() that a kill ends, before or during the sleep; the caller checks killed() after. */
void sleep_killable(void *chan, struct spinlock *lk);
void wakeup(void *chan);
int kfork(void);
void kexit(int status) __attribute__((noreturn));
int kwait(uint64 addr);
int kkill(int pid);
int killed(struct proc *p);
void setkilled(struct proc *p);
int kexec(char *path, char **argv);
void proc_dump(void); /* ^P: list processes on the console */
/* A fault found no memory at all (for the tries'th time): 1 if the fault should be tried
 * again (we waited for reclaim, or another process was killed to make room), 0 if the
 * caller holds the most and must die itself (lifecycle.c). */
int proc_oom(int tries);
/* Kill the current process with a one-line console message; used for fatal user faults. */
void proc_fault_kill(const char *cause, uint64 addr, uint64 pc);

/*
 * For tools that read another process's memory map (syscall/sysinspect.c): the address
 * space of live process pid (proc_as_slot: of whatever lives in table slot `slot`, its
 * pid in *pid) with a reference taken under p->lock, which every writer of p->as holds;
 * the caller drops it with as_put. NULL if there is none (no such pid, a zombie).
 */
struct aspace *proc_as_get(int pid);
struct aspace *proc_as_slot(int slot, int *pid);

/* Copy to/from either a user address (user != 0) of the current process or a kernel address. */
int either_copyout(int user_dst, uint64 dst, const void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);

/* Timer ticks since boot and the lock/channel sleepers wait on. */
extern uint ticks;
extern struct spinlock tickslock;
