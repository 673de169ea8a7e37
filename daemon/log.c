#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define LOG_MSG_MAX 1024               /* bytes of one formatted message */
#define LOG_LINE_MAX (LOG_MSG_MAX * 4) /* room for every byte escaped as \xNN */

static const char *log_progname = "esatlsd";
static int log_verbosity;
static FILE *log_stream; /* NULL: stderr, looked up at each write (tests redirect fd 2) */
static int log_journal;
static uint64_t (*log_clock)(void) = clock_now_ms;
static struct log_limit *log_listed; /* limiters holding lines */

/* Digits only up to stop (no sign, no space), within uintmax_t; *end is left at stop. */
static int log_parse_decimal(const char *s, char stop, uintmax_t *out, const char **end)
{
	uintmax_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINTMAX_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (p == s || *p != stop)
		return -1;
	*out = v;
	*end = p;
	return 0;
}

int log_is_journal(const char *journal_stream, int fd)
{
	uintmax_t dev, ino;
	const char *p;
	if (journal_stream == NULL || log_parse_decimal(journal_stream, ':', &dev, &p) != 0 ||
	    log_parse_decimal(p + 1, '\0', &ino, &p) != 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void log_init(const char *progname, int verbosity)
{
	if (progname != NULL) {
		const char *slash = strrchr(progname, '/');
		log_progname = slash ? slash + 1 : progname;
	}
	log_verbosity = verbosity;
	int saved = errno;
	log_journal = log_is_journal(getenv("JOURNAL_STREAM"), STDERR_FILENO);
	errno = saved;
}

void log_set_stream(FILE *fp, int journal)
{
	log_stream = fp;
	log_journal = journal;
}

void log_set_clock(uint64_t (*now_ms)(void))
{
	log_clock = now_ms != NULL ? now_ms : clock_now_ms;
}

int log_enabled(enum log_level level)
{
	return (int)level <= (int)LOG_LEVEL_INFO + log_verbosity;
}

/* ---- writing one line ---- */

static const char *log_level_word(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error: ";
	case LOG_LEVEL_WARNING:
		return "warning: ";
	case LOG_LEVEL_INFO:
		return "";
	case LOG_LEVEL_DEBUG:
		return "debug: ";
	}
	return "";
}

/* Appends msg with control bytes as \xNN: whatever a message carries, it stays one line. */
static size_t log_append_escaped(char *out, size_t pos, size_t cap, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			if (pos + 1 >= cap)
				break;
			out[pos++] = (char)*p;
		} else {
			if (pos + 4 >= cap)
				break;
			out[pos++] = '\\';
			out[pos++] = 'x';
			out[pos++] = hex[*p >> 4];
			out[pos++] = hex[*p & 15];
		}
	}
	return pos;
}

/* One whole line per write, so concurrent writers to the journal never interleave mid-line.
 * word overrides the level's word ("fatal: "); the journal form keeps only such an override,
 * since the priority already says the level. */
static void log_write(enum log_level level, const char *word, const char *msg)
{
	char line[LOG_LINE_MAX];
	int n;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>%s", (int)level, word != NULL ? word : "");
	else
		n = snprintf(line, sizeof(line), "%s: %s", log_progname,
		             word != NULL ? word : log_level_word(level));
	size_t pos = n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0;
	pos = log_append_escaped(line, pos, sizeof(line) - 1, msg);
	line[pos++] = '\n';
	FILE *fp = log_stream != NULL ? log_stream : stderr;
	fwrite(line, 1, pos, fp);
	fflush(fp);
}

/* The message as the line shows it: fmt's text, then ": strerror" for log_warn and fatal. */
static void log_format(char *msg, size_t cap, int with_errno, int saved, const char *fmt,
                       va_list ap)
{
	int n = vsnprintf(msg, cap, fmt, ap);
	if (n < 0)
		msg[0] = '\0';
	if (with_errno) {
		size_t len = strlen(msg);
		snprintf(msg + len, cap - len, ": %s", strerror(saved));
	}
}

