#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hook_exec.h"
#include "clock.h"
#include "jobqueue.h"
#include "log.h"

#define EXEC_GRACE_MS 2000         /* SIGTERM to SIGKILL */
#define EXEC_STDERR_MAX 4096       /* stderr bytes kept per run; the rest is read and dropped */
#define EXEC_STDERR_DRAIN 16       /* reads of stderr per callback */
#define EXEC_STDERR_LINES 20       /* stderr lines logged per run */
#define EXEC_STDERR_LINE_SHOWN 400 /* escaped bytes shown of one stderr line */
#define EXEC_STDERR_RUNS_SHOWN 2   /* runs per log window whose stderr is logged */

/* Everything a hook inherits from the daemon's environment: the rest (NOTIFY_SOCKET,
 * WATCHDOG_*, whatever the service manager set) stays with the daemon. */
static const char exec_path_env[] = "PATH=/usr/bin:/bin";

/* Kinds of log lines that come once per alert, each rate-limited on its own per hook. */
enum exec_log_kind {
	EXEC_LOG_SPAWN,
	EXEC_LOG_EXIT,
	EXEC_LOG_SIGNAL,
	EXEC_LOG_TIMEOUT,
	EXEC_LOG_STDERR,
	EXEC_LOG_DROP,
	EXEC_LOG_WAIT,
	EXEC_LOG_COUNT
};

/* One alert, copied in one allocation: the JSON for stdin (the queue's copy) and the
 * environment, ready for posix_spawn; the variables' strings follow the JSON. */
struct exec_job {
	struct job base;
	struct exec_child *child;        /* while it holds a slot and its child runs */
	char *envp[ALERT_ENV_COUNT + 2]; /* PATH, the alert's variables, NULL */
};

enum exec_stop { EXEC_RUNNING, EXEC_TERM_SENT, EXEC_KILL_SENT };

struct exec_child {
	struct exec_runner *r;
	struct exec_job *job;
	pid_t pid; /* also its process group */
	uint64_t started_ms;
	uint64_t timeout_ms;
	enum exec_stop stop;

	int pidfd;
	struct event *exit_ev;
	struct event *timer_ev; /* the timeout, then the grace */

	int in_fd; /* -1 once the JSON is written or the child stopped reading */
	struct event *in_ev;
	size_t in_done;

	int err_fd; /* -1 at end of file */
	struct event *err_ev;
	size_t err_len;
	uint64_t err_dropped;
	char err_buf[EXEC_STDERR_MAX];
};

struct exec_runner {
	struct event_base *base;
	char *name;
	char **argv;
	uint64_t timeout_ms;
	struct jobqueue q; /* a running job has its child */

	struct exec_counters counters;
	struct log_limit limits[EXEC_LOG_COUNT];
};

/* ---- rate-limited logging ---- */

/* Summaries of what the limiters still hold: before the runner goes. */
static void exec_log_flush(struct exec_runner *r)
{
	for (int k = 0; k < EXEC_LOG_COUNT; k++)
		log_limit_flush(&r->limits[k]);
}

/* ---- configuration and jobs ---- */

