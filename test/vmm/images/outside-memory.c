/* A load from guest-physical memory that does not exist: an EPT violation the VMM cannot handle. */
#include "bare.h"

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	volatile u32 *nowhere = (volatile u32 *)0x7fff0000ul;
	(void)*nowhere;
	bare_exit(1);
}
