/*
 * execve of a static ELF64 x86-64 executable (ELF gABI; System V AMD64 psABI 3.4.1 for the
 * initial stack: argc, argv, envp, the auxiliary vector, then the strings). Everything that can
 * fail is done on a new address space before the old one is given up.
 */
#include "kernel.h"
#include "asm.h"

#define EI_NIDENT 16
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define ARG_MAX (128 * 1024)
#define MAX_ARGS 1024

typedef struct {
	u8 e_ident[EI_NIDENT];
	u16 e_type, e_machine;
	u32 e_version;
	u64 e_entry, e_phoff, e_shoff;
	u32 e_flags;
	u16 e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	u32 p_type, p_flags;
	u64 p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

/* The strings execve copies from the caller before it gives up the old address space. */
struct args {
	char *buf;
	u64 used;
	int argc, envc;
};

static int add_string(struct args *a, const char *s, bool from_user)
{
	s64 len;
	if (from_user) {
		len = strncpy_from_user(a->buf + a->used, s, ARG_MAX - a->used);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return (int)len;
	} else {
		len = (s64)strlen(s);
		if ((u64)len + 1 > ARG_MAX - a->used)
			return -E2BIG;
		memcpy(a->buf + a->used, s, (u64)len + 1);
	}
	a->used += (u64)len + 1;
	return 0;
}

static int copy_strings(struct args *a, char *const *vec, bool from_user, int *count)
{
	for (int i = 0; vec; i++) {
		if (i >= MAX_ARGS)
			return -E2BIG;
		char *s;
		if (from_user) {
			if (copy_from_user(&s, &vec[i], sizeof s))
				return -EFAULT;
		} else
			s = vec[i];
		if (!s)
			break;
		int err = add_string(a, s, from_user);
		if (err)
			return err;
		(*count)++;
	}
	return 0;
}

/* Write into another address space through the direct map, faulting its pages in. */
static int mm_write(struct mm *mm, u64 va, const void *src, u64 n)
{
	while (n) {
		u64 *pte = pte_lookup(mm->pml4, va, false);
		if ((!pte || !(*pte & PTE_P)) && handle_user_fault(mm, va, true, false))
			return -EFAULT;
		pte = pte_lookup(mm->pml4, va, false);
		u64 chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		memcpy((u8 *)phys_to_virt(*pte & PTE_ADDR) + (va & (PAGE_SIZE - 1)), src, chunk);
		va += chunk, src = (const u8 *)src + chunk, n -= chunk;
	}
	return 0;
}

static int check_elf(struct inode *ip, const Elf64_Ehdr **out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)ip->data;
	if (ip->size < sizeof *eh || memcmp(eh->e_ident, "\177ELF", 4) || eh->e_ident[4] != 2 /* ELFCLASS64 */ ||
	    eh->e_ident[5] != 1 /* little endian */ || eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > ip->size || eh->e_phnum > (ip->size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC)
		return -ENOEXEC; /* static, non-PIE executables only */
	*out = eh;
	return 0;
}

/* Map the PT_LOAD segments; returns the end of the highest one, or a negative errno. */
static s64 load_segments(struct mm *mm, struct inode *ip, const Elf64_Ehdr *eh, u64 *phdr_va)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(ip->data + eh->e_phoff);
	u64 end = 0;
	*phdr_va = 0;
	for (u16 i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP)
			return -ENOEXEC; /* a dynamic executable: there is no ld.so here */
		if (ph[i].p_type == PT_PHDR)
			*phdr_va = ph[i].p_vaddr;
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		const Elf64_Phdr *s = &ph[i];
		if (s->p_filesz > s->p_memsz || s->p_offset > ip->size || s->p_filesz > ip->size - s->p_offset ||
		    !access_ok(s->p_vaddr, s->p_memsz) || s->p_vaddr < PAGE_SIZE)
			return -ENOEXEC;
		u32 prot = (s->p_flags & PF_R ? PROT_READ : 0) | (s->p_flags & PF_W ? PROT_WRITE : 0) |
			   (s->p_flags & PF_X ? PROT_EXEC : 0);
		int err = mm_map_pages(mm, s->p_vaddr, s->p_memsz, prot);
		if (!err)
			err = mm_write(mm, s->p_vaddr, ip->data + s->p_offset, s->p_filesz);
		if (err)
			return err;
		if (!*phdr_va && s->p_offset <= eh->e_phoff && eh->e_phoff < s->p_offset + s->p_filesz)
			*phdr_va = s->p_vaddr + (eh->e_phoff - s->p_offset);
		end = MAX(end, s->p_vaddr + s->p_memsz);
	}
	return end ? (s64)end : -ENOEXEC;
}

