/* Calls into the SBI firmware (OpenSBI) that runs in M-mode below the kernel. */
#pragma once
#include "lib/types.h"

void sbi_set_timer(uint64 stime_value);
/* Starts hart `hartid` at physical address start_pa with a1 = opaque; 0 on success. */
long sbi_hart_start(uint64 hartid, uint64 start_pa, uint64 opaque);
/* Raise a supervisor software interrupt on the harts in hart_mask. */
void sbi_hart_stop(void); /* HSM: stop the calling hart for good */
void sbi_send_ipi(uint64 hart_mask);
/* RFENCE: sfence.vma of [start, start+size) (size 0: all) on the harts in hart_mask. */
void sbi_remote_sfence_vma(uint64 hart_mask, uint64 start, uint64 size);
void sbi_shutdown(void) __attribute__((noreturn));
