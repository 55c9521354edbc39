/*
 * The platform-level interrupt controller: routes UART and virtio disk interrupts to the
 * harts' supervisor external-interrupt line. Context 2*hart+1 is a hart's S-mode context.
 */
#include "dev.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/riscv.h"

#define PLIC_PRIORITY(irq) (PLIC + 4 * (irq))
#define PLIC_SENABLE(h)    (PLIC + 0x2000 + 0x80 * (2 * (h) + 1))
#define PLIC_STHRESHOLD(h) (PLIC + 0x200000 + 0x1000 * (2 * (h) + 1))
#define PLIC_SCLAIM(h)     (PLIC + 0x200004 + 0x1000 * (2 * (h) + 1))
#define R32(a)             (*(volatile uint32 *)(a))

void plic_init(void)
{
	R32(PLIC_PRIORITY(UART0_IRQ)) = 1;
	R32(PLIC_PRIORITY(VIRTIO0_IRQ)) = 1;
	R32(PLIC_PRIORITY(VIRTIO1_IRQ)) = 1;
}

void plic_init_hart(void)
{
	uint64 h = r_tp();
	/* The swap disk's line too, present or not: an empty slot never raises it. */
	R32(PLIC_SENABLE(h)) = (1U << UART0_IRQ) | (1U << VIRTIO0_IRQ) | (1U << VIRTIO1_IRQ);
	R32(PLIC_STHRESHOLD(h)) = 0;
	CSR_SET(sie, SIE_SEIE);
}

int plic_claim(void)
{
	return (int)R32(PLIC_SCLAIM(r_tp()));
}

void plic_complete(int irq)
{
	R32(PLIC_SCLAIM(r_tp())) = (uint32)irq;
}
