/*
 * A console flood: FLOOD_BYTES of numbered lines on COM1 as fast as the UART takes them (polled
 * THR writes), so a lost, doubled or reordered byte shows. Then the debug exit.
 */
#include "bare.h"

#define FLOOD_BYTES (10u << 20)

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
	u32 left = FLOOD_BYTES;
	for (u32 n = 0; left > 0; n++) {
		char line[80];
		int k = 0;
		for (const char *p = "flood "; *p; p++) line[k++] = *p;
		for (int d = 7, v = n; d >= 0; d--, v /= 10) line[k + d] = '0' + v % 10;
		k += 8;
		line[k++] = ' ';
		for (const char *p = letters; *p; p++) line[k++] = *p;
		line[k++] = '\n';
		for (int j = 0; j < k && left > 0; j++, left--) putc(line[j]);
	}
	bare_exit(0);
}
