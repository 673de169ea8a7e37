#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* RFC 6587 3.4.1 puts no bound on MSG-LEN; ten digits already allow 9999999999 bytes, far past any
 * sane max_message, so a longer run of digits is taken for data, not a count. */
#define FRAME_COUNT_MAX_DIGITS 10
#define FRAME_COUNT_MAX 9999999999ULL

enum count_header {
	COUNT_NONE,     /* not octet counting: read the frame as an LF line */
	COUNT_PARTIAL,  /* too early to tell: only digits so far, or "YYYY " and part of a month */
	COUNT_COMPLETE, /* "<digits> " read; *count and *header_len are set */
	COUNT_BAD       /* too many digits: LF line, flagged FRAME_F_BADCOUNT */
};

void frame_init(struct framer *f, enum frame_mode mode, size_t max_message)
{
	f->mode = mode;
	f->max_message = max_message;
	f->skip_left = 0;
	f->discarding_line = 0;
}

static void result_clear(struct frame_result *res)
{
	res->flags = 0;
	res->msg = span_none();
}

static void result_message(struct frame_result *res, const char *p, size_t len, unsigned flags)
{
	res->flags |= FRAME_F_MESSAGE | flags;
	res->msg = span_make(p, len);
}

/* Index of the first LF or NUL in p[0..n), or n when there is none. NUL is rare, so the second
 * scan only covers the bytes before the LF and usually ends at once. */
static size_t find_terminator(const char *p, size_t n)
{
	const char *lf = memchr(p, '\n', n);
	size_t limit = lf ? (size_t)(lf - p) : n;
	const char *nul = memchr(p, '\0', limit);
	return nul ? (size_t)(nul - p) : limit;
}

static int is_letter(char c)
{
	return (unsigned char)((c | 0x20) - 'a') < 26;
}

/* Whether a frame of n digits and a space opens like a collector's year-first stamp
 * ("2026 Dec  4 09:01:00 ..."), not a count: four digits, three letters, a space. A counted
 * SYSLOG-MSG opens with its "<PRI>" instead. 1 if so, 0 if not, -1 when too few bytes tell. */
static int year_first_stamp(const char *buf, size_t n, size_t len)
{
	const char *m = buf + n + 1;
	if (n != 4)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		if (n + 1 + i == len)
			return -1;
		if (i < 3 ? !is_letter(m[i]) : m[i] != ' ')
			return 0;
	}
	return 1;
}

static enum count_header read_count_header(const char *buf, size_t len, uint64_t *count,
                                           size_t *header_len)
{
	size_t n = 0;
	unsigned long long v;

	while (n < len && n <= FRAME_COUNT_MAX_DIGITS && (unsigned char)(buf[n] - '0') <= 9)
		n++;
	if (n == 0)
		return COUNT_NONE;
	if (n > FRAME_COUNT_MAX_DIGITS)
		return COUNT_BAD;
	if (n == len)
		return COUNT_PARTIAL;
	if (buf[n] != ' ')
		return COUNT_NONE; /* "123abc", "42\n": an LF line that starts with digits */
	if (span_to_u64(span_make(buf, n), FRAME_COUNT_MAX, &v) != 0)
		return COUNT_BAD;
	switch (year_first_stamp(buf, n, len)) {
	case 1:
		return COUNT_NONE;
	case -1:
		return COUNT_PARTIAL;
	}
	*count = v;
	*header_len = n + 1;
	return COUNT_COMPLETE;
}

/* Drops the rest of an oversized octet-counted frame; reports it once, when the last byte goes. */
static size_t skip_oversized(struct framer *f, size_t len, struct frame_result *res)
{
	size_t n = f->skip_left < len ? (size_t)f->skip_left : len;
	f->skip_left -= n;
	if (f->skip_left == 0)
		res->flags |= FRAME_F_OVERSIZED;
	return n;
}

