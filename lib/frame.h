/* Syslog-over-TCP framing (RFC 6587): turns a byte stream into messages, detected per frame.
 * A frame that starts with a digit and reads "<count> " is octet-counted (RFC 6587 3.4.1), unless
 * it opens like a collector's year-first stamp ("2026 Dec  4 ..."); any other frame ends at LF,
 * CR LF or NUL (RFC 6587 3.4.2). The framer is incremental and allocation-free: the caller keeps
 * the unconsumed bytes and calls again when more arrive; a frame_stream does that keeping. */
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
#define FRAME_F_CUT                                                                                \
	0x10 /* frame_finish: the input ended inside an octet-counted frame,                       \
	      * whose msg.len bytes (msg.p NULL) were discarded */

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

/* ---- frame_stream: a framer with its own buffer ----
 * The one read-and-frame loop of a byte stream (a TCP connection, a replayed file). The caller
 * does the read: into frame_stream_space(), at most frame_stream_room() bytes, then
 * frame_stream_wrote(); then frame_stream_next() until it says 0; at the end of input,
 * frame_stream_finish(). The buffer is allocated once, at its bound: a sender never holds more
 * than one message plus a count header. */

/* What a stream delivered and what its bounds cut or dropped. */
struct frame_counts {
	uint64_t messages;  /* messages yielded by frame_stream_next and frame_stream_finish */
	uint64_t truncated; /* LF lines longer than max_message: their first max_message bytes */
	uint64_t oversized; /* octet-counted frames longer than max_message, skipped whole */
	uint64_t cut;       /* octet-counted frames the end of the input cut short, discarded */
	uint64_t cut_bytes; /* ... and their bytes that had arrived */
};

/* Room beyond max_message for a count header ("<10 digits> ") and a CR LF; frame_init asks 24. */
#define FRAME_STREAM_SLACK 64

/* Plain struct so callers can embed it; touch only through frame_stream_* calls. */
struct frame_stream {
	struct framer fr;
	char *buf;
	size_t off, len, cap;      /* buf[off..len) is read but not yet framed */
	struct frame_counts count; /* since the last frame_stream_take_counts */
};

/* Prepares fs with a buffer of max(read_size, max_message + FRAME_STREAM_SLACK) bytes (a larger
 * read_size means fewer, larger reads). Returns 0, or -1 when it cannot be allocated (fs then
 * holds nothing, and frame_stream_free on it is harmless). */
int frame_stream_init(struct frame_stream *fs, enum frame_mode mode, size_t max_message,
                      size_t read_size);

/* Frees the buffer; fs may be prepared again. */
void frame_stream_free(struct frame_stream *fs);

/* Where the next read goes: the unconsumed bytes are moved to the front first, so the free end
 * of the buffer is frame_stream_room() bytes long. Valid until the next frame_stream_* call. */
char *frame_stream_space(struct frame_stream *fs);

/* How many bytes the next read may bring: never 0 once frame_stream_next has returned 0. */
size_t frame_stream_room(const struct frame_stream *fs);

/* Takes n (at most frame_stream_room()) bytes the caller wrote at frame_stream_space(). */
void frame_stream_wrote(struct frame_stream *fs, size_t n);

/* The next complete message: returns 1 with *res holding it (FRAME_F_MESSAGE, maybe with
 * FRAME_F_TRUNCATED or FRAME_F_BADCOUNT; res->msg points into the stream's buffer, valid until
 * the next frame_stream_* call), or 0 when more bytes are needed. Skipped oversized frames and
 * truncations are counted, not returned. */
int frame_stream_next(struct frame_stream *fs, struct frame_result *res);

/* At end of input, after frame_stream_next has returned 0: returns 1 with the unterminated last
 * line in *res, or 0 when there is none (a cut octet-counted frame or the rest of a skipped one
 * is dropped). The stream is then empty and ready for another input. */
int frame_stream_finish(struct frame_stream *fs, struct frame_result *res);

/* The counts since the previous call (or frame_stream_init), which start again from zero. */
struct frame_counts frame_stream_take_counts(struct frame_stream *fs);

/* True when fs holds no part of a message: ending its input now would lose nothing. */
int frame_stream_idle(const struct frame_stream *fs);

#endif
