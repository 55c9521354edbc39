/* Device drivers: UART console, virtio block disk, PLIC interrupt controller. */
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

void virtio_disk_init(void);
/* Read (write=0) or write (write=1) b->data from/to block b->blockno; sleeps until done. */
void virtio_disk_rw(struct buf *b, int write);
void virtio_disk_intr(void);
/* Every tick on hart 0: reaps completions whose interrupt never came. */
void virtio_disk_poll(void);
/* Self-test: acknowledge the next disk interrupt without reaping (see ktest). */
void virtio_disk_lose_irq(void);
