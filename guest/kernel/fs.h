/* The in-memory file system (a ramfs filled from the initramfs) and open files. */
#ifndef KERNEL_FS_H
#define KERNEL_FS_H

#include "types.h"
#include "../include/uapi/abi.h"

#define NAME_MAX 255
#define PATH_MAX 4096
/* Device numbers as Linux's old_encode_dev: major << 8 | minor. */
#define MKDEV(major, minor) (((major) << 8) | (minor))
#define DEV_NULL MKDEV(1, 3)
#define DEV_ZERO MKDEV(1, 5)
#define DEV_TTYS0 MKDEV(4, 64)
#define DEV_TTYS1 MKDEV(4, 65)
#define DEV_CONSOLE MKDEV(5, 1)

struct inode {
	u32 mode; /* S_IF* | permission bits */
	u64 ino;
	u32 uid, gid;
	u32 nlink;
	u32 rdev;
	u64 mtime;
	char *name;
	struct inode *parent;              /* a directory's parent; the root is its own */
	struct inode *children, *sibling;  /* a directory's entries, in creation order */
	u8 *data;                          /* a file's bytes or a symlink's target */
	u64 size, capacity;                /* capacity 0: data is the initramfs's, read-only */
	int refs;                          /* open files and working directories */
	bool unlinked;
};

struct file;
struct file_ops {
	s64 (*read)(struct file *f, u8 *ubuf, u64 n);
	s64 (*write)(struct file *f, const u8 *ubuf, u64 n);
	s64 (*ioctl)(struct file *f, u64 request, u64 arg);
};

struct file {
	int refs;
	struct inode *ip;
	u64 offset;
	u32 flags; /* O_ACCMODE, O_APPEND, O_NONBLOCK */
	const struct file_ops *ops;
	void *dev; /* a tty */
};

extern struct inode *root_inode;

#endif
