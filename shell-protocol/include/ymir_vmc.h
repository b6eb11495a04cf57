/* SPDX-License-Identifier: MIT */
/*
 * ymir_vmc.h - the ymir-dbg VMCALL ABI, version 1.1 (see shell-protocol/spec.md).
 *
 * GENERATED from the TypeScript in shell-protocol/ by scripts/gen-c-header.ts. Do not edit by hand.
 * All fields are little-endian; every struct is packed and naturally aligned.
 * It compiles as C11 and as C++11 or later; it needs only <stddef.h> and <stdint.h>.
 */
#ifndef YMIR_VMC_H
#define YMIR_VMC_H

#include <stddef.h>
#include <stdint.h>

/* C11 spells it _Static_assert, C++ static_assert. */
#ifdef __cplusplus
#define YMIR_VMC_STATIC_ASSERT(expr, what) static_assert(expr, what)
#else
#define YMIR_VMC_STATIC_ASSERT(expr, what) _Static_assert(expr, what)
#endif

/* Magic numbers and version. */
#define YMIR_VMC_MAGIC                           0x52494d59u /* "YMIR": PROBE's RBX */
#define YMIR_VMC_REQUEST_MAGIC                   0x51524d59u /* "YMRQ" */
#define YMIR_VMC_RESPONSE_MAGIC                  0x53524d59u /* "YMRS" */
#define YMIR_VMC_SHARED_PAGE_MAGIC               0x43534d59u /* "YMSC" */
#define YMIR_VMC_ABI_MAJOR                       1
#define YMIR_VMC_ABI_MINOR                       1

/* Limits. */
#define YMIR_VMC_MAX_MESSAGE_SIZE                1048576
#define YMIR_VMC_MAX_ENTRIES                     1024
#define YMIR_VMC_MAX_ECHO_BYTES                  4096
#define YMIR_VMC_MAX_MEM_READ_BYTES              65536
#define YMIR_VMC_MAX_PROTECTED_RANGES            64
#define YMIR_VMC_MAX_LOG_RECORDS                 256
#define YMIR_VMC_PAGE_SIZE                       4096
#define YMIR_VMC_MAX_DIS_INSTRUCTIONS            64
#define YMIR_VMC_MAX_BT_FRAMES                   64
#define YMIR_VMC_MAX_INSTRUCTION_BYTES           15
#define YMIR_VMC_EXIT_REASON_COUNT               76
#define YMIR_VMC_SHARED_PAGE_MAX_VCPUS           6
#define YMIR_VMC_ALL_VCPUS                       0xffffffffu
#define YMIR_VMC_LOG_LEVEL_QUERY                 0xffffffffu

/* Services (RAX). */
#define YMIR_VMC_SERVICE_HELLO                   0
#define YMIR_VMC_SERVICE_PROBE                   1
#define YMIR_VMC_SERVICE_CALL                    2
#define YMIR_VMC_SERVICE_MAP_SHARED              3

/* PROBE feature bits (RDX). */
#define YMIR_VMC_FEATURE_MULTICALL               0x00000001u
#define YMIR_VMC_FEATURE_PHYSICAL_ADDRESSES      0x00000002u
#define YMIR_VMC_FEATURE_SHARED_COUNTERS         0x00000004u
#define YMIR_VMC_FEATURE_WRITE_PROTECT           0x00000008u
#define YMIR_VMC_FEATURE_LOG                     0x00000010u
#define YMIR_VMC_FEATURE_DISASSEMBLY             0x00000020u
#define YMIR_VMC_FEATURE_BACKTRACE               0x00000040u
#define YMIR_VMC_FEATURE_SEAL                    0x00000080u

/* CALL flags (RDI) and request header flags. */
#define YMIR_VMC_CALL_PHYSICAL                   0x00000001u
#define YMIR_VMC_REQUEST_STOP_ON_ERROR           0x00000001u

/* Ops. */
#define YMIR_VMC_OP_HELLO                        1
#define YMIR_VMC_OP_OPS                          2
#define YMIR_VMC_OP_VM_INFO                      3
#define YMIR_VMC_OP_VCPU_REGS                    4
#define YMIR_VMC_OP_EXIT_STATS                   5
#define YMIR_VMC_OP_LOG_READ                     6
#define YMIR_VMC_OP_TRANSLATE                    7
#define YMIR_VMC_OP_MEM_READ                     8
#define YMIR_VMC_OP_PROTECT                      9
#define YMIR_VMC_OP_UNPROTECT                    10
#define YMIR_VMC_OP_PROTECTED                    11
#define YMIR_VMC_OP_STATS_RESET                  12
#define YMIR_VMC_OP_LOG_LEVEL                    13
#define YMIR_VMC_OP_ECHO                         14
#define YMIR_VMC_OP_DIS                          15
#define YMIR_VMC_OP_BT                           16
#define YMIR_VMC_OP_SEAL                         17

