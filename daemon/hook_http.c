#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include "hook_http.h"
#include "clock.h"
#include "config_hooks.h"
#include "hook_format.h"
#include "jobqueue.h"
#include "log.h"
#include "resolver.h"
#include "retry_after.h"
#include "tls_client.h"
#include "url.h"

#define WEBHOOK_BACKOFF_FIRST_MS 1000
/* The doubling stops here, so that a large `retries` still tries every few minutes. */
#define WEBHOOK_BACKOFF_MAX_MS (300 * 1000)
/* An answer is only read for its status: a receiver cannot make us buffer much of it. */
#define WEBHOOK_MAX_ANSWER_HEADERS 8192
#define WEBHOOK_MAX_ANSWER_BODY 65536
#define WEBHOOK_WHY_MAX 400 /* why an attempt failed, for the log (a host name and a reason) */

/* The endpoint of the URL. */
struct webhook_target {
	char host[URL_HOST_MAX + 1];        /* a name, or an address without brackets */
	char host_header[URL_HOST_MAX + 9]; /* "[::1]:8080" (RFC 9110 section 7.2) */
	uint16_t port;
	int https;
	char *path; /* origin-form request target, "/" at least */
};

/* An alert's life: waiting in the queue, then holding a concurrency slot from its first
 * request to its outcome, back-off waits included. */
enum job_state {
	JOB_QUEUED,   /* waiting for a slot */
	JOB_POSTING,  /* request in flight */
	JOB_ANSWERED, /* evhttp called back; the outcome is handled from settle_ev */
	JOB_BACKOFF,  /* waiting to retry */
	JOB_STATE_COUNT
};

static const char *const job_state_names[JOB_STATE_COUNT] = {
    [JOB_QUEUED] = "queued",
    [JOB_POSTING] = "posting",
    [JOB_ANSWERED] = "answered",
    [JOB_BACKOFF] = "backoff",
};

/* Why an attempt got no usable answer. */
enum attempt_error {
	ATTEMPT_NO_ERROR,
	ATTEMPT_TIMEOUT,
	ATTEMPT_CLOSED,     /* the receiver closed the connection before answering */
	ATTEMPT_BAD_ANSWER, /* unparsable or oversized answer */
	ATTEMPT_CONNECT,    /* connection refused or unreachable */
	ATTEMPT_RESOLVE,    /* the host name could not be resolved */
	ATTEMPT_TLS,        /* the TLS handshake failed, certificate check included */
	ATTEMPT_START       /* the request could not be set up (memory) */
};

/* Lines that come once per alert, each kind rate-limited on its own per hook. */
enum webhook_log_kind { WEBHOOK_LOG_DROP, WEBHOOK_LOG_FAILED, WEBHOOK_LOG_KINDS };

struct webhook_job {
	struct job base; /* the body: the queue's copy of the alert's JSON */
	struct webhook_runner *r;
	enum job_state state;
	uint32_t attempts; /* requests started */
	struct evhttp_connection *conn;
	struct event *timer; /* deadline while posting, back-off while waiting */
	int code;            /* HTTP status of the answer, 0 without one */
	enum attempt_error error;
	char why[WEBHOOK_WHY_MAX]; /* detail of a TLS or DNS error */
	int64_t retry_after_ms;    /* the answer's Retry-After, -1 without one */
	struct tls_attempt tls;    /* the certificate check of the attempt's connection */
	uint64_t started_ms;
};

struct webhook_runner {
	struct event_base *base;
	struct hook_config cfg; /* own deep copy */
	struct webhook_target target;
	struct tls_client *tls;  /* https: the context of cfg's ca_file and tls_verify */
	struct evdns_base *dns;  /* lookups of the URL's host name */
	struct event *settle_ev; /* handles answers outside evhttp's own callbacks */
	struct jobqueue q;
	struct log_limit logs[WEBHOOK_LOG_KINDS];
	struct webhook_counters counters;
};

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static const char *attempt_strerror(enum attempt_error e)
{
	switch (e) {
	case ATTEMPT_NO_ERROR:
		return "no error";
	case ATTEMPT_TIMEOUT:
		return "timed out";
	case ATTEMPT_CLOSED:
		return "connection closed before an answer";
	case ATTEMPT_BAD_ANSWER:
		return "invalid answer";
	case ATTEMPT_CONNECT:
		return "connection failed";
	case ATTEMPT_RESOLVE:
		return "cannot resolve the host name";
	case ATTEMPT_TLS:
		return "TLS handshake failed";
	case ATTEMPT_START:
		return "cannot set up the request";
	}
	return "unknown error";
}

