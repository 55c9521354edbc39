/*
 * The system-call table and argument fetching. Arguments arrive in a0..a5 of the
 * trapframe; pointers among them are only ever dereferenced through mm's as_copyin /
 * as_copyout, so a bad pointer makes the call return -1 instead of faulting the kernel.
 */
#include "syscall.h"
#include "lib/abi/syscall_nr.h"
#include "lib/printf.h"
#include "mm/mm.h"
#include "proc/proc.h"

uint64 sys_fork(void);
uint64 sys_exit(void);
uint64 sys_wait(void);
uint64 sys_kill(void);
uint64 sys_getpid(void);
uint64 sys_sbrk(void);
uint64 sys_sleep(void);
uint64 sys_uptime(void);
uint64 sys_freepages(void);
uint64 sys_halt(void);
uint64 sys_mmap(void);
uint64 sys_munmap(void);
uint64 sys_msync(void);
uint64 sys_mprotect(void);
uint64 sys_vmacount(void);
uint64 sys_vmstat(void);
uint64 sys_ktest(void);
uint64 sys_vm_regions(void);
uint64 sys_vm_pages(void);
uint64 sys_vm_ptes(void);
uint64 sys_vm_pcache(void);
uint64 sys_vmtrace(void);
uint64 sys_vmtrace_read(void);

static uint64 (*const syscalls[])(void) = {
    [SYS_fork] = sys_fork,
    [SYS_exit] = sys_exit,
    [SYS_wait] = sys_wait,
    [SYS_pipe] = sys_pipe,
    [SYS_read] = sys_read,
    [SYS_kill] = sys_kill,
    [SYS_exec] = sys_exec,
    [SYS_fstat] = sys_fstat,
    [SYS_chdir] = sys_chdir,
    [SYS_dup] = sys_dup,
    [SYS_getpid] = sys_getpid,
    [SYS_sbrk] = sys_sbrk,
    [SYS_sleep] = sys_sleep,
    [SYS_uptime] = sys_uptime,
    [SYS_open] = sys_open,
    [SYS_write] = sys_write,
    [SYS_mknod] = sys_mknod,
    [SYS_unlink] = sys_unlink,
    [SYS_link] = sys_link,
    [SYS_mkdir] = sys_mkdir,
    [SYS_close] = sys_close,
    [SYS_freepages] = sys_freepages,
    [SYS_halt] = sys_halt,
    [SYS_mmap] = sys_mmap,
    [SYS_munmap] = sys_munmap,
    [SYS_msync] = sys_msync,
    [SYS_mprotect] = sys_mprotect,
    [SYS_vmacount] = sys_vmacount,
    [SYS_vmstat] = sys_vmstat,
    [SYS_fsync] = sys_fsync,
    [SYS_ktest] = sys_ktest,
    [SYS_vm_regions] = sys_vm_regions,
    [SYS_vm_pages] = sys_vm_pages,
    [SYS_vm_ptes] = sys_vm_ptes,
    [SYS_vm_pcache] = sys_vm_pcache,
    [SYS_vmtrace] = sys_vmtrace,
    [SYS_vmtrace_read] = sys_vmtrace_read,
};

void syscall(void)
{
	struct proc *p = myproc();
	uint64 num = p->tf->a7;
	if (num < ARRAY_SIZE(syscalls) && syscalls[num]) {
		p->tf->a0 = syscalls[num]();
	} else {
		printf("pid %d (%s): unknown system call %lu\n", p->pid, p->name, num);
		p->tf->a0 = (uint64)-1;
	}
}

static uint64 raw_arg(int n)
{
	struct trapframe *tf = myproc()->tf;
	switch (n) {
	case 0:
		return tf->a0;
	case 1:
		return tf->a1;
	case 2:
		return tf->a2;
	case 3:
		return tf->a3;
	case 4:
		return tf->a4;
	case 5:
		return tf->a5;
	}
	panic("raw_arg: %d", n);
}

void argint(int n, int *ip)
{
	*ip = (int)raw_arg(n);
}

void arglong(int n, int64 *lp)
{
	*lp = (int64)raw_arg(n);
}

void argaddr(int n, uint64 *ap)
{
	*ap = raw_arg(n);
}

int fetchaddr(uint64 addr, uint64 *ip)
{
	return as_copyin(myproc()->as, ip, addr, sizeof(*ip));
}

int fetchstr(uint64 addr, char *buf, int max)
{
	if (max <= 0)
		return -1;
	return as_copyinstr(myproc()->as, buf, addr, (uint64)max);
}

int argstr(int n, char *buf, int max)
{
	uint64 addr;
	argaddr(n, &addr);
	return fetchstr(addr, buf, max);
}
