// SPDX-License-Identifier: MIT
/*
 * footprint.c - the world's memory per configured frame and per process slot
 * (tools/bench.py builds and runs it; not a test).  Prints JSON: the sizeof of
 * each pooled object, and the heap that world_create() takes, measured with
 * mallinfo2() for two frame counts and two max_mms, as bytes per frame and per
 * process slot (the mm pool and its file mapping), plus the default world.
 */
#include <malloc.h>
#include <stdio.h>

#include "mmt/world.h"

static size_t heap(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;	/* small chunks + mmapped ones */
}

static size_t world_bytes(uint32_t frames, uint32_t max_mms)
{
	struct world_config c;
	struct world *w;
	size_t before = heap(), after;

	world_config_default(&c);
	c.frames = frames;
	c.max_mms = max_mms;
	w = world_create(&c);
	if (!w)
		return 0;
	after = heap();
	world_destroy(w);
	return after - before;
}

int main(void)
{
	struct world_config d;
	size_t f1 = world_bytes(256, 64), f2 = world_bytes(4352, 64);
	size_t m2 = world_bytes(256, 1088);

	world_config_default(&d);
	printf("{\"sizeof\": {\"world\": %zu, \"folio\": %zu, \"mm_struct\": %zu, "
	       "\"vm_area_struct\": %zu, \"anon_vma\": %zu, \"anon_vma_chain\": %zu, "
	       "\"pgtable\": %zu, \"address_space\": %zu},\n",
	       sizeof(struct world), sizeof(struct folio), sizeof(struct mm_struct),
	       sizeof(struct vm_area_struct), sizeof(struct anon_vma),
	       sizeof(struct anon_vma_chain), sizeof(struct pgtable),
	       sizeof(struct address_space));
	printf(" \"default_world\": {\"frames\": %u, \"max_mms\": %u, \"max_vmas\": %u, "
	       "\"max_pgtables\": %u, \"heap_bytes\": %zu},\n", d.frames, d.max_mms, d.max_vmas,
	       d.max_pgtables, f1);
	printf(" \"bytes_per_frame\": %.1f, \"bytes_per_process_slot\": %.1f}\n",
	       (double)(f2 - f1) / (4352 - 256), (double)(m2 - f1) / (1088 - 64));
	return 0;
}