/* ---- URL ---- */

/* Fills t from "http[s]://HOST[:PORT][/PATH][?QUERY]" (lib/url.h, the parser the
 * configuration checks with). The request target is path and query; an empty path is sent as
 * "/" (RFC 9110 section 4.2.1). Returns NULL, or why not. */
static const char *webhook_target_parse(const char *url, struct webhook_target *t)
{
	struct url u;
	enum url_error e;

	memset(t, 0, sizeof(*t));
	if (url == NULL)
		return "no URL";
	if ((e = url_parse(span_make(url, strlen(url)), &u)) != URL_OK)
		return url_error_text(e);
	if (u.host.len >= sizeof(t->host))
		return "the host name is too long";
	memcpy(t->host, u.host.p, u.host.len);
	t->port = u.port;
	t->https = u.scheme == URL_HTTPS;
	const char *open = u.host_kind == URL_HOST_IPV6 ? "[" : "";
	const char *shut = u.host_kind == URL_HOST_IPV6 ? "]" : "";
	if (t->port == (t->https ? 443 : 80))
		snprintf(t->host_header, sizeof(t->host_header), "%s%s%s", open, t->host, shut);
	else
		snprintf(t->host_header, sizeof(t->host_header), "%s%s%s:%u", open, t->host, shut,
		         (unsigned)t->port);
	size_t slash = u.target.len == 0 || u.target.p[0] != '/';
	if ((t->path = malloc(slash + u.target.len + 1)) == NULL)
		return "out of memory";
	t->path[0] = '/';
	memcpy(t->path + slash, u.target.p, u.target.len);
	t->path[slash + u.target.len] = '\0';
	return NULL;
}

static void webhook_target_free(struct webhook_target *t)
{
	free(t->path);
	t->path = NULL;
}

/* ---- logging ---- */

static void runner_log_drop(struct webhook_runner *r, const char *why)
{
	log_limit_warnx(&r->logs[WEBHOOK_LOG_DROP], "hook %s: alert dropped: %s", r->cfg.name, why);
}

static void runner_log_failed(struct webhook_runner *r, const struct webhook_job *job)
{
	struct log_limit *l = &r->logs[WEBHOOK_LOG_FAILED];
	if (job->code > 0)
		log_limit_warnx(l,
		                "hook %s: gave up on an alert after %" PRIu32 " attempt%s: HTTP %d",
		                r->cfg.name, job->attempts, plural(job->attempts), job->code);
	else
		log_limit_warnx(l, "hook %s: gave up on an alert after %" PRIu32 " attempt%s: %s",
		                r->cfg.name, job->attempts, plural(job->attempts),
		                job->why[0] != '\0' ? job->why : attempt_strerror(job->error));
}

/* Summaries of what the limiters still hold: before the runner goes. */
static void runner_log_flush(struct webhook_runner *r)
{
	for (int k = 0; k < WEBHOOK_LOG_KINDS; k++)
		log_limit_flush(&r->logs[k]);
}

/* ---- jobs ---- */

static void job_set_state(struct webhook_job *job, enum job_state state)
{
	log_debug("hook %s: alert %p %s -> %s", job->r->cfg.name, (void *)job,
	          job_state_names[job->state], job_state_names[state]);
	job->state = state;
}

/* A job holding the body of a in the hook's format. */
static struct webhook_job *job_new(struct webhook_runner *r, const struct alert *a)
{
	struct hook_format_input in = {a, r->cfg.routing_key, (int64_t)time(NULL)};
	char *body;
	size_t len;
	if (hook_format_body(r->cfg.format, &in, &body, &len) != 0)
		return NULL;
	struct webhook_job *job = jobqueue_job_new(sizeof(*job), body, len, 0);
	free(body);
	if (job == NULL)
		return NULL;
	job->r = r;
	job->state = JOB_QUEUED;
	return job;
}

