/*
 * stepper: runs a static test program under ptrace, single-steps it from a start address and
 * records the CPU state after every instruction, so the TypeScript interpreter can be compared
 * with this machine's CPU instruction by instruction (test/cpu/trace.ts reads the file).
 *
 *   stepper -o TRACE -s START -H HANDLER [-r ADDR:LEN]... [-F RESUMES] [-f FS] [-g GS]
 *           [-m MAXSTEPS] [-c] -- PROGRAM
 *
 * -r  a memory region whose contents are recorded (a full snapshot first, then changed bytes)
 * -F  a file of little-endian u64 pairs (faulting RIP, RIP to resume at)
 * -H  the program's fault-signal handler (crt.S), where a fault is read back from the frame
 * -c  count instructions only: no trace, prints the count
 *
 * ptrace details this handles:
 * - PTRACE_SYSEMU_SINGLESTEP steps and stops at a syscall without running it: the program's
 *   exit is the only syscall after START, recorded as an exit with the state before it.
 * - TF: GETREGS hides the TF the kernel sets for stepping only until the first POPF is stepped
 *   (arch/x86/kernel/step.c then takes TF for the program's own), and PUSHF pushes it. The
 *   programs never set TF, so TF is cleared in every recorded RFLAGS and in every PUSHF image.
 * - RF: fault delivery and interrupted REP iterations push RFLAGS with RF set (SDM Vol. 3
 *   17.3.1.1); that is the delivery's doing, not the instruction's, so RF is cleared in the
 *   record too, and in the registers a resumed fault continues with.
 * - Faults: a fault stops the tracee with its signal; the stepper delivers it to the program's
 *   handler (installed by crt.S with SA_ONSTACK, so the frame lands outside the recorded
 *   regions), stops on the handler's first instruction and reads trapno, error code and CR2 from
 *   the ucontext the kernel built: those are the CPU's, which siginfo alone does not carry. The
 *   registers are then put back as they were at the fault, with RIP at the resume address.
 *
 * File format (little-endian): "YMTRACE1", u32 region count, per region u64 addr and u64 length;
 * then records, each starting with a u8 kind:
 *   1 START   20 u64 registers, then every region's bytes
 *   2 STEP    u32 mask of changed registers, their u64 values; u32 chunk count, per chunk u64
 *             address, u32 length, bytes
 *   3 FAULT   u8 vector, u8 signal, i32 si_code, u32 error code, u64 cr2, u64 si_addr,
 *             20 u64 registers at the fault, u8 resumed, u64 resume RIP, then chunks as STEP
 *   4 EXIT    u64 syscall number, u64 first argument (state as in the record before)
 *   5 LIMIT   the step limit was reached
 *   6 DIED    i32 wait status: the program ended some other way
 * Registers are in SDM order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15, then RIP, RFLAGS,
 * FS_BASE, GS_BASE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/ucontext.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

enum { REG_COUNT = 20, MAX_REGIONS = 16 };
enum { K_START = 1, K_STEP = 2, K_FAULT = 3, K_EXIT = 4, K_LIMIT = 5, K_DIED = 6 };
#define TF_BIT 0x100ULL
#define RF_BIT 0x10000ULL

struct region {
  uint64_t addr, len;
  uint8_t *prev, *cur;
};

static struct region regions[MAX_REGIONS];
static int region_count;
static uint64_t (*resumes)[2];
static size_t resume_count;
static FILE *out;
static pid_t child;

static void die(const char *what) {
  fprintf(stderr, "stepper: %s: %s\n", what, strerror(errno));
  if (child > 0) kill(child, SIGKILL);
  exit(2);
}

static void fail(const char *message) {
  fprintf(stderr, "stepper: %s\n", message);
  if (child > 0) kill(child, SIGKILL);
  exit(2);
}

static void put(const void *p, size_t n) {
  if (fwrite(p, 1, n, out) != n) die("write trace");
}
static void put8(uint8_t v) { put(&v, 1); }
static void put32(uint32_t v) { put(&v, 4); }
static void put64(uint64_t v) { put(&v, 8); }

static void to_sdm(const struct user_regs_struct *r, uint64_t v[REG_COUNT]) {
  const uint64_t order[REG_COUNT] = {r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi,
                                     r->rdi, r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13,
                                     r->r14, r->r15, r->rip, r->eflags & ~(TF_BIT | RF_BIT),
                                     r->fs_base, r->gs_base};
  memcpy(v, order, sizeof order);
}

static void get_regs(struct user_regs_struct *r) {
  if (ptrace(PTRACE_GETREGS, child, 0, r) < 0) die("PTRACE_GETREGS");
}

static void set_regs(const struct user_regs_struct *r) {
  if (ptrace(PTRACE_SETREGS, child, 0, r) < 0) die("PTRACE_SETREGS");
}

static void read_mem(uint64_t addr, void *buf, size_t len) {
  struct iovec local = {buf, len}, remote = {(void *)addr, len};
  if (process_vm_readv(child, &local, 1, &remote, 1, 0) != (ssize_t)len) die("process_vm_readv");
}

static void write_mem(uint64_t addr, const void *buf, size_t len) {
  struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};
  if (process_vm_writev(child, &local, 1, &remote, 1, 0) != (ssize_t)len) die("process_vm_writev");
}

static int wait_stop(int *status) {
  if (waitpid(child, status, __WALL) < 0) die("waitpid");
  return WIFSTOPPED(*status);
}

/* Changed bytes of every region since the last record, as (address, length, bytes) chunks. */
static void put_memory_changes(void) {
  uint32_t chunks = 0;
  long count_at = ftell(out);
  put32(0);
  for (int i = 0; i < region_count; i++) {
    struct region *g = &regions[i];
    read_mem(g->addr, g->cur, g->len);
    for (uint64_t at = 0; at < g->len;) {
      /* Most of a region is unchanged: skip equal 64-byte blocks with memcmp first. */
      if (at % 64 == 0 && at + 64 <= g->len && memcmp(g->cur + at, g->prev + at, 64) == 0) {
        at += 64;
        continue;
      }
      if (g->cur[at] == g->prev[at]) {
        at++;
        continue;
      }
      uint64_t end = at + 1, same = 0;
      /* Merge runs separated by fewer than 8 equal bytes: one header costs 12. */
      while (end + same < g->len && same < 8) {
        if (g->cur[end + same] != g->prev[end + same]) {
          end += same + 1;
          same = 0;
        } else {
          same++;
        }
      }
      put64(g->addr + at);
      put32((uint32_t)(end - at));
      put(g->cur + at, end - at);
      chunks++;
      at = end;
    }
    uint8_t *t = g->prev;
    g->prev = g->cur;
    g->cur = t;
  }
  long end_at = ftell(out);
  fseek(out, count_at, SEEK_SET);
  put32(chunks);
  fseek(out, end_at, SEEK_SET);
}

