#include <ymir_vmc.h>
#include <ymir_vmc_check.h>

#include "commands.h"
#include "format.h"
#include "lib/rt.h"
#include "lib/sys.h"
#include "transport.h"
#include "vmcall.h"

struct command {
	const char *name;
	const char *usage;
	const char *summary;
	/* argv[0] is the command's name as typed (x/4xw for a dump). */
	int (*run)(const struct command *self, int argc, char **argv);
};

char shell_error[256];
static char data_buffer[256 * 1024];
struct sink shell_data = { data_buffer, 0, sizeof(data_buffer), -1, 0 };
static struct json data;

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const char *const level_labels[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };

static void __attribute__((format(printf, 1, 2))) set_error(const char *fmt, ...)
{
	struct sink s = { shell_error, 0, sizeof(shell_error) - 1, -1, 0 };
	va_list ap;

	va_start(ap, fmt);
	vsfmt(&s, fmt, ap);
	va_end(ap);
	shell_error[s.len] = 0;
}

/* Add to the error line. */
static void __attribute__((format(printf, 1, 2))) add_error(const char *fmt, ...)
{
	size_t at = strlen(shell_error);
	struct sink s = { shell_error + at, 0, sizeof(shell_error) - 1 - at, -1, 0 };
	va_list ap;

	va_start(ap, fmt);
	vsfmt(&s, fmt, ap);
	va_end(ap);
	shell_error[at + s.len] = 0;
}

static int usage_error(const struct command *self)
{
	print("%s: %s\nusage: %s\n", self->name, shell_error, self->usage);
	return EXIT_USAGE;
}

static int failed(const struct command *self)
{
	print("%s: %s\n", self->name, shell_error);
	return 1;
}

/* A number as QEMU's monitor takes it: 0x hex, or decimal; `_` may group digits. */
static int parse_number(const char *text, const char *what, uint64_t *value)
{
	const char *p = text;
	unsigned base = 10, digits = 0;
	uint64_t v = 0;

	if (!text) return set_error("missing %s", what), -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) base = 16, p += 2;
	for (; *p; p++) {
		unsigned d;

		if (*p == '_') continue;
		if (*p >= '0' && *p <= '9') d = (unsigned)(*p - '0');
		else if (base == 16 && ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')) d = (unsigned)((*p | 0x20) - 'a' + 10);
		else return set_error("%s must be a number, not '%s'", what, text), -1;
		if (v > (UINT64_MAX - d) / base) return set_error("%s %s does not fit in 64 bits", what, text), -1;
		v = v * base + d;
		digits++;
	}
	if (digits == 0) return set_error("%s must be a number, not '%s'", what, text), -1;
	*value = v;
	return 0;
}

/* `all` (YMIR_VMC_ALL_VCPUS) or a vCPU number; `fallback` when there is no argument. */
static int vcpu_argument(const char *text, uint32_t fallback, uint32_t *vcpu)
{
	uint64_t n;

	if (!text) return *vcpu = fallback, 0;
	if (strcmp(text, "all") == 0) return *vcpu = YMIR_VMC_ALL_VCPUS, 0;
	if (parse_number(text, "VCPU", &n)) return -1;
	if (n > 255) return set_error("no vCPU %s", text), -1;
	*vcpu = (uint32_t)n;
	return 0;
}

/* "vCPU 3" or "vCPU all", as the TypeScript ymirsh named a target in its messages. */
static const char *vcpu_label(uint32_t vcpu)
{
	static char label[24];
	struct sink s = { label, 0, sizeof(label) - 1, -1, 0 };

	if (vcpu == YMIR_VMC_ALL_VCPUS) sfmt(&s, "vCPU all");
	else sfmt(&s, "vCPU %u", vcpu);
	label[s.len] = 0;
	return label;
}

static void describe(int status, const char *context)
{
	switch (status) {
	case YMIR_VMC_EPERM: add_error("%s needs root (CPL 0)", context); break;
	case YMIR_VMC_EFAULT: add_error("%s is not mapped", context); break;
	case YMIR_VMC_EINVAL: add_error("%s: invalid argument", context); break;
	case YMIR_VMC_E2BIG: add_error("%s is too large", context); break;
	case YMIR_VMC_EEXIST: add_error("%s overlaps a protected range", context); break;
	case YMIR_VMC_ENOENT: add_error("%s is not protected", context); break;
	case YMIR_VMC_EBUSY: add_error("%s: too many protected ranges, or it holds the shared counter page", context); break;
	case YMIR_VMC_ENOSYS: add_error("%s: the VMM does not support it", context); break;
	default: add_error("%s", context);
	}
}

/* An entry that failed: "EFAULT: 0x1000 is not mapped". */
static void entry_error(int status, const char *context)
{
	set_error("%s: ", status_name(status));
	describe(status, context);
}

/* Send the request built so far; NULL (with the error set) when the call failed as a whole. */
static const struct entry *send(int elevate, uint32_t *count)
{
	const struct entry *e = request_send(elevate, count);

	if (!e) set_error("%s", call_error.message);
	return e;
}

/* One op; NULL with the error set when the call or the op failed. */
static const struct entry *ask(uint16_t op, const void *args, uint32_t length, const char *context, int elevate)
{
	const struct entry *e;
	uint32_t n;

	request_begin(0);
	request_add(op, args, length);
	if (!(e = send(elevate, &n))) return 0;
	if (n == 0) return set_error("the VMM ran no entry"), (const struct entry *)0;
	if (e->status != YMIR_VMC_OK) return entry_error(e->status, context), (const struct entry *)0;
	return e;
}

/* A hex text in a static buffer, for messages: "0x7f0000001000". */
static const char *hex(uint64_t v)
{
	static char buffers[4][20];
	static unsigned next;
	char *text = buffers[next++ % 4];
	struct sink s = { text, 0, 19, -1, 0 };

	sfmt(&s, "0x%lx", v);
	text[s.len] = 0;
	return text;
}

#define LOAD(dst, entry) memcpy(&(dst), (entry)->data, sizeof(dst))

/* --- hello, version, info, ops, banner, echo, ping ---------------------------------------------- */

static int cmd_hello(const struct command *self, int argc, char **argv)
{
	int64_t status;

	(void)argv;
	if (argc > 1) return set_error("hello takes no arguments"), usage_error(self);
	status = hello();
	if (status != 0) return set_error("HELLO answered %s", status_name((int)status)), failed(self);
	print("hello: the VMM wrote its greeting to the console log\n");
	json_open(&data, '{');
	json_key(&data, "status");
	json_i64(&data, status);
	json_close(&data, '}');
	return 0;
}