static void job_free(struct webhook_job *job)
{
	if (job->conn != NULL)
		evhttp_connection_free(job->conn);
	if (job->timer != NULL)
		event_free(job->timer);
	free(job);
}

/* Ends a job with its outcome already counted: frees its slot. */
static void job_finish(struct webhook_job *job)
{
	jobqueue_done(&job->r->q, &job->base);
	job_free(job);
}

static void webhook_request_error_cb(enum evhttp_request_error err, void *arg)
{
	struct webhook_job *job = arg;
	switch (err) {
	case EVREQ_HTTP_TIMEOUT:
		job->error = ATTEMPT_TIMEOUT;
		break;
	case EVREQ_HTTP_EOF:
		job->error = ATTEMPT_CLOSED;
		break;
	case EVREQ_HTTP_INVALID_HEADER:
	case EVREQ_HTTP_BUFFER_ERROR:
	case EVREQ_HTTP_DATA_TOO_LONG:
		job->error = ATTEMPT_BAD_ANSWER;
		break;
	case EVREQ_HTTP_REQUEST_CANCEL:
		break;
	}
}

/* What the answer's Retry-After asks, in ms (-1: nothing usable). */
static int64_t answer_retry_after_ms(struct evhttp_request *req)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After");
	uint64_t s;
	if (v == NULL || retry_after_parse(span_make(v, strlen(v)), (int64_t)time(NULL), &s) != 0)
		return -1;
	return s >= WEBHOOK_BACKOFF_MAX_MS / 1000 ? WEBHOOK_BACKOFF_MAX_MS : (int64_t)s * 1000;
}

/* Why no answer came, when DNS or TLS can say: read while the connection is still there. */
static void job_explain_failure(struct webhook_job *job)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(job->conn);
	int dns = bev != NULL ? bufferevent_socket_get_dns_error(bev) : 0;
	if (dns != 0) {
		job->error = ATTEMPT_RESOLVE;
		snprintf(job->why, sizeof(job->why), "cannot resolve %s: %s", job->r->target.host,
		         evutil_gai_strerror(dns));
	} else if (job->r->target.https &&
	           tls_client_failure(bev, &job->tls, job->why, sizeof(job->why))) {
		job->error = ATTEMPT_TLS;
	}
}

/* evhttp's completion callback: req is NULL after a failure, or has status 0 when the
 * connection could not be made. evhttp frees req after this returns and may still use the
 * connection, so the outcome (which frees the connection) is handled from settle_ev. This
 * also runs from inside evhttp_make_request when connect() fails at once. */
static void webhook_request_cb(struct evhttp_request *req, void *arg)
{
	struct webhook_job *job = arg;
	if (job->state != JOB_POSTING)
		return;
	job->code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (job->code > 0)
		job->retry_after_ms = answer_retry_after_ms(req);
	if (job->code == 0 && job->conn != NULL)
		job_explain_failure(job);
	if (job->code == 0 && job->error == ATTEMPT_NO_ERROR)
		job->error = ATTEMPT_CONNECT;
	event_del(job->timer);
	job_set_state(job, JOB_ANSWERED);
	event_active(job->r->settle_ev, EV_TIMEOUT, 1);
}

static void job_fail_to_start(struct webhook_job *job)
{
	job->code = 0;
	job->error = ATTEMPT_START;
	job_set_state(job, JOB_ANSWERED);
	event_active(job->r->settle_ev, EV_TIMEOUT, 1);
}

