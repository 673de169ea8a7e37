#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "daemon.h"
#include "fdreserve.h"
#include "feed.h"
#include "hook.h"
#include "listen.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "output.h"
#include "reload.h"
#include "route.h"
#include "stats.h"
#include "verdict.h"

#define TICK_MS 250           /* expiry, due alerts, status and drop reports run on this tick */
#define STATUS_EVERY_TICKS 20 /* STATUS= to systemd every 5 s */
#define DROPS_EVERY_TICKS 240 /* one summary line of counted drops a minute, if any */
#define OUTPUT_CHECK_EVERY_TICKS 4 /* outputs whose file was removed are found within a second */
#define STOP_POLL_MS                                                                               \
	100 /* at stop: how often outputs and hooks are asked whether they are done                \
	     */

struct daemon {
	struct event_base *base;
	struct config *cfg;
	const char *config_path;
	struct engine *engine;
	struct listener **listeners;
	size_t n_listeners;
	struct route route; /* the outputs and hooks records go to */
	struct notifier *notify;
	struct feed *feed;
	struct metrics *metrics;
	int64_t start_time;
	struct event *signals[4];
	struct event *stop_wait; /* after TERM: polls until the hooks are done or the deadline */
	int stopping;            /* TERM/INT came: no reload, no second stop */
	uint64_t stop_deadline_ms;
	struct event *tick, *watchdog;
	unsigned ticks;
	struct daemon_counters count;
	uint64_t reported_drops; /* sum of drop counters at the last summary */
	struct checkpoint checkpoint;
	char why[256]; /* what stopped the start, for its fatal line */
};

static int64_t daemon_now(struct daemon *d)
{
	struct timeval tv;
	event_base_gettimeofday_cached(d->base, &tv);
	return (int64_t)tv.tv_sec;
}

/* ---- listeners ---- */

static void daemon_message_cb(void *arg, const char *msg, size_t len, struct span sender)
{
	struct daemon *d = arg;
	engine_feed(d->engine, msg, len, sender, daemon_now(d));
}

static void daemon_batch_done_cb(void *arg)
{
	route_flush(&((struct daemon *)arg)->route);
}

static int daemon_allowed_cb(void *arg, const uint8_t addr[16])
{
	const struct config *cfg = ((struct daemon *)arg)->cfg;
	return !cfg->allow_from_set || cidr_match_any(cfg->allow_from, cfg->n_allow, addr);
}

static struct listener *daemon_open_listener(struct daemon *d, const struct listen_config *lc,
                                             size_t max_message)
{
	struct listen_sink sink = {daemon_message_cb, daemon_batch_done_cb, daemon_allowed_cb, d};
	return listener_open(lc, max_message, d->base, &sink);
}

/* ---- counters ---- */

static struct stats_view daemon_view(const struct daemon *d)
{
	struct stats_view v = {d->engine,        d->listeners,       d->n_listeners,
	                       d->route.outputs, d->route.n_outputs, d->route.hooks,
	                       d->start_time,    &d->count,          d->feed};
	return v;
}

static void daemon_log_counters(const struct daemon *d)
{
	struct stats_view v = daemon_view(d);
	stats_log(&v);
}

/* At stop one line: the journal of every restart should not hold the whole dump (SIGUSR1). */
static void daemon_log_summary(const struct daemon *d)
{
	struct stats_view v = daemon_view(d);
	stats_log_summary(&v);
}

static void daemon_metrics_cb(struct evbuffer *out, void *arg)
{
	struct stats_view v = daemon_view(arg);
	stats_prometheus(&v, out);
}

static struct metrics *daemon_open_metrics(struct daemon *d, const struct config *cfg)
{
	struct metrics_limits limits = {cfg->metrics_max_connections, cfg->metrics_timeout_ms};
	struct metrics *m =
	    metrics_open(d->base, (const struct sockaddr *)&cfg->metrics_addr, cfg->metrics_addrlen,
	                 &limits, &d->count.http, daemon_metrics_cb, d);
	if (m != NULL)
		log_info("metrics on http://%s/metrics", metrics_name(m));
	return m;
}

static int metrics_addr_same(const struct config *a, const struct config *b)
{
	if ((a->metrics_address == NULL) != (b->metrics_address == NULL))
		return 0;
	return a->metrics_address == NULL ||
	       (a->metrics_addrlen == b->metrics_addrlen &&
	        memcmp(&a->metrics_addr, &b->metrics_addr, a->metrics_addrlen) == 0);
}

