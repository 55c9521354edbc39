/* Device drivers: UART console, virtio block disks (file system and swap), PLIC. */
#pragma once
#include "lib/types.h"

struct buf;

void uart_init(void);
void uart_putc_sync(int c); /* spins until the UART takes c; safe in panic and printf */
void uart_intr(void);       /* input interrupt: hands characters to console_intr() */

void plic_init(void);      /* once, on hart 0 */
void plic_init_hart(void); /* every hart */
int plic_claim(void);
void plic_complete(int irq);

/* Both virtio disks: 0, the file system's, must be there (else panic); 1, swap, may not. */
void virtio_disk_init(void);
/* Read (write=0) or write (write=1) b->data from/to block b->blockno; sleeps until done. */
void virtio_disk_rw(struct buf *b, int write);
void virtio_disk_intr(int disk); /* disk 0 on VIRTIO0_IRQ, disk 1 on VIRTIO1_IRQ */
/* Every tick on hart 0: reaps completions whose interrupt never came, on either disk. */
void virtio_disk_poll(void);
/* Self-test: acknowledge the next file-system disk interrupt without reaping (see ktest). */
void virtio_disk_lose_irq(void);

/*
 * The swap device: virtio disk 1, DMAed page by page without the buffer cache. Both may be
 * called from any process (kernel threads too), by several at once, holding sleep locks
 * but no spin lock.
 */
uint64 swapdev_pages(void); /* size of the swap device in 4096-byte pages; 0 if there is none */
/* Read (write=0) or write (write=1) one 4096-byte page at page number pageno from/to the
 * kernel address kva (page-aligned, in the direct map: its physical address is V2P(kva));
 * sleeps until done. 0, or -1 on a device error or pageno out of range. */
int swapdev_rw(uint64 pageno, void *kva, int write);
/* The same for n pages (1 <= n <= SWAP_BATCH, mm.h) at once, all in flight together and
 * runs of consecutive page numbers in one request each; sleeps until all are done. err[i]
 * (if err is not NULL) says whether page i failed; returns 0 if none did, else -1. */
int swapdev_rw_many(const uint64 *pageno, void *const *kva, int n, int write, int *err);
