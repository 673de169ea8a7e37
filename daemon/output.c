#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "clock.h"
#include "log.h"
#include "output.h"

/* Most bytes per write(2): whole records up to this much go out in one call, and a longer record
 * goes alone. One call per batch on an O_APPEND descriptor keeps lines whole against other
 * appenders; in normal operation the buffer holds about this much before it is written. */
#define OUTPUT_BATCH (64 * 1024)
#define OUTPUT_FLUSH_MS 200    /* safety flush of records left buffered */
#define OUTPUT_RETRY_MS 1000   /* retry after a failed write */
#define OUTPUT_REPORT_MS 10000 /* at most one failure summary per output this often */
/* While a retry is scheduled, output_flush writes again only when the last attempt is this old:
 * a full disk then costs a few write calls a second, not one per input batch, and a caller that
 * drains by calling output_flush in a loop (shutdown) still gets its attempts. */
#define OUTPUT_FLUSH_RETRY_MS 200
/* Byte bound of the queue, besides its record count: queue * 1 KiB + 1 MiB. Records are a few
 * hundred bytes, so the count normally binds first; the byte cap keeps a queue of maximal records
 * (VERDICT_LINE_MAX each) from holding queue * 32 KiB. A record is dropped when either bound
 * would be passed. */
#define OUTPUT_QUEUE_BYTES_PER_RECORD 1024
#define OUTPUT_QUEUE_BYTES_BASE (1024 * 1024)
#define OUTPUT_LENS_MIN 64 /* record-length ring: initial size, a power of two */

struct output {
	struct output_config cfg; /* own copy; cfg.file is ours */
	const char *label;        /* for log lines */
	struct event_base *base;
	int fd;
	int is_stdout;  /* "-": never reopened */
	int own_stdout; /* fd is our own non-blocking reopening of a stdout pipe: close it */
	int is_socket;  /* fd is a socket (journald's stream): written with MSG_DONTWAIT */
	struct event *flush_ev;
	struct event *retry_ev; /* timer after an error */
	struct event *write_ev; /* EV_WRITE on fd after EAGAIN; made on first need */
	int waiting;            /* retry_ev or write_ev is scheduled */

	/* Pending records, whole, in buf[start, end); the first has head_done bytes written. */
	char *buf;
	size_t buf_cap, start, end, head_done;
	/* Their lengths, a ring of lens_cap (a power of two) entries from lens_head. */
	size_t *lens;
	size_t lens_cap, lens_head, n_records;
	size_t max_records, max_bytes;

	int failing;     /* a write failed and the queue has not drained since */
	int fail_logged; /* ... and that was logged, so the recovery is logged too */
	int last_errno;
	uint64_t last_attempt_ms;
	uint64_t next_report_ms;
	uint64_t dropped_at_report;
	int unlinked; /* the open file was removed and could not be made again (reported) */
	struct output_counters counters;
};

/* ---- the queue: bytes plus record lengths ---- */

static size_t output_len_at(const struct output *o, size_t i)
{
	return o->lens[(o->lens_head + i) & (o->lens_cap - 1)];
}

static int output_lens_push(struct output *o, size_t len)
{
	if (o->n_records == o->lens_cap) {
		size_t cap = o->lens_cap ? o->lens_cap * 2 : OUTPUT_LENS_MIN;
		size_t *lens = calloc(cap, sizeof(*lens));
		if (lens == NULL)
			return -1;
		for (size_t i = 0; i < o->n_records; i++)
			lens[i] = output_len_at(o, i);
		free(o->lens);
		o->lens = lens;
		o->lens_cap = cap;
		o->lens_head = 0;
	}
	o->lens[(o->lens_head + o->n_records) & (o->lens_cap - 1)] = len;
	o->n_records++;
	return 0;
}

static void output_lens_pop(struct output *o)
{
	o->lens_head = (o->lens_head + 1) & (o->lens_cap - 1);
	o->n_records--;
}

