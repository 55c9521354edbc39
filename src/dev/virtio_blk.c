/*
 * Virtio block driver for the disk in QEMU virt's first virtio-mmio slot (modern, v2
 * interface; QEMU runs with virtio-mmio.force-legacy=false).
 *
 * A request is a chain of descriptors: the request header, the data of one or more bufs
 * holding consecutive blocks (virtio_disk_rw_many merges those, since each request has a
 * fixed cost in the device), and a status byte the device fills in. Many requests may be
 * in flight at once, from several processes or from one. A submitter sleeps on each of its
 * bufs until the interrupt handler finds the request in the used ring, frees its
 * descriptors and clears b->disk. Descriptors, the rings and the bookkeeping below are
 * guarded by disk.lock.
 *
 * Lock order: disk.lock is the innermost file-system lock (taken with a buffer's sleep
 * lock held); only sleep/wakeup take p->lock inside it.
 */
#include "lib/types.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "arch/riscv/memlayout.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "dev/dev.h"
#include "dev/virtio.h"
#include "fs/buf.h"

#define NUM    64 /* queue size in descriptors (a power of two) */
#define MAXSEG 16 /* most bufs in one request; it takes MAXSEG + 2 descriptors */
#define SECTOR 512

#define REG(r) ((volatile uint32 *)(VIRTIO0 + (r)))

static struct {
	struct spinlock lock;
	struct virtq_desc *desc;   /* NUM descriptors, in their own page */
	struct virtq_avail *avail; /* in its own page */
	struct virtq_used *used;   /* in its own page */
	char free[NUM];            /* descriptor i is free */
	int free_waiters;          /* submitters sleeping for free descriptors */
	uint16 used_idx;           /* next used-ring entry to look at */
	uint64 capacity;           /* disk size in sectors */
	uint64 lost_interrupts;    /* completions found by virtio_disk_poll() */
	int lose_next;             /* self-test: drop the next interrupt's completions */

	/* Per request, indexed by its first descriptor. The device reads req and writes
	 * status by DMA: both live in the kernel image, which is in the direct map. */
	struct {
		struct buf *b[MAXSEG]; /* the request's bufs, consecutive blocks */
		int nb;                /* how many; 0 if no request starts here */
		volatile uchar status;
	} info[NUM];
	struct virtio_blk_req req[NUM];
} disk;

