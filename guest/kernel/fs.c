/*
 * The file system: a tree of inodes in memory, like Linux's rootfs (a ramfs the initramfs is
 * unpacked into). Files from the initramfs keep their bytes in the archive (capacity 0) until
 * first written; written files own page-backed buffers. Symbolic links are followed up to 8
 * deep (ELOOP beyond), as Linux's 40 is more than anyone here needs.
 */
#include "kernel.h"

#define MAX_SYMLINK_DEPTH 8

struct inode *root_inode;
static u64 next_ino = 1;

struct inode *inode_create(struct inode *dir, const char *name, u32 mode, u32 rdev)
{
	struct inode *ip = kmalloc(sizeof *ip);
	u64 len = strlen(name);
	char *copy = kmalloc(len + 1);
	if (!ip || !copy) {
		kfree(ip);
		kfree(copy);
		return 0;
	}
	memcpy(copy, name, len + 1);
	ip->name = copy;
	ip->mode = mode;
	ip->rdev = rdev;
	ip->ino = next_ino++;
	ip->nlink = S_ISDIR(mode) ? 2 : 1;
	ip->parent = dir ? dir : ip;
	if (dir) {
		struct inode **pp = &dir->children;
		while (*pp)
			pp = &(*pp)->sibling;
		*pp = ip;
		if (S_ISDIR(mode))
			dir->nlink++;
	}
	return ip;
}

void fs_init(void)
{
	root_inode = inode_create(0, "", S_IFDIR | 0755, 0);
	if (!root_inode)
		panic("no memory for the root directory");
}

struct inode *dir_find(struct inode *dir, const char *name, u64 len)
{
	for (struct inode *c = dir->children; c; c = c->sibling)
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	return 0;
}

static int walk(struct inode *base, const char *path, bool follow, int depth, struct inode **out)
{
	struct inode *ip = path[0] == '/' ? root_inode : base;
	while (*path) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		const char *end = path;
		while (*end && *end != '/')
			end++;
		u64 len = (u64)(end - path);
		const char *rest = end;
		while (*rest == '/')
			rest++;
		bool last = !*rest, slash = *end == '/';
		if (!S_ISDIR(ip->mode))
			return -ENOTDIR;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		struct inode *next;
		if (len == 1 && path[0] == '.')
			next = ip;
		else if (len == 2 && path[0] == '.' && path[1] == '.')
			next = ip->parent;
		else if (!(next = dir_find(ip, path, len)))
			return -ENOENT;
		if (S_ISLNK(next->mode) && (!last || follow || slash)) {
			if (depth >= MAX_SYMLINK_DEPTH)
				return -ELOOP;
			u64 n = MIN(next->size, (u64)PATH_MAX - 1);
			char *target = kmalloc(n + 1);
			if (!target)
				return -ENOMEM;
			memcpy(target, next->data, n);
			target[n] = 0;
			int err = walk(ip, target, true, depth + 1, &next);
			kfree(target);
			if (err)
				return err;
		}
		if (last && slash && !S_ISDIR(next->mode))
			return -ENOTDIR;
		ip = next;
		path = end;
	}
	*out = ip;
	return 0;
}

int fs_lookup(struct inode *base, const char *path, bool follow, struct inode **out)
{
	if (!*path)
		return -ENOENT;
	return walk(base, path, follow, 0, out);
}

/* The directory that holds path's last component, and that component. */
int fs_lookup_parent(struct inode *base, const char *path, struct inode **dir, char *name)
{
	u64 len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (!len)
		return -ENOENT;
	u64 start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	u64 nlen = len - start;
	if (nlen > NAME_MAX)
		return -ENAMETOOLONG;
	if (nlen == 0 || (nlen == 1 && path[start] == '.') || (nlen == 2 && path[start] == '.' && path[start + 1] == '.'))
		return -EEXIST;
	memcpy(name, path + start, nlen);
	name[nlen] = 0;
	if (start == 0) {
		*dir = base;
		return 0;
	}
	char parent[PATH_MAX];
	memcpy(parent, path, start);
	parent[start] = 0;
	int err = fs_lookup(base, parent, true, dir);
	if (!err && !S_ISDIR((*dir)->mode))
		err = -ENOTDIR;
	return err;
}

