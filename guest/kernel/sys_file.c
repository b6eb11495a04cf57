/* File-system calls: open and close, read and write, seek, stat, directories, descriptors. */
#include "syscall.h"

#define MAX_IOV 1024

static struct file *get_file(u64 fd) { return fd_get(current_proc(), (int)fd); }

/* The directory a *at call starts from: the working directory for AT_FDCWD or a relative
 * path's descriptor. */
static int at_base(int dirfd, struct inode **base)
{
	if (dirfd == AT_FDCWD) {
		*base = current_proc()->cwd;
		return 0;
	}
	struct file *f = get_file((u64)dirfd);
	if (!f)
		return -EBADF;
	if (!S_ISDIR(f->ip->mode))
		return -ENOTDIR;
	*base = f->ip;
	return 0;
}

static int user_path(u64 upath, char *kpath)
{
	s64 n = strncpy_from_user(kpath, (const char *)upath, PATH_MAX);
	return n < 0 ? (int)n : 0;
}

/* Resolve a user path relative to dirfd (an absolute path ignores dirfd). */
static int lookup_at(int dirfd, u64 upath, bool follow, struct inode **out)
{
	char path[PATH_MAX];
	struct inode *base;
	int err = user_path(upath, path);
	if (!err && path[0] != '/')
		err = at_base(dirfd, &base);
	else
		base = current_proc()->cwd;
	return err ? err : fs_lookup(base, path, follow, out);
}

static s64 do_openat(int dirfd, u64 upath, u32 flags, u32 mode)
{
	struct proc *p = current_proc();
	char path[PATH_MAX], name[NAME_MAX + 1];
	struct inode *base = p->cwd, *ip, *dir;
	int err = user_path(upath, path);
	if (!err && path[0] != '/')
		err = at_base(dirfd, &base);
	if (err)
		return err;
	err = fs_lookup(base, path, !(flags & O_NOFOLLOW), &ip);
	if (err == -ENOENT && (flags & O_CREAT)) {
		if ((err = fs_lookup_parent(base, path, &dir, name)))
			return err;
		if (!(ip = inode_create(dir, name, S_IFREG | (mode & 07777), 0)))
			return -ENOSPC;
		ip->mtime = ktime_ns() / 1000000000;
	} else if (err)
		return err;
	else if ((flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	if (S_ISLNK(ip->mode))
		return -ELOOP;
	if ((flags & O_DIRECTORY) && !S_ISDIR(ip->mode))
		return -ENOTDIR;
	if (S_ISDIR(ip->mode) && (flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	if ((flags & O_TRUNC) && S_ISREG(ip->mode) && (flags & O_ACCMODE) != O_RDONLY && (err = inode_truncate(ip, 0)))
		return err;
	struct file *f = file_open_inode(ip, flags);
	if (!f)
		return S_ISCHR(ip->mode) ? -ENXIO : -ENOMEM;
	int fd = fd_install(p, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(openat) { return do_openat((int)a0, a1, (u32)a2, (u32)a3); }
SYSCALL_DEFINE(open) { return do_openat(AT_FDCWD, a0, (u32)a1, (u32)a2); }

SYSCALL_DEFINE(close)
{
	struct proc *p = current_proc();
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	p->files[a0] = 0;
	file_put(f);
	return 0;
}

SYSCALL_DEFINE(read)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	return access_ok(a1, a2) ? file_read(f, (u8 *)a1, a2) : -EFAULT;
}

SYSCALL_DEFINE(write)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	return access_ok(a1, a2) ? file_write(f, (const u8 *)a1, a2) : -EFAULT;
}

SYSCALL_DEFINE(pread64)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	if (f->ops || !S_ISREG(f->ip->mode))
		return -ESPIPE;
	if ((s64)a3 < 0)
		return -EINVAL;
	u64 saved = f->offset;
	f->offset = a3;
	s64 r = access_ok(a1, a2) ? file_read(f, (u8 *)a1, a2) : -EFAULT;
	f->offset = saved;
	return r;
}

/* readv and writev: each piece in turn; a short piece ends the call, as for a short read. */
static s64 do_iov(u64 fd, u64 uiov, u64 count, bool writing)
{
	struct file *f = get_file(fd);
	if (!f)
		return -EBADF;
	if (count > MAX_IOV)
		return -EINVAL;
	s64 total = 0;
	for (u64 i = 0; i < count; i++) {
		struct iovec v;
		if (copy_from_user(&v, (const void *)(uiov + i * sizeof v), sizeof v))
			return total ? total : -EFAULT;
		if (!access_ok((u64)v.iov_base, v.iov_len))
			return total ? total : -EFAULT;
		if (!v.iov_len)
			continue;
		s64 r = writing ? file_write(f, v.iov_base, v.iov_len) : file_read(f, v.iov_base, v.iov_len);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((u64)r < v.iov_len)
			break;
	}
	return total;
}

SYSCALL_DEFINE(readv) { return do_iov(a0, a1, a2, false); }
SYSCALL_DEFINE(writev) { return do_iov(a0, a1, a2, true); }

SYSCALL_DEFINE(lseek)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	if (f->ops)
		return -ESPIPE;
	s64 off = (s64)a1, base;
	switch (a2) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (s64)f->offset;
		break;
	case SEEK_END:
		base = (s64)f->ip->size;
		break;
	default:
		return -EINVAL;
	}
	if (base + off < 0)
		return -EINVAL;
	f->offset = (u64)(base + off);
	return (s64)f->offset;
}

static s64 stat_to_user(struct inode *ip, u64 ubuf)
{
	struct stat st;
	fill_stat(ip, &st);
	return copy_to_user((void *)ubuf, &st, sizeof st) ? -EFAULT : 0;
}

SYSCALL_DEFINE(fstat)
{
	struct file *f = get_file(a0);
	return f ? stat_to_user(f->ip, a1) : -EBADF;
}

static s64 do_fstatat(int dirfd, u64 upath, u64 ubuf, u64 flags)
{
	struct inode *ip;
	char first;
	if (flags & AT_EMPTY_PATH) {
		if (copy_from_user(&first, (const void *)upath, 1))
			return -EFAULT;
		if (!first) {
			if (dirfd == AT_FDCWD)
				return stat_to_user(current_proc()->cwd, ubuf);
			struct file *f = get_file((u64)dirfd);
			return f ? stat_to_user(f->ip, ubuf) : -EBADF;
		}
	}
	int err = lookup_at(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW), &ip);
	return err ? err : stat_to_user(ip, ubuf);
}