void virtio_disk_init(void)
{
	uint32 status = 0;

	initlock(&disk.lock, "virtio_disk");
	if (*REG(VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC || *REG(VIRTIO_MMIO_VERSION) != 2 ||
	    *REG(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEV_BLOCK)
		panic("virtio_blk: no modern virtio block device (version %u, device id %u)",
		      *REG(VIRTIO_MMIO_VERSION), *REG(VIRTIO_MMIO_DEVICE_ID));

	/* Reset, then announce ourselves (spec 3.1.1). */
	*REG(VIRTIO_MMIO_STATUS) = status;
	status |= VIRTIO_STATUS_ACKNOWLEDGE;
	*REG(VIRTIO_MMIO_STATUS) = status;
	status |= VIRTIO_STATUS_DRIVER;
	*REG(VIRTIO_MMIO_STATUS) = status;

	/* Features: we need VERSION_1 and a writable disk, and use nothing optional. */
	*REG(VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 0;
	uint32 lo = *REG(VIRTIO_MMIO_DEVICE_FEATURES);
	*REG(VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 1;
	uint32 hi = *REG(VIRTIO_MMIO_DEVICE_FEATURES);
	if (!(hi & (1u << (VIRTIO_F_VERSION_1 - 32))))
		panic("virtio_blk: device does not offer VIRTIO_F_VERSION_1");
	if (lo & (1u << VIRTIO_BLK_F_RO))
		panic("virtio_blk: disk is read-only");
	*REG(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 0;
	*REG(VIRTIO_MMIO_DRIVER_FEATURES) = 0;
	*REG(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 1;
	*REG(VIRTIO_MMIO_DRIVER_FEATURES) = 1u << (VIRTIO_F_VERSION_1 - 32);
	status |= VIRTIO_STATUS_FEATURES_OK;
	*REG(VIRTIO_MMIO_STATUS) = status;
	if (!(*REG(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		panic("virtio_blk: device rejected our features");

	/* Queue 0. */
	*REG(VIRTIO_MMIO_QUEUE_SEL) = 0;
	if (*REG(VIRTIO_MMIO_QUEUE_READY))
		panic("virtio_blk: queue already in use");
	uint32 max = *REG(VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max < NUM)
		panic("virtio_blk: queue holds %u descriptors, need %d", max, NUM);
	disk.desc = page_alloc();
	disk.avail = page_alloc();
	disk.used = page_alloc();
	if (!disk.desc || !disk.avail || !disk.used)
		panic("virtio_blk: no memory for the queue");
	*REG(VIRTIO_MMIO_QUEUE_NUM) = NUM;
	uint64 pa = V2P(disk.desc);
	*REG(VIRTIO_MMIO_QUEUE_DESC_LOW) = (uint32)pa;
	*REG(VIRTIO_MMIO_QUEUE_DESC_HIGH) = (uint32)(pa >> 32);
	pa = V2P(disk.avail);
	*REG(VIRTIO_MMIO_QUEUE_DRIVER_LOW) = (uint32)pa;
	*REG(VIRTIO_MMIO_QUEUE_DRIVER_HIGH) = (uint32)(pa >> 32);
	pa = V2P(disk.used);
	*REG(VIRTIO_MMIO_QUEUE_DEVICE_LOW) = (uint32)pa;
	*REG(VIRTIO_MMIO_QUEUE_DEVICE_HIGH) = (uint32)(pa >> 32);
	*REG(VIRTIO_MMIO_QUEUE_READY) = 1;

	for (int i = 0; i < NUM; i++)
		disk.free[i] = 1;

	/* Capacity (in sectors) is the first field of the block device's configuration. */
	disk.capacity = *REG(VIRTIO_MMIO_CONFIG) | ((uint64)*REG(VIRTIO_MMIO_CONFIG + 4) << 32);

	status |= VIRTIO_STATUS_DRIVER_OK;
	*REG(VIRTIO_MMIO_STATUS) = status;
}

/* Takes n free descriptors; -1 (taking none) if there are not n. */
static int alloc_desc(int *idx, int n)
{
	int k = 0;
	for (int i = 0; i < NUM && k < n; i++)
		if (disk.free[i])
			idx[k++] = i;
	if (k < n)
		return -1;
	for (int i = 0; i < n; i++)
		disk.free[idx[i]] = 0;
	return 0;
}

static void free_chain(int i)
{
	for (;;) {
		if (i < 0 || i >= NUM || disk.free[i])
			panic("virtio_blk: freeing descriptor %d twice", i);
		int flags = disk.desc[i].flags, next = disk.desc[i].next;
		memset(&disk.desc[i], 0, sizeof(disk.desc[i]));
		disk.free[i] = 1;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			break;
		i = next;
	}
	if (disk.free_waiters > 0)
		wakeup(&disk.free[0]);
}

/*
 * Puts one request for bufs[0..n) (1 <= n <= MAXSEG, consecutive block numbers) on the
 * available ring; called with disk.lock held, may sleep for free descriptors.
 */
static void submit(struct buf **bufs, int n, int write)
{
	uint64 sector = (uint64)bufs[0]->blockno * (BSIZE / SECTOR);
	int idx[MAXSEG + 2];

	if (sector + (uint64)n * (BSIZE / SECTOR) > disk.capacity)
		panic("virtio_blk: block %u is beyond the end of the disk", bufs[n - 1]->blockno);
	while (alloc_desc(idx, n + 2) < 0) {
		disk.free_waiters++;
		sleep(&disk.free[0], &disk.lock);
		disk.free_waiters--;
	}

	struct virtio_blk_req *req = &disk.req[idx[0]];
	req->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	req->reserved = 0;
	req->sector = sector;

	disk.desc[idx[0]].addr = V2P(req);
	disk.desc[idx[0]].len = sizeof(*req);
	disk.desc[idx[0]].flags = VIRTQ_DESC_F_NEXT;
	disk.desc[idx[0]].next = (uint16)idx[1];

	for (int i = 0; i < n; i++) {
		struct virtq_desc *d = &disk.desc[idx[1 + i]];
		d->addr = V2P(bufs[i]->data);
		d->len = BSIZE;
		d->flags = VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE);
		d->next = (uint16)idx[2 + i];
		bufs[i]->disk = 1;
		disk.info[idx[0]].b[i] = bufs[i];
	}
	disk.info[idx[0]].nb = n;

	disk.info[idx[0]].status = 0xff; /* the device sets 0 on success */
	disk.desc[idx[n + 1]].addr = V2P(&disk.info[idx[0]].status);
	disk.desc[idx[n + 1]].len = 1;
	disk.desc[idx[n + 1]].flags = VIRTQ_DESC_F_WRITE;
	disk.desc[idx[n + 1]].next = 0;

	/* Publish the chain: the ring entry must be visible before the index that covers it,
	 * and both before the notification. */
	disk.avail->ring[disk.avail->idx % NUM] = (uint16)idx[0];
	__sync_synchronize();
	*(volatile uint16 *)&disk.avail->idx = (uint16)(disk.avail->idx + 1);
	__sync_synchronize();
	*REG(VIRTIO_MMIO_QUEUE_NOTIFY) = 0;
}

void virtio_disk_rw(struct buf *b, int write)
{
	acquire(&disk.lock);
	submit(&b, 1, write);
	while (b->disk)
		sleep(b, &disk.lock);
	release(&disk.lock);
}

#define BATCH 64 /* bufs sorted at a time by virtio_disk_rw_many */

void virtio_disk_rw_many(struct buf **bufs, int n, int write)
{
	struct buf *sorted[BATCH];

	for (int base = 0; base < n; base += BATCH) {
		int m = MIN(n - base, BATCH);
		/* Sort by block number (insertion sort: m is small), so that runs of
		 * consecutive blocks can go out as single requests. */
		for (int i = 0; i < m; i++) {
			struct buf *b = bufs[base + i];
			int j = i;
			while (j > 0 && sorted[j - 1]->blockno > b->blockno) {
				sorted[j] = sorted[j - 1];
				j--;
			}
			sorted[j] = b;
		}
		acquire(&disk.lock);
		for (int i = 0; i < m;) {
			int j = i + 1;
			while (j < m && j - i < MAXSEG &&
			       sorted[j]->blockno == sorted[j - 1]->blockno + 1)
				j++;
			submit(sorted + i, j - i, write);
			i = j;
		}
		for (int i = 0; i < m; i++)
			while (sorted[i]->disk)
				sleep(sorted[i], &disk.lock);
		release(&disk.lock);
	}
}

/* Hands every completion the device has published to its waiters. Caller holds disk.lock. */
static void reap_completions(void)
{
	while (disk.used_idx != *(volatile uint16 *)&disk.used->idx) {
		__sync_synchronize(); /* read the entry only after seeing the index */
		uint32 id = disk.used->ring[disk.used_idx % NUM].id;
		if (id >= NUM || disk.info[id].nb == 0)
			panic("virtio_blk: completion for unknown descriptor %u", id);
		if (disk.info[id].status != VIRTIO_BLK_S_OK)
			panic("virtio_blk: I/O error %d on block %u", disk.info[id].status,
			      disk.info[id].b[0]->blockno);
		for (int i = 0; i < disk.info[id].nb; i++) {
			disk.info[id].b[i]->disk = 0;
			wakeup(disk.info[id].b[i]);
		}
		disk.info[id].nb = 0;
		free_chain((int)id);
		disk.used_idx++;
	}
}

void virtio_disk_intr(void)
{
	acquire(&disk.lock);
	/* Acknowledge first: a completion arriving after this raises a new interrupt. */
	*REG(VIRTIO_MMIO_INTERRUPT_ACK) = *REG(VIRTIO_MMIO_INTERRUPT_STATUS) & 0x3;
	__sync_synchronize();
	if (disk.lose_next)
		disk.lose_next = 0;
	else
		reap_completions();
	release(&disk.lock);
}

void virtio_disk_lose_irq(void)
{
	acquire(&disk.lock);
	disk.lose_next = 1;
	release(&disk.lock);
}

/*
 * Called on every tick of hart 0. A completion normally reaches reap_completions() within
 * microseconds of the device publishing it; one that has sat in the used ring for two
 * whole ticks lost its interrupt on the way, and its waiter would otherwise sleep for ever
 * with the log reservation it holds, stalling every file-system operation behind it.
 * Reaping it here turns that hang into a 10-20 ms delay, reported on the console so that
 * it is never silent. The peek without the lock is only a hint; reaping takes the lock.
 */
void virtio_disk_poll(void)
{
	static uint16 stale_idx;
	static int stale_ticks;
	if (!disk.used)
		return;
	uint16 published = *(volatile uint16 *)&disk.used->idx;
	if (published == *(volatile uint16 *)&disk.used_idx || published != stale_idx) {
		stale_idx = published;
		stale_ticks = 0;
		return;
	}
	if (++stale_ticks < 2)
		return;
	acquire(&disk.lock);
	int found = disk.used_idx != *(volatile uint16 *)&disk.used->idx;
	reap_completions();
	if (found)
		disk.lost_interrupts++;
	uint64 n = disk.lost_interrupts;
	release(&disk.lock);
	if (found && n <= 10)
		printf("virtio_blk: completion reaped by the timer, its interrupt was lost (%lu)\n",
		       n);
	stale_ticks = 0;
}
