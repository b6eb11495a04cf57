/* dirtest: files and directories through openat, write, lseek, read, fstat, newfstatat,
 * getdents64, chdir/getcwd and unlink. */
#include "libc.h"

static int failures;

static void check(bool ok, const char *what)
{
	printf("dirtest: %s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static bool dir_has(const char *dir, const char *name, unsigned char type)
{
	char buf[1024];
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	bool found = false;
	long n;
	while (fd >= 0 && (n = getdents64(fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			found |= !strcmp(d->d_name, name) && d->d_type == type;
			off += d->d_reclen;
		}
	close(fd);
	return found;
}

int main(void)
{
	check(mkdir("/tmp/d", 0755) == 0 && mkdir("/tmp/d", 0755) == -EEXIST, "mkdir, then EEXIST");
	int dfd = open("/tmp/d", O_RDONLY | O_DIRECTORY);
	int fd = openat(dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0600);
	check(fd >= 0, "openat(O_CREAT | O_EXCL) relative to a directory fd");
	check(write(fd, "hello, world", 12) == 12 && lseek(fd, 7, SEEK_SET) == 7, "write, lseek");
	char buf[32] = { 0 };
	check(read(fd, buf, sizeof buf) == 5 && !memcmp(buf, "world", 5), "read from the offset");
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_size == 12 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, "fstat: size and mode");
	check(stat("/tmp/d/f", &st) == 0 && st.st_size == 12, "newfstatat by path");
	check(stat("/tmp/d/nothing", &st) == -ENOENT && stat("/tmp/d/f/x", &st) == -ENOTDIR, "ENOENT and ENOTDIR");
	check(dir_has("/tmp/d", "f", DT_REG) && dir_has("/tmp", "d", DT_DIR) && dir_has("/dev", "ttyS0", DT_CHR),
	      "getdents64 lists entries with their types");
	check(open("/tmp/d/f", O_RDONLY | O_APPEND) >= 0, "open again");
	int afd = open("/tmp/d/f", O_WRONLY | O_APPEND);
	check(write(afd, "!", 1) == 1 && stat("/tmp/d/f", &st) == 0 && st.st_size == 13, "O_APPEND writes at the end");
	char cwd[64];
	check(chdir("/tmp/d") == 0 && getcwd(cwd, sizeof cwd) == 7 && !strcmp(cwd, "/tmp/d"), "chdir, and getcwd counts the NUL as Linux's does");
	check(open("f", O_RDONLY) >= 0 && chdir("..") == 0 && getcwd(cwd, sizeof cwd) > 0 && !strcmp(cwd, "/tmp"), "relative paths and ..");
	check(unlink("/tmp/d/f") == 0 && stat("/tmp/d/f", &st) == -ENOENT, "unlink");
	check(lseek(fd, 0, SEEK_SET) == 0 && read(fd, buf, 5) == 5 && !memcmp(buf, "hello", 5), "an unlinked file stays readable while open");
	close(fd);
	check(open("/init", O_WRONLY | O_DIRECTORY) < 0 && open("/tmp", O_WRONLY) == -EISDIR, "O_DIRECTORY and EISDIR");
	printf("dirtest: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
