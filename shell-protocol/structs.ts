/** Every struct of ABI v1, with the offsets the codec uses and the C header is generated from. */
import { EXIT_REASON_COUNT } from './exit-reasons.js';
import { defineStruct } from './layout.js';

export const RequestHeader = defineStruct('ymir_vmc_request_header', 'Start of a CALL request (guest writes, VMM reads).', [
  { name: 'magic', type: 'u32', doc: 'REQUEST_MAGIC ("YMRQ")' },
  { name: 'version_major', type: 'u16', doc: 'ABI_MAJOR; another major is EPROTO' },
  { name: 'version_minor', type: 'u16', doc: 'ABI_MINOR the guest was written for; any value is accepted' },
  { name: 'flags', type: 'u32', doc: 'RequestFlag bits; unknown bits are EINVAL' },
  { name: 'entry_count', type: 'u32', doc: 'entries that follow; more than MAX_ENTRIES is E2BIG' },
  { name: 'total_length', type: 'u32', doc: 'bytes of header plus entries; must equal RCX' },
  { name: 'reserved0', type: 'u32', doc: 'must be zero' },
] as const);

export const RequestEntry = defineStruct('ymir_vmc_request_entry', 'One call in a request; its arguments follow, padded to 8 bytes.', [
  { name: 'op', type: 'u16', doc: 'an Op' },
  { name: 'flags', type: 'u16', doc: 'must be zero' },
  { name: 'arg_length', type: 'u32', doc: 'bytes of arguments that follow (before padding)' },
] as const);

