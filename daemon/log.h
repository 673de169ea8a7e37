/* The daemon's own log: one line per event on stderr, with levels and rate-limited repeats.
 *
 * In a terminal a line reads "esatlsd: warning: text". When stderr is the journal
 * ($JOURNAL_STREAM names fd 2, systemd.exec(5)) it reads "<4>text": journald takes the
 * "<N>" prefix as the syslog priority (sd-daemon(3)) and adds the program name itself. */
#ifndef ESATLSD_LOG_H
#define ESATLSD_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* Levels, numbered as syslog priorities. */
enum log_level {
	LOG_LEVEL_ERROR = 3,   /* fatal, fatalx: the daemon cannot go on */
	LOG_LEVEL_WARNING = 4, /* log_warn, log_warnx: something failed or was lost */
	LOG_LEVEL_INFO = 6,    /* log_info: start, reload, counters; shown by default */
	LOG_LEVEL_DEBUG = 7,   /* log_debug: shown from verbosity 1 (-v) */
};

/* verbosity: 0 = info and above, 1+ (each -v adds one) = debug too, -1 = warnings and errors
 * only. Also decides, from $JOURNAL_STREAM and fd 2, whether lines carry the journal's "<N>"
 * prefix. */
void log_init(const char *progname, int verbosity);

/* True when a line of this level would be written. */
int log_enabled(enum log_level level);

/* Warning with ": strerror(errno)" appended; errno is preserved by every log function. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Start-up only: log and exit with status 1 (fatal appends strerror). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Error level, and return: log_fatalx writes "fatal: " like fatalx for a start-up failure whose
 * caller cleans up and exits itself; log_errorx ("error: ") is for what the daemon survives
 * but an admin must see, such as a refused reload. */
void log_fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- rate-limited repeats ----
 *
 * A line that can fire once per input, record, alert or connection goes through a limiter: the
 * first `burst` lines of a window are written, the rest are counted, and when the window has
 * ended one line says "<first held line> (N more like this in the last S s)" at the level of
 * the held lines: N counts every held line, so the lines written plus the summaries' N are
 * exactly the calls; S is the time from the window's first line to the summary, in whole
 * seconds. The summary comes with the limiter's next line, from log_tick() (60 s then), or
 * from log_limit_flush(). A zeroed struct is a limiter with the defaults.
 *
 * For a call site, the log_*_limited() macros keep a static limiter of their own. A limiter
 * inside an object (one per hook, say) must get log_limit_flush() before the object is freed:
 * a limiter holding lines is on a list that log_tick() walks. */

#define LOG_LIMIT_BURST 5         /* lines written per window */
#define LOG_LIMIT_WINDOW_MS 60000 /* the window starts at its first line */
#define LOG_LIMIT_TEXT 200        /* bytes kept of the first held line */

struct log_limit {
	unsigned burst;     /* 0: LOG_LIMIT_BURST */
	uint32_t window_ms; /* 0: LOG_LIMIT_WINDOW_MS */

	/* The limiter's own state, all zero at rest. */
	int open; /* a window runs since start_ms */
	uint64_t start_ms;
	unsigned shown; /* lines written in this window */
	uint64_t held;  /* lines counted instead */
	enum log_level held_level;
	int listed; /* on the list of limiters holding lines */
	struct log_limit *next;
	char held_text[LOG_LIMIT_TEXT]; /* the first held line of the window */
};

/* Each returns 1 when the line was written, 0 when it was held back or is below the level. */
int log_limit_warn(struct log_limit *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_limit_warnx(struct log_limit *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int log_limit_info(struct log_limit *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_LIMITED_(fn, ...)                                                                      \
	do {                                                                                       \
		static struct log_limit log_site_limit_;                                           \
		fn(&log_site_limit_, __VA_ARGS__);                                                 \
	} while (0)
#define log_warn_limited(...) LOG_LIMITED_(log_limit_warn, __VA_ARGS__)
#define log_warnx_limited(...) LOG_LIMITED_(log_limit_warnx, __VA_ARGS__)

/* The burst and window of limiters that set none (0 for either: the built-in value). */
void log_set_limit_defaults(unsigned burst, uint64_t window_ms);

/* Writes the summary of every limiter whose window has ended: from the daemon's periodic
 * timer, so that a summary comes even when the flood has stopped. */
void log_tick(void);

/* Writes l's summary now if it holds lines, and forgets its window. */
void log_limit_flush(struct log_limit *l);

/* log_limit_flush() of every limiter holding lines: at exit. */
void log_flush(void);

/* The limiter's decisions, without output or clock (log_limit_* and log_tick use them).
 * admit: 1 when a line at now_ms may be written; 0 when it is to be held (counted). When a
 * window with held lines ended before now_ms, *ended gets its count and length (else zeros),
 * to be summarised before this line. due: 1 when l's window has ended by now_ms with held
 * lines, which *ended then describes; the window is closed either way once ended. */
struct log_limit_summary {
	uint64_t held;
	uint64_t elapsed_ms; /* from the window's first line to the summary */
};
int log_limit_admit(struct log_limit *l, uint64_t now_ms, struct log_limit_summary *ended);
int log_limit_due(struct log_limit *l, uint64_t now_ms, struct log_limit_summary *ended);

/* ---- for tests ---- */

/* True when journal_stream ("DEV:INODE" in decimal, systemd.exec(5)) names fd's file. */
int log_is_journal(const char *journal_stream, int fd);

/* Lines go to fp (NULL: stderr) in the journal form when journal is non-zero. */
void log_set_stream(FILE *fp, int journal);

/* The limiters' clock in milliseconds (NULL: the monotonic clock). */
void log_set_clock(uint64_t (*now_ms)(void));

#endif