/* Status codes: 0 or a negative Linux errno. */
#define YMIR_VMC_OK                              0
#define YMIR_VMC_EPERM                           (-1)
#define YMIR_VMC_ENOENT                          (-2)
#define YMIR_VMC_E2BIG                           (-7)
#define YMIR_VMC_EFAULT                          (-14)
#define YMIR_VMC_EBUSY                           (-16)
#define YMIR_VMC_EEXIST                          (-17)
#define YMIR_VMC_EINVAL                          (-22)
#define YMIR_VMC_ENOSPC                          (-28)
#define YMIR_VMC_ENOSYS                          (-38)
#define YMIR_VMC_EPROTO                          (-71)
#define YMIR_VMC_EOVERFLOW                       (-75)

/* vCPU states, log levels, page flags. */
#define YMIR_VMC_VCPU_NOT_STARTED                0
#define YMIR_VMC_VCPU_RUNNING                    1
#define YMIR_VMC_VCPU_HALTED                     2
#define YMIR_VMC_VCPU_STOPPED                    3
#define YMIR_VMC_LOG_DEBUG                       0
#define YMIR_VMC_LOG_INFO                        1
#define YMIR_VMC_LOG_WARN                        2
#define YMIR_VMC_LOG_ERROR                       3
#define YMIR_VMC_PAGE_PRESENT                    0x00000001u
#define YMIR_VMC_PAGE_WRITABLE                   0x00000002u
#define YMIR_VMC_PAGE_USER                       0x00000004u
#define YMIR_VMC_PAGE_NO_EXECUTE                 0x00000008u
#define YMIR_VMC_OPINFO_PRIVILEGED               0x00000001u
#define YMIR_VMC_PROTECTED_SEALED                0x00000001u

/* DIS syntaxes, stop reasons and instruction flags; BT stop reasons. */
#define YMIR_VMC_DIS_SYNTAX_INTEL                0
#define YMIR_VMC_DIS_SYNTAX_ATT                  1
#define YMIR_VMC_DIS_STOP_COUNT                  0
#define YMIR_VMC_DIS_STOP_UNMAPPED               1
#define YMIR_VMC_DIS_INSN_INVALID                0x00000001u
#define YMIR_VMC_BT_STOP_MAX_FRAMES              0
#define YMIR_VMC_BT_STOP_ZERO_FRAME              1
#define YMIR_VMC_BT_STOP_UNMAPPED                2
#define YMIR_VMC_BT_STOP_NOT_INCREASING          3

/* Basic exit reasons (Intel SDM Vol. 3C, Appendix C). */
#define YMIR_VMC_EXIT_EXCEPTION_NMI              0
#define YMIR_VMC_EXIT_EXTERNAL_INTERRUPT         1
#define YMIR_VMC_EXIT_TRIPLE_FAULT               2
#define YMIR_VMC_EXIT_INIT_SIGNAL                3
#define YMIR_VMC_EXIT_SIPI_SIGNAL                4
#define YMIR_VMC_EXIT_IO_SMI                     5
#define YMIR_VMC_EXIT_OTHER_SMI                  6
#define YMIR_VMC_EXIT_INTERRUPT_WINDOW           7
#define YMIR_VMC_EXIT_NMI_WINDOW                 8
#define YMIR_VMC_EXIT_TASK_SWITCH                9
#define YMIR_VMC_EXIT_CPUID                      10
#define YMIR_VMC_EXIT_GETSEC                     11
#define YMIR_VMC_EXIT_HLT                        12
#define YMIR_VMC_EXIT_INVD                       13
#define YMIR_VMC_EXIT_INVLPG                     14
#define YMIR_VMC_EXIT_RDPMC                      15
#define YMIR_VMC_EXIT_RDTSC                      16
#define YMIR_VMC_EXIT_RSM                        17
#define YMIR_VMC_EXIT_VMCALL                     18
#define YMIR_VMC_EXIT_VMCLEAR                    19
#define YMIR_VMC_EXIT_VMLAUNCH                   20
#define YMIR_VMC_EXIT_VMPTRLD                    21
#define YMIR_VMC_EXIT_VMPTRST                    22
#define YMIR_VMC_EXIT_VMREAD                     23
#define YMIR_VMC_EXIT_VMRESUME                   24
#define YMIR_VMC_EXIT_VMWRITE                    25
#define YMIR_VMC_EXIT_VMOFF                      26
#define YMIR_VMC_EXIT_VMON                       27
#define YMIR_VMC_EXIT_CR_ACCESS                  28
#define YMIR_VMC_EXIT_DR_ACCESS                  29
#define YMIR_VMC_EXIT_IO_INSTRUCTION             30
#define YMIR_VMC_EXIT_MSR_READ                   31
#define YMIR_VMC_EXIT_MSR_WRITE                  32
#define YMIR_VMC_EXIT_INVALID_STATE              33
#define YMIR_VMC_EXIT_MSR_LOAD_FAIL              34
#define YMIR_VMC_EXIT_MWAIT_INSTRUCTION          36
#define YMIR_VMC_EXIT_MONITOR_TRAP_FLAG          37
#define YMIR_VMC_EXIT_MONITOR_INSTRUCTION        39
#define YMIR_VMC_EXIT_PAUSE_INSTRUCTION          40
#define YMIR_VMC_EXIT_MCE_DURING_VMENTRY         41
#define YMIR_VMC_EXIT_TPR_BELOW_THRESHOLD        43
#define YMIR_VMC_EXIT_APIC_ACCESS                44
#define YMIR_VMC_EXIT_EOI_INDUCED                45
#define YMIR_VMC_EXIT_GDTR_IDTR                  46
#define YMIR_VMC_EXIT_LDTR_TR                    47
#define YMIR_VMC_EXIT_EPT_VIOLATION              48
#define YMIR_VMC_EXIT_EPT_MISCONFIG              49
#define YMIR_VMC_EXIT_INVEPT                     50
#define YMIR_VMC_EXIT_RDTSCP                     51
#define YMIR_VMC_EXIT_PREEMPTION_TIMER           52
#define YMIR_VMC_EXIT_INVVPID                    53
#define YMIR_VMC_EXIT_WBINVD                     54
#define YMIR_VMC_EXIT_XSETBV                     55
#define YMIR_VMC_EXIT_APIC_WRITE                 56
#define YMIR_VMC_EXIT_RDRAND                     57
#define YMIR_VMC_EXIT_INVPCID                    58
#define YMIR_VMC_EXIT_VMFUNC                     59
#define YMIR_VMC_EXIT_ENCLS                      60
#define YMIR_VMC_EXIT_RDSEED                     61
#define YMIR_VMC_EXIT_PML_FULL                   62
#define YMIR_VMC_EXIT_XSAVES                     63
#define YMIR_VMC_EXIT_XRSTORS                    64
#define YMIR_VMC_EXIT_UMWAIT                     67
#define YMIR_VMC_EXIT_TPAUSE                     68
#define YMIR_VMC_EXIT_BUS_LOCK                   74
#define YMIR_VMC_EXIT_NOTIFY                     75

