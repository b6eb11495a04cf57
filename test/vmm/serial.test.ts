import { describe, expect, it } from 'vitest';
import { ByteRing } from '../../vmm/byte-ring.js';
import { uartDevice } from '../../vmm/devices/ports.js';
import { Fcr, Ier, Iir, Lcr, Lsr, Mcr, Msr, RX_FIFO_DEPTH, UART_STATE_WORDS, Uart16550, UartReg } from '../../vmm/devices/serial.js';

/** A UART after power-on; `stopping` says whether a vCPU stuck on a full ring should give up (false: it would wait for ever). */
function uart(txCapacity = 64, stopping = true) {
  const tx = ByteRing.create(txCapacity);
  const rx = ByteRing.create(64);
  let irqs = 0;
  const device = new Uart16550('COM1', 4, new Int32Array(new SharedArrayBuffer(UART_STATE_WORDS * 4)), 0, tx, rx, () => { irqs++; }, () => stopping);
  device.reset();
  return { device, tx, rx, irqs: () => irqs };
}

/** RBR until LSR.DR clears. */
function drain(device: Uart16550): number[] {
  const bytes: number[] = [];
  while ((device.read(UartReg.LSR) & Lsr.DR) !== 0) bytes.push(device.read(UartReg.RBR_THR_DLL));
  return bytes;
}