static void daemon_send_status(struct daemon *d)
{
	char msg[256];
	struct stats_view v = daemon_view(d);
	stats_status(&v, msg, sizeof(msg));
	notify_send(d->notify, msg);
}

/* A flood of bad input becomes one line a minute, not one line per message. */
static void daemon_report_drops(struct daemon *d)
{
	struct stats_view v = daemon_view(d);
	uint64_t drops = stats_drops(&v);
	/* A reload that closes a listener, output or hook takes its counts out of the sum. */
	if (drops <= d->reported_drops) {
		d->reported_drops = drops;
		return;
	}
	log_warnx("%" PRIu64 " messages, connections or records dropped, cut or refused in the "
	          "last minute; counters follow",
	          drops - d->reported_drops);
	daemon_log_counters(d);
	d->reported_drops = drops;
}

static void daemon_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	/* Once a stop has saved the open connections, nothing may end them or alert for them:
	 * the next start resumes them from the file. */
	if (!d->stopping) {
		engine_expire(d->engine, daemon_now(d));
		feed_tick(d->feed, d->engine, daemon_now(d));
	}
	route_flush(&d->route);
	if (d->route.hooks)
		hooks_tick(d->route.hooks);
	d->ticks++;
	if (d->ticks % STATUS_EVERY_TICKS == 0)
		daemon_send_status(d);
	if (d->ticks % DROPS_EVERY_TICKS == 0)
		daemon_report_drops(d);
	if (d->ticks % OUTPUT_CHECK_EVERY_TICKS == 0) {
		for (size_t i = 0; i < d->route.n_outputs; i++)
			output_check(d->route.outputs[i]);
		fd_reserve_hold(); /* taken back once a spent reserve can be */
	}
	if (!d->stopping)
		checkpoint_tick(&d->checkpoint, d->cfg, daemon_now(d));
	log_tick();
}

static void daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	notify_send(((struct daemon *)arg)->notify, "WATCHDOG=1");
}

/* ---- reload ---- */

static int daemon_configure_feed(struct daemon *d, const struct config *cfg)
{
	return feed_configure(d->feed, (int64_t)(cfg->silent_after_ms / 1000), cfg->expected,
	                      cfg->n_expected, daemon_now(d));
}

static void config_report_to_log(const char *message, void *arg)
{
	(void)arg;
	log_errorx("%s", message);
}

static struct config *daemon_read_config(const struct daemon *d)
{
	if (d->config_path == NULL)
		return config_default();
	return config_load(d->config_path, config_report_to_log, NULL);
}

/* ---- reload ---- */

/* What a reload's callbacks see: the running daemon and the configuration it moves to. */
struct reload_ctx {
	struct daemon *d;
	const struct config *ncfg;
};

static void *listener_running(void *ctx, size_t j)
{
	return ((struct reload_ctx *)ctx)->d->listeners[j];
}

/* A listener that binds the same socket the same way is kept. */
static int listener_keeps(void *ctx, void *obj, size_t i)
{
	return config_listen_same(listener_config(obj),
	                          &((struct reload_ctx *)ctx)->ncfg->listen[i]);
}

static void *listener_open_entry(void *ctx, size_t i)
{
	const struct reload_ctx *rc = ctx;
	return daemon_open_listener(rc->d, &rc->ncfg->listen[i], rc->ncfg->max_message_size);
}

static void listener_close_obj(void *obj)
{
	listener_close(obj);
}

static const struct reload_ops listener_reload = {listener_running, listener_keeps,
                                                  listener_open_entry, listener_close_obj};

static void *output_running(void *ctx, size_t j)
{
	return ((struct reload_ctx *)ctx)->d->route.outputs[j];
}

/* A file that stays configured keeps its output, reopened by path (the reopen logrotate
 * needs), so that records it still queues are not lost. */
static int output_keeps(void *ctx, void *obj, size_t i)
{
	return strcmp(output_name(obj), ((struct reload_ctx *)ctx)->ncfg->outputs[i].file) == 0;
}

static void *output_open_entry(void *ctx, size_t i)
{
	const struct reload_ctx *rc = ctx;
	return output_open(&rc->ncfg->outputs[i], rc->d->base);
}

static void output_close_obj(void *obj)
{
	output_close(obj);
}

static const struct reload_ops output_reload = {output_running, output_keeps, output_open_entry,
                                                output_close_obj};