/* X(NAME, reason) for every basic exit reason of the SDM. */
#define YMIR_VMC_EXIT_REASONS(X) \
	X(EXCEPTION_NMI, 0) \
	X(EXTERNAL_INTERRUPT, 1) \
	X(TRIPLE_FAULT, 2) \
	X(INIT_SIGNAL, 3) \
	X(SIPI_SIGNAL, 4) \
	X(IO_SMI, 5) \
	X(OTHER_SMI, 6) \
	X(INTERRUPT_WINDOW, 7) \
	X(NMI_WINDOW, 8) \
	X(TASK_SWITCH, 9) \
	X(CPUID, 10) \
	X(GETSEC, 11) \
	X(HLT, 12) \
	X(INVD, 13) \
	X(INVLPG, 14) \
	X(RDPMC, 15) \
	X(RDTSC, 16) \
	X(RSM, 17) \
	X(VMCALL, 18) \
	X(VMCLEAR, 19) \
	X(VMLAUNCH, 20) \
	X(VMPTRLD, 21) \
	X(VMPTRST, 22) \
	X(VMREAD, 23) \
	X(VMRESUME, 24) \
	X(VMWRITE, 25) \
	X(VMOFF, 26) \
	X(VMON, 27) \
	X(CR_ACCESS, 28) \
	X(DR_ACCESS, 29) \
	X(IO_INSTRUCTION, 30) \
	X(MSR_READ, 31) \
	X(MSR_WRITE, 32) \
	X(INVALID_STATE, 33) \
	X(MSR_LOAD_FAIL, 34) \
	X(MWAIT_INSTRUCTION, 36) \
	X(MONITOR_TRAP_FLAG, 37) \
	X(MONITOR_INSTRUCTION, 39) \
	X(PAUSE_INSTRUCTION, 40) \
	X(MCE_DURING_VMENTRY, 41) \
	X(TPR_BELOW_THRESHOLD, 43) \
	X(APIC_ACCESS, 44) \
	X(EOI_INDUCED, 45) \
	X(GDTR_IDTR, 46) \
	X(LDTR_TR, 47) \
	X(EPT_VIOLATION, 48) \
	X(EPT_MISCONFIG, 49) \
	X(INVEPT, 50) \
	X(RDTSCP, 51) \
	X(PREEMPTION_TIMER, 52) \
	X(INVVPID, 53) \
	X(WBINVD, 54) \
	X(XSETBV, 55) \
	X(APIC_WRITE, 56) \
	X(RDRAND, 57) \
	X(INVPCID, 58) \
	X(VMFUNC, 59) \
	X(ENCLS, 60) \
	X(RDSEED, 61) \
	X(PML_FULL, 62) \
	X(XSAVES, 63) \
	X(XRSTORS, 64) \
	X(UMWAIT, 67) \
	X(TPAUSE, 68) \
	X(BUS_LOCK, 74) \
	X(NOTIFY, 75)

/* X(NAME, value) for every status code. */
#define YMIR_VMC_STATUSES(X) \
	X(OK, 0) \
	X(EPERM, (-1)) \
	X(ENOENT, (-2)) \
	X(E2BIG, (-7)) \
	X(EFAULT, (-14)) \
	X(EBUSY, (-16)) \
	X(EEXIST, (-17)) \
	X(EINVAL, (-22)) \
	X(ENOSPC, (-28)) \
	X(ENOSYS, (-38)) \
	X(EPROTO, (-71)) \
	X(EOVERFLOW, (-75))

