/* exec hooks run for real (posix_spawn of the shell scripts in tests/data/hooks) on a real event
 * base: the child gets exactly the JSON, argv and environment it should and nothing else (no
 * descriptor, no variable, no signal state of ours), timeouts kill the whole process group while
 * the loop keeps serving other events, the concurrency and queue bounds hold and count, outcomes
 * and stderr reach the log (rate-limited), and close leaves no child, zombie or descriptor. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hook_exec.h"
#include "log.h"
#include "support.h"

#ifndef TEST_DATA
#define TEST_DATA "tests/data"
#endif
#define HOOKS TEST_DATA "/hooks"

static char dir[64];
static char logpath[96];
static struct event_base *base;

static const char *const env_names[ALERT_ENV_COUNT] = {
#define ENV_NAME(name, str) str,
    ALERT_ENV(ENV_NAME)
#undef ENV_NAME
};

/* ---- helpers ---- */

/* Log lines go to a file that the tests read: daemon/log.c writes to stderr. */
static void setup(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the daemon does */
	tmpdir_make(dir, sizeof(dir), "check_hook_exec");
	capture_log(dir);
	path_join(logpath, sizeof(logpath), dir, CAPTURED_LOG);
	log_init("esatlsd", 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
}

static void teardown(void)
{
	event_base_free(base);
	free(captured_log());
	tmpdir_remove(dir);
}

/* Files in dir whose name starts with prefix (the hooks name theirs PREFIX.PID). */
static unsigned list_prefixed(const char *prefix, char names[][64], unsigned max)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	unsigned n = 0;
	struct dirent *e;
	size_t plen = strlen(prefix);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, plen) != 0 || e->d_name[plen] != '.')
			continue;
		if (n < max)
			snprintf(names[n], 64, "%.63s", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* The one file PREFIX.PID a single run left; its pid in *pid. */
static char *the_file(const char *prefix, size_t *len, long *pid)
{
	char names[4][64];
	ck_assert_uint_eq(list_prefixed(prefix, names, 4), 1);
	char path[160];
	path_join(path, sizeof(path), dir, names[0]);
	if (pid != NULL)
		*pid = strtol(strchr(names[0], '.') + 1, NULL, 10);
	char *s = slurp(path, len);
	ck_assert_ptr_nonnull(s);
	return s;
}

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Processes whose parent is this one (zombies included). */
static unsigned count_children(void)
{
	DIR *d = opendir("/proc");
	ck_assert_ptr_nonnull(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		char *stat = slurp(path, NULL);
		if (stat == NULL)
			continue;
		const char *p = strrchr(stat, ')');
		char state;
		long ppid;
		if (p != NULL && sscanf(p + 1, " %c %ld", &state, &ppid) == 2 && ppid == getpid())
			n++;
		free(stat);
	}
	closedir(d);
	return n;
}

/* True while pid runs: gone and zombie (reparented to an init that does not reap) are dead. */
static int process_alive(long pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	char *stat = slurp(path, NULL);
	if (stat == NULL)
		return 0;
	const char *p = strrchr(stat, ')');
	int alive = p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	free(stat);
	return alive;
}

/* SIGKILL is delivered asynchronously: a grandchild (not ours to reap) may take a moment. */
static int dead_within(long pid, uint64_t ms)
{
	uint64_t deadline = now_ms() + ms;
	while (process_alive(pid) && now_ms() < deadline)
		usleep(5000);
	return !process_alive(pid);
}

static long pid_in_file(const char *prefix)
{
	char *s = the_file(prefix, NULL, NULL);
	long pid = strtol(s, NULL, 10);
	free(s);
	ck_assert_int_gt(pid, 1);
	return pid;
}

/* An alert with every variable set to NAME=value-of-a-default and a small JSON. */
struct talert {
	struct alert a;
	char env[ALERT_ENV_COUNT][300];
};

static void talert_set(struct talert *t, enum alert_env i, const char *value)
{
	int n = snprintf(t->env[i], sizeof(t->env[i]), "%s=%s", env_names[i], value);
	ck_assert(n > 0 && (size_t)n < sizeof(t->env[i]));
	t->a.env[i] = t->env[i];
}

static void talert_init(struct talert *t, const char *json)
{
	memset(t, 0, sizeof(*t));
	t->a.json = json;
	t->a.len = strlen(json);
	for (int i = 0; i < ALERT_ENV_COUNT; i++)
		talert_set(t, (enum alert_env)i, "");
	talert_set(t, ALERT_ENV_VERDICT, "tls_failed");
	talert_set(t, ALERT_ENV_DIRECTION, "inbound");
	talert_set(t, ALERT_ENV_HOST, "esa1.example.com");
	talert_set(t, ALERT_ENV_CONN_ID, "ICID 123456");
	talert_set(t, ALERT_ENV_PEER_IP, "192.0.2.7");
	talert_set(t, ALERT_ENV_TLS_ERROR, "unsupported protocol");
	talert_set(t, ALERT_ENV_HOOK, "t");
}

static const char default_json[] = "{\"verdict\":\"tls_failed\",\"host\":\"esa1.example.com\"}\n";

static struct hook_config make_cfg(char **argv, uint64_t timeout_ms, uint32_t max_concurrent,
                                   uint32_t queue)
{
	size_t argc = 0;
	while (argv[argc] != NULL)
		argc++;
	struct hook_config cfg = {.name = "t",
	                          .kind = HOOK_EXEC,
	                          .argv = argv,
	                          .argc = argc,
	                          .timeout_ms = timeout_ms,
	                          .max_concurrent = max_concurrent,
	                          .queue = queue};
	return cfg;
}

/* Runs the loop until r is idle or limit_ms passed; a 20 ms timer meanwhile counts its ticks
 * (the loop must keep serving other events while hooks run) and the most children seen. */
struct loop_watch {
	struct exec_runner *r;
	struct event *ev;
	uint64_t deadline;
	unsigned ticks;
	size_t max_running;
};

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_watch *w = arg;
	(void)fd;
	(void)what;
	w->ticks++;
	size_t running = exec_runner_running(w->r);
	if (running > w->max_running)
		w->max_running = running;
	if ((running == 0 && exec_runner_queued(w->r) == 0) || now_ms() > w->deadline)
		event_base_loopbreak(base);
}