/* The prepared listeners and outputs as the daemon's typed arrays; -1 if memory ran out. */
static int reload_arrays(const struct reload_set *rl, const struct reload_set *ro,
                         struct listener ***ls, struct output ***os)
{
	*ls = calloc(rl->n_next ? rl->n_next : 1, sizeof(**ls));
	*os = calloc(ro->n_next ? ro->n_next : 1, sizeof(**os));
	if (*ls == NULL || *os == NULL) {
		free(*ls);
		free(*os);
		return -1;
	}
	for (size_t i = 0; i < rl->n_next; i++)
		(*ls)[i] = rl->next[i];
	for (size_t i = 0; i < ro->n_next; i++)
		(*os)[i] = ro->next[i];
	return 0;
}

/* A kept TLS listener reads its files again; any that cannot be read fails the reload. */
static int daemon_prepare_kept(const struct reload_set *rl, const struct config *ncfg)
{
	for (size_t i = 0; i < rl->n_next; i++)
		if (rl->reused[i] && listener_prepare(rl->next[i], &ncfg->listen[i]) != 0)
			return -1;
	return 0;
}

static void daemon_reload(struct daemon *d)
{
	log_info("reloading %s", d->config_path ? d->config_path : "built-in defaults");
	notify_reloading(d->notify);
	struct config *ncfg = daemon_read_config(d);
	struct reload_ctx rc = {d, ncfg};
	struct reload_set rl, ro;
	struct listener **ls;
	struct output **os;
	struct metrics *nm = NULL;
	memset(&ro, 0, sizeof(ro)); /* abandoning it before its prepare is then harmless */
	if (ncfg == NULL)
		goto fail;
	/* An empty or cut-short file would parse as "the built-in listeners" and silently move
	 * the daemon off the ones it was given: a reloaded file must name its listeners. */
	if (d->config_path != NULL && !ncfg->listen_given) {
		log_errorx(
		    "%s: reload refused: no 'listen' key (an empty or cut-short file?); a file "
		    "that wants the built-in listeners names them",
		    d->config_path);
		goto fail;
	}
	int metrics_moved = !metrics_addr_same(d->cfg, ncfg);
	if (reload_prepare(&rl, &listener_reload, &rc, d->n_listeners, ncfg->n_listen) != 0)
		goto fail;
	if (daemon_prepare_kept(&rl, ncfg) != 0) /* certificates of kept TLS listeners */
		goto undo;
	route_flush(&d->route);
	/* The endpoint is rebound only when its address changed: a scrape in progress on the old
	 * socket is cut, and a new address that cannot be bound fails the reload. */
	if (reload_prepare(&ro, &output_reload, &rc, d->route.n_outputs, ncfg->n_outputs) != 0 ||
	    (metrics_moved && ncfg->metrics_address != NULL &&
	     (nm = daemon_open_metrics(d, ncfg)) == NULL) ||
	    reload_arrays(&rl, &ro, &ls, &os) != 0)
		goto undo;
	if (hooks_reload(d->route.hooks, ncfg->hooks, ncfg->n_hooks) != 0) {
		free(ls);
		free(os);
		goto undo;
	}
	if (!metrics_moved && d->metrics != NULL) {
		struct metrics_limits limits = {ncfg->metrics_max_connections,
		                                ncfg->metrics_timeout_ms};
		metrics_update(d->metrics, &limits);
	}
	if (metrics_moved) {
		metrics_close(d->metrics);
		d->metrics = nm;
		if (nm == NULL)
			log_info("metrics endpoint closed");
	}

	struct stats_view before = daemon_view(d);
	uint64_t drops_before = stats_drops(&before);
	reload_commit(&rl, &listener_reload, &rc);
	for (size_t i = 0; i < ncfg->n_listen; i++) {
		listener_update(ls[i], &ncfg->listen[i], ncfg->max_message_size);
		listener_start(ls[i]); /* adding an added event again is harmless */
	}
	reload_commit(&ro, &output_reload, &rc);
	for (size_t i = 0; i < ncfg->n_outputs; i++) {
		output_update(os[i], &ncfg->outputs[i]);
		if (output_reopen(os[i]) != 0)
			output_check(os[i]); /* its directory may be gone: made again if it can */
	}
	reload_done(&rl);
	reload_done(&ro);
	free(d->listeners);
	free(d->route.outputs);
	d->listeners = ls;
	d->n_listeners = ncfg->n_listen;
	d->route.outputs = os;
	d->route.n_outputs = ncfg->n_outputs;
	engine_reconfigure(d->engine, &ncfg->engine);
	if (daemon_configure_feed(d, ncfg) != 0)
		log_warnx("reload: out of memory; the appliances settings stay as they were");
	if (route_enable_records(&d->route, d->engine, ncfg) != 0)
		log_warnx("reload: out of memory; message or downgrade records stay off");
	/* Losses of closed listeners and outputs leave the sum: so does what was reported of them.
	 */
	struct stats_view after = daemon_view(d);
	uint64_t drops_after = stats_drops(&after);
	uint64_t gone = drops_before > drops_after ? drops_before - drops_after : 0;
	d->reported_drops = d->reported_drops > gone ? d->reported_drops - gone : 0;
	if ((d->cfg->user == NULL) != (ncfg->user == NULL) ||
	    (ncfg->user && strcmp(d->cfg->user, ncfg->user) != 0))
		log_warnx("reload: a new 'user' takes effect only at the next start");
	checkpoint_reconfigure(&d->checkpoint, d->cfg, ncfg);
	config_free(d->cfg);
	d->cfg = ncfg;
	log_set_limit_defaults(ncfg->log_burst, ncfg->log_interval_ms);
	d->count.reloads++;
	for (size_t i = 0; i < d->n_listeners; i++)
		log_info("listening on %s", listener_name(d->listeners[i]));
	log_info("reloaded");
	notify_send(d->notify, "READY=1");
	return;
undo: /* a failed prepare leaves its set empty: abandoning it is harmless */
	metrics_close(nm);
	for (size_t i = 0; i < rl.n_next; i++)
		if (rl.reused[i])
			listener_unprepare(rl.next[i]);
	reload_abandon(&ro, &output_reload);
	reload_abandon(&rl, &listener_reload);
fail:
	d->count.reload_failures++;
	log_errorx("reload failed; the running configuration stays in force");
	/* Log rotation renamed the files before this HUP: reopen them all the same. */
	route_flush(&d->route);
	for (size_t i = 0; i < d->route.n_outputs; i++)
		output_reopen(d->route.outputs[i]);
	config_free(ncfg);
	notify_send(d->notify, "READY=1");
}

