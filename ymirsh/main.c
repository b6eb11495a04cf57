/*
 * ymirsh: the debug shell inside the guest. Interactive over the serial console (its own line
 * editing in raw mode), or scripted: `ymirsh -c 'cmd; cmd'`, `ymirsh FILE`, with `-k` to keep going
 * after a failure and `--json` for one JSON object per command on the data channel (COM2).
 * Exit statuses: 0, 1 a command failed, 2 usage, 69 no ymir VMM answers (sysexits' EX_UNAVAILABLE).
 */
#include <ymir_vmc.h>

#include "commands.h"
#include "editor.h"
#include "json.h"
#include "lib/rt.h"
#include "lib/sys.h"
#include "transport.h"
#include "vmcall.h"


enum { EXIT_NO_VMM = 69, SCRIPT_MAX = 256 * 1024 };

static const char prompt[] = "ymirsh> ";
static const char usage_text[] = "usage: ymirsh [-k] [--json] [-c COMMANDS | FILE]\n";

struct options {
	int keep_going;
	int json;
	char *commands; /* -c */
	const char *file;
};

static struct termios saved_termios;
static int raw_mode;
static int data_fd = -1;

static void cooked(void)
{
	if (raw_mode) sys_ioctl(0, TCSETS, &saved_termios);
	raw_mode = 0;
}

/* VMCALL raised #UD (SIGILL): no VMM, or one hiding itself. */
static void no_vmm(void)
{
	cooked();
	print("ymirsh: VMCALL raised #UD: no hypervisor answers it (bare metal, or a VMM in stealth mode)\n");
	sink_flush(&out);
	sys_exit(EXIT_NO_VMM);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "-k") == 0) o->keep_going = 1;
		else if (strcmp(arg, "--json") == 0) o->json = 1;
		else if (strcmp(arg, "-c") == 0) {
			if (!argv[i + 1]) return print("ymirsh: -c needs COMMANDS\n%s", usage_text), EXIT_USAGE;
			o->commands = argv[++i];
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return print("%s", usage_text), 0;
		else if (arg[0] == '-') return print("ymirsh: unknown option %s\n%s", arg, usage_text), EXIT_USAGE;
		else if (!o->file) o->file = arg;
		else return print("ymirsh: one script file\n%s", usage_text), EXIT_USAGE;
	}
	return -1;
}