static struct loop_watch run_until_idle(struct exec_runner *r, uint64_t limit_ms)
{
	struct loop_watch w = {.r = r, .deadline = now_ms() + limit_ms};
	w.max_running = exec_runner_running(r);
	w.ev = event_new(base, -1, EV_PERSIST, watch_cb, &w);
	struct timeval tv = {0, 20000};
	ck_assert_ptr_nonnull(w.ev);
	event_add(w.ev, &tv);
	event_base_dispatch(base);
	event_free(w.ev);
	w.ev = NULL;
	ck_assert_uint_eq(exec_runner_running(r), 0);
	ck_assert_uint_eq(exec_runner_queued(r), 0);
	return w;
}

/* Closes r and checks that nothing of it is left: no child (zombie or not), no descriptor. */
static void close_and_check(struct exec_runner *r, unsigned fds_before)
{
	exec_runner_close(r);
	ck_assert_uint_eq(count_children(), 0);
	ck_assert_uint_eq(count_fds(), fds_before);
}

static char *hook_path(char *buf, size_t cap, const char *script)
{
	int n = snprintf(buf, cap, "%s/%s", HOOKS, script);
	ck_assert(n > 0 && (size_t)n < cap);
	return buf;
}

/* ---- what the child gets ---- */

START_TEST(test_stdin_env_argv_exact)
{
	unsigned fds = count_fds();
	setenv("FOO", "bar", 1);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	setenv("WATCHDOG_USEC", "30000000", 1);
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "record.sh"), dir, "--team", "mail", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 4, 10);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(exec_runner_name(r), "t");
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_uint_eq(exec_runner_running(r), 1);
	run_until_idle(r, 5000);

	size_t len;
	long pid;
	char *in = the_file("stdin", &len, &pid);
	ck_assert_uint_eq(len, strlen(default_json));
	ck_assert_mem_eq(in, default_json, len);
	free(in);

	char *args = the_file("argv", &len, NULL);
	static const char want_args[] = "--team\0mail\0";
	ck_assert_uint_eq(len, sizeof(want_args) - 1);
	ck_assert_mem_eq(args, want_args, len);
	free(args);

	/* Exactly PATH and the alert's variables, in order: nothing of ours. */
	char want_env[4096];
	size_t w = 0;
	w += (size_t)snprintf(want_env, sizeof(want_env), "PATH=/usr/bin:/bin") + 1;
	for (int i = 0; i < ALERT_ENV_COUNT; i++)
		w += (size_t)snprintf(want_env + w, sizeof(want_env) - w, "%s", t.env[i]) + 1;
	char *env = the_file("env", &len, NULL);
	ck_assert_uint_eq(len, w);
	ck_assert_mem_eq(env, want_env, w);
	ck_assert_ptr_null(memmem(env, len, "FOO", 3));
	ck_assert_ptr_null(memmem(env, len, "NOTIFY_SOCKET", 13));
	free(env);

	const struct exec_counters *c = exec_runner_counters(r);
	ck_assert_uint_eq(c->submitted, 1);
	ck_assert_uint_eq(c->runs, 1);
	ck_assert_uint_eq(c->ok, 1);
	ck_assert_uint_eq(c->failed + c->timeouts + c->spawn_errors + c->queue_drops, 0);
	close_and_check(r, fds);
	char *log = log_so_far();
	ck_assert_str_eq(log, ""); /* a good run is quiet */
	free(log);
}
END_TEST

