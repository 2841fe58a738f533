// SPDX-License-Identifier: MIT
/*
 * mapping.c - the file side of rmap: RMAP 5.4 (a file VMA is on its
 * mapping's i_mmap), 5.6 (each mapping's page-cache entries), REFCOUNT
 * 2.5 and LEAK 13.3 (a mapping's refcount); check_mapping.
 *
 * A file folio is found by rmap through its mapping's i_mmap, so the VMA's
 * half of that link is checked here too, called from vma_check, next to
 * the mapping's half.
 */
#include <inttypes.h>

#include "internal.h"

const char *chk_map_name(const struct address_space *m)
{
	if (m == the_world->memfd)
		return chk_objname("memfd (mapping %u)", m->id);
	return chk_objname("shmem mapping %u", m->id);
}

/* 5.4: the file side of one VMA (pool index @vi), for vma_check */
#define OBJ	chk_vma_name(c, vma)
int chk_vma_file(struct vm_area_struct *vma, struct census *c, uint32_t vi)
{
	uint32_t mi;
	int v = 0;

	if (vma->vm_file) {
		if (!pm_live(&c->map, vma->vm_file, &mi)) {
			v += chk_viol(INV_RMAP, OBJ, "vm_file %p is not a live mapping",
				      (void *)vma->vm_file);
		} else {
			c->map_vmas[mi]++;
			if (c->vma_immap[vi] != vma->vm_file)
				v += chk_viol(INV_RMAP, OBJ,
					      "not on the i_mmap of its mapping %u: file rmap "
					      "walks miss it", vma->vm_file->id);
		}
	} else {
		if (vma->vm_flags & VM_SHARED)
			v += chk_viol(INV_RMAP, OBJ, "shared VMA without a file or shmem object");
		if (c->vma_immap[vi])
			v += chk_viol(INV_RMAP, OBJ,
				      "anonymous VMA sits on the i_mmap of mapping %u",
				      c->vma_immap[vi]->id);
	}
	return v;
}
#undef OBJ

#define OBJ	chk_map_name(m)
int chk_mapping(struct address_space *m, struct census *c)
{
	struct list_head *e;
	uint32_t nr = 0, nv = 0, pfn, vi, mi = 0;
	uint64_t last_pgoff = 0;
	int want, v = 0;

	if (!pm_live(&c->map, m, NULL))
		return chk_viol(INV_RMAP, "mapping", "%p is not a live mapping", (void *)m);

	/* 5.6, 2.5: this mapping's entries of the world's page-cache table */
	pool_idx(c->map.p, m, &mi);
	for (uint32_t i = 0; c->map_pages[mi] && i < the_world->pc_cap; i++) {
		struct address_space *owner;
		struct folio *f;
		uint64_t index;

		if (c->bounded && !(i % 64)) {
			/* the bitmap, as census_page_cache read it: skip empty words */
			uint64_t bits = the_world->pc_used[i / 64];

			if (!bits) {
				i += 63;
				continue;
			}
			i += (uint32_t)__builtin_ctzll(bits);
		}
		if (!pc_decode(c, i, &owner, &index) || owner != m)
			continue;
		f = the_world->pc_folio[i];
		nr++;
		if (!folio_in_range(c, f, &pfn)) {
			v += chk_viol(INV_RMAP, OBJ,
				      "index %#" PRIx64 " holds %p, not a frame", index,
				      (void *)f);
			continue;
		}
		if (f->mapping != (uintptr_t)m)
			v += chk_viol(INV_RMAP, OBJ,
				      "index %#" PRIx64 " holds pfn %u whose mapping is %#lx",
				      index, pfn, (unsigned long)f->mapping);
		else if (f->index != index)
			v += chk_viol(INV_RMAP, OBJ,
				      "index %#" PRIx64 " holds pfn %u whose index is %#"
				      PRIx64, index, pfn, f->index);
		if (folio_ref_count(f) < 1 + folio_mapcount(f))
			v += chk_viol(INV_REFCOUNT, OBJ,
				      "index %#" PRIx64 " holds pfn %u with refcount %d "
				      "< 1 + mapcount %d",
				      index, pfn, folio_ref_count(f), folio_mapcount(f));
	}
	if (nr != m->nrpages)
		v += chk_viol(INV_RMAP, OBJ, "nrpages %u but %u folios in the page cache",
			      m->nrpages, nr);

	for (e = m->i_mmap.next; e != &m->i_mmap; e = e->next) {
		struct vm_area_struct *vma = entry_or_null(e, struct vm_area_struct, shared);

		if (!pm_live(&c->vma, vma, &vi) || ++nv > c->vma.p->cap)
			break;		/* reported while building the census */
		if (vma->vm_file != m)
			v += chk_viol(INV_RMAP, OBJ,
				      "i_mmap holds VMA %u whose vm_file is %p", vma->id,
				      (void *)vma->vm_file);
		/* the interval tree's walking order (mremap's need_rmap_locks) */
		if (nv > 1 && vma->vm_pgoff < last_pgoff)
			v += chk_viol(INV_RMAP, OBJ,
				      "i_mmap holds VMA %u (pgoff %#llx) after pgoff %#llx: "
				      "rmap walks would not visit the VMAs in vm_pgoff order",
				      vma->id, (unsigned long long)vma->vm_pgoff,
				      (unsigned long long)last_pgoff);
		last_pgoff = vma->vm_pgoff;
	}
	/* 13.3 */
	want = (int)nv + (m == the_world->memfd ? 1 : 0);
	if (atomic_load(&m->refcount) != want)
		v += chk_viol(INV_LEAK, OBJ, "refcount %d but %u VMAs on its i_mmap%s",
			      atomic_load(&m->refcount), nv,
			      m == the_world->memfd ? " + the memfd" : "");
	v += check_lock(&m->i_mmap_rwsem.li, OBJ, "i_mmap_rwsem");
	return v;
}
#undef OBJ

int check_mapping(struct address_space *m)
{
	int v;

	if (!the_world || !m)
		return 0;
	chk_begin();
	v = chk_mapping(m, chk_census_quiet(true));
	chk_end();
	return v;
}
