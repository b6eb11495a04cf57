#include "format.h"

const char *exit_reason_known(uint32_t reason)
{
	switch (reason) {
#define NAME(name, number) case number: return #name;
	YMIR_VMC_EXIT_REASONS(NAME)
#undef NAME
	}
	return 0;
}

const char *exit_reason_name(uint32_t reason)
{
	static char unknown[24];
	struct sink s = { unknown, 0, sizeof(unknown) - 1, -1, 0 };
	const char *name = exit_reason_known(reason);

	if (name) return name;
	sfmt(&s, "UNKNOWN_%u", reason);
	unknown[s.len] = 0;
	return unknown;
}

/* (hi:lo) / d and its remainder, for hi < d: the CPU's 128-by-64-bit divide. */
static uint64_t divide(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *remainder)
{
	uint64_t q, r;

	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
	*remainder = r;
	return q;
}

/* a * b / d, cut, for a quotient that fits 64 bits (a product may not). */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t d, uint64_t *remainder)
{
	unsigned __int128 t = (unsigned __int128)a * b;

	return divide((uint64_t)(t >> 64), (uint64_t)t, d, remainder);
}

/*
 * Where the double nearest to n/d lies (n, d > 0, n/d < 2^52): 1 above n/d, -1 below, 0 exactly
 * on it. Its significand is n * 2^shift / d in [2^52, 2^53), rounded to nearest.
 */
static int double_side(uint64_t n, uint64_t d)
{
	int shift = 53 - (64 - __builtin_clzll(n)) + (64 - __builtin_clzll(d));
	uint64_t r;
	unsigned __int128 scaled;

	for (;; shift--) {
		scaled = (unsigned __int128)n << shift;
		if (divide((uint64_t)(scaled >> 64), (uint64_t)scaled, d, &r) < (1ull << 53)) break;
	}
	if (r == 0) return 0;
	return 2 * (unsigned __int128)r > d ? 1 : -1;
}

void fixed(struct sink *s, uint64_t n, uint64_t d, unsigned digits)
{
	uint64_t scale = 1, k, r;

	for (unsigned i = 0; i < digits; i++) scale *= 10;
	k = muldiv(n, scale, d, &r);
	/* toFixed picks the nearer of k and k + 1 to the double; on a tie of n/d itself, the double's side decides (exact: the larger). */
	if (2 * (unsigned __int128)r > d || (2 * (unsigned __int128)r == d && double_side(n, d) >= 0)) k++;
	sfmt(s, "%lu", k / scale);
	if (digits) sfmt(s, ".%0*lu", (int)digits, k % scale);
}

void size_text(struct sink *s, uint64_t bytes)
{
	if (bytes >= 1ull << 30 && bytes % (1ull << 30) == 0) sfmt(s, "%lu GiB", bytes >> 30);
	else if (bytes >= 1ull << 20 && bytes % (1ull << 20) == 0) sfmt(s, "%lu MiB", bytes >> 20);
	else if (bytes >= 1024 && bytes % 1024 == 0) sfmt(s, "%lu KiB", bytes >> 10);
	else sfmt(s, "%lu bytes", bytes);
}

void page_flags_text(struct sink *s, uint32_t flags)
{
	sfmt(s, "%s %s %s %s", flags & YMIR_VMC_PAGE_PRESENT ? "present" : "not-present",
	     flags & YMIR_VMC_PAGE_WRITABLE ? "writable" : "read-only", flags & YMIR_VMC_PAGE_USER ? "user" : "supervisor",
	     flags & YMIR_VMC_PAGE_NO_EXECUTE ? "no-execute" : "executable");
}

static const char *const states[] = { "not started", "running", "halted", "stopped" };
static const char *const gpr_names[] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
					  "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
/* QEMU's `info registers` order. */
static const unsigned char gpr_order[] = { 0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15 };

static void rflags_text(struct sink *s, uint64_t rflags)
{
	static const struct { unsigned char bit; char letter; } bits[] = {
		{ 11, 'O' }, { 10, 'D' }, { 9, 'I' }, { 7, 'S' }, { 6, 'Z' }, { 4, 'A' }, { 2, 'P' }, { 0, 'C' },
	};

	for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) sink_putc(s, (rflags >> bits[i].bit) & 1 ? bits[i].letter : '-');
}