static int cmd_info(const struct command *self, int argc, char **argv)
{
	struct ymir_vmc_vm_info vm;
	const struct entry *e;
	struct probe p;
	char name[sizeof(vm.vmm_name) + 1];
	int first = 1;

	(void)argc, (void)argv;
	probe(&p);
	if (!(e = ask(YMIR_VMC_OP_VM_INFO, 0, 0, "VM_INFO", 0))) return failed(self);
	LOAD(vm, e);
	memcpy(name, vm.vmm_name, sizeof(vm.vmm_name));
	name[sizeof(vm.vmm_name)] = 0;
	print("VMM:        %s, VMCALL ABI %u.%u\nfeatures:   ", name, p.major, p.minor);
	json_open(&data, '{');
	json_key(&data, "abi");
	{
		char abi[24];
		struct sink s = { abi, 0, sizeof(abi), -1, 0 };
		sfmt(&s, "%u.%u", p.major, p.minor);
		json_string(&data, abi, s.len);
	}
	json_key(&data, "features");
	json_open(&data, '[');
#define FEATURE(feature, bit)                                                      \
	if (p.features & (bit)) {                                                  \
		char lower[] = #feature;                                           \
		for (char *c = lower; *c; c++) *c = *c >= 'A' && *c <= 'Z' ? (char)(*c | 0x20) : *c; \
		print("%s%s", first ? "" : " ", lower);                            \
		json_cstring(&data, lower);                                        \
		first = 0;                                                         \
	}
	YMIR_VMC_FEATURES(FEATURE)
#undef FEATURE
	json_close(&data, ']');
	print("\nvCPUs:      %u\nmemory:     ", vm.vcpu_count);
	size_text(&out, vm.memory_bytes);
	print("\nuptime:     ");
	fixed(&out, vm.uptime_ns, 1000000000, 3);
	if (vm.log_level < 4) print(" s\nlog level:  %s\n", level_names[vm.log_level]);
	else print(" s\nlog level:  %u\n", vm.log_level);
	print("max message %lu bytes\n", p.max_message);
	json_key(&data, "vcpus");
	json_u64(&data, vm.vcpu_count);
	json_key(&data, "memoryBytes");
	json_u64(&data, vm.memory_bytes);
	json_key(&data, "uptimeNs");
	json_u64(&data, vm.uptime_ns);
	if (vm.log_level < 4) {
		json_key(&data, "logLevel");
		json_cstring(&data, level_names[vm.log_level]);
	}
	json_key(&data, "vmm");
	json_cstring(&data, name);
	json_close(&data, '}');
	return 0;
}

static int cmd_ops(const struct command *self, int argc, char **argv)
{
	const struct entry *e;
	struct ymir_vmc_ops h;

	(void)argc, (void)argv;
	if (!(e = ask(YMIR_VMC_OP_OPS, 0, 0, "OPS", 0))) return failed(self);
	LOAD(h, e);
	print("%3s  %-12s PRIVILEGED\n", "OP", "NAME");
	json_open(&data, '[');
	for (uint32_t i = 0; i < h.count; i++) {
		struct ymir_vmc_op_info info;
		size_t n = 0;

		memcpy(&info, e->data + sizeof(h) + i * sizeof(info), sizeof(info));
		while (n < sizeof(info.name) && info.name[n]) n++;
		print("%3u  %-12.*s %s\n", info.op, (int)n, (const char *)info.name, info.flags & YMIR_VMC_OPINFO_PRIVILEGED ? "yes (CPL 0)" : "no");
		json_open(&data, '{');
		json_key(&data, "op");
		json_u64(&data, info.op);
		json_key(&data, "name");
		json_string(&data, (const char *)info.name, n);
		json_key(&data, "privileged");
		json_bool(&data, info.flags & YMIR_VMC_OPINFO_PRIVILEGED);
		json_close(&data, '}');
	}
	json_close(&data, ']');
	return 0;
}

/* An op answering text (HELLO's banner, ECHO): printed as it is, and reported as `text`. */
static void print_text(const struct entry *e, int newline)
{
	sink_write(&out, (const char *)e->data, e->length);
	if (newline) print("\n");
	json_open(&data, '{');
	json_key(&data, "text");
	json_string(&data, (const char *)e->data, e->length);
	json_close(&data, '}');
}

static int cmd_banner(const struct command *self, int argc, char **argv)
{
	const struct entry *e;

	(void)argc, (void)argv;
	if (!(e = ask(YMIR_VMC_OP_HELLO, 0, 0, "HELLO", 0))) return failed(self);
	print_text(e, 0);
	return 0;
}

static int cmd_echo(const struct command *self, int argc, char **argv)
{
	static char text[YMIR_VMC_MAX_ECHO_BYTES + 1];
	struct sink s = { text, 0, YMIR_VMC_MAX_ECHO_BYTES + 1, -1, 0 };
	const struct entry *e;

	for (int i = 1; i < argc; i++) sfmt(&s, "%s%s", i > 1 ? " " : "", argv[i]);
	if (s.overflow || s.len > YMIR_VMC_MAX_ECHO_BYTES) return set_error("TEXT is longer than %u bytes", YMIR_VMC_MAX_ECHO_BYTES), usage_error(self);
	if (!(e = ask(YMIR_VMC_OP_ECHO, text, (uint32_t)s.len, "ECHO", 0))) return failed(self);
	print_text(e, 1);
	return 0;
}

static uint32_t ping_times[1000000];

/* Heapsort: no recursion, no memory, 10^6 values. */
static void sort_u32(uint32_t *a, size_t n)
{
	for (size_t end = n, start = n / 2; end > 1;) {
		size_t root, child;
		uint32_t t;

		if (start > 0) start--;
		else t = a[--end], a[end] = a[0], a[0] = t;
		for (root = start; (child = 2 * root + 1) < end; root = child) {
			if (child + 1 < end && a[child] < a[child + 1]) child++;
			if (a[root] >= a[child]) break;
			t = a[root], a[root] = a[child], a[child] = t;
		}
	}
}

static int cmd_ping(const struct command *self, int argc, char **argv)
{
	uint64_t n = 1000;
	size_t median, p99;

	if (argc > 2) return set_error("one count"), usage_error(self);
	if (argc == 2 && parse_number(argv[1], "N", &n)) return usage_error(self);
	if (n < 1 || n > 1000000) return set_error("N must be 1..1000000"), usage_error(self);
	for (uint64_t i = 0; i < n; i++) {
		struct probe p;
		uint64_t start = now_ns();

		probe(&p);
		ping_times[i] = (uint32_t)(now_ns() - start);
	}
	sort_u32(ping_times, n);
	/* The TypeScript ymirsh's percentile: the ceil(p * n)-th smallest. */
	median = (size_t)((n + 1) / 2) - 1;
	p99 = (size_t)((99 * n + 99) / 100) - 1;
	print("%lu PROBE round trips: min %u ns, median %u ns, p99 %u ns\n", n, ping_times[0], ping_times[median], ping_times[p99]);
	json_open(&data, '{');
	json_key(&data, "count");
	json_u64(&data, n);
	json_key(&data, "minNs");
	json_u64(&data, ping_times[0]);
	json_key(&data, "medianNs");
	json_u64(&data, ping_times[median]);
	json_key(&data, "p99Ns");
	json_u64(&data, ping_times[p99]);
	json_close(&data, '}');
	return 0;
}

