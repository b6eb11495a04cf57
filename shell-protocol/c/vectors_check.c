/*
 * vectors_check.c - decode the golden vectors with nothing but ymir_vmc.h and check each one
 * against its manifest line. It is a second, independent implementation of the decoding rules
 * of shell-protocol/spec.md (3.3 checking a request, 4 the ops, 7 the shared page), written the
 * way a guest or VMM in C would write them. The struct sizes and offsets are checked when it
 * compiles, by the header's static asserts.
 *
 * usage: vectors_check VECTOR_DIR
 * Manifest lines: FILE KIND STATUS COUNT FIRST_OP FIRST_ERROR (see shell-protocol/vectors.ts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ymir_vmc.h"

#define ALIGN8(n) (((n) + 7u) & ~(uint64_t)7u)

struct outcome {
	int status;          /* of the whole message */
	unsigned count;      /* entries, or mirrored vCPUs of a shared page */
	unsigned first_op;
	int first_error;     /* status of the first entry that fails its argument or result checks, or 0 */
};

/* Structs are read with memcpy: buffers carry no alignment promise, and the ABI is little-endian. */
#define LOAD(dst, buf) memcpy(&(dst), (buf), sizeof(dst))

static int is_zero(const uint8_t *p, size_t n)
{
	while (n--) if (*p++) return 0;
	return 1;
}

static int check_vcpu_args(const uint8_t *args, size_t len, int allow_all)
{
	struct ymir_vmc_vcpu_args a;

	if (len != sizeof(a)) return YMIR_VMC_EINVAL;
	LOAD(a, args);
	if (a.reserved0 != 0) return YMIR_VMC_EINVAL;
	if (!allow_all && a.vcpu == YMIR_VMC_ALL_VCPUS) return YMIR_VMC_EINVAL;
	return YMIR_VMC_OK;
}

static int check_range(const uint8_t *args, size_t len)
{
	struct ymir_vmc_range r;

	if (len != sizeof(r)) return YMIR_VMC_EINVAL;
	LOAD(r, args);
	if (r.length == 0 || r.gpa % YMIR_VMC_PAGE_SIZE != 0 || r.length % YMIR_VMC_PAGE_SIZE != 0) return YMIR_VMC_EINVAL;
	/* The range may end exactly at 2^64 but not wrap past it. */
	if (r.gpa != 0 && r.length > (UINT64_MAX - r.gpa) + 1) return YMIR_VMC_EINVAL;
	return YMIR_VMC_OK;
}

