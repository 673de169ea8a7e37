/* Fuzzes the framer the way a TCP reader drives it: a buffer of max_message + 24 bytes, reads of
 * varying size. The first input bytes pick the mode, max_message and the read sizes; the rest is
 * the stream. Every stream is framed three times, in one buffer, through the small buffer, and
 * through a frame_stream in reads of pseudo-random sizes (its oversized count standing for the
 * framer's OVERSIZED results), and all must give the same messages; spans must lie in the
 * consumed bytes and flags must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define FUZZ_HEADER 3
#define FUZZ_MAX_MESSAGE 300

/* Flags and message bytes of every reported result, in order. */
struct transcript {
	unsigned char *p;
	size_t len, cap;
};

static void transcript_add(struct transcript *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + n)
			cap *= 2;
		t->p = realloc(t->p, cap);
		if (t->p == NULL)
			abort();
		t->cap = cap;
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
}

static void check_result(const struct framer *f, const char *buf, size_t len, size_t used,
                         const struct frame_result *res)
{
	const unsigned known = FRAME_F_MESSAGE | FRAME_F_TRUNCATED | FRAME_F_OVERSIZED |
	                       FRAME_F_BADCOUNT | FRAME_F_CUT;

	if (used > len || (res->flags & ~known) != 0)
		abort();
	if (used == 0 && res->flags != 0 && res->flags != FRAME_F_CUT)
		abort();
	if (res->flags & FRAME_F_MESSAGE) {
		if (res->msg.p < buf || res->msg.p + res->msg.len > buf + used)
			abort();
		if (res->msg.len == 0 || res->msg.len > f->max_message)
			abort();
		if (res->flags & FRAME_F_OVERSIZED)
			abort();
	} else if (res->flags & FRAME_F_CUT) {
		/* frame_finish only: the bytes discarded, never more than it was given */
		if (res->flags != FRAME_F_CUT || res->msg.p != NULL || res->msg.len > len)
			abort();
	} else if (res->msg.p != NULL || res->msg.len != 0 || (res->flags & ~FRAME_F_OVERSIZED)) {
		abort();
	}
	if ((res->flags & FRAME_F_TRUNCATED) && res->msg.len != f->max_message)
		abort();
	if (f->mode == FRAME_MODE_LF_ONLY) {
		if (res->flags & (FRAME_F_OVERSIZED | FRAME_F_BADCOUNT))
			abort();
		if (memchr(res->msg.p ? res->msg.p : buf, '\n', res->msg.len) ||
		    memchr(res->msg.p ? res->msg.p : buf, '\0', res->msg.len))
			abort();
	}
	if (f->skip_left > 0 && f->discarding_line)
		abort();
}

static void record(struct transcript *t, const struct frame_result *res)
{
	unsigned char flags = (unsigned char)res->flags;
	uint32_t len = (uint32_t)res->msg.len;

	if (res->flags == 0)
		return;
	transcript_add(t, &flags, 1);
	transcript_add(t, &len, sizeof(len));
	if (res->msg.len > 0 && res->msg.p != NULL)
		transcript_add(t, res->msg.p, res->msg.len);
}

/* Frames buf[0..len) in place, as far as it goes; returns the bytes consumed. */
static size_t drain(struct framer *f, const char *buf, size_t len, struct transcript *t)
{
	struct frame_result res;
	size_t off = 0, used;

	do {
		used = frame_next(f, buf + off, len - off, &res);
		check_result(f, buf + off, len - off, used, &res);
		record(t, &res);
		off += used;
	} while (used > 0);
	return off;
}

static void finish(struct framer *f, const char *buf, size_t len, struct transcript *t)
{
	struct frame_result res;

	frame_finish(f, buf, len, &res);
	check_result(f, buf, len, len, &res);
	record(t, &res);
	if (f->skip_left != 0 || f->discarding_line)
		abort();
}

/* The whole stream in one buffer. */
static size_t frame_at_once(enum frame_mode mode, size_t max, const char *data, size_t n,
                            struct transcript *t)
{
	struct framer f;
	size_t used;

	frame_init(&f, mode, max);
	used = drain(&f, data, n, t);
	finish(&f, data + used, n - used, t);
	return used;
}

/* A read of 1..17 bytes, pseudo-random from *seed. */
static size_t next_read_size(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return 1 + (*seed >> 16) % 17;
}