START_TEST(test_hostile_argv_verbatim)
{
	char pwned[160], prog[256];
	path_join(pwned, sizeof(pwned), dir, "pwned");
	char subst[200], backtick[200], chain[200];
	snprintf(subst, sizeof(subst), "$(touch %s)", pwned);
	snprintf(backtick, sizeof(backtick), "`touch %s`", pwned);
	snprintf(chain, sizeof(chain), "; touch %s; id", pwned);
	char *argv[] = {hook_path(prog, sizeof(prog), "record.sh"),
	                dir,
	                subst,
	                ";id",
	                backtick,
	                chain,
	                "a b\tc",
	                "",
	                "*",
	                "'\"\\",
	                "--x=$HOME",
	                "caf\xc3\xa9",
	                NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);

	char want[2048];
	size_t w = 0;
	for (int i = 2; argv[i] != NULL; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(want + w, argv[i], n);
		w += n;
	}
	size_t len;
	char *args = the_file("argv", &len, NULL);
	ck_assert_uint_eq(len, w);
	ck_assert_mem_eq(args, want, w);
	free(args);
	ck_assert_int_ne(access(pwned, F_OK), 0);
	ck_assert_uint_eq(exec_runner_counters(r)->ok, 1);
	exec_runner_close(r);
}
END_TEST

/* Values come through byte for byte (quotes, $, UTF-8, backslashes); a control byte that slipped
 * past the dispatcher against the contract is still removed. */
START_TEST(test_env_values_passed_unchanged)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "record.sh"), dir, NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	talert_set(&t, ALERT_ENV_HOST, "mx \"1\" $(id) `id` ; | & \\ caf\xc3\xa9 \xff");
	talert_set(&t, ALERT_ENV_TLS_ERROR, "a=b=c");
	char longv[256];
	memset(longv, 'v', 255);
	longv[255] = '\0';
	talert_set(&t, ALERT_ENV_PEER_RDNS, longv);
	talert_set(&t, ALERT_ENV_END, "x\ny\tz\x1b[31m\x7fw\r");
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);

	size_t len;
	char *env = the_file("env", &len, NULL);
	const char *want[ALERT_ENV_COUNT + 1];
	want[0] = "PATH=/usr/bin:/bin";
	for (int i = 0; i < ALERT_ENV_COUNT; i++)
		want[i + 1] = t.env[i];
	want[ALERT_ENV_END + 1] = "ESATLSD_END=xyz[31mw";
	size_t off = 0;
	for (int i = 0; i < ALERT_ENV_COUNT + 1; i++) {
		ck_assert_uint_lt(off, len);
		ck_assert_str_eq(env + off, want[i]);
		off += strlen(want[i]) + 1;
	}
	ck_assert_uint_eq(off, len);
	for (size_t i = 0; i < len; i++)
		ck_assert(env[i] == '\0' || ((unsigned char)env[i] >= 0x20 && env[i] != 0x7f));
	free(env);
	exec_runner_close(r);
}
END_TEST

/* Descriptors we left open without O_CLOEXEC (a file, a pipe, a socket) and the event base's
 * own do not reach the child; its stdout is /dev/null; it leads its own process group. */
/* Parsed "SigBlk:" and "SigIgn:" of a /proc/PID/status copy. */
static void signal_state(const char *status, unsigned long long *blocked,
                         unsigned long long *ignored)
{
	const char *b = strstr(status, "\nSigBlk:\t"), *i = strstr(status, "\nSigIgn:\t");
	ck_assert(b != NULL && i != NULL);
	*blocked = strtoull(b + 9, NULL, 16);
	*ignored = strtoull(i + 9, NULL, 16);
}

/* A blocked and two ignored signals of ours: the hook (here cp, which keeps the state it was
 * started with, where a shell would reset some) has nothing blocked and nothing ignored, but for
 * glibc's internal signals 32 and 33: its posix_spawn ignores them in the child, and no program
 * can use them (SIGRTMIN is 34). */
