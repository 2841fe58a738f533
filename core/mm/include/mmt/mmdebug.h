/* SPDX-License-Identifier: MIT */
/*
 * mmdebug.h - VM_BUG_ON, VM_WARN_ON and the violation report they feed.
 *
 * The kernel's include/linux/mmdebug.h plays this role: the model asserts
 * its own preconditions without knowing anything of the checker above it.
 * The invariants are named here because every report names one; what each
 * means, and where it is checked, is the checker's business (check.h).
 */
#ifndef MMT_MMDEBUG_H
#define MMT_MMDEBUG_H

#include <stdbool.h>
#include <stdint.h>

enum mmt_invariant {
	INV_NONE = 0,
	INV_MAPCOUNT,
	INV_REFCOUNT,
	INV_MIGRATION,
	INV_SWAPMAP,
	INV_RMAP,
	INV_ANONVMA,
	INV_EXCLUSIVE,
	INV_PROT,
	INV_RSS,
	INV_KSM,
	INV_DEVICE,
	INV_DATA,
	INV_LEAK,
	INV_LOCKORDER,
	INV_DEADLOCK,	/* the scheduler found no runnable task */
	INV_BUG,	/* a VM_BUG_ON with no more specific invariant */
	INV_PIN,	/* a GUP-pinned page stays its pinner's (issue 13) */
	NR_INVARIANTS
};

const char *mmt_invariant_name(enum mmt_invariant inv);
/* "MAPCOUNT" -> INV_MAPCOUNT; INV_NONE if unknown */
enum mmt_invariant mmt_invariant_lookup(const char *name);

struct mmt_violation {
	enum mmt_invariant inv;
	char object[64];	/* "folio pfn 12", "mm p1 (id 3)", "swap type 0 slot 4" */
	char msg[256];
	/*
	 * Where it was reported, "check/folio.c:41" or "mm/memory.c:365": the
	 * checker clause or the VM_BUG_ON that fired.  The message names the
	 * objects and their counts, which differ from run to run; the site is
	 * what stays the same, so findings are told apart by it (minimize.h).
	 */
	char site[40];
	/*
	 * The site under a name that survives edits elsewhere in the file:
	 * "mm/rmap.c:try_to_migrate_one#3f0a", the function and a hash of the
	 * condition (VM_BUG_ON) or message format (a checker clause).  A line
	 * number moves whenever code above it changes, so findings of two
	 * builds (mmtorture merge) are matched by this, not by @site.
	 */
	char key[64];
};

struct mmt_report {
	unsigned long count;		/* violations seen */
	struct mmt_violation first;	/* the first one, in full */
	uint64_t inv_mask;		/* a bit per invariant that fired */
};

/* the report violations go to (one per world; reset with the world) */
extern struct mmt_report mmt_report;
void mmt_report_reset(void);

/*
 * Record a violation.  Thread-safe.  Never returns early, never aborts.
 * A macro, so that every caller's file and line become the site.
 */
#define mmt_violation(inv, object, fmt, ...) \
	mmt_violation_at(__FILE__, __func__, __LINE__, fmt, inv, object, fmt, ##__VA_ARGS__)
/* @key tells reports of one function apart: the condition or message format */
void mmt_violation_at(const char *file, const char *func, int line, const char *key,
		      enum mmt_invariant inv, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/*
 * VM_BUG_ON: always compiled in.  Records the violation (naming the object)
 * and abandons the run: the model is in a state the kernel would have oopsed
 * in.  Use VM_WARN_ON for a violation the model can survive.
 */
#define VM_BUG_ON(cond, inv, objfmt, ...)						\
	do {										\
		if (__builtin_expect(!!(cond), 0))					\
			mmt_bug(inv, __FILE__, __LINE__, #cond, objfmt, ##__VA_ARGS__);	\
	} while (0)
#define VM_WARN_ON(cond, inv, objfmt, ...)						\
	do {										\
		if (__builtin_expect(!!(cond), 0))					\
			mmt_warn(inv, __FILE__, __LINE__, #cond, objfmt, ##__VA_ARGS__); \
	} while (0)
#define VM_BUG_ON_FOLIO(cond, inv, folio) \
	VM_BUG_ON(cond, inv, "folio pfn %u", (unsigned)(folio)->pfn)

/* macros, so that the caller's function names the site too (struct mmt_violation) */
#define mmt_bug(inv, file, line, cond, ...) \
	mmt_bug_at(inv, file, __func__, line, cond, __VA_ARGS__)
#define mmt_warn(inv, file, line, cond, ...) \
	mmt_warn_at(inv, file, __func__, line, cond, __VA_ARGS__)
_Noreturn void mmt_bug_at(enum mmt_invariant inv, const char *file, const char *func, int line,
			  const char *cond, const char *objfmt, ...)
	__attribute__((format(printf, 6, 7)));
void mmt_warn_at(enum mmt_invariant inv, const char *file, const char *func, int line,
		 const char *cond, const char *objfmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif /* MMT_MMDEBUG_H */
