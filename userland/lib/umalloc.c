/*
 * malloc() and free() on top of sbrk().
 *
 * Free memory is a singly linked list of chunks sorted by address, so free() can merge
 * a chunk with both neighbours during the one walk that finds its place. Each chunk
 * begins with a 16-byte header holding its size; sizes are multiples of 16, which keeps
 * every payload aligned for any C type on RV64. malloc() is first fit and carves the
 * request from the low end of a larger chunk. The rest stays at the high end, so when the
 * heap grows, the new step merges with it: a program that only allocates keeps a list of
 * one chunk. (Carving from the high end left a small piece behind in every step, never
 * merged; each malloc then walked all of them, one page each: quadratic time, and with
 * swap, a swap-in for every piece paged out.)
 *
 * The heap is grown in steps of at least GROW_MIN bytes: fewer sbrk() calls, and with
 * Pagoda's lazily allocated heap the untouched part of a step costs no memory.
 */
#include "kernel/types.h"
#include "user/user.h"

struct chunk {
	uint64 size;        /* bytes, header included */
	struct chunk *next; /* next free chunk, at a higher address (free chunks only) */
};

#define CHUNK_ALIGN 16
#define MIN_SPLIT   32 /* leave at least this much behind when splitting a chunk */
#define GROW_MIN    (64 * 1024)
#define SBRK_MAX    0x7ffff000UL /* sbrk() takes an int */

static struct chunk *free_list;

/* Adds a fresh region of at least need bytes to the free list; 0 if the heap is full. */
static int grow(uint64 need)
{
	uint64 want = need < GROW_MIN ? GROW_MIN : need;
	uint64 misalign;
	struct chunk *c;
	char *p;

	if (need > SBRK_MAX)
		return 0;
	/* The program may have moved the break itself; realign before carving chunks. */
	p = sbrk(0);
	if (p == SBRK_ERROR)
		return 0;
	misalign = (uint64)p % CHUNK_ALIGN;
	if (misalign != 0 && sbrk(CHUNK_ALIGN - misalign) == SBRK_ERROR)
		return 0;

	p = sbrk((int)want);
	if (p == SBRK_ERROR && want > need) {
		/* A full step does not fit; the request itself still might. */
		want = need;
		p = sbrk((int)want);
	}
	if (p == SBRK_ERROR)
		return 0;
	c = (struct chunk *)p;
	c->size = want;
	free(c + 1);
	return 1;
}

void *malloc(uint n)
{
	uint64 need =
	    ((uint64)n + sizeof(struct chunk) + CHUNK_ALIGN - 1) & ~(uint64)(CHUNK_ALIGN - 1);
	struct chunk *c, *prev;

	for (;;) {
		prev = 0;
		for (c = free_list; c != 0; prev = c, c = c->next) {
			if (c->size < need)
				continue;
			struct chunk *rest = c->next;
			if (c->size - need >= MIN_SPLIT) {
				/* The low end goes; the rest stays free, at the high end, where
				 * the next step of the heap will join it. */
				rest = (struct chunk *)((char *)c + need);
				rest->size = c->size - need;
				rest->next = c->next;
				c->size = need;
			}
			if (prev != 0)
				prev->next = rest;
			else
				free_list = rest;
			return c + 1;
		}
		if (!grow(need))
			return 0;
	}
}

void free(void *p)
{
	struct chunk *c, *prev = 0, *next = free_list;

	if (p == 0)
		return;
	c = (struct chunk *)p - 1;
	while (next != 0 && next < c) {
		prev = next;
		next = next->next;
	}
	if (next == c)
		return; /* already free: ignore rather than corrupt the list */

	if (next != 0 && (char *)c + c->size == (char *)next) {
		c->size += next->size;
		c->next = next->next;
	} else {
		c->next = next;
	}
	if (prev != 0 && (char *)prev + prev->size == (char *)c) {
		prev->size += c->size;
		prev->next = c->next;
	} else if (prev != 0) {
		prev->next = c;
	} else {
		free_list = c;
	}
}