START_TEST(test_child_signal_state_reset)
{
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	signal(SIGHUP, SIG_IGN);
	char status_path[160];
	path_join(status_path, sizeof(status_path), dir, "status");
	char *argv[] = {"/bin/cp", "/proc/self/status", status_path, NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_eq(exec_runner_counters(r)->ok, 1);
	exec_runner_close(r);

	char *ours = slurp("/proc/self/status", NULL);
	ck_assert_ptr_nonnull(ours);
	unsigned long long blocked, ignored;
	signal_state(ours, &blocked, &ignored);
	ck_assert(blocked & 1ULL << (SIGUSR2 - 1)); /* the test does what it says */
	ck_assert(ignored & 1ULL << (SIGPIPE - 1));
	free(ours);
	char *status = slurp(status_path, NULL);
	ck_assert_ptr_nonnull(status);
	signal_state(status, &blocked, &ignored);
	unsigned long long glibc_internal = 1ULL << (32 - 1) | 1ULL << (33 - 1);
	ck_assert_uint_eq(blocked, 0);
	ck_assert_uint_eq(ignored & ~glibc_internal, 0);
	free(status);
}
END_TEST

START_TEST(test_child_inherits_nothing)
{
	char marker[160], prog[256];
	path_join(marker, sizeof(marker), dir, "leak-marker");
	int leak = open(marker, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(leak, 0);
	ck_assert_int_ge(dup2(leak, 57), 0);
	int p[2], sv[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char *argv[] = {hook_path(prog, sizeof(prog), "record.sh"), dir, NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);

	/* The listing of a program the hook ran: 0 and 2 are two different pipes, 1 is the file
	 * the hook redirected it to, the rest is the shell's own /dev/null and ls's own dir. */
	long pid;
	char *fds = the_file("fd", NULL, &pid);
	char fd_name[64], fd_path[160];
	snprintf(fd_name, sizeof(fd_name), "fd.%ld", pid);
	path_join(fd_path, sizeof(fd_path), dir, fd_name);
	char in_pipe[64] = "", err_pipe[64] = "";
	unsigned seen = 0;
	for (char *line = strtok(fds, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *arrow = strstr(line, " -> ");
		if (arrow == NULL)
			continue;
		*arrow = '\0';
		const char *target = arrow + 4;
		long fd = strtol(strrchr(line, ' ') + 1, NULL, 10);
		seen++;
		if (fd == 0)
			snprintf(in_pipe, sizeof(in_pipe), "%s", target);
		else if (fd == 1)
			ck_assert_str_eq(target, fd_path);
		else if (fd == 2)
			snprintf(err_pipe, sizeof(err_pipe), "%s", target);
		else
			ck_assert_msg(strcmp(target, "/dev/null") == 0 ||
			                  strncmp(target, "/proc/", 6) == 0,
			              "fd %ld -> %s leaked into the hook", fd, target);
	}
	ck_assert_uint_ge(seen, 3);
	ck_assert_int_eq(strncmp(in_pipe, "pipe:[", 6), 0);
	ck_assert_int_eq(strncmp(err_pipe, "pipe:[", 6), 0);
	ck_assert_str_ne(in_pipe, err_pipe);
	free(fds);

	char *out = the_file("stdout", NULL, NULL);
	ck_assert_str_eq(out, "/dev/null\n");
	free(out);
	/* Its own process group, not ours. */
	char *stat = the_file("stat", NULL, NULL);
	long spid, ppid, pgrp;
	char state;
	const char *paren = strrchr(stat, ')');
	ck_assert_ptr_nonnull(paren);
	ck_assert_int_eq(sscanf(stat, "%ld", &spid), 1);
	ck_assert_int_eq(sscanf(paren + 1, " %c %ld %ld", &state, &ppid, &pgrp), 3);
	ck_assert_int_eq(spid, pid);
	ck_assert_int_eq(pgrp, pid);
	ck_assert_int_ne(pgrp, getpgrp());
	free(stat);
	exec_runner_close(r);
	close(leak);
	close(57);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* ---- timeouts ---- */

START_TEST(test_timeout_kills_process_group)
{
	unsigned fds = count_fds();
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "sleep_group.sh"), dir, NULL};
	struct hook_config cfg = make_cfg(argv, 300, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	struct loop_watch w = run_until_idle(r, 3000);
	uint64_t took = now_ms() - t0;
	ck_assert_uint_ge(took, 300);
	ck_assert_uint_lt(took, 1500);
	/* The 20 ms timer kept firing all along. */
	ck_assert_uint_ge(w.ticks, 12);

	long leader = pid_in_file("leader"), grandchild = pid_in_file("grandchild");
	ck_assert(!process_alive(leader));
	ck_assert(dead_within(grandchild, 500));
	const struct exec_counters *c = exec_runner_counters(r);
	ck_assert_uint_eq(c->timeouts, 1);
	ck_assert_uint_eq(c->runs, 1);
	ck_assert_uint_eq(c->ok + c->failed, 0);
	char *log = log_so_far();
	ck_assert_ptr_nonnull(
	    strstr(log, "warning: hook t: timed out after 300 ms; stopped by SIGTERM\n"));
	free(log);
	close_and_check(r, fds);
}
END_TEST

/* The hook obeys SIGTERM but leaves a grandchild that ignores it: that one does not outlive its
 * leader (no waiting for the grace either). */
START_TEST(test_timeout_leftover_group_killed)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "sleep_group.sh"), dir,
	                "grandchild-ignores-term", NULL};
	struct hook_config cfg = make_cfg(argv, 200, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_lt(now_ms() - t0, 1500);
	ck_assert(dead_within(pid_in_file("grandchild"), 500));
	ck_assert(!process_alive(pid_in_file("leader")));
	ck_assert_uint_eq(exec_runner_counters(r)->timeouts, 1);
	char *log = log_so_far();
	ck_assert_str_eq(log,
	                 "esatlsd: warning: hook t: timed out after 200 ms; stopped by SIGTERM\n");
	free(log);
	exec_runner_close(r);
}
END_TEST

START_TEST(test_timeout_sigkill_after_grace)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "sleep_group.sh"), dir, "ignore-term", NULL};
	struct hook_config cfg = make_cfg(argv, 200, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	struct loop_watch w = run_until_idle(r, 5000);
	uint64_t took = now_ms() - t0;
	ck_assert_uint_ge(took, 2200);
	ck_assert_uint_lt(took, 3500);
	ck_assert_uint_ge(w.ticks, 80);
	ck_assert(!process_alive(pid_in_file("leader")));
	ck_assert(dead_within(pid_in_file("grandchild"), 500));
	ck_assert_uint_eq(exec_runner_counters(r)->timeouts, 1);
	ck_assert_uint_eq(exec_runner_counters(r)->failed, 0);
	char *log = log_so_far();
	ck_assert_ptr_nonnull(strstr(log, "hook t: timed out after 200 ms; stopped by SIGKILL\n"));
	free(log);
	exec_runner_close(r);
	ck_assert_uint_eq(count_children(), 0);
}
END_TEST