static void exec_argv_free(char **argv)
{
	for (size_t i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static char **exec_argv_copy(const struct hook_config *cfg)
{
	if (cfg->argv == NULL || cfg->argc == 0 || cfg->argv[0] == NULL)
		return NULL;
	char **argv = calloc(cfg->argc + 1, sizeof(*argv));
	if (argv == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->argc; i++) {
		if (cfg->argv[i] == NULL || (argv[i] = strdup(cfg->argv[i])) == NULL) {
			exec_argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

static void exec_take_limits(struct exec_runner *r, const struct hook_config *cfg)
{
	r->timeout_ms = cfg->timeout_ms;
	jobqueue_set_limits(&r->q, cfg->max_concurrent, cfg->queue);
}

static int exec_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Copies s to dst without control bytes (the dispatcher removed them already; an environment
 * value is no place for them, so a caller that slips stays harmless). Returns the end. */
static char *exec_copy_env(char *dst, const char *s)
{
	for (; *s != '\0'; s++)
		if (!exec_is_control((unsigned char)*s))
			*dst++ = *s;
	*dst++ = '\0';
	return dst;
}

static struct exec_job *exec_job_new(const struct alert *a)
{
	size_t size = 0;
	for (int i = 0; i < ALERT_ENV_COUNT; i++)
		if (a->env[i] != NULL)
			size += strlen(a->env[i]) + 1;
	struct exec_job *j = jobqueue_job_new(sizeof(*j), a->json, a->len, size);
	if (j == NULL)
		return NULL;
	char *p = (char *)j->base.json + j->base.len;
	size_t n = 0;
	j->envp[n++] = (char *)exec_path_env;
	for (int i = 0; i < ALERT_ENV_COUNT; i++) {
		if (a->env[i] == NULL)
			continue;
		j->envp[n++] = p;
		p = exec_copy_env(p, a->env[i]);
	}
	j->envp[n] = NULL;
	return j;
}

/* ---- the child's end: stderr, exit status ---- */

static void exec_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void exec_free_event(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

static void exec_stdin_done(struct exec_child *c)
{
	exec_free_event(&c->in_ev);
	exec_close_fd(&c->in_fd);
}

static void exec_stderr_done(struct exec_child *c)
{
	exec_free_event(&c->err_ev);
	exec_close_fd(&c->err_fd);
}

/* Reads what the child wrote to stderr, at most reads times: the first EXEC_STDERR_MAX bytes are
 * kept, the rest is read and counted, so a chatty child never stalls on a full pipe, and a
 * writer as fast as we are cannot hold the event loop here. */
static void exec_read_stderr(struct exec_child *c, int reads)
{
	char sink[4096];
	while (c->err_fd >= 0 && reads-- > 0) {
		int keep = c->err_len < sizeof(c->err_buf);
		char *dst = keep ? c->err_buf + c->err_len : sink;
		size_t cap = keep ? sizeof(c->err_buf) - c->err_len : sizeof(sink);
		ssize_t n = read(c->err_fd, dst, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			exec_stderr_done(c);
			return;
		}
		if (keep)
			c->err_len += (size_t)n;
		else
			c->err_dropped += (uint64_t)n;
	}
}

static void exec_stderr_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	exec_read_stderr(arg, EXEC_STDERR_DRAIN);
}

/* One stderr line, control bytes and backslashes escaped, cut at EXEC_STDERR_LINE_SHOWN. */
static void exec_escape_line(char *out, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (o + 8 >= cap) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (exec_is_control(ch)) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

static void exec_log_stderr(struct exec_child *c)
{
	struct exec_runner *r = c->r;
	if (c->err_len == 0)
		return;
	char line[EXEC_STDERR_LINE_SHOWN + 8];
	size_t pos = 0, shown = 0;
	while (pos < c->err_len && shown < EXEC_STDERR_LINES) {
		const char *s = c->err_buf + pos;
		const char *nl = memchr(s, '\n', c->err_len - pos);
		size_t len = nl != NULL ? (size_t)(nl - s) : c->err_len - pos;
		pos += len + (nl != NULL);
		exec_escape_line(line, sizeof(line), s, len);
		/* The run's first line stands for the whole run in the limiter. */
		if (shown == 0) {
			if (!log_limit_info(&r->limits[EXEC_LOG_STDERR], "hook %s: stderr: %s",
			                    r->name, line))
				return;
		} else {
			log_info("hook %s: stderr: %s", r->name, line);
		}
		shown++;
	}
	uint64_t rest = (uint64_t)(c->err_len - pos) + c->err_dropped;
	if (rest > 0)
		log_info("hook %s: stderr: %" PRIu64 " more bytes not logged", r->name, rest);
}

static void exec_log_status(struct exec_child *c, int status)
{
	struct exec_runner *r = c->r;
	uint64_t ms = clock_now_ms() - c->started_ms;
	if (c->stop != EXEC_RUNNING) {
		char how[64];
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			snprintf(how, sizeof(how), "stopped by SIGKILL");
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
			snprintf(how, sizeof(how), "stopped by SIGTERM");
		else if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), "then killed by signal %d", WTERMSIG(status));
		else
			snprintf(how, sizeof(how), "then exited with status %d",
			         WEXITSTATUS(status));
		log_limit_warnx(&r->limits[EXEC_LOG_TIMEOUT],
		                "hook %s: timed out after %" PRIu64 " ms; %s", r->name,
		                c->timeout_ms, how);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r->counters.ok++;
		log_debug("hook %s: pid %ld done in %" PRIu64 " ms", r->name, (long)c->pid, ms);
	} else if (WIFEXITED(status)) {
		r->counters.failed++;
		log_limit_warnx(&r->limits[EXEC_LOG_EXIT], "hook %s: exited with status %d",
		                r->name, WEXITSTATUS(status));
	} else {
		r->counters.failed++;
		int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		log_limit_warnx(&r->limits[EXEC_LOG_SIGNAL], "hook %s: killed by signal %d (%s)",
		                r->name, sig, strsignal(sig));
	}
}

/* Frees c and its job, whose slot is free again. */
static void exec_child_free(struct exec_child *c)
{
	jobqueue_done(&c->r->q, &c->job->base);
	exec_stdin_done(c);
	exec_stderr_done(c);
	exec_free_event(&c->exit_ev);
	exec_free_event(&c->timer_ev);
	exec_close_fd(&c->pidfd);
	free(c->job);
	free(c);
}

static void exec_start_queued(struct exec_runner *r);

static void exec_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_child *c = arg;
	struct exec_runner *r = c->r;
	(void)fd;
	(void)what;
	/* The grace of a timed-out hook ends with its leader: what is left of its group goes now,
	 * while the unreaped leader still holds the group's id (it cannot have been reused). */
	if (c->stop != EXEC_RUNNING)
		kill(-c->pid, SIGKILL);
	int status = 0;
	pid_t got;
	do
		got = waitpid(c->pid, &status, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		return; /* not ended after all: the persistent event fires again */
	exec_read_stderr(c, EXEC_STDERR_DRAIN);
	if (got < 0) {
		/* Someone else reaped it (SIGCHLD set to SIG_IGN): the outcome is unknown. */
		log_limit_warn(&r->limits[EXEC_LOG_WAIT], "hook %s: waitpid %ld", r->name,
		               (long)c->pid);
		r->counters.failed++;
	} else {
		exec_log_status(c, status);
	}
	exec_log_stderr(c);
	exec_child_free(c);
	exec_start_queued(r);
}

/* The timeout: SIGTERM to the whole process group, then SIGKILL after the grace. */
static void exec_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_child *c = arg;
	(void)fd;
	(void)what;
	if (c->stop == EXEC_RUNNING) {
		c->r->counters.timeouts++;
		c->stop = EXEC_TERM_SENT;
		kill(-c->pid, SIGTERM);
		struct timeval tv = clock_tv(EXEC_GRACE_MS);
		evtimer_add(c->timer_ev, &tv);
	} else {
		c->stop = EXEC_KILL_SENT;
		kill(-c->pid, SIGKILL);
	}
}

/* ---- the child's start ---- */

/* Writes the JSON to the child's stdin as far as the pipe takes it. A child that exits or closes
 * stdin without reading is its own business (EPIPE; SIGPIPE is ignored by the daemon). */
static void exec_write_stdin(struct exec_child *c)
{
	const struct job *j = &c->job->base;
	while (c->in_done < j->len) {
		ssize_t n = write(c->in_fd, j->json + c->in_done, j->len - c->in_done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		c->in_done += (size_t)n;
	}
	exec_stdin_done(c);
}

static void exec_stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	exec_write_stdin(arg);
}

/* Keeps our pipe ends off 0, 1 and 2 (a daemon started with one of them closed), so that the
 * dup2 actions that set up the child's standard descriptors cannot overwrite each other. */
static int exec_fd_above_stdio(int fd)
{
	if (fd < 0 || fd > STDERR_FILENO)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return moved;
}

static int exec_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	fds[0] = exec_fd_above_stdio(fds[0]);
	fds[1] = exec_fd_above_stdio(fds[1]);
	if (fds[0] < 0 || fds[1] < 0) {
		exec_close_fd(&fds[0]);
		exec_close_fd(&fds[1]);
		return -1;
	}
	return 0;
}

static int exec_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* posix_spawn rather than fork: no copy of a large daemon's page tables per alert, and glibc
 * reports a failed execve as the return value (and reaps that child). The child gets its own
 * process group (the timeout kills the group), default signal dispositions and an empty mask
 * (the daemon ignores SIGPIPE), the JSON pipe as stdin, /dev/null as stdout, the stderr pipe,
 * and no other descriptor. Returns 0 or an errno. */
static int exec_spawn(struct exec_runner *r, struct exec_job *j, int in_r, int err_w, pid_t *pid)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	int err = posix_spawnattr_init(&attr);
	if (err != 0)
		return err;
	err = posix_spawn_file_actions_init(&fa);
	if (err != 0) {
		posix_spawnattr_destroy(&attr);
		return err;
	}
	if ((err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
	                                               POSIX_SPAWN_SETSIGMASK)) == 0 &&
	    (err = posix_spawnattr_setpgroup(&attr, 0)) == 0 &&
	    (err = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
	    (err = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (err = posix_spawn_file_actions_adddup2(&fa, in_r, STDIN_FILENO)) == 0 &&
	    (err = posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO)) == 0 &&
	    (err = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY,
	                                            0)) == 0 &&
	    (err = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1)) == 0)
		err = posix_spawn(pid, r->argv[0], &fa, &attr, r->argv, j->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return err;
}

