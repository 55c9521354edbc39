/* Process and time system calls: thin wrappers that validate and call into proc and mm. */
#include "syscall.h"
#include "lib/printf.h"
#include "arch/riscv/arch.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "fs/fs.h"

uint64 sys_fork(void)
{
	return (uint64)kfork();
}

uint64 sys_exit(void)
{
	int status;
	argint(0, &status);
	kexit(status);
}

uint64 sys_wait(void)
{
	uint64 addr;
	argaddr(0, &addr);
	return (uint64)kwait(addr);
}

uint64 sys_kill(void)
{
	int pid;
	argint(0, &pid);
	return (uint64)kkill(pid);
}

uint64 sys_getpid(void)
{
	return (uint64)myproc()->pid;
}

/* xv6's sbrk takes an int: the increment is sign-extended from 32 bits. */
uint64 sys_sbrk(void)
{
	int n;
	argint(0, &n);
	return as_sbrk(myproc()->as, n);
}

uint64 sys_sleep(void)
{
	int n;
	argint(0, &n);
	if (n < 0)
		n = 0;
	acquire(&tickslock);
	uint start = ticks;
	while (ticks - start < (uint)n) {
		if (killed(myproc())) {
			release(&tickslock);
			return (uint64)-1;
		}
		sleep_killable(&ticks, &tickslock);
	}
	release(&tickslock);
	return 0;
}

uint64 sys_uptime(void)
{
	acquire(&tickslock);
	uint t = ticks;
	release(&tickslock);
	return t;
}

uint64 sys_freepages(void)
{
	return page_free_count();
}

/* Power-off loses nothing written: every dirty cached page (stores through mappings that
 * no msync, munmap or exit wrote back yet) goes to the disk, and the log commits. */
uint64 sys_halt(void)
{
	vm_flush_all();
	fs_sync();
	machine_halt();
}