/* ---- bounds ---- */

struct run_span {
	uint64_t start, end;
};

START_TEST(test_max_concurrent)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "span.sh"), dir, "0.2", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 2, 10);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_uint_eq(exec_runner_running(r), 2);
	ck_assert_uint_eq(exec_runner_queued(r), 3);
	struct loop_watch w = run_until_idle(r, 5000);
	ck_assert_uint_eq(w.max_running, 2);

	char names[8][64];
	ck_assert_uint_eq(list_prefixed("span", names, 8), 5);
	struct run_span spans[5];
	for (int i = 0; i < 5; i++) {
		char path[160];
		path_join(path, sizeof(path), dir, names[i]);
		char *s = slurp(path, NULL);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(sscanf(s, "%" SCNu64 " %" SCNu64, &spans[i].start, &spans[i].end),
		                 2);
		free(s);
	}
	/* At any run's start, at most one other run is going. */
	for (int i = 0; i < 5; i++) {
		unsigned at_once = 0;
		for (int j = 0; j < 5; j++)
			if (spans[j].start <= spans[i].start && spans[i].start < spans[j].end)
				at_once++;
		ck_assert_uint_le(at_once, 2);
	}
	const struct exec_counters *c = exec_runner_counters(r);
	ck_assert_uint_eq(c->submitted, 5);
	ck_assert_uint_eq(c->runs, 5);
	ck_assert_uint_eq(c->ok, 5);
	ck_assert_uint_eq(c->queue_drops, 0);
	exec_runner_close(r);
}
END_TEST

