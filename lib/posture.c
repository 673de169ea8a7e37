#include <stdlib.h>
#include <string.h>

#include "esa.h"
#include "posture.h"
#include "siphash.h"

#define KEY_MAX 255
#define FIRST_BUCKETS 256
/* A peer seen with TLS again this long after a success is kept ahead of newcomers: a flood of
 * one-off TLS senders forgets its own kind first, not the partners. */
#define KEEP_AFTER 3600

enum { LIST_NEW, LIST_KEPT, LISTS };

/* One peer. Its strings live in one allocation, key first: key, host, protocol, cipher. */
struct peer {
	struct peer *chain;         /* next in its bucket */
	struct peer *older, *newer; /* in its list, by `seen`: the oldest is forgotten first */
	uint64_t hash;
	int64_t seen, last_tls_clock;
	struct logtime last_tls;
	int64_t last_record[DOWNGRADE_KIND_COUNT];
	uint64_t counts[VERDICT_KIND_COUNT];
	uint64_t held_back;
	uint8_t dir, open, open_rank, rank; /* rank: of `protocol` */
	uint8_t kept;                       /* LIST_KEPT or LIST_NEW */
	uint8_t len[4];                     /* of key, host, protocol, cipher */
	uint8_t present;                    /* bit i: string i present */
	char *text;
	size_t text_cap;
};

enum { S_KEY, S_HOST, S_PROTOCOL, S_CIPHER };

struct posture {
	struct posture_config cfg;
	posture_emit_fn emit;
	void *arg;
	struct peer **bucket;
	size_t n_buckets; /* a power of two */
	size_t n_peers;
	struct peer *oldest[LISTS], *newest[LISTS];
	struct posture_counters count;
};

/* ---- the table ---- */

static uint64_t peer_hash(const struct posture *pt, unsigned dir, struct span key)
{
	unsigned char buf[1 + KEY_MAX];
	size_t n = key.len > KEY_MAX ? KEY_MAX : key.len;
	buf[0] = (unsigned char)dir;
	if (n > 0)
		memcpy(buf + 1, key.p, n);
	return siphash24(pt->cfg.hash_key[0], pt->cfg.hash_key[1], buf, 1 + n);
}

static struct span peer_string(const struct peer *p, int i)
{
	if (!(p->present & (1u << i)))
		return span_none();
	size_t off = 0;
	for (int j = 0; j < i; j++)
		off += p->len[j];
	return span_make(p->text + off, p->len[i]);
}

static struct peer *peer_find(const struct posture *pt, unsigned dir, struct span key,
                              uint64_t hash)
{
	for (struct peer *p = pt->bucket[hash & (pt->n_buckets - 1)]; p != NULL; p = p->chain)
		if (p->hash == hash && p->dir == dir && p->len[S_KEY] == key.len &&
		    memcmp(p->text, key.p, key.len) == 0)
			return p;
	return NULL;
}

static void lru_unlink(struct posture *pt, struct peer *p)
{
	if (p->older != NULL)
		p->older->newer = p->newer;
	else
		pt->oldest[p->kept] = p->newer;
	if (p->newer != NULL)
		p->newer->older = p->older;
	else
		pt->newest[p->kept] = p->older;
	p->older = p->newer = NULL;
}

static void lru_append(struct posture *pt, struct peer *p)
{
	p->older = pt->newest[p->kept];
	p->newer = NULL;
	if (pt->newest[p->kept] != NULL)
		pt->newest[p->kept]->newer = p;
	else
		pt->oldest[p->kept] = p;
	pt->newest[p->kept] = p;
}

/* The peer to forget when the table is full: the newcomer seen longest ago, else the kept one. */
static struct peer *lru_victim(const struct posture *pt)
{
	return pt->oldest[LIST_NEW] != NULL ? pt->oldest[LIST_NEW] : pt->oldest[LIST_KEPT];
}

static void peer_drop(struct posture *pt, struct peer *p)
{
	struct peer **link = &pt->bucket[p->hash & (pt->n_buckets - 1)];
	while (*link != p)
		link = &(*link)->chain;
	*link = p->chain;
	lru_unlink(pt, p);
	free(p->text);
	free(p);
	pt->n_peers--;
}