static int job_add_headers(struct webhook_runner *r, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	/* One connection per request: asking the receiver to close spares an idle socket. The
	 * configured headers come last; their values are never logged. */
	int rc = evhttp_add_header(h, "Host", r->target.host_header) |
	         evhttp_add_header(h, "Content-Type", "application/json") |
	         evhttp_add_header(h, "User-Agent", "esatlsd") |
	         evhttp_add_header(h, "X-Esatlsd-Hook", r->cfg.name) |
	         evhttp_add_header(h, "Connection", "close");
	for (size_t i = 0; i < r->cfg.n_headers; i++)
		rc |= evhttp_add_header(h, r->cfg.headers[i].name, r->cfg.headers[i].value);
	return rc;
}

/* A connection of its own for one attempt: over TLS for https, the host name looked up by the
 * runner's resolver. */
static struct evhttp_connection *runner_connect(struct webhook_runner *r, struct webhook_job *job)
{
	struct bufferevent *bev = NULL;
	if (r->target.https &&
	    (bev = tls_client_bufferevent(r->tls, r->base, r->target.host, &job->tls)) == NULL)
		return NULL;
	/* evhttp owns bev from here, and frees it even when this fails. */
	struct evhttp_connection *conn = evhttp_connection_base_bufferevent_new(
	    r->base, r->dns, bev, r->target.host, r->target.port);
	if (conn == NULL)
		return NULL;
	struct timeval tv = clock_tv(r->cfg.timeout_ms);
	evhttp_connection_set_timeout_tv(conn, &tv);
	evhttp_connection_set_retries(conn, 0);
	evhttp_connection_set_max_headers_size(conn, WEBHOOK_MAX_ANSWER_HEADERS);
	evhttp_connection_set_max_body_size(conn, WEBHOOK_MAX_ANSWER_BODY);
	return conn;
}

/* Starts one attempt on a new connection; its outcome always arrives through settle_ev or
 * the deadline timer. */
static void job_post(struct webhook_job *job)
{
	struct webhook_runner *r = job->r;
	job->attempts++;
	job->code = 0;
	job->error = ATTEMPT_NO_ERROR;
	job->why[0] = '\0';
	job->retry_after_ms = -1;
	job->started_ms = clock_now_ms();
	job_set_state(job, JOB_POSTING);

	job->conn = runner_connect(r, job);
	struct evhttp_request *req =
	    job->conn != NULL ? evhttp_request_new(webhook_request_cb, job) : NULL;
	if (req == NULL) {
		job_fail_to_start(job);
		return;
	}
	evhttp_request_set_error_cb(req, webhook_request_error_cb);
	if (job_add_headers(r, req) != 0 || evbuffer_add(evhttp_request_get_output_buffer(req),
	                                                 job->base.json, job->base.len) != 0) {
		evhttp_request_free(req);
		job_fail_to_start(job);
		return;
	}
	struct timeval deadline = clock_tv(r->cfg.timeout_ms);
	event_add(job->timer, &deadline);
	/* On failure evhttp has freed req without calling back. */
	if (evhttp_make_request(job->conn, req, EVHTTP_REQ_POST, r->target.path) != 0) {
		event_del(job->timer);
		job_fail_to_start(job);
		return;
	}
	r->counters.posts++;
	if (job->attempts > 1)
		r->counters.retries++;
}

static int job_answer_ok(const struct webhook_job *job)
{
	return job->code >= 200 && job->code < 300;
}

/* 5xx, 408 (request timeout), 429 (too many requests) and answers that never came are worth
 * another try; other statuses will not change. */
static int job_answer_transient(const struct webhook_job *job)
{
	return job->code == 0 || job->code == 408 || job->code == 429 || job->code >= 500;
}

/* The wait before the next attempt: what the receiver asked for (Retry-After, bounded), else
 * 1 s, 2 s, 4 s... */