const FIFO_ON = Fcr.ENABLE;

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
    expect(device.read(UartReg.MSR) & 0xf0).toBe(Msr.CTS | Msr.DCD);
    device.write(UartReg.RBR_THR_DLL, 0x5a);
    expect(tx.length).toBe(0);
    expect(device.read(UartReg.RBR_THR_DLL)).toBe(0x5a);
  });

  it('in loopback keeps 16 bytes and sets LSR.OE for the rest, without waiting for a reader or touching the host ring', () => {
    const { device, rx } = uart(64, false); // a vCPU that waited for room would wait for ever
    device.write(UartReg.IIR_FCR, FIFO_ON);
    device.write(UartReg.MCR, Mcr.LOOP);
    for (let i = 0; i < RX_FIFO_DEPTH + 4; i++) device.write(UartReg.RBR_THR_DLL, i);
    expect(rx.length).toBe(0);
    const lsr = device.read(UartReg.LSR);
    expect(lsr & (Lsr.DR | Lsr.OE | Lsr.THRE)).toBe(Lsr.DR | Lsr.OE | Lsr.THRE);
    expect(device.read(UartReg.LSR) & Lsr.OE).toBe(0); // reading LSR cleared it
    expect(drain(device)).toEqual(Array.from({ length: RX_FIFO_DEPTH }, (_, i) => i));
  });

  it('cuts the receiver off the line in loopback: host bytes wait until it ends', () => {
    const { device, rx } = uart();
    device.write(UartReg.MCR, Mcr.LOOP);
    rx.tryPush(Uint8Array.of(0x41));
    expect(device.read(UartReg.LSR) & Lsr.DR).toBe(0);
    device.write(UartReg.MCR, Mcr.DTR | Mcr.RTS);
    expect(drain(device)).toEqual([0x41]);
  });

  it('reports modem line changes in the MSR delta bits until MSR is read, and interrupts for them with EDSSI', () => {
    const { device } = uart();
    expect(device.read(UartReg.MSR)).toBe(Msr.CTS | Msr.DSR | Msr.DCD); // a terminal is connected
    device.write(UartReg.MCR, Mcr.LOOP | Mcr.RTS | Mcr.OUT2); // DSR drops (DTR is off)
    expect(device.read(UartReg.MSR)).toBe(Msr.CTS | Msr.DCD | Msr.DDSR);
    expect(device.read(UartReg.MSR)).toBe(Msr.CTS | Msr.DCD);
    device.write(UartReg.MCR, Mcr.LOOP | Mcr.RTS | Mcr.OUT2 | Mcr.OUT1); // RI rises: no delta for a leading edge
    expect(device.read(UartReg.MSR)).toBe(Msr.CTS | Msr.DCD | Msr.RI);
    device.write(UartReg.IER_DLM, Ier.EDSSI);
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.NO_INTERRUPT);
    device.write(UartReg.MCR, Mcr.LOOP | Mcr.OUT2); // RI falls (TERI), CTS drops (DCTS)
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.MODEM_STATUS);
    expect(device.interruptPending()).toBe(true);
    expect(device.read(UartReg.MSR)).toBe(Msr.DCD | Msr.TERI | Msr.DCTS);
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.NO_INTERRUPT);
  });

  it('identifies an overrun (line status) above received data, and a FIFO below its trigger level as a character timeout', () => {
    const { device } = uart();
    device.write(UartReg.IIR_FCR, FIFO_ON | (2 << Fcr.TRIGGER_SHIFT)); // trigger at 8 bytes
    device.write(UartReg.IER_DLM, Ier.ERBFI | Ier.ELSI);
    device.write(UartReg.MCR, Mcr.LOOP);
    device.write(UartReg.RBR_THR_DLL, 1);
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.CHARACTER_TIMEOUT);
    for (let i = 0; i < 7; i++) device.write(UartReg.RBR_THR_DLL, 1);
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.RDA);
    for (let i = 0; i < 9; i++) device.write(UartReg.RBR_THR_DLL, 1);
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.RECEIVER_LINE_STATUS);
    device.read(UartReg.LSR);
    expect(device.read(UartReg.IIR_FCR) & 0x0f).toBe(Iir.RDA);
  });

  it('splits 16- and 32-bit port accesses into byte accesses at ascending ports, as an ISA bus does', () => {
    const { device, tx } = uart();
    const port = uartDevice(device); // what the port bus calls
    port.write(UartReg.LCR, 1, Lcr.DLAB);
    port.write(UartReg.RBR_THR_DLL, 2, 0x0102); // DLL = 0x02, DLM = 0x01
    expect([port.read(UartReg.RBR_THR_DLL, 1), port.read(UartReg.IER_DLM, 1)]).toEqual([0x02, 0x01]);
    port.write(UartReg.LCR, 1, 0x03);
    port.write(UartReg.SCR, 1, 0x5a);
    expect(port.read(UartReg.LCR, 2)).toBe(0x0003); // LCR, then MCR
    expect(port.read(UartReg.SCR, 2)).toBe(0xff5a); // SCR, then nothing on the bus
    expect(port.read(UartReg.LSR, 4)).toBe(0xff5ab060); // LSR, MSR, SCR, nothing
    port.write(UartReg.RBR_THR_DLL, 4, 0x00000068); // THR 'h', then IER, IIR/FCR and LCR get zeros
    expect(Array.from(tx.pop())).toEqual([0x68]);
    expect(port.read(UartReg.LCR, 1)).toBe(0);
  });

  it('keeps type-ahead: FCR clears the 16-byte FIFO, not the bytes still waiting on the host side', () => {
    const { device, rx } = uart();
    rx.tryPush(new TextEncoder().encode('echo hi\npoweroff 7\n'));
    device.write(UartReg.IIR_FCR, Fcr.ENABLE | Fcr.CLEAR_RX | Fcr.CLEAR_TX); // a driver's init, before it ever read
    expect(new TextDecoder().decode(Uint8Array.from(drain(device)))).toBe('echo hi\npoweroff 7\n');
  });

  it('drops on FCR.CLEAR_RX only what the FIFO had taken from the line', () => {
    const { device, rx } = uart();
    device.write(UartReg.IIR_FCR, FIFO_ON);
    rx.tryPush(Uint8Array.from({ length: 20 }, (_, i) => i));
    expect(device.read(UartReg.LSR) & Lsr.DR).toBe(Lsr.DR); // the FIFO fills from the line: 16 bytes
    device.write(UartReg.IIR_FCR, FIFO_ON | Fcr.CLEAR_RX);
    expect(drain(device)).toEqual([16, 17, 18, 19]);
  });

  it('holds one byte at a time with the FIFOs off, as a 16450', () => {
    const { device, rx } = uart();
    rx.tryPush(Uint8Array.of(1, 2, 3));
    device.read(UartReg.LSR);
    expect(rx.length).toBe(2);
    device.write(UartReg.IIR_FCR, FIFO_ON);
    device.read(UartReg.LSR);
    expect(rx.length).toBe(0);
    expect(drain(device)).toEqual([2, 3]); // enabling the FIFO cleared the byte it held
  });
  it('keeps the scratch register', () => {
    const { device } = uart();
    device.write(UartReg.SCR, 0xa5);
    expect(device.read(UartReg.SCR)).toBe(0xa5);
  });
});
