/*
 * A process's life: fork, exit, wait, kill, and death by a fatal fault.
 *
 * Lock order: wait_lock -> p->lock (parent's before child's is never needed: wait scans
 * children holding wait_lock and takes one child lock at a time). oom_lock (a sleep lock:
 * one out-of-memory decision at a time) -> an address space's lock (as_footprint) ->
 * p->lock (kkill); nobody takes oom_lock holding either.
 */
#include "proc_internal.h"
#include "arch/riscv/riscv.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "fs/fs.h"
#include "fs/file.h"

int kfork(void)
{
	struct proc *p = myproc();
	struct proc *np = allocproc();
	if (!np)
		return -1;
	/* np is USED, so no scheduler will touch it: build it without its (spin) lock, since
	 * copying the address space takes sleep locks. */
	release(&np->lock);
	np->as = as_fork(p->as);
	if (!np->as) {
		acquire(&np->lock);
		freeproc(np);
		release(&np->lock);
		return -1;
	}
	as_trace_inherit(np->as, p->as, np->pid, 1);
	*np->tf = *p->tf;
	np->tf->a0 = 0; /* fork returns 0 in the child */
	for (int i = 0; i < NOFILE; i++)
		if (p->ofile[i])
			np->ofile[i] = filedup(p->ofile[i]);
	np->cwd = idup(p->cwd);
	safestrcpy(np->name, p->name, sizeof(np->name));
	int pid = np->pid;

	acquire(&wait_lock);
	np->parent = p;
	release(&wait_lock);

	acquire(&np->lock);
	np->state = RUNNABLE;
	release(&np->lock);
	kick_idle_hart();
	return pid;
}

/* Give p's children to init. Caller holds wait_lock. */
static void reparent(struct proc *p)
{
	for (struct proc *pp = proc_table; pp < &proc_table[NPROC]; pp++) {
		if (pp->parent == p) {
			pp->parent = init_proc;
			wakeup(init_proc);
		}
	}
}

void kexit(int status)
{
	struct proc *p = myproc();
	if (p == init_proc)
		panic("init exiting");

	for (int fd = 0; fd < NOFILE; fd++) {
		if (p->ofile[fd]) {
			fileclose(p->ofile[fd]);
			p->ofile[fd] = NULL;
		}
	}
	begin_op();
	iput(p->cwd);
	end_op();
	p->cwd = NULL;

	/*
	 * Free the memory now, not at wait(): the kernel stack we run on is not part of it.
	 * p->as must be cleared *before* this hart leaves the table: the scheduler loads
	 * p->as whenever it resumes p, so a timer preemption between the two steps in the
	 * other order would put this hart back on the table that as_destroy() then frees
	 * (and the page allocator hands out again, kernel half and all).
	 */
	acquire(&p->lock); /* proc_as_get reads p->as under it (docs/locking.md) */
	struct aspace *as = p->as;
	__atomic_store_n(&p->as, NULL, __ATOMIC_RELEASE);
	release(&p->lock);
	as_activate(NULL);
	as_destroy(as);

	acquire(&wait_lock);
	reparent(p);
	wakeup(p->parent);
	acquire(&p->lock);
	p->xstate = status;
	p->state = ZOMBIE;
	release(&wait_lock);
	sched();
	panic("zombie exit");
}

int kwait(uint64 addr)
{
	struct proc *p = myproc();
	acquire(&wait_lock);
	for (;;) {
		int havekids = 0;
		for (struct proc *pp = proc_table; pp < &proc_table[NPROC]; pp++) {
			if (pp->parent != p)
				continue;
			acquire(&pp->lock);
			havekids = 1;
			if (pp->state == ZOMBIE) {
				int pid = pp->pid, xstate = pp->xstate;
				/* Copying out may sleep, so not under spin locks. Only this
				 * process reaps pp, so it stays a zombie meanwhile. */
				release(&pp->lock);
				release(&wait_lock);
				if (addr && as_copyout(p->as, addr, &xstate, sizeof(int)) < 0)
					return -1;
				acquire(&wait_lock);
				acquire(&pp->lock);
				freeproc(pp);
				release(&pp->lock);
				release(&wait_lock);
				return pid;
			}
			release(&pp->lock);
		}
		if (!havekids || killed(p)) {
			release(&wait_lock);
			return -1;
		}
		sleep_killable(p, &wait_lock);
	}
}

