import { describe, expect, it } from 'vitest';
import { ByteRing } from '../../vmm/byte-ring.js';
import { Fcr, Ier, Iir, Lcr, Lsr, Mcr, Msr, UART_STATE_WORDS, Uart16550, UartReg } from '../../vmm/devices/serial.js';

function uart(txCapacity = 64) {
  const tx = ByteRing.create(txCapacity);
  const rx = ByteRing.create(64);
  let irqs = 0;
  const device = new Uart16550('COM1', 4, new Int32Array(new SharedArrayBuffer(UART_STATE_WORDS * 4)), 0, tx, rx, () => { irqs++; }, () => true);
  return { device, tx, rx, irqs: () => irqs };
}

describe('the 16550A model', () => {
  it('sends THR bytes to the host ring and keeps LSR.THRE/TEMT set while there is room', () => {
    const { device, tx } = uart();
    expect(device.read(UartReg.LSR) & (Lsr.THRE | Lsr.TEMT)).toBe(Lsr.THRE | Lsr.TEMT);
    for (const byte of [0x68, 0x69]) device.write(UartReg.RBR_THR_DLL, byte);
    expect(Array.from(tx.pop())).toEqual([0x68, 0x69]);
  });

  it('clears THRE when the host ring is full (back-pressure, nothing dropped)', () => {
    const { device, tx } = uart(4);
    for (let i = 0; i < 4; i++) device.write(UartReg.RBR_THR_DLL, i);
    expect(device.read(UartReg.LSR) & Lsr.THRE).toBe(0);
    expect(Array.from(tx.pop())).toEqual([0, 1, 2, 3]);
    expect(device.read(UartReg.LSR) & Lsr.THRE).toBe(Lsr.THRE);
  });

  it('puts the divisor latch behind LCR.DLAB', () => {
    const { device, tx } = uart();
    device.write(UartReg.LCR, Lcr.DLAB | 0x03);
    device.write(UartReg.RBR_THR_DLL, 0x0c);
    device.write(UartReg.IER_DLM, 0x00);
    expect(device.read(UartReg.RBR_THR_DLL)).toBe(0x0c);
    device.write(UartReg.LCR, 0x03);
    expect(tx.length).toBe(0); // the divisor write was not transmitted
    expect(device.read(UartReg.IER_DLM)).toBe(0);
    expect(device.read(UartReg.LCR)).toBe(0x03);
  });

  it('reports received bytes in LSR.DR and reads them from RBR in order', () => {
    const { device, rx } = uart();
    expect(device.read(UartReg.LSR) & Lsr.DR).toBe(0);
    rx.tryPush(Uint8Array.of(0x61, 0x62));
    expect(device.read(UartReg.LSR) & Lsr.DR).toBe(Lsr.DR);
    expect([device.read(UartReg.RBR_THR_DLL), device.read(UartReg.RBR_THR_DLL)]).toEqual([0x61, 0x62]);
    expect(device.read(UartReg.LSR) & Lsr.DR).toBe(0);
  });

  it('identifies interrupts in IIR by priority, with FIFO bits once FCR enables them', () => {
    const { device, rx } = uart();
    expect(device.read(UartReg.IIR_FCR)).toBe(Iir.NO_INTERRUPT);
    device.write(UartReg.IIR_FCR, Fcr.ENABLE);
    device.write(UartReg.IER_DLM, Ier.ERBFI | Ier.ETBEI);
    expect(device.read(UartReg.IIR_FCR)).toBe(Iir.FIFO_ENABLED | Iir.THRE);
    expect(device.read(UartReg.IIR_FCR)).toBe(Iir.FIFO_ENABLED | Iir.NO_INTERRUPT); // reading IIR cleared THRE
    rx.tryPush(Uint8Array.of(1));
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.RDA);
  });

  it('raises its IRQ only with MCR.OUT2 set, as a PC wires it', () => {
    const { device, irqs } = uart();
    device.write(UartReg.IER_DLM, Ier.ETBEI);
    expect(irqs()).toBe(0);
    device.write(UartReg.MCR, Mcr.OUT2);
    expect(irqs()).toBe(1);
    expect(device.interruptPending()).toBe(true);
  });

  it('loops transmitted bytes back and mirrors modem lines in loopback mode', () => {
    const { device, tx } = uart();
    device.write(UartReg.MCR, Mcr.LOOP | Mcr.RTS | Mcr.OUT2);
    expect(device.read(UartReg.MSR)).toBe(Msr.CTS | Msr.DCD);
    device.write(UartReg.RBR_THR_DLL, 0x5a);
    expect(tx.length).toBe(0);
    expect(device.read(UartReg.RBR_THR_DLL)).toBe(0x5a);
  });

  it('clears the receive FIFO on FCR', () => {
    const { device, rx } = uart();
    rx.tryPush(Uint8Array.of(1, 2, 3));
    device.write(UartReg.IIR_FCR, Fcr.ENABLE | Fcr.CLEAR_RX);
    expect(device.read(UartReg.LSR) & Lsr.DR).toBe(0);
  });

  it('keeps the scratch register', () => {
    const { device } = uart();
    device.write(UartReg.SCR, 0xa5);
    expect(device.read(UartReg.SCR)).toBe(0xa5);
  });
});