/* ---- signals and shutdown ---- */

/* The end of a stop: what could not be written or finished in time is said (hooks_free kills
 * what still runs and logs what is lost), then the loop ends. */
static void daemon_stop_finish(struct daemon *d)
{
	for (size_t i = 0; i < d->route.n_outputs; i++)
		if (output_pending(d->route.outputs[i]) > 0)
			log_warnx("output %s: %zu records could not be written before exit",
			          output_name(d->route.outputs[i]),
			          output_pending(d->route.outputs[i]));
	daemon_log_summary(d); /* with the hooks' counts; what they lose is said after it */
	hooks_free(d->route.hooks);
	d->route.hooks = NULL;
	event_base_loopbreak(d->base);
}

/* True while an output holds records (one more write is tried, at the outputs' own pace) or a
 * hook runs or holds alerts. */
static int daemon_stop_pending(struct daemon *d)
{
	int pending = 0;
	for (size_t i = 0; i < d->route.n_outputs; i++)
		pending |= output_flush(d->route.outputs[i]) != 0;
	return pending || (d->route.hooks != NULL && !hooks_idle(d->route.hooks));
}

static void daemon_stop_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	if (daemon_stop_pending(d) && clock_now_ms() < d->stop_deadline_ms)
		return;
	daemon_stop_finish(d);
}

/* Stops reading, saves or ends the open connections, then lets the loop run on until the
 * outputs have written what they hold and the hooks are done, for stop_timeout at most: a full
 * disk or a hook that ignores SIGTERM never holds the stop longer, and the loop never blocks. */
static void daemon_stop(struct daemon *d)
{
	d->stopping = 1;
	notify_send(d->notify, "STOPPING=1");
	log_info("stopping");
	metrics_close(d->metrics);
	d->metrics = NULL;
	for (size_t i = 0; i < d->n_listeners; i++)
		listener_shutdown(d->listeners[i]); /* delivers unterminated last TCP lines */
	/* With a state file, open connections go there for the next start to resume; if it
	 * cannot be written they end here as "shutdown" rather than be lost. */
	if (d->cfg->state_file == NULL ||
	    checkpoint_at_stop(&d->checkpoint, d->cfg, daemon_now(d)) != 0)
		engine_flush(d->engine, VERDICT_END_SHUTDOWN);
	d->stop_deadline_ms = clock_now_ms() + d->cfg->stop_timeout_ms;
	if (!daemon_stop_pending(d)) {
		daemon_stop_finish(d);
		return;
	}
	struct timeval poll = {0, STOP_POLL_MS * 1000};
	d->stop_wait = event_new(d->base, -1, EV_PERSIST, daemon_stop_wait_cb, d);
	if (d->stop_wait == NULL || event_add(d->stop_wait, &poll) != 0)
		daemon_stop_finish(d);
}

