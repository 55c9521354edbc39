/*
 * System-call stubs. The kernel's calling convention is the C one plus a7: arguments
 * stay in a0..a5 where the caller put them, a7 holds the SYS_* number, and the result
 * comes back in a0. So each stub is just "load number, ecall, return".
 */
#include "lib/abi/syscall_nr.h"

	.text

.macro syscall_stub name, number
	.globl \name
	.type \name, @function
	.p2align 2
\name:
	li a7, \number
	ecall
	ret
	.size \name, . - \name
.endm

	syscall_stub fork, SYS_fork
	syscall_stub exit, SYS_exit
	syscall_stub wait, SYS_wait
	syscall_stub pipe, SYS_pipe
	syscall_stub read, SYS_read
	syscall_stub kill, SYS_kill
	syscall_stub exec, SYS_exec
	syscall_stub fstat, SYS_fstat
	syscall_stub chdir, SYS_chdir
	syscall_stub dup, SYS_dup
	syscall_stub getpid, SYS_getpid
	syscall_stub sbrk, SYS_sbrk
	syscall_stub sleep, SYS_sleep
	syscall_stub pause, SYS_sleep
	syscall_stub uptime, SYS_uptime
	syscall_stub open, SYS_open
	syscall_stub write, SYS_write
	syscall_stub mknod, SYS_mknod
	syscall_stub unlink, SYS_unlink
	syscall_stub link, SYS_link
	syscall_stub mkdir, SYS_mkdir
	syscall_stub close, SYS_close

	syscall_stub freepages, SYS_freepages
	syscall_stub halt, SYS_halt
	syscall_stub mmap, SYS_mmap
	syscall_stub munmap, SYS_munmap
	syscall_stub msync, SYS_msync
	syscall_stub mprotect, SYS_mprotect
	syscall_stub vmacount, SYS_vmacount
	syscall_stub vmstat, SYS_vmstat
	syscall_stub fsync, SYS_fsync
	syscall_stub ktest, SYS_ktest

	syscall_stub vm_regions, SYS_vm_regions
	syscall_stub vm_pages, SYS_vm_pages
	syscall_stub vm_ptes, SYS_vm_ptes
	syscall_stub vm_pcache, SYS_vm_pcache
	syscall_stub vmtrace, SYS_vmtrace
	syscall_stub vmtrace_read, SYS_vmtrace_read