SYSCALL_DEFINE(newfstatat) { return do_fstatat((int)a0, a1, a2, a3); }
SYSCALL_DEFINE(stat) { return do_fstatat(AT_FDCWD, a0, a1, 0); }
SYSCALL_DEFINE(lstat) { return do_fstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW); }

/* Everyone is root here and every file is accessible, so access checks only existence. */
SYSCALL_DEFINE(faccessat)
{
	struct inode *ip;
	return lookup_at((int)a0, a1, true, &ip);
}
SYSCALL_DEFINE(access)
{
	struct inode *ip;
	return lookup_at(AT_FDCWD, a0, true, &ip);
}

SYSCALL_DEFINE(ioctl)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	return f->ops && f->ops->ioctl ? f->ops->ioctl(f, a1, a2) : -ENOTTY;
}

SYSCALL_DEFINE(getdents64)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	return access_ok(a1, a2) ? file_getdents(f, (u8 *)a1, a2) : -EFAULT;
}

static s64 set_cwd(struct inode *ip)
{
	struct proc *p = current_proc();
	if (!S_ISDIR(ip->mode))
		return -ENOTDIR;
	inode_get(ip);
	inode_put(p->cwd);
	p->cwd = ip;
	return 0;
}

SYSCALL_DEFINE(chdir)
{
	struct inode *ip;
	int err = lookup_at(AT_FDCWD, a0, true, &ip);
	return err ? err : set_cwd(ip);
}

SYSCALL_DEFINE(fchdir)
{
	struct file *f = get_file(a0);
	return f ? set_cwd(f->ip) : -EBADF;
}

SYSCALL_DEFINE(getcwd)
{
	char buf[PATH_MAX];
	int n = path_of(current_proc()->cwd, buf, MIN(a1, sizeof buf));
	if (n < 0)
		return n;
	return copy_to_user((void *)a0, buf, (u64)n) ? -EFAULT : n;
}