/* --- regs, bt ------------------------------------------------------------------------------------ */

/* The vCPUs a command names: one, or every vCPU of the VM (asked with VM_INFO). */
static int vcpu_list(uint32_t which, uint32_t *first, uint32_t *count)
{
	const struct entry *e;
	struct ymir_vmc_vm_info vm;

	if (which != YMIR_VMC_ALL_VCPUS) return *first = which, *count = 1, 0;
	if (!(e = ask(YMIR_VMC_OP_VM_INFO, 0, 0, "VM_INFO", 0))) return -1;
	LOAD(vm, e);
	*first = 0;
	*count = vm.vcpu_count > YMIR_VMC_MAX_ENTRIES ? YMIR_VMC_MAX_ENTRIES : vm.vcpu_count;
	return 0;
}

static int cmd_regs(const struct command *self, int argc, char **argv)
{
	uint32_t which, first, count, n;
	const struct entry *e;

	if (argc > 2) return set_error("too many arguments"), usage_error(self);
	if (vcpu_argument(argv[1], 0, &which)) return usage_error(self);
	if (vcpu_list(which, &first, &count)) return failed(self);
	request_begin(0);
	for (uint32_t v = first; v < first + count; v++) {
		struct ymir_vmc_vcpu_args args = { v, 0 };
		request_add(YMIR_VMC_OP_VCPU_REGS, &args, sizeof(args));
	}
	if (!(e = send(0, &n))) return failed(self);
	json_open(&data, '[');
	for (uint32_t i = 0; i < n; i++) {
		struct ymir_vmc_regs r;

		if (e[i].status != YMIR_VMC_OK) return entry_error(e[i].status, vcpu_label(first + i)), failed(self);
		LOAD(r, &e[i]);
		format_regs(&out, &r);
		json_open(&data, '{');
		json_key(&data, "vcpu");
		json_u64(&data, r.vcpu);
		json_key(&data, "state");
		json_u64(&data, r.state);
		json_key(&data, "lastExitReason");
		json_cstring(&data, exit_reason_name(r.last_exit_reason));
		json_key(&data, "rip");
		json_hex(&data, r.rip);
		json_key(&data, "cr3");
		json_hex(&data, r.cr3);
		json_key(&data, "cpl");
		json_u64(&data, r.cpl);
		json_key(&data, "sequence");
		json_u64(&data, r.sequence);
		json_close(&data, '}');
	}
	json_close(&data, ']');
	return 0;
}

static const char *bt_stop_text(uint32_t stop)
{
	switch (stop) {
	case YMIR_VMC_BT_STOP_MAX_FRAMES: return "stopped at the frame limit";
	case YMIR_VMC_BT_STOP_ZERO_FRAME: return "end of the chain: RBP is 0";
	case YMIR_VMC_BT_STOP_UNMAPPED: return "stopped: the next frame is not readable";
	case YMIR_VMC_BT_STOP_NOT_INCREASING: return "stopped: the saved RBP does not lie above its frame";
	default: return "stopped";
	}
}

static int cmd_bt(const struct command *self, int argc, char **argv)
{
	uint32_t which, first, count, n;
	const struct entry *e;

	if (argc > 2) return set_error("too many arguments"), usage_error(self);
	if (vcpu_argument(argv[1], 0, &which)) return usage_error(self);
	if (vcpu_list(which, &first, &count)) return failed(self);
	request_begin(0);
	for (uint32_t v = first; v < first + count; v++) {
		struct ymir_vmc_bt_args args = { v, YMIR_VMC_MAX_BT_FRAMES };
		request_add(YMIR_VMC_OP_BT, &args, sizeof(args));
	}
	/* At CPL 0 (root, through the kernel) the walk may read the kernel's stack too. */
	if (!(e = send(1, &n))) return failed(self);
	json_open(&data, '[');
	for (uint32_t i = 0; i < n; i++) {
		struct ymir_vmc_bt h;

		if (e[i].status != YMIR_VMC_OK) return entry_error(e[i].status, vcpu_label(first + i)), failed(self);
		LOAD(h, &e[i]);
		print("vCPU %u, snapshot #%lu:\n", h.vcpu, h.sequence);
		json_open(&data, '{');
		json_key(&data, "vcpu");
		json_u64(&data, h.vcpu);
		json_key(&data, "frames");
		json_open(&data, '[');
		for (uint32_t k = 0; k < h.count; k++) {
			struct ymir_vmc_bt_frame f;

			memcpy(&f, e[i].data + sizeof(h) + k * sizeof(f), sizeof(f));
			print("#%-2u %016lx  frame %016lx\n", k, f.address, f.frame);
			json_open(&data, '{');
			json_key(&data, "address");
			json_hex(&data, f.address);
			json_key(&data, "frame");
			json_hex(&data, f.frame);
			json_close(&data, '}');
		}
		json_close(&data, ']');
		print("(%s)\n", bt_stop_text(h.stop));
		json_key(&data, "stop");
		json_u64(&data, h.stop);
		json_close(&data, '}');
	}
	json_close(&data, ']');
	return 0;
}

/* --- exits --------------------------------------------------------------------------------------- */

struct exits_options {
	uint32_t vcpu;
	enum exit_sort sort;
	int all;
	uint64_t watch_ms; /* 0: no --watch */
	char watch_text[24]; /* the period as JavaScript's Number would print it */
};

/* "--watch 0.50" -> 500 ms, shown as "0.5". */
static int parse_seconds(const char *text, struct exits_options *o)
{
	uint64_t whole = 0, ms = 0, scale = 100;
	const char *p = text, *dot;
	struct sink s = { o->watch_text, 0, sizeof(o->watch_text) - 1, -1, 0 };
	size_t frac_end;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > 1000000) return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (p == text) return -1;
	dot = p;
	if (*p == '.') {
		if (!(p[1] >= '0' && p[1] <= '9')) return -1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) ms += (uint64_t)(*p - '0') * scale;
	}
	if (*p) return -1;
	o->watch_ms = whole * 1000 + ms;
	sfmt(&s, "%lu", whole);
	frac_end = (size_t)(p - dot);
	while (frac_end > 1 && dot[frac_end - 1] == '0') frac_end--;
	if (*dot == '.' && frac_end > 1) sfmt(&s, "%.*s", (int)frac_end, dot);
	o->watch_text[s.len] = 0;
	return 0;
}

