// SPDX-License-Identifier: MIT
/*
 * lockorder.c - LOCKORDER 14.1: no lock is held at a quiescent point.
 *
 * The order in which locks are taken is checked as they are taken, by
 * kprim's lockdep-lite (test_lockorder); what is left for the checker is
 * that none is still held between operations.  Each object's check tests
 * its own locks (check_lock); this file holds the report and the world's
 * own locks, which belong to no object.
 */
#include "internal.h"

int chk_lock_viol(const struct kp_lockinfo *li, const char *obj, const char *what)
{
	return chk_viol(INV_LOCKORDER, obj, "%s held at a quiescent point (%s)", what,
			atomic_load(&((struct kp_lockinfo *)li)->readers) ? "readers" : "writer");
}

/* 14.1: the global locks */
int chk_world_locks(void)
{
	struct world *w = the_world;
	int v = 0;

	for (int n = 0; n < w->nr_nodes; n++) {
		v += check_lock(&w->node[n].lock.li, chk_objname("node %d", n), "free-list lock");
		v += check_lock(&w->node[n].lru_lock.li, chk_objname("node %d", n), "lru_lock");
	}
	v += check_lock(&w->swap_lock.li, "world", "swap_lock");
	v += check_lock(&w->mmlist_lock.li, "world", "mmlist_lock");
	v += check_lock(&w->i_pages_lock.li, "world", "i_pages_lock");
	v += check_lock(&w->khugepaged.thread.li, "khugepaged", "khugepaged_thread");
	v += check_lock(&w->khugepaged.khugepaged_mm_lock.li, "khugepaged", "khugepaged_mm_lock");
	return v;
}
