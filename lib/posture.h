/* Per-peer TLS posture: what each peer did the last time TLS worked with it, and how its
 * connections ended since, so that a peer that stops using TLS (STARTTLS stripped, a broken
 * certificate) or falls back to an older protocol is told as a downgrade record (record.h,
 * README "Downgrade records").
 *
 * A peer is a direction and a key: inbound, the verified reverse DNS name, else the IP; outbound,
 * the peer_domain, else the IP (lowercased). A peer enters the table with its first TLS success:
 * one never seen with TLS cannot be downgraded, so plain senders cost nothing. Fed each
 * connection's final record. Pure, and bounded: at most max_peers (the newcomer seen longest
 * ago is forgotten first, then the kept peer seen longest ago; counted), and a peer not seen for
 * `window` is dropped by posture_expire. */
#ifndef ESATLS_POSTURE_H
#define ESATLS_POSTURE_H

#include <stddef.h>
#include <stdint.h>

#include "logtime.h"
#include "record.h"
#include "span.h"
#include "verdict.h"

struct posture_config {
	uint32_t max_peers;   /* peers remembered at once (>= 1) */
	int64_t window;       /* seconds a TLS success vouches for the peer */
	int64_t throttle;     /* seconds between two records of one peer and kind */
	uint64_t hash_key[2]; /* the table's SipHash key: random in the daemon, so that remote
	                       * hosts cannot choose names that fill one bucket */
};

typedef void (*posture_emit_fn)(const struct downgrade_record *g, void *arg);

struct posture_counters {
	uint64_t observed;                      /* final records looked at */
	uint64_t records[DOWNGRADE_KIND_COUNT]; /* downgrade records written, by kind */
	uint64_t throttled;                     /* records the per-peer throttle held back */
	uint64_t evicted;        /* peers forgotten to make room (the table was full) */
	uint64_t expired;        /* peers dropped: not seen for the window */
	uint64_t alloc_failures; /* peers not stored: memory ran out */
};

struct posture;

/* NULL if memory ran out. */
struct posture *posture_new(const struct posture_config *cfg, posture_emit_fn emit, void *arg);

void posture_free(struct posture *pt);

/* New window, throttle and max_peers (reload): a smaller table forgets the peers seen longest
 * ago at once. */
void posture_reconfigure(struct posture *pt, const struct posture_config *cfg);

/* Looks at one connection's final record (others are ignored) at clock `now`; may write a
 * downgrade record through emit before it returns. */
void posture_observe(struct posture *pt, const struct verdict *v, int64_t now);

/* Drops peers not seen for the window. */
void posture_expire(struct posture *pt, int64_t now);

size_t posture_peer_count(const struct posture *pt);
const struct posture_counters *posture_counters(const struct posture *pt);
size_t posture_memory(const struct posture *pt);

/* ---- state that outlives the process (the state file keeps peers too) ---- */

/* No downgrade record open for the peer (posture_peer_state.open). */
#define POSTURE_NONE 0xff

/* One peer as the table would rebuild it. Strings point into storage owned by whoever filled
 * the struct; each at most 255 bytes. */
struct posture_peer_state {
	uint8_t dir;  /* enum esa_dir */
	uint8_t kept; /* 1: seen with TLS again an hour after a success, kept ahead of newcomers */
	uint8_t open; /* enum downgrade_kind last written, or NONE */
	uint8_t open_rank;                         /* the protocol rank before it (0: unknown) */
	int64_t seen;                              /* clock seconds of its latest connection */
	int64_t last_tls_clock;                    /* ... of its latest TLS success */
	struct logtime last_tls;                   /* that success's last line, as logged */
	int64_t last_record[DOWNGRADE_KIND_COUNT]; /* clock of its latest record per kind; 0 none */
	uint64_t counts[VERDICT_KIND_COUNT];
	uint64_t held_back;
	struct span key, host, protocol,
	    cipher; /* key present and not empty; others may be absent */
};

/* Whether s describes a peer the table could hold: 0 if so, -1 if not. */
int posture_state_check(const struct posture_peer_state *s);

/* Calls fn for every peer, the one seen longest ago first; stops early when fn returns
 * non-zero and returns that. */
typedef int (*posture_state_fn)(const struct posture_peer_state *s, void *arg);
int posture_export(const struct posture *pt, posture_state_fn fn, void *arg);

/* Adds one saved peer (s must pass posture_state_check) as the one seen last. A peer already
 * held is kept and s ignored. Returns 0, or -1 if it was ignored or memory ran out. */
int posture_import(struct posture *pt, const struct posture_peer_state *s);

/* The protocol's rank (TLSv1.3 > TLSv1.2 > TLSv1.1 > TLSv1 > SSLv3 > SSLv2), 0 if unknown. */
unsigned posture_protocol_rank(struct span protocol);

#endif
