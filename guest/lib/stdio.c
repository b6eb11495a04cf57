/* printf and friends, formatting through format.c into a stack buffer written in pieces. */
#include "libc.h"

struct out {
	int fd;
	char buf[512];
	size_t used;
};

static void flush(struct out *o)
{
	size_t done = 0;
	while (done < o->used) {
		ssize_t n = write(o->fd, o->buf + done, o->used - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	o->used = 0;
}

static void put(void *ctx, char c)
{
	struct out *o = ctx;
	if (o->used == sizeof o->buf)
		flush(o);
	o->buf[o->used++] = c;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
	struct out o = { .fd = fd };
	int n = vformat(put, &o, fmt, ap);
	flush(&o);
	return n;
}

int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(1, fmt, ap);
	va_end(ap);
	return n;
}

int fputs_fd(int fd, const char *s)
{
	size_t len = strlen(s), done = 0;
	while (done < len) {
		ssize_t n = write(fd, s + done, len - done);
		if (n <= 0)
			return (int)n;
		done += (size_t)n;
	}
	return (int)len;
}

int puts(const char *s)
{
	int n = fputs_fd(1, s);
	return n < 0 ? n : fputs_fd(1, "\n");
}

static const char *const errors[] = {
	[EPERM] = "Operation not permitted", [ENOENT] = "No such file or directory", [ESRCH] = "No such process",
	[EINTR] = "Interrupted system call", [EIO] = "I/O error", [ENXIO] = "No such device or address",
	[E2BIG] = "Argument list too long", [ENOEXEC] = "Exec format error", [EBADF] = "Bad file descriptor",
	[ECHILD] = "No child processes", [EAGAIN] = "Resource temporarily unavailable", [ENOMEM] = "Out of memory",
	[EACCES] = "Permission denied", [EFAULT] = "Bad address", [EBUSY] = "Resource busy", [EEXIST] = "File exists",
	[ENODEV] = "No such device", [ENOTDIR] = "Not a directory", [EISDIR] = "Is a directory",
	[EINVAL] = "Invalid argument", [EMFILE] = "Too many open files", [ENOTTY] = "Not a tty", [ENOSPC] = "No space left on device",
	[ESPIPE] = "Illegal seek", [ERANGE] = "Result not representable", [ENAMETOOLONG] = "File name too long",
	[ENOSYS] = "Function not implemented", [ENOTEMPTY] = "Directory not empty", [ELOOP] = "Symbolic link loop",
};

const char *strerror(int err)
{
	if (err > 0 && (size_t)err < sizeof errors / sizeof errors[0] && errors[err])
		return errors[err];
	return "Unknown error";
}