void format_regs(struct sink *s, const struct ymir_vmc_regs *r)
{
	sfmt(s, "vCPU %u: %s, last exit %s (%u), snapshot #%lu\n", r->vcpu, r->state < 4 ? states[r->state] : "unknown",
	     exit_reason_name(r->last_exit_reason), r->last_exit_reason, r->sequence);
	for (unsigned i = 0; i < 16; i++) {
		unsigned g = gpr_order[i];
		sfmt(s, "%s%-3s=%016lx", i % 3 ? " " : "", gpr_names[g], r->gprs[g]);
		if (i % 3 == 2 || i == 15) sink_putc(s, '\n');
	}
	sfmt(s, "RIP=%016lx RFL=%08lx [", r->rip, r->rflags);
	rflags_text(s, r->rflags);
	sfmt(s, "] CPL=%u\n", r->cpl);
	sfmt(s, "CS =%04x SS =%04x DS =%04x ES =%04x FS =%04x GS =%04x\n", r->cs, r->ss, r->ds, r->es, r->fs, r->gs);
	sfmt(s, "FS_BASE=%016lx GS_BASE=%016lx\n", r->fs_base, r->gs_base);
	sfmt(s, "CR0=%08lx CR2=%016lx CR3=%016lx\n", r->cr0, r->cr2, r->cr3);
	sfmt(s, "CR4=%08lx EFER=%016lx\n", r->cr4, r->efer);
}

static int before(const struct exit_row *a, const struct exit_row *b, enum exit_sort sort)
{
	switch (sort) {
	case SORT_NAME: return strcmp(exit_reason_name(a->reason), exit_reason_name(b->reason)) < 0;
	case SORT_REASON: return a->reason < b->reason;
	default: return a->count != b->count ? a->count > b->count : a->reason < b->reason;
	}
}

void format_exits(struct sink *s, const char *title, struct exit_row *rows, uint32_t n, enum exit_sort sort)
{
	uint64_t total = 0;

	/* Insertion sort: there are at most 76 rows, and it is stable as Array.prototype.sort. */
	for (uint32_t i = 1; i < n; i++) {
		struct exit_row row = rows[i];
		uint32_t j = i;
		for (; j > 0 && before(&row, &rows[j - 1], sort); j--) rows[j] = rows[j - 1];
		rows[j] = row;
	}
	for (uint32_t i = 0; i < n; i++) total += rows[i].count;
	sfmt(s, "%s\n%-22s %3s %14s %7s\n", title, "EXIT REASON", "NR", "COUNT", "%");
	for (uint32_t i = 0; i < n; i++) {
		char cell[16];
		struct sink percent = { cell, 0, sizeof(cell), -1, 0 };

		/* Thousandths of a percent, cut (BigInt division), then shown with two decimals. */
		uint64_t rest;
		fixed(&percent, total ? muldiv(rows[i].count, 100000, total, &rest) : 0, 1000, 2);
		sfmt(s, "%-22s %3u %14lu %7.*s\n", exit_reason_name(rows[i].reason), rows[i].reason, rows[i].count, (int)percent.len, cell);
	}
	sfmt(s, "%-22s %3s %14lu %7s\n", "TOTAL", "", total, total ? "100.00" : "0.00");
}

static void dump_unit(struct sink *s, const uint8_t *p, unsigned unit, char format)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < unit; i++) v |= (uint64_t)p[i] << (8 * i);
	switch (format) {
	case 'x':
		sfmt(s, "0x%0*lx", (int)unit * 2, v);
		break;
	case 'u':
		sfmt(s, "%*lu", unit == 8 ? 20 : (int)unit * 3, v);
		break;
	case 'd': {
		/* Sign-extend from the unit's width. */
		int64_t x = unit == 8 ? (int64_t)v : (int64_t)(v << (64 - 8 * unit)) >> (64 - 8 * unit);
		sfmt(s, "%*ld", unit == 8 ? 20 : (int)unit * 3 + 1, x);
		break;
	}
	default: {
		uint8_t byte = (uint8_t)v;
		if (byte >= 0x20 && byte < 0x7f) sfmt(s, "'%c'", byte);
		else sfmt(s, "\\x%02x", byte);
	}
	}
}

void format_dump(struct sink *s, uint64_t address, const uint8_t *bytes, uint32_t n, unsigned unit, char format)
{
	unsigned per_line = format == 'c' ? 16 : unit == 8 ? 2 : unit == 4 ? 4 : 8;

	for (uint32_t at = 0; at < n; at += unit * per_line) {
		sfmt(s, "%016lx:", address + at);
		for (uint32_t k = at; k < n && k < at + unit * per_line; k += unit) {
			sink_putc(s, ' ');
			dump_unit(s, bytes + k, unit, format);
		}
		sink_putc(s, '\n');
	}
}
