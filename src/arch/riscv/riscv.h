/* RISC-V control and status registers and the few instructions C code needs. */
#pragma once
#include "lib/types.h"

#define SSTATUS_SPP  (1UL << 8)  /* Previous mode, 1=Supervisor, 0=User */
#define SSTATUS_SPIE (1UL << 5)  /* Supervisor Previous Interrupt Enable */
#define SSTATUS_SIE  (1UL << 1)  /* Supervisor Interrupt Enable */
#define SSTATUS_SUM  (1UL << 18) /* Supervisor may access User Memory */
#define SIE_SEIE     (1UL << 9)  /* external */
#define SIE_STIE     (1UL << 5)  /* timer */
#define SIE_SSIE     (1UL << 1)  /* software */

#define CSR_READ(name)                                                                             \
	({                                                                                         \
		uint64 _v;                                                                         \
		__asm__ volatile("csrr %0, " #name : "=r"(_v));                                    \
		_v;                                                                                \
	})
#define CSR_WRITE(name, v) __asm__ volatile("csrw " #name ", %0" ::"r"((uint64)(v)))
#define CSR_SET(name, v)   __asm__ volatile("csrs " #name ", %0" ::"r"((uint64)(v)))
#define CSR_CLEAR(name, v) __asm__ volatile("csrc " #name ", %0" ::"r"((uint64)(v)))

static inline uint64 r_tp(void)
{
	uint64 x;
	__asm__ volatile("mv %0, tp" : "=r"(x));
	return x;
}
static inline void w_tp(uint64 x)
{
	__asm__ volatile("mv tp, %0" ::"r"(x));
}
static inline uint64 r_fp(void)
{
	uint64 x;
	__asm__ volatile("mv %0, s0" : "=r"(x));
	return x;
}
static inline uint64 r_time(void)
{
	uint64 x;
	__asm__ volatile("rdtime %0" : "=r"(x));
	return x;
}

static inline void intr_on(void)
{
	CSR_SET(sstatus, SSTATUS_SIE);
}
static inline void intr_off(void)
{
	CSR_CLEAR(sstatus, SSTATUS_SIE);
}
static inline int intr_get(void)
{
	return (CSR_READ(sstatus) & SSTATUS_SIE) != 0;
}
static inline void sfence_vma_all(void)
{
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
}
static inline void sfence_vma_page(uint64 va)
{
	__asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
}

/* QEMU virt's timebase: the time CSR counts at 10 MHz. */
#define TIMEBASE_HZ 10000000UL
