/* The state file: the tracker's open connections saved at SIGTERM (and as periodic checkpoints)
 * so that a restart resumes them. Pure encoding and decoding; the caller does the I/O.
 *
 * Format, version 3 (versions 1 and 2 still load). Integers are little-endian, signed ones two's
 * complement; nothing is aligned (a reader works bytewise on an mmap'd buffer).
 *
 *   header   "esatlsd state\n" (14 bytes), u32 version (3), i64 saved_at (clock seconds)
 *   records  any number of: u32 head = kind << 24 | body length L, then L bytes of body;
 *            kind 0 a connection (81 <= L <= 4705), kind 1 a message (78 <= L <= 2533, version
 *            2 on), kind 2 a peer (95 <= L <= 1119, version 3 on); a version 1 file holds
 *            connections, its heads are plain lengths
 *   trailer  "END\n" (4 bytes; as a u32 it is no valid L), u64 record count,
 *            u64 checksum: FNV-1a 64 over every byte of the file before the checksum
 *   nothing follows the trailer.
 *
 * A record body, one struct track_conn_state ("source" is not stored: it is a process-local
 * number the loader derives again from host):
 *
 *    0  u64 id              8  u8 dir           9  u8 pending_end   10  u8 err_rank
 *   11  u16 flags          13  u16 peer_port   15  i64 born          23  i64 touched
 *   31  i64 alert_due      39  i64 first_wall  47  i64 last_wall     55  i16 first_off
 *   57  i16 last_off       59  u32 lines       63  u32 mids_total    67  u32 fail_total
 *   71  u64 mid_overflow   79  u8 n_mids (<= 64)                     80  u8 n_fields (<= 15)
 *   81  n_mids x u64 MID
 *   then n_fields x (u8 field id, u8 length, that many bytes), ids strictly increasing:
 *        0 host, 1 peer_ip, 2 peer_rdns, 3 interface, 4 local_ip, 5 policy, 6 sender_group,
 *        7 sbrs, 8 country, 9 tls_protocol, 10 tls_cipher, 11 tls_cn, 12 tls_domain,
 *        13 tls_error, 14 error.
 *   The body ends exactly after the last field.
 * An absent string (p == NULL) has no field; a present empty one has a field of length 0, so the
 * two stay distinct (host included). Values are raw bytes (NUL and all), at most 255.
 *
 * A message body (kind 1), one struct msg_state (msgtrack.h), "source" not stored either:
 *
 *    0  u64 mid             8  u64 icid          16  u64 parent        24  i64 news
 *   32  u8 in_verdict      33  u8 end            34  u8 n_del (<= 8)   35  u32 del_total
 *   39  u64 rcpts          47  u64 rcpts_done    55  i64 first_wall    63  i16 first_off
 *   65  u8 first_valid     66  i64 last_wall     74  i16 last_off      76  u8 last_valid
 *   77  u8 host length, then the host's bytes
 *   then n_del x (u64 dcid, u64 rids, u8 verdict, u8 outcome, u8 after_failure, u8 domain
 *        length (255: no domain), that many bytes, none for 255)
 *   The body ends exactly after the last delivery.
 *
 * A peer body (kind 2), one struct posture_peer_state (posture.h):
 *
 *    0  u8 dir              1  u8 open           2  u8 open_rank      3  i64 seen
 *   11  i64 last_tls_clock 19  i64 last_tls wall 27  i16 its offset   29  u8 its valid
 *   30  3 x i64 last_record (tls_lost, protocol, restored)
 *   54  4 x u64 counts (tls, tls_failed, no_tls, unknown)             86  u64 held_back
 *   94  u8 strings present: bit 0 key, 1 host, 2 protocol, 3 cipher; bit 4 kept (no other
 *       bit set)
 *   then for each present string in that order: u8 length, that many bytes.
 *   The body ends exactly after the last string.
 *
 * What the format rejects is structure only (lengths, counts, field ids, checksum); whether the
 * values make sense (dir, flags, ...) is for the caller's callback (track_conn_state_check). */
#ifndef ESATLS_STATE_H
#define ESATLS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "posture.h"
#include "track.h"

#define STATE_VERSION 3
#define STATE_VERSION_MIN 1 /* the oldest version that still loads */