static void inode_free(struct inode *ip)
{
	if (ip->capacity)
		page_free(virt_to_phys(ip->data), ip->capacity / PAGE_SIZE);
	kfree(ip->name);
	kfree(ip);
}

void inode_get(struct inode *ip) { ip->refs++; }

void inode_put(struct inode *ip)
{
	if (--ip->refs == 0 && ip->unlinked)
		inode_free(ip);
}

/* Make room for size bytes in memory the inode owns. */
static int inode_reserve(struct inode *ip, u64 size)
{
	if (ip->capacity >= size && ip->capacity)
		return 0;
	u64 cap = MAX(ALIGN_UP(size, PAGE_SIZE), ip->capacity * 2);
	u64 pa = page_alloc(cap / PAGE_SIZE);
	if (!pa)
		return -ENOSPC;
	u8 *data = phys_to_virt(pa);
	memcpy(data, ip->data, ip->size);
	if (ip->capacity)
		page_free(virt_to_phys(ip->data), ip->capacity / PAGE_SIZE);
	ip->data = data;
	ip->capacity = cap;
	return 0;
}

int inode_write(struct inode *ip, u64 off, const u8 *src, u64 n, bool from_user)
{
	if (off + n < off)
		return -EFBIG;
	int err = inode_reserve(ip, MAX(off + n, ip->size));
	if (err)
		return err;
	if (off > ip->size)
		memset(ip->data + ip->size, 0, off - ip->size);
	if (from_user) {
		if (copy_from_user(ip->data + off, src, n))
			return -EFAULT;
	} else
		memcpy(ip->data + off, src, n);
	ip->size = MAX(ip->size, off + n);
	ip->mtime = ktime_ns() / 1000000000;
	return 0;
}

int inode_truncate(struct inode *ip, u64 size)
{
	if (size > ip->size) {
		int err = inode_reserve(ip, size);
		if (err)
			return err;
		memset(ip->data + ip->size, 0, size - ip->size);
	}
	ip->size = size;
	ip->mtime = ktime_ns() / 1000000000;
	return 0;
}

int inode_unlink(struct inode *dir, const char *name, bool dir_only)
{
	struct inode **pp = &dir->children;
	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->sibling;
	struct inode *ip = *pp;
	if (!ip)
		return -ENOENT;
	if (dir_only && !S_ISDIR(ip->mode))
		return -ENOTDIR;
	if (!dir_only && S_ISDIR(ip->mode))
		return -EISDIR;
	if (dir_only && ip->children)
		return -ENOTEMPTY;
	if (ip == root_inode)
		return -EBUSY;
	*pp = ip->sibling;
	if (S_ISDIR(ip->mode))
		dir->nlink--;
	ip->unlinked = true;
	ip->nlink = 0;
	if (ip->refs == 0)
		inode_free(ip);
	return 0;
}

/* The absolute path of a directory (getcwd). */
int path_of(struct inode *ip, char *buf, u64 size)
{
	if (ip->unlinked)
		return -ENOENT;
	char tmp[PATH_MAX];
	u64 pos = sizeof tmp;
	tmp[--pos] = 0;
	for (; ip != root_inode; ip = ip->parent) {
		u64 len = strlen(ip->name);
		if (pos < len + 1)
			return -ENAMETOOLONG;
		pos -= len;
		memcpy(tmp + pos, ip->name, len);
		tmp[--pos] = '/';
	}
	if (pos == sizeof tmp - 1)
		tmp[--pos] = '/';
	u64 len = sizeof tmp - pos;
	if (len > size)
		return -ERANGE;
	memcpy(buf, tmp + pos, len);
	return (int)len;
}

void fill_stat(struct inode *ip, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = 1;
	st->st_ino = ip->ino;
	st->st_nlink = ip->nlink;
	st->st_mode = ip->mode;
	st->st_uid = ip->uid;
	st->st_gid = ip->gid;
	st->st_rdev = ip->rdev;
	st->st_size = S_ISCHR(ip->mode) ? 0 : (s64)ip->size;
	st->st_blksize = PAGE_SIZE;
	st->st_blocks = (s64)ALIGN_UP(st->st_size, 512) / 512;
	st->st_atime = st->st_mtime = st->st_ctime = ip->mtime;
}