/* PUSHF/PUSHFQ (9C after legacy and REX prefixes) pushed the TF the stepper set: clear it. */
static void fix_pushf(uint64_t rip, uint64_t rsp_before, const struct user_regs_struct *after) {
  if (after->rsp != rsp_before - 8 && after->rsp != rsp_before - 2) return;
  uint8_t code[16];
  read_mem(rip, code, sizeof code);
  int i = 0, wide = 8;
  while (i < 15 && (code[i] == 0x66 || code[i] == 0xf2 || code[i] == 0xf3 || code[i] == 0x2e ||
                    code[i] == 0x3e || code[i] == 0x26 || code[i] == 0x36 || code[i] == 0x64 ||
                    code[i] == 0x65 || (code[i] & 0xf0) == 0x40)) {
    if (code[i] == 0x66) wide = 2;
    i++;
  }
  if (code[i] != 0x9c) return;
  uint8_t image[8];
  read_mem(after->rsp, image, wide);
  image[1] &= (uint8_t)~(TF_BIT >> 8);
  write_mem(after->rsp, image, wide);
}

static uint64_t find_resume(uint64_t rip, int *found) {
  for (size_t i = 0; i < resume_count; i++) {
    if (resumes[i][0] == rip) {
      *found = 1;
      return resumes[i][1];
    }
  }
  *found = 0;
  return 0;
}

