/*
 * The user-program API: system-call stubs (lib/usys.S) and the small C library
 * (lib/ulib.c, lib/printf.c, lib/umalloc.c).
 *
 * The declarations match xv6-riscv's user/user.h name for name, so programs written for it
 * build unchanged. Like there, this header includes nothing: include "kernel/types.h"
 * first, and "kernel/stat.h", "kernel/fcntl.h", "kernel/mman.h" for the constants.
 */
#pragma once

struct stat;
struct rtcdate;
struct vmstat;
struct vm_region;
struct vm_pte;
struct vm_pcache_info;
struct vt_record;

/* What sbrk() returns when the heap cannot grow. */
#define SBRK_ERROR ((char *)-1)

/* System calls. */
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int *);
int pipe(int *);
int write(int, const void *, int);
int read(int, void *, int);
int close(int);
int kill(int);
int exec(const char *, char **);
int open(const char *, int);
int mknod(const char *, short, short);
int unlink(const char *);
int fstat(int fd, struct stat *);
int link(const char *, const char *);
int mkdir(const char *);
int chdir(const char *);
int dup(int);
int getpid(void);
char *sbrk(int);
int sleep(int);
int pause(int); /* the newer name of sleep() */
int uptime(void);

/* Pagoda's system calls. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int munmap(void *addr, size_t len);
int msync(void *addr, size_t len, int flags);
int fsync(int fd); /* 0 once the file's data and size are on disk, -1 on error */
int mprotect(void *addr, size_t len, int prot);
int freepages(void);           /* number of free physical pages */
int halt(void);                /* power the machine off; returns only on failure */
int vmacount(void);            /* number of VMAs in the caller's address space */
int vmstat(struct vmstat *st); /* VM counters, see kernel/vmstat.h */
/* Looking at any process's memory map, never its contents (kernel/vminfo.h,
 * kernel/vmtrace.h, docs/tools.md). Each returns -1 for a bad pid, range or buffer. */
int vm_regions(int pid, unsigned long from, struct vm_region *buf, int n);  /* count */
int vm_pages(int pid, unsigned long va, int npages, unsigned char *states); /* npages */
int vm_ptes(int pid, unsigned long va, unsigned long len, struct vm_pte *buf, int n);
int vm_pcache(int fd, unsigned long first, unsigned char *map, int n,
              struct vm_pcache_info *info); /* 0 */
int vmtrace(int pid, int flags);            /* VT_ON [| VT_CHILDREN], or 0 to stop */
int vmtrace_read(unsigned long from_seq, struct vt_record *buf, int n); /* count */
/* Kernel self-test of a panic path (KTEST_*); -1 unless the kernel was booted with
 * "selftest". Used only by the panic-path tests: each one stops the machine. */
int ktest(int what);

/* Nanoseconds since boot from the time CSR; no system call, cheap enough to time one op. */
uint64 uptime_ns(void);

/* ulib.c */
int stat(const char *, struct stat *);
char *strcpy(char *, const char *);
char *strncpy(char *, const char *, int);
void *memmove(void *, const void *, int);
char *strchr(const char *, char c);
int strcmp(const char *, const char *);
int strncmp(const char *, const char *, uint);
char *gets(char *, int max);
uint strlen(const char *);
void *memset(void *, int, uint);
int atoi(const char *);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);

/* printf.c */
void fprintf(int, const char *, ...) __attribute__((format(__printf__, 2, 3)));
void printf(const char *, ...) __attribute__((format(__printf__, 1, 2)));

/* umalloc.c */
void *malloc(uint);
void free(void *);
