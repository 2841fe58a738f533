/* SPDX-License-Identifier: MIT */
/*
 * list.h - intrusive doubly linked lists, after include/linux/list.h.
 * Written from the documented semantics; order of insertion matters to the
 * model (rmap walks visit anon_vma chains in list order), so both head and
 * tail insertion are kept.
 */
#ifndef MMT_LIST_H
#define MMT_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

#define LIST_HEAD(name) struct list_head name = { &(name), &(name) }

/*
 * ->next is stored with WRITE_ONCE and list_empty() reads it with
 * READ_ONCE, as include/linux/list.h does: list_empty() is the one list
 * operation the kernel allows without the list's lock (migrate_pages'
 * look at a folio's _deferred_list, say), and under TSan that read and
 * the locked stores it races with must both be atomic.
 */
static inline void list_set_next(struct list_head *e, struct list_head *next)
{
	__atomic_store_n(&e->next, next, __ATOMIC_RELAXED);
}

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	list_set_next(h, h);
	h->prev = h;
}

static inline void __list_link(struct list_head *n, struct list_head *prev,
			       struct list_head *next)
{
	next->prev = n;
	list_set_next(n, next);
	n->prev = prev;
	list_set_next(prev, n);
}

/* insert @n right after @head: it becomes the first entry */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	__list_link(n, head, head->next);
}

/* insert @n right before @head: it becomes the last entry */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	__list_link(n, head->prev, head);
}

static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	list_set_next(e->prev, e->next);
	INIT_LIST_HEAD(e);
}

static inline bool list_empty(const struct list_head *h)
{
	return __atomic_load_n(&h->next, __ATOMIC_RELAXED) == h;
}

/* unlink @e and add it at the head of @head */
static inline void list_move(struct list_head *e, struct list_head *head)
{
	e->next->prev = e->prev;
	list_set_next(e->prev, e->next);
	list_add(e, head);
}

/* move every entry of @list to the tail of @head; @list is left empty */
static inline void list_splice_tail(struct list_head *list, struct list_head *head)
{
	if (list_empty(list))
		return;
	list->next->prev = head->prev;
	list_set_next(head->prev, list->next);
	list_set_next(list->prev, head);
	head->prev = list->prev;
	INIT_LIST_HEAD(list);
}

static inline bool list_is_singular(const struct list_head *h)
{
	return !list_empty(h) && h->next == h->prev;
}

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_last_entry(h, type, member) list_entry((h)->prev, type, member)

#define list_for_each_entry(pos, head, member)					\
	for (pos = list_entry((head)->next, __typeof__(*pos), member);		\
	     &pos->member != (head);						\
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))

#define list_for_each_entry_reverse(pos, head, member)				\
	for (pos = list_entry((head)->prev, __typeof__(*pos), member);		\
	     &pos->member != (head);						\
	     pos = list_entry(pos->member.prev, __typeof__(*pos), member))

#define list_for_each_entry_safe(pos, n, head, member)				\
	for (pos = list_entry((head)->next, __typeof__(*pos), member),		\
	     n = list_entry(pos->member.next, __typeof__(*pos), member);	\
	     &pos->member != (head);						\
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

#endif /* MMT_LIST_H */
