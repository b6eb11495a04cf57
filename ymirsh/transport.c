#include <ymir_vmc_check.h>

#include "lib/rt.h"
#include "lib/sys.h"
#include "transport.h"
#include "vmcall.h"

enum { REQUEST_CAPACITY = 64 * 1024, RESPONSE_CAPACITY = 96 * 1024 };

/* 8-byte aligned, as the ABI requires of both buffers. */
static uint8_t request[REQUEST_CAPACITY] __attribute__((aligned(8)));
static uint8_t response[RESPONSE_CAPACITY] __attribute__((aligned(8)));
static struct entry entries[YMIR_VMC_MAX_ENTRIES];
static uint32_t request_length, request_entries, request_flags;
static int request_elevated, request_overflow;

struct call_error call_error;
uint64_t vmcalls;
int last_call_privileged;

/* Note why a call failed; returns `status`. */
static int __attribute__((format(printf, 2, 3))) fail(int status, const char *fmt, ...)
{
	struct sink s = { call_error.message, 0, sizeof(call_error.message) - 1, -1, 0 };
	va_list ap;

	va_start(ap, fmt);
	vsfmt(&s, fmt, ap);
	va_end(ap);
	call_error.message[s.len] = 0;
	call_error.status = status;
	return status;
}



int op_privileged(unsigned op)
{
	switch (op) {
#define PRIVILEGED(name, number, privileged) case number: return privileged;
	YMIR_VMC_OPS(PRIVILEGED)
#undef PRIVILEGED
	}
	return 0;
}

const char *status_name(int status)
{
	static char unknown[24];
	struct sink s = { unknown, 0, sizeof(unknown) - 1, -1, 0 };

	switch (status) {
#define NAME(name, value) case value: return #name;
	YMIR_VMC_STATUSES(NAME)
#undef NAME
	}
	sfmt(&s, "E?(%d)", status);
	unknown[s.len] = 0;
	return unknown;
}

void probe(struct probe *out)
{
	struct ymir_vmcall_regs regs = { YMIR_VMC_SERVICE_PROBE, 0, 0, 0, 0, 0 };

	vmcalls++;
	vmcall_direct(&regs);
	out->rax = regs.rax;
	out->magic = regs.rbx;
	out->major = (uint32_t)(regs.rcx >> 16) & 0xffff;
	out->minor = (uint32_t)regs.rcx & 0xffff;
	out->features = regs.rdx;
	out->max_message = regs.rsi;
}

int64_t hello(void)
{
	struct ymir_vmcall_regs regs = { YMIR_VMC_SERVICE_HELLO, 0, 0, 0, 0, 0 };

	vmcalls++;
	vmcall_direct(&regs);
	return (int64_t)regs.rax;
}

void request_begin(uint32_t flags)
{
	request_length = sizeof(struct ymir_vmc_request_header);
	request_entries = 0;
	request_flags = flags;
	request_elevated = 0;
	request_overflow = 0;
}

void request_add(uint16_t op, const void *args, uint32_t length)
{
	struct ymir_vmc_request_entry e = { op, 0, length };
	uint64_t padded = ((uint64_t)length + 7) & ~(uint64_t)7;

	if (request_length + sizeof(e) + padded > REQUEST_CAPACITY || request_entries == YMIR_VMC_MAX_ENTRIES) {
		request_overflow = 1;
		return;
	}
	memcpy(request + request_length, &e, sizeof(e));
	memcpy(request + request_length + sizeof(e), args, length);
	memset(request + request_length + sizeof(e) + length, 0, padded - length);
	request_length += (uint32_t)(sizeof(e) + padded);
	request_entries++;
	request_elevated |= op_privileged(op);
}

/* The VMCALL itself: through the kernel when asked and possible, else directly. */
static int call(struct ymir_vmcall_regs *regs, int elevate)
{
	vmcalls++;
	last_call_privileged = 0;
	if (elevate) {
		struct ymir_vmcall_regs saved = *regs;
		long ret = vmcall_kernel(regs);

		if (ret == 0) {
			last_call_privileged = 1;
			return 0;
		}
		if (ret == -ENODEV) return fail(YMIR_VMC_EPROTO, "the kernel's VMCALL raised #UD: no VMM answers it");
		if (ret != -ENOSYS && ret != -EPERM) return fail(YMIR_VMC_EPROTO, "the kernel refused the VMCALL (errno %ld)", -ret);
		*regs = saved; /* no such kernel call, or not root: the VMM decides, at CPL 3 */
	}
	vmcall_direct(regs);
	return 0;
}

const struct entry *request_send(int elevate, uint32_t *count)
{
	struct ymir_vmc_request_header h = {
		YMIR_VMC_REQUEST_MAGIC, YMIR_VMC_ABI_MAJOR, YMIR_VMC_ABI_MINOR, request_flags, request_entries, request_length, 0,
	};
	struct ymir_vmcall_regs regs;
	struct vmc_response_walk walk;
	struct ymir_vmc_response_entry e;
	const uint8_t *data;
	int64_t status;
	uint32_t n = 0;
	int got;

	if (request_overflow) {
		fail(YMIR_VMC_E2BIG, "the request does not fit ymirsh's %u-byte buffer", (unsigned)REQUEST_CAPACITY);
		return 0;
	}
	memcpy(request, &h, sizeof(h));
	regs.rax = YMIR_VMC_SERVICE_CALL;
	regs.rbx = (uint64_t)request;
	regs.rcx = request_length;
	regs.rdx = (uint64_t)response;
	regs.rsi = RESPONSE_CAPACITY;
	regs.rdi = 0;
	if (call(&regs, elevate || request_elevated) != 0) return 0;
	status = (int64_t)regs.rax;
	if (status != YMIR_VMC_OK && status != YMIR_VMC_ENOSPC) {
		fail((int)status, "CALL failed: %s", status_name((int)status));
		return 0;
	}
	if (regs.rbx > RESPONSE_CAPACITY) {
		fail(YMIR_VMC_EPROTO, "bad response: the VMM claims more bytes than the buffer holds");
		return 0;
	}
	if (vmc_response_begin(&walk, response, regs.rbx) != YMIR_VMC_OK) {
		fail(YMIR_VMC_EPROTO, "bad response: not a response of this ABI");
		return 0;
	}
	while ((got = vmc_response_next(&walk, &e, &data)) == 1) {
		struct entry *out = &entries[n++];
		out->op = e.op;
		out->status = e.status;
		out->data = data;
		out->length = e.data_length;
		out->needed = e.needed_length;
		/* An OK answer whose data is not a result of its op is no answer (spec 4, "Results"). */
		if (e.status == YMIR_VMC_OK) out->status = vmc_check_result(e.op, data, e.data_length);
	}
	if (got != 0) {
		fail(YMIR_VMC_EPROTO, "bad response: entries do not frame the response");
		return 0;
	}
	*count = n;
	return entries;
}