/* The stream through a max + 24 byte buffer, in reads of pseudo-random sizes. */
static size_t frame_in_reads(enum frame_mode mode, size_t max, unsigned seed, const char *data,
                             size_t n, struct transcript *t)
{
	struct framer f;
	size_t cap = max + 24, len = 0, fed = 0, total = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		abort();
	frame_init(&f, mode, max);
	while (fed < n) {
		size_t take = next_read_size(&seed);
		size_t used;
		if (take > n - fed)
			take = n - fed;
		if (take > cap - len)
			take = cap - len;
		if (take == 0)
			abort(); /* a full buffer the framer refuses to consume: a stalled
			            connection */
		memcpy(buf + len, data + fed, take);
		len += take;
		fed += take;
		used = drain(&f, buf, len, t);
		memmove(buf, buf + used, len - used);
		len -= used;
		total += used;
	}
	finish(&f, buf, len, t);
	free(buf);
	return total;
}

/* What the stream counted since the last call, as the framer would have reported it: skipped
 * oversized frames first, then res when it holds a message. */
static void record_stream(struct frame_stream *fs, const struct frame_result *res,
                          struct transcript *t)
{
	struct frame_counts c = frame_stream_take_counts(fs);
	struct frame_result skipped = {FRAME_F_OVERSIZED, {NULL, 0}};
	int message = res != NULL && (res->flags & FRAME_F_MESSAGE);

	if (c.messages != (uint64_t)message ||
	    c.truncated != (uint64_t)(message && (res->flags & FRAME_F_TRUNCATED)))
		abort();
	for (uint64_t i = 0; i < c.oversized; i++)
		record(t, &skipped);
	if (message) {
		if (res->msg.p < fs->buf || res->msg.p + res->msg.len > fs->buf + fs->cap)
			abort();
		check_result(&fs->fr, res->msg.p, res->msg.len, res->msg.len, res);
		record(t, res);
	}
}

/* The stream through a frame_stream, in reads of 1 to 17 bytes or larger ones up to the room,
 * pseudo-random from seed; read_size from the seed too, so both the bound and a larger buffer run.
 */
static void frame_through_stream(enum frame_mode mode, size_t max, unsigned seed, const char *data,
                                 size_t n, struct transcript *t)
{
	struct frame_stream fs;
	struct frame_result res;
	size_t fed = 0, read_size = (seed & 1) ? 0 : 4 * FUZZ_MAX_MESSAGE;

	if (frame_stream_init(&fs, mode, max, read_size) != 0)
		abort();
	while (fed < n) {
		size_t room = frame_stream_room(&fs), take;
		if (room == 0)
			abort(); /* a stalled connection */
		take = (seed & 8) ? next_read_size(&seed) : 1 + next_read_size(&seed) * 37 % room;
		if (take > room)
			take = room;
		if (take > n - fed)
			take = n - fed;
		memcpy(frame_stream_space(&fs), data + fed, take);
		frame_stream_wrote(&fs, take);
		fed += take;
		while (frame_stream_next(&fs, &res))
			record_stream(&fs, &res, t);
		record_stream(&fs, NULL, t);
	}
	if (frame_stream_finish(&fs, &res)) {
		record_stream(&fs, &res, t);
	} else {
		struct frame_counts before = fs.count;
		if ((res.flags & FRAME_F_CUT) &&
		    (before.cut != 1 || before.cut_bytes != res.msg.len))
			abort();
		record_stream(&fs, NULL, t);
		record(t, &res); /* a cut frame, as frame_finish says it */
	}
	if (fs.off != 0 || fs.len != 0)
		abort();
	frame_stream_free(&fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript whole = {0}, split = {0}, streamed = {0};
	enum frame_mode mode;
	size_t max, used_whole, used_split;
	unsigned seed;
	const char *stream;

	if (size < FUZZ_HEADER)
		return 0;
	mode = (data[0] & 1) ? FRAME_MODE_LF_ONLY : FRAME_MODE_AUTO;
	max = 1 + (((size_t)(data[0] >> 1) << 8) | data[1]) % FUZZ_MAX_MESSAGE;
	seed = data[2];
	stream = (const char *)data + FUZZ_HEADER;
	size -= FUZZ_HEADER;

	used_whole = frame_at_once(mode, max, stream, size, &whole);
	used_split = frame_in_reads(mode, max, seed, stream, size, &split);
	frame_through_stream(mode, max, seed, stream, size, &streamed);
	if (used_whole != used_split || whole.len != split.len ||
	    (whole.len > 0 && memcmp(whole.p, split.p, whole.len) != 0))
		abort();
	if (whole.len != streamed.len ||
	    (whole.len > 0 && memcmp(whole.p, streamed.p, whole.len) != 0))
		abort();
	free(whole.p);
	free(split.p);
	free(streamed.p);
	return 0;
}
