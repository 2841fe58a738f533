// SPDX-License-Identifier: MIT
/*
 * decode.c - fuzzer bytes to programs and back.  The layout is drawn in
 * decode.h.  The op-kind table is weighted toward the operations that make
 * state for the others to trip on (writes, reads, mmaps); every kind of op
 * is reachable from one byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/decode.h"
#include "mmt/program.h"
#include "shadow.h"

_Static_assert(MMT_DECODE_BASE == SHADOW_BASE && MMT_DECODE_WINDOW == SHADOW_PAGES &&
	       MMT_DECODE_PROCS <= SHADOW_PROCS, "the decoder's window is the shadow's");

/* mode bits: all three set = the address as written; anything else = aimed (7 in 8) */
#define ABS_BITS	0xe0

/* op kinds, indexed by the low 5 bits of a record's first byte */
enum {
	K_SWAP = NR_MMT_OPCODES,	/* swapon or swapoff, by a flag bit */
	K_DEVICE,	/* device_migrate, device_release or uffd_register, by byte 3 */
	K_KSM,				/* ksmd, ksm_run or ksm_merge_across_nodes */
	K_PIN,		/* pin, pin_write, unpin or pin_read, by byte 3 */
};

static const uint8_t kind_table[32] = {
	OP_READ, OP_READ, OP_READ, OP_READ, K_PIN, K_DEVICE, K_KSM,
	OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE,
	OP_MMAP, OP_MMAP, OP_MMAP, OP_MMAP,
	OP_MUNMAP,
	OP_MPROTECT, OP_MPROTECT,
	OP_MREMAP,
	OP_MADVISE, OP_MADVISE, OP_MADVISE,
	OP_FORK, OP_FORK,
	OP_EXIT,
	OP_SPAWN,
	OP_MIGRATE, OP_MIGRATE,
	OP_RECLAIM,
	K_SWAP,
};

static const uint32_t frames_table[4] = { 16, 32, 64, 256 };
static const uint64_t swap_table[4] = { 0, 16, 64, 128 };
static const uint8_t prot_table[4] = { MPROT_NONE, MPROT_R, MPROT_RW, MPROT_W };
static const uint8_t flags_table[8] = {
	MFL_PRIVATE | MFL_ANON, MFL_PRIVATE | MFL_ANON, MFL_PRIVATE | MFL_ANON,
	MFL_PRIVATE | MFL_ANON, MFL_SHARED | MFL_ANON, MFL_PRIVATE, MFL_SHARED,
	MFL_PRIVATE | MFL_ANON,
};
/* the last entry is not an advice: that madvise slot is the split op */
#define ADVICE_SPLIT	15
static const uint8_t advice_table[16] = {
	ADV_DONTNEED, ADV_PAGEOUT, ADV_COLD, ADV_DONTFORK, ADV_DOFORK, ADV_MERGEABLE,
	ADV_UNMERGEABLE, ADV_WIPEONFORK, ADV_KEEPONFORK, ADV_WILLNEED, ADV_NORMAL,
	ADV_HUGEPAGE, ADV_NOHUGEPAGE, ADV_DONTNEED, ADV_PAGEOUT, ADV_COLD,
};
static const uint64_t swapon_slots[2] = { 16, 64 };
/* byte 3 bits 0-1 of a device record: migrate twice as often as the others */
static const uint8_t device_table[4] = {
	OP_DEVICE_MIGRATE, OP_DEVICE_MIGRATE, OP_DEVICE_RELEASE, OP_UFFD_REGISTER,
};

/* byte 3 bits 0-2 of a pin record: pins first, an access needs one */
static const uint8_t pin_table[8] = {
	OP_PIN, OP_PIN, OP_PIN, OP_PIN_WRITE, OP_PIN_WRITE, OP_UNPIN, OP_PIN_READ, OP_PIN,
};

/*
 * The device's frames: the default (16), or with bit 7 of byte 1 none at
 * all, so that every migration to the device fails and migrate_vma's
 * restore paths run.
 */
#define DECODE_SMALL_DEVICE	0x80	/* "small": no memory at all */

/*
 * Every decoded world enables anon mTHP of orders 1 and 2 (thp=0x6): it
 * changes nothing until a madvise record says hugepage.  A program with
 * thp=0 encodes too, and decodes with the knob on.
 */
#define DECODE_THP_ORDERS	0x6
/*
 * A PMD world (byte 1's count above MMT_DECODE_MAX_OPS) adds the PMD-sized
 * THP with every order "always" (thp=0x26 thpalways=1) and moves the
 * window to the aligned 0x20..0x3f that one pmd maps; its VMA ops (mmap,
 * munmap, mprotect, madvise, mremap) take their length from
 * pmd_len_table, so that one mmap or madvise can cover the window and
 * another a part of it.
 */
#define DECODE_PMD_THP		(DECODE_THP_ORDERS | 0x20)
#define DECODE_PMD_SHIFT	(MMT_DECODE_PMD_BASE - MMT_DECODE_BASE)
static const uint64_t pmd_len_table[8] = { 1, 2, 4, 8, 12, 16, 24, 32 };
/*
 * A PMD world's twin: the aligned pmd right after the window (0x40..0x5f
 * once shifted), where an mremap or UFFDIO_MOVE record can take the whole
 * window's pmd, and from where it can bring it back, so that random bytes
 * move huge pmds whole (move_huge_pmd, move_pages_huge_pmd).  The shadow
 * does not follow it there: the twin is outside the window.
 */
#define DECODE_TWIN		(MMT_DECODE_BASE + MMT_DECODE_WINDOW)
#define MREMAP_TWIN		0x40	/* byte 2 of an mremap record: half of them */
#define UFFD_MOVE_TWIN		0x08	/* byte 3 of a uffd_move record: half of them */

static uint32_t decode_device_frames(bool small)
{
	return small ? 0 : 16;
}

struct decoder {
	bool pmd;				/* a PMD world: see DECODE_PMD_THP */
	bool live[MMT_DECODE_PROCS];
	bool swap_live[MMT_DECODE_SWAP_IDS];	/* swap ids believed on */
	int nodes;
	struct shadow sh;			/* what each process has mapped (shadow.h) */
	/* the same of a PMD world's twin, which the shadow does not cover */
	struct shadow_proc twin[MMT_DECODE_PROCS];
};

/* the nearest id at or after @want (cyclically) that is (not) on, or -1 */
static int swap_id(const struct decoder *d, int want, bool on)
{
	for (int i = 0; i < MMT_DECODE_SWAP_IDS; i++) {
		int id = (want + i) % MMT_DECODE_SWAP_IDS;

		if (d->swap_live[id] == on)
			return id;
	}
	return -1;
}