/* Events of a spawned child: its exit (pidfd), stdin, stderr and the timeout. */
static int exec_child_watch(struct exec_child *c)
{
	struct event_base *base = c->r->base;
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd < 0)
		return -1;
	c->exit_ev = event_new(base, c->pidfd, EV_READ | EV_PERSIST, exec_exit_cb, c);
	c->in_ev = event_new(base, c->in_fd, EV_WRITE | EV_PERSIST, exec_stdin_cb, c);
	c->err_ev = event_new(base, c->err_fd, EV_READ | EV_PERSIST, exec_stderr_cb, c);
	c->timer_ev = evtimer_new(base, exec_timer_cb, c);
	if (c->exit_ev == NULL || c->in_ev == NULL || c->err_ev == NULL || c->timer_ev == NULL)
		return -1;
	if (event_add(c->exit_ev, NULL) != 0 || event_add(c->in_ev, NULL) != 0 ||
	    event_add(c->err_ev, NULL) != 0)
		return -1;
	if (c->timeout_ms > 0) {
		struct timeval tv = clock_tv(c->timeout_ms);
		if (evtimer_add(c->timer_ev, &tv) != 0)
			return -1;
	}
	return 0;
}

static void exec_spawn_failed(struct exec_runner *r, const char *what, int err)
{
	r->counters.spawn_errors++;
	log_limit_warnx(&r->limits[EXEC_LOG_SPAWN], "hook %s: %s %s: %s", r->name, what, r->argv[0],
	                strerror(err));
}

