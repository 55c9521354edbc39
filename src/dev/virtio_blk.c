/*
 * Virtio block driver for the disks in QEMU virt's first two virtio-mmio slots (modern, v2
 * interface; QEMU runs with virtio-mmio.force-legacy=false): disk 0 holds the file system
 * and must be there; disk 1 is the swap device, and may be absent.
 *
 * A request is a chain of descriptors: the request header, one or more data descriptors,
 * and a status byte the device fills in. A file-system request carries the data of one or
 * more bufs holding consecutive blocks (virtio_disk_rw_many merges those, since each
 * request has a fixed cost in the device); a swap request carries one or more pages of
 * consecutive page numbers (swapdev_rw_many merges those), DMAed straight from or into
 * their callers' pages, so swap traffic never passes through (or evicts) the buffer cache. Many
 * requests may be in flight at once on each disk, from several processes or from one. A submitter
 * sleeps until the interrupt handler finds the request in the used ring, frees its descriptors and
 * marks it done (b->disk cleared on each buf, or the page waiter's done set). Each disk has a
 * struct vdisk of its own; its descriptors, rings and bookkeeping are guarded by its lock.
 *
 * Lock order: a disk's lock is innermost. The file-system disk's is taken with a buffer's
 * sleep lock held, the swap disk's with any sleep locks but no spin lock; only
 * sleep/wakeup take p->lock inside either, and the two are never held together.
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
#define MAXSEG 16 /* most data descriptors in one request; it takes MAXSEG + 2 descriptors */
#define SECTOR 512

#define NDISK    2
#define FSDISK   0 /* the file system's: must be there */
#define SWAPDISK 1 /* the swap device: optional */

#define REG(d, r) ((volatile uint32 *)((d)->regs + (r)))

_Static_assert(PGSIZE == 4096, "the swap interface speaks of 4096-byte pages");

/* Where a swap request's submitter waits; on its kernel stack (no DMA reaches it). */
struct pagewait {
	int done;  /* the request completed */
	int error; /* ... and the device reported an error */
};

/* A request in flight, indexed by its first descriptor. */
struct vreq {
	int busy;              /* a request starts at this descriptor */
	int nb;                /* a file-system request: how many bufs */
	struct buf *b[MAXSEG]; /*   and which, consecutive blocks */
	struct pagewait *pw;   /* a swap request: its submitter */
	volatile uchar status; /* written by the device, 0 on success */
};

struct vdisk {
	struct spinlock lock;
	const char *name;          /* in messages */
	uint64 regs;               /* the MMIO registers, in the direct map */
	struct virtq_desc *desc;   /* NUM descriptors, in their own page */
	struct virtq_avail *avail; /* in its own page */
	struct virtq_used *used;   /* in its own page; NULL if the disk never came up */
	char free[NUM];            /* descriptor i is free */
	int free_waiters;          /* submitters sleeping for free descriptors */
	uint16 used_idx;           /* next used-ring entry to look at */
	uint64 capacity;           /* disk size in sectors */
	uint64 lost_interrupts;    /* completions found by virtio_disk_poll() */
	int lose_next;             /* self-test: drop the next interrupt's completions */
	uint16 stale_idx;          /* virtio_disk_poll's view, touched only by hart 0's tick */
	int stale_ticks;

	/* The device reads req and writes info[].status by DMA: both live in the kernel
	 * image, which is in the direct map. */
	struct vreq info[NUM];
	struct virtio_blk_req req[NUM];
};

static struct vdisk disks[NDISK];

/*
 * Brings d's device up (spec 3.1.1), with queue 0 ready and its capacity read. On failure
 * returns -1 with the reason in why, having allocated nothing and, if a block device was
 * there, told it that the driver gave up.
 */
