/*
 * The two 8259A PICs (Intel 8259A datasheet), remapped to vectors 0x20-0x2f so ISA IRQs do not
 * land on exception vectors, all lines masked but the ones a driver asks for. Their output
 * reaches the BSP's LINT0 as ExtINT, so the PIC supplies the vector and takes the EOI; the
 * local APIC's ISR is not involved.
 */
#include "kernel.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT 0x11 /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20
#define OCW3_READ_ISR 0x0b

static u16 mask = 0xffff & ~(1 << 2); /* IRQ 2 is the cascade */

static void write_mask(void)
{
	outb(PIC1_DATA, (u8)mask);
	outb(PIC2_DATA, (u8)(mask >> 8));
}

/* IRQ 7 and 15 also arrive when a request went away before the CPU acknowledged it; then the
 * in-service bit is clear and no EOI is due. */
static bool pic_spurious(int irq)
{
	if (irq != 7 && irq != 15)
		return false;
	u16 port = irq == 7 ? PIC1_CMD : PIC2_CMD;
	outb(port, OCW3_READ_ISR);
	return !(inb(port) & 0x80);
}

static void spurious_irq(struct trapframe *tf)
{
	int irq = (int)tf->vector - VECTOR_PIC_BASE;
	if (!pic_spurious(irq))
		pic_eoi(irq);
}

void pic_init(void)
{
	irq_set_handler(VECTOR_PIC_BASE + 7, spurious_irq);
	irq_set_handler(VECTOR_PIC_BASE + 15, spurious_irq);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	outb(PIC1_CMD, ICW1_INIT);
	outb(PIC2_CMD, ICW1_INIT);
	outb(PIC1_DATA, VECTOR_PIC_BASE);     /* ICW2: vector of IRQ 0 */
	outb(PIC2_DATA, VECTOR_PIC_BASE + 8); /* ICW2: vector of IRQ 8 */
	outb(PIC1_DATA, 1 << 2);              /* ICW3: a slave on IRQ 2 */
	outb(PIC2_DATA, 2);                   /* ICW3: the slave's cascade identity */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	write_mask();
}

void pic_unmask(int irq)
{
	mask &= (u16)~(1 << irq);
	write_mask();
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
}
