/*
 * The process table: allocation of process slots and kernel stacks, per-hart state, and
 * the console process listing.
 *
 * Lock order: wait_lock -> p->lock. A slot's p->lock protects its state, chan, killed,
 * xstate and pid; see proc.h for which fields need which lock.
 */
#include "proc_internal.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/arch.h"
#include "arch/riscv/kstack.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "fs/fs.h"

struct cpu cpus[NCPU];
struct proc proc_table[NPROC];
struct spinlock wait_lock;
struct proc *init_proc;

static int next_pid = 1;
static struct spinlock pid_lock;

void proc_init(void)
{
	initlock(&pid_lock, "pid");
	initlock(&wait_lock, "wait");
	initlock(&tickslock, "ticks");
	for (int i = 0; i < NPROC; i++) {
		initlock(&proc_table[i].lock, "proc");
		/* Each slot's kernel stack, with its trapframe at the top (see kstack.h). */
		proc_table[i].kstack = kstack_bottom(KSTACK_PROC(i));
	}
}

int cpuid(void)
{
	return (int)r_tp();
}

struct cpu *mycpu(void)
{
	return &cpus[r_tp()];
}

struct proc *myproc(void)
{
	push_off();
	struct proc *p = mycpu()->proc;
	pop_off();
	return p;
}

static int alloc_pid(void)
{
	acquire(&pid_lock);
	int pid = next_pid++;
	release(&pid_lock);
	return pid;
}

static void fork_return(void);

/* Finds an UNUSED slot and returns it USED with p->lock held, or NULL. */
struct proc *allocproc(void)
{
	for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
		acquire(&p->lock);
		if (p->state != UNUSED) {
			release(&p->lock);
			continue;
		}
		p->pid = alloc_pid();
		p->state = USED;
		p->killed = 0;
		p->xstate = 0;
		p->tf = (struct trapframe *)(p->kstack + KSTACK_SIZE - sizeof(struct trapframe));
		p->tf = (struct trapframe *)((uint64)p->tf & ~15UL);
		memset(p->tf, 0, sizeof(*p->tf));
		memset(&p->context, 0, sizeof(p->context));
		p->context.ra = (uint64)fork_return;
		p->context.sp = (uint64)p->tf;
		return p;
	}
	return NULL;
}

/* Returns a slot to UNUSED. Caller holds p->lock; the aspace must already be gone. */
void freeproc(struct proc *p)
{
	if (p->as)
		as_destroy(p->as);
	p->as = NULL;
	p->pid = 0;
	p->parent = NULL;
	p->name[0] = 0;
	p->kthread = NULL;
	p->chan = NULL;
	p->killed = 0;
	p->xstate = 0;
	p->state = UNUSED;
}

/* A new process's first scheduling lands here, still holding p->lock from scheduler(). */
static void fork_return(void)
{
	static int first = 1;
	release(&myproc()->lock);
	if (first) {
		/* The file system sleeps on disk I/O, so it starts in a process context. */
		first = 0;
		fsinit(ROOTDEV);
		kthreads_start(); /* they write back through the file system */
		char *argv[] = {"init", NULL};
		if (kexec("/init", argv) < 0)
			panic("cannot exec /init");
	}
	user_trap_return();
}

void user_init(void)
{
	struct proc *p = allocproc();
	if (!p)
		panic("user_init: no process slot");
	init_proc = p;
	p->as = as_create();
	if (!p->as)
		panic("user_init: no memory");
	safestrcpy(p->name, "init", sizeof(p->name));
	p->state = RUNNABLE;
	release(&p->lock);
}

/* Caller holds p->lock. USED slots are still being built (fork) or torn down. */
static struct aspace *hold_as(struct proc *p)
{
	if (p->state != SLEEPING && p->state != RUNNABLE && p->state != RUNNING)
		return NULL;
	struct aspace *as = p->as;
	if (as)
		as_hold(as);
	return as;
}

struct aspace *proc_as_get(int pid)
{
	if (pid <= 0)
		return NULL;
	for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
		acquire(&p->lock);
		struct aspace *as = p->pid == pid ? hold_as(p) : NULL;
		int found = p->pid == pid;
		release(&p->lock);
		if (found)
			return as;
	}
	return NULL;
}

struct aspace *proc_as_slot(int slot, int *pid)
{
	if (slot < 0 || slot >= NPROC)
		return NULL;
	struct proc *p = &proc_table[slot];
	acquire(&p->lock);
	struct aspace *as = hold_as(p);
	*pid = p->pid;
	release(&p->lock);
	return as;
}

int either_copyout(int user_dst, uint64 dst, const void *src, uint64 len)
{
	if (user_dst)
		return as_copyout(myproc()->as, dst, src, len);
	memmove((void *)dst, src, len);
	return 0;
}

int either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
	if (user_src)
		return as_copyin(myproc()->as, dst, src, len);
	memmove(dst, (void *)src, len);
	return 0;
}

void proc_dump(void)
{
	static const char *names[] = {"unused", "used", "sleep ", "runble", "run   ", "zombie"};
	printf("\n");
	for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
		if (p->state == UNUSED)
			continue;
		printf("%d %s %s\n", p->pid, names[p->state], p->name);
	}
}
