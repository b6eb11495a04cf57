/**
 * VMCALL exits (Ymir's vmc.zig). RAX selects the service. Service 0, HELLO, logs the logo and the
 * greeting exactly as the seed chapter; an unknown number logs "Unhandled VMCALL: nr=N" and returns
 * -ENOSYS. A stealthy VMM answers every VMCALL with #UD, as a CPU without VMX does.
 */
import { Service, Status, serviceName, statusName } from '../../shell-protocol/constants.js';
import { Gpr, Vector } from '../hw/state.js';
import type { Vcpu } from '../vcpu/vcpu.js';

/** The seed's logo (generated with TAAG), line for line. */
export const LOGO = [
  "   ____     __ ,---.    ,---..-./`) .-------.",
  "   \\   \\   /  /|    \\  /    |\\ .-.')|  _ _   \\",
  "    \\  _. /  ' |  ,  \\/  ,  |/ `-' \\| ( ' )  |",
  "     _( )_ .'  |  |\\_   /|  | `-'`\"`|(_ o _) /",
  " ___(_ o _)'   |  _( )_/ |  | .---. | (_,_).' __",
  "|   |(_,_)'    | (_ o _) |  | |   | |  |\\ \\  |  |",
  "|   `-'  /     |  (_,_)  |  | |   | |  | \\ `'   /",
  " \\      /      |  |      |  | |   | |  |  \\    /",
  "  `-..-'       '--'      '--' '---' ''-'   `'-'",
].join('\n');

export const HELLO_MESSAGE = 'This OS is hypervisored by Ymir.';

/** A VMCALL service: reads its arguments from the registers, writes RAX (status) and outputs. */
export type VmcallService = (vcpu: Vcpu) => void;

/** Service numbers this VMM can have; anything at or above is unknown without a lookup. */
const SERVICE_LIMIT = 16;

export class VmcallServices {
  /** Indexed by service number: VMCALL looks its service up at every call. */
  private readonly services: (VmcallService | undefined)[] = new Array<VmcallService | undefined>(SERVICE_LIMIT).fill(undefined);

  constructor() {
    this.register(Service.HELLO, vmcHello);
  }

  /** Add or replace a service (the ABI v1 services register here). */
  register(nr: number, service: VmcallService): void {
    if (!Number.isInteger(nr) || nr < 0 || nr >= SERVICE_LIMIT) throw new RangeError(`VMCALL service ${nr} is outside 0..${SERVICE_LIMIT - 1}`);
    this.services[nr] = service;
  }

  handle(vcpu: Vcpu): void {
    if (vcpu.config.stealth) {
      vcpu.injectException(Vector.UD);
      return;
    }
    const v = vcpu.vmcs;
    // The service number is all of RAX: one with high bits set is unknown, not truncated.
    const known = v.state.r[Gpr.RAX * 2 + 1] === 0 && v.gpr32(Gpr.RAX) < SERVICE_LIMIT;
    const service = known ? this.services[v.gpr32(Gpr.RAX)] : undefined;
    // Read and formatted only at --log-level debug: this is the VMCALL path.
    const traced = vcpu.log.tracing ? v.gpr(Gpr.RAX) : undefined;
    if (service) service(vcpu);
    else {
      vcpu.log.write('error', 'vmc', `Unhandled VMCALL: nr=${v.gpr(Gpr.RAX)}`);
      v.setGprNumber(Gpr.RAX, Status.ENOSYS);
    }
    if (traced !== undefined) {
      vcpu.log.trace('vmc', `vCPU ${vcpu.index}: VMCALL ${serviceName(traced)} from CPL ${v.guestCpl}: ${statusName(Number(BigInt.asIntN(64, v.gpr(Gpr.RAX))))}`);
    }
    v.advanceRip();
  }
}

function vmcHello(vcpu: Vcpu): void {
  vcpu.log.write('info', 'vmc', `GREETINGS FROM VMX-ROOT...\n${LOGO}\n`);
  vcpu.log.write('info', 'vmc', `${HELLO_MESSAGE}\n`);
  vcpu.vmcs.setGprNumber(Gpr.RAX, 0);
}
