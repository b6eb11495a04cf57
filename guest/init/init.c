/*
 * /init: the ymir-guest shell, with the prompt `~ # `. Builtins run in the shell; other
 * commands are programs (a path, or a name in /bin) started with vfork and execve, and their
 * exit status becomes $?. A line holds commands separated by `;`, words may be quoted with
 * '...' or "..." (where $? still expands), and `> FILE`, `>> FILE`, `< FILE` redirect.
 *
 *   /init             interactive: the motd, then a prompt on the console
 *   /init -c 'CMDS'   run CMDS; then, as pid 1, power off with the last status, else exit with it
 */
#include "libc.h"

#define LINE_MAX 4096
#define MAX_WORDS 64
#define MOTD "/etc/motd"

static int last_status;

struct command {
	char *argv[MAX_WORDS + 1];
	int argc;
	const char *in, *out; /* redirections, or none */
	bool append;
};

struct builtin {
	const char *name, *usage;
	int (*run)(int argc, char **argv);
};

static int err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs_fd(2, "sh: ");
	vdprintf(2, fmt, ap);
	va_end(ap);
	fputs_fd(2, "\n");
	return 1;
}

/* ---- parsing ---- */

/* Split line at `;` outside quotes, in place; returns the number of pieces. */
static int split_commands(char *line, char **pieces, int max)
{
	int n = 0;
	char quote = 0;
	pieces[n++] = line;
	for (char *p = line; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (*p == '\\' && quote == '"' && p[1])
				p++;
		} else if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '\\' && p[1])
			p++;
		else if (*p == ';' && n < max) {
			*p = 0;
			pieces[n++] = p + 1;
		}
	}
	return n;
}

/* One word from *s into out (quotes removed, $? expanded); returns false at the end. */
static bool next_word(const char **s, char *out, size_t size, bool *is_op)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p)
		return false;
	size_t n = 0;
	*is_op = false;
	if (*p == '>' || *p == '<') {
		out[n++] = *p++;
		if (out[0] == '>' && *p == '>')
			out[n++] = *p++;
		out[n] = 0;
		*is_op = true;
		*s = p;
		return true;
	}
	char quote = 0;
	for (; *p; p++) {
		if (!quote && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '>' || *p == '<'))
			break;
		if (!quote && (*p == '\'' || *p == '"')) {
			quote = *p;
			continue;
		}
		if (quote && *p == quote) {
			quote = 0;
			continue;
		}
		if (*p == '\\' && quote != '\'' && p[1]) {
			p++;
		} else if (*p == '$' && p[1] == '?' && quote != '\'') {
			char num[16];
			snprintf(num, sizeof num, "%d", last_status);
			for (char *q = num; *q && n + 1 < size; q++)
				out[n++] = *q;
			p++;
			continue;
		}
		if (n + 1 < size)
			out[n++] = *p;
	}
	out[n] = 0;
	*s = p;
	return true;
}

/* Words go into storage; returns -1 on a syntax error, else the word count. */
static int parse_command(const char *text, struct command *c, char *storage, size_t size)
{
	memset(c, 0, sizeof *c);
	const char *s = text;
	char word[LINE_MAX];
	bool op;
	size_t used = 0;
	const char **target = 0;
	while (next_word(&s, word, sizeof word, &op)) {
		if (op) {
			if (target)
				return err("syntax error: unexpected redirection"), -1;
			target = word[0] == '<' ? &c->in : &c->out;
			c->append = word[1] == '>';
			continue;
		}
		size_t len = strlen(word) + 1;
		if (used + len > size || c->argc == MAX_WORDS)
			return err("command too long"), -1;
		memcpy(storage + used, word, len);
		if (target) {
			*target = storage + used;
			target = 0;
		} else
			c->argv[c->argc++] = storage + used;
		used += len;
	}
	if (target)
		return err("syntax error: redirection without a file"), -1;
	c->argv[c->argc] = 0;
	return c->argc;
}

/* ---- builtins ---- */

static int run_line(char *line);