/* X(NAME, bit mask) for every PROBE feature bit. */
#define YMIR_VMC_FEATURES(X) \
	X(MULTICALL, 1) \
	X(PHYSICAL_ADDRESSES, 2) \
	X(SHARED_COUNTERS, 4) \
	X(WRITE_PROTECT, 8) \
	X(LOG, 16) \
	X(DISASSEMBLY, 32) \
	X(BACKTRACE, 64) \
	X(SEAL, 128)

/* X(NAME, op, privileged) for every op; privileged ops need CPL 0 (spec.md 2.1). */
#define YMIR_VMC_OPS(X) \
	X(HELLO, 1, 0) \
	X(OPS, 2, 0) \
	X(VM_INFO, 3, 0) \
	X(VCPU_REGS, 4, 0) \
	X(EXIT_STATS, 5, 0) \
	X(LOG_READ, 6, 0) \
	X(TRANSLATE, 7, 0) \
	X(MEM_READ, 8, 1) \
	X(PROTECT, 9, 1) \
	X(UNPROTECT, 10, 1) \
	X(PROTECTED, 11, 0) \
	X(STATS_RESET, 12, 1) \
	X(LOG_LEVEL, 13, 1) \
	X(ECHO, 14, 0) \
	X(DIS, 15, 0) \
	X(BT, 16, 0) \
	X(SEAL, 17, 1)

/* Start of a CALL request (guest writes, VMM reads). */
struct ymir_vmc_request_header {
	uint32_t magic;                      /*   0: REQUEST_MAGIC ("YMRQ") */
	uint16_t version_major;              /*   4: ABI_MAJOR; another major is EPROTO */
	uint16_t version_minor;              /*   6: ABI_MINOR the guest was written for; any value is accepted */
	uint32_t flags;                      /*   8: RequestFlag bits; unknown bits are EINVAL */
	uint32_t entry_count;                /*  12: entries that follow; more than MAX_ENTRIES is E2BIG */
	uint32_t total_length;               /*  16: bytes of header plus entries; must equal RCX */
	uint32_t reserved0;                  /*  20: must be zero */
} __attribute__((packed)); /* 24 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_request_header) == 24, "ymir_vmc_request_header size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_header, magic) == 0, "ymir_vmc_request_header.magic");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_header, version_major) == 4, "ymir_vmc_request_header.version_major");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_header, version_minor) == 6, "ymir_vmc_request_header.version_minor");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_header, flags) == 8, "ymir_vmc_request_header.flags");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_header, entry_count) == 12, "ymir_vmc_request_header.entry_count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_header, total_length) == 16, "ymir_vmc_request_header.total_length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_header, reserved0) == 20, "ymir_vmc_request_header.reserved0");

/* One call in a request; its arguments follow, padded to 8 bytes. */
struct ymir_vmc_request_entry {
	uint16_t op;                         /*   0: an Op */
	uint16_t flags;                      /*   2: must be zero */
	uint32_t arg_length;                 /*   4: bytes of arguments that follow (before padding) */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_request_entry) == 8, "ymir_vmc_request_entry size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_entry, op) == 0, "ymir_vmc_request_entry.op");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_entry, flags) == 2, "ymir_vmc_request_entry.flags");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_request_entry, arg_length) == 4, "ymir_vmc_request_entry.arg_length");

/* Start of a CALL response (VMM writes, guest reads). */
struct ymir_vmc_response_header {
	uint32_t magic;                      /*   0: RESPONSE_MAGIC ("YMRS") */
	uint16_t version_major;              /*   4: ABI_MAJOR of the VMM */
	uint16_t version_minor;              /*   6: ABI_MINOR of the VMM */
	uint32_t entry_count;                /*   8: response entries that follow */
	uint32_t total_length;               /*  12: bytes of header plus entries written */
	int32_t first_error;                 /*  16: status of the first entry that failed, or 0 */
	uint32_t reserved0;                  /*  20: zero */
} __attribute__((packed)); /* 24 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_response_header) == 24, "ymir_vmc_response_header size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_header, magic) == 0, "ymir_vmc_response_header.magic");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_header, version_major) == 4, "ymir_vmc_response_header.version_major");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_header, version_minor) == 6, "ymir_vmc_response_header.version_minor");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_header, entry_count) == 8, "ymir_vmc_response_header.entry_count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_header, total_length) == 12, "ymir_vmc_response_header.total_length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_header, first_error) == 16, "ymir_vmc_response_header.first_error");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_header, reserved0) == 20, "ymir_vmc_response_header.reserved0");

/* The answer to one request entry; its data follows, padded to 8 bytes. */
struct ymir_vmc_response_entry {
	uint16_t op;                         /*   0: the op of the request entry */
	uint16_t reserved0;                  /*   2: zero */
	int32_t status;                      /*   4: Status of this entry */
	uint32_t data_length;                /*   8: bytes of data that follow (before padding) */
	uint32_t needed_length;              /*  12: bytes of data the result needs; larger than data_length only with ENOSPC */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_response_entry) == 16, "ymir_vmc_response_entry size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_entry, op) == 0, "ymir_vmc_response_entry.op");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_entry, reserved0) == 2, "ymir_vmc_response_entry.reserved0");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_entry, status) == 4, "ymir_vmc_response_entry.status");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_entry, data_length) == 8, "ymir_vmc_response_entry.data_length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_response_entry, needed_length) == 12, "ymir_vmc_response_entry.needed_length");