/* Drops the tail of an over-long LF line up to and including its terminator. */
static size_t discard_line_tail(struct framer *f, const char *buf, size_t len)
{
	size_t end = find_terminator(buf, len);
	if (end == len)
		return len;
	f->discarding_line = 0;
	return end + 1;
}

/* RFC 6587 3.4.1: "<count> " then exactly count bytes. A count larger than what follows makes us
 * wait for the rest, so a lying count swallows the frames after it; the RFC gives no way out. */
static size_t read_counted(struct framer *f, const char *buf, size_t len, uint64_t count,
                           size_t header_len, struct frame_result *res)
{
	size_t avail = len - header_len;

	if (count > f->max_message) {
		f->skip_left = count;
		return header_len + skip_oversized(f, avail, res);
	}
	if (count > avail)
		return 0;
	/* A zero count is a frame with no message, like an empty LF line. */
	if (count > 0)
		result_message(res, buf + header_len, (size_t)count, 0);
	return header_len + (size_t)count;
}

/* Line content buf[0..n) as a message: empty lines carry none, long ones are cut to max_message. */
static void line_content(const struct framer *f, const char *buf, size_t n,
                         struct frame_result *res)
{
	if (n > f->max_message)
		result_message(res, buf, f->max_message, FRAME_F_TRUNCATED);
	else if (n > 0)
		result_message(res, buf, n, 0);
}

/* The message of an LF line whose terminator is at buf[end]: a CR right before an LF belongs to
 * the terminator (RFC 6587 3.4.2 senders often write CR LF). */
static void line_message(const struct framer *f, const char *buf, size_t end,
                         struct frame_result *res)
{
	size_t n = end;
	if (buf[end] == '\n' && n > 0 && buf[n - 1] == '\r')
		n--;
	line_content(f, buf, n, res);
}

/* RFC 6587 3.4.2 non-transparent framing, also ending at NUL. Looks no further than a full line
 * plus CR LF, so an endless line costs max_message + 2 bytes of scanning, not the whole buffer. */
static size_t read_line(struct framer *f, const char *buf, size_t len, struct frame_result *res)
{
	size_t max = f->max_message;
	size_t window = (len <= max || len - max < 2) ? len : max + 2;
	size_t end = find_terminator(buf, window);

	if (end < window) {
		line_message(f, buf, end, res);
		return end + 1;
	}
	/* No terminator yet. A line of exactly max bytes may still end in CR LF. */
	if (window <= max || (window == max + 1 && buf[max] == '\r'))
		return 0;
	result_message(res, buf, max, FRAME_F_TRUNCATED);
	f->discarding_line = 1;
	return window;
}

size_t frame_next(struct framer *f, const char *buf, size_t len, struct frame_result *res)
{
	uint64_t count = 0;
	size_t header_len = 0, used;
	enum count_header h = COUNT_NONE;

	result_clear(res);
	if (len == 0)
		return 0;
	if (f->skip_left > 0)
		return skip_oversized(f, len, res);
	if (f->discarding_line)
		return discard_line_tail(f, buf, len);

	if (f->mode == FRAME_MODE_AUTO)
		h = read_count_header(buf, len, &count, &header_len);
	switch (h) {
	case COUNT_PARTIAL:
		return 0;
	case COUNT_COMPLETE:
		return read_counted(f, buf, len, count, header_len, res);
	case COUNT_BAD:
		used = read_line(f, buf, len, res);
		if (used > 0)
			res->flags |= FRAME_F_BADCOUNT;
		return used;
	case COUNT_NONE:
		break;
	}
	return read_line(f, buf, len, res);
}

/* What frame_finish dropped: a frame the end of the input cut short, len bytes of it. */
static void frame_cut(struct frame_result *res, size_t len)
{
	res->flags = FRAME_F_CUT;
	res->msg = span_make(NULL, len);
}