static uint64_t job_backoff_ms(const struct webhook_job *job)
{
	if (job->retry_after_ms >= 0)
		return (uint64_t)job->retry_after_ms;
	uint64_t ms = WEBHOOK_BACKOFF_FIRST_MS;
	for (uint32_t i = 1; i < job->attempts && ms < WEBHOOK_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < WEBHOOK_BACKOFF_MAX_MS ? ms : WEBHOOK_BACKOFF_MAX_MS;
}

/* The failed attempt's kind, counted. */
static void runner_count_attempt(struct webhook_runner *r, const struct webhook_job *job)
{
	if (job->code == 429)
		r->counters.rate_limited++;
	else if (job->code >= 400 && job->code < 500 && !job_answer_transient(job))
		r->counters.client_errors++;
	switch (job->error) {
	case ATTEMPT_TIMEOUT:
		r->counters.timeouts++;
		break;
	case ATTEMPT_RESOLVE:
		r->counters.dns_errors++;
		break;
	case ATTEMPT_TLS:
		r->counters.tls_errors++;
		break;
	case ATTEMPT_NO_ERROR:
	case ATTEMPT_CLOSED:
	case ATTEMPT_BAD_ANSWER:
	case ATTEMPT_CONNECT:
	case ATTEMPT_START:
		break;
	}
}

/* Acts on the outcome of the last attempt: done, retry later, or give up. */
static void job_conclude(struct webhook_job *job)
{
	struct webhook_runner *r = job->r;
	if (job->conn != NULL) {
		evhttp_connection_free(job->conn);
		job->conn = NULL;
	}
	event_del(job->timer);
	if (job_answer_ok(job)) {
		r->counters.ok++;
		job_finish(job);
		return;
	}
	/* A connect that timed out comes back as a plain connection failure. */
	if (job->code == 0 && job->error == ATTEMPT_CONNECT &&
	    clock_now_ms() - job->started_ms >= r->cfg.timeout_ms)
		job->error = ATTEMPT_TIMEOUT;
	runner_count_attempt(r, job);
	if (job_answer_transient(job) && job->attempts <= r->cfg.retries) {
		uint64_t wait = job_backoff_ms(job);
		struct timeval tv = clock_tv(wait);
		if (job->code > 0)
			log_debug("hook %s: HTTP %d; retry in %" PRIu64 " ms", r->cfg.name,
			          job->code, wait);
		else
			log_debug("hook %s: %s; retry in %" PRIu64 " ms", r->cfg.name,
			          job->why[0] != '\0' ? job->why : attempt_strerror(job->error),
			          wait);
		job_set_state(job, JOB_BACKOFF);
		event_add(job->timer, &tv);
		return;
	}
	r->counters.failed++;
	runner_log_failed(r, job);
	job_finish(job);
}

/* Starts queued alerts while slots are free. */
static void runner_pump(struct webhook_runner *r);

/* The attempt's deadline, or the end of a back-off wait. */
static void job_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct webhook_job *job = arg;
	struct webhook_runner *r = job->r;
	(void)fd;
	(void)what;
	switch (job->state) {
	case JOB_POSTING:
		/* No evhttp callback is on the stack here: the connection can go at once, and
		 * with it the request, without a callback. */
		if (job->conn != NULL)
			evhttp_connection_free(job->conn);
		job->conn = NULL;
		job->code = 0;
		job->error = ATTEMPT_TIMEOUT;
		job_conclude(job);
		break;
	case JOB_BACKOFF:
		job_post(job);
		break;
	case JOB_QUEUED:
	case JOB_ANSWERED:
	case JOB_STATE_COUNT:
		break;
	}
	runner_pump(r);
}

static void runner_pump(struct webhook_runner *r)
{
	struct job *next;
	while ((next = jobqueue_next(&r->q)) != NULL) {
		struct webhook_job *job = (struct webhook_job *)next;
		job->timer = evtimer_new(r->base, job_timer_cb, job);
		if (job->timer == NULL) {
			r->counters.failed++;
			job->error = ATTEMPT_START;
			runner_log_failed(r, job);
			job_finish(job);
			continue;
		}
		job_post(job);
	}
}

/* Handles the answers evhttp reported, outside its callbacks. */
static void runner_settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct webhook_runner *r = arg;
	struct job *j, *next;
	(void)fd;
	(void)what;
	for (j = jobqueue_first_running(&r->q); j != NULL; j = next) {
		struct webhook_job *job = (struct webhook_job *)j;
		next = j->next;
		if (job->state == JOB_ANSWERED)
			job_conclude(job);
	}
	runner_pump(r);
}

/* ---- runner ---- */