static int is_seconds(const char *text)
{
	struct exits_options scratch;

	return text && parse_seconds(text, &scratch) == 0;
}

static int parse_exits(int argc, char **argv, struct exits_options *o)
{
	o->vcpu = YMIR_VMC_ALL_VCPUS;
	o->sort = SORT_COUNT;
	o->all = 0;
	o->watch_ms = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--sort") == 0) {
			const char *key = argv[++i];
			if (key && strcmp(key, "count") == 0) o->sort = SORT_COUNT;
			else if (key && strcmp(key, "name") == 0) o->sort = SORT_NAME;
			else if (key && strcmp(key, "reason") == 0) o->sort = SORT_REASON;
			else return set_error("--sort takes count, name or reason"), -1;
		} else if (strcmp(arg, "--all") == 0) o->all = 1;
		else if (strcmp(arg, "--watch") == 0) {
			if (is_seconds(argv[i + 1])) parse_seconds(argv[++i], o);
			else parse_seconds("1", o);
			if (o->watch_ms == 0) return set_error("--watch takes a positive number of seconds"), -1;
		} else if (arg[0] == '-') return set_error("unknown option %s", arg), -1;
		else if (vcpu_argument(arg, YMIR_VMC_ALL_VCPUS, &o->vcpu)) return -1;
	}
	return 0;
}

/* Rows of the table: the reasons counted, or with --all every reason the SDM defines. */
static uint32_t exit_rows(const uint64_t counts[YMIR_VMC_EXIT_REASON_COUNT], int all, struct exit_row rows[YMIR_VMC_EXIT_REASON_COUNT])
{
	uint32_t n = 0;

	for (uint32_t r = 0; r < YMIR_VMC_EXIT_REASON_COUNT; r++)
		if (counts[r] != 0 || (all && exit_reason_known(r))) rows[n].reason = r, rows[n++].count = counts[r];
	return n;
}

/* A key is waiting on the console: it only stops the display, so it is read and dropped. */
static int key_pressed(void)
{
	struct pollfd fd = { 0, POLLIN, 0 };
	char discard[64];

	if (sys_poll(&fd, 1, 0) <= 0 || !(fd.revents & (POLLIN | POLLHUP))) return 0;
	sys_read(0, discard, sizeof(discard));
	return 1;
}

/* Refresh the exit table in place from the shared counter page until a key is pressed. */
static int watch_exits(const struct command *self, const struct exits_options *o)
{
	static uint8_t page[YMIR_VMC_PAGE_SIZE];
	const volatile uint8_t *shared;
	unsigned shown = 0;
	uint64_t frames = 0;
	long ret = vmcall_map_counters(&shared);

	if (ret < 0) return set_error("the kernel does not map the shared counter page (errno %ld)", -ret), failed(self);
	do {
		struct ymir_vmc_shared_page h;
		uint64_t counts[YMIR_VMC_EXIT_REASON_COUNT] = { 0 };
		struct exit_row rows[YMIR_VMC_EXIT_REASON_COUNT];
		char title[80];
		struct sink t = { title, 0, sizeof(title) - 1, -1, 0 };
		static char table[8192];
		struct sink s = { table, 0, sizeof(table), -1, 0 };
		uint64_t until;

		for (size_t i = 0; i < sizeof(page); i++) page[i] = shared[i];
		if (vmc_check_shared_page(page) != YMIR_VMC_OK) return set_error("EPROTO: the shared page is not ABI 1"), failed(self);
		memcpy(&h, page, sizeof(h));
		for (uint32_t v = 0; v < h.vcpu_count; v++) {
			struct ymir_vmc_shared_vcpu row;

			if (o->vcpu != YMIR_VMC_ALL_VCPUS && o->vcpu != v) continue;
			memcpy(&row, page + sizeof(h) + v * sizeof(row), sizeof(row));
			for (uint32_t r = 0; r < YMIR_VMC_EXIT_REASON_COUNT; r++) counts[r] += row.counts[r];
		}
		sfmt(&t, "VM exits (live, every %ss; press a key to stop):", o->watch_text);
		title[t.len] = 0;
		format_exits(&s, title, rows, exit_rows(counts, o->all, rows), o->sort);
		/* Move up over the previous table and rewrite it in place. */
		if (shown) print("\x1b[%uA", shown);
		shown = 0;
		for (size_t i = 0; i < s.len; i++) {
			if (table[i] == '\n') print("\x1b[K"), shown++;
			sink_putc(&out, table[i]);
		}
		print("\x1b[J");
		sink_flush(&out);
		frames++;
		until = now_ns() + o->watch_ms * 1000000;
		while (now_ns() < until) {
			if (key_pressed()) goto stopped;
			sleep_ms(50);
		}
	} while (1);
stopped:
	json_open(&data, '{');
	json_key(&data, "frames");
	json_u64(&data, frames);
	json_close(&data, '}');
	return 0;
}

static int cmd_exits(const struct command *self, int argc, char **argv)
{
	struct exits_options o;
	struct ymir_vmc_vcpu_args args;
	struct ymir_vmc_exit_stats h;
	uint64_t counts[YMIR_VMC_EXIT_REASON_COUNT] = { 0 };
	struct exit_row rows[YMIR_VMC_EXIT_REASON_COUNT];
	const struct entry *e;
	char title[40];
	struct sink t = { title, 0, sizeof(title) - 1, -1, 0 };

	if (parse_exits(argc, argv, &o)) return usage_error(self);
	if (o.watch_ms) return watch_exits(self, &o);
	args.vcpu = o.vcpu;
	args.reserved0 = 0;
	if (!(e = ask(YMIR_VMC_OP_EXIT_STATS, &args, sizeof(args), vcpu_label(o.vcpu), 0))) return failed(self);
	LOAD(h, e);
	json_open(&data, '{');
	json_key(&data, "vcpu");
	if (o.vcpu == YMIR_VMC_ALL_VCPUS) json_cstring(&data, "all");
	else json_u64(&data, o.vcpu);
	json_key(&data, "total");
	json_u64(&data, h.total);
	json_key(&data, "counts");
	json_open(&data, '[');
	for (uint32_t i = 0; i < h.count; i++) {
		struct ymir_vmc_exit_count c;

		memcpy(&c, e->data + sizeof(h) + i * sizeof(c), sizeof(c));
		if (c.reason < YMIR_VMC_EXIT_REASON_COUNT) counts[c.reason] = c.count;
		/* Each reason by its SDM name and number. */
		json_open(&data, '{');
		json_key(&data, "reason");
		json_cstring(&data, exit_reason_name(c.reason));
		json_key(&data, "nr");
		json_u64(&data, c.reason);
		json_key(&data, "count");
		json_u64(&data, c.count);
		json_close(&data, '}');
	}
	json_close(&data, ']');
	json_close(&data, '}');
	if (o.vcpu == YMIR_VMC_ALL_VCPUS) sfmt(&t, "VM exits, all vCPUs:");
	else sfmt(&t, "VM exits, vCPU %u:", o.vcpu);
	title[t.len] = 0;
	format_exits(&out, title, rows, exit_rows(counts, o.all, rows), o.sort);
	return 0;
}

