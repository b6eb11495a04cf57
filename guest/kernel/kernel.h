/* Every kernel file includes this: the types, the structures and one list of the functions
 * each file offers, by file (as xv6's defs.h). */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include "types.h"
#include "layout.h"
#include "x86.h"
#include "percpu.h"
#include "proc.h"
#include "mm.h"
#include "fs.h"
#include "tty.h"
#include "multiboot.h"
#include "../include/uapi/abi.h"
#include "../include/uapi/errno.h"
#include "../lib/str.h"
#include "../lib/format.h"

#define KERNEL_NAME "ymir-guest"
#define KERNEL_RELEASE "0.1.0"

/* printk.c */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern volatile int in_panic;

/* cmdline.c */
void cmdline_parse(const char *cmdline);
extern const char *init_path;
extern int init_argc;
extern char *init_argv[];
extern int panic_timeout;

/* cpu.c */
struct cpu_info {
	char vendor[13];
	char brand[49];
	char hypervisor[13];
	u32 family, model, stepping;
	u32 max_leaf;
	bool x2apic, tsc_deadline, hypervisor_present, nx, pge, gbpages;
};
extern struct cpu_info boot_cpu;
void cpu_detect(void);

/* page.c */
void page_init(u64 mbi_phys);
u64 page_alloc(u64 n);          /* n contiguous zeroed pages; 0 when none */
void page_free(u64 pa, u64 n);
u64 pages_free(void);
u64 pages_total(void);
extern u64 ram_end;

/* kmalloc.c */
void *kmalloc(u64 size);        /* zeroed */
void kfree(void *p);

/* vm.c */
extern u64 *kernel_pml4;
void paging_init(void);
u64 *pte_lookup(u64 *pml4, u64 va, bool create);
void map_fixmap(u64 va, u64 pa, u64 flags);
struct mm *mm_create(void);
void mm_put(struct mm *mm);
void mm_switch(struct mm *mm);
int mm_map_pages(struct mm *mm, u64 va, u64 len, u32 prot);
int vma_insert(struct mm *mm, u64 start, u64 end, u32 prot, u32 flags);
struct vma *vma_find(struct mm *mm, u64 addr);
int vm_unmap(struct mm *mm, u64 start, u64 end);
int vm_protect(struct mm *mm, u64 start, u64 end, u32 prot);
u64 vm_find_free(struct mm *mm, u64 len);
int handle_user_fault(struct mm *mm, u64 addr, bool write, bool exec);
int mm_populate(struct mm *mm, u64 addr, u64 len, bool write);
int vm_map_shared_page(struct mm *mm, u64 va, u64 pa);

/* uaccess.c and entry.S */
u64 copy_user(void *dst, const void *src, u64 n);
u64 clear_user(void *dst, u64 n);
static inline bool access_ok(u64 addr, u64 len) { return addr <= TASK_SIZE && len <= TASK_SIZE - addr; }
int copy_from_user(void *dst, const void *usrc, u64 n);
int copy_to_user(void *udst, const void *src, u64 n);
s64 strncpy_from_user(char *dst, const char *usrc, u64 max);
bool extable_fixup(struct trapframe *tf);

/* gdt.c */
void cpu_init_tables(struct percpu *pc);
struct percpu *percpu_alloc(u32 cpu);
void set_kernel_stack(u64 top);

/* trap.c */
void idt_init(void);
void idt_load(void);
void trap(struct trapframe *tf);
void irq_set_handler(int vector, void (*handler)(struct trapframe *));
#define VECTOR_PIC_BASE 0x20
#define VECTOR_APIC_TIMER 0xec
#define VECTOR_APIC_ERROR 0xfe
#define VECTOR_APIC_SPURIOUS 0xff

/* apic.c */
extern bool x2apic_mode;
void apic_init(void);
void apic_init_ap(void);
u32 apic_id(void);
void apic_eoi(void);
void apic_timer_oneshot(u64 ns);
void apic_timer_stop(void);
void apic_send_init(u32 apic_id);
void apic_send_startup(u32 apic_id, u8 vector);
u32 apic_timer_count(void);
void apic_timer_start_free_running(void);

/* pic.c */
void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);