/* the live process nearest to @want (cyclically), or -1 */
static int live_proc(const struct decoder *d, int want)
{
	for (int i = 0; i < MMT_DECODE_PROCS; i++) {
		int p = (want + i) % MMT_DECODE_PROCS;

		if (d->live[p])
			return p;
	}
	return -1;
}

static int free_proc(const struct decoder *d, int want)
{
	for (int i = 0; i < MMT_DECODE_PROCS; i++) {
		int p = (want + i) % MMT_DECODE_PROCS;

		if (!d->live[p])
			return p;
	}
	return -1;
}

/* @len clipped to the run of @set that starts at @addr (left alone outside one) */
static uint64_t clip(uint32_t set, uint64_t addr, uint64_t len)
{
	uint64_t run = shadow_run(set, addr, 8);

	return run ? 1 + (len - 1) % run : len;
}

/*
 * A PMD world's VMA-op length: the longest of pmd_len_table not past @len
 * nor past the run of @set at @addr (left alone outside one)
 */
static uint64_t pmd_fit(uint32_t set, uint64_t addr, uint64_t len)
{
	uint64_t run = shadow_run(set, addr, MMT_DECODE_WINDOW);
	int k = 7;

	if (!run)
		return len;
	while (k > 0 && (pmd_len_table[k] > len || pmd_len_table[k] > run))
		k--;
	return pmd_len_table[k];
}

/* the first page of the run of @set that holds @addr (@addr outside one) */
static uint64_t run_start(uint32_t set, uint64_t addr)
{
	while (addr > MMT_DECODE_BASE && shadow_run(set, addr - 1, 1))
		addr--;
	return addr;
}

/*
 * Aim @op at @set: its address becomes the (@v mod |set|)-th page of @set,
 * and (@len given) its length stays inside that page's run.  An empty @set
 * leaves the address as written, a hole or a fault, as it should be.
 */
static void aim(struct mmt_op *op, uint32_t set, unsigned v, uint64_t *len)
{
	if (!set)
		return;
	op->addr = shadow_pick(set, v);
	if (len)
		*len = clip(set, op->addr, *len);
}

/* aim a VMA op (mmap, munmap, mprotect, mremap), its length fitted to the world */
static void aim_vma(const struct decoder *d, struct mmt_op *op, uint32_t set, unsigned v)
{
	if (!d->pmd) {
		aim(op, set, v, &op->len);
		return;
	}
	aim(op, set, v, NULL);
	if (set)
		op->len = pmd_fit(set, op->addr, op->len);
}

