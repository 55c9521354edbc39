/*
 * Virtio over MMIO, version 2 ("modern") register interface, and the split virtqueue
 * layout, as used by the block driver. See the Virtio 1.1 specification, sections 2.6
 * (split virtqueues), 4.2 (MMIO transport) and 5.2 (block device).
 */
#pragma once
#include "lib/types.h"

/* MMIO registers, byte offsets from the device base. */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000 /* "virt" */
#define VIRTIO_MMIO_VERSION             0x004 /* 2 for the modern interface */
#define VIRTIO_MMIO_DEVICE_ID           0x008 /* 2 for a block device */
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090 /* the available ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0 /* the used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG              0x100 /* device-specific configuration */

#define VIRTIO_MAGIC     0x74726976
#define VIRTIO_DEV_BLOCK 2

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED      128

/* Feature bits. */
#define VIRTIO_F_VERSION_1 32 /* the device follows the 1.0+ specification */
#define VIRTIO_BLK_F_RO    5  /* the disk is read-only */

/* Interrupt status bits. */
#define VIRTIO_INT_USED_RING 1
#define VIRTIO_INT_CONFIG    2

/* A descriptor: one buffer in device-readable or device-writable memory. */
struct virtq_desc {
	uint64 addr; /* physical address */
	uint32 len;
	uint16 flags;
	uint16 next;
};
#define VIRTQ_DESC_F_NEXT  1 /* the chain continues at next */
#define VIRTQ_DESC_F_WRITE 2 /* the device writes this buffer */

/* The driver's ring of chains offered to the device. */
struct virtq_avail {
	uint16 flags;
	uint16 idx;    /* where the driver puts the next entry (free-running) */
	uint16 ring[]; /* heads of descriptor chains */
};

/* The device's ring of chains it has finished with. */
struct virtq_used_elem {
	uint32 id;  /* head of the completed chain */
	uint32 len; /* bytes the device wrote */
};

struct virtq_used {
	uint16 flags;
	uint16 idx; /* where the device puts the next entry (free-running) */
	struct virtq_used_elem ring[];
};

/* Block requests: a header, the data, and a status byte the device writes. */
#define VIRTIO_BLK_T_IN  0 /* read */
#define VIRTIO_BLK_T_OUT 1 /* write */
#define VIRTIO_BLK_S_OK  0

struct virtio_blk_req {
	uint32 type;
	uint32 reserved;
	uint64 sector; /* in 512-byte units */
};

struct buf;

/*
 * Reads (write=0) or writes (write=1) n buffers, each at its own b->blockno, with as many
 * requests in flight at once as the queue allows; returns when all are done. The order
 * in which they reach the disk is not defined. For the log's commit (fs/log.c).
 */
void virtio_disk_rw_many(struct buf **bufs, int n, int write);
