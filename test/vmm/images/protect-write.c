/*
 * The kernel write-protects a page of its own with PROTECT, then writes into it: the VMM refuses
 * the write and the guest goes on; it reports what the page holds through the debug-exit status.
 */
#include "request.h"

#define PAGE 0x400000ul
static u8 request_buffer[4096] __attribute__((aligned(8)));
static u8 response_buffer[4096] __attribute__((aligned(8)));

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	volatile u8 *page = (volatile u8 *)PAGE;
	*page = 0x11;
	struct request r;
	request_begin(&r, request_buffer);
	struct ymir_vmc_range range = { PAGE, 4096 };
	request_add(&r, YMIR_VMC_OP_PROTECT, &range, sizeof range);
	u32 length = request_end(&r, 0);
	struct vmcall_result result = vmcall(YMIR_VMC_SERVICE_CALL, (u64)request_buffer, length, (u64)response_buffer, sizeof response_buffer, 0);
	if (result.status != 0) bare_exit(1);
	*page = 0x22; /* refused: an EPT violation the VMM logs, counts and skips */
	bare_exit(*page);
}