int kkill(int pid)
{
	/* init must outlive everything (it reaps orphans); killing it is refused, not fatal. */
	if (init_proc && pid == init_proc->pid)
		return -1;
	for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
		acquire(&p->lock);
		if (p->pid == pid && p->state != UNUSED && p->state != ZOMBIE) {
			p->killed = 1;
			if (p->state == SLEEPING)
				p->state = RUNNABLE;
			release(&p->lock);
			return 0;
		}
		release(&p->lock);
	}
	return -1;
}

void setkilled(struct proc *p)
{
	acquire(&p->lock);
	p->killed = 1;
	release(&p->lock);
}

/* A lone flag that only ever goes 0 -> 1: an atomic load is enough, and this runs on
 * every system call and trap, where taking p->lock twice was measurable. */
int killed(struct proc *p)
{
	return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

void proc_fault_kill(const char *cause, uint64 addr, uint64 pc)
{
	struct proc *p = myproc();
	printf("pid %d (%s): killed: %s at 0x%lx pc 0x%lx\n", p->pid, p->name, cause, addr, pc);
	setkilled(p);
}

/* Waits one tick, so that a process chosen to die can run and exit. */
static void wait_a_tick(void)
{
	acquire(&tickslock);
	uint t0 = ticks;
	while (ticks == t0)
		sleep(&ticks, &tickslock);
	release(&tickslock);
}

/*
 * Out of memory: a fault of the current process found no page, even after reclaim wrote
 * back and swapped out what it could, so RAM and swap are both full. The process holding
 * the most memory (resident and swapped pages; init and kernel threads are never chosen)
 * is the one to go, not merely the one that faulted. Returns 1 if the caller should try
 * its fault again: another process was killed (or one killed earlier is still exiting),
 * and we waited a tick for its memory. Returns 0 if the caller is itself the largest, or
 * was killed meanwhile: it must die. No lock is held here, so waiting cannot deadlock with the
 * dying process.
 */
static struct sleeplock oom_lock = {0, {0, "oom", NULL}, "oom", 0};

int proc_oom(int tries)
{
	struct proc *me = myproc(), *victim = NULL;
	uint64 most = 0;
	int dying = 0;
	/* Not hopeless yet (swap has room, or a dying process is still giving memory
	 * back): reclaim just fell behind. Wait for it a while before killing anyone. */
	if (tries < 50 && !vm_memory_exhausted()) {
		wait_a_tick();
		return 1;
	}
	/* A process killed earlier that has not yet become a zombie is still giving its
	 * memory back (exit drops p->as before tearing it down, so it may not show below). */
	/* Two faults deciding at once would each see the other's victim alive and choose
	 * twice; and one killed meanwhile (another fault chose it) would leave itself out and
	 * choose the next largest: it is the one going, and chooses nobody. */
	acquiresleep(&oom_lock);
	if (killed(me)) {
		releasesleep(&oom_lock);
		return 0;
	}
	for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
		enum procstate st = __atomic_load_n(&p->state, __ATOMIC_RELAXED);
		if (p != me && killed(p) && st != UNUSED && st != ZOMBIE)
			dying = 1;
	}
	for (int slot = 0; slot < NPROC; slot++) {
		int pid;
		struct aspace *as = proc_as_slot(slot, &pid);
		if (!as)
			continue;
		uint64 n = as_footprint(as);
		as_put(as);
		struct proc *p = &proc_table[slot];
		if (p == init_proc || p->kthread)
			continue;
		if (killed(p)) {
			/* Still has its address space: on its way out, though its memory may not
			 * show any more (a space being torn down counts 0). Wait for it. */
			dying |= p != me;
			continue;
		}
		if (n > most) {
			most = n;
			victim = p;
		}
	}
	if (!dying && victim && victim != me) {
		acquire(&victim->lock);
		int pid = victim->pid;
		char name[sizeof(victim->name)];
		safestrcpy(name, victim->name, sizeof(name));
		release(&victim->lock);
		printf("pid %d (%s): killed: out of memory (RAM and swap are full): it holds the "
		       "most, "
		       "%lu pages\n",
		       pid, name, most);
		if (kkill(pid) == 0)
			vm_oom_killed();
		dying = 1;
	}
	releasesleep(&oom_lock);
	if (dying) {
		wait_a_tick();
		return 1;
	}
	vm_oom_killed(); /* the caller is the largest, and dies */
	return 0;
}