/* Makes room for len more bytes at buf + end: slides the pending bytes to the front, else grows
 * the buffer (never past max_bytes once it is that large). */
static int output_reserve(struct output *o, size_t len)
{
	if (o->buf_cap - o->end >= len)
		return 0;
	size_t used = o->end - o->start;
	if (o->start > 0) {
		memmove(o->buf, o->buf + o->start, used);
		o->start = 0;
		o->end = used;
		if (o->buf_cap - used >= len)
			return 0;
	}
	size_t want = o->buf_cap ? o->buf_cap * 2 : OUTPUT_BATCH;
	if (want > o->max_bytes)
		want = o->max_bytes;
	if (want < used + len)
		want = used + len;
	char *buf = realloc(o->buf, want);
	if (buf == NULL)
		return -1;
	o->buf = buf;
	o->buf_cap = want;
	return 0;
}

static int output_fits(const struct output *o, size_t len)
{
	return o->n_records < o->max_records && len <= o->max_bytes - (o->end - o->start);
}

static int output_append(struct output *o, const char *line, size_t len)
{
	if (output_reserve(o, len) < 0 || output_lens_push(o, len) < 0)
		return -1;
	memcpy(o->buf + o->end, line, len);
	o->end += len;
	return 0;
}

/* Marks n more bytes written: whole records leave the queue, a torn one stays first. */
static void output_consume(struct output *o, size_t n)
{
	while (o->n_records > 0) {
		size_t rest = output_len_at(o, 0) - o->head_done;
		if (n < rest) {
			o->head_done += n;
			return;
		}
		n -= rest;
		o->start += output_len_at(o, 0);
		o->head_done = 0;
		output_lens_pop(o);
		o->counters.written++;
	}
}

/* The next write: the rest of the first record plus the whole records after it that fit in one
 * batch. */
static size_t output_batch_len(const struct output *o)
{
	size_t len = output_len_at(o, 0) - o->head_done;
	for (size_t i = 1; i < o->n_records; i++) {
		size_t next = output_len_at(o, i);
		if (len + next > OUTPUT_BATCH)
			break;
		len += next;
	}
	return len;
}

/* An outage can grow the buffers to the queue's bounds; give that memory back once drained. */
static void output_shrink(struct output *o)
{
	o->start = o->end = o->head_done = 0;
	o->lens_head = 0;
	if (o->buf_cap > 4 * OUTPUT_BATCH) {
		char *buf = realloc(o->buf, OUTPUT_BATCH);
		if (buf != NULL) {
			o->buf = buf;
			o->buf_cap = OUTPUT_BATCH;
		}
	}
	if (o->lens_cap > 64 * OUTPUT_LENS_MIN) {
		free(o->lens);
		o->lens = NULL;
		o->lens_cap = 0;
	}
}

/* ---- reporting: one line per OUTPUT_REPORT_MS at most ---- */

static void output_report(struct output *o)
{
	uint64_t now = clock_now_ms();
	if (now < o->next_report_ms)
		return;
	uint64_t dropped = o->counters.dropped - o->dropped_at_report;
	o->next_report_ms = now + OUTPUT_REPORT_MS;
	o->dropped_at_report = o->counters.dropped;
	if (o->failing) {
		log_warnx("%s: write failed: %s; %zu records queued, %" PRIu64
		          " dropped since last report",
		          o->label, strerror(o->last_errno), o->n_records, dropped);
		o->fail_logged = 1;
	} else {
		log_warnx("%s: %" PRIu64
		          " records dropped since last report (over the queue's byte "
		          "bound, or out of memory)",
		          o->label, dropped);
	}
}

/* The queue drained after a failure. Logged when the failure was (a failure and its recovery
 * within one report interval stay quiet), or when drops are still unreported. */
