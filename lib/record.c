#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "logtime.h"
#include "record.h"
#include "verdict.h"

static const char *const record_type_names[RECORD_TYPE_COUNT] = {
#define RECORD_TYPE_NAME(name, str) str,
    RECORD_TYPES(RECORD_TYPE_NAME)
#undef RECORD_TYPE_NAME
};

static const char *const feed_state_names[FEED_STATE_COUNT] = {
#define FEED_STATE_NAME(name, str) str,
    FEED_STATES(FEED_STATE_NAME)
#undef FEED_STATE_NAME
};

const char *record_type_name(enum record_type type)
{
	return (unsigned)type < RECORD_TYPE_COUNT ? record_type_names[type] : "?";
}

const char *feed_state_name(enum feed_state state)
{
	return (unsigned)state < FEED_STATE_COUNT ? feed_state_names[state] : "?";
}

/* A bounded writer: once something does not fit, the result is 0. */
struct feed_out {
	char *buf;
	size_t len, cap;
	int full;
};

static void put(struct feed_out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_string(struct feed_out *o, const char *key, struct span value)
{
	put(o, key);
	if (o->full)
		return;
	size_t n = verdict_json_string(value, o->buf + o->len, o->cap - o->len);
	if (n == 0)
		o->full = 1;
	o->len += n;
}

static void put_u64(struct feed_out *o, const char *key, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRIu64, v);
	put(o, key);
	put(o, num);
}

static void put_time(struct feed_out *o, const char *key, int64_t t)
{
	char iso[32];
	struct logtime lt = {t, 0, 1};
	logtime_format_iso(&lt, iso);
	put_string(o, key, span_make(iso, strlen(iso)));
}

size_t feed_record_encode(const struct feed_record *r, char *buf, size_t cap)
{
	struct feed_out o = {buf, 0, cap, 0};
	const char *state = feed_state_name(r->state);
	put(&o, "{\"v\":1,\"type\":\"feed\"");
	put_time(&o, ",\"time\":", r->time);
	put_string(&o, ",\"host\":", span_present(r->host) ? r->host : span_make("", 0));
	put_string(&o, ",\"state\":", span_make(state, strlen(state)));
	if (r->last_seen != 0)
		put_time(&o, ",\"last_seen\":", r->last_seen);
	if (r->silent_for >= 0)
		put_u64(&o, ",\"silent_for\":", (uint64_t)r->silent_for);
	if (r->state == FEED_UNRECOGNISED || r->state == FEED_RECOGNISED) {
		put_u64(&o, ",\"lines\":", r->lines);
		put_u64(&o, ",\"unclassified\":", r->unclassified);
	}
	if (r->shape != NULL)
		put_string(&o, ",\"shape\":", span_make(r->shape, strlen(r->shape)));
	if (r->cause != NULL)
		put_string(&o, ",\"cause\":", span_make(r->cause, strlen(r->cause)));
	if (span_present(r->example))
		put_string(&o, ",\"example\":", r->example);
	put(&o, "}\n");
	return o.full ? 0 : o.len;
}
