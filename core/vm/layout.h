/* The guest-physical address map. Everything the VMM places in guest memory
 * or claims on the MMIO bus has its address here, so overlaps are visible in
 * one file. */
#ifndef VOLT_VM_LAYOUT_H
#define VOLT_VM_LAYOUT_H

#define LAYOUT_KIB(x) ((unsigned long long)(x) << 10)
#define LAYOUT_MIB(x) ((unsigned long long)(x) << 20)
#define LAYOUT_GIB(x) ((unsigned long long)(x) << 30)

/* Low memory, below 1 MiB (real-mode area). */
#define LAYOUT_GDT_ADDR        0x500ULL    /* boot GDT, 4 entries */
#define LAYOUT_IDT_ADDR        0x520ULL    /* empty boot IDT */
#define LAYOUT_ZERO_PAGE_ADDR  0x7000ULL   /* struct boot_params */
#define LAYOUT_BOOT_STACK      0x8ff0ULL   /* initial RSP/RBP */
#define LAYOUT_PML4_ADDR       0x9000ULL   /* identity page tables: PML4, */
#define LAYOUT_PDPT_ADDR       0xa000ULL   /* one PDPT, */
#define LAYOUT_PD_ADDR         0xb000ULL   /* and 4 PDs mapping 4 GiB (2 MiB pages) */
#define LAYOUT_PD_COUNT        4
#define LAYOUT_BOOT_MAPPED_END LAYOUT_GIB(LAYOUT_PD_COUNT) /* identity-mapped at entry below this */
#define LAYOUT_CMDLINE_ADDR    0x20000ULL
#define LAYOUT_CMDLINE_MAX     0x10000ULL  /* bytes, including the NUL */
#define LAYOUT_EBDA_START      0x9fc00ULL  /* MP table lives here; e820 reserves */
#define LAYOUT_EBDA_END        0x100000ULL /* up to 1 MiB (EBDA, VGA, BIOS) */
#define LAYOUT_HIMEM_START     0x100000ULL /* protected-mode kernel (bzImage) */

/* The MMIO hole below 4 GiB: RAM that would overlap it moves above 4 GiB. */
#define LAYOUT_MMIO_HOLE_START 0xc0000000ULL
#define LAYOUT_MMIO_HOLE_END   0x100000000ULL

/* Devices inside the hole. */
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ULL
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL  /* one page per device */
#define LAYOUT_IOAPIC_ADDR      0xfec00000ULL
#define LAYOUT_LAPIC_ADDR       0xfee00000ULL
#define LAYOUT_IDENTITY_MAP     0xfffbc000ULL /* KVM_SET_IDENTITY_MAP_ADDR, 1 page */
#define LAYOUT_TSS_ADDR         0xfffbd000ULL /* KVM_SET_TSS_ADDR, 3 pages */

/* Legacy I/O ports. */
#define LAYOUT_COM1_PORT       0x3f8
#define LAYOUT_COM1_IRQ        4
#define LAYOUT_I8042_DATA_PORT 0x60
#define LAYOUT_I8042_CMD_PORT  0x64
#define LAYOUT_I8042_IRQ       1
#define LAYOUT_BOOT_TIMER_PORT 0x440 /* guest writes here: VMM logs time since exec */

/* IRQs 5..23 are free for virtio-mmio devices (one each). */
#define LAYOUT_VIRTIO_IRQ_FIRST 5
#define LAYOUT_VIRTIO_IRQ_LAST  23

/* Non-virtio plugin devices claim MMIO here (4 KiB granules); their IRQs
 * count down from LAYOUT_VIRTIO_IRQ_LAST while virtio-mmio counts up. */
#define LAYOUT_PLUGIN_MMIO_BASE 0xd8000000ULL
#define LAYOUT_PLUGIN_MMIO_SIZE 0x01000000ULL

#endif
