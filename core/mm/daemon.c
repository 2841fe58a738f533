// SPDX-License-Identifier: MIT
/*
 * daemon.c - kswapd and kcompactd passes (see daemon.h).
 */
#include <errno.h>

#include "mmt/daemon.h"
#include "mmt/folio.h"
#include "mmt/migrate.h"
#include "mmt/mmdebug.h"
#include "mmt/world.h"
#include "internal.h"

/*
 * isolate_lru_folios: up to @max of the oldest folios of @pgdat's LRU,
 * taken off it with a reference each, under one hold of the lru_lock.
 * Returns how many were isolated into @out; *scanned counts what was looked at.
 */
static int isolate_lru_batch(struct pglist_data *pgdat, struct folio **out, int max,
			     unsigned long *scanned)
{
	struct list_head *pos, *n;
	int nr = 0;

	spin_lock(&pgdat->lru_lock);
	for (pos = pgdat->lru.next; pos != &pgdat->lru && nr < max; pos = n) {
		struct folio *f = list_entry(pos, struct folio, lru);

		n = pos->next;
		(*scanned)++;
		/* a folio whose last reference is going away is skipped */
		if (!folio_test_lru(f) || !folio_try_get(f))
			continue;
		folio_clear_lru(f);
		list_del_init(&f->lru);
		folio_set_isolated(f);
		out[nr++] = f;
	}
	spin_unlock(&pgdat->lru_lock);
	return nr;
}

unsigned long kswapd_run(unsigned long nr)
{
	struct folio *batch[COMPACT_CLUSTER_MAX];
	unsigned long scanned = 0, freed = 0;
	struct world *w = the_world;

	while (scanned < nr) {
		bool any = false;

		/* one balance_pgdat() round: each node's kswapd in turn */
		for (int nid = 0; nid < w->nr_nodes && scanned < nr; nid++) {
			unsigned long want = nr - scanned;
			int n = isolate_lru_batch(&w->node[nid], batch,
						  want < COMPACT_CLUSTER_MAX ? (int)want :
						  COMPACT_CLUSTER_MAX, &scanned);

			any |= n > 0;
			/* shrink_folio_list */
			for (int i = 0; i < n; i++) {
				struct folio *f = batch[i];
				enum shrink_result r;

				if (folio_test_active(f)) {
					shrink_active_folio(f);	/* shrink_active_list */
					cond_resched();
					continue;
				}
				r = shrink_folio(f, false);
				freed += r == SHRINK_FREED;
				shrink_folio_finish(f, r);
				cond_resched();
			}
			cond_resched();
		}
		if (!any)
			break;
	}
	return freed;
}

long kcompactd_run(int nid, unsigned long nr)
{
	struct folio *batch[COMPACT_CLUSTER_MAX];
	struct world *w = the_world;
	struct pglist_data *pgdat;
	unsigned long done = 0;
	long migrated = 0;
	uint32_t pfn, end;

	if (nid < 0 || nid >= w->nr_nodes)
		return -ENODEV;
	pgdat = &w->node[nid];
	pfn = pgdat->first_pfn;
	end = pgdat->first_pfn + pgdat->nr_frames;
	while (done < nr && pfn < end) {
		int n = 0;

		/* isolate_migratepages: the migration scanner, low pfns first */
		for (; pfn < end && n < COMPACT_CLUSTER_MAX && done + (unsigned long)n < nr; pfn++) {
			struct folio *f = &w->folios[pfn];

			/* the unlocked PageLRU test, then the real isolation */
			if (!folio_test_lru(f) || !folio_isolate_lru(f))
				continue;
			batch[n++] = f;
		}
		/* migrate_pages to a free frame of the same node */
		for (int i = 0; i < n; i++) {
			if (!migrate_folio_to_node(batch[i], nid))
				migrated++;
			cond_resched();
		}
		done += (unsigned long)n;
		cond_resched();
	}
	return migrated;
}
