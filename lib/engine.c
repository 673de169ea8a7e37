#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "engine.h"
#include "posture.h"
#include "source.h"

struct engine {
	struct engine_config cfg;
	struct tracker *track;
	struct source_table *sources;
	track_verdict_fn emit; /* the caller's, for every record */
	void *emit_arg;
	struct posture *posture; /* downgrade records on: each final record goes here too */
	int64_t start_clock;     /* the caller's clock at creation: the year of year-less lines
	                          * until the log gives one */
	int64_t clock;           /* daemon: the last arrival; replay: the newest time logged */
	int64_t chain;           /* replay: the time of the last timestamped line */
	int have_log_time;       /* replay: some line has carried a timestamp */
	int64_t last_expire;
	struct engine_counters count;
	/* Consecutive lines mostly share their timestamp and appliance: remember the last. */
	struct civil last_civil;
	int64_t last_ref_day; /* the day of the reference a year-less last_civil was resolved by */
	int64_t last_wall;
	int have_last_time;
	uint32_t last_source;
	struct source_counts *last_counts; /* last_source's, until the table next grows */
	size_t last_name_len;
	char last_name[SOURCE_NAME_MAX];
};

void engine_config_defaults(struct engine_config *cfg)
{
	track_config_defaults(&cfg->track);
	cfg->posture.max_peers = 100000;
	cfg->posture.window = 30 * 86400;
	cfg->posture.throttle = 86400;
	cfg->max_sources = 4096;
}

/* Records pass through here so that the posture table sees each final one after the caller:
 * a downgrade record follows the record of the connection that caused it. */
static void engine_record(const struct verdict *v, void *arg)
{
	struct engine *e = arg;
	e->emit(v, e->emit_arg);
	if (e->posture != NULL)
		posture_observe(e->posture, v, e->clock);
}

static struct span engine_source_name(const void *arg, uint32_t source)
{
	return source_name(arg, source);
}

struct engine *engine_new(const struct engine_config *cfg, track_verdict_fn emit, void *arg,
                          int64_t now)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	e->start_clock = e->clock = now;
	e->last_source = SOURCE_NONE;
	e->last_expire = INT64_MIN;
	e->emit = emit;
	e->emit_arg = arg;
	e->track = track_new(&cfg->track, engine_record, e);
	e->sources = source_table_new(cfg->max_sources);
	if (e->track == NULL || e->sources == NULL) {
		engine_free(e);
		return NULL;
	}
	track_set_source_names(e->track, engine_source_name, e->sources);
	return e;
}

void engine_reconfigure(struct engine *e, const struct engine_config *cfg)
{
	e->cfg.track = cfg->track;
	track_reconfigure(e->track, &cfg->track);
	uint64_t k0 = e->cfg.posture.hash_key[0], k1 = e->cfg.posture.hash_key[1];
	e->cfg.posture = cfg->posture; /* the table keeps the key it was made with */
	e->cfg.posture.hash_key[0] = k0;
	e->cfg.posture.hash_key[1] = k1;
	if (e->posture != NULL)
		posture_reconfigure(e->posture, &cfg->posture);
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	track_free(e->track);
	posture_free(e->posture);
	source_table_free(e->sources);
	free(e);
}

/* Works out when a message was logged. Year-less timestamps (RFC 3164) take their year from the
 * arrival time in the daemon (Dec 31 arriving on Jan 1 is last year's); in replay from the line
 * before (nearest year, so a log crosses new year), and for the first line from the current
 * year. A message without a timestamp has no time (when->valid = 0). */
static void engine_message_time(struct engine *e, const struct syslog_msg *m, uint32_t source,
                                int64_t arrival, struct logtime *when)
{
	int replay = arrival == ENGINE_LOG_CLOCK;
	int64_t ref = !replay ? arrival : e->have_log_time ? e->chain : e->start_clock;
	when->valid = 0;
	when->wall = 0;
	when->offset = LOGTIME_NO_OFFSET;
	if (!m->has_time) {
		e->count.no_timestamp++;
		return;
	}
	struct civil c = m->time;
	int64_t wall;
	if (e->have_last_time && memcmp(&c, &e->last_civil, sizeof(c)) == 0 &&
	    (c.year != 0 || ref / 86400 == e->last_ref_day))
		wall = e->last_wall;
	else {
		if (c.year != 0)
			wall = logtime_from_civil(&c);
		else if (!replay)
			wall = logtime_resolve_year(&c, arrival);
		else if (e->have_log_time)
			wall = logtime_resolve_year_nearest(&c, e->chain);
		else
			wall = logtime_resolve_year(&c, e->start_clock);
		e->last_civil = m->time;
		e->last_ref_day = ref / 86400;
		e->last_wall = wall;
		e->have_last_time = 1;
	}
	when->wall = wall;
	when->valid = 1;
	when->offset = m->offset_min != LOGTIME_NO_OFFSET ? (int16_t)m->offset_min
	                                                  : source_offset(e->sources, source);
	if (replay) {
		e->chain = wall;
		if (!e->have_log_time || wall > e->clock)
			e->clock = wall;
		e->have_log_time = 1;
	}
}

