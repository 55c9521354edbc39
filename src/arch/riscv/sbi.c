/* SBI calls (RISC-V SBI spec v1.0): TIME, HSM, SRST, IPI and RFENCE extensions. */
#include "sbi.h"

#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_HSM  0x48534D
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_IPI  0x735049
#define SBI_EXT_RFNC 0x52464E43

struct sbiret {
	long error;
	long value;
};

static struct sbiret sbi_call4(uint64 ext, uint64 fid, uint64 a0, uint64 a1, uint64 a2, uint64 a3)
{
	register uint64 r_a0 __asm__("a0") = a0;
	register uint64 r_a1 __asm__("a1") = a1;
	register uint64 r_a2 __asm__("a2") = a2;
	register uint64 r_a3 __asm__("a3") = a3;
	register uint64 r_a6 __asm__("a6") = fid;
	register uint64 r_a7 __asm__("a7") = ext;
	__asm__ volatile("ecall"
	                 : "+r"(r_a0), "+r"(r_a1)
	                 : "r"(r_a2), "r"(r_a3), "r"(r_a6), "r"(r_a7)
	                 : "memory");
	return (struct sbiret){(long)r_a0, (long)r_a1};
}

static struct sbiret sbi_call(uint64 ext, uint64 fid, uint64 a0, uint64 a1, uint64 a2)
{
	return sbi_call4(ext, fid, a0, a1, a2, 0);
}

void sbi_set_timer(uint64 stime_value)
{
	sbi_call(SBI_EXT_TIME, 0, stime_value, 0, 0);
}

long sbi_hart_start(uint64 hartid, uint64 start_pa, uint64 opaque)
{
	return sbi_call(SBI_EXT_HSM, 0, hartid, start_pa, opaque).error;
}

void sbi_hart_stop(void)
{
	sbi_call(SBI_EXT_HSM, 1, 0, 0, 0); /* returns only if the hart could not be stopped */
}

void sbi_send_ipi(uint64 hart_mask)
{
	sbi_call(SBI_EXT_IPI, 0, hart_mask, 0, 0);
}

/* OpenSBI returns only once every hart in the mask has executed the fence. */
void sbi_remote_sfence_vma(uint64 hart_mask, uint64 start, uint64 size)
{
	sbi_call4(SBI_EXT_RFNC, 1, hart_mask, 0 /* mask base */, start, size);
}

void sbi_shutdown(void)
{
	sbi_call(SBI_EXT_SRST, 0, 0 /* shutdown */, 0 /* no reason */, 0);
	for (;;)
		;
}