/* Ends a child we cannot watch: blocking is brief after SIGKILL. */
static void exec_kill_and_reap(pid_t pid)
{
	kill(-pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Starts the hook for j (taken, holding a slot). A failure is logged and counted; nothing is
 * left behind, the slot is free again. */
static void exec_start(struct exec_runner *r, struct exec_job *j)
{
	struct exec_child *c = calloc(1, sizeof(*c));
	int in[2] = {-1, -1}, err[2] = {-1, -1};
	if (c == NULL || exec_pipe(in) != 0 || exec_pipe(err) != 0 ||
	    exec_set_nonblock(in[1]) != 0 || exec_set_nonblock(err[0]) != 0) {
		exec_spawn_failed(r, "cannot start", errno);
		goto fail;
	}
	pid_t pid;
	int e = exec_spawn(r, j, in[0], err[1], &pid);
	exec_close_fd(&in[0]);
	exec_close_fd(&err[1]);
	if (e != 0) {
		exec_spawn_failed(r, "exec", e);
		goto fail;
	}
	*c = (struct exec_child){.r = r,
	                         .job = j,
	                         .pid = pid,
	                         .started_ms = clock_now_ms(),
	                         .timeout_ms = r->timeout_ms,
	                         .pidfd = -1,
	                         .in_fd = in[1],
	                         .err_fd = err[0]};
	r->counters.runs++;
	j->child = c;
	if (exec_child_watch(c) != 0) {
		exec_spawn_failed(r, "cannot watch", errno);
		exec_kill_and_reap(pid);
		exec_child_free(c);
		return;
	}
	log_debug("hook %s: started pid %ld", r->name, (long)pid);
	exec_write_stdin(c);
	return;
fail:
	exec_close_fd(&in[0]);
	exec_close_fd(&in[1]);
	exec_close_fd(&err[0]);
	exec_close_fd(&err[1]);
	free(c);
	jobqueue_done(&r->q, &j->base);
	free(j);
}

static void exec_start_queued(struct exec_runner *r)
{
	struct job *j;
	while ((j = jobqueue_next(&r->q)) != NULL)
		exec_start(r, (struct exec_job *)j);
}

/* ---- the interface ---- */

struct exec_runner *exec_runner_new(struct event_base *base, const struct hook_config *cfg)
{
	struct exec_runner *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->name = strdup(cfg->name != NULL ? cfg->name : "?")) == NULL ||
	    (r->argv = exec_argv_copy(cfg)) == NULL) {
		log_warnx("hook %s: cannot set up its runner (no program, or out of memory)",
		          cfg->name != NULL ? cfg->name : "?");
		if (r != NULL)
			free(r->name);
		free(r);
		return NULL;
	}
	r->base = base;
	r->limits[EXEC_LOG_STDERR].burst = EXEC_STDERR_RUNS_SHOWN;
	jobqueue_init(&r->q, &r->counters.queue_drops);
	exec_take_limits(r, cfg);
	return r;
}