/* --- log ----------------------------------------------------------------------------------------- */

static int log_page(uint64_t cursor, uint32_t max, const struct entry **e)
{
	struct ymir_vmc_log_read_args args = { cursor, max, 0 };

	*e = ask(YMIR_VMC_OP_LOG_READ, &args, sizeof(args), "LOG_READ", 0);
	return *e ? 0 : -1;
}

static int cmd_log(const struct command *self, int argc, char **argv)
{
	uint64_t count = 20, cursor, end, lost = 0;
	struct ymir_vmc_log_read h;
	const struct entry *e;
	int follow = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0) {
			if (parse_number(argv[++i], "N", &count)) return usage_error(self);
		} else if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0) follow = 1;
		else return set_error("unknown argument %s", argv[i]), usage_error(self);
	}
	/* Where the log ends now: a read past the end returns no record and the next cursor. Without
	 * -f the command stops there: at --log-level debug its own output adds records (one per
	 * console exit), and reading on to the newest would never end. */
	if (log_page(1ull << 62, 1, &e)) return failed(self);
	LOAD(h, e);
	end = h.next_cursor;
	cursor = end > count ? end - count : 0;
	json_open(&data, '{');
	json_key(&data, "records");
	json_open(&data, '[');
	for (;;) {
		uint64_t at = sizeof(h);

		if (log_page(cursor, 64, &e)) return failed(self);
		LOAD(h, e);
		if (h.lost > 0) print("(%lu older records were overwritten before they could be read)\n", h.lost);
		lost += h.lost;
		for (uint32_t i = 0; i < h.count; i++) {
			struct ymir_vmc_log_record r;
			const char *scope, *message;
			uint32_t message_length;
			char time[32];
			struct sink t = { time, 0, sizeof(time), -1, 0 };

			memcpy(&r, e->data + at, sizeof(r));
			if (!follow && r.sequence >= end) break;
			scope = (const char *)e->data + at + sizeof(r);
			message = scope + r.scope_length;
			message_length = r.message_length;
			while (message_length > 0 && message[message_length - 1] == '\n') message_length--;
			fixed(&t, r.time_ns, 1000000000, 6);
			print("[%12.*s] [%s] %-7.*s | %.*s\n", (int)t.len, time, r.level < 4 ? level_labels[r.level] : "?????",
			      (int)r.scope_length, scope, (int)message_length, message);
			json_open(&data, '{');
			json_key(&data, "sequence");
			json_u64(&data, r.sequence);
			if (r.level < 4) {
				json_key(&data, "level");
				json_cstring(&data, level_names[r.level]);
			}
			json_key(&data, "scope");
			json_string(&data, scope, r.scope_length);
			json_key(&data, "message");
			json_string(&data, message, r.message_length);
			json_close(&data, '}');
			at += sizeof(r) + (((uint64_t)r.scope_length + r.message_length + 7) & ~(uint64_t)7);
		}
		sink_flush(&out);
		cursor = h.next_cursor;
		if (!follow && cursor >= end) break;
		if (h.count > 0) continue;
		if (!follow || key_pressed()) break;
		sleep_ms(100);
	}
	json_close(&data, ']');
	json_key(&data, "lost");
	json_u64(&data, lost);
	json_close(&data, '}');
	return 0;
}

/* --- x/FMT, xp/FMT, translate, dis --------------------------------------------------------------- */

struct dump_format {
	uint32_t count;
	unsigned unit;
	char format;
};

/* QEMU's /FMT: count, format (x d u c), size (b h w g); defaults 1, x, w (b for c). */
static int parse_dump_format(const char *spec, struct dump_format *f)
{
	const char *p = spec;
	uint64_t count = 0;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) count = count > YMIR_VMC_MAX_MEM_READ_BYTES ? count : count * 10 + (uint64_t)(*p - '0');
	f->format = 'x';
	if (*p == 'x' || *p == 'd' || *p == 'u' || *p == 'c') f->format = *p++;
	f->unit = f->format == 'c' ? 1 : 4;
	if (*p == 'b' || *p == 'h' || *p == 'w' || *p == 'g') f->unit = *p == 'b' ? 1 : *p == 'h' ? 2 : *p == 'w' ? 4 : 8, p++;
	if (*p) return set_error("bad format /%s: use /[COUNT][x|d|u|c][b|h|w|g]", spec), -1;
	if (!digits) count = 1;
	if (count < 1 || count * f->unit > YMIR_VMC_MAX_MEM_READ_BYTES) return set_error("count must make 1..%u bytes", YMIR_VMC_MAX_MEM_READ_BYTES), -1;
	f->count = (uint32_t)count;
	return 0;
}

static uint8_t dump_bytes[YMIR_VMC_MAX_MEM_READ_BYTES];

/*
 * Guest-virtual memory: TRANSLATE every page in one multi-call, then MEM_READ the pieces in
 * another. Offsets count from the first page, so that a range ending at 2^64 wraps nothing.
 */
