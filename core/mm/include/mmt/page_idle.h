/* SPDX-License-Identifier: MIT */
/*
 * page_idle.h - idle page tracking (mm/page_idle.c, what a process sees as
 * /sys/kernel/mm/page_idle/bitmap).  A user marks pages idle by writing
 * their bits and, later, reads which of them nobody has touched since.
 * Both directions first clear the accessed bits of every pte that maps the
 * folio, through an rmap walk that, for an ordinary anon folio, does not
 * hold the folio lock (folio_lock_anon_vma_read does the stabilising): with
 * reclaim's folio_referenced it is the rmap walk that starts unlocked.  A
 * young pte found that way marks the folio young, so that reclaim's next
 * folio_referenced still counts the access the tracker took from it.
 *
 * Like the daemons (daemon.h), the tracker belongs to no process and never
 * changes what a process reads: the DATA oracle ignores it.
 */
#ifndef MMT_PAGE_IDLE_H
#define MMT_PAGE_IDLE_H

#include <stdbool.h>
#include <stdint.h>

struct folio;

/*
 * page_idle_clear_pte_refs - test and clear the young bit of every pte that
 * maps @folio (a reference held by the caller); if one was young, the folio
 * is no longer idle and becomes young.  An anon folio that is not KSM is
 * walked without its lock; anything else only if folio_trylock succeeds.
 */
void page_idle_clear_pte_refs(struct folio *folio);

/*
 * page_idle_scan - @nr frames of the bitmap, from where the last scan
 * stopped (wrapping at the end of memory): each LRU folio is read (its
 * ptes' accessed bits folded in, idle reported if still idle) and then
 * marked idle again, as a tracker that reads and rewrites the bitmap does.
 * Returns how many of the folios read were idle.
 */
unsigned long page_idle_scan(unsigned long nr);

#endif /* MMT_PAGE_IDLE_H */
