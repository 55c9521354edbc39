/* System call numbers: 1-21 match xv6-riscv, the rest are Pagoda's. */
#pragma once

#define SYS_fork   1
#define SYS_exit   2
#define SYS_wait   3
#define SYS_pipe   4
#define SYS_read   5
#define SYS_kill   6
#define SYS_exec   7
#define SYS_fstat  8
#define SYS_chdir  9
#define SYS_dup    10
#define SYS_getpid 11
#define SYS_sbrk   12
#define SYS_sleep  13
#define SYS_uptime 14
#define SYS_open   15
#define SYS_write  16
#define SYS_mknod  17
#define SYS_unlink 18
#define SYS_link   19
#define SYS_mkdir  20
#define SYS_close  21
/* Pagoda extensions */
#define SYS_freepages 22 /* number of free physical pages (for leak tests) */
#define SYS_halt      23 /* power the machine off */
#define SYS_mmap      24
#define SYS_munmap    25
#define SYS_msync     26
#define SYS_mprotect  27
#define SYS_vmacount  28 /* number of VMAs in the caller's address space (test hook) */
#define SYS_vmstat    29 /* VM counters (struct vmstat, see abi/vmstat.h) */
#define SYS_fsync     30 /* write a file's data and size to disk and wait */
#define SYS_ktest     31 /* kernel self-tests of panic paths; refused unless booted with "selftest" */
/* Looking at memory maps (abi/vminfo.h, abi/vmtrace.h; docs/tools.md) */
#define SYS_vm_regions   32 /* a process's regions with page counts */
#define SYS_vm_pages     33 /* one state byte per page of a range */
#define SYS_vm_ptes      34 /* the page-table entries of a range */
#define SYS_vm_pcache    35 /* which pages of an open file are cached, mapped, dirty */
#define SYS_vmtrace      36 /* start or stop recording a process's page faults */
#define SYS_vmtrace_read 37 /* fault records from the kernel's ring */