/* The endpoint of cfg's URL and, for https, its TLS context. Returns NULL, or why not (in
 * why[]) with nothing kept. */
static const char *runner_endpoint(const struct hook_config *cfg, struct webhook_target *t,
                                   struct tls_client **tls, char *why, size_t len)
{
	const char *problem = webhook_target_parse(cfg->url, t);
	*tls = NULL;
	if (problem == NULL && t->https &&
	    (*tls = tls_client_new(cfg->ca_file, cfg->tls_verify, why, len)) == NULL)
		problem = why;
	if (problem != NULL)
		webhook_target_free(t);
	return problem;
}

static void runner_warn_unverified(const struct webhook_runner *r)
{
	if (r->target.https && !r->cfg.tls_verify)
		log_warnx("hook %s: tls_verify is false: the receiver's certificate and name are "
		          "not checked, anyone on the path can read and change the alerts",
		          r->cfg.name);
}

static void runner_free(struct webhook_runner *r)
{
	if (r->settle_ev != NULL)
		event_free(r->settle_ev);
	resolver_free(r->dns);
	tls_client_free(r->tls);
	config_hook_free(&r->cfg);
	webhook_target_free(&r->target);
	free(r);
}

struct webhook_runner *webhook_runner_new(struct event_base *base, const struct hook_config *cfg)
{
	const char *name = cfg->name != NULL ? cfg->name : "webhook";
	char why[256];
	struct webhook_runner *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		log_warnx("hook %s: out of memory", name);
		return NULL;
	}
	const char *problem = runner_endpoint(cfg, &r->target, &r->tls, why, sizeof(why));
	if (problem != NULL) {
		log_warnx("hook %s: cannot use the webhook URL: %s", name, problem);
		free(r);
		return NULL;
	}
	r->base = base;
	if ((r->dns = resolver_new(base, cfg->nameservers, cfg->n_nameservers, why, sizeof(why))) ==
	    NULL) {
		log_warnx("hook %s: %s", name, why);
		runner_free(r);
		return NULL;
	}
	r->settle_ev = event_new(base, -1, 0, runner_settle_cb, r);
	if (r->settle_ev == NULL || config_hook_copy(&r->cfg, cfg) != 0) {
		log_warnx("hook %s: out of memory", name);
		runner_free(r);
		return NULL;
	}
	if (r->cfg.name == NULL && (r->cfg.name = strdup("webhook")) == NULL) {
		log_warnx("hook %s: out of memory", name);
		runner_free(r);
		return NULL;
	}
	if (r->cfg.timeout_ms == 0)
		r->cfg.timeout_ms = DEFAULT_HOOK_TIMEOUT_MS;
	runner_warn_unverified(r);
	jobqueue_init(&r->q, &r->counters.queue_drops);
	jobqueue_set_limits(&r->q, cfg->max_concurrent, cfg->queue);
	return r;
}

int webhook_runner_submit(struct webhook_runner *r, const struct alert *a)
{
	r->counters.submitted++;
	if (!jobqueue_admit(&r->q)) {
		runner_log_drop(r, "queue full");
		return -1;
	}
	struct webhook_job *job = job_new(r, a);
	if (job == NULL) {
		r->counters.queue_drops++;
		runner_log_drop(r, "out of memory");
		return -1;
	}
	jobqueue_push(&r->q, &job->base);
	runner_pump(r);
	return 0;
}

static int strings_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

