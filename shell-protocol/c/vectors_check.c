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
#include "ymir_vmc_check.h"

struct outcome {
	int status;          /* of the whole message */
	unsigned count;      /* entries, or mirrored vCPUs of a shared page */
	unsigned first_op;
	int first_error;     /* status of the first entry that fails its argument or result checks, or 0 */
};

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
	VMC_LOAD(h, buf);
	if (h.magic != YMIR_VMC_REQUEST_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) return refused(YMIR_VMC_EPROTO);
	if (h.total_length > YMIR_VMC_MAX_MESSAGE_SIZE) return refused(YMIR_VMC_E2BIG);
	if (h.total_length != len) return refused(YMIR_VMC_EINVAL);
	if ((h.flags & ~(uint32_t)YMIR_VMC_REQUEST_STOP_ON_ERROR) != 0 || h.reserved0 != 0) return refused(YMIR_VMC_EINVAL);
	if (h.entry_count > YMIR_VMC_MAX_ENTRIES) return refused(YMIR_VMC_E2BIG);
	for (i = 0; i < h.entry_count; i++) {
		struct ymir_vmc_request_entry e;
		uint64_t args, end;

		if (at + sizeof(e) > len) return refused(YMIR_VMC_EINVAL);
		VMC_LOAD(e, buf + at);
		if (e.flags != 0) return refused(YMIR_VMC_EINVAL);
		args = at + sizeof(e);
		end = args + VMC_ALIGN8((uint64_t)e.arg_length);
		if (end > len) return refused(YMIR_VMC_EINVAL);
		if (!vmc_is_zero(buf + args + e.arg_length, (size_t)(end - args - e.arg_length))) return refused(YMIR_VMC_EINVAL);
		if (i == 0) out.first_op = e.op;
		if (out.first_error == 0) out.first_error = vmc_check_args(e.op, buf + args, e.arg_length);
		at = end;
	}
	if (at != len) return refused(YMIR_VMC_EINVAL);
	out.count = h.entry_count;
	return out;
}

/* What a guest checks before trusting a response (spec 3.5). */
static struct outcome check_response(const uint8_t *buf, size_t len)
{
	struct outcome out = { 0, 0, 0, 0 };
	struct vmc_response_walk walk;
	struct ymir_vmc_response_entry e;
	const uint8_t *data;
	int got;

	if (vmc_response_begin(&walk, buf, len) != YMIR_VMC_OK) return refused(YMIR_VMC_EPROTO);
	while ((got = vmc_response_next(&walk, &e, &data)) == 1) {
		if (out.count++ == 0) out.first_op = e.op;
		if (out.first_error == 0) out.first_error = e.status != YMIR_VMC_OK ? e.status : vmc_check_result(e.op, data, e.data_length);
	}
	return got == 0 ? out : refused(YMIR_VMC_EPROTO);
}

/* Spec section 7: the shared page. */
static struct outcome check_shared_page(const uint8_t *buf, size_t len)
{
	struct outcome out = { 0, 0, 0, 0 };
	struct ymir_vmc_shared_page h;

	if (len < YMIR_VMC_PAGE_SIZE || vmc_check_shared_page(buf) != YMIR_VMC_OK) return refused(YMIR_VMC_EPROTO);
	VMC_LOAD(h, buf);
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