static void daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	(void)what;
	switch (sig) {
	case SIGHUP:
		if (d->stopping)
			log_info("stopping: reload ignored");
		else
			daemon_reload(d);
		break;
	case SIGUSR1:
		daemon_log_counters(d);
		break;
	default:
		if (!d->stopping)
			daemon_stop(d);
		break;
	}
}

/* ---- start-up ---- */

/* Started as root with `user:` set: become that user, with its group and no others. */
static int daemon_drop_privileges(const struct config *cfg)
{
	if (cfg->user == NULL || geteuid() != 0)
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(cfg->user);
	if (pw == NULL) {
		if (errno)
			log_warn("user %s", cfg->user);
		else
			log_warnx("user %s: no such user", cfg->user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) != 0) {
		log_warn("setgroups");
		return -1;
	}
	if (setgid(pw->pw_gid) != 0) {
		log_warn("setgid %u", (unsigned)pw->pw_gid);
		return -1;
	}
	if (setuid(pw->pw_uid) != 0) {
		log_warn("setuid %u", (unsigned)pw->pw_uid);
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		log_warnx("could not drop root privileges");
		return -1;
	}
	log_info("running as user %s", cfg->user);
	return 0;
}

static int daemon_add_events(struct daemon *d)
{
	static const int sigs[4] = {SIGHUP, SIGUSR1, SIGTERM, SIGINT};
	for (int i = 0; i < 4; i++) {
		d->signals[i] = evsignal_new(d->base, sigs[i], daemon_signal_cb, d);
		if (d->signals[i] == NULL || evsignal_add(d->signals[i], NULL) != 0)
			return -1;
	}
	struct timeval tick = {TICK_MS / 1000, TICK_MS % 1000 * 1000};
	d->tick = event_new(d->base, -1, EV_PERSIST, daemon_tick_cb, d);
	if (d->tick == NULL || event_add(d->tick, &tick) != 0)
		return -1;
	uint64_t wd = notify_watchdog_usec();
	if (wd > 0) {
		/* Pet at half the interval, from the event loop itself: a stuck loop stops it. */
		struct timeval half = {(time_t)(wd / 2 / 1000000), (suseconds_t)(wd / 2 % 1000000)};
		d->watchdog = event_new(d->base, -1, EV_PERSIST, daemon_watchdog_cb, d);
		if (d->watchdog == NULL || event_add(d->watchdog, &half) != 0)
			return -1;
	}
	return 0;
}

/* libevent's own warnings (a failed connect of a webhook, say) go through our log. */
static void daemon_libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_debug("libevent: %s", msg);
}

/* Records why the start failed, for daemon_run's fatal line; returns -1. */
static int daemon_fail(struct daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int daemon_fail(struct daemon *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A random key for the tables whose keys remote hosts choose; the clock and pid when the
 * kernel has no randomness to give (the table then works, only less hardened). */
static void daemon_hash_key(uint64_t key[2])
{
	if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) == (ssize_t)(2 * sizeof(key[0])))
		return;
	key[0] = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	key[1] = (uint64_t)getpid() * 0xc2b2ae3d27d4eb4full;
}

