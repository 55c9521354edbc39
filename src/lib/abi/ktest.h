/* Kernel self-tests, for ktest(). The panic paths (1-5) end the machine on purpose, and
 * the test that calls them checks that it ends as designed (one clear panic, all harts
 * stopped, no loop); 6 exercises a defence that must keep the machine running; 7 gives
 * the user-level leak check a real leak to find; 8 and 9 check the swap device's
 * interface, which no user program reaches otherwise. Only a kernel booted with the
 * "selftest" argument accepts them. */
#pragma once

#define KTEST_STACK_OVERFLOW 1  /* recurse until the kernel stack hits its guard page */
#define KTEST_WRITE_TEXT     2  /* store into kernel text, which is mapped read-only */
#define KTEST_EXEC_DATA      3  /* jump into kernel data, which is mapped non-executable */
#define KTEST_PANIC_FAULT    4  /* a panic whose own message faults: one line, then halt */
#define KTEST_PANIC          5  /* a plain panic, to check the backtrace and halt */
#define KTEST_LOSE_DISK_IRQ  6  /* ignore the next disk interrupt: the tick must recover */
#define KTEST_LEAK_PAGE      7  /* allocate one page and never free it: 0, or -1 if none */
#define KTEST_SWAPDEV        8  /* swap device pages written, read back, compared: 0 if right */
#define KTEST_SWAPDEV_PAGES  9  /* returns swapdev_pages() */
#define KTEST_LEAK_SLAB      10 /* kmalloc a page's worth of small objects, never free them */