START_TEST(test_queue_overflow_dropped_and_counted)
{
	char *argv[] = {"/bin/true", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 3);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	int accepted = 0, refused = 0;
	for (int i = 0; i < 10; i++) {
		if (exec_runner_submit(r, &t.a) == 0)
			accepted++;
		else
			refused++;
	}
	ck_assert_int_eq(accepted, 4); /* one running, three waiting */
	ck_assert_int_eq(refused, 6);
	ck_assert_uint_eq(exec_runner_running(r), 1);
	ck_assert_uint_eq(exec_runner_queued(r), 3);
	run_until_idle(r, 5000);
	const struct exec_counters *c = exec_runner_counters(r);
	ck_assert_uint_eq(c->submitted, 10);
	ck_assert_uint_eq(c->queue_drops, 6);
	ck_assert_uint_eq(c->runs, 4);
	ck_assert_uint_eq(c->ok, 4);
	/* Room again: accepted. */
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_eq(c->ok, 5);
	exec_runner_close(r);
	char *log = log_so_far();
	/* Five drops logged, the sixth summarised when the runner closes. */
	ck_assert_uint_eq(count_substr(log, "hook t: queue full (3 waiting); alert dropped\n"), 5);
	ck_assert_uint_eq(count_substr(log, "hook t: queue full (3 waiting); alert dropped (1 more "
	                                    "like this in the last "),
	                  1);
	free(log);
}
END_TEST

START_TEST(test_queue_zero_runs_without_waiting)
{
	char *argv[] = {"/bin/true", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 2, 0);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), -1);
	ck_assert_uint_eq(exec_runner_queued(r), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_eq(exec_runner_counters(r)->ok, 2);
	ck_assert_uint_eq(exec_runner_counters(r)->queue_drops, 1);
	exec_runner_close(r);
}
END_TEST

/* ---- outcomes in the log ---- */

START_TEST(test_exit_status_and_stderr_logged)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "fail.sh"), "status", "3", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	const struct exec_counters *c = exec_runner_counters(r);
	ck_assert_uint_eq(c->failed, 1);
	ck_assert_uint_eq(c->ok + c->timeouts + c->spawn_errors, 0);
	exec_runner_close(r);
	char *log = log_so_far();
	ck_assert_str_eq(log, "esatlsd: warning: hook t: exited with status 3\n"
	                      "esatlsd: hook t: stderr: cannot reach the pager\n"
	                      "esatlsd: hook t: stderr: bad\\x1b[31mcolour\\\\n\n");
	free(log);
}
END_TEST

START_TEST(test_killed_by_signal_logged)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "fail.sh"), "signal", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_eq(exec_runner_counters(r)->failed, 1);
	ck_assert_uint_eq(exec_runner_counters(r)->timeouts, 0);
	exec_runner_close(r);
	char *log = log_so_far();
	ck_assert_str_eq(log, "esatlsd: warning: hook t: killed by signal 15 (Terminated)\n");
	free(log);
}
END_TEST

/* 110000 bytes of stderr: the child is never stalled by a full pipe, 20 lines are logged and
 * the rest is counted to the byte. */
START_TEST(test_stderr_bounded)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "fail.sh"), "noisy", "10000", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_eq(exec_runner_counters(r)->ok, 1);
	exec_runner_close(r);
	char *log = log_so_far();
	ck_assert_uint_eq(count_substr(log, "esatlsd: hook t: stderr: noise line\n"), 20);
	ck_assert_ptr_nonnull(strstr(log, "hook t: stderr: 109780 more bytes not logged\n"));
	ck_assert_uint_eq(count_substr(log, "\n"), 21);
	free(log);
}
END_TEST

/* A flood of failures: per log window five exit lines and the stderr of two runs; the rest
 * is counted and summarised, one line per kind, when the runner closes. */
START_TEST(test_log_rate_limited)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "fail.sh"), "status", "3", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 5, 5);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_eq(exec_runner_counters(r)->failed, 8);
	exec_runner_close(r);
	char *log = log_so_far();
	ck_assert_uint_eq(count_substr(log, "warning: hook t: exited with status 3\n"), 5);
	ck_assert_uint_eq(count_substr(log, "hook t: stderr: cannot reach the pager\n"), 2);
	ck_assert_uint_eq(count_substr(log, "hook t: stderr: bad"), 2);
	ck_assert_uint_eq(
	    count_substr(log,
	                 "warning: hook t: exited with status 3 (3 more like this in the last "),
	    1);
	ck_assert_uint_eq(
	    count_substr(log,
	                 "hook t: stderr: cannot reach the pager (6 more like this in the last "),
	    1);
	ck_assert_uint_eq(count_substr(log, "\n"), 11);
	free(log);
}
END_TEST

/* ---- start failures ---- */

