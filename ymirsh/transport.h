/*
 * ymirsh's VMCALL transport: requests are built in ymirsh's own memory, the VMCALL names them by
 * guest-virtual address, and the response is checked (spec.md 3.5) before any entry is read.
 * Several queries go in one multi-call. A request with a privileged op goes through the kernel
 * (CPL 0); where the kernel has no such call (real Linux) or refuses a non-root caller, ymirsh
 * makes the VMCALL itself and the VMM's EPERM is the answer.
 */
#ifndef YMIRSH_TRANSPORT_H
#define YMIRSH_TRANSPORT_H

#include <stdint.h>

#include <ymir_vmc.h>

struct probe {
	uint64_t rax;    /* PROBE's status: 0 from a ymir VMM */
	uint64_t magic;  /* RBX */
	uint32_t major, minor;
	uint64_t features;
	uint64_t max_message;
};

/* One answered entry; `data` points into the response buffer until the next call. */
struct entry {
	uint16_t op;
	int32_t status;
	const uint8_t *data;
	uint32_t length;
	uint32_t needed;
};

/* Why a call failed as a whole: a status and one line saying why. */
struct call_error {
	int status;
	char message[200];
};
extern struct call_error call_error;

/* Calls made so far (for tests and ping). */
extern uint64_t vmcalls;

void probe(struct probe *out);
/* Service 0, as the seed's ymirsh: the VMM logs its greeting. Returns the status. */
int64_t hello(void);

/* Start a request; add entries; send it. */
void request_begin(uint32_t flags);
void request_add(uint16_t op, const void *args, uint32_t length);
/*
 * Send the request: through the kernel when an entry is privileged or `elevate` asks (ops that
 * read guest memory see more at CPL 0). Returns the entries answered (*count of them), or NULL
 * with call_error set.
 */
const struct entry *request_send(int elevate, uint32_t *count);
/* Whether the last call ran at CPL 0 (through the kernel). */
extern int last_call_privileged;

/* Is `op` privileged (spec.md 2.1)? */
int op_privileged(unsigned op);
const char *status_name(int status);

#endif