#define STATE_MAGIC "esatlsd state\n"
#define STATE_MAGIC_LEN 14
#define STATE_HEADER_LEN (STATE_MAGIC_LEN + 4 + 8)
#define STATE_TRAILER_MARK "END\n"
#define STATE_TRAILER_LEN (4 + 8 + 8)
#define STATE_RECORD_FIXED 81
#define STATE_FIELD_COUNT 16 /* host and the VERDICT_STR_COUNT strings */
#define STATE_RECORD_MAX (STATE_RECORD_FIXED + 64 * 8 + STATE_FIELD_COUNT * (2 + 255))
#define STATE_MESSAGE_FIXED 78
#define STATE_DELIVERY_FIXED 20
#define STATE_MESSAGE_MAX (STATE_MESSAGE_FIXED + 255 + 8 * (STATE_DELIVERY_FIXED + 254))
#define STATE_PEER_FIXED 95
#define STATE_PEER_MAX (STATE_PEER_FIXED + 4 * (1 + 255))

/* A byte sink: returns 0, or -1 on failure (the writer then stops calling it). */
typedef int (*state_write_fn)(const void *p, size_t len, void *arg);

#define STATE_WRITER_BUF 8192

/* Lives on the caller's stack; gathers small pieces into buf and hands fn full blocks. */
struct state_writer {
	state_write_fn fn;
	void *arg;
	uint64_t hash;  /* FNV-1a of every byte before buf[hashed] */
	uint64_t count; /* records written */
	size_t used;    /* bytes in buf */
	size_t hashed;  /* bytes of buf already in hash */
	int failed;
	unsigned char buf[STATE_WRITER_BUF];
};

/* Starts a file (buffers the header; fn is not called yet). */
void state_writer_begin(struct state_writer *w, state_write_fn fn, void *arg, int64_t saved_at);

/* Appends one record. A record the format cannot hold (a string over 255 bytes or a span with
 * p == NULL and len > 0, n_mids over 64, mids NULL with n_mids > 0) fails the writer like a
 * failed write: nothing more reaches fn and state_writer_end returns -1. */
void state_writer_conn(struct state_writer *w, const struct track_conn_state *s);

/* Appends one message record; one the format cannot hold (host over 255 bytes, a domain over
 * 254, n_del over 8) fails the writer like state_writer_conn. */
void state_writer_message(struct state_writer *w, const struct msg_state *s);

/* Appends one peer; one the format cannot hold (a string over 255 bytes) fails the writer
 * like state_writer_conn. */
void state_writer_peer(struct state_writer *w, const struct posture_peer_state *s);

/* Writes the trailer and flushes; 0, or -1 if any write failed (or a record was refused). */
int state_writer_end(struct state_writer *w);

enum state_status {
	STATE_OK,
	STATE_TRUNCATED,
	STATE_NOT_STATE, /* bad magic, incl. empty file */
	STATE_FOREIGN_VERSION,
	STATE_CORRUPT, /* checksum */
	STATE_MALFORMED,
	STATE_REJECTED /* callback said no */
};

/* Short English, for logs. */
const char *state_status_text(enum state_status st);

/* 0 = ok, else reject. */
typedef int (*state_conn_fn)(const struct track_conn_state *s, void *arg);

/* Validates the whole file (magic, version, checksum, every record, trailer count) and calls fn
 * per record in file order (s and what it points to valid during the call only: strings point
 * into buf, mids into parser storage; s->source is 0). fn may be NULL. *saved_at and *count (may
 * be NULL) are set on success. Stops at the first problem, checked in this order: magic
 * (STATE_NOT_STATE, also for a file shorter than the magic), header length, version (before
 * anything a later version may change), record framing (STATE_TRUNCATED when a length or the
 * trailer runs past the end), bytes after the trailer, checksum, count, record contents. fn is
 * called only once all of that passed, so only fn itself (STATE_REJECTED) can stop the walk
 * after some calls. Linear, allocation-free; buf needs no alignment. */
enum state_status state_parse(const void *buf, size_t len, state_conn_fn fn, void *arg,
                              int64_t *saved_at, uint64_t *count);

/* The same with a callback per kind of record (each may be NULL: those records are checked
 * and skipped), in file order; s->source is 0, strings point into buf. */
typedef int (*state_msg_fn)(const struct msg_state *s, void *arg);
typedef int (*state_peer_fn)(const struct posture_peer_state *s, void *arg);
struct state_visitor {
	state_conn_fn conn;
	state_msg_fn msg;
	state_peer_fn peer;
	void *arg;
};
enum state_status state_parse_visit(const void *buf, size_t len, const struct state_visitor *v,
                                    int64_t *saved_at, uint64_t *count);

#endif
