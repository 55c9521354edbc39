/*
 * 16550A UART on the QEMU virt board: polled output, interrupt-driven input.
 *
 * Output spins on the transmit-holding-register-empty bit. That is simple and safe in
 * panic() and with interrupts off, and under QEMU the register drains immediately, so a
 * transmit queue would add code without adding speed.
 */
#include "dev.h"
#include "arch/riscv/memlayout.h"
#include "fs/fs.h"

#define RHR          0 /* receive holding register */
#define THR          0 /* transmit holding register */
#define IER          1 /* interrupt enable */
#define FCR          2 /* FIFO control */
#define LCR          3 /* line control */
#define LSR          5 /* line status */
#define LSR_RX_READY 0x01
#define LSR_TX_IDLE  0x20

#define REG(r) ((volatile uchar *)(UART0 + (r)))

void uart_init(void)
{
	*REG(IER) = 0x00;
	*REG(LCR) = 0x80; /* divisor latch: 38.4K baud */
	*REG(0) = 0x03;
	*REG(1) = 0x00;
	*REG(LCR) = 0x03; /* 8 bits, no parity */
	*REG(FCR) = 0x07; /* reset and enable FIFOs */
	*REG(IER) = 0x01; /* receive interrupts */
}

void uart_putc_sync(int c)
{
	push_off();
	while ((*REG(LSR) & LSR_TX_IDLE) == 0)
		;
	*REG(THR) = (uchar)c;
	pop_off();
}

void uart_intr(void)
{
	while (*REG(LSR) & LSR_RX_READY)
		console_intr(*REG(RHR));
}
