/*
 * Program entry for programs brought in from xv6 (userland/meson.build links it into
 * them instead of start.c).
 *
 * Pagoda's exec maps a program and lets its pages arrive on first touch; xv6's exec reads
 * the whole image in. Programs written for xv6 may count free pages around code that runs
 * parts of themselves for the first time (usertests checks that its tests "lost" no free
 * page), so here every page of the image is made resident before main runs, as xv6 would
 * leave it: text and read-only data are read, the data segment is written, so that its
 * private copies exist. That costs one fault per page of the program, once.
 */
#include "kernel/types.h"
#include "user/user.h"

#define TEXT_START 0x10000UL /* where user.ld puts the first byte of every program */
#define PG         4096UL

int main(int argc, char *argv[]);
void _start(int argc, char *argv[]);

extern char __data_start[], end[]; /* from user.ld */

/* Addresses go through a volatile so the compiler keeps every load and store. */
static volatile uint64 addr_box;

void _start(int argc, char *argv[])
{
	for (uint64 a = TEXT_START; a < (uint64)end; a += PG) {
		addr_box = a;
		volatile char *p = (volatile char *)addr_box;
		if (a >= (uint64)__data_start)
			*p = *p;
		else
			(void)*p;
	}
	exit(main(argc, argv));
}