static void decode_one(struct decoder *d, const uint8_t r[4], int ntasks, struct mmt_op *op)
{
	int kind = kind_table[r[0] & 31];
	int want = r[1] & 3, proc;
	struct shadow_proc *sp;
	bool twin;
	/* the VMA ops' length: 1..8, or pmd_len_table's in a PMD world */
	uint64_t vlen = d->pmd ? pmd_len_table[r[2] & 7] : 1 + (uint64_t)(r[2] & 7);

	memset(op, 0, sizeof(*op));
	op->expect = -1;
	op->task = (uint8_t)((r[0] >> 5) % ntasks);
	op->addr = MMT_DECODE_BASE + ((r[1] >> 2) & 31);
	op->len = 1 + (r[2] & 7);

	if (kind == K_SWAP) {
		/*
		 * swapon takes the first id not on (from r[3]'s), swapoff the
		 * first id on: repeating one swapon record turns on that many
		 * devices, as swapon-type-overlap needs (27 of them).
		 */
		int want_id = r[3] & (MMT_DECODE_SWAP_IDS - 1), id;

		op->code = (r[2] & 0x80) ? OP_SWAPOFF : OP_SWAPON;
		id = swap_id(d, want_id, op->code == OP_SWAPOFF);
		op->addr = id < 0 ? (uint64_t)want_id : (uint64_t)id;
		if (id >= 0)
			d->swap_live[id] = op->code == OP_SWAPON;
		op->len = op->code == OP_SWAPON ? swapon_slots[(r[3] >> 5) & 1] : 0;
		return;
	}
	if (kind == OP_RECLAIM) {
		/*
		 * the reclaim slot: the idle page tracker when byte 2's top bit
		 * is set, else a khugepaged pass of 16 to 512 ptes with bit 6
		 */
		op->code = (r[2] & 0x80) ? OP_PAGE_IDLE : (r[2] & 0x40) ? OP_KHUGEPAGED : OP_RECLAIM;
		op->addr = 1 + (r[3] & 31);
		if (op->code == OP_KHUGEPAGED)
			op->addr *= 16;
		op->len = 0;
		return;
	}
	if (kind == K_KSM) {
		/* mostly ksmd passes: merging takes two, unmerging and knobs one */
		switch (r[2] & 3) {
		case 0:
		case 1:
			op->code = OP_KSMD;
			op->addr = 1 + (r[3] & 63);
			break;
		case 2:
			op->code = OP_KSM_RUN;
			op->addr = (r[3] & 3) == 3 ? 1 : r[3] & 3;
			break;
		default:
			op->code = OP_KSM_MERGE_ACROSS_NODES;
			op->addr = r[3] & 1;
			break;
		}
		op->len = 0;
		return;
	}

	proc = live_proc(d, want);
	if (kind == OP_SPAWN || proc < 0) {
		int p = free_proc(d, kind == OP_SPAWN ? want : want);

		if (p < 0) {
			/* every name is taken: read instead */
			op->code = OP_READ;
			op->proc = (uint8_t)live_proc(d, want);
			return;
		}
		op->code = OP_SPAWN;
		op->proc = (uint8_t)p;
		d->live[p] = true;
		return;
	}
	op->proc = (uint8_t)proc;
	if (kind == K_DEVICE)
		kind = device_table[r[3] & 3];
	/* the uffd slot: UFFDIO_MOVE when byte 1's top bit is set */
	if (kind == OP_UFFD_REGISTER && (r[1] & 0x80))
		kind = OP_UFFD_MOVE;
	if (kind == K_PIN)
		kind = pin_table[r[3] & 7];
	/* the mremap slot: remap_file_pages when byte 1's top bit is set */
	if (kind == OP_MREMAP && (r[1] & 0x80))
		kind = OP_REMAP_FILE_PAGES;
	/* the madvise slot's last advice: split (debugfs split_huge_pages) */
	if (kind == OP_MADVISE && (r[3] & 15) == ADVICE_SPLIT)
		kind = OP_SPLIT;
	op->code = (uint8_t)kind;
	sp = &d->sh.p[proc];
	twin = d->pmd && ((kind == OP_MREMAP && (r[2] & MREMAP_TWIN)) ||
			  (kind == OP_UFFD_MOVE && (r[3] & UFFD_MOVE_TWIN)));
	if (twin) {
		/*
		 * the window's whole pmd to the twin, or back: the first
		 * address (mremap's source, uffd_move's destination) is the
		 * twin with byte 3 bit 0 (mremap) or byte 2 bit 0 (uffd_move);
		 * uffd_move's byte 3 bit 2 is "holes" as ever
		 */
		bool flip = kind == OP_MREMAP ? r[3] & 1 : r[2] & 1;

		op->addr = flip ? DECODE_TWIN : MMT_DECODE_BASE;
		op->addr2 = flip ? MMT_DECODE_BASE : DECODE_TWIN;
		op->len = MMT_DECODE_WINDOW;
		if (kind == OP_MREMAP)
			op->len2 = MMT_DECODE_WINDOW;
		else
			op->all = (r[3] & 4) != 0;
		return;
	}
	if (!sp->mapped && kind != OP_MMAP &&
	    ((kind >= OP_MUNMAP && kind <= OP_MIGRATE) || kind == OP_REMAP_FILE_PAGES ||
	     kind == OP_SPLIT) &&
	    (r[3] & ABS_BITS) != ABS_BITS && (r[2] & ABS_BITS) != ABS_BITS) {
		/*
		 * an aimed op of a process with nothing mapped: map something
		 * first; in a PMD world the whole window, its one PMD
		 */
		op->code = OP_MMAP;
		if (d->pmd) {
			op->addr = MMT_DECODE_BASE;
			op->len = MMT_DECODE_WINDOW;
		}
		op->prot = MPROT_RW;
		op->mflags = flags_table[r[3] & 7];
		return;
	}
	switch (kind) {
	case OP_READ:
		if ((r[2] & ABS_BITS) != ABS_BITS)
			aim(op, sp->readable, r[1] >> 2 | (unsigned)r[2] << 5, NULL);
		break;
	case OP_WRITE:
		op->value = r[3];
		if ((r[2] & ABS_BITS) != ABS_BITS)
			aim(op, sp->writable, r[1] >> 2 | (unsigned)r[2] << 5, NULL);
		break;
	case OP_MMAP:
		op->len = vlen;
		op->prot = prot_table[(r[2] >> 3) & 3];
		op->mflags = flags_table[(r[2] >> 5) & 7];
		if ((r[3] & ABS_BITS) != ABS_BITS)
			aim_vma(d, op, ~sp->mapped, r[1] >> 2 | (unsigned)r[3] << 5);
		break;
	case OP_MUNMAP:
	case OP_MPROTECT:
		op->len = vlen;
		if (kind == OP_MPROTECT)
			op->prot = prot_table[(r[2] >> 3) & 3];
		if ((r[3] & ABS_BITS) != ABS_BITS)
			aim_vma(d, op, sp->mapped, r[1] >> 2 | (unsigned)r[3] << 5);
		break;
	case OP_REMAP_FILE_PAGES:
		/*
		 * byte 2 bits 3-5: v; bit 6 clear: PGOFF = ADDR + v - 4 (the
		 * memfd's linear offset is the address: v = 4 maps it back),
		 * set: PGOFF = v (an offset in a small shmem object)
		 */
		if ((r[3] & ABS_BITS) != ABS_BITS) {
			if (!sp->shared) {
				/* nothing shared to remap: map some first (the memfd or shmem) */
				op->code = OP_MMAP;
				op->len = vlen;
				op->prot = MPROT_RW;
				op->mflags = (r[2] & 0x40) ? MFL_SHARED | MFL_ANON : MFL_SHARED;
				break;
			}
			aim(op, sp->shared, r[1] >> 2 | (unsigned)r[3] << 5, &op->len);
		}
		op->addr2 = (r[2] & 0x40) ? (uint64_t)((r[2] >> 3) & 7)
					  : op->addr + ((r[2] >> 3) & 7) - 4;
		break;
	case OP_MREMAP:
		op->addr2 = MMT_DECODE_BASE + (r[3] & 31);
		op->len = vlen;
		op->len2 = d->pmd ? pmd_len_table[(r[2] >> 3) & 7] : 1 + (uint64_t)((r[2] >> 3) & 7);
		if ((r[3] & ABS_BITS) != ABS_BITS)
			aim_vma(d, op, sp->mapped, r[1] >> 2);
		break;
	case OP_MADVISE:
		op->advice = advice_table[r[3] & 15];
		if ((r[3] & ABS_BITS) != ABS_BITS) {
			bool pages = op->advice == ADV_DONTNEED || op->advice == ADV_PAGEOUT ||
				     op->advice == ADV_COLD;
			uint32_t set = pages && sp->populated ? sp->populated : sp->mapped;

			/* hugepage matters where no page is yet: the next fault makes an mTHP */
			if (op->advice == ADV_HUGEPAGE && (sp->mapped & ~sp->populated))
				set = sp->mapped & ~sp->populated;
			aim(op, set, r[1] >> 2 | (unsigned)(r[3] & 0x10) << 1, NULL);
			/*
			 * in a PMD world, hugepage advice covers the aimed page's
			 * whole mapped run (as far as pmd_len_table reaches), as a
			 * program madvises its whole buffer: a run of the window
			 * can then get a PMD THP
			 */
			if (d->pmd && op->advice == ADV_HUGEPAGE && shadow_run(sp->mapped, op->addr, 1)) {
				op->addr = run_start(sp->mapped, op->addr);
				vlen = MMT_DECODE_WINDOW;
			}
			op->len = d->pmd ? pmd_fit(sp->mapped, op->addr, vlen)
					 : clip(sp->mapped, op->addr, op->len);
		} else {
			op->len = vlen;
		}
		break;
	case OP_SPLIT:
		/* where large folios may be: written pages (of a madvised range) */
		if ((r[3] & ABS_BITS) != ABS_BITS) {
			aim(op, sp->populated ? sp->populated : sp->mapped,
			    r[1] >> 2 | (unsigned)(r[3] & 0x10) << 1, NULL);
			op->len = clip(sp->mapped, op->addr, op->len);
		}
		break;
	case OP_FORK: {
		int child = free_proc(d, r[3] & 3);

		if (child < 0) {
			op->code = OP_WRITE;	/* no free name: write instead */
			op->value = r[3];
			break;
		}
		op->proc2 = (uint8_t)child;
		d->live[child] = true;
		break;
	}
	case OP_EXIT:
		d->live[proc] = false;
		break;
	case OP_UFFD_REGISTER:
		/*
		 * in a PMD world a VMA op: its length from pmd_len_table, and
		 * aimed, the aimed page's whole mapped run, so that a whole
		 * window can take a pmd moved back from the twin
		 */
		if (d->pmd) {
			op->len = vlen;
			if ((r[3] & ABS_BITS) != ABS_BITS && sp->mapped) {
				aim(op, sp->mapped, r[1] >> 2 | (unsigned)(r[3] & 0x1c) << 3, NULL);
				op->addr = run_start(sp->mapped, op->addr);
				op->len = pmd_fit(sp->mapped, op->addr, MMT_DECODE_WINDOW);
			}
			break;
		}
		/* fall through */
	case OP_DEVICE_MIGRATE:
	case OP_DEVICE_RELEASE:
		if ((r[3] & ABS_BITS) != ABS_BITS) {
			aim(op, kind == OP_DEVICE_MIGRATE && sp->populated ? sp->populated : sp->mapped,
			    r[1] >> 2 | (unsigned)(r[3] & 0x1c) << 3, NULL);
			op->len = clip(sp->mapped, op->addr, op->len);
		}
		break;
	case OP_UFFD_MOVE:
		/* byte 2: length (bits 0-2), source (3-7); byte 3 bit 2: holes */
		op->addr2 = MMT_DECODE_BASE + (r[2] >> 3);
		op->all = (r[3] & 4) != 0;
		if ((r[3] & ABS_BITS) != ABS_BITS) {
			/* written pages into mapped, empty ones */
			aim(op, sp->mapped & ~sp->populated, r[1] >> 2, NULL);
			if (sp->populated) {
				op->addr2 = shadow_pick(sp->populated, r[2] >> 3);
				op->len = clip(sp->populated, op->addr2, op->len);
			}
		}
		break;
	case OP_PIN:
	case OP_UNPIN:
	case OP_PIN_WRITE:
	case OP_PIN_READ:
		/* a pin on writable pages, the rest at what this process pinned */
		op->len = kind == OP_PIN || kind == OP_UNPIN ? 1 + (r[2] & 1) : 0;
		if (kind == OP_PIN_WRITE)
			op->value = r[3] >> 3;
		if ((r[2] & ABS_BITS) != ABS_BITS) {
			aim(op, kind == OP_PIN ? sp->writable : sp->pinned, r[1] >> 2 | (unsigned)(r[2] & 0x18) << 2,
			    NULL);
			if (op->len)
				op->len = clip(kind == OP_PIN ? sp->writable : sp->pinned, op->addr,
					       op->len);
		}
		break;
	case OP_MIGRATE:
		op->node = r[3] & 1;
		op->all = (r[1] & 0x80) != 0;
		if ((r[3] & ABS_BITS) != ABS_BITS) {
			aim(op, sp->populated ? sp->populated : sp->mapped, r[1] >> 2 | (unsigned)(r[3] & 0x1e) << 4, NULL);
			op->len = clip(sp->mapped, op->addr, op->len);
			/* to the node the page is not on (home node 0 unless moved) */
			if (d->nodes > 1 && !(r[3] & 0x10))
				op->node = (sp->node1 >> (op->addr - MMT_DECODE_BASE)) & 1 ? 0 : 1;
		}
		break;
	}
}