static void output_recovered(struct output *o)
{
	uint64_t dropped = o->counters.dropped - o->dropped_at_report;
	if (o->fail_logged || dropped > 0) {
		log_info("%s: writing again; %" PRIu64 " records dropped since last report",
		         o->label, dropped);
		o->dropped_at_report = o->counters.dropped;
	}
	o->failing = 0;
	o->fail_logged = 0;
}

static void output_drop(struct output *o)
{
	o->counters.dropped++;
	output_report(o);
}

/* ---- writing ---- */

/* Writes pending records until none is left or a write fails. Returns 0, or the errno. */
/* One write that never blocks the event loop on a stdout socket or pipe. */
static ssize_t output_sys_write(const struct output *o, const char *p, size_t len)
{
	if (o->is_socket)
		return send(o->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(o->fd, p, len);
}

/* Standard output must never stall the loop: a pipe or FIFO is reopened through /proc with
 * O_NONBLOCK (a file description of our own, so whoever shares the pipe is not affected); a
 * socket (journald's stream under systemd) is written with MSG_DONTWAIT. A terminal or a
 * regular file is written as it is. */
static int output_stdout_fd(struct output *o)
{
	struct stat sb;
	if (fstat(STDOUT_FILENO, &sb) != 0)
		return STDOUT_FILENO;
	if (S_ISFIFO(sb.st_mode)) {
		int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			o->own_stdout = 1;
			return fd;
		}
	}
	o->is_socket = S_ISSOCK(sb.st_mode);
	return STDOUT_FILENO;
}

static int output_write_pending(struct output *o)
{
	if (o->failing && o->n_records > 0) {
		o->counters.retries++;
		o->last_attempt_ms = clock_now_ms();
	}
	while (o->n_records > 0) {
		size_t len = output_batch_len(o);
		ssize_t n = output_sys_write(o, o->buf + o->start + o->head_done, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* write(2) returns 0 only for a zero count; never spin on it. */
			int err = n < 0 ? errno : EIO;
			o->counters.write_errors++;
			return err == EWOULDBLOCK ? EAGAIN : err;
		}
		/* A short write leaves the torn record first: its tail goes out next. */
		output_consume(o, (size_t)n);
	}
	output_shrink(o);
	if (o->failing)
		output_recovered(o);
	return 0;
}

static void output_retry_cb(evutil_socket_t fd, short what, void *arg);

/* EAGAIN: a pipe or socket is full; wait until it takes data again (or the retry interval). */
static int output_wait_writable(struct output *o, const struct timeval *tv)
{
	if (o->write_ev == NULL)
		o->write_ev = event_new(o->base, o->fd, EV_WRITE, output_retry_cb, o);
	if (o->write_ev == NULL)
		return -1;
	return event_add(o->write_ev, tv);
}

static void output_failed(struct output *o, int err)
{
	struct timeval tv = clock_tv(OUTPUT_RETRY_MS);
	o->failing = 1;
	o->last_errno = err;
	o->last_attempt_ms = clock_now_ms();
	event_del(o->flush_ev);
	if (!o->waiting) {
		if (err == EAGAIN && output_wait_writable(o, &tv) == 0)
			o->waiting = 1;
		else if (evtimer_add(o->retry_ev, &tv) == 0)
			o->waiting = 1;
	}
	/* A full pipe is flow control: reported only when it costs records. */
	if (err != EAGAIN)
		output_report(o);
}

static void output_drain(struct output *o)
{
	event_del(o->flush_ev);
	int err = output_write_pending(o);
	if (err != 0)
		output_failed(o, err);
}

static void output_arm_flush(struct output *o)
{
	if (o->n_records == 0 || o->waiting || evtimer_pending(o->flush_ev, NULL))
		return;
	struct timeval tv = clock_tv(OUTPUT_FLUSH_MS);
	evtimer_add(o->flush_ev, &tv);
}

static void output_cancel_wait(struct output *o)
{
	event_del(o->retry_ev);
	if (o->write_ev != NULL)
		event_del(o->write_ev);
	o->waiting = 0;
}