export const ResponseHeader = defineStruct('ymir_vmc_response_header', 'Start of a CALL response (VMM writes, guest reads).', [
  { name: 'magic', type: 'u32', doc: 'RESPONSE_MAGIC ("YMRS")' },
  { name: 'version_major', type: 'u16', doc: 'ABI_MAJOR of the VMM' },
  { name: 'version_minor', type: 'u16', doc: 'ABI_MINOR of the VMM' },
  { name: 'entry_count', type: 'u32', doc: 'response entries that follow' },
  { name: 'total_length', type: 'u32', doc: 'bytes of header plus entries written' },
  { name: 'first_error', type: 's32', doc: 'status of the first entry that failed, or 0' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const ResponseEntry = defineStruct('ymir_vmc_response_entry', 'The answer to one request entry; its data follows, padded to 8 bytes.', [
  { name: 'op', type: 'u16', doc: 'the op of the request entry' },
  { name: 'reserved0', type: 'u16', doc: 'zero' },
  { name: 'status', type: 's32', doc: 'Status of this entry' },
  { name: 'data_length', type: 'u32', doc: 'bytes of data that follow (before padding)' },
  { name: 'needed_length', type: 'u32', doc: 'bytes of data the result needs; larger than data_length only with ENOSPC' },
] as const);

export const VcpuArgs = defineStruct('ymir_vmc_vcpu_args', 'Arguments of VCPU_REGS, EXIT_STATS and STATS_RESET.', [
  { name: 'vcpu', type: 'u32', doc: 'vCPU index, or ALL_VCPUS where the op allows it' },
  { name: 'reserved0', type: 'u32', doc: 'must be zero' },
] as const);

export const VmInfo = defineStruct('ymir_vmc_vm_info', 'Result of VM_INFO.', [
  { name: 'vcpu_count', type: 'u32', doc: 'vCPUs in the VM' },
  { name: 'log_level', type: 'u32', doc: 'current LogLevel' },
  { name: 'memory_bytes', type: 'u64', doc: 'guest-physical memory size' },
  { name: 'uptime_ns', type: 'u64', doc: 'nanoseconds since the VM started' },
  { name: 'vmm_name', type: 'u8', count: 32, doc: 'VMM name and version, NUL-padded UTF-8' },
] as const);

export const RegisterSnapshot = defineStruct('ymir_vmc_regs', 'Result of VCPU_REGS: a vCPU\'s registers as of its last exit.', [
  { name: 'vcpu', type: 'u32', doc: 'vCPU index' },
  { name: 'state', type: 'u32', doc: 'VcpuState' },
  { name: 'sequence', type: 'u64', doc: 'snapshot sequence number; grows with every publication' },
  { name: 'last_exit_reason', type: 'u32', doc: 'basic exit reason of the exit the snapshot was taken at' },
  { name: 'cpl', type: 'u32', doc: 'current privilege level, 0 or 3' },
  { name: 'gprs', type: 'u64', count: 16, doc: 'RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15' },
  { name: 'rip', type: 'u64', doc: 'RIP' },
  { name: 'rflags', type: 'u64', doc: 'RFLAGS' },
  { name: 'cr0', type: 'u64', doc: 'CR0 (the guest\'s value)' },
  { name: 'cr2', type: 'u64', doc: 'CR2' },
  { name: 'cr3', type: 'u64', doc: 'CR3' },
  { name: 'cr4', type: 'u64', doc: 'CR4 (the guest\'s value)' },
  { name: 'efer', type: 'u64', doc: 'IA32_EFER' },
  { name: 'fs_base', type: 'u64', doc: 'FS base' },
  { name: 'gs_base', type: 'u64', doc: 'GS base' },
  { name: 'cs', type: 'u16', doc: 'CS selector' },
  { name: 'ds', type: 'u16', doc: 'DS selector' },
  { name: 'es', type: 'u16', doc: 'ES selector' },
  { name: 'fs', type: 'u16', doc: 'FS selector' },
  { name: 'gs', type: 'u16', doc: 'GS selector' },
  { name: 'ss', type: 'u16', doc: 'SS selector' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const ExitStatsHeader = defineStruct('ymir_vmc_exit_stats', 'Result of EXIT_STATS; `count` ymir_vmc_exit_count records follow.', [
  { name: 'vcpu', type: 'u32', doc: 'the vCPU asked for, or ALL_VCPUS (sums over every vCPU)' },
  { name: 'count', type: 'u32', doc: 'records that follow: one per reason with a non-zero count, by reason' },
  { name: 'total', type: 'u64', doc: 'sum of every count' },
] as const);

export const ExitCount = defineStruct('ymir_vmc_exit_count', 'One exit reason and how often it happened.', [
  { name: 'reason', type: 'u32', doc: 'basic exit reason' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
  { name: 'count', type: 'u64', doc: 'exits with that reason' },
] as const);

export const LogReadArgs = defineStruct('ymir_vmc_log_read_args', 'Arguments of LOG_READ.', [
  { name: 'cursor', type: 'u64', doc: 'sequence number of the first record wanted (0: the oldest kept)' },
  { name: 'max_records', type: 'u32', doc: 'most records to return, 1..256; else EINVAL' },
  { name: 'reserved0', type: 'u32', doc: 'must be zero' },
] as const);

export const LogReadHeader = defineStruct('ymir_vmc_log_read', 'Result of LOG_READ; `count` records follow.', [
  { name: 'next_cursor', type: 'u64', doc: 'cursor for the next read' },
  { name: 'lost', type: 'u64', doc: 'records between cursor and the first returned that the ring had overwritten' },
  { name: 'count', type: 'u32', doc: 'records that follow' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const LogRecordHeader = defineStruct('ymir_vmc_log_record', 'One log record; scope then message bytes follow, padded to 8 bytes.', [
  { name: 'sequence', type: 'u64', doc: 'record sequence number' },
  { name: 'time_ns', type: 'u64', doc: 'nanoseconds since VM start' },
  { name: 'level', type: 'u32', doc: 'LogLevel' },
  { name: 'scope_length', type: 'u16', doc: 'bytes of scope (UTF-8)' },
  { name: 'message_length', type: 'u16', doc: 'bytes of message (UTF-8)' },
] as const);

export const AddressArgs = defineStruct('ymir_vmc_address_args', 'Arguments of TRANSLATE.', [
  { name: 'address', type: 'u64', doc: 'guest-virtual address, translated through the caller\'s CR3' },
] as const);

export const Translation = defineStruct('ymir_vmc_translation', 'Result of TRANSLATE.', [
  { name: 'gpa', type: 'u64', doc: 'guest-physical address' },
  { name: 'page_size', type: 'u64', doc: '4096, 2 MiB or 1 GiB' },
  { name: 'flags', type: 'u32', doc: 'PageFlag bits of the walk (AND of every level; NX is OR)' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const MemReadArgs = defineStruct('ymir_vmc_mem_read_args', 'Arguments of MEM_READ (privileged); the result is the bytes.', [
  { name: 'gpa', type: 'u64', doc: 'guest-physical start' },
  { name: 'length', type: 'u32', doc: '1..MAX_MEM_READ_BYTES; else EINVAL / E2BIG' },
  { name: 'reserved0', type: 'u32', doc: 'must be zero' },
] as const);

export const RangeArgs = defineStruct('ymir_vmc_range', 'Arguments of PROTECT and UNPROTECT (privileged).', [
  { name: 'gpa', type: 'u64', doc: 'page-aligned guest-physical start' },
  { name: 'length', type: 'u64', doc: 'page-aligned, non-zero length' },
] as const);

export const ProtectedHeader = defineStruct('ymir_vmc_protected', 'Result of PROTECTED; `count` ranges follow.', [
  { name: 'count', type: 'u32', doc: 'ranges that follow, by address' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const ProtectedRange = defineStruct('ymir_vmc_protected_range', 'One write-protected range.', [
  { name: 'gpa', type: 'u64', doc: 'guest-physical start' },
  { name: 'length', type: 'u64', doc: 'length in bytes' },
  { name: 'violations', type: 'u64', doc: 'guest writes refused in this range' },
] as const);

export const LogLevelArgs = defineStruct('ymir_vmc_log_level_args', 'Arguments of LOG_LEVEL (privileged).', [
  { name: 'level', type: 'u32', doc: 'new LogLevel, or LOG_LEVEL_QUERY to only read it' },
  { name: 'reserved0', type: 'u32', doc: 'must be zero' },
] as const);

export const LogLevelResult = defineStruct('ymir_vmc_log_level', 'Result of LOG_LEVEL.', [
  { name: 'previous', type: 'u32', doc: 'level before the call' },
  { name: 'current', type: 'u32', doc: 'level after the call' },
] as const);

export const OpsHeader = defineStruct('ymir_vmc_ops', 'Result of OPS; `count` ymir_vmc_op_info follow.', [
  { name: 'count', type: 'u32', doc: 'ops that follow, by number' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const OpInfo = defineStruct('ymir_vmc_op_info', 'One op this VMM supports.', [
  { name: 'op', type: 'u16', doc: 'Op number' },
  { name: 'flags', type: 'u16', doc: 'OpInfoFlag bits' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
  { name: 'name', type: 'u8', count: 24, doc: 'op name, NUL-padded ASCII' },
] as const);

export const SharedPageHeader = defineStruct('ymir_vmc_shared_page', 'Start of the MAP_SHARED page (VMM writes, guest reads); vcpu_count ymir_vmc_shared_vcpu rows follow.', [
  { name: 'magic', type: 'u32', doc: 'SHARED_PAGE_MAGIC ("YMSC")' },
  { name: 'version_major', type: 'u16', doc: 'ABI_MAJOR' },
  { name: 'version_minor', type: 'u16', doc: 'ABI_MINOR' },
  { name: 'vcpu_count', type: 'u32', doc: 'rows that follow: min(total_vcpus, SHARED_PAGE_MAX_VCPUS)' },
  { name: 'reason_count', type: 'u32', doc: 'counters per row (EXIT_REASON_COUNT)' },
  { name: 'sequence', type: 'u64', doc: 'generation: changes whenever the counters restart (mapping, STATS_RESET)' },
  { name: 'total_vcpus', type: 'u32', doc: 'vCPUs in the VM (may exceed vcpu_count)' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const SharedVcpuCounters = defineStruct('ymir_vmc_shared_vcpu', 'One vCPU\'s row in the MAP_SHARED page.', [
  { name: 'total', type: 'u64', doc: 'sum of counts[]: every exit of this vCPU' },
  { name: 'counts', type: 'u64', count: EXIT_REASON_COUNT, doc: 'exits by basic exit reason' },
] as const);

export const ProtectedFlags = defineStruct('ymir_vmc_protected_flags', 'Flags of one protected range (ABI 1.1): `count` of these follow PROTECTED\'s ranges, in the same order.', [
  { name: 'flags', type: 'u32', doc: 'ProtectedFlag bits' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const DisArgs = defineStruct('ymir_vmc_dis_args', 'Arguments of DIS.', [
  { name: 'address', type: 'u64', doc: 'guest-virtual address of the first instruction, through the caller\'s CR3' },
  { name: 'count', type: 'u32', doc: 'instructions wanted, 1..MAX_DIS_INSTRUCTIONS; 0 is EINVAL, more is E2BIG' },
  { name: 'syntax', type: 'u16', doc: 'DisSyntax; another value is EINVAL' },
  { name: 'reserved0', type: 'u16', doc: 'must be zero' },
] as const);

export const DisHeader = defineStruct('ymir_vmc_dis', 'Result of DIS; `count` ymir_vmc_dis_insn records follow.', [
  { name: 'next_address', type: 'u64', doc: 'address after the last instruction returned' },
  { name: 'count', type: 'u32', doc: 'instructions that follow, 1..count asked' },
  { name: 'stop', type: 'u32', doc: 'DisStop: why fewer than asked may follow' },
] as const);

export const DisInsn = defineStruct('ymir_vmc_dis_insn', 'One instruction; its bytes then its text follow, padded to 8 bytes.', [
  { name: 'address', type: 'u64', doc: 'guest-virtual address of the instruction' },
  { name: 'length', type: 'u8', doc: 'instruction bytes that follow, 1..15' },
  { name: 'flags', type: 'u8', doc: 'DisInsnFlag bits' },
  { name: 'text_length', type: 'u16', doc: 'bytes of text (ASCII) after the instruction bytes' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
] as const);

export const BtArgs = defineStruct('ymir_vmc_bt_args', 'Arguments of BT.', [
  { name: 'vcpu', type: 'u32', doc: 'vCPU index; ALL_VCPUS is EINVAL' },
  { name: 'max_frames', type: 'u32', doc: 'most frames to return, RIP included, 1..MAX_BT_FRAMES; 0 is EINVAL, more is E2BIG' },
] as const);

export const BtHeader = defineStruct('ymir_vmc_bt', 'Result of BT; `count` ymir_vmc_bt_frame records follow.', [
  { name: 'vcpu', type: 'u32', doc: 'the vCPU walked' },
  { name: 'count', type: 'u32', doc: 'frames that follow: RIP first, then one per return address' },
  { name: 'stop', type: 'u32', doc: 'BtStop: why the walk ended' },
  { name: 'reserved0', type: 'u32', doc: 'zero' },
  { name: 'sequence', type: 'u64', doc: 'sequence of the register snapshot the walk started from (as VCPU_REGS)' },
] as const);

export const BtFrame = defineStruct('ymir_vmc_bt_frame', 'One frame of a backtrace.', [
  { name: 'address', type: 'u64', doc: 'RIP for the first frame, else the return address read at frame + 8' },
  { name: 'frame', type: 'u64', doc: 'RBP for the first frame, else the frame address the return address was read from' },
] as const);

export const ALL_STRUCTS = [
  RequestHeader, RequestEntry, ResponseHeader, ResponseEntry, VcpuArgs, VmInfo, RegisterSnapshot,
  ExitStatsHeader, ExitCount, LogReadArgs, LogReadHeader, LogRecordHeader, AddressArgs, Translation,
  MemReadArgs, RangeArgs, ProtectedHeader, ProtectedRange, LogLevelArgs, LogLevelResult, OpsHeader,
  OpInfo, SharedPageHeader, SharedVcpuCounters, ProtectedFlags, DisArgs, DisHeader, DisInsn, BtArgs, BtHeader, BtFrame,
] as const;