static int copy_fd(int from, int to)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(from, buf, sizeof buf);
		if (n == -EINTR)
			return 130;
		if (n < 0)
			return -(int)n;
		if (n == 0)
			return 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));
			if (w < 0)
				return -(int)w;
			done += w;
		}
	}
}

static int b_echo(int argc, char **argv)
{
	int i = 1;
	bool newline = true;
	if (argc > 1 && !strcmp(argv[1], "-n"))
		newline = false, i++;
	for (; i < argc; i++) {
		fputs_fd(1, argv[i]);
		if (i + 1 < argc)
			fputs_fd(1, " ");
	}
	if (newline)
		fputs_fd(1, "\n");
	return 0;
}

static int b_cat(int argc, char **argv)
{
	if (argc == 1) {
		int r = copy_fd(0, 1);
		return r == 130 ? 130 : r ? err("cat: %s", strerror(r)) : 0;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			status = err("cat: can't open '%s': %s", argv[i], strerror(-fd));
			continue;
		}
		int r = copy_fd(fd, 1);
		close(fd);
		if (r)
			status = err("cat: %s: %s", argv[i], strerror(r));
	}
	return status;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void sort_names(char **names, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && name_cmp(&names[j - 1], &names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
}

static void mode_string(unsigned mode, char *out)
{
	out[0] = S_ISDIR(mode) ? 'd' : S_ISCHR(mode) ? 'c' : S_ISLNK(mode) ? 'l' : '-';
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = mode & (0400 >> i) ? rwx[i] : '-';
	if (mode & 01000)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = 0;
}

static void ls_long(const char *dir, const char *name)
{
	char path[LINE_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (lstat(path, &st) < 0)
		return;
	char mode[11];
	mode_string(st.st_mode, mode);
	if (S_ISCHR(st.st_mode))
		printf("%s %4lu %-4u %-4u %3lu, %3lu %s\n", mode, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev >> 8, st.st_rdev & 0xff, name);
	else
		printf("%s %4lu %-4u %-4u %8ld %s\n", mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size, name);
}

/* The entries of a directory, sorted, without those starting with '.' unless all. */
static int list_dir(const char *path, bool all, bool lng)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	char buf[4096], *names[512], store[16384];
	int n = 0;
	size_t used = 0;
	long got;
	while ((got = getdents64(fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < got;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			size_t len = strlen(d->d_name) + 1;
			if ((all || d->d_name[0] != '.') && n < 512 && used + len <= sizeof store) {
				memcpy(store + used, d->d_name, len);
				names[n++] = store + used;
				used += len;
			}
			off += d->d_reclen;
		}
	close(fd);
	if (got < 0)
		return (int)got;
	sort_names(names, n);
	if (!n && !lng)
		printf("\n");
	for (int i = 0; i < n; i++) {
		if (lng)
			ls_long(path, names[i]);
		else
			printf("%s%s", names[i], i + 1 < n ? "  " : "\n");
	}
	return 0;
}

static int b_ls(int argc, char **argv)
{
	bool all = false, lng = false;
	int first = 1, status = 0;
	for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++)
		for (char *f = argv[first] + 1; *f; f++) {
			if (*f == 'a')
				all = true;
			else if (*f == 'l')
				lng = true;
			else
				return err("ls: unknown option -%c (ls [-al] [PATH...])", *f);
		}
	int paths = argc - first;
	for (int i = first; i < argc || (paths == 0 && i == first); i++) {
		const char *path = paths ? argv[i] : ".";
		struct stat st;
		int r = stat(path, &st);
		if (r < 0) {
			status = err("ls: %s: %s", path, strerror(-r));
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (lng)
				ls_long(".", path);
			else
				printf("%s\n", path);
			continue;
		}
		if (paths > 1)
			printf("%s:\n", path);
		if ((r = list_dir(path, all, lng)) < 0)
			status = err("ls: %s: %s", path, strerror(-r));
	}
	return status;
}

static int b_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/";
	int r = chdir(dir);
	return r < 0 ? err("cd: can't cd to %s: %s", dir, strerror(-r)) : 0;
}

static int b_pwd(int argc, char **argv)
{
	char buf[LINE_MAX];
	long r = getcwd(buf, sizeof buf);
	if (r < 0)
		return err("pwd: %s", strerror((int)-r));
	return puts(buf) < 0;
}

static int b_uptime(int argc, char **argv)
{
	struct timespec ts;
	struct sysinfo si;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int r = sysinfo(&si);
	printf("up %ld.%02ld s", ts.tv_sec, ts.tv_nsec / 10000000);
	if (r == 0)
		printf(", %u processes, %luK of %luK memory free", si.procs, si.freeram / 1024, si.totalram / 1024);
	printf("\n");
	return 0;
}

static int b_mkdir(int argc, char **argv)
{
	int status = 0;
	for (int i = 1; i < argc; i++) {
		int r = mkdir(argv[i], 0755);
		if (r < 0)
			status = err("mkdir: can't create directory '%s': %s", argv[i], strerror(-r));
	}
	return status;
}

static int b_rm(int argc, char **argv)
{
	int status = 0;
	for (int i = 1; i < argc; i++) {
		int r = unlink(argv[i]);
		if (r < 0)
			status = err("rm: can't remove '%s': %s", argv[i], strerror(-r));
	}
	return status;
}

static int b_poweroff(int argc, char **argv)
{
	int status = argc > 1 ? atoi(argv[1]) : 0;
	int r = reboot_poweroff(status);
	return err("poweroff: %s", strerror(-r));
}

static int b_exit(int argc, char **argv)
{
	if (getpid() == 1)
		return err("exit: init cannot exit (use poweroff)");
	exit(argc > 1 ? atoi(argv[1]) : last_status);
}

static int b_help(int argc, char **argv);

static const struct builtin builtins[] = {
	{ "help", "help", b_help },
	{ "echo", "echo [-n] [WORD...]", b_echo },
	{ "cat", "cat [FILE...]   (cat > FILE copies the console until Ctrl-D)", b_cat },
	{ "ls", "ls [-al] [PATH...]", b_ls },
	{ "cd", "cd [DIR]", b_cd },
	{ "pwd", "pwd", b_pwd },
	{ "mkdir", "mkdir DIR...", b_mkdir },
	{ "rm", "rm FILE...", b_rm },
	{ "uptime", "uptime", b_uptime },
	{ "poweroff", "poweroff [STATUS]   (the VM exits with STATUS)", b_poweroff },
	{ "exit", "exit [STATUS]", b_exit },
};

static int b_help(int argc, char **argv)
{
	printf("Builtins:\n");
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		printf("  %s\n", builtins[i].usage);
	printf("Programs in /bin (run by name or path; `;` separates commands, $? is the last status):\n  ");
	list_dir("/bin", false, false);
	return 0;
}

/* ---- running commands ---- */

static int open_redirect(const struct command *c, bool input)
{
	if (input)
		return open(c->in, O_RDONLY);
	return open(c->out, O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC), 0644);
}

