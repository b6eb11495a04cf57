/**
 * The guest state a vCPU is launched with (the VMCS guest-state area before VMLAUNCH): the BSP at
 * a Multiboot kernel's entry point (vmm/platform.md section 3), an AP in real mode at its STARTUP
 * vector (SDM Vol.3A 9.1.1 reset values, 8.4.4.1 SIPI).
 */
import type { CpuState } from '../hw/state.js';
import { Cr0, Gpr, Seg, SegAttr } from '../hw/state.js';
import { writeRflags } from '../hw/system.js';
import { MULTIBOOT_BOOTLOADER_MAGIC, type BootInfo } from '../vm/multiboot.js';

const FLAT_CODE_32 = 0xb | SegAttr.S | SegAttr.P | SegAttr.DB | SegAttr.G;
const FLAT_DATA_32 = 0x3 | SegAttr.S | SegAttr.P | SegAttr.DB | SegAttr.G;
export const MULTIBOOT_CS = 0x08;
export const MULTIBOOT_DS = 0x10;

/** 32-bit flat protected mode, paging off, EAX/EBX as Multiboot says, interrupts off. */
export function launchMultiboot(s: CpuState, boot: BootInfo): void {
  s.cr0 = (Cr0.PE | Cr0.ET) >>> 0;
  s.cr4 = 0;
  s.efer = 0;
  for (let seg = 0; seg < 6; seg++) {
    s.segSelector[seg] = seg === Seg.CS ? MULTIBOOT_CS : MULTIBOOT_DS;
    s.segBase[seg] = 0;
    s.segLimit[seg] = 0xffffffff;
    s.segAttr[seg] = seg === Seg.CS ? FLAT_CODE_32 : FLAT_DATA_32;
  }
  s.gdtrBase = 0;
  s.gdtrLimit = 0;
  s.idtrBase = 0;
  s.idtrLimit = 0;
  s.r.fill(0);
  s.setGprNumber(Gpr.RAX, MULTIBOOT_BOOTLOADER_MAGIC);
  s.setGprNumber(Gpr.RBX, boot.info);
  s.rip = boot.entry;
  writeRflags(s, 0x2);
}

/** Real mode at VV00:0000 after INIT and STARTUP with vector VV. */
export function launchStartup(s: CpuState, vector: number): void {
  s.cr0 = (Cr0.ET | Cr0.NW | Cr0.CD) >>> 0;
  s.cr4 = 0;
  s.efer = 0;
  s.resetSegments();
  s.segSelector[Seg.CS] = vector << 8;
  s.segBase[Seg.CS] = vector << 12;
  s.gdtrBase = 0;
  s.gdtrLimit = 0xffff;
  s.idtrBase = 0;
  s.idtrLimit = 0xffff;
  s.r.fill(0);
  s.rip = 0;
  writeRflags(s, 0x2);
}
