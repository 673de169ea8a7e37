#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "feed.h"
#include "log.h"
#include "verdict.h"

/* What the monitor remembers of one appliance (indexed like the engine's). */
struct feed_source {
	int silent;            /* reported silent, not yet resumed */
	int unrecognised;      /* reported unrecognised, not yet recovered */
	int first_done;        /* judged on its first FEED_FIRST_LINES */
	int64_t silent_last;   /* its last_seen when it went silent */
	int64_t window_start;  /* 0: no window yet */
	uint64_t window_lines; /* its counts at window_start */
	uint64_t window_unclassified;
};

struct feed_expected {
	char *name;
	int64_t since; /* when it began to be expected */
	int missing;   /* reported missing */
	int seen;
};

struct feed {
	feed_record_fn emit;
	void *arg;
	int64_t start;
	int64_t silent_after;
	struct feed_source *src;
	size_t n_src;
	struct feed_expected *expected;
	size_t n_expected;
	size_t unseen; /* expected names not seen yet */
	struct log_limit warn_limit, info_limit;
};

struct feed *feed_new(int64_t start, feed_record_fn emit, void *arg)
{
	struct feed *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->emit = emit;
	f->arg = arg;
	f->start = start;
	f->silent_after = 15 * 60;
	return f;
}

static void feed_free_expected(struct feed_expected *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(x[i].name);
	free(x);
}

static const struct feed_expected *feed_find_expected(const struct feed *f, const char *name)
{
	for (size_t i = 0; i < f->n_expected; i++)
		if (strcmp(f->expected[i].name, name) == 0)
			return &f->expected[i];
	return NULL;
}

int feed_configure(struct feed *f, int64_t silent_after, char *const *expected, size_t n_expected,
                   int64_t now)
{
	struct feed_expected *x = calloc(n_expected ? n_expected : 1, sizeof(*x));
	if (x == NULL)
		return -1;
	size_t unseen = 0;
	for (size_t i = 0; i < n_expected; i++) {
		const struct feed_expected *old = feed_find_expected(f, expected[i]);
		if ((x[i].name = strdup(expected[i])) == NULL) {
			feed_free_expected(x, i);
			return -1;
		}
		x[i].since = old != NULL ? old->since : now;
		x[i].missing = old != NULL && old->missing;
		x[i].seen = old != NULL && old->seen;
		unseen += !x[i].seen;
	}
	feed_free_expected(f->expected, f->n_expected);
	f->expected = x;
	f->n_expected = n_expected;
	f->unseen = unseen;
	f->silent_after = silent_after > 0 ? silent_after : 1;
	return 0;
}

void feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	log_limit_flush(&f->warn_limit);
	log_limit_flush(&f->info_limit);
	feed_free_expected(f->expected, f->n_expected);
	free(f->src);
	free(f);
}

/* Room for the engine's n appliances; -1 if memory ran out (checked again next tick). */
static int feed_grow(struct feed *f, size_t n)
{
	if (n <= f->n_src)
		return 0;
	struct feed_source *src = realloc(f->src, n * sizeof(*src));
	if (src == NULL)
		return -1;
	memset(src + f->n_src, 0, (n - f->n_src) * sizeof(*src));
	f->src = src;
	f->n_src = n;
	return 0;
}

static void feed_emit(struct feed *f, enum feed_state state, struct span host, int64_t now,
                      int64_t last_seen, int64_t silent_for)
{
	struct feed_record r = {.state = state,
	                        .host = host,
	                        .time = now,
	                        .last_seen = last_seen,
	                        .silent_for = silent_for};
	f->emit(&r, f->arg);
}

/* ---- silence ---- */

static void feed_check_silence(struct feed *f, size_t i, struct span name, int64_t last,
                               int64_t now)
{
	struct feed_source *s = &f->src[i];
	if (!s->silent && now - last >= f->silent_after) {
		s->silent = 1;
		s->silent_last = last;
		log_limit_warnx(&f->warn_limit,
		                "appliance %s: silent: no line for %" PRId64
		                " s (silent_after %" PRId64
		                " s); is it still sending to this address?",
		                name.p, now - last, f->silent_after);
		feed_emit(f, FEED_SILENT, name, now, last, now - last);
	} else if (s->silent && last != s->silent_last) {
		s->silent = 0;
		log_limit_info(&f->info_limit,
		               "appliance %s: resumed after %" PRId64 " s of silence", name.p,
		               last - s->silent_last);
		feed_emit(f, FEED_RESUMED, name, now, s->silent_last, last - s->silent_last);
	}
}

/* ---- lines not recognised ---- */

