// SPDX-License-Identifier: MIT
/*
 * debug.c - the violation report behind VM_BUG_ON (mmdebug.h).
 *
 * The model, the checker and the executor all report here; the model needs
 * nothing else of the checker, which is why this lives with the model, as
 * the kernel keeps dump_page() and VM_BUG_ON in mm/debug.c rather than with
 * any of their callers.
 */
#include "mmt/mmdebug.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mmt/kprim.h"

static const char *const inv_names[NR_INVARIANTS] = {
	[INV_NONE]	= "NONE",
	[INV_MAPCOUNT]	= "MAPCOUNT",
	[INV_REFCOUNT]	= "REFCOUNT",
	[INV_MIGRATION]	= "MIGRATION",
	[INV_SWAPMAP]	= "SWAPMAP",
	[INV_RMAP]	= "RMAP",
	[INV_ANONVMA]	= "ANONVMA",
	[INV_EXCLUSIVE]	= "EXCLUSIVE",
	[INV_PROT]	= "PROT",
	[INV_RSS]	= "RSS",
	[INV_KSM]	= "KSM",
	[INV_DEVICE]	= "DEVICE",
	[INV_DATA]	= "DATA",
	[INV_LEAK]	= "LEAK",
	[INV_LOCKORDER]	= "LOCKORDER",
	[INV_DEADLOCK]	= "DEADLOCK",
	[INV_BUG]	= "BUG",
	[INV_PIN]	= "PIN",
};

const char *mmt_invariant_name(enum mmt_invariant inv)
{
	if ((unsigned)inv >= NR_INVARIANTS)
		return "UNKNOWN";
	return inv_names[inv];
}

enum mmt_invariant mmt_invariant_lookup(const char *name)
{
	if (!name)
		return INV_NONE;
	for (int i = 1; i < NR_INVARIANTS; i++)
		if (!strcasecmp(name, inv_names[i]))
			return (enum mmt_invariant)i;
	return INV_NONE;
}

struct mmt_report mmt_report;

/*
 * Who fills mmt_report.first.  No mutex: a VM_BUG_ON may fire on a fiber
 * that kp_abort() then abandons, and a lock held across that would never be
 * released.  The first caller to set the flag owns .first; everybody else
 * only bumps the counters.  The report's fields are plain (mmdebug.h is the
 * contract), so they are updated with the compiler's atomic builtins, which
 * TSan understands.
 */
static atomic_flag first_taken = ATOMIC_FLAG_INIT;

void mmt_report_reset(void)
{
	/* quiescent by contract: nobody is recording right now */
	memset(&mmt_report, 0, sizeof(mmt_report));
	atomic_flag_clear_explicit(&first_taken, memory_order_release);
}

/*
 * "/src/core/check/folio.c" -> "check/folio.c", and a public header
 * "core/mm/include/mmt/folio.h" -> "mm/folio.h": the layer is part of the
 * name, since the checker and the model both have a pgtable.c.
 */
static void site_name(char *buf, size_t len, const char *file, int line)
{
	const char *s = file, *t, *inc;
	size_t n;

	for (t = file; (t = strstr(t, "core/")); t += 5)
		s = t + 5;
	if (s == file) {	/* not in core/: the last two components */
		const char *last = strrchr(file, '/');

		s = file;
		if (last)
			for (t = file; t < last; t++)
				if (*t == '/')
					s = t + 1;
	}
	inc = strstr(s, "/include/mmt/");
	n = inc ? (size_t)(inc - s) : strlen(s);
	snprintf(buf, len, "%.*s%s:%d", (int)n, s, inc ? inc + 12 : "", line);
}

/* FNV-1a, folded to 16 bits: enough to tell apart the reports of one function */
static unsigned key_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ (h >> 16)) & 0xffff;
}

static void record(enum mmt_invariant inv, const char *file, const char *func, int line,
		   const char *key, const char *object, const char *msg)
{
	if ((unsigned)inv >= NR_INVARIANTS || inv == INV_NONE)
		inv = INV_BUG;
	if (!atomic_flag_test_and_set_explicit(&first_taken, memory_order_acquire)) {
		struct mmt_violation *v = &mmt_report.first;

		v->inv = inv;
		snprintf(v->object, sizeof(v->object), "%s", object ? object : "");
		snprintf(v->msg, sizeof(v->msg), "%s", msg ? msg : "");
		site_name(v->site, sizeof(v->site), file ? file : "?", line);
		site_name(v->key, sizeof(v->key), file ? file : "?", 0);
		/* site_name wrote "...:0": the function and hash replace the line */
		{
			char *colon = strrchr(v->key, ':');
			size_t at = colon ? (size_t)(colon - v->key) : strlen(v->key);

			snprintf(v->key + at, sizeof(v->key) - at, ":%.40s#%04x",
				 func ? func : "?", key_hash(key));
		}
	}
	__atomic_fetch_or(&mmt_report.inv_mask, (uint64_t)1 << inv, __ATOMIC_RELAXED);
	/* release: whoever sees the count sees the first violation filled in */
	__atomic_fetch_add(&mmt_report.count, 1, __ATOMIC_RELEASE);
}

void mmt_violation_at(const char *file, const char *func, int line, const char *key,
		      enum mmt_invariant inv, const char *object, const char *fmt, ...)
{
	char msg[sizeof(mmt_report.first.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	record(inv, file, func, line, key, object, msg);
}

/* "core/mm/rmap.c" -> "rmap.c": the message has room for the condition */
static const char *file_base(const char *file)
{
	const char *s = strrchr(file, '/');

	return s ? s + 1 : file;
}

static void record_bug(enum mmt_invariant inv, const char *file, const char *func, int line,
		       const char *cond, const char *objfmt, va_list ap,
		       char *obj, size_t objlen)
{
	char msg[sizeof(mmt_report.first.msg)];

	vsnprintf(obj, objlen, objfmt, ap);
	snprintf(msg, sizeof(msg), "%s:%d: %s", file_base(file), line, cond);
	record(inv, file, func, line, cond, obj, msg);
}

_Noreturn void mmt_bug_at(enum mmt_invariant inv, const char *file, const char *func, int line,
			  const char *cond, const char *objfmt, ...)
{
	char obj[sizeof(mmt_report.first.object)];
	va_list ap;

	va_start(ap, objfmt);
	record_bug(inv, file, func, line, cond, objfmt, ap, obj, sizeof(obj));
	va_end(ap);
	/*
	 * Outside the scheduler kp_abort() kills the process: say why first,
	 * nobody else will.  Inside it the executor prints the report.
	 */
	if (!kp_in_sched())
		fprintf(stderr, "mmtorture: VM_BUG_ON %s: %s: %s:%d: %s\n",
			mmt_invariant_name(inv), obj, file_base(file), line, cond);
	kp_abort();
}

void mmt_warn_at(enum mmt_invariant inv, const char *file, const char *func, int line,
		 const char *cond, const char *objfmt, ...)
{
	char obj[sizeof(mmt_report.first.object)];
	va_list ap;

	va_start(ap, objfmt);
	record_bug(inv, file, func, line, cond, objfmt, ap, obj, sizeof(obj));
	va_end(ap);
}