static int daemon_start(struct daemon *d)
{
	event_set_log_callback(daemon_libevent_log_cb);
	d->base = event_base_new();
	if (d->base == NULL)
		return daemon_fail(d, "cannot create the event base");
	log_set_limit_defaults(d->cfg->log_burst, d->cfg->log_interval_ms);
	/* Said now, not at the first SIGHUP: a reload of such a file is refused (daemon_reload). */
	if (d->config_path != NULL && !d->cfg->listen_given)
		log_warnx(
		    "%s has no 'listen' key: listening on the built-in 127.0.0.1:5514 (UDP and "
		    "TCP); a reload is refused until the file names its listeners",
		    d->config_path);
	fd_reserve_hold(); /* spent only when descriptors run out */
	d->notify = notify_open();
	daemon_hash_key(d->cfg->engine.posture.hash_key);
	d->engine = engine_new(&d->cfg->engine, route_connection, &d->route, (int64_t)time(NULL));
	d->feed = feed_new(daemon_now(d), route_feed, &d->route);
	d->listeners = calloc(d->cfg->n_listen ? d->cfg->n_listen : 1, sizeof(*d->listeners));
	if (d->engine == NULL || d->feed == NULL || d->listeners == NULL ||
	    daemon_configure_feed(d, d->cfg) != 0 ||
	    route_enable_records(&d->route, d->engine, d->cfg) != 0)
		return daemon_fail(d, "out of memory");
	for (size_t i = 0; i < d->cfg->n_listen; i++) {
		const struct listen_config *lc = &d->cfg->listen[i];
		d->listeners[i] = daemon_open_listener(d, lc, d->cfg->max_message_size);
		if (d->listeners[i] == NULL)
			return daemon_fail(d, "cannot listen on %s %s",
			                   lc->proto == LISTEN_UDP ? "udp" : "tcp", lc->address);
		d->n_listeners++;
	}
	/* Bound with the listeners, before privileges are dropped, so that any port works. */
	if (d->cfg->metrics_address != NULL &&
	    (d->metrics = daemon_open_metrics(d, d->cfg)) == NULL)
		return daemon_fail(d, "cannot serve metrics on %s", d->cfg->metrics_address);
	if (daemon_drop_privileges(d->cfg) != 0)
		return daemon_fail(d, "cannot run as user %s", d->cfg->user);
	/* Outputs are opened as the user the daemon runs as, so that a file it creates stays
	 * its own and reopening after log rotation works. */
	struct reload_ctx rc = {d, d->cfg};
	struct reload_set ro;
	if (reload_prepare(&ro, &output_reload, &rc, 0, d->cfg->n_outputs) != 0)
		return daemon_fail(d, "cannot open the outputs");
	if ((d->route.outputs = calloc(ro.n_next ? ro.n_next : 1, sizeof(*d->route.outputs))) ==
	    NULL) {
		reload_abandon(&ro, &output_reload);
		return daemon_fail(d, "out of memory");
	}
	for (size_t i = 0; i < ro.n_next; i++)
		d->route.outputs[i] = ro.next[i];
	d->route.n_outputs = ro.n_next;
	reload_done(&ro);
	d->route.hooks = hooks_new(d->base, d->cfg->hooks, d->cfg->n_hooks);
	if (d->route.hooks == NULL)
		return daemon_fail(d, "cannot set up the hooks");
	checkpoint_init(&d->checkpoint, d->engine, &d->count);
	/* before any line arrives, as the user that will write it */
	checkpoint_load(&d->checkpoint, d->cfg, daemon_now(d));
	for (size_t i = 0; i < d->n_listeners; i++) {
		if (listener_start(d->listeners[i]) != 0)
			return daemon_fail(d, "cannot start %s", listener_name(d->listeners[i]));
		log_info("listening on %s", listener_name(d->listeners[i]));
	}
	if (daemon_add_events(d) != 0)
		return daemon_fail(d, "cannot set up signals and timers");
	return 0;
}

static void daemon_free(struct daemon *d)
{
	metrics_close(d->metrics);
	for (size_t i = 0; i < d->n_listeners; i++)
		listener_close(d->listeners[i]);
	for (size_t i = 0; d->route.outputs != NULL && i < d->route.n_outputs; i++)
		output_close(d->route.outputs[i]);
	for (int i = 0; i < 4; i++)
		if (d->signals[i])
			event_free(d->signals[i]);
	if (d->tick)
		event_free(d->tick);
	if (d->watchdog)
		event_free(d->watchdog);
	if (d->stop_wait)
		event_free(d->stop_wait);
	hooks_free(d->route.hooks);
	feed_free(d->feed);
	engine_free(d->engine);
	notify_close(d->notify);
	if (d->base)
		event_base_free(d->base);
	free(d->listeners);
	free(d->route.outputs);
	config_free(d->cfg);
}

int daemon_run(struct config *cfg, const char *config_path)
{
	struct daemon d;
	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.config_path = config_path;
	d.route.encode_failures = &d.count.encode_failures;
	d.start_time = (int64_t)time(NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file size limit fails the write (EFBIG), like a full disk */
	int status = 0;
	if (daemon_start(&d) != 0) {
		log_fatalx("could not start: %s", d.why);
		status = 1;
	} else {
		notify_send(d.notify, "READY=1");
		daemon_send_status(&d);
		log_info("ready");
		event_base_dispatch(d.base);
	}
	daemon_free(&d);
	log_flush();
	return status;
}
