/*
 * Unpack the initramfs (Linux's Documentation/driver-api/early-userspace/buffer-format.rst):
 * the Multiboot modules, each one or more concatenated cpio "newc" archives, each archive ending
 * with TRAILER!!! and possibly followed by zero padding. Entries: a 110-byte ASCII header, the
 * name (its size counts the NUL), padding to 4 bytes, the data, padding to 4 bytes. A later
 * entry replaces an earlier one of the same name, as Linux's unpacker does. Regular files keep
 * pointing into the archive (it is never freed), so unpacking copies nothing.
 */
#include "kernel.h"

#define CPIO_HEADER 110

struct cpio_header {
	u64 mode, uid, gid, mtime, filesize, rdevmajor, rdevminor, namesize;
};

static bool hex8(const u8 *p, u64 *out)
{
	u64 v = 0;
	for (int i = 0; i < 8; i++) {
		u8 c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return false;
		v = v * 16 + (u64)d;
	}
	*out = v;
	return true;
}

static bool parse_header(const u8 *h, struct cpio_header *c)
{
	if (memcmp(h, "070701", 6) && memcmp(h, "070702", 6))
		return false;
	u64 f[13];
	for (int i = 0; i < 13; i++)
		if (!hex8(h + 6 + 8 * i, &f[i]))
			return false;
	/* ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
	 * namesize, check */
	*c = (struct cpio_header){ f[1], f[2], f[3], f[5], f[6], f[9], f[10], f[11] };
	return true;
}

struct counts {
	u32 files, dirs, nodes, links;
};

/* Create the directories on the way to path (an archive may omit them). */
static struct inode *parent_dir(const char *path, char *leaf)
{
	struct inode *dir = root_inode;
	const char *p = path;
	for (;;) {
		while (*p == '/')
			p++;
		const char *end = strchr(p, '/');
		if (!end) {
			strlcpy(leaf, p, NAME_MAX + 1);
			return dir;
		}
		u64 len = (u64)(end - p);
		if (len > NAME_MAX)
			return 0;
		struct inode *next = dir_find(dir, p, len);
		if (!next) {
			char name[NAME_MAX + 1];
			memcpy(name, p, len);
			name[len] = 0;
			next = inode_create(dir, name, S_IFDIR | 0755, 0);
		}
		if (!next || !S_ISDIR(next->mode))
			return 0;
		dir = next;
		p = end + 1;
	}
}

static void add_entry(const char *path, const struct cpio_header *c, const u8 *data, struct counts *n)
{
	char leaf[NAME_MAX + 1];
	if (!strcmp(path, ".") || !*path)
		return; /* the root itself */
	struct inode *dir = parent_dir(path, leaf);
	if (!dir || !*leaf || !strcmp(leaf, ".") || !strcmp(leaf, "..")) {
		printk("initramfs: skipping %s\n", path);
		return;
	}
	u32 type = (u32)c->mode & S_IFMT;
	struct inode *old = dir_find(dir, leaf, strlen(leaf));
	if (old && S_ISDIR(old->mode) && type == S_IFDIR) {
		old->mode = (u32)c->mode;
		old->mtime = c->mtime;
		return;
	}
	if (old)
		inode_unlink(dir, leaf, S_ISDIR(old->mode));
	struct inode *ip = inode_create(dir, leaf, (u32)c->mode, (u32)MKDEV(c->rdevmajor, c->rdevminor));
	if (!ip)
		panic("initramfs: out of memory");
	ip->uid = (u32)c->uid;
	ip->gid = (u32)c->gid;
	ip->mtime = c->mtime;
	if (type == S_IFREG || type == S_IFLNK) {
		ip->data = (u8 *)data;
		ip->size = c->filesize;
	}
	if (type != S_IFCHR && type != S_IFBLK)
		ip->rdev = 0;
	n->files += type == S_IFREG;
	n->dirs += type == S_IFDIR;
	n->nodes += type == S_IFCHR || type == S_IFBLK;
	n->links += type == S_IFLNK;
}

/* Returns false when the bytes are not a cpio archive. */
static bool unpack(const u8 *p, u64 size, struct counts *n)
{
	u64 off = 0;
	bool any = false;
	while (off < size) {
		if (p[off] == 0) { /* padding between concatenated archives */
			off += 4;
			continue;
		}
		struct cpio_header c;
		if (size - off < CPIO_HEADER || !parse_header(p + off, &c))
			return any;
		u64 name_off = off + CPIO_HEADER;
		u64 data_off = ALIGN_UP(name_off + c.namesize, 4);
		if (c.namesize == 0 || data_off > size || c.filesize > size - data_off || p[name_off + c.namesize - 1] != 0) {
			printk("initramfs: truncated entry at offset %lu\n", off);
			return any;
		}
		const char *name = (const char *)p + name_off;
		any = true;
		if (strcmp(name, "TRAILER!!!"))
			add_entry(name, &c, p + data_off, n);
		off = ALIGN_UP(data_off + c.filesize, 4);
	}
	return any;
}

void initramfs_unpack(u64 mbi_phys)
{
	struct multiboot_info *mbi = phys_to_virt(mbi_phys);
	if (!(mbi->flags & MULTIBOOT_INFO_MODS) || !mbi->mods_count) {
		printk("initramfs: no boot module; the root file system is empty\n");
		return;
	}
	struct multiboot_module *mods = phys_to_virt(mbi->mods_addr);
	for (u32 i = 0; i < mbi->mods_count; i++) {
		struct counts n = { 0 };
		u64 size = mods[i].mod_end - mods[i].mod_start;
		printk("Trying to unpack rootfs image as initramfs... (%lu KiB at 0x%x)\n", size / 1024, mods[i].mod_start);
		if (!unpack(phys_to_virt(mods[i].mod_start), size, &n))
			printk("Initramfs unpacking failed: no cpio magic\n");
		else
			printk("initramfs: %u files, %u directories, %u device nodes, %u symlinks\n", n.files, n.dirs, n.nodes, n.links);
	}
}