static void engine_note_offset(struct engine *e, uint32_t source, const struct esa_event *ev)
{
	int64_t minutes = ev->offset_seconds / 60;
	if (minutes >= -18 * 60 && minutes <= 18 * 60)
		source_set_offset(e->sources, source, (int16_t)minutes);
}

/* The appliance number of name, from the last message's when it is the same name. */
static uint32_t engine_source(struct engine *e, struct span name)
{
	if (name.len > SOURCE_NAME_MAX)
		name.len = SOURCE_NAME_MAX;
	if (e->last_name_len == name.len && e->last_source != SOURCE_NONE &&
	    (name.len == 0 || memcmp(e->last_name, name.p, name.len) == 0))
		return e->last_source;
	uint32_t source = source_intern(e->sources, name);
	if (source != SOURCE_NONE) {
		if (name.len > 0)
			memcpy(e->last_name, name.p, name.len);
		e->last_name_len = name.len;
		e->last_source = source;
		e->last_counts = source_counts(e->sources, source);
	} else {
		e->last_source = SOURCE_NONE; /* a failed intern may still have moved the table */
	}
	return source;
}

void engine_feed(struct engine *e, const char *msg, size_t len, struct span sender, int64_t arrival)
{
	struct syslog_msg m;
	struct esa_event ev;
	struct logtime when;

	e->count.messages++;
	syslog_parse(msg, len, &m);
	e->count.by_format[m.format]++;
	if (m.format == SYSLOG_FMT_NONE && m.pri < 0) {
		/* No header at all: the tail of a message whose embedded newline split it (a Trace
		 * line, a wrapped relay line). Classifying it could take its words for a new line
		 * of some connection; it names no appliance either. */
		e->count.continuations++;
		return;
	}
	esa_classify(m.text.p, m.text.len, &ev);
	e->count.by_kind[ev.kind]++;

	struct span name = span_present(m.host) ? m.host : sender;
	if (!span_present(name))
		name = span_make("", 0);
	uint32_t source = engine_source(e, name);
	if (source == SOURCE_NONE) {
		e->count.source_overflow++;
		return;
	}
	engine_message_time(e, &m, source, arrival, &when);
	if (ev.kind == ESA_TIME_OFFSET)
		engine_note_offset(e, source, &ev);

	if (arrival != ENGINE_LOG_CLOCK)
		e->clock = arrival;
	int64_t now = e->clock;
	if (source_count_message(e->last_counts, now, ev.kind == ESA_UNCLASSIFIED))
		source_keep_example(e->sources, source, msg, len, (int)m.format,
		                    (int)diag_cause(&m, ev.kind));
	if (now != e->last_expire)
		engine_expire(e, now);
	track_event(e->track, source, &ev, &when, now);
}

void engine_expire(struct engine *e, int64_t now)
{
	e->last_expire = now;
	track_expire(e->track, now);
	if (e->posture != NULL)
		posture_expire(e->posture, now);
}

void engine_flush(struct engine *e, enum verdict_end end)
{
	track_flush(e->track, end);
}

const struct engine_counters *engine_counters(const struct engine *e)
{
	return &e->count;
}

const struct track_counters *engine_track_counters(const struct engine *e)
{
	return track_counters(e->track);
}

int engine_enable_messages(struct engine *e, msgtrack_emit_fn emit, void *arg)
{
	return track_enable_messages(e->track, emit, arg);
}

int engine_enable_posture(struct engine *e, posture_emit_fn emit, void *arg)
{
	if (e->posture == NULL)
		e->posture = posture_new(&e->cfg.posture, emit, arg);
	return e->posture != NULL ? 0 : -1;
}

const struct posture_counters *engine_posture_counters(const struct engine *e)
{
	static const struct posture_counters none;
	return e->posture != NULL ? posture_counters(e->posture) : &none;
}

size_t engine_posture_peers(const struct engine *e)
{
	return e->posture != NULL ? posture_peer_count(e->posture) : 0;
}

int engine_export_peers(const struct engine *e, posture_state_fn fn, void *arg)
{
	return e->posture != NULL ? posture_export(e->posture, fn, arg) : 0;
}

int engine_import_peer(struct engine *e, const struct posture_peer_state *s)
{
	return e->posture != NULL ? posture_import(e->posture, s) : -1;
}