/* The next script line, split at `separator` in place; `#` starts a comment; blank lines are skipped. */
static char *next_line(char **cursor, char separator)
{
	while (**cursor) {
		char *line = *cursor, *end = line, *comment;

		while (*end && *end != separator) end++;
		*cursor = *end ? end + 1 : end;
		*end = 0;
		for (comment = line; *comment && *comment != '#'; comment++);
		*comment = 0;
		while (*line == ' ' || *line == '\t' || *line == '\r') line++;
		for (end = line + strlen(line); end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'); end--);
		*end = 0;
		if (*line) return line;
	}
	return 0;
}

/* --json: {"command":..., "status":..., "ok":..., "error":..., "data":...} on the data channel. */
static void report(const char *line, int status)
{
	static char buffer[sizeof(shell_error) * 2 + 512 + 2 * LINE_MAX];
	struct sink head = { buffer, 0, sizeof(buffer), -1, 0 };
	struct json j;

	json_start(&j, &head);
	json_open(&j, '{');
	json_key(&j, "command");
	json_cstring(&j, line);
	json_key(&j, "status");
	json_i64(&j, status);
	json_key(&j, "ok");
	json_bool(&j, status == 0);
	if (shell_error[0]) {
		json_key(&j, "error");
		json_cstring(&j, shell_error);
	}
	if (shell_data.len > 0 && !shell_data.overflow) sink_puts(&head, ",\"data\":");
	else if (shell_data.overflow) sink_puts(&head, ",\"dataTruncated\":true");
	{
		struct sink channel = { buffer, head.len, sizeof(buffer), data_fd, 0 };
		if (shell_data.len > 0 && !shell_data.overflow) sink_write(&channel, shell_data.buf, shell_data.len);
		sink_puts(&channel, "}\n");
		sink_flush(&channel);
	}
}

static int run_script(char *text, char separator, const struct options *o)
{
	int first_failure = 0;
	char *cursor = text, *line;

	while ((line = next_line(&cursor, separator)) != 0) {
		static char copy[LINE_MAX];
		int is_exit = strcmp(line, "exit") == 0, status;
		size_t n = strlen(line) < LINE_MAX - 1 ? strlen(line) : LINE_MAX - 1;

		print("%s%s\n", prompt, line);
		memcpy(copy, line, n);
		copy[n] = 0;
		status = is_exit ? (shell_error[0] = 0, shell_data.len = 0, 0) : shell_run(line);
		sink_flush(&out);
		if (o->json) report(copy, status);
		if (is_exit) break;
		if (status != 0 && first_failure == 0) {
			first_failure = status;
			if (!o->keep_going) break;
		}
	}
	return first_failure;
}

static int read_console(void)
{
	static char buffer[256];
	static long have, next;

	if (next == have) {
		do have = sys_read(0, buffer, sizeof(buffer));
		while (have == -EINTR);
		next = 0;
		if (have <= 0) return have = 0, -1;
	}
	return (unsigned char)buffer[next++];
}

static int interactive(void)
{
	static const struct editor editor = { read_console, shell_complete };
	static char line[LINE_MAX];
	struct termios raw;

	if (sys_ioctl(0, TCGETS, &saved_termios) == 0) {
		/* Raw input (the editor echoes, and takes Ctrl-C as a key); output still maps \n to \r\n. */
		raw = saved_termios;
		raw.c_lflag &= ~(unsigned)(ICANON | ECHO | ISIG | IEXTEN);
		raw.c_iflag &= ~(unsigned)(ICRNL | IXON);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		raw_mode = sys_ioctl(0, TCSETS, &raw) == 0;
	}
	for (;;) {
		enum line_result result = editor_read(&editor, prompt, line);
		char *cursor = line, *command;

		if (result == LINE_EOF) break;
		if (result == LINE_CANCEL) continue;
		while ((command = next_line(&cursor, ';')) != 0) {
			if (strcmp(command, "exit") == 0) goto done;
			shell_run(command);
			sink_flush(&out);
		}
	}
done:
	cooked();
	return 0;
}

static int script_file(const char *path, const struct options *o)
{
	static char text[SCRIPT_MAX + 1];
	long fd = sys_open(path, O_RDONLY), n = 0, got;

	if (fd < 0) return print("ymirsh: %s: %s\n", path, errno_text(-fd)), EXIT_USAGE;
	while ((got = sys_read((int)fd, text + n, (size_t)(SCRIPT_MAX + 1 - n))) > 0 && n < SCRIPT_MAX + 1) n += got;
	sys_close((int)fd);
	if (got < 0) return print("ymirsh: %s: %s\n", path, errno_text(-got)), EXIT_USAGE;
	if (n > SCRIPT_MAX) return print("ymirsh: %s: %s\n", path, errno_text(EFBIG)), EXIT_USAGE;
	text[n] = 0;
	return run_script(text, '\n', o);
}

/* COM2, or in the native test build the descriptor the test reads. */
static int open_data_channel(void)
{
#ifdef YMIRSH_DATA_FD
	return YMIRSH_DATA_FD;
#else
	return (int)sys_open(YMIR_DATA_DEVICE, O_WRONLY | O_NOCTTY);
#endif
}

static int run(int argc, char **argv)
{
	struct options o = { 0, 0, 0, 0 };
	struct probe p;
	int parsed = parse_options(argc, argv, &o);

	if (parsed >= 0) return parsed;
	vmcall_on_ud(no_vmm);
	probe(&p);
	if (p.rax != 0 || p.magic != YMIR_VMC_MAGIC) {
		/* Another hypervisor answered: on Linux under KVM, a CPL-3 VMCALL gets RAX = -KVM_EPERM (-1). */
		print("ymirsh: not a ymir VMM: PROBE answered RAX=%ld (0x%lx), RBX=0x%lx, not status 0 and magic 0x%08x (\"YMIR\")\n",
		      (int64_t)p.rax, p.rax, p.magic, YMIR_VMC_MAGIC);
		return EXIT_NO_VMM;
	}
	if (p.major != YMIR_VMC_ABI_MAJOR) return print("ymirsh: the VMM speaks VMCALL ABI %u.%u, ymirsh ABI %u\n", p.major, p.minor, YMIR_VMC_ABI_MAJOR), EXIT_NO_VMM;
	/* Only once a ymir VMM answered: on another machine COM2 may be a real serial port. */
	if (o.json && (data_fd = open_data_channel()) < 0)
		return print("ymirsh: %s: %s (the data channel of --json)\n", YMIR_DATA_DEVICE, errno_text(-data_fd)), EXIT_USAGE;
	if (o.commands) return run_script(o.commands, ';', &o);
	if (o.file) return script_file(o.file, &o);
	print("ymirsh: connected to the VMM over VMCALL, ABI %u.%u. Type help.\n", p.major, p.minor);
	return interactive();
}

int main(int argc, char **argv)
{
	int status = run(argc, argv);

	sink_flush(&out);
	return status;
}
