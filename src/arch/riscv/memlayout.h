/*
 * Where things are in physical and virtual memory on the QEMU virt board.
 *
 * Virtual layout (Sv39, 39-bit addresses, sign-extended):
 *   0x0000000000000000 .. USER_TOP        user space (the lower half)
 *   KERNBASE + pa                          direct map of all physical memory and devices
 * The kernel image itself runs inside the direct map (linked at KERNBASE + 0x80200000),
 * so every kernel pointer is a direct-map address and P2V/V2P are a single add.
 */
#pragma once

#define KERNBASE 0xFFFFFFC000000000UL
#define P2V(pa)  ((void *)((unsigned long)(pa) + KERNBASE))
#define V2P(va)  ((unsigned long)(va)-KERNBASE)

#define USER_TOP 0x4000000000UL /* 256 GiB: the whole lower half of Sv39 */

/* Physical addresses of devices on the virt board. */
#define UART0_PA       0x10000000UL
#define UART0_IRQ      10
#define VIRTIO0_PA     0x10001000UL
#define VIRTIO0_IRQ    1
#define VIRTIO1_PA     0x10002000UL /* the next virtio-mmio slot: the swap disk, if any */
#define VIRTIO1_IRQ    2
#define PLIC_PA        0x0c000000UL
#define RAM_BASE_PA    0x80000000UL
#define KERNEL_LOAD_PA 0x80200000UL

#define UART0   ((unsigned long)P2V(UART0_PA))
#define VIRTIO0 ((unsigned long)P2V(VIRTIO0_PA))
#define VIRTIO1 ((unsigned long)P2V(VIRTIO1_PA))
#define PLIC    ((unsigned long)P2V(PLIC_PA))