static void expect_spawn_error(char **argv, const char *line)
{
	struct hook_config cfg = make_cfg(argv, 5000, 1, 5);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_uint_eq(exec_runner_running(r), 0);
	ck_assert_uint_eq(exec_runner_queued(r), 0);
	const struct exec_counters *c = exec_runner_counters(r);
	ck_assert_uint_eq(c->spawn_errors, 7);
	ck_assert_uint_eq(c->runs + c->ok + c->failed, 0);
	exec_runner_close(r);
	ck_assert_uint_eq(count_children(), 0);
	char *log = log_so_far();
	/* Five lines, then the other two summarised at close. */
	ck_assert_uint_eq(count_substr(log, line), 5);
	char summary[512];
	snprintf(summary, sizeof(summary), "%.*s (2 more like this in the last ",
	         (int)strlen(line) - 1, line);
	ck_assert_uint_eq(count_substr(log, summary), 1);
	free(log);
	ck_assert_int_eq(truncate(logpath, 0), 0);
}

START_TEST(test_spawn_errors)
{
	unsigned fds = count_fds();
	char *missing[] = {"/nonexistent/hook", NULL};
	expect_spawn_error(missing, "hook t: exec /nonexistent/hook: No such file or directory\n");
	char data[256];
	snprintf(data, sizeof(data), "%s/seed.log", TEST_DATA);
	char *not_executable[] = {data, NULL};
	char line[400];
	snprintf(line, sizeof(line), "hook t: exec %s: Permission denied\n", data);
	expect_spawn_error(not_executable, line);

	/* Executable text without "#!": execve refuses it, and no shell is tried instead. */
	char script[160], pwned[160], body[400];
	path_join(script, sizeof(script), dir, "no-shebang");
	path_join(pwned, sizeof(pwned), dir, "pwned");
	int fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ck_assert_int_ge(fd, 0);
	int n = snprintf(body, sizeof(body), "touch %s\n", pwned);
	ck_assert_int_eq(write(fd, body, (size_t)n), n);
	close(fd);
	char *no_shebang[] = {script, NULL};
	snprintf(line, sizeof(line), "hook t: exec %s: Exec format error\n", script);
	expect_spawn_error(no_shebang, line);
	ck_assert_int_ne(access(pwned, F_OK), 0);
	ck_assert_uint_eq(count_fds(), fds);
}
END_TEST

/* ---- stdin ---- */

static char *big_json(size_t size)
{
	char *json = malloc(size + 1);
	ck_assert_ptr_nonnull(json);
	memcpy(json, "{\"pad\":\"", 8);
	for (size_t i = 8; i < size - 3; i++)
		json[i] = (char)('a' + i % 26);
	memcpy(json + size - 3, "\"}\n", 4);
	return json;
}

/* 200 KiB is more than a pipe holds: the rest goes out as the child reads, from the loop. */
START_TEST(test_big_json_to_slow_reader)
{
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "slow_reader.sh"), dir, NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	size_t size = 200 * 1024;
	char *json = big_json(size);
	struct talert t;
	talert_init(&t, json);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_uint_lt(now_ms() - t0, 250); /* submit did not wait for the reader */
	memset(json, 'X', size);               /* the runner kept its own copy */
	struct loop_watch w = run_until_idle(r, 5000);
	ck_assert_uint_ge(w.ticks, 10);
	size_t len;
	char *got = the_file("stdin", &len, NULL);
	char *want = big_json(size);
	ck_assert_uint_eq(len, size);
	ck_assert(memcmp(got, want, size) == 0);
	free(got);
	free(want);
	free(json);
	ck_assert_uint_eq(exec_runner_counters(r)->ok, 1);
	exec_runner_close(r);
}
END_TEST

