/* The Multiboot 1 information structure (Multiboot Specification 0.6.96, section 3.3). */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include "types.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002
#define MULTIBOOT_INFO_MEMORY (1 << 0)
#define MULTIBOOT_INFO_CMDLINE (1 << 2)
#define MULTIBOOT_INFO_MODS (1 << 3)
#define MULTIBOOT_INFO_MMAP (1 << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1 << 9)
#define MULTIBOOT_MEMORY_AVAILABLE 1

struct multiboot_info {
	u32 flags;
	u32 mem_lower, mem_upper; /* KiB below 1 MiB and above it */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
} packed;

struct multiboot_module {
	u32 mod_start, mod_end; /* [mod_start, mod_end) */
	u32 string;
	u32 reserved;
} packed;

/* Each entry is preceded by its size, which does not count the size field itself. */
struct multiboot_mmap_entry {
	u32 size;
	u64 addr, len;
	u32 type;
} packed;

#endif