static void output_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct output *o = arg;
	(void)fd;
	(void)what;
	output_cancel_wait(o);
	output_drain(o);
}

static void output_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	output_drain(arg);
}

/* ---- opening ---- */

/* O_NONBLOCK: no effect on a regular file; on a FIFO it keeps open(2) from waiting for a reader
 * and a stalled reader from stalling the event loop (EAGAIN then waits for EV_WRITE). It is our
 * own open file description, so nobody else sees the flag. Still root (no `user:`), the daemon
 * does not follow a symlink: whoever can write to the output's directory could otherwise point
 * root's appends at any file. */
static int output_open_path(const char *path)
{
	int nofollow = geteuid() == 0 ? O_NOFOLLOW : 0;
	int fd =
	    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | nofollow, 0640);
	if (fd < 0 && errno == ELOOP && nofollow)
		log_errorx(
		    "%s is a symbolic link: running as root, esatlsd does not follow it (set "
		    "'user:' or name the file itself)",
		    path);
	return fd;
}

/* Makes the directory of path again (one level, mode 0750) after it was removed. */
static void output_make_directory(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return;
	char *dir = strndup(path, (size_t)(slash - path));
	if (dir != NULL && mkdir(dir, 0750) == 0)
		log_warnx("%s: made its directory %s again", path, dir);
	free(dir);
}

static size_t output_max_bytes(uint32_t queue)
{
	uint64_t bytes = (uint64_t)queue * OUTPUT_QUEUE_BYTES_PER_RECORD + OUTPUT_QUEUE_BYTES_BASE;
	return bytes > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)bytes;
}

struct output *output_open(const struct output_config *cfg, struct event_base *base)
{
	if (cfg->file == NULL || cfg->file[0] == '\0') {
		log_warnx("output: no file given");
		return NULL;
	}
	struct output *o = calloc(1, sizeof(*o));
	if (o == NULL || (o->cfg.file = strdup(cfg->file)) == NULL) {
		log_warn("output %s", cfg->file);
		free(o);
		return NULL;
	}
	o->cfg.verdicts = cfg->verdicts;
	o->cfg.types = cfg->types ? cfg->types : DEFAULT_RECORD_TYPES;
	o->cfg.queue = cfg->queue;
	o->base = base;
	o->is_stdout = strcmp(cfg->file, "-") == 0;
	o->label = o->is_stdout ? "standard output" : o->cfg.file;
	/* A queue of 0 still holds the record being written. */
	o->max_records = cfg->queue > 0 ? cfg->queue : 1;
	o->max_bytes = output_max_bytes(cfg->queue);
	o->fd = o->is_stdout ? output_stdout_fd(o) : output_open_path(cfg->file);
	if (o->fd < 0) {
		log_warn("cannot open %s", cfg->file);
		goto fail;
	}
	o->flush_ev = evtimer_new(base, output_flush_cb, o);
	o->retry_ev = evtimer_new(base, output_retry_cb, o);
	if (o->flush_ev == NULL || o->retry_ev == NULL) {
		log_warnx("%s: cannot create its events", o->label);
		goto fail;
	}
	return o;
fail:
	output_close(o);
	return NULL;
}

void output_update(struct output *o, const struct output_config *cfg)
{
	o->cfg.verdicts = cfg->verdicts;
	o->cfg.types = cfg->types ? cfg->types : DEFAULT_RECORD_TYPES;
	o->cfg.queue = cfg->queue;
	o->max_records = cfg->queue > 0 ? cfg->queue : 1;
	o->max_bytes = output_max_bytes(cfg->queue);
}

void output_record(struct output *o, enum verdict_kind kind, const char *line, size_t len)
{
	if ((unsigned)kind < VERDICT_KIND_COUNT && (o->cfg.verdicts & (1u << kind)))
		output_typed(o, RECORD_CONNECTION, line, len);
}