void frame_finish(struct framer *f, const char *buf, size_t len, struct frame_result *res)
{
	uint64_t count;
	size_t header_len, end, n;
	enum count_header h = COUNT_NONE;
	int partial_frame = f->skip_left > 0 || f->discarding_line;

	int cut_skip = f->skip_left > 0;

	result_clear(res);
	f->skip_left = 0;
	f->discarding_line = 0;
	if (partial_frame || len == 0) {
		if (cut_skip) /* inside an oversized frame being skipped: that one never ends */
			frame_cut(res, len);
		return;
	}
	if (f->mode == FRAME_MODE_AUTO)
		h = read_count_header(buf, len, &count, &header_len);
	if (h == COUNT_COMPLETE) {
		/* a cut-off octet-counted frame: its count says it is incomplete (or it lied) */
		frame_cut(res, len);
		return;
	}

	end = find_terminator(buf, len);
	if (end < len) {
		line_message(f, buf, end, res); /* frame_next would have taken this line */
	} else {
		/* The stream ended inside a line; a CR at the very end is half of a cut CR LF. */
		n = len;
		if (buf[n - 1] == '\r')
			n--;
		line_content(f, buf, n, res);
	}
	if (res->flags != 0 && h == COUNT_BAD)
		res->flags |= FRAME_F_BADCOUNT;
}

/* ---- frame_stream ---- */

int frame_stream_init(struct frame_stream *fs, enum frame_mode mode, size_t max_message,
                      size_t read_size)
{
	memset(fs, 0, sizeof(*fs));
	if (max_message > SIZE_MAX - FRAME_STREAM_SLACK)
		return -1;
	fs->cap = max_message + FRAME_STREAM_SLACK;
	if (read_size > fs->cap)
		fs->cap = read_size;
	fs->buf = malloc(fs->cap);
	if (fs->buf == NULL) {
		fs->cap = 0;
		return -1;
	}
	frame_init(&fs->fr, mode, max_message);
	return 0;
}

void frame_stream_free(struct frame_stream *fs)
{
	free(fs->buf);
	fs->buf = NULL;
	fs->off = fs->len = fs->cap = 0;
}

char *frame_stream_space(struct frame_stream *fs)
{
	if (fs->off > 0) {
		memmove(fs->buf, fs->buf + fs->off, fs->len - fs->off);
		fs->len -= fs->off;
		fs->off = 0;
	}
	return fs->buf + fs->len;
}

size_t frame_stream_room(const struct frame_stream *fs)
{
	return fs->cap - (fs->len - fs->off);
}

void frame_stream_wrote(struct frame_stream *fs, size_t n)
{
	fs->len += n;
}

/* Counts one result; 1 when it carries a message for the caller. */
static int stream_count(struct frame_stream *fs, const struct frame_result *res)
{
	if (res->flags & FRAME_F_TRUNCATED)
		fs->count.truncated++;
	if (res->flags & FRAME_F_OVERSIZED)
		fs->count.oversized++;
	if (res->flags & FRAME_F_CUT) {
		fs->count.cut++;
		fs->count.cut_bytes += res->msg.len;
	}
	if (!(res->flags & FRAME_F_MESSAGE))
		return 0;
	fs->count.messages++;
	return 1;
}

int frame_stream_next(struct frame_stream *fs, struct frame_result *res)
{
	size_t used;

	while ((used = frame_next(&fs->fr, fs->buf + fs->off, fs->len - fs->off, res)) > 0) {
		fs->off += used;
		if (stream_count(fs, res))
			return 1;
	}
	return 0;
}

int frame_stream_finish(struct frame_stream *fs, struct frame_result *res)
{
	frame_finish(&fs->fr, fs->buf + fs->off, fs->len - fs->off, res);
	fs->off = fs->len = 0;
	return stream_count(fs, res);
}

struct frame_counts frame_stream_take_counts(struct frame_stream *fs)
{
	struct frame_counts c = fs->count;
	memset(&fs->count, 0, sizeof(fs->count));
	return c;
}

int frame_stream_idle(const struct frame_stream *fs)
{
	return fs->len == fs->off && fs->fr.skip_left == 0 && !fs->fr.discarding_line;
}