/* The initial stack: strings at the top, then (16-byte aligned) argc, argv, envp, auxv. */
static s64 build_stack(struct mm *mm, struct args *a, const Elf64_Ehdr *eh, u64 phdr_va, const char *execfn, struct proc *p)
{
	int err = vma_insert(mm, USER_STACK_TOP - USER_STACK_MAX, USER_STACK_TOP, PROT_READ | PROT_WRITE, VMA_STACK);
	if (err)
		return err;
	u64 sp = USER_STACK_TOP;
	u64 fnlen = strlen(execfn) + 1;
	sp -= fnlen;
	u64 execfn_va = sp;
	sp -= a->used;
	u64 strings = sp;
	sp -= 16;
	u64 random_va = sp;
	sp -= 8;
	u64 platform_va = sp;
	u64 random[2] = { rdtsc() * 0x9e3779b97f4a7c15ULL, ktime_ns() ^ 0x5851f42d4c957f2dULL };
	if (mm_write(mm, execfn_va, execfn, fnlen) || mm_write(mm, strings, a->buf, a->used) ||
	    mm_write(mm, random_va, random, 16) || mm_write(mm, platform_va, "x86_64", 7))
		return -EFAULT;

	u64 auxv[][2] = {
		{ AT_PHDR, phdr_va },	  { AT_PHENT, sizeof(Elf64_Phdr) }, { AT_PHNUM, eh->e_phnum },
		{ AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 },		     { AT_FLAGS, 0 },
		{ AT_ENTRY, eh->e_entry }, { AT_UID, p->uid },		     { AT_EUID, p->euid },
		{ AT_GID, p->gid },	  { AT_EGID, p->egid },		     { AT_SECURE, 0 },
		{ AT_RANDOM, random_va }, { AT_HWCAP, cpuid(1, 0).edx },    { AT_CLKTCK, 100 },
		{ AT_PLATFORM, platform_va }, { AT_EXECFN, execfn_va },     { AT_NULL, 0 },
	};
	u64 words = 1 + (u64)a->argc + 1 + (u64)a->envc + 1 + 2 * ARRAY_SIZE(auxv);
	sp = ALIGN_DOWN(sp - words * 8, 16);
	u64 *table = kmalloc(words * 8);
	if (!table)
		return -ENOMEM;
	u64 w = 0, s = strings;
	table[w++] = (u64)a->argc;
	for (int i = 0; i < a->argc + a->envc; i++) {
		if (i == a->argc)
			table[w++] = 0;
		table[w++] = s;
		s += strlen(a->buf + (s - strings)) + 1;
	}
	table[w++] = 0;
	for (u64 i = 0; i < ARRAY_SIZE(auxv); i++)
		table[w++] = auxv[i][0], table[w++] = auxv[i][1];
	err = mm_write(mm, sp, table, words * 8);
	kfree(table);
	return err ? err : (s64)sp;
}

s64 do_execve(const char *path, char *const *argv, char *const *envp, bool from_user)
{
	struct proc *p = current_proc();
	char kpath[PATH_MAX];
	if (from_user) {
		s64 n = strncpy_from_user(kpath, path, sizeof kpath);
		if (n < 0)
			return n;
	} else
		strlcpy(kpath, path, sizeof kpath);
	struct inode *ip;
	int err = fs_lookup(p->cwd, kpath, true, &ip);
	if (err)
		return err;
	if (!S_ISREG(ip->mode) || !(ip->mode & 0111))
		return -EACCES;
	const Elf64_Ehdr *eh;
	if ((err = check_elf(ip, &eh)))
		return err;

	struct args a = { 0 };
	u64 argpages = page_alloc(ARG_MAX / PAGE_SIZE);
	if (!argpages)
		return -ENOMEM;
	a.buf = phys_to_virt(argpages);
	struct mm *mm = 0;
	s64 r = copy_strings(&a, argv, from_user, &a.argc);
	if (!r)
		r = copy_strings(&a, envp, from_user, &a.envc);
	if (!r && !(mm = mm_create()))
		r = -ENOMEM;
	u64 phdr_va = 0, sp = 0;
	if (!r)
		r = load_segments(mm, ip, eh, &phdr_va);
	if (r >= 0) {
		mm->brk_start = mm->brk = ALIGN_UP((u64)r, PAGE_SIZE);
		r = build_stack(mm, &a, eh, phdr_va, kpath, p);
		sp = (u64)r;
	}
	page_free(argpages, ARG_MAX / PAGE_SIZE);
	if (r < 0) {
		if (mm)
			mm_put(mm);
		return r;
	}

	/* The point of no return: the new image replaces the old one. */
	struct mm *old = p->mm;
	u64 f = irq_save();
	p->mm = mm;
	if (this_cpu()->current == p)
		mm_switch(mm);
	if (old)
		mm_put(old);
	release_vfork_parent(p);
	irq_restore(f);
	fd_close_on_exec(p);
	signals_exec_reset(p);
	const char *base = strrchr(kpath, '/');
	strlcpy(p->comm, base ? base + 1 : kpath, sizeof p->comm);
	p->fs_base = p->gs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	memset(p->tf, 0, sizeof *p->tf);
	p->tf->rip = eh->e_entry;
	p->tf->rsp = sp;
	p->tf->rflags = 0x202; /* IF */
	p->tf->cs = GDT_USER_CS;
	p->tf->ss = GDT_USER_DS;
	p->tf->vector = TRAP_SYSCALL;
	p->tf->error = (u64)-1; /* not a system call to restart */
	return 0;
}