static int read_virtual(uint64_t address, uint32_t length)
{
	enum { PAGE = YMIR_VMC_PAGE_SIZE };
	uint64_t first = address & ~(uint64_t)(PAGE - 1), start = address - first, end = start + length;
	uint64_t gpas[YMIR_VMC_MAX_MEM_READ_BYTES / PAGE + 2];
	uint32_t pages = (uint32_t)((end + PAGE - 1) / PAGE), n, at = 0;
	const struct entry *e;

	request_begin(0);
	for (uint32_t i = 0; i < pages; i++) {
		struct ymir_vmc_address_args args = { first + (uint64_t)i * PAGE };
		request_add(YMIR_VMC_OP_TRANSLATE, &args, sizeof(args));
	}
	if (!(e = send(0, &n))) return -1;
	for (uint32_t i = 0; i < pages; i++) {
		struct ymir_vmc_translation t;

		if (i >= n || e[i].status != YMIR_VMC_OK)
			return set_error("%s: %s is not mapped", status_name(i < n ? e[i].status : YMIR_VMC_EFAULT), hex(i == 0 ? address : first + (uint64_t)i * PAGE)), -1;
		LOAD(t, &e[i]);
		gpas[i] = t.gpa;
	}
	request_begin(0);
	for (uint32_t i = 0; i < pages; i++) {
		uint64_t page = (uint64_t)i * PAGE, from = page < start ? start : page, to = page + PAGE < end ? page + PAGE : end;
		struct ymir_vmc_mem_read_args args = { gpas[i] + (from - page), (uint32_t)(to - from), 0 };
		request_add(YMIR_VMC_OP_MEM_READ, &args, sizeof(args));
	}
	if (!(e = send(0, &n))) return -1;
	for (uint32_t i = 0; i < n; i++) {
		char context[40];
		struct sink c = { context, 0, sizeof(context) - 1, -1, 0 };

		if (e[i].status != YMIR_VMC_OK) {
			sfmt(&c, "reading page %s", hex(first + (uint64_t)i * PAGE));
			context[c.len] = 0;
			return entry_error(e[i].status, context), -1;
		}
		if (e[i].length > length - at) break;
		memcpy(dump_bytes + at, e[i].data, e[i].length);
		at += e[i].length;
	}
	if (at != length) return set_error("ENOSPC: the VMM answered %u of %u bytes", at, length), -1;
	return 0;
}

static int cmd_dump(const struct command *self, int argc, char **argv)
{
	const char *slash = argv[0] + strlen(self->name);
	int virtual = strcmp(self->name, "x") == 0;
	struct dump_format f;
	uint64_t address;
	uint32_t length;

	if (argc != 2) return set_error("one address"), usage_error(self);
	if (parse_number(argv[1], "ADDR", &address)) return usage_error(self);
	if (parse_dump_format(*slash == '/' ? slash + 1 : "", &f)) return usage_error(self);
	length = f.count * f.unit;
	if (address + length < address && address + length != 0) return set_error("the range passes the end of the address space"), usage_error(self);
	if (virtual) {
		if (read_virtual(address, length)) return failed(self);
	} else {
		struct ymir_vmc_mem_read_args args = { address, length, 0 };
		const struct entry *e = ask(YMIR_VMC_OP_MEM_READ, &args, sizeof(args), hex(address), 0);

		if (!e) return failed(self);
		if (e->length != length) return set_error("ENOSPC: the VMM answered %u of %u bytes", e->length, length), failed(self);
		memcpy(dump_bytes, e->data, length);
	}
	format_dump(&out, address, dump_bytes, length, f.unit, f.format);
	json_open(&data, '{');
	json_key(&data, "address");
	json_hex(&data, address);
	json_key(&data, "bytes");
	{
		static char text[2 * YMIR_VMC_MAX_MEM_READ_BYTES];
		for (uint32_t i = 0; i < length; i++) text[2 * i] = "0123456789abcdef"[dump_bytes[i] >> 4], text[2 * i + 1] = "0123456789abcdef"[dump_bytes[i] & 15];
		json_string(&data, text, 2 * (size_t)length);
	}
	json_close(&data, '}');
	return 0;
}

static int cmd_translate(const struct command *self, int argc, char **argv)
{
	struct ymir_vmc_address_args args;
	struct ymir_vmc_translation t;
	const struct entry *e;
	uint64_t address;

	if (argc != 2) return set_error("one address"), usage_error(self);
	if (parse_number(argv[1], "GVA", &address)) return usage_error(self);
	args.address = address;
	if (!(e = ask(YMIR_VMC_OP_TRANSLATE, &args, sizeof(args), hex(args.address), 0))) return failed(self);
	LOAD(t, e);
	print("%s -> %s (", hex(args.address), hex(t.gpa));
	size_text(&out, t.page_size);
	print(" page, ");
	page_flags_text(&out, t.flags);
	print(")\n");
	json_open(&data, '{');
	json_key(&data, "gva");
	json_hex(&data, args.address);
	json_key(&data, "gpa");
	json_hex(&data, t.gpa);
	json_key(&data, "pageSize");
	json_u64(&data, t.page_size);
	json_key(&data, "flags");
	json_u64(&data, t.flags);
	json_close(&data, '}');
	return 0;
}

static int cmd_dis(const struct command *self, int argc, char **argv)
{
	struct ymir_vmc_dis_args args = { 0, 0, YMIR_VMC_DIS_SYNTAX_INTEL, 0 };
	uint64_t count = 16, left, address;
	int arg = 1;

	if (arg < argc && strcmp(argv[arg], "--att") == 0) args.syntax = YMIR_VMC_DIS_SYNTAX_ATT, arg++;
	if (argc - arg < 1 || argc - arg > 2) return set_error("ADDR and an optional N"), usage_error(self);
	if (parse_number(argv[arg], "ADDR", &address)) return usage_error(self);
	args.address = address;
	if (argc - arg == 2 && parse_number(argv[arg + 1], "N", &count)) return usage_error(self);
	if (count < 1 || count > 1024) return set_error("N must be 1..1024"), usage_error(self);
	json_open(&data, '{');
	json_key(&data, "instructions");
	json_open(&data, '[');
	for (left = count; left > 0;) {
		struct ymir_vmc_dis h;
		const struct entry *e;
		uint64_t at;

		args.count = (uint32_t)(left < YMIR_VMC_MAX_DIS_INSTRUCTIONS ? left : YMIR_VMC_MAX_DIS_INSTRUCTIONS);
		request_begin(0);
		request_add(YMIR_VMC_OP_DIS, &args, sizeof(args));
		/* At CPL 0 (root, through the kernel) the VMM reads the kernel's code too. */
		{
			uint32_t n;
			if (!(e = send(1, &n))) return failed(self);
			if (n == 0) return set_error("the VMM ran no entry"), failed(self);
		}
		if (e->status != YMIR_VMC_OK) {
			if (left < count) {
				print("(%s: %s)\n", hex(args.address), e->status == YMIR_VMC_EFAULT ? "not readable" : status_name(e->status));
				break;
			}
			return entry_error(e->status, hex(args.address)), failed(self);
		}
		LOAD(h, e);
		at = sizeof(h);
		for (uint32_t i = 0; i < h.count; i++) {
			struct ymir_vmc_dis_insn insn;
			const uint8_t *bytes;
			char hexbytes[3 * YMIR_VMC_MAX_INSTRUCTION_BYTES];
			struct sink b = { hexbytes, 0, sizeof(hexbytes), -1, 0 };

			memcpy(&insn, e->data + at, sizeof(insn));
			bytes = e->data + at + sizeof(insn);
			for (unsigned k = 0; k < insn.length; k++) sfmt(&b, "%s%02x", k ? " " : "", bytes[k]);
			print("%016lx  %-24.*s %.*s\n", insn.address, (int)b.len, hexbytes, (int)insn.text_length, (const char *)bytes + insn.length);
			json_open(&data, '{');
			json_key(&data, "address");
			json_hex(&data, insn.address);
			json_key(&data, "bytes");
			json_string(&data, hexbytes, b.len);
			json_key(&data, "text");
			json_string(&data, (const char *)bytes + insn.length, insn.text_length);
			json_close(&data, '}');
			at += sizeof(insn) + (((uint64_t)insn.length + insn.text_length + 7) & ~(uint64_t)7);
		}
		left -= h.count;
		args.address = h.next_address;
		if (h.stop == YMIR_VMC_DIS_STOP_UNMAPPED) {
			print("(%s: not readable)\n", hex(h.next_address));
			break;
		}
	}
	json_close(&data, ']');
	json_key(&data, "next");
	json_hex(&data, args.address);
	json_close(&data, '}');
	return 0;
}

