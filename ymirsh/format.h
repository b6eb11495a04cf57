/* Text layouts of ymirsh's answers, each readable at 80 columns, as the TypeScript ymirsh laid them out. */
#ifndef YMIRSH_FORMAT_H
#define YMIRSH_FORMAT_H

#include <stdint.h>

#include <ymir_vmc.h>

#include "lib/rt.h"

/* The SDM name of a basic exit reason, or NULL for a number the SDM does not define. */
const char *exit_reason_known(uint32_t reason);
/* The name, or UNKNOWN_<n> (in a static buffer). */
const char *exit_reason_name(uint32_t reason);

/*
 * `N / D` printed as JavaScript's Number.prototype.toFixed(digits) prints the double nearest to
 * it, ties and all, with integer arithmetic only (ymirsh is built without floating point).
 */
void fixed(struct sink *s, uint64_t n, uint64_t d, unsigned digits);

void size_text(struct sink *s, uint64_t bytes);
void page_flags_text(struct sink *s, uint32_t flags);
void format_regs(struct sink *s, const struct ymir_vmc_regs *r);

struct exit_row {
	uint32_t reason;
	uint64_t count;
};
enum exit_sort { SORT_COUNT, SORT_NAME, SORT_REASON };
/* The exit table: reason, number, count, % of total, and a total row; sorts `rows` in place. */
void format_exits(struct sink *s, const char *title, struct exit_row *rows, uint32_t n, enum exit_sort sort);

/* QEMU monitor `x` output: address, then the units of one line; format is x, d, u or c. */
void format_dump(struct sink *s, uint64_t address, const uint8_t *bytes, uint32_t n, unsigned unit, char format);

#endif
