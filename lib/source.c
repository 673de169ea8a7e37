#include <stdlib.h>
#include <string.h>

#include "logtime.h"
#include "source.h"

static uint32_t source_hash(struct span s)
{
	uint32_t h = 2166136261u; /* FNV-1a: names are short and few */
	for (size_t i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 16777619u;
	}
	return h;
}

struct source {
	char *name;
	uint32_t len;
	uint32_t hash;
	int16_t offset;
	struct source_counts counts;
	struct source_example *example; /* allocated on first use */
};

struct source_table {
	struct source *src;
	uint32_t count, cap, limit;
	uint32_t *slot; /* id + 1, 0 empty; open addressing */
	uint32_t mask;
};

struct source_table *source_table_new(uint32_t limit)
{
	struct source_table *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->limit = limit ? limit : 1;
	return st;
}

void source_table_free(struct source_table *st)
{
	if (st == NULL)
		return;
	for (uint32_t i = 0; i < st->count; i++) {
		free(st->src[i].name);
		free(st->src[i].example);
	}
	free(st->src);
	free(st->slot);
	free(st);
}

static uint32_t source_find(const struct source_table *st, struct span name, uint32_t h)
{
	if (st->slot == NULL)
		return SOURCE_NONE;
	for (uint32_t i = h & st->mask;; i = (i + 1) & st->mask) {
		uint32_t s = st->slot[i];
		if (s == 0)
			return SOURCE_NONE;
		const struct source *src = &st->src[s - 1];
		if (src->hash == h && src->len == name.len &&
		    memcmp(src->name, name.p, name.len) == 0)
			return s - 1;
	}
}

static int source_rehash(struct source_table *st, uint32_t cap)
{
	uint32_t *slot = calloc(cap, sizeof(*slot));
	if (slot == NULL)
		return -1;
	for (uint32_t id = 0; id < st->count; id++) {
		uint32_t i = st->src[id].hash & (cap - 1);
		while (slot[i] != 0)
			i = (i + 1) & (cap - 1);
		slot[i] = id + 1;
	}
	free(st->slot);
	st->slot = slot;
	st->mask = cap - 1;
	return 0;
}

static int source_reserve(struct source_table *st)
{
	if (st->count == st->cap) {
		uint32_t cap = st->cap ? st->cap * 2 : 16;
		struct source *src = realloc(st->src, cap * sizeof(*src));
		if (src == NULL)
			return -1;
		st->src = src;
		st->cap = cap;
	}
	uint32_t slots = st->slot ? st->mask + 1 : 0;
	if ((st->count + 1) * 2 > slots)
		return source_rehash(st, slots ? slots * 2 : 32);
	return 0;
}

uint32_t source_intern(struct source_table *st, struct span name)
{
	if (name.len > SOURCE_NAME_MAX)
		name.len = SOURCE_NAME_MAX;
	uint32_t h = source_hash(name);
	uint32_t id = source_find(st, name, h);
	if (id != SOURCE_NONE)
		return id;
	if (st->count >= st->limit || source_reserve(st) != 0)
		return SOURCE_NONE;
	char *copy = malloc(name.len + 1);
	if (copy == NULL)
		return SOURCE_NONE;
	if (name.len)
		memcpy(copy, name.p, name.len);
	copy[name.len] = '\0';
	id = st->count++;
	st->src[id] = (struct source){.name = copy,
	                              .len = (uint32_t)name.len,
	                              .hash = h,
	                              .offset = LOGTIME_NO_OFFSET,
	                              .counts = {.want_example = 1}};
	uint32_t i = h & st->mask;
	while (st->slot[i] != 0)
		i = (i + 1) & st->mask;
	st->slot[i] = id + 1;
	return id;
}

uint32_t source_lookup(const struct source_table *st, struct span name)
{
	if (name.len > SOURCE_NAME_MAX)
		name.len = SOURCE_NAME_MAX;
	return source_find(st, name, source_hash(name));
}

struct span source_name(const struct source_table *st, uint32_t id)
{
	if (id >= st->count)
		return span_none();
	return span_make(st->src[id].name, st->src[id].len);
}

int16_t source_offset(const struct source_table *st, uint32_t id)
{
	return id < st->count ? st->src[id].offset : LOGTIME_NO_OFFSET;
}

void source_set_offset(struct source_table *st, uint32_t id, int16_t minutes)
{
	if (id < st->count)
		st->src[id].offset = minutes;
}

uint32_t source_count(const struct source_table *st)
{
	return st->count;
}

struct source_counts *source_counts(struct source_table *st, uint32_t id)
{
	return id < st->count ? &st->src[id].counts : NULL;
}

void source_keep_example(struct source_table *st, uint32_t id, const char *line, size_t len,
                         int format, int cause)
{
	if (id >= st->count)
		return;
	struct source *src = &st->src[id];
	if (src->example == NULL && (src->example = malloc(sizeof(*src->example))) == NULL)
		return; /* no example then; the counts stay right */
	if (len > SOURCE_EXAMPLE_MAX)
		len = SOURCE_EXAMPLE_MAX;
	if (len > 0)
		memcpy(src->example->line, line, len);
	src->example->len = len;
	src->example->format = format;
	src->example->cause = cause;
	src->counts.want_example = 0;
}

const struct source_example *source_example(const struct source_table *st, uint32_t id)
{
	if (id >= st->count || st->src[id].counts.want_example)
		return NULL;
	return st->src[id].example;
}

void source_drop_example(struct source_table *st, uint32_t id)
{
	if (id < st->count)
		st->src[id].counts.want_example = 1;
}

uint64_t source_messages(const struct source_table *st, uint32_t id)
{
	return id < st->count ? st->src[id].counts.lines : 0;
}

uint64_t source_unclassified(const struct source_table *st, uint32_t id)
{
	return id < st->count ? st->src[id].counts.unclassified : 0;
}

int64_t source_last_seen(const struct source_table *st, uint32_t id)
{
	return id < st->count ? st->src[id].counts.last_seen : 0;
}
