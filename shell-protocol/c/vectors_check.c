/*
 * vectors_check.c - decode the golden vectors with nothing but ymir_vmc.h and check each one
 * against its manifest line (status, entry count, first op). It is a second, independent
 * implementation of the decoding rules of shell-protocol/spec.md, section "Checking a request".
 *
 * usage: vectors_check VECTOR_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ymir_vmc.h"

#define ALIGN8(n) (((n) + 7u) & ~7u)

struct outcome {
	int status;
	unsigned entries;
	unsigned first_op;
};

static struct outcome check_request(const uint8_t *buf, size_t len)
{
	struct outcome out = { 0, 0, 0 };
	struct ymir_vmc_request_header h;
	size_t at;
	unsigned i;

	if (len < sizeof(h)) { out.status = YMIR_VMC_EINVAL; return out; }
	memcpy(&h, buf, sizeof(h));
	if (h.magic != YMIR_VMC_REQUEST_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) { out.status = YMIR_VMC_EPROTO; return out; }
	if (h.total_length > YMIR_VMC_MAX_MESSAGE_SIZE) { out.status = YMIR_VMC_E2BIG; return out; }
	if (h.total_length != len) { out.status = YMIR_VMC_EINVAL; return out; }
	if ((h.flags & ~YMIR_VMC_REQUEST_STOP_ON_ERROR) != 0 || h.reserved0 != 0) { out.status = YMIR_VMC_EINVAL; return out; }
	if (h.entry_count > YMIR_VMC_MAX_ENTRIES) { out.status = YMIR_VMC_E2BIG; return out; }
	at = sizeof(h);
	for (i = 0; i < h.entry_count; i++) {
		struct ymir_vmc_request_entry e;
		size_t end, k;

		if (at + sizeof(e) > len) { out.status = YMIR_VMC_EINVAL; return out; }
		memcpy(&e, buf + at, sizeof(e));
		if (e.flags != 0) { out.status = YMIR_VMC_EINVAL; return out; }
		end = at + sizeof(e) + ALIGN8((size_t)e.arg_length);
		if (e.arg_length > len || end > len) { out.status = YMIR_VMC_EINVAL; return out; }
		for (k = at + sizeof(e) + e.arg_length; k < end; k++)
			if (buf[k] != 0) { out.status = YMIR_VMC_EINVAL; return out; }
		if (i == 0) out.first_op = e.op;
		at = end;
	}
	if (at != len) { out.status = YMIR_VMC_EINVAL; return out; }
	out.entries = h.entry_count;
	return out;
}

static struct outcome check_response(const uint8_t *buf, size_t len)
{
	struct outcome out = { 0, 0, 0 };
	struct ymir_vmc_response_header h;
	size_t at;
	unsigned i;

	if (len < sizeof(h)) { out.status = YMIR_VMC_EPROTO; return out; }
	memcpy(&h, buf, sizeof(h));
	if (h.magic != YMIR_VMC_RESPONSE_MAGIC || h.version_major != YMIR_VMC_ABI_MAJOR) { out.status = YMIR_VMC_EPROTO; return out; }
	if (h.total_length > len || h.total_length < sizeof(h) || h.entry_count > YMIR_VMC_MAX_ENTRIES) { out.status = YMIR_VMC_EPROTO; return out; }
	at = sizeof(h);
	for (i = 0; i < h.entry_count; i++) {
		struct ymir_vmc_response_entry e;

		if (at + sizeof(e) > h.total_length) { out.status = YMIR_VMC_EPROTO; return out; }
		memcpy(&e, buf + at, sizeof(e));
		if (e.needed_length < e.data_length) { out.status = YMIR_VMC_EPROTO; return out; }
		if (i == 0) out.first_op = e.op;
		at += sizeof(e) + ALIGN8((size_t)e.data_length);
		if (at > h.total_length) { out.status = YMIR_VMC_EPROTO; return out; }
	}
	if (at != h.total_length) { out.status = YMIR_VMC_EPROTO; return out; }
	out.entries = h.entry_count;
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
	char path[4096], file[256], kind[16];
	int status, failures = 0, checked = 0;
	unsigned entries, first_op;
	FILE *manifest;

	if (argc != 2) { fprintf(stderr, "usage: %s VECTOR_DIR\n", argv[0]); return 2; }
	snprintf(path, sizeof(path), "%s/manifest.txt", argv[1]);
	manifest = fopen(path, "r");
	if (!manifest) { perror(path); return 2; }
	while (fscanf(manifest, "%255s %15s %d %u %u", file, kind, &status, &entries, &first_op) == 5) {
		struct outcome got;
		size_t len;
		uint8_t *buf;

		snprintf(path, sizeof(path), "%s/%s", argv[1], file);
		buf = load(path, &len);
		if (!buf) { fprintf(stderr, "%s: cannot read\n", path); failures++; continue; }
		got = strcmp(kind, "request") == 0 ? check_request(buf, len) : check_response(buf, len);
		free(buf);
		checked++;
		if (got.status != status || (status == 0 && (got.entries != entries || got.first_op != first_op))) {
			fprintf(stderr, "%s: status %d entries %u op %u, manifest says %d %u %u\n", file, got.status, got.entries, got.first_op, status, entries, first_op);
			failures++;
		}
	}
	fclose(manifest);
	printf("%d vectors checked, %d failures\n", checked, failures);
	return failures == 0 && checked > 0 ? 0 : 1;
}