void output_typed(struct output *o, enum record_type type, const char *line, size_t len)
{
	if ((unsigned)type >= RECORD_TYPE_COUNT || !(o->cfg.types & (1u << type)) || len == 0)
		return;
	o->counters.records++;
	/* A batch that this record would overfill goes out first, in one write. */
	size_t unwritten = o->end - o->start - o->head_done;
	if (!o->waiting && unwritten > 0 &&
	    (unwritten + len > OUTPUT_BATCH || !output_fits(o, len)))
		output_drain(o);
	/* Full: the newest record goes, so the queue keeps its order. */
	if (!output_fits(o, len) || output_append(o, line, len) < 0) {
		output_drop(o);
		return;
	}
	if (!o->waiting && o->end - o->start >= OUTPUT_BATCH)
		output_drain(o);
	output_arm_flush(o);
}

int output_flush(struct output *o)
{
	if (o->n_records > 0 &&
	    (!o->waiting || clock_now_ms() - o->last_attempt_ms >= OUTPUT_FLUSH_RETRY_MS)) {
		output_cancel_wait(o);
		output_drain(o);
	}
	return o->n_records > 0 ? -1 : 0;
}

/* A record torn by a short write must not continue in the new file: finish it in the old one,
 * or else write it again whole in the new one (the old file then ends in a fragment). */
static void output_settle_torn(struct output *o)
{
	if (o->head_done == 0)
		return;
	size_t rest = output_len_at(o, 0) - o->head_done;
	while (rest > 0) {
		ssize_t n = output_sys_write(o, o->buf + o->start + o->head_done, rest);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		o->head_done += (size_t)n;
		rest -= (size_t)n;
	}
	if (rest == 0)
		output_consume(o, 0);
	else
		o->head_done = 0;
}

int output_reopen(struct output *o)
{
	if (o->is_stdout)
		return 0;
	int fd = output_open_path(o->cfg.file);
	if (fd < 0) {
		log_warn("cannot reopen %s", o->cfg.file);
		return -1;
	}
	output_settle_torn(o);
	output_cancel_wait(o);
	if (o->write_ev != NULL) {
		event_free(o->write_ev);
		o->write_ev = NULL;
	}
	close(o->fd);
	o->fd = fd;
	o->counters.reopens++;
	output_drain(o);
	return 0;
}

int output_check(struct output *o)
{
	struct stat sb;
	if (o->is_stdout || o->fd < 0 || fstat(o->fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_nlink > 0) {
		o->unlinked = 0;
		return 0;
	}
	/* Removed under us: records would go on into a file nobody can open. */
	output_make_directory(o->cfg.file);
	int fd = output_open_path(o->cfg.file);
	if (fd >= 0) {
		close(fd);
		log_warnx("%s was removed; writing to a new one", o->cfg.file);
		o->unlinked = 0;
		return output_reopen(o);
	}
	if (!o->unlinked) {
		o->unlinked = 1;
		o->counters.unlinked++;
		log_errorx("%s was removed and cannot be made again (%s): its records go nowhere "
		           "until it can",
		           o->cfg.file, strerror(errno));
	}
	return -1;
}

const char *output_name(const struct output *o)
{
	return o->cfg.file;
}

size_t output_pending(const struct output *o)
{
	return o->n_records;
}

const struct output_counters *output_counters(const struct output *o)
{
	return &o->counters;
}

void output_close(struct output *o)
{
	if (o == NULL)
		return;
	if (o->fd >= 0 && o->n_records > 0 && output_write_pending(o) != 0)
		log_warnx("%s: %zu records not written at close", o->label, o->n_records);
	if (o->flush_ev != NULL)
		event_free(o->flush_ev);
	if (o->retry_ev != NULL)
		event_free(o->retry_ev);
	if (o->write_ev != NULL)
		event_free(o->write_ev);
	if (o->fd >= 0 && (!o->is_stdout || o->own_stdout))
		close(o->fd);
	free(o->buf);
	free(o->lens);
	free(o->cfg.file);
	free(o);
}