const struct msgtrack_counters *engine_message_counters(const struct engine *e)
{
	static const struct msgtrack_counters none;
	const struct msgtrack *mt = track_messages(e->track);
	return mt ? msgtrack_counters(mt) : &none;
}

size_t engine_open_messages(const struct engine *e)
{
	const struct msgtrack *mt = track_messages(e->track);
	return mt ? msgtrack_open_count(mt) : 0;
}

size_t engine_open_connections(const struct engine *e)
{
	return track_open_count(e->track);
}

int engine_mid_icid(const struct engine *e, struct span host, uint64_t mid, uint64_t *icid)
{
	uint32_t source = source_lookup(e->sources, host);
	if (source == SOURCE_NONE)
		return -1;
	return track_mid_icid(e->track, source, mid, icid);
}

size_t engine_appliances(const struct engine *e)
{
	return source_count(e->sources);
}

int engine_appliance(const struct engine *e, size_t i, struct span *name, uint64_t *messages,
                     int64_t *last_seen)
{
	if (i >= source_count(e->sources))
		return -1;
	*name = source_name(e->sources, (uint32_t)i);
	*messages = source_messages(e->sources, (uint32_t)i);
	*last_seen = source_last_seen(e->sources, (uint32_t)i);
	return 0;
}

uint64_t engine_appliance_unclassified(const struct engine *e, size_t i)
{
	return i < source_count(e->sources) ? source_unclassified(e->sources, (uint32_t)i) : 0;
}

const struct source_example *engine_appliance_example(const struct engine *e, size_t i)
{
	return i < source_count(e->sources) ? source_example(e->sources, (uint32_t)i) : NULL;
}

void engine_appliance_drop_example(struct engine *e, size_t i)
{
	if (i < source_count(e->sources))
		source_drop_example(e->sources, (uint32_t)i);
}

int engine_appliance_find(const struct engine *e, struct span name, size_t *i)
{
	uint32_t source = source_lookup(e->sources, name);
	if (source == SOURCE_NONE)
		return -1;
	*i = source;
	return 0;
}

/* ---- saved state ---- */

struct engine_export_ctx {
	const struct engine *e;
	track_conn_state_fn conn_fn; /* engine_export */
	msgtrack_state_fn msg_fn;    /* engine_export_messages */
	void *arg;
};

static int engine_export_one(const struct track_conn_state *s, void *arg)
{
	const struct engine_export_ctx *x = arg;
	struct track_conn_state named = *s;
	named.host = source_name(x->e->sources, s->source);
	return x->conn_fn(&named, x->arg);
}

static int engine_export_msg(const struct msg_state *s, void *arg)
{
	const struct engine_export_ctx *x = arg;
	struct msg_state named = *s;
	named.host = source_name(x->e->sources, s->source);
	return x->msg_fn(&named, x->arg);
}

int engine_export(const struct engine *e, track_conn_state_fn fn, void *arg)
{
	struct engine_export_ctx x = {e, fn, NULL, arg};
	return track_export(e->track, engine_export_one, &x);
}

int engine_export_messages(const struct engine *e, msgtrack_state_fn fn, void *arg)
{
	struct engine_export_ctx x = {e, NULL, fn, arg};
	return track_export_messages(e->track, engine_export_msg, &x);
}

static int saved_host_ok(struct span host)
{
	return span_present(host) && host.len <= SOURCE_NAME_MAX;
}

/* The source number of a saved record's appliance (added if new); SOURCE_NONE when the table
 * is full. */
static uint32_t engine_saved_source(struct engine *e, struct span host)
{
	e->last_source = SOURCE_NONE; /* interning may move the counts last_counts points at */
	return source_intern(e->sources, host);
}

int engine_import_check(const struct track_conn_state *s)
{
	return saved_host_ok(s->host) ? track_conn_state_check(s) : -1;
}

int engine_import(struct engine *e, const struct track_conn_state *s, int64_t now)
{
	if (engine_import_check(s) != 0)
		return -1;
	struct track_conn_state local = *s;
	local.source = engine_saved_source(e, s->host);
	return local.source == SOURCE_NONE ? -1 : track_import(e->track, &local, now);
}

int engine_import_message_check(const struct msg_state *s)
{
	return saved_host_ok(s->host) ? msgtrack_state_check(s) : -1;
}

int engine_import_message(struct engine *e, const struct msg_state *s)
{
	if (engine_import_message_check(s) != 0 || track_messages(e->track) == NULL)
		return -1;
	struct msg_state local = *s;
	local.source = engine_saved_source(e, s->host);
	return local.source == SOURCE_NONE ? -1 : track_import_message(e->track, &local);
}

void engine_import_done(struct engine *e)
{
	track_import_done(e->track);
}