/* --- protect, unprotect, protected, stats, loglevel ---------------------------------------------- */

static int parse_range(int argc, char **argv, int from, struct ymir_vmc_range *r)
{
	uint64_t gpa, length;

	if (argc - from != 2) return set_error("GPA and LEN"), -1;
	if (parse_number(argv[from], "GPA", &gpa) || parse_number(argv[from + 1], "LEN", &length)) return -1;
	r->gpa = gpa;
	r->length = length;
	return 0;
}

static const char *range_label(const struct ymir_vmc_range *r)
{
	static char label[48];
	struct sink s = { label, 0, sizeof(label) - 1, -1, 0 };

	sfmt(&s, "%s+%s", hex(r->gpa), hex(r->length));
	label[s.len] = 0;
	return label;
}

static void range_data(const struct ymir_vmc_range *r)
{
	json_open(&data, '{');
	json_key(&data, "gpa");
	json_hex(&data, r->gpa);
	json_key(&data, "length");
	json_u64(&data, r->length);
	json_close(&data, '}');
}

static int cmd_protect(const struct command *self, int argc, char **argv)
{
	int sealed = argc > 1 && strcmp(argv[1], "--seal") == 0;
	struct ymir_vmc_range r;

	if (parse_range(argc, argv, 1 + sealed, &r)) return usage_error(self);
	if (!ask(sealed ? YMIR_VMC_OP_SEAL : YMIR_VMC_OP_PROTECT, &r, sizeof(r), range_label(&r), 0)) return failed(self);
	print("%s %s-%s (", sealed ? "sealed" : "protected", hex(r.gpa), hex(r.gpa + r.length - 1));
	size_text(&out, r.length);
	print(") against guest writes%s\n", sealed ? " until the VM restarts" : "");
	range_data(&r);
	return 0;
}

static int cmd_unprotect(const struct command *self, int argc, char **argv)
{
	struct ymir_vmc_range r;

	if (parse_range(argc, argv, 1, &r)) return usage_error(self);
	if (!ask(YMIR_VMC_OP_UNPROTECT, &r, sizeof(r), range_label(&r), 0)) {
		/* At CPL 0 an EPERM can only mean the range is sealed. */
		if (last_call_privileged && starts_with(shell_error, "EPERM:")) set_error("EPERM: %s is sealed until the VM restarts", range_label(&r));
		return failed(self);
	}
	print("unprotected %s-%s\n", hex(r.gpa), hex(r.gpa + r.length - 1));
	range_data(&r);
	return 0;
}

static int cmd_protected(const struct command *self, int argc, char **argv)
{
	struct ymir_vmc_protected h;
	const struct entry *e;
	uint64_t flags_at;

	(void)argv;
	if (argc > 1) return set_error("protected takes no arguments"), usage_error(self);
	if (!(e = ask(YMIR_VMC_OP_PROTECTED, 0, 0, "PROTECTED", 0))) return failed(self);
	LOAD(h, e);
	flags_at = sizeof(h) + (uint64_t)h.count * sizeof(struct ymir_vmc_protected_range);
	if (h.count == 0) print("no protected ranges\n");
	else print("%-18s %-18s %10s %15s\n", "START", "END", "SIZE", "REFUSED WRITES");
	json_open(&data, '[');
	for (uint32_t i = 0; i < h.count; i++) {
		struct ymir_vmc_protected_range r;
		struct ymir_vmc_protected_flags f = { 0, 0 };
		char size[24];
		struct sink s = { size, 0, sizeof(size), -1, 0 };

		memcpy(&r, e->data + sizeof(h) + i * sizeof(r), sizeof(r));
		/* A 1.0 VMM sends no per-range flags. */
		if (flags_at + (i + 1) * sizeof(f) <= e->length) memcpy(&f, e->data + flags_at + i * sizeof(f), sizeof(f));
		size_text(&s, r.length);
		print("%016lx   %016lx   %10.*s %15lu%s\n", r.gpa, r.gpa + r.length - 1, (int)s.len, size, r.violations,
		      f.flags & YMIR_VMC_PROTECTED_SEALED ? "  sealed" : "");
		json_open(&data, '{');
		json_key(&data, "gpa");
		json_hex(&data, r.gpa);
		json_key(&data, "length");
		json_u64(&data, r.length);
		json_key(&data, "violations");
		json_u64(&data, r.violations);
		json_key(&data, "sealed");
		json_bool(&data, f.flags & YMIR_VMC_PROTECTED_SEALED);
		json_close(&data, '}');
	}
	json_close(&data, ']');
	return 0;
}

static int cmd_stats(const struct command *self, int argc, char **argv)
{
	struct ymir_vmc_vcpu_args args = { 0, 0 };
	uint32_t vcpu;

	if (argc < 2 || strcmp(argv[1], "reset") != 0 || argc > 3) return set_error("stats reset [VCPU|all]"), usage_error(self);
	if (vcpu_argument(argv[2], YMIR_VMC_ALL_VCPUS, &vcpu)) return usage_error(self);
	args.vcpu = vcpu;
	if (!ask(YMIR_VMC_OP_STATS_RESET, &args, sizeof(args), vcpu_label(args.vcpu), 0)) return failed(self);
	if (args.vcpu == YMIR_VMC_ALL_VCPUS) print("exit counters reset (all vCPUs)\n");
	else print("exit counters reset (vCPU %u)\n", args.vcpu);
	json_open(&data, '{');
	json_key(&data, "vcpu");
	if (args.vcpu == YMIR_VMC_ALL_VCPUS) json_cstring(&data, "all");
	else json_u64(&data, args.vcpu);
	json_close(&data, '}');
	return 0;
}

static const char *level_name(uint32_t level)
{
	static char number[16];
	struct sink s = { number, 0, sizeof(number) - 1, -1, 0 };

	if (level < 4) return level_names[level];
	sfmt(&s, "%u", level);
	number[s.len] = 0;
	return number;
}