/*
 * The tracee stopped with a fault signal at `at` while executing the instruction at `rip` (for a
 * trap such as INT3, at->rip is past it). Deliver the signal, stop on the handler's first
 * instruction and read the CPU's view of the fault from the signal frame. The resume table is
 * keyed by the instruction's own address.
 */
static int record_fault(int sig, const struct user_regs_struct *at, uint64_t rip, uint64_t handler) {
  siginfo_t si;
  if (ptrace(PTRACE_GETSIGINFO, child, 0, &si) < 0) die("PTRACE_GETSIGINFO");
  int status;
  if (ptrace(PTRACE_SINGLESTEP, child, 0, (void *)(long)sig) < 0) die("deliver signal");
  if (!wait_stop(&status) || WSTOPSIG(status) != SIGTRAP) fail("fault signal was not delivered");
  struct user_regs_struct in_handler;
  get_regs(&in_handler);
  if (in_handler.rip != handler) fail("fault handler did not run");
  greg_t g[NGREG];
  read_mem(in_handler.rdx + offsetof(ucontext_t, uc_mcontext.gregs), g, sizeof g);

  uint64_t v[REG_COUNT];
  to_sdm(at, v);
  put8(K_FAULT);
  put8((uint8_t)g[REG_TRAPNO]);
  put8((uint8_t)sig);
  put32((uint32_t)si.si_code);
  put32((uint32_t)g[REG_ERR]);
  put64((uint64_t)g[REG_CR2]);
  put64((uint64_t)si.si_addr);
  put(v, sizeof v);
  int found;
  uint64_t resume = find_resume(rip, &found);
  put8((uint8_t)found);
  put64(resume);
  put_memory_changes();
  if (!found) return 0;
  struct user_regs_struct back = *at;
  back.rip = resume;
  back.eflags &= ~RF_BIT;
  set_regs(&back);
  return 1;
}

static uint64_t parse_u64(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s || *end) {
    fprintf(stderr, "stepper: bad number '%s'\n", s);
    exit(2);
  }
  return v;
}

static void load_resumes(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  resume_count = (size_t)size / 16;
  resumes = malloc(resume_count * 16 + 1);
  if (!resumes || fread(resumes, 16, resume_count, f) != resume_count) die("read resumes");
  fclose(f);
}

