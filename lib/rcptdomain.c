#include <stdlib.h>
#include <string.h>

#include "rcptdomain.h"

/* One message's recipients, in one allocation: n entries of [rid u32][len u8][bytes] packed
 * in data. The map's value points at it (and is updated when growing moves it). */
struct rcpt_list {
	uint32_t n;
	uint32_t used, cap; /* bytes of data */
	unsigned char data[];
};

#define LIST_FIRST_CAP 48u

#define ENTRY_HEAD 5u

static struct rcpt_list *list_of(const struct ringmap_entry *e)
{
	return (struct rcpt_list *)(uintptr_t)e->value;
}

static void list_dropped(void *ctx, const struct ringmap_entry *e)
{
	struct rcpt_domains *r = ctx;
	struct rcpt_list *l = list_of(e);
	r->heap_bytes -= sizeof(*l) + l->cap;
	free(l);
}

static struct id_key message_key(uint32_t source, uint64_t mid)
{
	struct id_key k = {mid, source, 0};
	return k;
}

void rcpt_domains_init(struct rcpt_domains *r, uint32_t limit)
{
	ringmap_init(&r->map, limit);
	ringmap_set_drop(&r->map, list_dropped, r);
	r->heap_bytes = 0;
}

void rcpt_domains_free(struct rcpt_domains *r)
{
	ringmap_free(&r->map);
}

/* The offset of RID rid's entry in l, or l->used when it has none. */
static uint32_t list_find(const struct rcpt_list *l, uint32_t rid)
{
	uint32_t off = 0;
	while (off < l->used) {
		uint32_t r;
		memcpy(&r, l->data + off, sizeof(r));
		if (r == rid)
			return off;
		off += ENTRY_HEAD + l->data[off + 4];
	}
	return off;
}

/* Appends one entry to *lp, which may move. */
static int list_append(struct rcpt_domains *r, struct rcpt_list **lp, uint32_t rid, struct span d)
{
	struct rcpt_list *l = *lp;
	size_t need = l->used + ENTRY_HEAD + d.len;
	if (need > l->cap) {
		size_t cap = l->cap * 2u;
		while (cap < need)
			cap *= 2;
		struct rcpt_list *grown = realloc(l, sizeof(*l) + cap);
		if (grown == NULL)
			return -1;
		r->heap_bytes += cap - grown->cap;
		grown->cap = (uint32_t)cap;
		*lp = l = grown;
	}
	memcpy(l->data + l->used, &rid, sizeof(rid));
	l->data[l->used + 4] = (unsigned char)d.len;
	memcpy(l->data + l->used + ENTRY_HEAD, d.p, d.len);
	l->used += ENTRY_HEAD + (uint32_t)d.len;
	l->n++;
	return 0;
}

/* A new list holding one entry, stored under k: 1 when that dropped the oldest message, 0
 * when not, -1 when memory ran out. */
static int list_start(struct rcpt_domains *r, struct id_key k, uint32_t rid, struct span d,
                      int64_t now)
{
	size_t cap = LIST_FIRST_CAP;
	while (cap < ENTRY_HEAD + d.len)
		cap *= 2;
	struct rcpt_list *l = malloc(sizeof(*l) + cap);
	if (l == NULL)
		return -1;
	l->n = l->used = 0;
	l->cap = (uint32_t)cap;
	r->heap_bytes += sizeof(*l) + l->cap;
	(void)list_append(r, &l, rid, d); /* fits: cap was sized for it */
	int dropped = ringmap_put(&r->map, k, (uint64_t)(uintptr_t)l, now);
	if (dropped < 0) {
		r->heap_bytes -= sizeof(*l) + l->cap;
		free(l);
	}
	return dropped;
}

int rcpt_domains_put(struct rcpt_domains *r, uint32_t source, uint64_t mid, uint32_t rid,
                     struct span domain, int64_t now)
{
	if (!span_present(domain) || domain.len == 0 || rid >= RCPT_RID_MAX || mid == 0)
		return -1;
	if (domain.len > RCPT_DOMAIN_MAX)
		domain.len = RCPT_DOMAIN_MAX;
	struct id_key k = message_key(source, mid);
	struct ringmap_entry *e = ringmap_get_mut(&r->map, k);
	if (e == NULL)
		return list_start(r, k, rid, domain, now);
	struct rcpt_list *l = list_of(e);
	if (list_find(l, rid) < l->used)
		return 0; /* the first To: line of a RID names it; repeats change nothing */
	if (l->n >= RCPT_PER_MESSAGE_MAX || list_append(r, &l, rid, domain) != 0)
		return -1;
	e->value = (uint64_t)(uintptr_t)l;
	return 0;
}

struct span rcpt_domains_get(const struct rcpt_domains *r, uint32_t source, uint64_t mid,
                             uint32_t rid)
{
	const struct ringmap_entry *e = ringmap_get(&r->map, message_key(source, mid));
	if (e == NULL)
		return span_none();
	const struct rcpt_list *l = list_of(e);
	uint32_t off = list_find(l, rid);
	if (off >= l->used)
		return span_none();
	return span_make((const char *)l->data + off + ENTRY_HEAD, l->data[off + 4]);
}

void rcpt_domains_forget(struct rcpt_domains *r, uint32_t source, uint64_t mid)
{
	ringmap_del(&r->map, message_key(source, mid));
}

size_t rcpt_domains_memory(const struct rcpt_domains *r)
{
	return ringmap_memory(&r->map) + r->heap_bytes;
}