/* Doubles the buckets while the table holds more peers than buckets (up to max_peers); a
 * failed allocation keeps the chains longer. */
static void table_grow(struct posture *pt)
{
	if (pt->n_peers < pt->n_buckets || pt->n_buckets >= pt->cfg.max_peers)
		return;
	size_t n = pt->n_buckets * 2;
	struct peer **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	for (size_t i = 0; i < pt->n_buckets; i++)
		for (struct peer *p = pt->bucket[i], *next; p != NULL; p = next) {
			next = p->chain;
			p->chain = b[p->hash & (n - 1)];
			b[p->hash & (n - 1)] = p;
		}
	free(pt->bucket);
	pt->bucket = b;
	pt->n_buckets = n;
}

/* Sets the peer's strings (key kept); -1 if memory ran out (the peer unchanged). */
static int peer_set_strings(struct peer *p, const struct span s[4])
{
	size_t need = 0;
	for (int i = 0; i < 4; i++)
		need += span_present(s[i]) ? (s[i].len > KEY_MAX ? KEY_MAX : s[i].len) : 0;
	char *text = p->text;
	if (need > p->text_cap || text == NULL) {
		text = malloc(need ? need : 1);
		if (text == NULL)
			return -1;
	}
	/* The key (first) may point into the old text: build in place only when it stays put. */
	char tmp[4 * KEY_MAX];
	size_t off = 0;
	uint8_t present = 0;
	for (int i = 0; i < 4; i++) {
		size_t n = span_present(s[i]) ? (s[i].len > KEY_MAX ? KEY_MAX : s[i].len) : 0;
		if (span_present(s[i]))
			present |= (uint8_t)(1u << i);
		if (n > 0)
			memcpy(tmp + off, s[i].p, n);
		p->len[i] = (uint8_t)n;
		off += n;
	}
	if (off > 0)
		memcpy(text, tmp, off);
	if (text != p->text) {
		free(p->text);
		p->text = text;
		p->text_cap = need ? need : 1;
	}
	p->present = present;
	return 0;
}

/* A new peer, the newest newcomer; lru_victim is forgotten first when the table is full. NULL if
 * memory ran out. */
static struct peer *peer_add(struct posture *pt, unsigned dir, struct span key, uint64_t hash)
{
	if (pt->n_peers >= pt->cfg.max_peers && lru_victim(pt) != NULL) {
		peer_drop(pt, lru_victim(pt));
		pt->count.evicted++;
	}
	struct peer *p = calloc(1, sizeof(*p));
	struct span s[4] = {key, span_none(), span_none(), span_none()};
	if (p == NULL || peer_set_strings(p, s) != 0) {
		free(p);
		pt->count.alloc_failures++;
		return NULL;
	}
	p->hash = hash;
	p->dir = (uint8_t)dir;
	p->open = POSTURE_NONE;
	size_t b = hash & (pt->n_buckets - 1);
	p->chain = pt->bucket[b];
	pt->bucket[b] = p;
	lru_append(pt, p);
	pt->n_peers++;
	table_grow(pt);
	return p;
}

struct posture *posture_new(const struct posture_config *cfg, posture_emit_fn emit, void *arg)
{
	struct posture *pt = calloc(1, sizeof(*pt));
	if (pt == NULL)
		return NULL;
	pt->cfg = *cfg;
	if (pt->cfg.max_peers == 0)
		pt->cfg.max_peers = 1;
	pt->emit = emit;
	pt->arg = arg;
	pt->n_buckets = FIRST_BUCKETS;
	pt->bucket = calloc(pt->n_buckets, sizeof(*pt->bucket));
	if (pt->bucket == NULL) {
		free(pt);
		return NULL;
	}
	return pt;
}

void posture_free(struct posture *pt)
{
	if (pt == NULL)
		return;
	for (int l = 0; l < LISTS; l++)
		while (pt->oldest[l] != NULL)
			peer_drop(pt, pt->oldest[l]);
	free(pt->bucket);
	free(pt);
}