/* Arguments of VCPU_REGS, EXIT_STATS and STATS_RESET. */
struct ymir_vmc_vcpu_args {
	uint32_t vcpu;                       /*   0: vCPU index, or ALL_VCPUS where the op allows it */
	uint32_t reserved0;                  /*   4: must be zero */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_vcpu_args) == 8, "ymir_vmc_vcpu_args size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_vcpu_args, vcpu) == 0, "ymir_vmc_vcpu_args.vcpu");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_vcpu_args, reserved0) == 4, "ymir_vmc_vcpu_args.reserved0");

/* Result of VM_INFO. */
struct ymir_vmc_vm_info {
	uint32_t vcpu_count;                 /*   0: vCPUs in the VM */
	uint32_t log_level;                  /*   4: current LogLevel */
	uint64_t memory_bytes;               /*   8: guest-physical memory size */
	uint64_t uptime_ns;                  /*  16: nanoseconds since the VM started */
	uint8_t vmm_name[32];                /*  24: VMM name and version, NUL-padded UTF-8 */
} __attribute__((packed)); /* 56 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_vm_info) == 56, "ymir_vmc_vm_info size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_vm_info, vcpu_count) == 0, "ymir_vmc_vm_info.vcpu_count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_vm_info, log_level) == 4, "ymir_vmc_vm_info.log_level");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_vm_info, memory_bytes) == 8, "ymir_vmc_vm_info.memory_bytes");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_vm_info, uptime_ns) == 16, "ymir_vmc_vm_info.uptime_ns");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_vm_info, vmm_name) == 24, "ymir_vmc_vm_info.vmm_name");

/* Result of VCPU_REGS: a vCPU's registers as of its last exit. */
struct ymir_vmc_regs {
	uint32_t vcpu;                       /*   0: vCPU index */
	uint32_t state;                      /*   4: VcpuState */
	uint64_t sequence;                   /*   8: snapshot sequence number; grows with every publication */
	uint32_t last_exit_reason;           /*  16: basic exit reason of the exit the snapshot was taken at */
	uint32_t cpl;                        /*  20: current privilege level, 0 or 3 */
	uint64_t gprs[16];                   /*  24: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 */
	uint64_t rip;                        /* 152: RIP */
	uint64_t rflags;                     /* 160: RFLAGS */
	uint64_t cr0;                        /* 168: CR0 (the guest's value) */
	uint64_t cr2;                        /* 176: CR2 */
	uint64_t cr3;                        /* 184: CR3 */
	uint64_t cr4;                        /* 192: CR4 (the guest's value) */
	uint64_t efer;                       /* 200: IA32_EFER */
	uint64_t fs_base;                    /* 208: FS base */
	uint64_t gs_base;                    /* 216: GS base */
	uint16_t cs;                         /* 224: CS selector */
	uint16_t ds;                         /* 226: DS selector */
	uint16_t es;                         /* 228: ES selector */
	uint16_t fs;                         /* 230: FS selector */
	uint16_t gs;                         /* 232: GS selector */
	uint16_t ss;                         /* 234: SS selector */
	uint32_t reserved0;                  /* 236: zero */
} __attribute__((packed)); /* 240 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_regs) == 240, "ymir_vmc_regs size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, vcpu) == 0, "ymir_vmc_regs.vcpu");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, state) == 4, "ymir_vmc_regs.state");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, sequence) == 8, "ymir_vmc_regs.sequence");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, last_exit_reason) == 16, "ymir_vmc_regs.last_exit_reason");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, cpl) == 20, "ymir_vmc_regs.cpl");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, gprs) == 24, "ymir_vmc_regs.gprs");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, rip) == 152, "ymir_vmc_regs.rip");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, rflags) == 160, "ymir_vmc_regs.rflags");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, cr0) == 168, "ymir_vmc_regs.cr0");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, cr2) == 176, "ymir_vmc_regs.cr2");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, cr3) == 184, "ymir_vmc_regs.cr3");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, cr4) == 192, "ymir_vmc_regs.cr4");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, efer) == 200, "ymir_vmc_regs.efer");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, fs_base) == 208, "ymir_vmc_regs.fs_base");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, gs_base) == 216, "ymir_vmc_regs.gs_base");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, cs) == 224, "ymir_vmc_regs.cs");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, ds) == 226, "ymir_vmc_regs.ds");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, es) == 228, "ymir_vmc_regs.es");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, fs) == 230, "ymir_vmc_regs.fs");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, gs) == 232, "ymir_vmc_regs.gs");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, ss) == 234, "ymir_vmc_regs.ss");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_regs, reserved0) == 236, "ymir_vmc_regs.reserved0");

/* Result of EXIT_STATS; `count` ymir_vmc_exit_count records follow. */
struct ymir_vmc_exit_stats {
	uint32_t vcpu;                       /*   0: the vCPU asked for, or ALL_VCPUS (sums over every vCPU) */
	uint32_t count;                      /*   4: records that follow: one per reason with a non-zero count, by reason */
	uint64_t total;                      /*   8: sum of every count */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_exit_stats) == 16, "ymir_vmc_exit_stats size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_exit_stats, vcpu) == 0, "ymir_vmc_exit_stats.vcpu");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_exit_stats, count) == 4, "ymir_vmc_exit_stats.count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_exit_stats, total) == 8, "ymir_vmc_exit_stats.total");