/* Point fds 0 and 1 at the redirections; returns 0 or a negative errno. */
static int redirect(const struct command *c)
{
	if (c->in) {
		int fd = open_redirect(c, true);
		if (fd < 0)
			return err("can't open %s: %s", c->in, strerror(-fd)), fd;
		dup2(fd, 0);
		close(fd);
	}
	if (c->out) {
		int fd = open_redirect(c, false);
		if (fd < 0)
			return err("can't create %s: %s", c->out, strerror(-fd)), fd;
		dup2(fd, 1);
		close(fd);
	}
	return 0;
}

static int run_builtin(const struct builtin *b, struct command *c)
{
	int saved_in = dup(0), saved_out = dup(1);
	int status = redirect(c) < 0 ? 1 : b->run(c->argc, c->argv);
	dup2(saved_in, 0);
	dup2(saved_out, 1);
	close(saved_in);
	close(saved_out);
	return status;
}

static const char *signal_message(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "Segmentation fault";
	case SIGILL:
		return "Illegal instruction";
	case SIGFPE:
		return "Floating point exception";
	case SIGBUS:
		return "Bus error";
	case SIGKILL:
		return "Killed";
	case SIGABRT:
		return "Aborted";
	case SIGTERM:
		return "Terminated";
	case SIGTRAP:
		return "Trace/breakpoint trap";
	case SIGQUIT:
		return "Quit";
	default:
		return 0;
	}
}