static int setup(struct vdisk *d, char *why, size_t nwhy)
{
	uint32 status = 0;

	if (*REG(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC || *REG(d, VIRTIO_MMIO_VERSION) != 2 ||
	    *REG(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEV_BLOCK) {
		snprintf(why, nwhy, "no modern virtio block device (version %u, device id %u)",
		         *REG(d, VIRTIO_MMIO_VERSION), *REG(d, VIRTIO_MMIO_DEVICE_ID));
		return -1;
	}

	/* Reset, then announce ourselves. */
	*REG(d, VIRTIO_MMIO_STATUS) = status;
	status |= VIRTIO_STATUS_ACKNOWLEDGE;
	*REG(d, VIRTIO_MMIO_STATUS) = status;
	status |= VIRTIO_STATUS_DRIVER;
	*REG(d, VIRTIO_MMIO_STATUS) = status;

	/* Features: we need VERSION_1 and a writable disk, and use nothing optional. */
	*REG(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 0;
	uint32 lo = *REG(d, VIRTIO_MMIO_DEVICE_FEATURES);
	*REG(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 1;
	uint32 hi = *REG(d, VIRTIO_MMIO_DEVICE_FEATURES);
	if (!(hi & (1u << (VIRTIO_F_VERSION_1 - 32)))) {
		snprintf(why, nwhy, "device does not offer VIRTIO_F_VERSION_1");
		goto fail;
	}
	if (lo & (1u << VIRTIO_BLK_F_RO)) {
		snprintf(why, nwhy, "disk is read-only");
		goto fail;
	}
	*REG(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 0;
	*REG(d, VIRTIO_MMIO_DRIVER_FEATURES) = 0;
	*REG(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 1;
	*REG(d, VIRTIO_MMIO_DRIVER_FEATURES) = 1u << (VIRTIO_F_VERSION_1 - 32);
	status |= VIRTIO_STATUS_FEATURES_OK;
	*REG(d, VIRTIO_MMIO_STATUS) = status;
	if (!(*REG(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		snprintf(why, nwhy, "device rejected our features");
		goto fail;
	}

	/* Capacity (in sectors) is the first field of the block device's configuration. */
	d->capacity = *REG(d, VIRTIO_MMIO_CONFIG) | ((uint64)*REG(d, VIRTIO_MMIO_CONFIG + 4) << 32);

	/* Queue 0. */
	*REG(d, VIRTIO_MMIO_QUEUE_SEL) = 0;
	if (*REG(d, VIRTIO_MMIO_QUEUE_READY)) {
		snprintf(why, nwhy, "queue already in use");
		goto fail;
	}
	uint32 max = *REG(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max < NUM) {
		snprintf(why, nwhy, "queue holds %u descriptors, need %d", max, NUM);
		goto fail;
	}
	struct virtq_desc *desc = page_alloc();
	struct virtq_avail *avail = page_alloc();
	struct virtq_used *used = page_alloc();
	if (!desc || !avail || !used) {
		if (desc)
			page_free(desc);
		if (avail)
			page_free(avail);
		if (used)
			page_free(used);
		snprintf(why, nwhy, "no memory for the queue");
		goto fail;
	}
	*REG(d, VIRTIO_MMIO_QUEUE_NUM) = NUM;
	uint64 pa = V2P(desc);
	*REG(d, VIRTIO_MMIO_QUEUE_DESC_LOW) = (uint32)pa;
	*REG(d, VIRTIO_MMIO_QUEUE_DESC_HIGH) = (uint32)(pa >> 32);
	pa = V2P(avail);
	*REG(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW) = (uint32)pa;
	*REG(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH) = (uint32)(pa >> 32);
	pa = V2P(used);
	*REG(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW) = (uint32)pa;
	*REG(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH) = (uint32)(pa >> 32);
	*REG(d, VIRTIO_MMIO_QUEUE_READY) = 1;

	for (int i = 0; i < NUM; i++)
		d->free[i] = 1;
	d->desc = desc;
	d->avail = avail;
	d->used = used;

	status |= VIRTIO_STATUS_DRIVER_OK;
	*REG(d, VIRTIO_MMIO_STATUS) = status;
	return 0;

fail:
	*REG(d, VIRTIO_MMIO_STATUS) = status | VIRTIO_STATUS_FAILED;
	return -1;
}

/* The swap disk is optional: an empty slot means no swap, and so, with a line saying why,
 * does a device there that cannot serve. Its size counts in whole pages only. */
static void swap_init(struct vdisk *d)
{
	char why[96];

	if (*REG(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC || *REG(d, VIRTIO_MMIO_DEVICE_ID) == 0)
		return; /* no device in the slot: QEMU's empty transports say device id 0 */
	if (setup(d, why, sizeof(why)) < 0) {
		printf("swap: virtio disk 1 not used: %s\n", why);
		return;
	}
	uint64 pages = swapdev_pages();
	if (pages == 0) {
		/* Up but useless: leave it idle; swapdev_rw refuses every page number. */
		printf("swap: virtio disk 1 not used: it holds %lu sectors, not one whole page\n",
		       d->capacity);
		return;
	}
	const char *s = pages == 1 ? "" : "s";
	if (pages % 256 == 0)
		printf("swap: virtio disk 1, %lu MiB (%lu page%s)\n", pages / 256, pages, s);
	else
		printf("swap: virtio disk 1, %lu KiB (%lu page%s)\n", pages * 4, pages, s);
}

void virtio_disk_init(void)
{
	static const char *const names[NDISK] = {"virtio_blk", "virtio_blk1"};
	static const char *const locks[NDISK] = {"virtio_disk", "virtio_disk1"};
	static const uint64 regs[NDISK] = {VIRTIO0, VIRTIO1};
	char why[96];

	for (int i = 0; i < NDISK; i++) {
		initlock(&disks[i].lock, locks[i]);
		disks[i].name = names[i];
		disks[i].regs = regs[i];
	}
	if (setup(&disks[FSDISK], why, sizeof(why)) < 0)
		panic("virtio_blk: %s", why);
	swap_init(&disks[SWAPDISK]);
}

/* Takes n free descriptors; -1 (taking none) if there are not n. */
static int alloc_desc(struct vdisk *d, int *idx, int n)
{
	int k = 0;
	for (int i = 0; i < NUM && k < n; i++)
		if (d->free[i])
			idx[k++] = i;
	if (k < n)
		return -1;
	for (int i = 0; i < n; i++)
		d->free[idx[i]] = 0;
	return 0;
}

static void free_chain(struct vdisk *d, int i)
{
	for (;;) {
		if (i < 0 || i >= NUM || d->free[i])
			panic("%s: freeing descriptor %d twice", d->name, i);
		int flags = d->desc[i].flags, next = d->desc[i].next;
		memset(&d->desc[i], 0, sizeof(d->desc[i]));
		d->free[i] = 1;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			break;
		i = next;
	}
	if (d->free_waiters > 0)
		wakeup(&d->free[0]);
}

/*
 * Puts one request on d's available ring: the header for sector, n data descriptors of
 * len bytes at the direct-map addresses data[0..n) (1 <= n <= MAXSEG), and the status
 * byte. Returns the request's entry, marked busy, for the caller to say whom it completes
 * (b[] and nb, or pw); no completion can be reaped before the caller releases d->lock.
 * Called with d->lock held, may sleep for free descriptors.
 */
static struct vreq *submit(struct vdisk *d, uint64 sector, void *const *data, int n, uint32 len,
                           int write)
{
	int idx[MAXSEG + 2];

	while (alloc_desc(d, idx, n + 2) < 0) {
		d->free_waiters++;
		sleep(&d->free[0], &d->lock);
		d->free_waiters--;
	}

	struct virtio_blk_req *req = &d->req[idx[0]];
	req->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	req->reserved = 0;
	req->sector = sector;

	d->desc[idx[0]].addr = V2P(req);
	d->desc[idx[0]].len = sizeof(*req);
	d->desc[idx[0]].flags = VIRTQ_DESC_F_NEXT;
	d->desc[idx[0]].next = (uint16)idx[1];

	for (int i = 0; i < n; i++) {
		struct virtq_desc *desc = &d->desc[idx[1 + i]];
		desc->addr = V2P(data[i]);
		desc->len = len;
		desc->flags = VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE);
		desc->next = (uint16)idx[2 + i];
	}

	struct vreq *r = &d->info[idx[0]];
	r->busy = 1;
	r->nb = 0;
	r->pw = NULL;
	r->status = 0xff; /* the device sets 0 on success */
	d->desc[idx[n + 1]].addr = V2P(&r->status);
	d->desc[idx[n + 1]].len = 1;
	d->desc[idx[n + 1]].flags = VIRTQ_DESC_F_WRITE;
	d->desc[idx[n + 1]].next = 0;

	/* Publish the chain: the ring entry must be visible before the index that covers it,
	 * and both before the notification. */
	d->avail->ring[d->avail->idx % NUM] = (uint16)idx[0];
	__sync_synchronize();
	*(volatile uint16 *)&d->avail->idx = (uint16)(d->avail->idx + 1);
	__sync_synchronize();
	*REG(d, VIRTIO_MMIO_QUEUE_NOTIFY) = 0;
	return r;
}

/*
 * One request on the file-system disk for bufs[0..n) (1 <= n <= MAXSEG, consecutive block
 * numbers); called with its lock held, may sleep for free descriptors.
 */
static void submit_bufs(struct buf **bufs, int n, int write)
{
	struct vdisk *d = &disks[FSDISK];
	uint64 sector = (uint64)bufs[0]->blockno * (BSIZE / SECTOR);
	void *data[MAXSEG];

	if (sector + (uint64)n * (BSIZE / SECTOR) > d->capacity)
		panic("virtio_blk: block %u is beyond the end of the disk", bufs[n - 1]->blockno);
	for (int i = 0; i < n; i++)
		data[i] = bufs[i]->data;
	struct vreq *r = submit(d, sector, data, n, BSIZE, write);
	for (int i = 0; i < n; i++) {
		bufs[i]->disk = 1;
		r->b[i] = bufs[i];
	}
	r->nb = n;
}

void virtio_disk_rw(struct buf *b, int write)
{
	struct vdisk *d = &disks[FSDISK];
	acquire(&d->lock);
	submit_bufs(&b, 1, write);
	while (b->disk)
		sleep(b, &d->lock);
	release(&d->lock);
}

#define BATCH 64 /* bufs sorted at a time by virtio_disk_rw_many */

void virtio_disk_rw_many(struct buf **bufs, int n, int write)
{
	struct vdisk *d = &disks[FSDISK];
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
		acquire(&d->lock);
		for (int i = 0; i < m;) {
			int j = i + 1;
			while (j < m && j - i < MAXSEG &&
			       sorted[j]->blockno == sorted[j - 1]->blockno + 1)
				j++;
			submit_bufs(sorted + i, j - i, write);
			i = j;
		}
		for (int i = 0; i < m; i++)
			while (sorted[i]->disk)
				sleep(sorted[i], &d->lock);
		release(&d->lock);
	}
}

uint64 swapdev_pages(void)
{
	struct vdisk *d = &disks[SWAPDISK];
	/* Both fields are set once at boot, before any process runs. */
	return d->used ? d->capacity / (PGSIZE / SECTOR) : 0;
}

/* The device needs a page's physical address, which only the direct map of RAM turns into
 * one by V2P; a kernel stack or user address would DMA somewhere else. */
static void check_dma_page(void *kva)
{
	if ((uint64)kva % PGSIZE != 0 || (uint64)kva < (uint64)P2V(RAM_BASE_PA) ||
	    (uint64)kva >= KERNBASE + (16UL << 30))
		panic("swapdev: %p is not a page of the direct map", kva);
}

int swapdev_rw_many(const uint64 *pageno, void *const *kva, int n, int write, int *err)
{
	struct vdisk *d = &disks[SWAPDISK];
	int order[SWAP_BATCH];
	struct pagewait pw[SWAP_BATCH];
	int run_of[SWAP_BATCH], nruns = 0, bad = 0;

	if (n < 1 || n > SWAP_BATCH)
		panic("swapdev_rw_many: %d pages", n);
	/* Sort by page number (insertion sort: n is small), so that runs of consecutive pages
	 * go out as single requests: each request has a fixed cost in the device. */
	for (int i = 0; i < n; i++) {
		check_dma_page(kva[i]);
		int j = i;
		while (j > 0 && pageno[order[j - 1]] > pageno[i]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	uint64 size = swapdev_pages();
	acquire(&d->lock);
	for (int i = 0; i < n;) {
		int j = i;
		if (pageno[order[i]] >= size) {
			run_of[order[i++]] = -1; /* out of range: never submitted */
			bad = 1;
			continue;
		}
		void *data[MAXSEG];
		while (j < n && j - i < MAXSEG && pageno[order[j]] < size &&
		       (j == i || pageno[order[j]] == pageno[order[j - 1]] + 1)) {
			data[j - i] = kva[order[j]];
			run_of[order[j]] = nruns;
			j++;
		}
		pw[nruns] = (struct pagewait){0, 0};
		struct vreq *r =
		    submit(d, pageno[order[i]] * (PGSIZE / SECTOR), data, j - i, PGSIZE, write);
		r->pw = &pw[nruns++];
		i = j;
	}
	for (int k = 0; k < nruns; k++)
		while (!pw[k].done)
			sleep(&pw[k], &d->lock);
	release(&d->lock);
	for (int i = 0; i < n; i++) {
		int e = run_of[i] < 0 || pw[run_of[i]].error;
		if (err)
			err[i] = e;
		bad |= e;
	}
	return bad ? -1 : 0;
}

int swapdev_rw(uint64 pageno, void *kva, int write)
{
	if (!swapdev_pages())
		return -1;
	return swapdev_rw_many(&pageno, &kva, 1, write, NULL);
}

/* Hands every completion the device has published to its waiters. Caller holds d->lock. */
static void reap_completions(struct vdisk *d)
{
	while (d->used_idx != *(volatile uint16 *)&d->used->idx) {
		__sync_synchronize(); /* read the entry only after seeing the index */
		uint32 id = d->used->ring[d->used_idx % NUM].id;
		struct vreq *r = &d->info[id % NUM];
		if (id >= NUM || !r->busy)
			panic("%s: completion for unknown descriptor %u", d->name, id);
		if (r->status != VIRTIO_BLK_S_OK && r->nb > 0)
			panic("%s: I/O error %d on block %u", d->name, r->status, r->b[0]->blockno);
		for (int i = 0; i < r->nb; i++) {
			r->b[i]->disk = 0;
			wakeup(r->b[i]);
		}
		if (r->pw) {
			/* A swap request: its caller decides what an error means. */
			if (r->status != VIRTIO_BLK_S_OK) {
				r->pw->error = 1;
				printf("%s: I/O error %d at sector %lu\n", d->name, r->status,
				       d->req[id].sector);
			}
			r->pw->done = 1;
			wakeup(r->pw);
		}
		r->busy = 0;
		r->nb = 0;
		r->pw = NULL;
		free_chain(d, (int)id);
		d->used_idx++;
	}
}

void virtio_disk_intr(int disk)
{
	struct vdisk *d = &disks[disk];
	/* The PLIC line of an absent swap disk is enabled too; nothing there ever raises it. */
	if (!d->used)
		return;
	acquire(&d->lock);
	/* Acknowledge first: a completion arriving after this raises a new interrupt. */
	*REG(d, VIRTIO_MMIO_INTERRUPT_ACK) = *REG(d, VIRTIO_MMIO_INTERRUPT_STATUS) & 0x3;
	__sync_synchronize();
	if (d->lose_next)
		d->lose_next = 0;
	else
		reap_completions(d);
	release(&d->lock);
}

void virtio_disk_lose_irq(void)
{
	struct vdisk *d = &disks[FSDISK];
	acquire(&d->lock);
	d->lose_next = 1;
	release(&d->lock);
}

/*
 * Called on every tick of hart 0, for each disk. A completion normally reaches
 * reap_completions() within microseconds of the device publishing it; one that has sat in
 * the used ring for two whole ticks lost its interrupt on the way, and its waiter would
 * otherwise sleep for ever: on the file-system disk with the log reservation it holds,
 * stalling every file-system operation behind it; on the swap disk with the page it is
 * paging. Reaping it here turns that hang into a 10-20 ms delay, reported on the console
 * so that it is never silent. The peek without the lock is only a hint; reaping takes the
 * lock.
 */
static void poll_disk(struct vdisk *d)
{
	if (!d->used)
		return;
	uint16 published = *(volatile uint16 *)&d->used->idx;
	if (published == *(volatile uint16 *)&d->used_idx || published != d->stale_idx) {
		d->stale_idx = published;
		d->stale_ticks = 0;
		return;
	}
	if (++d->stale_ticks < 2)
		return;
	acquire(&d->lock);
	int found = d->used_idx != *(volatile uint16 *)&d->used->idx;
	reap_completions(d);
	if (found)
		d->lost_interrupts++;
	uint64 n = d->lost_interrupts;
	release(&d->lock);
	if (found && n <= 10)
		printf("%s: completion reaped by the timer, its interrupt was lost (%lu)\n",
		       d->name, n);
	d->stale_ticks = 0;
}

void virtio_disk_poll(void)
{
	for (int i = 0; i < NDISK; i++)
		poll_disk(&disks[i]);
}