/* One exit reason and how often it happened. */
struct ymir_vmc_exit_count {
	uint32_t reason;                     /*   0: basic exit reason */
	uint32_t reserved0;                  /*   4: zero */
	uint64_t count;                      /*   8: exits with that reason */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_exit_count) == 16, "ymir_vmc_exit_count size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_exit_count, reason) == 0, "ymir_vmc_exit_count.reason");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_exit_count, reserved0) == 4, "ymir_vmc_exit_count.reserved0");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_exit_count, count) == 8, "ymir_vmc_exit_count.count");

/* Arguments of LOG_READ. */
struct ymir_vmc_log_read_args {
	uint64_t cursor;                     /*   0: sequence number of the first record wanted (0: the oldest kept) */
	uint32_t max_records;                /*   8: most records to return, 1..256; else EINVAL */
	uint32_t reserved0;                  /*  12: must be zero */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_log_read_args) == 16, "ymir_vmc_log_read_args size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_read_args, cursor) == 0, "ymir_vmc_log_read_args.cursor");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_read_args, max_records) == 8, "ymir_vmc_log_read_args.max_records");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_read_args, reserved0) == 12, "ymir_vmc_log_read_args.reserved0");

/* Result of LOG_READ; `count` records follow. */
struct ymir_vmc_log_read {
	uint64_t next_cursor;                /*   0: cursor for the next read */
	uint64_t lost;                       /*   8: records between cursor and the first returned that the ring had overwritten */
	uint32_t count;                      /*  16: records that follow */
	uint32_t reserved0;                  /*  20: zero */
} __attribute__((packed)); /* 24 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_log_read) == 24, "ymir_vmc_log_read size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_read, next_cursor) == 0, "ymir_vmc_log_read.next_cursor");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_read, lost) == 8, "ymir_vmc_log_read.lost");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_read, count) == 16, "ymir_vmc_log_read.count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_read, reserved0) == 20, "ymir_vmc_log_read.reserved0");

/* One log record; scope then message bytes follow, padded to 8 bytes. */
struct ymir_vmc_log_record {
	uint64_t sequence;                   /*   0: record sequence number */
	uint64_t time_ns;                    /*   8: nanoseconds since VM start */
	uint32_t level;                      /*  16: LogLevel */
	uint16_t scope_length;               /*  20: bytes of scope (UTF-8) */
	uint16_t message_length;             /*  22: bytes of message (UTF-8) */
} __attribute__((packed)); /* 24 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_log_record) == 24, "ymir_vmc_log_record size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_record, sequence) == 0, "ymir_vmc_log_record.sequence");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_record, time_ns) == 8, "ymir_vmc_log_record.time_ns");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_record, level) == 16, "ymir_vmc_log_record.level");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_record, scope_length) == 20, "ymir_vmc_log_record.scope_length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_record, message_length) == 22, "ymir_vmc_log_record.message_length");

/* Arguments of TRANSLATE. */
struct ymir_vmc_address_args {
	uint64_t address;                    /*   0: guest-virtual address, translated through the caller's CR3 */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_address_args) == 8, "ymir_vmc_address_args size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_address_args, address) == 0, "ymir_vmc_address_args.address");

/* Result of TRANSLATE. */
struct ymir_vmc_translation {
	uint64_t gpa;                        /*   0: guest-physical address */
	uint64_t page_size;                  /*   8: 4096, 2 MiB or 1 GiB */
	uint32_t flags;                      /*  16: PageFlag bits of the walk (AND of every level; NX is OR) */
	uint32_t reserved0;                  /*  20: zero */
} __attribute__((packed)); /* 24 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_translation) == 24, "ymir_vmc_translation size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_translation, gpa) == 0, "ymir_vmc_translation.gpa");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_translation, page_size) == 8, "ymir_vmc_translation.page_size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_translation, flags) == 16, "ymir_vmc_translation.flags");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_translation, reserved0) == 20, "ymir_vmc_translation.reserved0");

/* Arguments of MEM_READ (privileged); the result is the bytes. */
struct ymir_vmc_mem_read_args {
	uint64_t gpa;                        /*   0: guest-physical start */
	uint32_t length;                     /*   8: 1..MAX_MEM_READ_BYTES; else EINVAL / E2BIG */
	uint32_t reserved0;                  /*  12: must be zero */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_mem_read_args) == 16, "ymir_vmc_mem_read_args size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_mem_read_args, gpa) == 0, "ymir_vmc_mem_read_args.gpa");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_mem_read_args, length) == 8, "ymir_vmc_mem_read_args.length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_mem_read_args, reserved0) == 12, "ymir_vmc_mem_read_args.reserved0");

/* Arguments of PROTECT and UNPROTECT (privileged). */
struct ymir_vmc_range {
	uint64_t gpa;                        /*   0: page-aligned guest-physical start */
	uint64_t length;                     /*   8: page-aligned, non-zero length */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_range) == 16, "ymir_vmc_range size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_range, gpa) == 0, "ymir_vmc_range.gpa");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_range, length) == 8, "ymir_vmc_range.length");

