/*
 * ymir_vmc_check.h - the checks of shell-protocol/spec.md a C guest or tool makes on messages, with
 * nothing but ymir_vmc.h (and memcpy, which a freestanding build provides): an entry's arguments (section 4, "Arguments"), an OK entry's
 * result (section 4, "Results"), a response's framing walked entry by entry (section 3.5) and the
 * shared page's header (section 7). c/vectors_check.c runs them over the golden vectors; ymirsh
 * trusts a response only after them. Every function is static inline: include it where needed.
 */
#ifndef YMIR_VMC_CHECK_H
#define YMIR_VMC_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ymir_vmc.h"

#define VMC_ALIGN8(n) (((n) + 7u) & ~(uint64_t)7u)


/* Structs are read with memcpy: buffers carry no alignment promise, and the ABI is little-endian. */
#define VMC_LOAD(dst, buf) __builtin_memcpy(&(dst), (buf), sizeof(dst))

static inline int vmc_is_zero(const uint8_t *p, size_t n)
{
	while (n--) if (*p++) return 0;
	return 1;
}

static inline int vmc_check_vcpu_args(const uint8_t *args, size_t len, int allow_all)
{
	struct ymir_vmc_vcpu_args a;

	if (len != sizeof(a)) return YMIR_VMC_EINVAL;
	VMC_LOAD(a, args);
	if (a.reserved0 != 0) return YMIR_VMC_EINVAL;
	if (!allow_all && a.vcpu == YMIR_VMC_ALL_VCPUS) return YMIR_VMC_EINVAL;
	return YMIR_VMC_OK;
}

static inline int vmc_check_range(const uint8_t *args, size_t len)
{
	struct ymir_vmc_range r;

	if (len != sizeof(r)) return YMIR_VMC_EINVAL;
	VMC_LOAD(r, args);
	if (r.length == 0 || r.gpa % YMIR_VMC_PAGE_SIZE != 0 || r.length % YMIR_VMC_PAGE_SIZE != 0) return YMIR_VMC_EINVAL;
	/* The range may end exactly at 2^64 but not wrap past it. */
	if (r.gpa != 0 && r.length > (UINT64_MAX - r.gpa) + 1) return YMIR_VMC_EINVAL;
	return YMIR_VMC_OK;
}