/*
 * A PMD world's op moved from the decoder's window (the shadow's, at
 * MMT_DECODE_BASE) to the aligned one at MMT_DECODE_PMD_BASE: its pages,
 * and the linear pgoff of remap_file_pages, which is an address too
 */
static void pmd_shift(struct mmt_op *op, const uint8_t r[4])
{
	switch (op->code) {
	case OP_MREMAP:
	case OP_UFFD_MOVE:
		op->addr2 += DECODE_PMD_SHIFT;
		/* fall through */
	case OP_READ:
	case OP_WRITE:
	case OP_MMAP:
	case OP_MUNMAP:
	case OP_MPROTECT:
	case OP_MADVISE:
	case OP_SPLIT:
	case OP_MIGRATE:
	case OP_DEVICE_MIGRATE:
	case OP_DEVICE_RELEASE:
	case OP_UFFD_REGISTER:
	case OP_PIN:
	case OP_UNPIN:
	case OP_PIN_WRITE:
	case OP_PIN_READ:
		op->addr += DECODE_PMD_SHIFT;
		break;
	case OP_REMAP_FILE_PAGES:
		op->addr += DECODE_PMD_SHIFT;
		if (!(r[2] & 0x40))
			op->addr2 += DECODE_PMD_SHIFT;
		break;
	default:
		break;
	}
}

/*
 * What @op (not yet shifted) did to the twin's beliefs, and to the
 * window's where the shadow cannot tell: a pmd moved from the twin takes
 * what the decoder believed of it along.  @before is the window's shadow
 * before the op.
 */
static void twin_apply(struct decoder *d, const struct mmt_op *op, const struct shadow_proc *before)
{
	struct shadow_proc *w, *t;

	switch (op->code) {
	case OP_SPAWN:
	case OP_EXIT:
		memset(&d->twin[op->proc], 0, sizeof(d->twin[0]));
		return;
	case OP_FORK:
		d->twin[op->proc2] = d->twin[op->proc];
		d->twin[op->proc2].pinned = 0;
		return;
	case OP_MREMAP:
	case OP_UFFD_MOVE:
		if (op->addr == DECODE_TWIN || op->addr2 == DECODE_TWIN)
			break;
		/* fall through */
	default:
		return;
	}
	w = &d->sh.p[op->proc];
	t = &d->twin[op->proc];
	if (op->code == OP_MREMAP && op->addr == MMT_DECODE_BASE) {
		if (before->mapped)
			*t = *before;		/* the window went there whole */
	} else if (op->code == OP_MREMAP) {
		if (t->mapped) {
			*w = *t;		/* and came back */
			memset(t, 0, sizeof(*t));
		}
	} else if (op->addr == DECODE_TWIN) {
		t->populated |= before->populated & t->mapped;	/* uffd_move out */
	} else {
		w->populated |= t->populated & w->mapped;	/* uffd_move back */
		t->populated = 0;
	}
}

/* one record, and what it does to the decoder's beliefs */
static void decode_record(struct decoder *d, const uint8_t r[4], int ntasks, struct mmt_op *op)
{
	struct shadow_proc before;

	decode_one(d, r, ntasks, op);
	if (d->pmd)
		before = d->sh.p[op->proc < MMT_DECODE_PROCS ? op->proc : 0];
	shadow_apply(&d->sh, op, op->code == OP_SWAPON || op->code == OP_SWAPOFF ||
				 op->code == OP_RECLAIM || op->code == OP_PAGE_IDLE ||
				 op->code == OP_KHUGEPAGED ? -1 : op->proc,
		     op->code == OP_FORK ? op->proc2 : -1);
	if (d->pmd) {
		twin_apply(d, op, &before);
		pmd_shift(op, r);
	}
}