int exec_runner_submit(struct exec_runner *r, const struct alert *a)
{
	r->counters.submitted++;
	if (!jobqueue_admit(&r->q)) {
		log_limit_warnx(&r->limits[EXEC_LOG_DROP],
		                "hook %s: queue full (%zu waiting); alert dropped", r->name,
		                jobqueue_queued(&r->q));
		return -1;
	}
	struct exec_job *j = exec_job_new(a);
	if (j == NULL) {
		exec_spawn_failed(r, "cannot copy the alert for", ENOMEM);
		return -1;
	}
	jobqueue_push(&r->q, &j->base);
	exec_start_queued(r);
	return 0;
}

void exec_runner_update(struct exec_runner *r, const struct hook_config *cfg)
{
	char **argv = exec_argv_copy(cfg);
	if (argv == NULL) {
		log_warnx("hook %s: cannot take the new configuration; keeping the old", r->name);
		return;
	}
	exec_argv_free(r->argv);
	r->argv = argv;
	exec_take_limits(r, cfg);
	exec_start_queued(r);
}

size_t exec_runner_running(const struct exec_runner *r)
{
	return jobqueue_running(&r->q);
}

size_t exec_runner_queued(const struct exec_runner *r)
{
	return jobqueue_queued(&r->q);
}

const char *exec_runner_name(const struct exec_runner *r)
{
	return r->name;
}

const struct exec_counters *exec_runner_counters(const struct exec_runner *r)
{
	return &r->counters;
}

void exec_runner_close(struct exec_runner *r)
{
	if (r == NULL)
		return;
	size_t killed = jobqueue_running(&r->q);
	struct job *j;
	while ((j = jobqueue_first_running(&r->q)) != NULL) {
		struct exec_child *c = ((struct exec_job *)j)->child;
		exec_kill_and_reap(c->pid);
		exec_child_free(c);
	}
	if (killed > 0)
		log_warnx("hook %s: %zu runs still going at close were killed", r->name, killed);
	size_t lost = jobqueue_drain(&r->q);
	if (lost > 0)
		log_warnx("hook %s: %zu queued alerts lost at close", r->name, lost);
	exec_log_flush(r);
	exec_argv_free(r->argv);
	free(r->name);
	free(r);
}

/* ---- the dispatcher's table ---- */

static void *exec_ops_open(struct event_base *base, const struct hook_config *cfg)
{
	return exec_runner_new(base, cfg);
}

static int exec_ops_submit(void *r, const struct alert *a)
{
	return exec_runner_submit(r, a);
}

static void exec_ops_update(void *r, const struct hook_config *cfg)
{
	exec_runner_update(r, cfg);
}

static size_t exec_ops_running(const void *r)
{
	return exec_runner_running(r);
}

static size_t exec_ops_queued(const void *r)
{
	return exec_runner_queued(r);
}

static void exec_ops_stats(const void *r, struct hook_stats *s)
{
	const struct exec_counters *c = exec_runner_counters(r);
	s->runs = c->runs;
	s->ok = c->ok;
	s->failed = c->failed;
	s->timeouts = c->timeouts;
	s->errors = c->spawn_errors;
	s->queue_drops = c->queue_drops;
}

static void exec_ops_close(void *r)
{
	exec_runner_close(r);
}

const struct hook_runner_ops hook_exec_ops = {
    .kind = "exec",
    .open = exec_ops_open,
    .submit = exec_ops_submit,
    .update = exec_ops_update,
    .running = exec_ops_running,
    .queued = exec_ops_queued,
    .stats = exec_ops_stats,
    .close = exec_ops_close,
};