/* A hook that never reads its stdin: the write ends with EPIPE, which is no failure. */
START_TEST(test_child_ignoring_stdin)
{
	unsigned fds = count_fds();
	char *argv[] = {"/bin/true", NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	size_t size = 200 * 1024;
	char *json = big_json(size);
	struct talert t;
	talert_init(&t, json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	run_until_idle(r, 5000);
	ck_assert_uint_eq(exec_runner_counters(r)->ok, 1);
	free(json);
	close_and_check(r, fds);
	char *log = log_so_far();
	ck_assert_str_eq(log, "");
	free(log);
}
END_TEST

/* ---- reload and close ---- */

START_TEST(test_update_applies_to_next_runs)
{
	char span[256], record[256];
	char *argv1[] = {hook_path(span, sizeof(span), "span.sh"), dir, "0.3", NULL};
	char *argv2[] = {hook_path(record, sizeof(record), "record.sh"), dir, "new", NULL};
	struct hook_config cfg1 = make_cfg(argv1, 5000, 1, 5);
	struct hook_config cfg2 = make_cfg(argv2, 5000, 2, 5);
	struct exec_runner *r = exec_runner_new(base, &cfg1);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	ck_assert_uint_eq(exec_runner_queued(r), 1);
	/* A second slot: the waiting alert starts now, with the new argv; the old run goes on. */
	exec_runner_update(r, &cfg2);
	ck_assert_uint_eq(exec_runner_running(r), 2);
	ck_assert_uint_eq(exec_runner_queued(r), 0);
	run_until_idle(r, 5000);
	char *s = the_file("span", NULL, NULL);
	free(s);
	size_t len;
	char *args = the_file("argv", &len, NULL);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(args, "new", 4);
	free(args);
	ck_assert_uint_eq(exec_runner_counters(r)->ok, 2);
	exec_runner_close(r);
}
END_TEST

START_TEST(test_close_kills_running_and_drops_queued)
{
	unsigned fds = count_fds();
	char prog[256];
	char *argv[] = {hook_path(prog, sizeof(prog), "sleep_group.sh"), dir, "ignore-term", NULL};
	struct hook_config cfg = make_cfg(argv, 60000, 2, 10);
	struct exec_runner *r = exec_runner_new(base, &cfg);
	ck_assert_ptr_nonnull(r);
	struct talert t;
	talert_init(&t, default_json);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(exec_runner_submit(r, &t.a), 0);
	/* Until both have started their grandchildren. */
	char names[4][64];
	uint64_t deadline = now_ms() + 3000;
	while (list_prefixed("leader", names, 4) < 2 && now_ms() < deadline)
		run_for(base, 20);
	ck_assert_uint_eq(list_prefixed("leader", names, 4), 2);
	ck_assert_uint_eq(exec_runner_running(r), 2);
	uint64_t t0 = now_ms();
	close_and_check(r, fds);
	ck_assert_uint_lt(now_ms() - t0, 1000);

	char gnames[4][64];
	ck_assert_uint_eq(list_prefixed("grandchild", gnames, 4), 2);
	for (int i = 0; i < 2; i++) {
		char path[160];
		path_join(path, sizeof(path), dir, names[i]);
		char *s = slurp(path, NULL);
		ck_assert(!process_alive(strtol(s, NULL, 10)));
		free(s);
		path_join(path, sizeof(path), dir, gnames[i]);
		s = slurp(path, NULL);
		ck_assert(dead_within(strtol(s, NULL, 10), 500));
		free(s);
	}
	char *log = log_so_far();
	ck_assert_ptr_nonnull(strstr(log, "hook t: 2 runs still going at close were killed\n"));
	ck_assert_ptr_nonnull(strstr(log, "hook t: 3 queued alerts lost at close\n"));
	free(log);
}
END_TEST

START_TEST(test_new_refuses_missing_argv)
{
	char *argv[] = {NULL};
	struct hook_config cfg = make_cfg(argv, 5000, 1, 1);
	ck_assert_ptr_null(exec_runner_new(base, &cfg));
	char *log = log_so_far();
	ck_assert_ptr_nonnull(strstr(log, "hook t: cannot set up its runner"));
	free(log);
}
END_TEST

static Suite *hook_exec_suite(void)
{
	Suite *s = suite_create("hook_exec");
	TCase *tc = tcase_create("exec");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stdin_env_argv_exact);
	tcase_add_test(tc, test_hostile_argv_verbatim);
	tcase_add_test(tc, test_env_values_passed_unchanged);
	tcase_add_test(tc, test_child_inherits_nothing);
	tcase_add_test(tc, test_child_signal_state_reset);
	tcase_add_test(tc, test_timeout_kills_process_group);
	tcase_add_test(tc, test_timeout_leftover_group_killed);
	tcase_add_test(tc, test_timeout_sigkill_after_grace);
	tcase_add_test(tc, test_max_concurrent);
	tcase_add_test(tc, test_queue_overflow_dropped_and_counted);
	tcase_add_test(tc, test_queue_zero_runs_without_waiting);
	tcase_add_test(tc, test_exit_status_and_stderr_logged);
	tcase_add_test(tc, test_killed_by_signal_logged);
	tcase_add_test(tc, test_stderr_bounded);
	tcase_add_test(tc, test_log_rate_limited);
	tcase_add_test(tc, test_spawn_errors);
	tcase_add_test(tc, test_big_json_to_slow_reader);
	tcase_add_test(tc, test_child_ignoring_stdin);
	tcase_add_test(tc, test_update_applies_to_next_runs);
	tcase_add_test(tc, test_close_kills_running_and_drops_queued);
	tcase_add_test(tc, test_new_refuses_missing_argv);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(hook_exec_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
