/* Open files and descriptor tables, and the read, write and directory operations of the file
 * system's own inodes. Device files dispatch to their driver's file_ops. */
#include "kernel.h"

static s64 null_read(struct file *f, u8 *u, u64 n) { (void)f, (void)u, (void)n; return 0; }
static s64 null_write(struct file *f, const u8 *u, u64 n) { (void)f, (void)u; return (s64)n; }
static s64 zero_read(struct file *f, u8 *u, u64 n) { (void)f; return clear_user(u, n) ? -EFAULT : (s64)n; }
static const struct file_ops null_ops = { .read = null_read, .write = null_write };
static const struct file_ops zero_ops = { .read = zero_read, .write = null_write };

struct file *file_open_inode(struct inode *ip, u32 flags)
{
	const struct file_ops *ops = 0;
	void *dev = 0;
	if (S_ISCHR(ip->mode)) {
		switch (ip->rdev) {
		case DEV_TTYS0:
		case DEV_CONSOLE:
			ops = &tty_ops, dev = &tty_s0;
			break;
		case DEV_TTYS1:
			ops = &tty_ops, dev = &tty_s1;
			break;
		case DEV_NULL:
			ops = &null_ops;
			break;
		case DEV_ZERO:
			ops = &zero_ops;
			break;
		default:
			return 0;
		}
		if (ops == &tty_ops && !((struct tty *)dev)->uart->present)
			return 0;
	}
	struct file *f = kmalloc(sizeof *f);
	if (!f)
		return 0;
	f->refs = 1;
	f->ip = ip;
	f->flags = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
	f->ops = ops;
	f->dev = dev;
	inode_get(ip);
	/* The first process to open a terminal makes its group the foreground one. */
	struct proc *p = current_proc();
	if (ops == &tty_ops && !((struct tty *)dev)->pgrp && p)
		((struct tty *)dev)->pgrp = p->pgid;
	return f;
}

void file_get(struct file *f) { f->refs++; }

void file_put(struct file *f)
{
	if (--f->refs)
		return;
	inode_put(f->ip);
	kfree(f);
}

int fd_install(struct proc *p, struct file *f, int min, bool cloexec)
{
	for (int fd = min; fd < MAX_FDS; fd++)
		if (!p->files[fd]) {
			p->files[fd] = f;
			if (cloexec)
				p->cloexec[fd / 32] |= 1u << (fd % 32);
			else
				p->cloexec[fd / 32] &= ~(1u << (fd % 32));
			return fd;
		}
	return -EMFILE;
}

struct file *fd_get(struct proc *p, int fd) { return fd >= 0 && fd < MAX_FDS ? p->files[fd] : 0; }

void fd_close_all(struct proc *p)
{
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (p->files[fd]) {
			file_put(p->files[fd]);
			p->files[fd] = 0;
		}
}

void fd_close_on_exec(struct proc *p)
{
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (p->files[fd] && (p->cloexec[fd / 32] & (1u << (fd % 32)))) {
			file_put(p->files[fd]);
			p->files[fd] = 0;
		}
	memset(p->cloexec, 0, sizeof p->cloexec);
}

s64 file_read(struct file *f, u8 *ubuf, u64 n)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (f->ops)
		return f->ops->read(f, ubuf, n);
	struct inode *ip = f->ip;
	if (S_ISDIR(ip->mode))
		return -EISDIR;
	if (f->offset >= ip->size)
		return 0;
	u64 k = MIN(n, ip->size - f->offset);
	if (copy_to_user(ubuf, ip->data + f->offset, k))
		return -EFAULT;
	f->offset += k;
	return (s64)k;
}

s64 file_write(struct file *f, const u8 *ubuf, u64 n)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (f->ops)
		return f->ops->write(f, ubuf, n);
	if (f->flags & O_APPEND)
		f->offset = f->ip->size;
	int err = inode_write(f->ip, f->offset, ubuf, n, true);
	if (err)
		return err;
	f->offset += n;
	return (s64)n;
}

static u8 dirent_type(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return DT_DIR;
	case S_IFREG:
		return DT_REG;
	case S_IFCHR:
		return DT_CHR;
	case S_IFLNK:
		return DT_LNK;
	default:
		return DT_UNKNOWN;
	}
}

/* getdents64: ".", "..", then the entries in creation order; the offset counts entries. */
s64 file_getdents(struct file *f, u8 *ubuf, u64 n)
{
	struct inode *dir = f->ip;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	u64 written = 0, index = 0;
	struct inode *c = dir->children;
	for (;; index++) {
		struct inode *ip;
		const char *name;
		if (index == 0)
			ip = dir, name = ".";
		else if (index == 1)
			ip = dir->parent, name = "..";
		else {
			if (!c)
				break;
			ip = c, name = c->name;
			c = c->sibling;
		}
		if (index < f->offset)
			continue;
		u64 len = strlen(name);
		u64 reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + len + 1, 8);
		if (written + reclen > n)
			return written ? (s64)written : -EINVAL;
		u8 rec[NAME_MAX + 32] = { 0 };
		struct linux_dirent64 *d = (struct linux_dirent64 *)rec;
		d->d_ino = ip->ino;
		d->d_off = (s64)index + 1;
		d->d_reclen = (u16)reclen;
		d->d_type = dirent_type(ip->mode);
		memcpy(d->d_name, name, len + 1);
		if (copy_to_user(ubuf + written, rec, reclen))
			return -EFAULT;
		written += reclen;
		f->offset = index + 1;
	}
	return (s64)written;
}
