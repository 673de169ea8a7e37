/* Syslog-over-TCP framing (RFC 6587): turns a byte stream into messages, detected per frame.
 * A frame that starts with a digit and reads "<count> " is octet-counted (RFC 6587 3.4.1), unless
 * it opens like a collector's year-first stamp ("2026 Dec  4 ..."); any other frame ends at LF,
 * CR LF or NUL (RFC 6587 3.4.2). Incremental, allocation-free: the
 * caller keeps the unconsumed bytes and calls again when more arrive. */
#ifndef ESATLS_FRAME_H
#define ESATLS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

enum frame_mode {
	FRAME_MODE_AUTO,   /* per-frame detection: octet counting or LF (a TCP stream) */
	FRAME_MODE_LF_ONLY /* every frame ends at LF/CR LF/NUL (a log file or stdin) */
};

/* Flags of a frame_result. */
#define FRAME_F_MESSAGE 0x01   /* msg holds one complete message */
#define FRAME_F_TRUNCATED 0x02 /* msg is the first max_message bytes of a longer LF line */
#define FRAME_F_OVERSIZED 0x04 /* an octet-counted frame larger than max_message was skipped */
#define FRAME_F_BADCOUNT 0x08  /* a count with too many digits; its bytes are read as LF framing */

struct frame_result {
	unsigned flags;
	struct span msg; /* points into the caller's buffer; valid until the buffer changes */
};

/* Framer state. Plain struct so callers can embed it; touch only through frame_* calls. */
struct framer {
	enum frame_mode mode;
	size_t max_message;
	uint64_t skip_left;  /* bytes of an oversized octet-counted frame still to drop */
	int discarding_line; /* dropping the rest of an over-long LF line */
};

/* Prepares f. max_message (> 0) bounds one message; the caller's buffer must hold at least
 * max_message + 24 bytes (so a count header plus a full message fit). */
void frame_init(struct framer *f, enum frame_mode mode, size_t max_message);

/* Examines buf[0..len) and consumes what it can. Returns the number of bytes consumed (the
 * caller drops them), with *res describing what they were: a message (FRAME_F_MESSAGE, maybe
 * with FRAME_F_TRUNCATED), the end of a skipped oversized frame (FRAME_F_OVERSIZED), or nothing
 * yet (flags 0, e.g. part of a skipped frame was dropped). Returns 0 when it needs more bytes
 * before anything can be consumed. Never fails: every byte sequence frames somehow. */
size_t frame_next(struct framer *f, const char *buf, size_t len, struct frame_result *res);

/* At end of stream: returns in *res any unterminated final LF line still in buf (flags 0 when
 * there is none or it was partial octet-counted data, which is dropped). */
void frame_finish(struct framer *f, const char *buf, size_t len, struct frame_result *res);

#endif