static void feed_warn_unrecognised(struct feed *f, struct engine *e, size_t i, struct span name,
                                   uint64_t lines, uint64_t bad, int64_t now)
{
	const struct source_example *x = engine_appliance_example(e, i);
	char shown[SOURCE_EXAMPLE_MAX * 6 + 3] = "\"\"";
	struct feed_record r = {.state = FEED_UNRECOGNISED,
	                        .host = name,
	                        .time = now,
	                        .silent_for = -1,
	                        .lines = lines,
	                        .unclassified = bad};
	if (x != NULL) {
		r.shape = syslog_format_name((enum syslog_format)x->format);
		r.cause = diag_cause_name((enum diag_cause)x->cause);
		r.example = span_make(x->line, x->len);
		size_t n = verdict_json_string(r.example, shown, sizeof(shown) - 1);
		shown[n] = '\0';
	}
	log_limit_warnx(
	    &f->warn_limit,
	    "appliance %s: %" PRIu64 " of %" PRIu64
	    " lines not recognised as ESA mail_logs; header shape %s; likely cause: %s; "
	    "example: %s",
	    name.p, bad, lines, r.shape ? r.shape : "?",
	    x ? diag_cause_text((enum diag_cause)x->cause) : "?", shown);
	f->emit(&r, f->arg);
}

/* Judges lines of which bad were unclassified: reports a change of state. */
static void feed_judge(struct feed *f, struct engine *e, size_t i, struct span name, uint64_t lines,
                       uint64_t bad, int64_t now)
{
	struct feed_source *s = &f->src[i];
	int unrecognised = bad * 100 >= lines * FEED_BAD_PERCENT;
	if (unrecognised && !s->unrecognised) {
		s->unrecognised = 1;
		feed_warn_unrecognised(f, e, i, name, lines, bad, now);
	} else if (!unrecognised && s->unrecognised) {
		s->unrecognised = 0;
		log_limit_info(&f->info_limit,
		               "appliance %s: lines recognised as ESA mail_logs again (%" PRIu64
		               " of %" PRIu64 ")",
		               name.p, lines - bad, lines);
		struct feed_record r = {.state = FEED_RECOGNISED,
		                        .host = name,
		                        .time = now,
		                        .silent_for = -1,
		                        .lines = lines,
		                        .unclassified = bad};
		f->emit(&r, f->arg);
	}
}

static void feed_check_lines(struct feed *f, struct engine *e, size_t i, struct span name,
                             uint64_t lines, int64_t now)
{
	struct feed_source *s = &f->src[i];
	uint64_t bad = engine_appliance_unclassified(e, i);
	if (!s->first_done && lines >= FEED_FIRST_LINES) {
		s->first_done = 1;
		feed_judge(f, e, i, name, lines, bad, now);
	}
	if (s->window_start == 0 || now < s->window_start) {
		s->window_start = now;
		s->window_lines = lines;
		s->window_unclassified = bad;
		return;
	}
	if (now - s->window_start < FEED_WINDOW)
		return;
	uint64_t wl = lines - s->window_lines, wb = bad - s->window_unclassified;
	if (wl >= FEED_WINDOW_LINES)
		feed_judge(f, e, i, name, wl, wb, now);
	s->window_start = now;
	s->window_lines = lines;
	s->window_unclassified = bad;
	engine_appliance_drop_example(e, i); /* the next window shows one of its own */
}

/* ---- expected appliances ---- */

static void feed_check_expected(struct feed *f, struct engine *e, int64_t now)
{
	for (size_t j = 0; j < f->n_expected && f->unseen > 0; j++) {
		struct feed_expected *x = &f->expected[j];
		size_t i;
		struct span name;
		uint64_t messages = 0;
		int64_t last = 0;
		if (x->seen)
			continue;
		if (engine_appliance_find(e, span_make(x->name, strlen(x->name)), &i) == 0)
			engine_appliance(e, i, &name, &messages, &last);
		if (messages > 0) {
			x->seen = 1;
			f->unseen--;
			if (x->missing) {
				log_limit_info(&f->info_limit,
				               "appliance %s: first lines after %" PRId64
				               " s missing",
				               x->name, last - x->since);
				feed_emit(f, FEED_RESUMED, span_make(x->name, strlen(x->name)), now,
				          0, last - x->since);
			}
		} else if (!x->missing && now - x->since >= f->silent_after) {
			x->missing = 1;
			log_limit_warnx(
			    &f->warn_limit,
			    "appliance %s: missing: expected, but no line from it in %" PRId64
			    " s; check its log subscription and its syslog target",
			    x->name, now - x->since);
			feed_emit(f, FEED_MISSING, span_make(x->name, strlen(x->name)), now, 0,
			          now - x->since);
		}
	}
}

void feed_tick(struct feed *f, struct engine *e, int64_t now)
{
	feed_check_expected(f, e, now);
	if (feed_grow(f, engine_appliances(e)) != 0)
		return;
	struct span name;
	uint64_t messages;
	int64_t last;
	for (size_t i = 0; i < f->n_src && engine_appliance(e, i, &name, &messages, &last) == 0;
	     i++) {
		if (messages == 0)
			continue; /* restored from the state file, nothing sent since */
		feed_check_silence(f, i, name, last, now);
		feed_check_lines(f, e, i, name, messages, now);
	}
}

int feed_appliance_up(const struct feed *f, size_t i)
{
	return i >= f->n_src || !f->src[i].silent;
}

size_t feed_unseen_count(const struct feed *f)
{
	return f->unseen;
}

const char *feed_unseen_name(const struct feed *f, size_t j)
{
	for (size_t k = 0; k < f->n_expected; k++)
		if (!f->expected[k].seen && j-- == 0)
			return f->expected[k].name;
	return NULL;
}