int main(int argc, char **argv) {
  const char *trace_path = NULL, *resume_path = NULL;
  uint64_t start = 0, handler = 0, fs_base = 0, gs_base = 0, max_steps = 10000000;
  int set_fs = 0, set_gs = 0, count_only = 0, opt;
  while ((opt = getopt(argc, argv, "o:s:H:r:F:f:g:m:c")) != -1) {
    switch (opt) {
    case 'o': trace_path = optarg; break;
    case 's': start = parse_u64(optarg); break;
    case 'H': handler = parse_u64(optarg); break;
    case 'F': resume_path = optarg; break;
    case 'f': fs_base = parse_u64(optarg); set_fs = 1; break;
    case 'g': gs_base = parse_u64(optarg); set_gs = 1; break;
    case 'm': max_steps = parse_u64(optarg); break;
    case 'c': count_only = 1; break;
    case 'r': {
      char *colon = strchr(optarg, ':');
      if (!colon || region_count == MAX_REGIONS) fail("bad -r ADDR:LEN");
      *colon = 0;
      struct region *g = &regions[region_count++];
      g->addr = parse_u64(optarg);
      g->len = parse_u64(colon + 1);
      g->prev = calloc(1, g->len + 1);
      g->cur = calloc(1, g->len + 1);
      if (!g->prev || !g->cur) die("calloc");
      break;
    }
    default: fail("usage: stepper -o TRACE -s START -H HANDLER [-r A:L] [-F F] [-f FS] [-g GS] [-m N] [-c] -- PROGRAM");
    }
  }
  if (optind >= argc || !start || (!count_only && (!trace_path || !handler))) fail("missing arguments (see stepper.c)");
  if (resume_path) load_resumes(resume_path);

  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    /* Fixed addresses for everything the kernel places (stack, vdso): traces repeat exactly. */
    personality(ADDR_NO_RANDOMIZE);
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) _exit(126);
    execv(argv[optind], argv + optind);
    _exit(127);
  }
  int status;
  if (!wait_stop(&status)) fail("program did not start");
  if (ptrace(PTRACE_SETOPTIONS, child, 0, (void *)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) < 0) die("PTRACE_SETOPTIONS");

  struct user_regs_struct regs;
  get_regs(&regs);
  /* crt.S's setup (its syscalls included) runs natively, unrecorded. */
  for (int n = 0; regs.rip != start; n++) {
    if (n > 10000) fail("start address never reached");
    if (ptrace(PTRACE_SINGLESTEP, child, 0, 0) < 0) die("PTRACE_SINGLESTEP");
    if (!wait_stop(&status) || WSTOPSIG(status) != SIGTRAP) fail("program stopped before the start address");
    get_regs(&regs);
  }
  if (set_fs) regs.fs_base = fs_base;
  if (set_gs) regs.gs_base = gs_base;
  set_regs(&regs);

  if (count_only) {
    uint64_t n = 0;
    for (;;) {
      if (ptrace(PTRACE_SYSEMU_SINGLESTEP, child, 0, 0) < 0) die("PTRACE_SYSEMU_SINGLESTEP");
      if (!wait_stop(&status)) fail("program died");
      if (WSTOPSIG(status) == (SIGTRAP | 0x80)) break;
      if (WSTOPSIG(status) != SIGTRAP) fail("program faulted");
      n++;
    }
    kill(child, SIGKILL);
    printf("%llu\n", (unsigned long long)n);
    return 0;
  }

  out = fopen(trace_path, "wb");
  if (!out) die(trace_path);
  static char buffer[1 << 20];
  setvbuf(out, buffer, _IOFBF, sizeof buffer);
  put("YMTRACE1", 8);
  put32((uint32_t)region_count);
  for (int i = 0; i < region_count; i++) {
    put64(regions[i].addr);
    put64(regions[i].len);
  }
  uint64_t prev[REG_COUNT], cur[REG_COUNT];
  to_sdm(&regs, prev);
  put8(K_START);
  put(prev, sizeof prev);
  for (int i = 0; i < region_count; i++) {
    read_mem(regions[i].addr, regions[i].prev, regions[i].len);
    put(regions[i].prev, regions[i].len);
  }

  uint64_t steps = 0;
  for (;;) {
    if (steps++ == max_steps) {
      put8(K_LIMIT);
      break;
    }
    uint64_t rip = regs.rip;
    if (ptrace(PTRACE_SYSEMU_SINGLESTEP, child, 0, 0) < 0) die("PTRACE_SYSEMU_SINGLESTEP");
    if (!wait_stop(&status)) {
      put8(K_DIED);
      put32((uint32_t)status);
      break;
    }
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80)) {
      struct user_regs_struct at;
      get_regs(&at);
      put8(K_EXIT);
      put64(at.orig_rax);
      put64(at.rdi);
      break;
    }
    if (sig == SIGTRAP) {
      siginfo_t si;
      if (ptrace(PTRACE_GETSIGINFO, child, 0, &si) < 0) die("PTRACE_GETSIGINFO");
      if (si.si_code == SI_KERNEL) sig = SIGTRAP | 0x100; /* INT3: a fault event, not a step */
    }
    if (sig != SIGTRAP) {
      if (sig == (SIGTRAP | 0x100)) sig = SIGTRAP;
      if (sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL && sig != SIGTRAP) {
        put8(K_DIED);
        put32((uint32_t)status);
        break;
      }
      struct user_regs_struct at;
      get_regs(&at);
      if (!record_fault(sig, &at, rip, handler)) break;
      get_regs(&regs);
      to_sdm(&regs, prev);
      continue;
    }
    get_regs(&regs);
    fix_pushf(rip, prev[4], &regs);
    to_sdm(&regs, cur);
    uint32_t mask = 0;
    for (int i = 0; i < REG_COUNT; i++)
      if (cur[i] != prev[i]) mask |= 1u << i;
    put8(K_STEP);
    put32(mask);
    for (int i = 0; i < REG_COUNT; i++)
      if (mask & (1u << i)) put64(cur[i]);
    put_memory_changes();
    memcpy(prev, cur, sizeof prev);
  }
  kill(child, SIGKILL);
  waitpid(child, &status, __WALL);
  if (fclose(out) != 0) die("close trace");
  return 0;
}