static void log_emit(enum log_level level, const char *word, int with_errno, int saved,
                     const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	log_format(msg, sizeof(msg), with_errno, saved, fmt, ap);
	log_write(level, word, msg);
}

/* The body of each printf-like entry point: errno is kept, as the callers expect. */
#define LOG_EMIT_ARGS(level, word, with_errno, fmt)                                                \
	do {                                                                                       \
		int saved_ = errno;                                                                \
		va_list ap_;                                                                       \
		va_start(ap_, fmt);                                                                \
		log_emit(level, word, with_errno, saved_, fmt, ap_);                               \
		va_end(ap_);                                                                       \
		errno = saved_;                                                                    \
	} while (0)

void log_warn(const char *fmt, ...)
{
	if (log_enabled(LOG_LEVEL_WARNING))
		LOG_EMIT_ARGS(LOG_LEVEL_WARNING, NULL, 1, fmt);
}

void log_warnx(const char *fmt, ...)
{
	if (log_enabled(LOG_LEVEL_WARNING))
		LOG_EMIT_ARGS(LOG_LEVEL_WARNING, NULL, 0, fmt);
}

void log_info(const char *fmt, ...)
{
	if (log_enabled(LOG_LEVEL_INFO))
		LOG_EMIT_ARGS(LOG_LEVEL_INFO, NULL, 0, fmt);
}

void log_debug(const char *fmt, ...)
{
	if (log_enabled(LOG_LEVEL_DEBUG))
		LOG_EMIT_ARGS(LOG_LEVEL_DEBUG, NULL, 0, fmt);
}

void fatal(const char *fmt, ...)
{
	LOG_EMIT_ARGS(LOG_LEVEL_ERROR, "fatal: ", 1, fmt);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_EMIT_ARGS(LOG_LEVEL_ERROR, "fatal: ", 0, fmt);
	exit(1);
}

void log_fatalx(const char *fmt, ...)
{
	LOG_EMIT_ARGS(LOG_LEVEL_ERROR, "fatal: ", 0, fmt);
}

void log_errorx(const char *fmt, ...)
{
	LOG_EMIT_ARGS(LOG_LEVEL_ERROR, NULL, 0, fmt);
}

/* ---- the limiter's decisions ---- */

static unsigned limit_default_burst = LOG_LIMIT_BURST;
static uint64_t limit_default_window_ms = LOG_LIMIT_WINDOW_MS;

void log_set_limit_defaults(unsigned burst, uint64_t window_ms)
{
	limit_default_burst = burst != 0 ? burst : LOG_LIMIT_BURST;
	limit_default_window_ms = window_ms != 0 ? window_ms : LOG_LIMIT_WINDOW_MS;
}

static unsigned log_limit_burst(const struct log_limit *l)
{
	return l->burst != 0 ? l->burst : limit_default_burst;
}

static uint64_t log_limit_window(const struct log_limit *l)
{
	return l->window_ms != 0 ? l->window_ms : limit_default_window_ms;
}

/* A clock that went backwards (a test's, say) ends the window rather than stretching it. */
static int log_limit_ended(const struct log_limit *l, uint64_t now_ms)
{
	return now_ms < l->start_ms || now_ms - l->start_ms >= log_limit_window(l);
}

static void log_limit_close(struct log_limit *l, uint64_t now_ms, struct log_limit_summary *s)
{
	s->held = l->held;
	s->elapsed_ms = now_ms >= l->start_ms ? now_ms - l->start_ms : 0;
	l->open = 0;
	l->shown = 0;
	l->held = 0;
}

int log_limit_due(struct log_limit *l, uint64_t now_ms, struct log_limit_summary *ended)
{
	*ended = (struct log_limit_summary){0, 0};
	if (!l->open || !log_limit_ended(l, now_ms))
		return 0;
	log_limit_close(l, now_ms, ended);
	return ended->held > 0;
}

