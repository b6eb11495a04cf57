/**
 * The monitor's commands, one table: QMP names where QEMU has the command (query-status, stop,
 * cont, quit, query-cpus-fast, human-monitor-command, system_reset, inject-nmi), plain ones
 * where it has none. Each declares its arguments; a call with a missing, unknown or mistyped
 * argument fails before it runs.
 */
import { EXIT_REASON_COUNT, exitReasonName } from '../../shell-protocol/exit-reasons.js';
import { isMonitorUnavailableError, type VmMonitor } from '../../vmm/monitor-api.js';
import { VERSION, versionTriple } from '../version.js';
import type { Hmp } from './hmp.js';
import { MonitorCommandError, type MonitorVmIdentity, encodeSnapshot, hex64 } from './protocol.js';

type ArgType = 'integer' | 'string' | 'boolean';
interface ArgSpec {
  readonly type: ArgType;
  readonly optional?: boolean;
}

export interface CommandContext {
  readonly vm: VmMonitor;
  readonly identity: MonitorVmIdentity;
  /** This connection's human monitor (its `cpu` selection is per connection, as in QEMU). */
  readonly hmp: Hmp;
}

interface MonitorCommandSpec {
  readonly args: Readonly<Record<string, ArgSpec>>;
  readonly help: string;
  readonly run: (context: CommandContext, args: Readonly<Record<string, unknown>>) => unknown;
}

const cpuIndex: ArgSpec = { type: 'integer', optional: true };

function vcpuArg(vm: VmMonitor, value: unknown): number {
  const n = value as number;
  if (n < 0 || n >= vm.config.vcpus) throw new MonitorCommandError('GenericError', `cpu-index ${n} is out of range: the VM has ${vm.config.vcpus} vCPUs`);
  return n;
}

const RUN_STATES = { created: 'prelaunch', running: 'running', paused: 'paused', stopped: 'shutdown' } as const;