void posture_reconfigure(struct posture *pt, const struct posture_config *cfg)
{
	pt->cfg.window = cfg->window;
	pt->cfg.throttle = cfg->throttle;
	pt->cfg.max_peers = cfg->max_peers > 0 ? cfg->max_peers : 1;
	while (pt->n_peers > pt->cfg.max_peers) {
		peer_drop(pt, lru_victim(pt));
		pt->count.evicted++;
	}
	table_grow(pt);
}

/* ---- what a connection says of its peer ---- */

unsigned posture_protocol_rank(struct span protocol)
{
	static const struct {
		const char *name;
		unsigned rank;
	} ranks[] = {{"TLSv1.3", 6}, {"TLSv1.2", 5}, {"TLSv1.1", 4}, {"TLSv1.0", 3},
	             {"TLSv1", 3},   {"SSLv3", 2},   {"SSLv2", 1}};
	for (size_t i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++)
		if (span_eq_ci(protocol, ranks[i].name))
			return ranks[i].rank;
	return 0;
}

static int span_usable(struct span s)
{
	return span_present(s) && s.len > 0;
}

/* The peer's key, lowercased into buf: inbound the verified reverse DNS name, else the IP;
 * outbound the domain delivered to, else the IP. An unverified name is the sender's own
 * claim: anyone could pose as a partner's host name and fake its downgrade. Empty if none. */