void webhook_runner_update(struct webhook_runner *r, const struct hook_config *cfg)
{
	struct webhook_target t;
	struct tls_client *tls;
	struct hook_config copy;
	char why[256];
	const char *problem = runner_endpoint(cfg, &t, &tls, why, sizeof(why));
	if (problem != NULL)
		log_warnx("hook %s: cannot use the new webhook URL (%s); keeping the old one",
		          r->cfg.name, problem);
	if (config_hook_copy(&copy, cfg) != 0 ||
	    (problem != NULL && (free(copy.url), copy.url = strdup(r->cfg.url)) == NULL)) {
		log_warnx("hook %s: out of memory; keeping the old configuration", r->cfg.name);
		config_hook_free(&copy);
		if (problem == NULL) {
			webhook_target_free(&t);
			tls_client_free(tls);
		}
		return;
	}
	if (!strings_same(copy.nameservers, copy.n_nameservers, r->cfg.nameservers,
	                  r->cfg.n_nameservers) &&
	    resolver_set(r->dns, copy.nameservers, copy.n_nameservers, why, sizeof(why)) != 0)
		log_warnx("hook %s: %s", r->cfg.name, why);
	if (copy.timeout_ms == 0)
		copy.timeout_ms = DEFAULT_HOOK_TIMEOUT_MS;
	int was_verified = !r->target.https || r->cfg.tls_verify;
	config_hook_free(&r->cfg);
	r->cfg = copy;
	jobqueue_set_limits(&r->q, cfg->max_concurrent, cfg->queue);
	if (problem == NULL) {
		webhook_target_free(&r->target);
		tls_client_free(r->tls);
		r->target = t;
		r->tls = tls;
		if (was_verified)
			runner_warn_unverified(r);
	}
	runner_pump(r);
}

size_t webhook_runner_in_flight(const struct webhook_runner *r)
{
	return jobqueue_running(&r->q);
}

size_t webhook_runner_queued(const struct webhook_runner *r)
{
	return jobqueue_queued(&r->q);
}

const char *webhook_runner_name(const struct webhook_runner *r)
{
	return r->cfg.name;
}

const struct webhook_counters *webhook_runner_counters(const struct webhook_runner *r)
{
	return &r->counters;
}

void webhook_runner_close(struct webhook_runner *r)
{
	struct job *j;
	size_t lost_active = 0;
	if (r == NULL)
		return;
	while ((j = jobqueue_first_running(&r->q)) != NULL) {
		struct webhook_job *job = (struct webhook_job *)j;
		/* Answered with success but not yet settled: delivered, not lost. */
		if (job->state == JOB_ANSWERED && job_answer_ok(job))
			r->counters.ok++;
		else
			lost_active++;
		job_finish(job);
	}
	size_t lost_queued = jobqueue_drain(&r->q);
	if (lost_active + lost_queued > 0)
		log_warnx("hook %s: %zu alert%s lost at close (%zu in flight or waiting to retry, "
		          "%zu queued)",
		          r->cfg.name, lost_active + lost_queued, plural(lost_active + lost_queued),
		          lost_active, lost_queued);
	runner_log_flush(r);
	runner_free(r);
}

/* ---- the dispatcher's table ---- */

static void *webhook_ops_open(struct event_base *base, const struct hook_config *cfg)
{
	return webhook_runner_new(base, cfg);
}

static int webhook_ops_submit(void *r, const struct alert *a)
{
	return webhook_runner_submit(r, a);
}

static void webhook_ops_update(void *r, const struct hook_config *cfg)
{
	webhook_runner_update(r, cfg);
}

static size_t webhook_ops_running(const void *r)
{
	return webhook_runner_in_flight(r);
}

static size_t webhook_ops_queued(const void *r)
{
	return webhook_runner_queued(r);
}

static void webhook_ops_stats(const void *r, struct hook_stats *s)
{
	const struct webhook_counters *c = webhook_runner_counters(r);
	s->runs = c->posts;
	s->ok = c->ok;
	s->failed = c->failed;
	s->timeouts = c->timeouts;
	s->retries = c->retries;
	s->queue_drops = c->queue_drops;
	s->tls_errors = c->tls_errors;
	s->dns_errors = c->dns_errors;
	s->rate_limited = c->rate_limited;
	s->client_errors = c->client_errors;
}

static void webhook_ops_close(void *r)
{
	webhook_runner_close(r);
}

const struct hook_runner_ops hook_webhook_ops = {
    .kind = "webhook",
    .open = webhook_ops_open,
    .submit = webhook_ops_submit,
    .update = webhook_ops_update,
    .running = webhook_ops_running,
    .queued = webhook_ops_queued,
    .stats = webhook_ops_stats,
    .close = webhook_ops_close,
};