static int run_program(struct command *c)
{
	char path[LINE_MAX];
	if (strchr(c->argv[0], '/'))
		strlcpy(path, c->argv[0], sizeof path);
	else
		snprintf(path, sizeof path, "/bin/%s", c->argv[0]);
	struct stat st;
	if (stat(path, &st) < 0)
		return err("%s: not found", c->argv[0]), 127;
	pid_t pid = vfork();
	if (pid == 0) {
		/* The child borrows the parent's memory until execve: system calls only. */
		if (redirect(c) < 0)
			exit(1);
		int r = execve(path, c->argv, environ);
		dprintf(2, "sh: %s: %s\n", c->argv[0], strerror(-r));
		exit(r == -ENOENT ? 127 : 126);
	}
	if (pid < 0)
		return err("can't start %s: %s", c->argv[0], strerror(-pid)), 126;
	int status = 0;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) == -EINTR)
		; /* ^C reached the shell too: wait on for the program */
	if (r < 0)
		return err("wait: %s", strerror(-r)), 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	int sig = WTERMSIG(status);
	const char *msg = signal_message(sig);
	if (msg)
		dprintf(2, "%s\n", msg);
	else if (sig == SIGINT)
		fputs_fd(2, "\n");
	return 128 + sig;
}

static int run_command(char *text)
{
	static char storage[LINE_MAX * 2];
	struct command c;
	int n = parse_command(text, &c, storage, sizeof storage);
	if (n < 0)
		return 2;
	if (n == 0)
		return last_status;
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (!strcmp(c.argv[0], builtins[i].name))
			return run_builtin(&builtins[i], &c);
	return run_program(&c);
}

static int run_line(char *line)
{
	char *pieces[64];
	int n = split_commands(line, pieces, 64);
	for (int i = 0; i < n; i++) {
		const char *p = pieces[i];
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			last_status = run_command(pieces[i]);
	}
	return last_status;
}

/* ---- the interactive loop ---- */

/* ^C at the prompt: the kernel flushed the line; the shell starts a new one. The flag covers
 * a ^C that lands while the prompt is being written, before read() can return -EINTR. */
static volatile int interrupted;
static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void prompt(void)
{
	char cwd[LINE_MAX];
	if (getcwd(cwd, sizeof cwd) < 0)
		strlcpy(cwd, "?", sizeof cwd);
	/* busybox's root prompt: the home directory (/) shows as ~ */
	printf("%s # ", strcmp(cwd, "/") ? cwd : "~");
}

static void interactive(void)
{
	char *args[] = { "cat", MOTD, 0 };
	struct stat st;
	if (stat(MOTD, &st) == 0) {
		struct command c = { .argv = { args[0], args[1] }, .argc = 2 };
		run_builtin(&builtins[2], &c);
	}
	static char line[LINE_MAX + 1];
	for (;;) {
		interrupted = 0;
		prompt();
		ssize_t n = interrupted ? -EINTR : read(0, line, LINE_MAX);
		if (n == -EINTR) {
			fputs_fd(1, "\n");
			continue;
		}
		if (n < 0) {
			err("read: %s", strerror((int)-n));
			return;
		}
		if (n == 0) { /* Ctrl-D */
			fputs_fd(1, "\n");
			if (getpid() != 1)
				return;
			continue;
		}
		line[n] = 0;
		run_line(line);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	sigaction(SIGINT, &sa, 0);
	if (argc >= 3 && !strcmp(argv[1], "-c")) {
		static char line[LINE_MAX + 1];
		strlcpy(line, argv[2], sizeof line);
		int status = run_line(line);
		if (getpid() == 1)
			reboot_poweroff(status);
		return status;
	}
	if (argc > 1) {
		err("usage: %s [-c COMMANDS]", argv[0]);
		if (getpid() != 1)
			return 2;
	}
	interactive();
	return last_status;
}
