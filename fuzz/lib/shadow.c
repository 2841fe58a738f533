// SPDX-License-Identifier: MIT
/*
 * shadow.c - the generator's and decoder's belief about each window (shadow.h).
 */
#include <string.h>

#include "shadow.h"

/* the bits of pages [addr, addr + len) that fall inside the window */
static uint32_t range_bits(uint64_t addr, uint64_t len)
{
	uint32_t bits = 0;

	for (uint64_t a = addr; a < addr + len && a < SHADOW_BASE + SHADOW_PAGES; a++)
		if (a >= SHADOW_BASE)
			bits |= 1u << (a - SHADOW_BASE);
	return bits;
}

static void unmap(struct shadow_proc *sp, uint32_t bits)
{
	sp->mapped &= ~bits;
	sp->writable &= ~bits;
	sp->readable &= ~bits;
	sp->populated &= ~bits;
	sp->dontfork &= ~bits;
	sp->node1 &= ~bits;
	sp->shared &= ~bits;
}

static void map(struct shadow_proc *sp, uint32_t bits, int prot)
{
	unmap(sp, bits);
	sp->mapped |= bits;
	if (prot == MPROT_W || prot == MPROT_RW)
		sp->writable |= bits;
	if (prot != MPROT_NONE)
		sp->readable |= bits;
}

/* mprotect stops at the first hole, having changed what came before it */
static void protect(struct shadow_proc *sp, uint64_t addr, uint64_t len, int prot)
{
	for (uint64_t a = addr; a < addr + len; a++) {
		uint32_t bit = range_bits(a, 1);

		if (!bit || !(sp->mapped & bit))
			return;
		sp->writable &= ~bit;
		sp->readable &= ~bit;
		if (prot == MPROT_W || prot == MPROT_RW)
			sp->writable |= bit;
		if (prot != MPROT_NONE)
			sp->readable |= bit;
	}
}

/*
 * A move keeps each page's protection and contents; a grown tail takes the
 * first page's protection (a resize stays inside one VMA).  Overlapping
 * ranges and an unmapped source are errors that change nothing.
 */
static void remap(struct shadow_proc *sp, const struct mmt_op *op)
{
	uint32_t src = range_bits(op->addr, op->len), dst = range_bits(op->addr2, op->len2);
	struct shadow_proc old = *sp;
	uint64_t i;

	if (!op->len2 || !(sp->mapped & range_bits(op->addr, 1)))
		return;
	if (op->addr < op->addr2 + op->len2 && op->addr2 < op->addr + (op->len ? op->len : 1))
		return;
	if (op->len)
		unmap(sp, src);
	unmap(sp, dst);
	for (i = 0; i < op->len2; i++) {
		uint32_t from = range_bits(op->addr + (i < op->len ? i : 0), 1);
		uint32_t to = range_bits(op->addr2 + i, 1);

		if (!to)
			break;
		sp->mapped |= to;
		if (old.writable & from)
			sp->writable |= to;
		if (old.readable & from)
			sp->readable |= to;
		if (old.shared & from)
			sp->shared |= to;
		if (op->len && i < op->len && (old.populated & from))
			sp->populated |= to;
		if (op->len && i < op->len && (old.node1 & from))
			sp->node1 |= to;
	}
}

void shadow_apply(struct shadow *s, const struct mmt_op *op, int slot, int slot2)
{
	struct shadow_proc *sp = slot >= 0 && slot < SHADOW_PROCS ? &s->p[slot] : NULL;
	uint32_t bits;

	switch (op->code) {
	case OP_SPAWN:
	case OP_EXIT:
		if (sp)
			memset(sp, 0, sizeof(*sp));
		break;
	case OP_FORK:
		if (sp && slot2 >= 0 && slot2 < SHADOW_PROCS) {
			struct shadow_proc *c = &s->p[slot2];

			*c = *sp;
			c->pinned = 0;		/* pins are not inherited */
			unmap(c, sp->dontfork);
		}
		break;
	case OP_MMAP:
		if (sp && op->len) {
			map(sp, range_bits(op->addr, op->len), op->prot);
			if (op->mflags & MFL_SHARED)
				sp->shared |= range_bits(op->addr, op->len);
		}
		break;
	case OP_MUNMAP:
		if (sp && op->len)
			unmap(sp, range_bits(op->addr, op->len));
		break;
	case OP_MPROTECT:
		if (sp)
			protect(sp, op->addr, op->len, op->prot);
		break;
	case OP_MREMAP:
		if (sp)
			remap(sp, op);
		break;
	case OP_MADVISE:
		if (!sp)
			break;
		bits = range_bits(op->addr, op->len) & sp->mapped;
		if (op->advice == ADV_DONTNEED)
			sp->populated &= ~bits;
		else if (op->advice == ADV_DONTFORK)
			sp->dontfork |= bits;
		else if (op->advice == ADV_DOFORK)
			sp->dontfork &= ~bits;
		break;
	case OP_WRITE:
		if (!sp)
			break;
		bits = range_bits(op->addr, 1) & sp->writable;
		sp->node1 &= ~(bits & ~sp->populated);	/* a fresh page: the home node */
		sp->populated |= bits;
		break;
	case OP_UFFD_MOVE:
		/* what was written at the source is now at the destination */
		if (!sp)
			break;
		for (uint64_t i = 0; i < op->len && i < SHADOW_PAGES; i++) {
			uint32_t from = range_bits(op->addr2 + i, 1), to = range_bits(op->addr + i, 1);

			if (sp->populated & from) {
				sp->populated = (sp->populated & ~from) | (to & sp->mapped);
				sp->node1 &= ~(from | to);
			}
		}
		break;
	case OP_PIN:
		/* all or nothing: a range the shadow believes writable succeeds */
		if (!sp || !op->len)
			break;
		bits = range_bits(op->addr, op->len);
		if ((bits & sp->writable) != bits)
			break;
		sp->node1 &= ~(bits & ~sp->populated);
		sp->populated |= bits;
		sp->pinned |= bits;
		break;
	case OP_UNPIN:
		if (sp)
			sp->pinned &= ~range_bits(op->addr, op->len);
		break;
	case OP_REMAP_FILE_PAGES:
		/* a new VMA (no madvise flags), populated where it can be read */
		if (!sp)
			break;
		bits = range_bits(op->addr, op->len) & sp->mapped;
		sp->dontfork &= ~bits;
		sp->node1 &= ~bits;
		sp->populated |= bits & sp->readable;
		break;
	case OP_MIGRATE:
		if (!sp)
			break;
		bits = range_bits(op->addr, op->len ? op->len : 1) & sp->populated;
		if (op->node == 1)
			sp->node1 |= bits;
		else if (op->node == 0)
			sp->node1 &= ~bits;
		break;
	default:
		break;
	}
}

uint64_t shadow_pick(uint32_t set, unsigned v)
{
	int n = __builtin_popcount(set), k;

	if (!n)
		return 0;
	k = (int)(v % (unsigned)n);
	while (k--)
		set &= set - 1;
	return SHADOW_BASE + (uint64_t)__builtin_ctz(set);
}

uint64_t shadow_run(uint32_t set, uint64_t page, uint64_t max)
{
	uint64_t n = 0;

	while (n < max && range_bits(page + n, 1) & set)
		n++;
	return n;
}