/* clear the fields an op's text does not carry, as the reader leaves them */
static void normalize(struct mmt_op *op)
{
	struct mmt_op o = *op;

	memset(op, 0, sizeof(*op));
	op->code = o.code;
	op->task = o.task;
	op->expect = -1;
	switch (o.code) {
	case OP_SPAWN:
	case OP_EXIT:
		op->proc = o.proc;
		break;
	case OP_FORK:
		op->proc = o.proc;
		op->proc2 = o.proc2;
		break;
	case OP_WRITE:
		op->value = o.value;
		/* fall through */
	case OP_READ:
		op->proc = o.proc;
		op->addr = o.addr;
		break;
	case OP_MMAP:
		op->mflags = o.mflags;
		/* fall through */
	case OP_MPROTECT:
		op->prot = o.prot;
		/* fall through */
	case OP_MUNMAP:
	case OP_DEVICE_MIGRATE:
	case OP_DEVICE_RELEASE:
	case OP_UFFD_REGISTER:
	case OP_PIN:
	case OP_UNPIN:
	case OP_SPLIT:
		op->proc = o.proc;
		op->addr = o.addr;
		op->len = o.len;
		break;
	case OP_PIN_WRITE:
		op->value = o.value;
		/* fall through */
	case OP_PIN_READ:
		op->proc = o.proc;
		op->addr = o.addr;
		break;
	case OP_MREMAP:
		op->proc = o.proc;
		op->addr = o.addr;
		op->len = o.len;
		op->addr2 = o.addr2;
		op->len2 = o.len2;
		break;
	case OP_UFFD_MOVE:
		op->proc = o.proc;
		op->addr = o.addr;
		op->addr2 = o.addr2;
		op->len = o.len;
		op->all = o.all;
		break;
	case OP_REMAP_FILE_PAGES:
		op->proc = o.proc;
		op->addr = o.addr;
		op->len = o.len;
		op->addr2 = o.addr2;
		break;
	case OP_MADVISE:
		op->proc = o.proc;
		op->addr = o.addr;
		op->len = o.len;
		op->advice = o.advice;
		break;
	case OP_MIGRATE:
		op->proc = o.proc;
		op->addr = o.addr;
		op->len = o.len;
		op->node = o.node;
		op->all = o.all;
		break;
	case OP_SWAPON:
		op->len = o.len;
		/* fall through */
	case OP_SWAPOFF:
	case OP_RECLAIM:
	case OP_PAGE_IDLE:
	case OP_KHUGEPAGED:
	case OP_KSMD:
	case OP_KSM_RUN:
	case OP_KSM_MERGE_ACROSS_NODES:
		op->addr = o.addr;
		break;
	default:
		*op = o;
		break;
	}
}

/* ---------------------------------------------------- schedule tail */

struct sw {
	unsigned at;
	unsigned order;		/* place in the tail: the later of two at one point wins */
	uint8_t task;
};