static int cmd_loglevel(const struct command *self, int argc, char **argv)
{
	struct ymir_vmc_log_level_args args = { YMIR_VMC_LOG_LEVEL_QUERY, 0 };
	struct ymir_vmc_log_level result;
	const struct entry *e;

	if (argc > 2) return set_error("one level"), usage_error(self);
	if (argc == 2) {
		for (args.level = 0; args.level < 4 && strcmp(argv[1], level_names[args.level]) != 0; args.level++);
		if (args.level == 4) return set_error("unknown level %s", argv[1]), usage_error(self);
	}
	if (!(e = ask(YMIR_VMC_OP_LOG_LEVEL, &args, sizeof(args), "LOG_LEVEL", 0))) return failed(self);
	LOAD(result, e);
	if (args.level == YMIR_VMC_LOG_LEVEL_QUERY) print("log level: %s\n", level_name(result.current));
	else {
		print("log level: %s -> ", level_name(result.previous));
		print("%s\n", level_name(result.current));
	}
	json_open(&data, '{');
	json_key(&data, "previous");
	json_cstring(&data, level_name(result.previous));
	json_key(&data, "current");
	json_cstring(&data, level_name(result.current));
	json_close(&data, '}');
	return 0;
}

/* --- the table, help, dispatch ------------------------------------------------------------------- */

static int cmd_help(const struct command *self, int argc, char **argv);

static const struct command commands[] = {
	{ "hello", "hello", "VMCALL service 0: the VMM logs its greeting (the seed's ymirsh)", cmd_hello },
	{ "version", "version", "ABI version, features and VM info", cmd_info },
	{ "info", "info", "same as version", cmd_info },
	{ "regs", "regs [VCPU|all]", "registers of a vCPU as of its last exit", cmd_regs },
	{ "exits", "exits [VCPU|all] [--sort count|name|reason] [--all] [--watch [SECONDS]]", "VM exits by reason, with % of total", cmd_exits },
	{ "log", "log [-n N] [-f]", "the VMM log (last N records, default 20; -f follows it)", cmd_log },
	{ "translate", "translate GVA", "guest-virtual to guest-physical, with the page's permissions", cmd_translate },
	{ "protect", "protect [--seal] GPA LEN", "EPT-write-protect a guest-physical range (root; --seal: for good)", cmd_protect },
	{ "unprotect", "unprotect GPA LEN", "remove a write-protected range (root)", cmd_unprotect },
	{ "protected", "protected", "write-protected ranges and the writes refused", cmd_protected },
	{ "stats", "stats reset [VCPU|all]", "reset the exit counters (root)", cmd_stats },
	{ "loglevel", "loglevel [debug|info|warn|error]", "show or set the VMM log level (setting needs root)", cmd_loglevel },
	{ "ping", "ping [N]", "N PROBE round trips (default 1000), timed inside the guest", cmd_ping },
	{ "ops", "ops", "the ops this VMM supports", cmd_ops },
	{ "banner", "banner", "the VMM's banner (op HELLO)", cmd_banner },
	{ "echo", "echo TEXT...", "op ECHO: the VMM sends TEXT back", cmd_echo },
	{ "dis", "dis [--att] ADDR [N]", "disassemble guest-virtual memory (decoded by the VMM)", cmd_dis },
	{ "bt", "bt [VCPU|all]", "frame-pointer backtrace of a vCPU, walked by the VMM", cmd_bt },
	{ "x", "x/FMT ADDR", "dump guest-virtual memory (QEMU monitor syntax)", cmd_dump },
	{ "xp", "xp/FMT ADDR", "dump guest-physical memory (root)", cmd_dump },
	{ "help", "help [CMD]", "this list, or one command's usage", cmd_help },
};
enum { COMMAND_COUNT = sizeof(commands) / sizeof(commands[0]) };

/* A command by the name typed: x/FMT and xp/FMT carry their format in the name. */
static const struct command *find(const char *name)
{
	for (unsigned i = 0; i < COMMAND_COUNT; i++) {
		size_t n = strlen(commands[i].name);
		if (strncmp(name, commands[i].name, n) == 0 && (name[n] == 0 || (name[n] == '/' && commands[i].run == cmd_dump))) return &commands[i];
	}
	return 0;
}

static int cmd_help(const struct command *self, int argc, char **argv)
{
	(void)self;
	if (argc > 1) {
		const struct command *c = find(argv[1]);

		if (!c) return print("help: no command %s\n", argv[1]), set_error("unknown command"), EXIT_USAGE;
		print("usage: %s\n  %s\n", c->usage, c->summary);
		return 0;
	}
	print("ymirsh commands (help CMD for usage):\n");
	for (unsigned i = 0; i < COMMAND_COUNT; i++) {
		const char *space = commands[i].usage;
		size_t n = 0;

		while (space[n] && space[n] != ' ') n++;
		print("  %-11.*s %s\n", (int)n, space, commands[i].summary);
	}
	print("  %-11s %s\n", "exit", "leave ymirsh (or Ctrl-D)");
	return 0;
}

size_t shell_complete(const char *prefix, const char **names, size_t room)
{
	static const char *const extra[] = { "exit", "x/", "xp/" };
	size_t n = 0;

	for (unsigned i = 0; i < COMMAND_COUNT + 3 && n < room; i++) {
		const char *name = i < COMMAND_COUNT ? commands[i].name : extra[i - COMMAND_COUNT];
		/* x and xp complete as x/ and xp/: their format follows at once. */
		if (i < COMMAND_COUNT && commands[i].run == cmd_dump) continue;
		if (starts_with(name, prefix)) names[n++] = name;
	}
	/* Sorted, as the list is shown. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j], names[j - 1]) < 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	return n;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int shell_run(char *line)
{
	char *argv[64];
	int argc = 0;
	const struct command *c;
	int status;

	shell_error[0] = 0;
	shell_data.len = 0;
	shell_data.overflow = 0;
	json_start(&data, &shell_data);
	for (char *p = line; *p;) {
		while (is_blank(*p)) *p++ = 0;
		if (!*p) break;
		if (argc == (int)(sizeof(argv) / sizeof(argv[0])) - 1) break;
		argv[argc++] = p;
		while (*p && !is_blank(*p)) p++;
	}
	argv[argc] = 0;
	if (argc == 0) return 0;
	if (!(c = find(argv[0]))) {
		print("ymirsh: %s: unknown command (try help)\n", argv[0]);
		set_error("unknown command");
		return EXIT_USAGE;
	}
	status = c->run(c, argc, argv);
	if (status != 0) shell_data.len = 0; /* a failed command reports its error, not half its data */
	return status;
}
