// SPDX-License-Identifier: MIT
/*
 * migration.c - MIGRATION 3.1 (no migration entry at a quiescent point)
 * and 3.3 (no swap device on a migration type).
 *
 * Migration entries only exist inside an operation, so this code runs only
 * once something is already wrong; it still counts a leftover entry
 * against its frame (mapcount, exclusivity, RSS) and checks its VMA and
 * rmap, so that the report also says what else the entry broke.  3.2 (a
 * folio left PG_locked, PG_migrating or PG_isolated) is a per-frame clause
 * and sits in folio_check.
 */
#include <inttypes.h>

#include "internal.h"

static const char *migration_type_name(unsigned t)
{
	switch (t) {
	case SWP_MIGRATION_READ:	return "read";
	case SWP_MIGRATION_READ_EXCL:	return "read-exclusive";
	case SWP_MIGRATION_WRITE:	return "write";
	default:			return "?";
	}
}

/* 3.1: a migration entry at @addr, in @vma (NULL: none), for the pte walk */
void chk_migration_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr,
		       swp_entry_t e)
{
	struct census *c = x->c;
	unsigned t = swp_type(e);
	uint64_t off = swp_offset(e);
	struct folio *f;
	struct frame_census *fc;

	/* a device-private folio under migrate_vma is named by one too */
	if ((off >= c->nr_frames && !chk_device_pfn(c, off)) || off == c->zero_pfn) {
		PTE_VIOL(x, addr, INV_MIGRATION,
			 "%s migration entry for pfn %" PRIu64 ", beyond the %u frames",
			 migration_type_name(t), off, c->nr_frames);
		return;
	}
	f = &the_world->folios[off];
	fc = fc_at(c, (uint32_t)off);
	/* 3.1 */
	PTE_VIOL(x, addr, INV_MIGRATION,
		 "%s migration entry for pfn %" PRIu64
		 " at a quiescent point (folio %s, %s)",
		 migration_type_name(t), off,
		 folio_test_locked(f) ? "locked" : "unlocked",
		 folio_test_migrating(f) ? "migrating" : "not migrating: orphan");
	fc->migr++;
	if (t == SWP_MIGRATION_READ_EXCL || t == SWP_MIGRATION_WRITE)
		fc->excl++;
	if (t == SWP_MIGRATION_WRITE)
		note_writer(fc, x, addr);
	x->rss[rss_class(c, f)]++;
	if (!vma) {
		PTE_VIOL(x, addr, INV_RMAP,
			 "migration entry for pfn %" PRIu64 " outside any VMA",
			 off);
		return;
	}
	if (t == SWP_MIGRATION_WRITE && !(vma->vm_flags & VM_WRITE))
		PTE_VIOL(x, addr, INV_PROT,
			 "write migration entry (pfn %" PRIu64 ") in VMA "
			 "[%#" PRIx64 ",%#" PRIx64 ") without VM_WRITE",
			 off, vma->vm_start, vma->vm_end);
	chk_rmap(x, vma, addr, f, "migration entry");
}

/* 3.3: a swap device at reserved type @t, for check_swap_info */
#define OBJ	chk_objname("swap type %d", t)
int chk_migration_swap_type(int t)
{
	if (t >= SWP_MIGRATION_READ && t <= SWP_MIGRATION_WRITE)
		return chk_viol(INV_MIGRATION, OBJ,
				"swap device takes migration type %d: its swap "
				"entries read as %s migration entries", t,
				migration_type_name((unsigned)t));
	return 0;
}
#undef OBJ