static struct span peer_key(const struct verdict *v, char buf[KEY_MAX])
{
	struct span k = v->str[VERDICT_S_PEER_IP];
	if (v->dir == ESA_DIR_IN && v->peer_rdns_verified == 1 &&
	    span_usable(v->str[VERDICT_S_PEER_RDNS]) &&
	    !span_eq_ci(v->str[VERDICT_S_PEER_RDNS], "unknown"))
		k = v->str[VERDICT_S_PEER_RDNS];
	else if (v->dir == ESA_DIR_OUT && span_usable(v->str[VERDICT_S_PEER_DOMAIN]))
		k = v->str[VERDICT_S_PEER_DOMAIN];
	if (!span_usable(k))
		return span_make(buf, 0);
	size_t n = k.len > KEY_MAX ? KEY_MAX : k.len;
	for (size_t i = 0; i < n; i++) {
		char c = k.p[i];
		buf[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	return span_make(buf, n);
}

/* Writes a record of `kind` unless the throttle holds it back. The peer's fields still say
 * what it did before this connection. */
static void posture_write(struct posture *pt, struct peer *p, enum downgrade_kind kind,
                          const struct verdict *v, int64_t now)
{
	if (kind != DOWNGRADE_RESTORED && p->last_record[kind] != 0 &&
	    now - p->last_record[kind] < pt->cfg.throttle) {
		p->held_back++;
		pt->count.throttled++;
		return;
	}
	struct downgrade_record g = {.kind = kind,
	                             .peer = peer_string(p, S_KEY),
	                             .conn = v,
	                             .last_tls_host = peer_string(p, S_HOST),
	                             .last_tls = p->last_tls,
	                             .last_protocol = peer_string(p, S_PROTOCOL),
	                             .last_cipher = peer_string(p, S_CIPHER),
	                             .held_back = p->held_back};
	memcpy(g.counts, p->counts, sizeof(g.counts));
	p->last_record[kind] = now;
	p->held_back = 0;
	if (kind == DOWNGRADE_RESTORED) {
		p->open = POSTURE_NONE;
	} else {
		/* The level to come back to is the best one before the first open record. */
		if (p->open == POSTURE_NONE || p->rank > p->open_rank)
			p->open_rank = p->rank;
		p->open = (uint8_t)kind;
	}
	pt->count.records[kind]++;
	if (pt->emit != NULL)
		pt->emit(&g, pt->arg);
}

static int within_window(const struct posture *pt, const struct peer *p, int64_t now)
{
	return p->last_tls_clock != 0 && now - p->last_tls_clock <= pt->cfg.window;
}

/* A TLS success: a drop below the last protocol, or the way back after a downgrade record;
 * then it becomes the peer's last TLS success. */
static void posture_tls(struct posture *pt, struct peer *p, const struct verdict *v, int64_t now)
{
	unsigned rank = posture_protocol_rank(v->str[VERDICT_S_TLS_PROTOCOL]);
	unsigned before = p->open != POSTURE_NONE ? p->open_rank : p->rank;
	if (rank != 0 && before != 0 && rank < before && within_window(pt, p, now))
		posture_write(pt, p, DOWNGRADE_PROTOCOL, v, now);
	else if (p->open != POSTURE_NONE && now - p->last_record[p->open] >= pt->cfg.throttle)
		posture_write(pt, p, DOWNGRADE_RESTORED, v, now);
	struct span s[4] = {peer_string(p, S_KEY), v->host, v->str[VERDICT_S_TLS_PROTOCOL],
	                    v->str[VERDICT_S_TLS_CIPHER]};
	if (rank == 0 && p->rank != 0) { /* an unnamed protocol says nothing of the level */
		rank = p->rank;
		s[2] = peer_string(p, S_PROTOCOL);
		s[3] = peer_string(p, S_CIPHER);
	}
	if (peer_set_strings(p, s) != 0) {
		pt->count.alloc_failures++;
		return;
	}
	p->rank = (uint8_t)rank;
	p->last_tls_clock = now;
	p->last_tls = v->last_seen;
}

/* A plain connection that carried no message (a probe, a refused sender) says nothing of how
 * the peer sends mail. */
static int is_lost_tls(const struct verdict *v)
{
	if (v->kind == VERDICT_TLS_FAILED)
		return 1;
	return v->kind == VERDICT_NO_TLS && (v->n_mids > 0 || v->mids_total > 0);
}

void posture_observe(struct posture *pt, const struct verdict *v, int64_t now)
{
	if (!(v->purpose & VERDICT_FOR_FILES) || (unsigned)v->kind >= VERDICT_KIND_COUNT)
		return;
	pt->count.observed++;
	char buf[KEY_MAX];
	struct span key = peer_key(v, buf);
	if (key.len == 0)
		return;
	unsigned dir = v->dir == ESA_DIR_OUT ? ESA_DIR_OUT : ESA_DIR_IN;
	uint64_t hash = peer_hash(pt, dir, key);
	struct peer *p = peer_find(pt, dir, key, hash);
	if (p == NULL) {
		if (v->kind != VERDICT_TLS || (p = peer_add(pt, dir, key, hash)) == NULL)
			return;
	} else {
		lru_unlink(pt, p);
		/* TLS again a while after its last success: a partner, not a one-off. */
		if (v->kind == VERDICT_TLS && p->last_tls_clock != 0 &&
		    now - p->last_tls_clock >= KEEP_AFTER)
			p->kept = LIST_KEPT;
		lru_append(pt, p);
	}
	p->seen = now;
	p->counts[v->kind]++;
	if (v->kind == VERDICT_TLS)
		posture_tls(pt, p, v, now);
	else if (is_lost_tls(v) && within_window(pt, p, now))
		posture_write(pt, p, DOWNGRADE_TLS_LOST, v, now);
}

void posture_expire(struct posture *pt, int64_t now)
{
	for (int l = 0; l < LISTS; l++)
		while (pt->oldest[l] != NULL && now - pt->oldest[l]->seen > pt->cfg.window) {
			peer_drop(pt, pt->oldest[l]);
			pt->count.expired++;
		}
}

size_t posture_peer_count(const struct posture *pt)
{
	return pt->n_peers;
}

const struct posture_counters *posture_counters(const struct posture *pt)
{
	return &pt->count;
}

size_t posture_memory(const struct posture *pt)
{
	size_t m = sizeof(*pt) + pt->n_buckets * sizeof(*pt->bucket);
	for (int l = 0; l < LISTS; l++)
		for (const struct peer *p = pt->oldest[l]; p != NULL; p = p->newer)
			m += sizeof(*p) + p->text_cap;
	return m;
}

/* ---- saved state ---- */

/* Saved times are trusted only within about 35,000 years of 1970: arithmetic on them then never
 * overflows. */
#define SAVED_TIME_MAX ((int64_t)1 << 40)

static int saved_time_ok(int64_t t)
{
	return t >= -SAVED_TIME_MAX && t <= SAVED_TIME_MAX;
}

static int saved_times_ok(const struct posture_peer_state *s)
{
	if (!saved_time_ok(s->seen) || !saved_time_ok(s->last_tls_clock) ||
	    !saved_time_ok(s->last_tls.wall) || s->last_tls.valid > 1)
		return 0;
	if (s->last_tls.offset != LOGTIME_NO_OFFSET &&
	    (s->last_tls.offset < -24 * 60 || s->last_tls.offset > 24 * 60))
		return 0;
	for (int k = 0; k < DOWNGRADE_KIND_COUNT; k++)
		if (!saved_time_ok(s->last_record[k]))
			return 0;
	return 1;
}

int posture_state_check(const struct posture_peer_state *s)
{
	const struct span str[4] = {s->key, s->host, s->protocol, s->cipher};
	if (!saved_times_ok(s))
		return -1;
	if ((s->dir != ESA_DIR_IN && s->dir != ESA_DIR_OUT) || s->kept > 1)
		return -1;
	if (s->open != POSTURE_NONE && s->open >= DOWNGRADE_KIND_COUNT)
		return -1;
	if (!span_usable(s->key) || s->last_tls_clock == 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (span_present(str[i]) && str[i].len > KEY_MAX)
			return -1;
	return 0;
}

static int peer_export(const struct peer *p, posture_state_fn fn, void *arg)
{
	if (p->last_tls_clock == 0) /* its first success could not be stored */
		return 0;
	struct posture_peer_state s = {
	    .dir = p->dir,
	    .kept = p->kept,
	    .open = p->open,
	    .open_rank = p->open_rank,
	    .seen = p->seen,
	    .last_tls_clock = p->last_tls_clock,
	    .last_tls = p->last_tls,
	    .held_back = p->held_back,
	    .key = peer_string(p, S_KEY),
	    .host = peer_string(p, S_HOST),
	    .protocol = peer_string(p, S_PROTOCOL),
	    .cipher = peer_string(p, S_CIPHER),
	};
	memcpy(s.last_record, p->last_record, sizeof(s.last_record));
	memcpy(s.counts, p->counts, sizeof(s.counts));
	return fn(&s, arg);
}

int posture_export(const struct posture *pt, posture_state_fn fn, void *arg)
{
	for (int l = 0; l < LISTS; l++)
		for (const struct peer *p = pt->oldest[l]; p != NULL; p = p->newer) {
			int r = peer_export(p, fn, arg);
			if (r != 0)
				return r;
		}
	return 0;
}

int posture_import(struct posture *pt, const struct posture_peer_state *s)
{
	if (posture_state_check(s) != 0)
		return -1;
	uint64_t hash = peer_hash(pt, s->dir, s->key);
	if (peer_find(pt, s->dir, s->key, hash) != NULL)
		return -1;
	struct peer *p = peer_add(pt, s->dir, s->key, hash);
	if (p != NULL && s->kept) { /* added as a newcomer: moved to its own list */
		lru_unlink(pt, p);
		p->kept = LIST_KEPT;
		lru_append(pt, p);
	}
	struct span str[4] = {s->key, s->host, s->protocol, s->cipher};
	if (p == NULL)
		return -1;
	if (peer_set_strings(p, str) != 0) {
		peer_drop(pt, p);
		pt->count.alloc_failures++;
		return -1;
	}
	p->open = s->open;
	p->open_rank = s->open_rank;
	p->rank = (uint8_t)posture_protocol_rank(s->protocol);
	p->seen = s->seen;
	p->last_tls_clock = s->last_tls_clock;
	p->last_tls = s->last_tls;
	p->held_back = s->held_back;
	memcpy(p->last_record, s->last_record, sizeof(p->last_record));
	memcpy(p->counts, s->counts, sizeof(p->counts));
	return 0;
}