/* Result of PROTECTED; `count` ranges follow. */
struct ymir_vmc_protected {
	uint32_t count;                      /*   0: ranges that follow, by address */
	uint32_t reserved0;                  /*   4: zero */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_protected) == 8, "ymir_vmc_protected size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_protected, count) == 0, "ymir_vmc_protected.count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_protected, reserved0) == 4, "ymir_vmc_protected.reserved0");

/* One write-protected range. */
struct ymir_vmc_protected_range {
	uint64_t gpa;                        /*   0: guest-physical start */
	uint64_t length;                     /*   8: length in bytes */
	uint64_t violations;                 /*  16: guest writes refused in this range */
} __attribute__((packed)); /* 24 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_protected_range) == 24, "ymir_vmc_protected_range size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_protected_range, gpa) == 0, "ymir_vmc_protected_range.gpa");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_protected_range, length) == 8, "ymir_vmc_protected_range.length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_protected_range, violations) == 16, "ymir_vmc_protected_range.violations");

/* Arguments of LOG_LEVEL (privileged). */
struct ymir_vmc_log_level_args {
	uint32_t level;                      /*   0: new LogLevel, or LOG_LEVEL_QUERY to only read it */
	uint32_t reserved0;                  /*   4: must be zero */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_log_level_args) == 8, "ymir_vmc_log_level_args size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_level_args, level) == 0, "ymir_vmc_log_level_args.level");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_level_args, reserved0) == 4, "ymir_vmc_log_level_args.reserved0");

/* Result of LOG_LEVEL. */
struct ymir_vmc_log_level {
	uint32_t previous;                   /*   0: level before the call */
	uint32_t current;                    /*   4: level after the call */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_log_level) == 8, "ymir_vmc_log_level size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_level, previous) == 0, "ymir_vmc_log_level.previous");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_log_level, current) == 4, "ymir_vmc_log_level.current");

/* Result of OPS; `count` ymir_vmc_op_info follow. */
struct ymir_vmc_ops {
	uint32_t count;                      /*   0: ops that follow, by number */
	uint32_t reserved0;                  /*   4: zero */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_ops) == 8, "ymir_vmc_ops size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_ops, count) == 0, "ymir_vmc_ops.count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_ops, reserved0) == 4, "ymir_vmc_ops.reserved0");

/* One op this VMM supports. */
struct ymir_vmc_op_info {
	uint16_t op;                         /*   0: Op number */
	uint16_t flags;                      /*   2: OpInfoFlag bits */
	uint32_t reserved0;                  /*   4: zero */
	uint8_t name[24];                    /*   8: op name, NUL-padded ASCII */
} __attribute__((packed)); /* 32 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_op_info) == 32, "ymir_vmc_op_info size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_op_info, op) == 0, "ymir_vmc_op_info.op");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_op_info, flags) == 2, "ymir_vmc_op_info.flags");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_op_info, reserved0) == 4, "ymir_vmc_op_info.reserved0");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_op_info, name) == 8, "ymir_vmc_op_info.name");

/* Start of the MAP_SHARED page (VMM writes, guest reads); vcpu_count ymir_vmc_shared_vcpu rows follow. */
struct ymir_vmc_shared_page {
	uint32_t magic;                      /*   0: SHARED_PAGE_MAGIC ("YMSC") */
	uint16_t version_major;              /*   4: ABI_MAJOR */
	uint16_t version_minor;              /*   6: ABI_MINOR */
	uint32_t vcpu_count;                 /*   8: rows that follow: min(total_vcpus, SHARED_PAGE_MAX_VCPUS) */
	uint32_t reason_count;               /*  12: counters per row (EXIT_REASON_COUNT) */
	uint64_t sequence;                   /*  16: generation: changes whenever the counters restart (mapping, STATS_RESET) */
	uint32_t total_vcpus;                /*  24: vCPUs in the VM (may exceed vcpu_count) */
	uint32_t reserved0;                  /*  28: zero */
} __attribute__((packed)); /* 32 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_shared_page) == 32, "ymir_vmc_shared_page size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, magic) == 0, "ymir_vmc_shared_page.magic");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, version_major) == 4, "ymir_vmc_shared_page.version_major");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, version_minor) == 6, "ymir_vmc_shared_page.version_minor");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, vcpu_count) == 8, "ymir_vmc_shared_page.vcpu_count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, reason_count) == 12, "ymir_vmc_shared_page.reason_count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, sequence) == 16, "ymir_vmc_shared_page.sequence");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, total_vcpus) == 24, "ymir_vmc_shared_page.total_vcpus");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_page, reserved0) == 28, "ymir_vmc_shared_page.reserved0");

/* One vCPU's row in the MAP_SHARED page. */
struct ymir_vmc_shared_vcpu {
	uint64_t total;                      /*   0: sum of counts[]: every exit of this vCPU */
	uint64_t counts[76];                 /*   8: exits by basic exit reason */
} __attribute__((packed)); /* 616 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_shared_vcpu) == 616, "ymir_vmc_shared_vcpu size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_vcpu, total) == 0, "ymir_vmc_shared_vcpu.total");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_shared_vcpu, counts) == 8, "ymir_vmc_shared_vcpu.counts");

/* Flags of one protected range (ABI 1.1): `count` of these follow PROTECTED's ranges, in the same order. */
struct ymir_vmc_protected_flags {
	uint32_t flags;                      /*   0: ProtectedFlag bits */
	uint32_t reserved0;                  /*   4: zero */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_protected_flags) == 8, "ymir_vmc_protected_flags size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_protected_flags, flags) == 0, "ymir_vmc_protected_flags.flags");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_protected_flags, reserved0) == 4, "ymir_vmc_protected_flags.reserved0");