/* Spec section 4: what an entry's arguments earn before the VMM looks at any state. */
static int check_args(unsigned op, const uint8_t *args, size_t len)
{
	switch (op) {
	case YMIR_VMC_OP_HELLO:
	case YMIR_VMC_OP_OPS:
	case YMIR_VMC_OP_VM_INFO:
	case YMIR_VMC_OP_PROTECTED:
		return len == 0 ? YMIR_VMC_OK : YMIR_VMC_EINVAL;
	case YMIR_VMC_OP_VCPU_REGS:
		return check_vcpu_args(args, len, 0);
	case YMIR_VMC_OP_EXIT_STATS:
	case YMIR_VMC_OP_STATS_RESET:
		return check_vcpu_args(args, len, 1);
	case YMIR_VMC_OP_LOG_READ: {
		struct ymir_vmc_log_read_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		LOAD(a, args);
		if (a.reserved0 != 0 || a.max_records < 1 || a.max_records > YMIR_VMC_MAX_LOG_RECORDS) return YMIR_VMC_EINVAL;
		return YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_TRANSLATE:
		return len == sizeof(struct ymir_vmc_address_args) ? YMIR_VMC_OK : YMIR_VMC_EINVAL;
	case YMIR_VMC_OP_MEM_READ: {
		struct ymir_vmc_mem_read_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		LOAD(a, args);
		if (a.reserved0 != 0 || a.length == 0) return YMIR_VMC_EINVAL;
		return a.length > YMIR_VMC_MAX_MEM_READ_BYTES ? YMIR_VMC_E2BIG : YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_PROTECT:
	case YMIR_VMC_OP_UNPROTECT:
	case YMIR_VMC_OP_SEAL:
		return check_range(args, len);
	case YMIR_VMC_OP_DIS: {
		struct ymir_vmc_dis_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		LOAD(a, args);
		if (a.reserved0 != 0 || a.count == 0) return YMIR_VMC_EINVAL;
		if (a.syntax != YMIR_VMC_DIS_SYNTAX_INTEL && a.syntax != YMIR_VMC_DIS_SYNTAX_ATT) return YMIR_VMC_EINVAL;
		return a.count > YMIR_VMC_MAX_DIS_INSTRUCTIONS ? YMIR_VMC_E2BIG : YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_BT: {
		struct ymir_vmc_bt_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		LOAD(a, args);
		if (a.vcpu == YMIR_VMC_ALL_VCPUS || a.max_frames == 0) return YMIR_VMC_EINVAL;
		return a.max_frames > YMIR_VMC_MAX_BT_FRAMES ? YMIR_VMC_E2BIG : YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_LOG_LEVEL: {
		struct ymir_vmc_log_level_args a;

		if (len != sizeof(a)) return YMIR_VMC_EINVAL;
		LOAD(a, args);
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
static int check_counted(const uint8_t *data, size_t len, size_t fixed, size_t count_at, size_t record)
{
	uint32_t count;

	if (len < fixed) return YMIR_VMC_EPROTO;
	memcpy(&count, data + count_at, sizeof(count));
	return (uint64_t)fixed + (uint64_t)count * record <= len ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
}

static int check_log_read(const uint8_t *data, size_t len)
{
	struct ymir_vmc_log_read h;
	uint64_t at = sizeof(h);
	uint32_t i;

	if (len < sizeof(h)) return YMIR_VMC_EPROTO;
	LOAD(h, data);
	for (i = 0; i < h.count; i++) {
		struct ymir_vmc_log_record r;
		uint64_t text;

		if (at + sizeof(r) > len) return YMIR_VMC_EPROTO;
		LOAD(r, data + at);
		text = (uint64_t)r.scope_length + r.message_length;
		if (at + sizeof(r) + text > len) return YMIR_VMC_EPROTO;
		at += sizeof(r) + ALIGN8(text);
	}
	return YMIR_VMC_OK;
}

/* DIS: each instruction's header, bytes (1 to 15) and text lie inside the data. */
static int check_dis(const uint8_t *data, size_t len)
{
	struct ymir_vmc_dis h;
	uint64_t at = sizeof(h);
	uint32_t i;

	if (len < sizeof(h)) return YMIR_VMC_EPROTO;
	LOAD(h, data);
	for (i = 0; i < h.count; i++) {
		struct ymir_vmc_dis_insn insn;
		uint64_t body;

		if (at + sizeof(insn) > len) return YMIR_VMC_EPROTO;
		LOAD(insn, data + at);
		if (insn.length < 1 || insn.length > YMIR_VMC_MAX_INSTRUCTION_BYTES) return YMIR_VMC_EPROTO;
		body = (uint64_t)insn.length + insn.text_length;
		if (at + sizeof(insn) + body > len) return YMIR_VMC_EPROTO;
		at += sizeof(insn) + ALIGN8(body);
	}
	return YMIR_VMC_OK;
}

/* Whether an OK answer's data is a well-formed result of its op (spec section 4). */
static int check_result(unsigned op, const uint8_t *data, size_t len)
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
		return check_dis(data, len);
	case YMIR_VMC_OP_BT:
		return check_counted(data, len, sizeof(struct ymir_vmc_bt), offsetof(struct ymir_vmc_bt, count), sizeof(struct ymir_vmc_bt_frame));
	case YMIR_VMC_OP_OPS:
		return check_counted(data, len, sizeof(struct ymir_vmc_ops), offsetof(struct ymir_vmc_ops, count), sizeof(struct ymir_vmc_op_info));
	case YMIR_VMC_OP_PROTECTED:
		return check_counted(data, len, sizeof(struct ymir_vmc_protected), offsetof(struct ymir_vmc_protected, count), sizeof(struct ymir_vmc_protected_range));
	case YMIR_VMC_OP_EXIT_STATS:
		return check_counted(data, len, sizeof(struct ymir_vmc_exit_stats), offsetof(struct ymir_vmc_exit_stats, count), sizeof(struct ymir_vmc_exit_count));
	case YMIR_VMC_OP_VM_INFO:
		return len >= sizeof(struct ymir_vmc_vm_info) ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
	case YMIR_VMC_OP_VCPU_REGS: {
		struct ymir_vmc_regs r;

		if (len < sizeof(r)) return YMIR_VMC_EPROTO;
		LOAD(r, data);
		if (r.state > YMIR_VMC_VCPU_STOPPED || (r.cpl != 0 && r.cpl != 3)) return YMIR_VMC_EPROTO;
		return YMIR_VMC_OK;
	}
	case YMIR_VMC_OP_LOG_READ:
		return check_log_read(data, len);
	case YMIR_VMC_OP_TRANSLATE:
		return len >= sizeof(struct ymir_vmc_translation) ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
	case YMIR_VMC_OP_LOG_LEVEL:
		return len >= sizeof(struct ymir_vmc_log_level) ? YMIR_VMC_OK : YMIR_VMC_EPROTO;
	default:
		return YMIR_VMC_ENOSYS;
	}
}

static struct outcome refused(int status)
{
	struct outcome out = { status, 0, 0, 0 };
	return out;
}

/* Spec 3.3, steps 6 to 10, in that order. */
static struct outcome check_request(const uint8_t *buf, size_t len)
{
	struct outcome out = { 0, 0, 0, 0 };
	struct ymir_vmc_request_header h;
	uint64_t at = sizeof(h);
	uint32_t i;

	if (len < sizeof(h)) return refused(YMIR_VMC_EINVAL);
	LOAD(h, buf);
	if (h.magic != YMIR_VMC_REQUEST_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) return refused(YMIR_VMC_EPROTO);
	if (h.total_length > YMIR_VMC_MAX_MESSAGE_SIZE) return refused(YMIR_VMC_E2BIG);
	if (h.total_length != len) return refused(YMIR_VMC_EINVAL);
	if ((h.flags & ~(uint32_t)YMIR_VMC_REQUEST_STOP_ON_ERROR) != 0 || h.reserved0 != 0) return refused(YMIR_VMC_EINVAL);
	if (h.entry_count > YMIR_VMC_MAX_ENTRIES) return refused(YMIR_VMC_E2BIG);
	for (i = 0; i < h.entry_count; i++) {
		struct ymir_vmc_request_entry e;
		uint64_t args, end;

		if (at + sizeof(e) > len) return refused(YMIR_VMC_EINVAL);
		LOAD(e, buf + at);
		if (e.flags != 0) return refused(YMIR_VMC_EINVAL);
		args = at + sizeof(e);
		end = args + ALIGN8((uint64_t)e.arg_length);
		if (end > len) return refused(YMIR_VMC_EINVAL);
		if (!is_zero(buf + args + e.arg_length, (size_t)(end - args - e.arg_length))) return refused(YMIR_VMC_EINVAL);
		if (i == 0) out.first_op = e.op;
		if (out.first_error == 0) out.first_error = check_args(e.op, buf + args, e.arg_length);
		at = end;
	}
	if (at != len) return refused(YMIR_VMC_EINVAL);
	out.count = h.entry_count;
	return out;
}

/* What a guest checks before trusting a response (spec 3.2). */
static struct outcome check_response(const uint8_t *buf, size_t len)
{
	struct outcome out = { 0, 0, 0, 0 };
	struct ymir_vmc_response_header h;
	uint64_t at = sizeof(h);
	uint32_t i;

	if (len < sizeof(h)) return refused(YMIR_VMC_EPROTO);
	LOAD(h, buf);
	if (h.magic != YMIR_VMC_RESPONSE_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) return refused(YMIR_VMC_EPROTO);
	if (h.total_length > len || h.total_length < sizeof(h) || h.entry_count > YMIR_VMC_MAX_ENTRIES) return refused(YMIR_VMC_EPROTO);
	for (i = 0; i < h.entry_count; i++) {
		struct ymir_vmc_response_entry e;
		uint64_t data;

		if (at + sizeof(e) > h.total_length) return refused(YMIR_VMC_EPROTO);
		LOAD(e, buf + at);
		data = at + sizeof(e);
		if (data + ALIGN8((uint64_t)e.data_length) > h.total_length) return refused(YMIR_VMC_EPROTO);
		if (e.needed_length < e.data_length) return refused(YMIR_VMC_EPROTO);
		if (i == 0) out.first_op = e.op;
		if (out.first_error == 0) out.first_error = e.status != YMIR_VMC_OK ? e.status : check_result(e.op, buf + data, e.data_length);
		at = data + ALIGN8((uint64_t)e.data_length);
	}
	if (at != h.total_length) return refused(YMIR_VMC_EPROTO);
	out.count = h.entry_count;
	return out;
}

/* Spec section 7: the header rules a reader of the MAP_SHARED page checks. */
static struct outcome check_shared_page(const uint8_t *buf, size_t len)
{
	struct outcome out = { 0, 0, 0, 0 };
	struct ymir_vmc_shared_page h;

	if (len < YMIR_VMC_PAGE_SIZE) return refused(YMIR_VMC_EPROTO);
	LOAD(h, buf);
	if (h.magic != YMIR_VMC_SHARED_PAGE_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) return refused(YMIR_VMC_EPROTO);
	if (h.vcpu_count > YMIR_VMC_SHARED_PAGE_MAX_VCPUS || h.vcpu_count > h.total_vcpus || h.reason_count != YMIR_VMC_EXIT_REASON_COUNT) return refused(YMIR_VMC_EPROTO);
	out.count = h.vcpu_count;
	return out;
}

static uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (!f) return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
	buf = malloc((size_t)size + 1);
	if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) { free(buf); buf = NULL; }
	fclose(f);
	*len = (size_t)size;
	return buf;
}

int main(int argc, char **argv)
{
	const uint16_t one = 1;
	char path[4096], file[256], kind[16];
	int status, first_error, failures = 0, checked = 0;
	unsigned count, first_op;
	FILE *manifest;

	if (argc != 2) { fprintf(stderr, "usage: %s VECTOR_DIR\n", argv[0]); return 2; }
	if (*(const uint8_t *)&one != 1) { fprintf(stderr, "this check reads the little-endian ABI in place: it needs a little-endian host\n"); return 2; }
	snprintf(path, sizeof(path), "%s/manifest.txt", argv[1]);
	manifest = fopen(path, "r");
	if (!manifest) { perror(path); return 2; }
	while (fscanf(manifest, "%255s %15s %d %u %u %d", file, kind, &status, &count, &first_op, &first_error) == 6) {
		struct outcome got;
		size_t len;
		uint8_t *buf;

		snprintf(path, sizeof(path), "%s/%s", argv[1], file);
		buf = load(path, &len);
		if (!buf) { fprintf(stderr, "%s: cannot read\n", path); failures++; continue; }
		if (strcmp(kind, "request") == 0) got = check_request(buf, len);
		else if (strcmp(kind, "response") == 0) got = check_response(buf, len);
		else if (strcmp(kind, "shared-page") == 0) got = check_shared_page(buf, len);
		else { fprintf(stderr, "%s: unknown kind %s\n", file, kind); got = refused(1); }
		free(buf);
		checked++;
		if (got.status != status || got.count != count || got.first_op != first_op || got.first_error != first_error) {
			fprintf(stderr, "%s: got %d %u %u %d, manifest says %d %u %u %d\n", file,
				got.status, got.count, got.first_op, got.first_error, status, count, first_op, first_error);
			failures++;
		}
	}
	if (!feof(manifest)) { fprintf(stderr, "manifest.txt: unreadable line after %d vectors\n", checked); failures++; }
	fclose(manifest);
	printf("%d vectors checked, %d failures\n", checked, failures);
	return failures == 0 && checked > 0 ? 0 : 1;
}