static s64 do_mkdirat(int dirfd, u64 upath, u32 mode)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	struct inode *base = current_proc()->cwd, *dir, *ip;
	int err = user_path(upath, path);
	if (!err && path[0] != '/')
		err = at_base(dirfd, &base);
	if (!err)
		err = fs_lookup_parent(base, path, &dir, name);
	if (err)
		return err;
	if (dir_find(dir, name, strlen(name)))
		return -EEXIST;
	if (!(ip = inode_create(dir, name, S_IFDIR | (mode & 07777), 0)))
		return -ENOSPC;
	ip->mtime = ktime_ns() / 1000000000;
	return 0;
}

SYSCALL_DEFINE(mkdirat) { return do_mkdirat((int)a0, a1, (u32)a2); }
SYSCALL_DEFINE(mkdir) { return do_mkdirat(AT_FDCWD, a0, (u32)a1); }

static s64 do_unlinkat(int dirfd, u64 upath, u64 flags)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	struct inode *base = current_proc()->cwd, *dir;
	int err = user_path(upath, path);
	if (!err && path[0] != '/')
		err = at_base(dirfd, &base);
	if (!err)
		err = fs_lookup_parent(base, path, &dir, name);
	return err ? err : inode_unlink(dir, name, flags & AT_REMOVEDIR);
}

SYSCALL_DEFINE(unlinkat) { return do_unlinkat((int)a0, a1, a2); }
SYSCALL_DEFINE(unlink) { return do_unlinkat(AT_FDCWD, a0, 0); }
SYSCALL_DEFINE(rmdir) { return do_unlinkat(AT_FDCWD, a0, AT_REMOVEDIR); }

static s64 do_readlinkat(int dirfd, u64 upath, u64 ubuf, u64 size)
{
	struct inode *ip;
	if ((s64)size <= 0)
		return -EINVAL;
	int err = lookup_at(dirfd, upath, false, &ip);
	if (err)
		return err;
	if (!S_ISLNK(ip->mode))
		return -EINVAL;
	u64 n = MIN(size, ip->size);
	return copy_to_user((void *)ubuf, ip->data, n) ? -EFAULT : (s64)n;
}

SYSCALL_DEFINE(readlinkat) { return do_readlinkat((int)a0, a1, a2, a3); }
SYSCALL_DEFINE(readlink) { return do_readlinkat(AT_FDCWD, a0, a1, a2); }

static s64 dup_to(struct file *f, int newfd, bool cloexec)
{
	struct proc *p = current_proc();
	if (newfd < 0 || newfd >= MAX_FDS)
		return -EBADF;
	file_get(f);
	if (p->files[newfd])
		file_put(p->files[newfd]);
	p->files[newfd] = 0;
	return fd_install(p, f, newfd, cloexec);
}

SYSCALL_DEFINE(dup)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	file_get(f);
	int fd = fd_install(current_proc(), f, 0, false);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(dup2)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	return a0 == a1 ? (s64)a1 : dup_to(f, (int)a1, false);
}

SYSCALL_DEFINE(dup3)
{
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	if (a0 == a1 || (a2 & ~(u64)O_CLOEXEC))
		return -EINVAL;
	return dup_to(f, (int)a1, a2 & O_CLOEXEC);
}

SYSCALL_DEFINE(fcntl)
{
	struct proc *p = current_proc();
	struct file *f = get_file(a0);
	if (!f)
		return -EBADF;
	int fd = (int)a0;
	switch (a1) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		if (a2 >= MAX_FDS)
			return -EINVAL;
		file_get(f);
		int n = fd_install(p, f, (int)a2, a1 == F_DUPFD_CLOEXEC);
		if (n < 0)
			file_put(f);
		return n;
	}
	case F_GETFD:
		return (p->cloexec[fd / 32] >> (fd % 32)) & 1 ? FD_CLOEXEC : 0;
	case F_SETFD:
		if (a2 & FD_CLOEXEC)
			p->cloexec[fd / 32] |= 1u << (fd % 32);
		else
			p->cloexec[fd / 32] &= ~(1u << (fd % 32));
		return 0;
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~(u32)(O_APPEND | O_NONBLOCK)) | ((u32)a2 & (O_APPEND | O_NONBLOCK));
		return 0;
	default:
		return -EINVAL;
	}
}