/* time.c */
extern u64 tsc_hz, apic_timer_hz;
void time_mark_boot(void);
void time_init(void);
u64 ktime_ns(void);              /* ns since boot */
void udelay(u64 us);
void timer_reprogram(void);

/* uart.c */
extern struct uart com1, com2;
void uart_early_init(struct uart *u);
void uart_init_irq(struct uart *u);
void uart_flush_polled(struct uart *u);
u32 uart_tx_write(struct uart *u, const u8 *p, u32 n);
u32 uart_tx_room(struct uart *u);
void uart_set_rx_irq(struct uart *u, bool on);
void uart_print(struct uart *u, const char *s, u64 n);

/* tty.c */
extern struct tty tty_s0, tty_s1;
void tty_init(struct tty *t, struct uart *u);
void tty_receive(struct tty *t, u8 c);
bool tty_must_throttle(const struct tty *t);
void tty_output_drained(struct tty *t);
extern const struct file_ops tty_ops;

/* smp.c */
void smp_boot(void);
noreturn void ap_main(struct percpu *pc);

/* proc.c */
struct proc *current_proc(void);
struct proc *proc_by_pid(int pid);
noreturn void scheduler(void);
void swtch(struct context **save, struct context *load);
void yield(void);
int sleep_on(const void *chan, bool interruptible, u64 wake_at);
void wakeup(const void *chan);
void wake_process(struct proc *p);
void timers_expire(u64 now);
u64 timers_next(void);
bool need_time_slice(void);
extern bool need_resched;
noreturn void do_exit(int status);
s64 do_wait4(int pid, u64 ustatus, int options);
s64 do_vfork(struct trapframe *tf);
void release_vfork_parent(struct proc *p);
void proc_start_init(void);
int procs_alive(void);

/* exec.c */
s64 do_execve(const char *path, char *const *uargv, char *const *uenvp, bool from_user);

/* fs.c */
void fs_init(void);
struct inode *inode_create(struct inode *dir, const char *name, u32 mode, u32 rdev);
int fs_lookup(struct inode *base, const char *path, bool follow, struct inode **out);
int fs_lookup_parent(struct inode *base, const char *path, struct inode **dir, char *name);
struct inode *dir_find(struct inode *dir, const char *name, u64 len);
int inode_write(struct inode *ip, u64 off, const u8 *src, u64 n, bool from_user);
int inode_truncate(struct inode *ip, u64 size);
void inode_get(struct inode *ip);
void inode_put(struct inode *ip);
int inode_unlink(struct inode *dir, const char *name, bool dir_only);
int path_of(struct inode *ip, char *buf, u64 size);
void fill_stat(struct inode *ip, struct stat *st);

/* initramfs.c */
void initramfs_unpack(u64 mbi_phys);

/* file.c */
struct file *file_open_inode(struct inode *ip, u32 flags);
void file_get(struct file *f);
void file_put(struct file *f);
int fd_install(struct proc *p, struct file *f, int min, bool cloexec);
struct file *fd_get(struct proc *p, int fd);
void fd_close_all(struct proc *p);
void fd_close_on_exec(struct proc *p);
s64 file_read(struct file *f, u8 *ubuf, u64 n);
s64 file_write(struct file *f, const u8 *ubuf, u64 n);
s64 file_getdents(struct file *f, u8 *ubuf, u64 n);

/* syscall.c */
void syscall_dispatch(struct trapframe *tf);
int syscall_exit_to_user(struct trapframe *tf);
void prepare_exit_to_user(struct trapframe *tf);
#define ERESTARTSYS 512 /* internal: restart the call unless a handler without SA_RESTART runs */

/* signal.c */
void send_signal(struct proc *p, int sig, const siginfo_t *info);
void force_signal(int sig, int code, u64 addr, struct trapframe *tf);
int signal_pgrp(int pgrp, int sig);
bool signal_pending(struct proc *p);
void deliver_signals(struct trapframe *tf);
void signals_exec_reset(struct proc *p);

/* ymir.c */
s64 sys_ymir_vmcall(u64 uregs);
s64 sys_ymir_map_counters(void);

/* power.c */
noreturn void power_off(int status);
noreturn void machine_halt(void);

#endif
