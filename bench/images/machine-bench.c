/*
 * The guest half of the machine benchmarks: it times exits from inside the VM with RDTSC (which
 * does not exit; 1 tick = 1 ns), as a guest kernel would, and reports one JSON line on COM2.
 * Per-call times are batch averages (a batch of calls between two RDTSCs), since RDTSC's own cost
 * is of the same order as the exits measured. Each body first runs for WARM_UP_NS untimed, so the
 * figures are of the VMM's optimised code.
 */
#include "request.h"

#define BATCHES 200
#define BATCH 100
#define WARM_UP_NS 300000000ul
#define UART_BYTES (4u << 20)
#define COM1 0x3f8
#define COM2 0x2f8

static u8 request_buffer[64 * 1024] __attribute__((aligned(8)));
static u8 response_buffer[256 * 1024] __attribute__((aligned(8)));

static void com2_putc(char c) { outb(COM2, c); }
static void com2_puts(const char *s) { while (*s) com2_putc(*s++); }
static void com2_dec(u64 v) {
	char buf[24];
	int n = 0;
	do { buf[n++] = '0' + v % 10; v /= 10; } while (v);
	while (n) com2_putc(buf[--n]);
}

/*
 * `"name":[...]`: BATCHES batch averages (ns per call) of BODY, run BATCH times per batch after
 * WARM_UP_NS untimed. A macro, so the loop holds the body itself and times no function calls.
 */
#define BATCHES_OF(name, calls_per_body, BODY)                                     \
	do {                                                                            \
		u64 warm = rdtsc();                                                         \
		while (rdtsc() - warm < WARM_UP_NS) { BODY; }                               \
		com2_puts("\"" name "\":[");                                               \
		for (int b = 0; b < BATCHES; b++) {                                         \
			u64 start = rdtsc();                                                    \
			for (int i = 0; i < BATCH; i++) { BODY; }                               \
			u64 ns = rdtsc() - start;                                               \
			com2_dec(ns / ((u64)BATCH * (calls_per_body)));                         \
			if (b + 1 < BATCHES) com2_putc(',');                                    \
		}                                                                           \
		com2_puts("]");                                                             \
	} while (0)

static inline __attribute__((always_inline)) void cpuid_body(void) { u32 a, b, c, d; cpuid(0, 0, &a, &b, &c, &d); }

/* PROBE as a guest issues it: RAX and VMCALL, nothing else loaded. */
static inline __attribute__((always_inline)) void probe_body(void) {
	u64 rax = YMIR_VMC_SERVICE_PROBE;
	__asm__ volatile("vmcall" : "+a"(rax) :: "rbx", "rcx", "rdx", "rsi", "memory");
}

static u32 call_length;
static void call_body(void) {
	vmcall(YMIR_VMC_SERVICE_CALL, (u64)request_buffer, call_length, (u64)response_buffer, sizeof response_buffer, 0);
}

static void echo_request(u32 entries) {
	struct request r;
	request_begin(&r, request_buffer);
	u8 echo[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	for (u32 e = 0; e < entries; e++) request_add(&r, YMIR_VMC_OP_ECHO, echo, sizeof echo);
	call_length = request_end(&r, 0);
}

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	com2_puts("{");
	BATCHES_OF("cpuid", 1, cpuid_body());
	com2_putc(',');
	BATCHES_OF("probe", 1, probe_body());
	com2_putc(',');
	echo_request(1);
	BATCHES_OF("echo1", 1, call_body());
	com2_putc(',');
	echo_request(16);
	BATCHES_OF("echo16", 16, call_body());
	com2_putc(',');
	echo_request(256);
	BATCHES_OF("echo256", 256, call_body());
	com2_putc(',');
	struct request r;
	request_begin(&r, request_buffer);
	struct ymir_vmc_mem_read_args args = { 0x100000, YMIR_VMC_MAX_MEM_READ_BYTES, 0 };
	request_add(&r, YMIR_VMC_OP_MEM_READ, &args, sizeof args);
	call_length = request_end(&r, 0);
	BATCHES_OF("memRead64k", 1, call_body());
	/* UART output, one I/O exit per byte: THR writes without polling LSR (the ring back-pressures). */
	u64 start = rdtsc();
	for (u32 i = 0; i < UART_BYTES; i++) outb(COM1, 'a' + i % 26);
	u64 uart = rdtsc() - start;
	com2_puts(",\"uartNs\":"); com2_dec(uart); com2_puts(",\"uartBytes\":"); com2_dec(UART_BYTES);
	com2_puts("}\n");
	bare_exit(0);
}
