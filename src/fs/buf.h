/*
 * One cached disk block (bio.c). A buffer is either free (refcnt 0, reusable for any block),
 * or referenced; its data may be used only by the process holding its sleep lock.
 */
#pragma once
#include "lib/types.h"
#include "lib/sleeplock.h"
#include "lib/abi/fs_format.h"

struct buf {
	int valid; /* data holds the block's contents */
	int disk;  /* the disk driver owns the buffer until its request completes */
	uint dev;
	uint blockno;
	struct sleeplock lock;
	uint refcnt;             /* holders plus log pins; protected by the buffer-cache lock */
	struct buf *prev, *next; /* LRU list, most recently released first */
	uchar data[BSIZE];
};