/* Arguments of DIS. */
struct ymir_vmc_dis_args {
	uint64_t address;                    /*   0: guest-virtual address of the first instruction, through the caller's CR3 */
	uint32_t count;                      /*   8: instructions wanted, 1..MAX_DIS_INSTRUCTIONS; 0 is EINVAL, more is E2BIG */
	uint16_t syntax;                     /*  12: DisSyntax; another value is EINVAL */
	uint16_t reserved0;                  /*  14: must be zero */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_dis_args) == 16, "ymir_vmc_dis_args size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_args, address) == 0, "ymir_vmc_dis_args.address");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_args, count) == 8, "ymir_vmc_dis_args.count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_args, syntax) == 12, "ymir_vmc_dis_args.syntax");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_args, reserved0) == 14, "ymir_vmc_dis_args.reserved0");

/* Result of DIS; `count` ymir_vmc_dis_insn records follow. */
struct ymir_vmc_dis {
	uint64_t next_address;               /*   0: address after the last instruction returned */
	uint32_t count;                      /*   8: instructions that follow, 1..count asked */
	uint32_t stop;                       /*  12: DisStop: why fewer than asked may follow */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_dis) == 16, "ymir_vmc_dis size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis, next_address) == 0, "ymir_vmc_dis.next_address");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis, count) == 8, "ymir_vmc_dis.count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis, stop) == 12, "ymir_vmc_dis.stop");

/* One instruction; its bytes then its text follow, padded to 8 bytes. */
struct ymir_vmc_dis_insn {
	uint64_t address;                    /*   0: guest-virtual address of the instruction */
	uint8_t length;                      /*   8: instruction bytes that follow, 1..15 */
	uint8_t flags;                       /*   9: DisInsnFlag bits */
	uint16_t text_length;                /*  10: bytes of text (ASCII) after the instruction bytes */
	uint32_t reserved0;                  /*  12: zero */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_dis_insn) == 16, "ymir_vmc_dis_insn size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_insn, address) == 0, "ymir_vmc_dis_insn.address");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_insn, length) == 8, "ymir_vmc_dis_insn.length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_insn, flags) == 9, "ymir_vmc_dis_insn.flags");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_insn, text_length) == 10, "ymir_vmc_dis_insn.text_length");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_dis_insn, reserved0) == 12, "ymir_vmc_dis_insn.reserved0");

/* Arguments of BT. */
struct ymir_vmc_bt_args {
	uint32_t vcpu;                       /*   0: vCPU index; ALL_VCPUS is EINVAL */
	uint32_t max_frames;                 /*   4: most frames to return, RIP included, 1..MAX_BT_FRAMES; 0 is EINVAL, more is E2BIG */
} __attribute__((packed)); /* 8 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_bt_args) == 8, "ymir_vmc_bt_args size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt_args, vcpu) == 0, "ymir_vmc_bt_args.vcpu");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt_args, max_frames) == 4, "ymir_vmc_bt_args.max_frames");

/* Result of BT; `count` ymir_vmc_bt_frame records follow. */
struct ymir_vmc_bt {
	uint32_t vcpu;                       /*   0: the vCPU walked */
	uint32_t count;                      /*   4: frames that follow: RIP first, then one per return address */
	uint32_t stop;                       /*   8: BtStop: why the walk ended */
	uint32_t reserved0;                  /*  12: zero */
	uint64_t sequence;                   /*  16: sequence of the register snapshot the walk started from (as VCPU_REGS) */
} __attribute__((packed)); /* 24 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_bt) == 24, "ymir_vmc_bt size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt, vcpu) == 0, "ymir_vmc_bt.vcpu");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt, count) == 4, "ymir_vmc_bt.count");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt, stop) == 8, "ymir_vmc_bt.stop");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt, reserved0) == 12, "ymir_vmc_bt.reserved0");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt, sequence) == 16, "ymir_vmc_bt.sequence");

/* One frame of a backtrace. */
struct ymir_vmc_bt_frame {
	uint64_t address;                    /*   0: RIP for the first frame, else the return address read at frame + 8 */
	uint64_t frame;                      /*   8: RBP for the first frame, else the frame address the return address was read from */
} __attribute__((packed)); /* 16 bytes */
YMIR_VMC_STATIC_ASSERT(sizeof(struct ymir_vmc_bt_frame) == 16, "ymir_vmc_bt_frame size");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt_frame, address) == 0, "ymir_vmc_bt_frame.address");
YMIR_VMC_STATIC_ASSERT(offsetof(struct ymir_vmc_bt_frame, frame) == 8, "ymir_vmc_bt_frame.frame");

#endif /* YMIR_VMC_H */
