/* Building CALL requests in a buffer (shell-protocol/spec.md section 3), for test images. */
#ifndef BARE_REQUEST_H
#define BARE_REQUEST_H
#include "bare.h"
#include "ymir_vmc.h"

struct request { u8 *base; u32 length; u32 count; };

static inline void request_begin(struct request *r, void *buffer) {
	r->base = buffer;
	r->length = sizeof(struct ymir_vmc_request_header);
	r->count = 0;
}

static inline void request_add(struct request *r, u16 op, const void *args, u32 length) {
	struct ymir_vmc_request_entry *e = (void *)(r->base + r->length);
	e->op = op;
	e->flags = 0;
	e->arg_length = length;
	u8 *p = (u8 *)(e + 1);
	for (u32 k = 0; k < length; k++) p[k] = ((const u8 *)args)[k];
	u32 padded = (length + 7) & ~7u;
	for (u32 k = length; k < padded; k++) p[k] = 0;
	r->length += sizeof *e + padded;
	r->count++;
}

static inline u32 request_end(struct request *r, u32 flags) {
	struct ymir_vmc_request_header *h = (void *)r->base;
	h->magic = YMIR_VMC_REQUEST_MAGIC;
	h->version_major = YMIR_VMC_ABI_MAJOR;
	h->version_minor = YMIR_VMC_ABI_MINOR;
	h->flags = flags;
	h->entry_count = r->count;
	h->total_length = r->length;
	h->reserved0 = 0;
	return r->length;
}
#endif