static int sw_cmp(const void *a, const void *b)
{
	const struct sw *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Switch records are sorted by decision point, so where a record sits in
 * the tail does not matter and editing one moves one switch: the others
 * keep their absolute positions, as PCT's change points do.
 */
static int decode_schedule(const uint8_t *t, size_t size, int ntasks, struct mmt_program *p)
{
	struct sw sw[MMT_DECODE_MAX_SWITCHES];
	size_t n = size / MMT_DECODE_SWITCH, len, j = 0;
	uint8_t cur = 0;

	if (n > MMT_DECODE_MAX_SWITCHES)
		n = MMT_DECODE_MAX_SWITCHES;
	for (size_t i = 0; i < n; i++) {
		sw[i].at = mmt_switch_at(t + i * MMT_DECODE_SWITCH);
		sw[i].task = (uint8_t)mmt_switch_task(t + i * MMT_DECODE_SWITCH, ntasks);
		sw[i].order = (unsigned)i;
	}
	qsort(sw, n, sizeof(sw[0]), sw_cmp);
	len = sw[n - 1].at + 1;
	p->schedule = malloc(len);
	if (!p->schedule)
		return -ENOMEM;
	for (size_t k = 0; k < len; k++) {
		while (j < n && sw[j].at == k)
			cur = sw[j++].task;
		p->schedule[k] = cur;
	}
	p->nr_schedule = len;
	p->has_schedule = true;
	return 0;
}

int mmt_decode(const uint8_t *data, size_t size, struct mmt_program *p,
	       const struct mmt_decode_opts *o)
{
	struct decoder d;
	uint8_t w = size > 0 ? data[0] : 0;
	size_t nops = size > 1 ? data[1] & ~DECODE_SMALL_DEVICE : 0, pos = 2;
	/* a count past the most ops there can be: a PMD world of count - 64 ops */
	bool pmd = nops > MMT_DECODE_MAX_OPS;
	bool small_device = size > 1 && (data[1] & DECODE_SMALL_DEVICE);
	int ntasks = 1 + ((w >> 5) & 7);
	int max_tasks = o && o->max_tasks > 0 ? o->max_tasks : 1;
	char name[8];

	memset(&d, 0, sizeof(d));
	mmt_program_init(p);
	if (max_tasks > MMT_MAX_TASKS)
		max_tasks = MMT_MAX_TASKS;
	if (ntasks > max_tasks)
		ntasks = max_tasks;
	p->world.present = true;
	p->world.nodes = 1 + (w & 1);
	d.nodes = p->world.nodes;
	p->world.frames = frames_table[(w >> 1) & 3];
	p->world.swap = swap_table[(w >> 3) & 3];
	p->world.device = decode_device_frames(small_device);
	p->world.thp = pmd ? DECODE_PMD_THP : DECODE_THP_ORDERS;
	p->world.thp_always = pmd;
	d.pmd = pmd;
	if (pmd)
		nops -= MMT_DECODE_MAX_OPS;
	d.swap_live[0] = p->world.swap > 0;	/* the world's device is id 0 */
	for (int i = 0; i < MMT_DECODE_PROCS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		if (mmt_program_name(p, name) != i)
			return -ENOMEM;
	}
	if (nops > MMT_DECODE_MAX_OPS)
		nops = MMT_DECODE_MAX_OPS;
	for (size_t i = 0; i < nops && pos + MMT_DECODE_RECORD <= size; i++) {
		struct mmt_op op;

		decode_record(&d, data + pos, ntasks, &op);
		normalize(&op);
		pos += MMT_DECODE_RECORD;
		if (mmt_program_add(p, &op))
			return -ENOMEM;
	}
	if (ntasks > 1 && pos + MMT_DECODE_SWITCH <= size)
		return decode_schedule(data + pos, size - pos, ntasks, p);
	return 0;
}

/* ------------------------------------------------------------ encode */

static int index_of(const uint64_t *t, int n, uint64_t v)
{
	for (int i = 0; i < n; i++)
		if (t[i] == v)
			return i;
	return -1;
}

static int index_of8(const uint8_t *t, int n, uint8_t v)
{
	for (int i = 0; i < n; i++)
		if (t[i] == v)
			return i;
	return -1;
}

static int kind_byte(int code)
{
	for (int i = 0; i < 32; i++)
		if (kind_table[i] == code)
			return i;
	return -1;
}

#define FAIL(...) do { snprintf(why, whylen, __VA_ARGS__); goto fail; } while (0)

/*
 * @op of a PMD world as the decoder's record sees it (pmd_shift undone):
 * pages in the shadow's window, the VMA ops' lengths in units of
 * DECODE_PMD_UNIT.  -1 with a reason when it has no such form.
 */
static int pmd_unshift(const struct mmt_op *op, struct mmt_op *e, size_t i, char *why,
		       size_t whylen)
{
	uint8_t r[4] = { 0, 0, 0, 0 };
	bool vma_op = op->code == OP_MMAP || op->code == OP_MUNMAP || op->code == OP_MPROTECT ||
		      op->code == OP_MADVISE || op->code == OP_MREMAP || op->code == OP_UFFD_REGISTER;

	*e = *op;
	/* remap_file_pages: its pgoff moves with the window when it is the linear one */
	if (op->code == OP_REMAP_FILE_PAGES && !(op->addr2 + 4 >= op->addr &&
						  op->addr2 + 4 - op->addr < 8))
		r[2] = 0x40;
	pmd_shift(e, r);
	e->addr = op->addr - (e->addr - op->addr);
	e->addr2 = op->addr2 - (e->addr2 - op->addr2);
	if (e->addr != op->addr && (op->addr < MMT_DECODE_PMD_BASE ||
				     op->addr >= MMT_DECODE_PMD_BASE + MMT_DECODE_WINDOW)) {
		snprintf(why, whylen, "op %zu: address %#llx outside the PMD window %#x..%#x", i,
			 (unsigned long long)op->addr, MMT_DECODE_PMD_BASE,
			 MMT_DECODE_PMD_BASE + MMT_DECODE_WINDOW - 1);
		return -1;
	}
	if (vma_op) {
		int k = index_of(pmd_len_table, 8, op->len);
		int k2 = op->code == OP_MREMAP ? index_of(pmd_len_table, 8, op->len2) : 0;

		if (k < 0 || k2 < 0) {
			snprintf(why, whylen, "op %zu: %s length %llu, a PMD world's are 1, 2, 4, 8, "
				 "12, 16, 24 and 32", i, mmt_opcode_name(op->code),
				 (unsigned long long)(k < 0 ? op->len : op->len2));
			return -1;
		}
		/* the record's bits, as 1..8 */
		e->len = (uint64_t)k + 1;
		if (op->code == OP_MREMAP)
			e->len2 = (uint64_t)k2 + 1;
	}
	return 0;
}

/* @op, of a PMD world, moves the window's whole pmd to its twin or back */
static bool is_twin_move(const struct mmt_op *op)
{
	uint64_t twin = DECODE_TWIN + DECODE_PMD_SHIFT;

	if (op->code != OP_MREMAP && op->code != OP_UFFD_MOVE)
		return false;
	if (op->len != MMT_DECODE_WINDOW || (op->code == OP_MREMAP && op->len2 != MMT_DECODE_WINDOW))
		return false;
	return (op->addr == MMT_DECODE_PMD_BASE && op->addr2 == twin) ||
	       (op->addr == twin && op->addr2 == MMT_DECODE_PMD_BASE);
}

int mmt_encode(const struct mmt_program *p, uint8_t **out, size_t *len,
	       char *why, size_t whylen)
{
	struct decoder d;
	int slot[MMT_MAX_PROCS];
	int ntasks = 1, fi, si;
	bool small = false;
	uint8_t *buf = NULL;
	size_t n = 0;
	char dummy[1];

	memset(&d, 0, sizeof(d));
	if (!why) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	for (int i = 0; i < p->nr_names; i++) {
		int k;

		slot[i] = -1;
		if (sscanf(p->names[i], "p%d", &k) == 1 && k >= 0 && k < MMT_DECODE_PROCS) {
			char canon[8];

			snprintf(canon, sizeof(canon), "p%d", k);
			if (strcmp(canon, p->names[i]) == 0)
				slot[i] = k;
		}
	}
	for (size_t i = 0; i < p->nr_ops; i++)
		if (p->ops[i].task + 1 > ntasks)
			ntasks = p->ops[i].task + 1;
	/* the decoder reads a schedule only with two tasks or more, mod tasks */
	for (size_t i = 0; p->has_schedule && i < p->nr_schedule; i++)
		if (p->schedule[i] + 1 > ntasks)
			ntasks = p->schedule[i] + 1;
	if (p->has_schedule && p->nr_schedule && ntasks < 2)
		ntasks = 2;
	if (ntasks > MMT_MAX_TASKS)
		FAIL("%d tasks, at most %d", ntasks, MMT_MAX_TASKS);
	{
		uint32_t frames = p->world.present ? p->world.frames : 256;
		uint64_t swap = p->world.present ? p->world.swap : 0;
		int nodes = p->world.present ? p->world.nodes : 2;
		uint64_t ft[4] = { 16, 32, 64, 256 };

		fi = index_of(ft, 4, frames);
		si = index_of(swap_table, 4, swap);
		uint32_t device = p->world.present ? p->world.device : 16;

		small = device != decode_device_frames(false);
		uint32_t thp = p->world.present ? p->world.thp : 0;

		d.pmd = thp == DECODE_PMD_THP && p->world.present && p->world.thp_always;
		if (fi < 0 || si < 0 || nodes < 1 || nodes > 2 ||
		    device != decode_device_frames(small) ||
		    (thp && thp != DECODE_THP_ORDERS && thp != DECODE_PMD_THP) ||
		    (p->world.present && p->world.no_zeropage))
			FAIL("world nodes=%d frames=%u swap=%llu device=%u thp=%#x%s is not one the "
			     "decoder can make", nodes, frames, (unsigned long long)swap, device, thp,
			     p->world.present && p->world.no_zeropage ? " zeropage=0" : "");
		if (p->world.present && p->world.no_huge_zeropage)
			FAIL("world hugezero=0 is not one the decoder can make");
		if (p->world.thp_always != d.pmd || (thp == DECODE_PMD_THP) != d.pmd)
			FAIL("world thp=%#x%s is not one the decoder can make (a PMD world is "
			     "thp=0x26 thpalways=1)", thp, p->world.thp_always ? " thpalways=1" : "");
		if (p->nr_ops > MMT_DECODE_MAX_OPS - d.pmd)
			FAIL("%zu ops, at most %d", p->nr_ops, MMT_DECODE_MAX_OPS - d.pmd);
		buf = malloc(2 + p->nr_ops * MMT_DECODE_RECORD + 2 * MMT_DECODE_SWITCH * p->nr_schedule);
		if (!buf)
			FAIL("out of memory");
		buf[n++] = (uint8_t)((nodes - 1) | (fi << 1) | (si << 3) | ((ntasks - 1) << 5));
		d.nodes = nodes;
		d.swap_live[0] = swap > 0;
		buf[n++] = (uint8_t)p->nr_ops;
	}
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct mmt_op *op = &p->ops[i], *orig = op;
		uint8_t r[4] = { 0, 0, 0, 0 };
		struct mmt_op back, e;
		int k = -1, proc = -1;

		/* a whole-pmd move between the window and its twin: a record of its own */
		if (d.pmd && is_twin_move(op)) {
			proc = slot[op->proc];
			if (proc < 0)
				FAIL("op %zu: process '%s' is not p0..p3", i, p->names[op->proc]);
			r[1] = (uint8_t)proc;
			if (op->code == OP_MREMAP) {
				k = kind_byte(OP_MREMAP);
				r[2] = MREMAP_TWIN;
				r[3] = op->addr != MMT_DECODE_PMD_BASE;
			} else {
				k = kind_byte(K_DEVICE);
				r[1] |= 0x80;
				r[2] = op->addr != MMT_DECODE_PMD_BASE;
				r[3] = (uint8_t)(index_of8(device_table, 4, OP_UFFD_REGISTER) |
						 UFFD_MOVE_TWIN | (op->all ? 4 : 0));
			}
			goto record;
		}
		/* a PMD world's op in the decoder's own window and length units */
		if (d.pmd && pmd_unshift(op, &e, i, why, whylen))
			goto fail;
		if (d.pmd)
			op = &e;

		if (op->code != OP_SWAPON && op->code != OP_SWAPOFF && op->code != OP_RECLAIM &&
		    op->code != OP_PAGE_IDLE && op->code != OP_KHUGEPAGED &&
		    op->code != OP_CHECK && op->code != OP_KSMD && op->code != OP_KSM_RUN &&
		    op->code != OP_KSM_MERGE_ACROSS_NODES) {
			proc = slot[op->proc];
			if (proc < 0)
				FAIL("op %zu: process '%s' is not p0..p3", i, p->names[op->proc]);
		}
		if (op->code == OP_CHECK)
			continue;	/* the harness checks after every op anyway */
		switch (op->code) {
		case OP_SWAPON:
		case OP_SWAPOFF:
			k = kind_byte(K_SWAP);
			if (op->addr >= MMT_DECODE_SWAP_IDS)
				FAIL("op %zu: swap id %llu, only 0..%d", i, (unsigned long long)op->addr,
				     MMT_DECODE_SWAP_IDS - 1);
			r[3] = (uint8_t)op->addr;
			if (op->code == OP_SWAPOFF) {
				r[2] = 0x80;
			} else {
				int s = index_of(swapon_slots, 2, op->len);

				if (s < 0)
					FAIL("op %zu: swapon of %llu slots", i, (unsigned long long)op->len);
				r[3] |= (uint8_t)(s << 5);
			}
			break;
		case OP_RECLAIM:
		case OP_PAGE_IDLE:
			k = kind_byte(OP_RECLAIM);
			if (op->addr < 1 || op->addr > 32)
				FAIL("op %zu: %s %llu, 1..32 only", i, mmt_opcode_name(op->code),
				     (unsigned long long)op->addr);
			r[3] = (uint8_t)(op->addr - 1);
			if (op->code == OP_PAGE_IDLE)
				r[2] = 0x80;
			break;
		case OP_KHUGEPAGED:
			k = kind_byte(OP_RECLAIM);
			if (op->addr < 16 || op->addr > 512 || op->addr % 16)
				FAIL("op %zu: khugepaged %llu, 16..512 in steps of 16 only", i,
				     (unsigned long long)op->addr);
			r[3] = (uint8_t)(op->addr / 16 - 1);
			r[2] = 0x40;
			break;
		case OP_KSMD:
			k = kind_byte(K_KSM);
			if (op->addr < 1 || op->addr > 64)
				FAIL("op %zu: ksmd %llu, 1..64 only", i, (unsigned long long)op->addr);
			r[3] = (uint8_t)(op->addr - 1);
			break;
		case OP_KSM_RUN:
			k = kind_byte(K_KSM);
			r[2] = 2;
			r[3] = (uint8_t)op->addr;
			break;
		case OP_KSM_MERGE_ACROSS_NODES:
			k = kind_byte(K_KSM);
			r[2] = 3;
			r[3] = (uint8_t)op->addr;
			break;
		default:
			k = kind_byte(op->code);
			if (op->code == OP_DEVICE_MIGRATE || op->code == OP_DEVICE_RELEASE ||
			    op->code == OP_UFFD_REGISTER) {
				k = kind_byte(K_DEVICE);
				r[3] = (uint8_t)index_of8(device_table, 4, op->code);
			}
			if (op->code == OP_UFFD_MOVE) {
				k = kind_byte(K_DEVICE);
				r[3] = (uint8_t)index_of8(device_table, 4, OP_UFFD_REGISTER);
			}
			if (op->code == OP_REMAP_FILE_PAGES)
				k = kind_byte(OP_MREMAP);
			if (op->code == OP_SPLIT)
				k = kind_byte(OP_MADVISE);
			if (op->code == OP_PIN || op->code == OP_UNPIN || op->code == OP_PIN_WRITE ||
			    op->code == OP_PIN_READ) {
				k = kind_byte(K_PIN);
				if (op->addr < MMT_DECODE_BASE ||
				    op->addr >= MMT_DECODE_BASE + MMT_DECODE_WINDOW)
					FAIL("op %zu: address %#llx outside 0x10..0x2f", i,
					     (unsigned long long)op->addr);
				if ((op->code == OP_PIN || op->code == OP_UNPIN) &&
				    (op->len < 1 || op->len > 2))
					FAIL("op %zu: %s of %llu pages, 1..2 only", i,
					     mmt_opcode_name(op->code), (unsigned long long)op->len);
				if (op->code == OP_PIN_WRITE && op->value > 31)
					FAIL("op %zu: value %#llx, 0..0x1f only", i,
					     (unsigned long long)op->value);
				r[1] = (uint8_t)(proc | (op->addr - MMT_DECODE_BASE) << 2);
				r[2] = (uint8_t)(ABS_BITS | (op->len ? op->len - 1 : 0));
				r[3] = (uint8_t)(index_of8(pin_table, 8, op->code) |
						 (op->code == OP_PIN_WRITE ? op->value << 3 : 0));
				goto record;
			}
			r[1] = (uint8_t)proc;
			if (op->code == OP_SPAWN)
				break;
			if (op->code == OP_FORK) {
				r[3] = (uint8_t)slot[op->proc2];
				if (slot[op->proc2] < 0)
					FAIL("op %zu: process '%s' is not p0..p3", i, p->names[op->proc2]);
			}
			if (op->code == OP_EXIT || op->code == OP_FORK)
				break;
			if (op->addr < MMT_DECODE_BASE || op->addr >= MMT_DECODE_BASE + MMT_DECODE_WINDOW)
				FAIL("op %zu: address %#llx outside 0x10..0x2f", i,
				     (unsigned long long)op->addr);
			r[1] |= (uint8_t)((op->addr - MMT_DECODE_BASE) << 2);
			if (op->code != OP_READ && op->code != OP_WRITE) {
				if (op->len < 1 || op->len > 8)
					FAIL("op %zu: length %llu, 1..8 only", i, (unsigned long long)op->len);
				r[2] = (uint8_t)(op->len - 1);
			}
			/* the address as written, not aimed: the mode bits all set */
			if (op->code == OP_READ || op->code == OP_WRITE)
				r[2] |= ABS_BITS;
			else
				r[3] |= ABS_BITS;
			switch (op->code) {
			case OP_WRITE:
				if (op->value > 255)
					FAIL("op %zu: value %#llx, 0..0xff only", i,
					     (unsigned long long)op->value);
				r[3] = (uint8_t)op->value;
				break;
			case OP_MMAP: {
				int f = index_of8(flags_table, 8, op->mflags);

				r[2] |= (uint8_t)(index_of8(prot_table, 4, op->prot) << 3);
				r[2] |= (uint8_t)(f << 5);
				break;
			}
			case OP_MPROTECT:
				r[2] |= (uint8_t)(index_of8(prot_table, 4, op->prot) << 3);
				break;
			case OP_MREMAP:
				if (op->addr2 < MMT_DECODE_BASE ||
				    op->addr2 >= MMT_DECODE_BASE + MMT_DECODE_WINDOW ||
				    op->len2 < 1 || op->len2 > 8)
					FAIL("op %zu: mremap target outside the fuzzing window", i);
				r[3] |= (uint8_t)(op->addr2 - MMT_DECODE_BASE);
				r[2] |= (uint8_t)((op->len2 - 1) << 3);
				break;
			case OP_MADVISE:
				r[3] |= (uint8_t)index_of8(advice_table, 16, op->advice);
				break;
			case OP_SPLIT:
				r[3] |= ADVICE_SPLIT;
				break;
			case OP_REMAP_FILE_PAGES:
				r[1] |= 0x80;
				if (op->addr2 + 4 >= op->addr && op->addr2 + 4 - op->addr < 8)
					r[2] |= (uint8_t)((op->addr2 + 4 - op->addr) << 3);
				else if (op->addr2 < 8)
					r[2] |= (uint8_t)(0x40 | op->addr2 << 3);
				else
					FAIL("op %zu: remap_file_pages offset %#llx, only ADDR-4..ADDR+3 "
					     "or 0..7", i, (unsigned long long)op->addr2);
				break;
			case OP_UFFD_MOVE:
				if (op->addr2 < MMT_DECODE_BASE ||
				    op->addr2 >= MMT_DECODE_BASE + MMT_DECODE_WINDOW)
					FAIL("op %zu: uffd_move source outside the fuzzing window", i);
				r[1] |= 0x80;
				r[2] |= (uint8_t)((op->addr2 - MMT_DECODE_BASE) << 3);
				if (op->all)
					r[3] |= 4;
				break;
			case OP_MIGRATE:
				if (op->node > 1)
					FAIL("op %zu: node %d, 0 or 1 only", i, op->node);
				r[3] |= (uint8_t)op->node;
				if (op->all)
					r[1] |= 0x80;
				break;
			}
		}
record:
		r[0] = (uint8_t)(k | (op->task << 5));
		/* decoding this record must give the op back, liveness included */
		decode_record(&d, r, ntasks, &back);
		normalize(&back);
		op = orig;
		if (back.code != op->code || (proc >= 0 && back.proc != proc) ||
		    (op->code == OP_FORK && back.proc2 != slot[op->proc2]) ||
		    ((op->code == OP_SWAPON || op->code == OP_SWAPOFF) && back.addr != op->addr) ||
		    (((op->code >= OP_MMAP && op->code <= OP_MIGRATE) ||
		      op->code == OP_DEVICE_MIGRATE || op->code == OP_DEVICE_RELEASE ||
		      op->code == OP_UFFD_REGISTER || op->code == OP_PIN || op->code == OP_UNPIN ||
		      op->code == OP_SPLIT) &&
		     (back.addr != op->addr || back.len != op->len || back.node != op->node)) ||
		    (op->code == OP_UFFD_MOVE &&
		     (back.addr != op->addr || back.addr2 != op->addr2 || back.len != op->len ||
		      back.all != op->all)) ||
		    (op->code == OP_REMAP_FILE_PAGES &&
		     (back.addr != op->addr || back.addr2 != op->addr2 || back.len != op->len)) ||
		    ((op->code == OP_PIN_WRITE || op->code == OP_PIN_READ) &&
		     (back.addr != op->addr || back.value != op->value)))
			FAIL("op %zu (%s) does not survive the decoder's liveness rules", i,
			     mmt_opcode_name(op->code));
		memcpy(buf + n, r, 4);
		n += 4;
	}
	/*
	 * A PMD world says so by a count past MMT_DECODE_MAX_OPS; with no op
	 * at all it claims one that is not there (a lone switch record, the
	 * most such a program can have, is too short to be read as one)
	 */
	buf[1] = (uint8_t)((n - 2) / 4 + (d.pmd ? MMT_DECODE_MAX_OPS + (n == 2) : 0)) |
		 (small ? DECODE_SMALL_DEVICE : 0);
	/*
	 * A switch record where each run starts (task 0 before the first one is
	 * the decoder's default), and one more at the last entry when the last
	 * run is longer than one: the decoded schedule ends at the latest
	 * record, and what the scheduler does after the end differs.
	 */
	if (p->has_schedule && p->nr_schedule) {
		size_t last = p->nr_schedule - 1;

		if (last > MMT_DECODE_MAX_AT)
			FAIL("a schedule of %zu decisions, switch records reach decision %d",
			     p->nr_schedule, MMT_DECODE_MAX_AT);
		size_t first = n;

		for (size_t i = 0; i <= last; i++) {
			if (i ? p->schedule[i] == p->schedule[i - 1] && i != last : !p->schedule[0] && last)
				continue;
			mmt_switch_make(buf + n, p->schedule[i], (unsigned)i);
			n += MMT_DECODE_SWITCH;
		}
		if ((n - first) / MMT_DECODE_SWITCH > MMT_DECODE_MAX_SWITCHES)
			FAIL("a schedule of %zu switches, the decoder reads %d", (n - first) / MMT_DECODE_SWITCH,
			     MMT_DECODE_MAX_SWITCHES);
	}
	*out = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	return -1;
}