/* Spec section 4: what an entry's arguments earn before the VMM looks at any state. */
static inline int vmc_check_args(unsigned op, const uint8_t *args, size_t len)
{
	switch (op) {
	case YMIR_VMC_OP_HELLO:
	case YMIR_VMC_OP_OPS:
	case YMIR_VMC_OP_VM_INFO:
	case YMIR_VMC_OP_PROTECTED:
		return len == 0 ? YMIR_VMC_OK : YMIR_VMC_EINVAL;
	case YMIR_VMC_OP_VCPU_REGS:
		return vmc_check_vcpu_args(args, len, 0);
	case YMIR_VMC_OP_EXIT_STATS:
	case YMIR_VMC_OP_STATS_RESET:
		return vmc_check_vcpu_args(args, len, 1);
	case YMIR_VMC_OP_LOG_READ: {
		struct ymir_vmc_log_read_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		VMC_LOAD(a, args);
		if (a.reserved0 != 0 || a.max_records < 1 || a.max_records > YMIR_VMC_MAX_LOG_RECORDS) return YMIR_VMC_EINVAL;
		return YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_TRANSLATE:
		return len == sizeof(struct ymir_vmc_address_args) ? YMIR_VMC_OK : YMIR_VMC_EINVAL;
	case YMIR_VMC_OP_MEM_READ: {
		struct ymir_vmc_mem_read_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		VMC_LOAD(a, args);
		if (a.reserved0 != 0 || a.length == 0) return YMIR_VMC_EINVAL;
		return a.length > YMIR_VMC_MAX_MEM_READ_BYTES ? YMIR_VMC_E2BIG : YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_PROTECT:
	case YMIR_VMC_OP_UNPROTECT:
	case YMIR_VMC_OP_SEAL:
		return vmc_check_range(args, len);
	case YMIR_VMC_OP_DIS: {
		struct ymir_vmc_dis_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		VMC_LOAD(a, args);
		if (a.reserved0 != 0 || a.count == 0) return YMIR_VMC_EINVAL;
		if (a.syntax != YMIR_VMC_DIS_SYNTAX_INTEL && a.syntax != YMIR_VMC_DIS_SYNTAX_ATT) return YMIR_VMC_EINVAL;
		return a.count > YMIR_VMC_MAX_DIS_INSTRUCTIONS ? YMIR_VMC_E2BIG : YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_BT: {
		struct ymir_vmc_bt_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		VMC_LOAD(a, args);
		if (a.vcpu == YMIR_VMC_ALL_VCPUS || a.max_frames == 0) return YMIR_VMC_EINVAL;
		return a.max_frames > YMIR_VMC_MAX_BT_FRAMES ? YMIR_VMC_E2BIG : YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_LOG_LEVEL: {
		struct ymir_vmc_log_level_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		VMC_LOAD(a, args);
		if (a.reserved0 != 0) return YMIR_VMC_EINVAL;
		return a.level == YMIR_VMC_LOG_LEVEL_QUERY || a.level <= YMIR_VMC_LOG_ERROR ? YMIR_VMC_OK : YMIR_VMC_EINVAL;
	}
	case YMIR_VMC_OP_ECHO:
		return len > YMIR_VMC_MAX_ECHO_BYTES ? YMIR_VMC_E2BIG : YMIR_VMC_OK;
	default:
		return YMIR_VMC_ENOSYS;
	}
}

/* A header of `fixed` bytes, with a u32 record count at `count_at`, then that many records must fit. */
static inline int vmc_check_counted(const uint8_t *data, size_t len, size_t fixed, size_t count_at, size_t record)
{
	uint32_t count;

	if (len < fixed) return YMIR_VMC_EPROTO;
	__builtin_memcpy(&count, data + count_at, sizeof(count));
	return (uint64_t)fixed + (uint64_t)count * record <= len ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
}

static inline int vmc_check_log_read(const uint8_t *data, size_t len)
{
	struct ymir_vmc_log_read h;
	uint64_t at = sizeof(h);
	uint32_t i;

	if (len < sizeof(h)) return YMIR_VMC_EPROTO;
	VMC_LOAD(h, data);
	for (i = 0; i < h.count; i++) {
		struct ymir_vmc_log_record r;
		uint64_t text;

		if (at + sizeof(r) > len) return YMIR_VMC_EPROTO;
		VMC_LOAD(r, data + at);
		text = (uint64_t)r.scope_length + r.message_length;
		if (at + sizeof(r) + text > len) return YMIR_VMC_EPROTO;
		at += sizeof(r) + VMC_ALIGN8(text);
	}
	return YMIR_VMC_OK;
}

/* DIS: each instruction's header, bytes (1 to 15) and text lie inside the data. */
static inline int vmc_check_dis(const uint8_t *data, size_t len)
{
	struct ymir_vmc_dis h;
	uint64_t at = sizeof(h);
	uint32_t i;

	if (len < sizeof(h)) return YMIR_VMC_EPROTO;
	VMC_LOAD(h, data);
	for (i = 0; i < h.count; i++) {
		struct ymir_vmc_dis_insn insn;
		uint64_t body;

		if (at + sizeof(insn) > len) return YMIR_VMC_EPROTO;
		VMC_LOAD(insn, data + at);
		if (insn.length < 1 || insn.length > YMIR_VMC_MAX_INSTRUCTION_BYTES) return YMIR_VMC_EPROTO;
		body = (uint64_t)insn.length + insn.text_length;
		if (at + sizeof(insn) + body > len) return YMIR_VMC_EPROTO;
		at += sizeof(insn) + VMC_ALIGN8(body);
	}
	return YMIR_VMC_OK;
}

/* Whether an OK answer's data is a well-formed result of its op (spec section 4). */
static inline int vmc_check_result(unsigned op, const uint8_t *data, size_t len)
{
	switch (op) {
	case YMIR_VMC_OP_HELLO:
	case YMIR_VMC_OP_MEM_READ:
	case YMIR_VMC_OP_ECHO:
		return YMIR_VMC_OK;
	case YMIR_VMC_OP_PROTECT:
	case YMIR_VMC_OP_UNPROTECT:
	case YMIR_VMC_OP_SEAL:
	case YMIR_VMC_OP_STATS_RESET:
		return len == 0 ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
	case YMIR_VMC_OP_DIS:
		return vmc_check_dis(data, len);
	case YMIR_VMC_OP_BT:
		return vmc_check_counted(data, len, sizeof(struct ymir_vmc_bt), offsetof(struct ymir_vmc_bt, count), sizeof(struct ymir_vmc_bt_frame));
	case YMIR_VMC_OP_OPS:
		return vmc_check_counted(data, len, sizeof(struct ymir_vmc_ops), offsetof(struct ymir_vmc_ops, count), sizeof(struct ymir_vmc_op_info));
	case YMIR_VMC_OP_PROTECTED:
		return vmc_check_counted(data, len, sizeof(struct ymir_vmc_protected), offsetof(struct ymir_vmc_protected, count), sizeof(struct ymir_vmc_protected_range));
	case YMIR_VMC_OP_EXIT_STATS:
		return vmc_check_counted(data, len, sizeof(struct ymir_vmc_exit_stats), offsetof(struct ymir_vmc_exit_stats, count), sizeof(struct ymir_vmc_exit_count));
	case YMIR_VMC_OP_VM_INFO:
		return len >= sizeof(struct ymir_vmc_vm_info) ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
	case YMIR_VMC_OP_VCPU_REGS: {
		struct ymir_vmc_regs r;

		if (len < sizeof(r)) return YMIR_VMC_EPROTO;
		VMC_LOAD(r, data);
		if (r.state > YMIR_VMC_VCPU_STOPPED || (r.cpl != 0 && r.cpl != 3)) return YMIR_VMC_EPROTO;
		return YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_LOG_READ:
		return vmc_check_log_read(data, len);
	case YMIR_VMC_OP_TRANSLATE:
		return len >= sizeof(struct ymir_vmc_translation) ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
	case YMIR_VMC_OP_LOG_LEVEL:
		return len >= sizeof(struct ymir_vmc_log_level) ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
	default:
		return YMIR_VMC_ENOSYS;
	}
}

/*
 * A response walked entry by entry (spec 3.5): vmc_response_begin checks the header, then each
 * vmc_response_next checks and returns one entry (1), the end (0) or EPROTO for bad framing.
 */
struct vmc_response_walk {
	const uint8_t *buf;
	uint64_t at;
	uint32_t total;
	uint32_t left;
};

static inline int vmc_response_begin(struct vmc_response_walk *w, const uint8_t *buf, size_t len)
{
	struct ymir_vmc_response_header h;

	if (len < sizeof(h)) return YMIR_VMC_EPROTO;
	VMC_LOAD(h, buf);
	if (h.magic != YMIR_VMC_RESPONSE_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) return YMIR_VMC_EPROTO;
	if (h.total_length > len || h.total_length < sizeof(h) || h.entry_count > YMIR_VMC_MAX_ENTRIES) return YMIR_VMC_EPROTO;
	w->buf = buf;
	w->at = sizeof(h);
	w->total = h.total_length;
	w->left = h.entry_count;
	return YMIR_VMC_OK;
}

static inline int vmc_response_next(struct vmc_response_walk *w, struct ymir_vmc_response_entry *e, const uint8_t **data)
{
	uint64_t start;

	if (w->left == 0) return w->at == w->total ? 0 : YMIR_VMC_EPROTO;
	if (w->at + sizeof(*e) > w->total) return YMIR_VMC_EPROTO;
	VMC_LOAD(*e, w->buf + w->at);
	start = w->at + sizeof(*e);
	if (start + VMC_ALIGN8((uint64_t)e->data_length) > w->total || e->needed_length < e->data_length) return YMIR_VMC_EPROTO;
	*data = w->buf + start;
	w->at = start + VMC_ALIGN8((uint64_t)e->data_length);
	w->left--;
	return 1;
}

/* Spec section 7: the header rules a reader of the MAP_SHARED page checks (a page of YMIR_VMC_PAGE_SIZE bytes). */
static inline int vmc_check_shared_page(const uint8_t *page)
{
	struct ymir_vmc_shared_page h;

	VMC_LOAD(h, page);
	if (h.magic != YMIR_VMC_SHARED_PAGE_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) return YMIR_VMC_EPROTO;
	if (h.vcpu_count > YMIR_VMC_SHARED_PAGE_MAX_VCPUS || h.vcpu_count > h.total_vcpus || h.reason_count != YMIR_VMC_EXIT_REASON_COUNT) return YMIR_VMC_EPROTO;
	return YMIR_VMC_OK;
}

#endif /* YMIR_VMC_CHECK_H */