int log_limit_admit(struct log_limit *l, uint64_t now_ms, struct log_limit_summary *ended)
{
	log_limit_due(l, now_ms, ended);
	if (!l->open) {
		l->open = 1;
		l->start_ms = now_ms;
	}
	if (l->shown < log_limit_burst(l)) {
		l->shown++;
		return 1;
	}
	l->held++;
	return 0;
}

/* ---- limited lines ---- */

static void log_list_add(struct log_limit *l)
{
	if (l->listed)
		return;
	l->listed = 1;
	l->next = log_listed;
	log_listed = l;
}

static void log_list_remove(struct log_limit *l)
{
	if (!l->listed)
		return;
	for (struct log_limit **pp = &log_listed; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	l->listed = 0;
	l->next = NULL;
}

/* Copies at most cap - 1 bytes of msg, not cutting a UTF-8 sequence in two. */
static void log_keep_text(char *dst, size_t cap, const char *msg)
{
	size_t len = strlen(msg);
	if (len >= cap) {
		len = cap - 1;
		while (len > 0 && ((unsigned char)msg[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, msg, len);
	dst[len] = '\0';
}

static void log_summary(const struct log_limit *l, const struct log_limit_summary *s)
{
	char msg[LOG_MSG_MAX];
	uint64_t seconds = (s->elapsed_ms + 500) / 1000;
	snprintf(msg, sizeof(msg), "%s (%" PRIu64 " more like this in the last %" PRIu64 " s)",
	         l->held_text, s->held, seconds > 0 ? seconds : 1);
	if (log_enabled(l->held_level))
		log_write(l->held_level, NULL, msg);
}

static int log_limited(struct log_limit *l, enum log_level level, int with_errno, const char *fmt,
                       va_list ap)
{
	int saved = errno;
	if (!log_enabled(level))
		return 0;
	struct log_limit_summary ended;
	int show = log_limit_admit(l, log_clock(), &ended);
	if (ended.held > 0) {
		log_summary(l, &ended);
		log_list_remove(l);
	}
	/* In a flood most lines are only counted: only a written or first held one is formatted. */
	if (!show && l->held != 1) {
		errno = saved;
		return 0;
	}
	char msg[LOG_MSG_MAX];
	log_format(msg, sizeof(msg), with_errno, saved, fmt, ap);
	if (show) {
		log_write(level, NULL, msg);
	} else if (l->held == 1) {
		log_keep_text(l->held_text, sizeof(l->held_text), msg);
		l->held_level = level;
		log_list_add(l);
	}
	errno = saved;
	return show;
}

int log_limit_warn(struct log_limit *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int shown = log_limited(l, LOG_LEVEL_WARNING, 1, fmt, ap);
	va_end(ap);
	return shown;
}

int log_limit_warnx(struct log_limit *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int shown = log_limited(l, LOG_LEVEL_WARNING, 0, fmt, ap);
	va_end(ap);
	return shown;
}

int log_limit_info(struct log_limit *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int shown = log_limited(l, LOG_LEVEL_INFO, 0, fmt, ap);
	va_end(ap);
	return shown;
}

void log_tick(void)
{
	int saved = errno;
	uint64_t now = log_clock();
	struct log_limit **pp = &log_listed;
	while (*pp != NULL) {
		struct log_limit *l = *pp;
		struct log_limit_summary ended;
		if (log_limit_due(l, now, &ended)) {
			log_summary(l, &ended);
			*pp = l->next;
			l->listed = 0;
			l->next = NULL;
		} else {
			pp = &l->next;
		}
	}
	errno = saved;
}

void log_limit_flush(struct log_limit *l)
{
	int saved = errno;
	if (l->open) {
		struct log_limit_summary s;
		log_limit_close(l, log_clock(), &s);
		if (s.held > 0)
			log_summary(l, &s);
	}
	log_list_remove(l);
	errno = saved;
}

void log_flush(void)
{
	while (log_listed != NULL)
		log_limit_flush(log_listed);
}