export const COMMANDS: Readonly<Record<string, MonitorCommandSpec>> = {
  qmp_capabilities: { args: { enable: { type: 'string', optional: true } }, help: 'leave capabilities negotiation', run: () => ({}) },
  'query-version': { args: {}, help: 'the ymir version', run: () => ({ ymir: versionTriple(), package: `ymir-dbg ${VERSION}` }) },
  'query-commands': { args: {}, help: 'the commands this monitor takes', run: () => Object.keys(COMMANDS).map((name) => ({ name })) },
  'query-name': { args: {}, help: 'the VM\'s name', run: ({ identity }) => ({ name: identity.name }) },
  'query-status': {
    args: {}, help: 'whether the VM runs',
    run: ({ vm }) => {
      const debug = vm.state === 'running' && vm.debugStopped();
      return { running: vm.state === 'running' && !debug, status: debug ? 'debug' : RUN_STATES[vm.state], 'uptime-ms': vm.uptimeMs() };
    },
  },
  'query-vm': {
    args: {}, help: 'the VM\'s configuration and identity',
    run: ({ vm, identity }) => ({
      ...identity, vcpus: vm.config.vcpus, 'memory-bytes': vm.config.memoryBytes, stealth: vm.config.stealth, 'log-level': vm.config.logLevel,
    }),
  },
  'query-cpus-fast': {
    args: {}, help: 'every vCPU: index, run state, RIP',
    run: ({ vm }) => Array.from({ length: vm.config.vcpus }, (_, v) => {
      const s = vm.registers(v);
      return { 'cpu-index': v, target: 'x86_64', state: s.state, rip: hex64(s.rip) };
    }),
  },
  'query-registers': {
    args: { 'cpu-index': cpuIndex }, help: 'the register snapshot of one vCPU, or of every vCPU',
    run: ({ vm }, args) => (args['cpu-index'] === undefined
      ? Array.from({ length: vm.config.vcpus }, (_, v) => encodeSnapshot(vm.registers(v)))
      : encodeSnapshot(vm.registers(vcpuArg(vm, args['cpu-index'])))),
  },
  'query-exits': {
    args: {}, help: 'exit counts per vCPU, indexed by SDM basic exit reason',
    run: ({ vm }) => ({
      reasons: Array.from({ length: EXIT_REASON_COUNT }, (_, reason) => exitReasonName(reason)),
      cpus: Array.from({ length: vm.config.vcpus }, (_, v) => ({ 'cpu-index': v, counts: vm.exitCounts(v) })),
    }),
  },
  'reset-exits': {
    args: { 'cpu-index': cpuIndex }, help: 'zero the exit counts of one vCPU or of all',
    run: ({ vm }, args) => {
      vm.resetExitCounts(args['cpu-index'] === undefined ? undefined : vcpuArg(vm, args['cpu-index']));
      return {};
    },
  },
  'query-log': {
    args: { cursor: { type: 'integer' }, max: { type: 'integer', optional: true } }, help: 'VMM log records from a cursor',
    run: ({ vm }, args) => {
      const result = vm.readLog(args.cursor as number, Math.min(1024, (args.max as number | undefined) ?? 256));
      return { records: result.records, lost: result.lost, 'next-cursor': result.nextCursor };
    },
  },
  stop: { args: {}, help: 'pause the VM', run: ({ vm }) => { vm.pause(); return {}; } },
  cont: { args: {}, help: 'resume the VM', run: ({ vm }) => { vm.resume(); return {}; } },
  quit: { args: {}, help: 'stop the VM; its ymir process ends', run: async ({ vm }) => { await vm.stop(); return {}; } },
  'human-monitor-command': {
    args: { 'command-line': { type: 'string' }, 'cpu-index': cpuIndex }, help: 'run a human monitor command, answer its text',
    run: async ({ vm, hmp }, args) => {
      if (args['cpu-index'] !== undefined) hmp.cpu = vcpuArg(vm, args['cpu-index']);
      return hmp.execute(args['command-line'] as string);
    },
  },
  'memory-read': {
    args: { address: { type: 'string' }, length: { type: 'integer' }, physical: { type: 'boolean', optional: true }, 'cpu-index': cpuIndex },
    help: 'guest memory as hex (virtual through the vCPU\'s page tables unless physical)',
    run: ({ vm }, args) => {
      const address = BigInt(args.address as string);
      const length = args.length as number;
      if (length < 0 || length > 65536) throw new MonitorCommandError('GenericError', 'length must be 0 to 65536');
      const bytes = args.physical ? vm.debug.readPhysical(address, length) : vm.debug.readVirtual(vcpuArg(vm, args['cpu-index'] ?? 0), address, length);
      return { data: Buffer.from(bytes).toString('hex') };
    },
  },
  // The full state each vCPU publishes, the exit records, memory writes and events.
  'query-registers-full': { args: { 'cpu-index': { type: 'integer' } }, help: 'every register with segment caches, GDTR/IDTR, CR8, DR0-7', run: ({ vm }, args) => vm.debug.fullRegisters(vcpuArg(vm, args['cpu-index'])) },
  'query-vmcs': { args: { 'cpu-index': { type: 'integer' } }, help: 'the VMCS fields of a vCPU', run: ({ vm }, args) => vm.debug.vmcs(vcpuArg(vm, args['cpu-index'])) },
  'query-mappings': { args: { 'cpu-index': { type: 'integer' } }, help: 'the page-table mappings of a vCPU', run: ({ vm }, args) => vm.debug.mappings(vcpuArg(vm, args['cpu-index'])) },
  'query-lapic': { args: { 'cpu-index': { type: 'integer' } }, help: 'the local APIC of a vCPU', run: ({ vm }, args) => vm.debug.lapic(vcpuArg(vm, args['cpu-index'])) },
  'query-exit-trace': {
    args: { 'cpu-index': { type: 'integer' }, last: { type: 'integer', optional: true } }, help: 'the last exits of a vCPU',
    run: ({ vm }, args) => vm.debug.exitTrace(vcpuArg(vm, args['cpu-index']), (args.last as number | undefined) ?? 100),
  },
  'query-io-ports': { args: {}, help: 'IO_INSTRUCTION exits by port', run: ({ vm }) => vm.debug.ioPortBreakdown() },
  'query-msrs': { args: {}, help: 'MSR exits by MSR', run: ({ vm }) => vm.debug.msrBreakdown() },
  system_reset: { args: {}, help: 'reset the machine', run: ({ vm }) => { vm.debug.systemReset(); return {}; } },
  'inject-nmi': { args: { 'cpu-index': cpuIndex }, help: 'an NMI to a vCPU', run: ({ vm }, args) => { vm.debug.injectNmi(vcpuArg(vm, args['cpu-index'] ?? 0)); return {}; } },
};

/** Checks `args` against the command's declaration (QMP's messages for the usual mistakes). */
function checkArguments(name: string, spec: MonitorCommandSpec, args: unknown): Readonly<Record<string, unknown>> {
  if (args === undefined) args = {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new MonitorCommandError('GenericError', `QMP input member 'arguments' must be an object`);
  const given = args as Record<string, unknown>;
  for (const key of Object.keys(given)) if (!(key in spec.args)) throw new MonitorCommandError('GenericError', `Parameter '${key}' is unexpected`);
  for (const [key, { type, optional }] of Object.entries(spec.args)) {
    const value = given[key];
    if (value === undefined) {
      if (!optional) throw new MonitorCommandError('GenericError', `Parameter '${key}' is missing`);
      continue;
    }
    const ok = type === 'integer' ? Number.isSafeInteger(value) : typeof value === type;
    if (!ok) throw new MonitorCommandError('GenericError', `Invalid parameter type for '${key}', expected: ${type === 'integer' ? 'integer' : type}`);
  }
  if (name === 'memory-read' && !/^(0x[0-9a-fA-F]{1,16}|\d{1,20})$/.test(given.address as string)) throw new MonitorCommandError('GenericError', "Parameter 'address' expects a number such as 0x1000");
  return given;
}

/** Runs a command by name; errors come back as MonitorCommandError with their QMP class. */
export async function runCommand(context: CommandContext, name: string, args: unknown): Promise<unknown> {
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!spec) throw new MonitorCommandError('CommandNotFound', `The command ${name} has not been found`);
  const checked = checkArguments(name, spec, args);
  try {
    return await spec.run(context, checked);
  } catch (error) {
    if (error instanceof MonitorCommandError) throw error;
    if (isMonitorUnavailableError(error) || error instanceof RangeError) throw new MonitorCommandError('GenericError', (error as Error).message);
    throw error;
  }
}
