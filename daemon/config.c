/* The configuration file (config.h): the YAML tree (yamltree.h) is checked key by key against
 * DESIGN.md "Configuration" with the helpers of cfgcheck.h. This file holds the top level and
 * the small sections; big ones have their own file (config_hooks.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cfgcheck.h"
#include "config.h"
#include "config_appliances.h"
#include "config_posture.h"
#include "config_hooks.h"
#include "config_tls.h"
#include "span.h"
#include "units.h"
#include "verdict.h"

#define ALL_VERDICTS ((1u << VERDICT_KIND_COUNT) - 1)

/* ---- listen ---- */

int config_listen_same(const struct listen_config *a, const struct listen_config *b)
{
	return a->proto == b->proto && addr_same(&a->addr, &b->addr) && a->rcvbuf == b->rcvbuf;
}

const char *config_listen_proto_name(enum listen_proto proto)
{
	switch (proto) {
	case LISTEN_UDP:
		return "udp";
	case LISTEN_TCP:
		return "tcp";
	case LISTEN_TLS:
		return "tls";
	}
	return "?";
}

static void listen_set_defaults(struct listen_config *lc)
{
	lc->max_connections = DEFAULT_TCP_MAX_CONNECTIONS;
	lc->idle_timeout_ms = DEFAULT_TCP_IDLE_MS;
	lc->max_per_source = DEFAULT_TCP_PER_SOURCE;
}

enum {
	L_PROTO,
	L_ADDRESS,
	L_RCVBUF,
	L_MAX_CONNECTIONS,
	L_IDLE_TIMEOUT,
	L_PER_SOURCE,
	L_TLS, /* the keys of config_tls.h, in their order */
	L_COUNT = L_TLS + CT_COUNT
};
static const char *const listen_keys[L_COUNT] = {"proto",        "address",
                                                 "rcvbuf",       "max_connections",
                                                 "idle_timeout", "max_connections_per_source",
                                                 CONFIG_TLS_KEYS};

#define BIT(proto) (1u << (proto))
#define STREAMS (BIT(LISTEN_TCP) | BIT(LISTEN_TLS))
/* Which protocols use a key; 0: all. */
static unsigned listen_key_protos(size_t k)
{
	if (k == L_RCVBUF)
		return BIT(LISTEN_UDP);
	if (k == L_MAX_CONNECTIONS || k == L_IDLE_TIMEOUT || k == L_PER_SOURCE)
		return STREAMS;
	return k >= L_TLS ? BIT(LISTEN_TLS) : 0;
}

/* Refuses a key that only other protocols use. */
static void listen_key_applies(struct parse *p, const struct ynode *key, size_t k, int proto)
{
	unsigned protos = listen_key_protos(k);
	if (proto < 0 || protos == 0 || (protos & BIT(proto)))
		return;
	cfg_error(p, key->line, key->column, "'%s' applies only to %s listeners", listen_keys[k],
	          protos == STREAMS           ? "tcp and tls"
	          : protos == BIT(LISTEN_UDP) ? "udp"
	                                      : "tls");
}

static int listen_proto(struct parse *p, const struct ynode *map, const struct ynode *val)
{
	static const char expected[] = "udp, tcp or tls";
	char shown[YSHOWN_BUF];

	if (val == NULL) {
		cfg_error(p, map->line, map->column, "missing 'proto' in listen entry");
		return -1;
	}
	if (!cfg_expect(p, val, YNODE_SCALAR, expected, "'proto' in listen entry"))
		return -1;
	if (strcmp(val->text, "udp") == 0 && val->len == 3)
		return LISTEN_UDP;
	if (strcmp(val->text, "tcp") == 0 && val->len == 3)
		return LISTEN_TCP;
	if (strcmp(val->text, "tls") == 0 && val->len == 3)
		return LISTEN_TLS;
	cfg_error(p, val->line, val->column, "expected %s for 'proto' in listen entry, got %s",
	          expected, ynode_show(val, shown));
	return -1;
}

static int listen_address(struct parse *p, const struct ynode *map, const struct ynode *val,
                          struct listen_config *lc)
{
	static const char what[] = "'address' in listen entry";
	static const char expected[] = "a numeric IP:PORT or [IPv6]:PORT";
	char shown[YSHOWN_BUF];

	if (val == NULL) {
		cfg_error(p, map->line, map->column, "missing 'address' in listen entry");
		return -1;
	}
	if (!cfg_expect(p, val, YNODE_SCALAR, expected, what))
		return -1;
	if (addr_parse(val->text, val->len, &lc->addr, &lc->addrlen) != 0) {
		cfg_error(p, val->line, val->column, "expected %s for %s, got %s", expected, what,
		          ynode_show(val, shown));
		return -1;
	}
	if ((lc->address = strdup(val->text)) == NULL) {
		cfg_error(p, val->line, val->column, "out of memory");
		return -1;
	}
	return 0;
}

/* One listen entry into lc. Returns 0 when its proto and address are valid (enough to look for
 * duplicates); problems in the other keys are reported without changing that. */
static int listen_entry(struct parse *p, const struct ynode *map, struct listen_config *lc)
{
	const struct ynode *vals[L_COUNT], *keys[L_COUNT];
	char what[SUBJECT_BUF];
	unsigned long long count;
	int proto, address;

	listen_set_defaults(lc);
	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "listen entry"))
		return -1;
	lc->line = map->line;
	lc->column = map->column;
	cfg_map_keys(p, map, " in listen entry", listen_keys, L_COUNT, vals, keys);
	proto = listen_proto(p, map, vals[L_PROTO]);
	if (proto >= 0)
		lc->proto = (enum listen_proto)proto;
	address = listen_address(p, map, vals[L_ADDRESS], lc);
	for (size_t k = L_RCVBUF; k < L_COUNT; k++)
		if (vals[k] != NULL)
			listen_key_applies(p, keys[k], k, proto);
	if (vals[L_RCVBUF] != NULL)
		cfg_size(p, vals[L_RCVBUF], cfg_subject(what, "rcvbuf", " in listen entry"), 0,
		         MAX_RCVBUF, "between 0 and 512MiB", &lc->rcvbuf);
	if (vals[L_MAX_CONNECTIONS] != NULL &&
	    cfg_number(p, vals[L_MAX_CONNECTIONS],
	               cfg_subject(what, "max_connections", " in listen entry"), 1,
	               MAX_TCP_CONNECTIONS, &count) == 0)
		lc->max_connections = (uint32_t)count;
	if (vals[L_IDLE_TIMEOUT] != NULL)
		cfg_duration(p, vals[L_IDLE_TIMEOUT],
		             cfg_subject(what, "idle_timeout", " in listen entry"), 1,
		             &lc->idle_timeout_ms);
	if (vals[L_PER_SOURCE] != NULL &&
	    cfg_number(p, vals[L_PER_SOURCE],
	               cfg_subject(what, "max_connections_per_source", " in listen entry"), 1,
	               MAX_TCP_CONNECTIONS, &count) == 0)
		lc->max_per_source = (uint32_t)count;
	if (proto == LISTEN_TLS)
		config_tls_read(p, map, &vals[L_TLS], lc);
	return proto >= 0 && address == 0 ? 0 : -1;
}

static const struct ynode *listen_read(struct parse *p, const struct ynode *map, void *item)
{
	return listen_entry(p, map, item) == 0 ? map : NULL;
}

static int listen_same_socket(const void *a, const void *b)
{
	const struct listen_config *x = a, *y = b;
	return x->proto == y->proto && addr_same(&x->addr, &y->addr);
}

static const char *listen_label(const void *item, const struct ynode *key,
                                char buf[YSHOWN_BUF + 32])
{
	const struct listen_config *lc = item;

	(void)key;
	snprintf(buf, YSHOWN_BUF + 32, "listener %s %s", config_listen_proto_name(lc->proto),
	         lc->address);
	return buf;
}

static const struct cfg_keyed_list listen_list = {.what = "'listen'",
                                                  .if_empty =
                                                      "nothing to listen on: 'listen' is empty",
                                                  .item_size = sizeof(struct listen_config),
                                                  .read = listen_read,
                                                  .same = listen_same_socket,
                                                  .name = listen_label};

static int listen_defaults(struct config *cfg)
{
	static const enum listen_proto protos[] = {LISTEN_UDP, LISTEN_TCP};
	size_t n = sizeof(protos) / sizeof(protos[0]);

	if ((cfg->listen = calloc(n, sizeof(*cfg->listen))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct listen_config *lc = &cfg->listen[i];
		listen_set_defaults(lc);
		lc->proto = protos[i];
		if ((lc->address = strdup(DEFAULT_LISTEN_ADDRESS)) == NULL)
			return -1;
		cfg->n_listen++;
		addr_parse(lc->address, strlen(lc->address), &lc->addr, &lc->addrlen);
	}
	return 0;
}

/* ---- allow_from ---- */

static void allow_list(struct parse *p, const struct ynode *list)
{
	static const char expected[] = "an address or prefix (such as 10.0.0.0/8 or ::1, no host "
	                               "bits set)";
	struct config *cfg = p->cfg;
	char shown[YSHOWN_BUF];

	if (!cfg_expect(p, list, YNODE_LIST, "a list", "'allow_from'"))
		return;
	cfg->allow_from_set = 1;
	if (list->n == 0)
		return;
	if ((cfg->allow_from = calloc(list->n, sizeof(*cfg->allow_from))) == NULL) {
		cfg_error(p, list->line, list->column, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		if (!cfg_expect(p, n, YNODE_SCALAR, expected, "allow_from entry"))
			continue;
		if (cidr_parse(span_make(n->text, n->len), &cfg->allow_from[cfg->n_allow]) != 0) {
			cfg_error(p, n->line, n->column, "expected %s for allow_from entry, got %s",
			          expected, ynode_show(n, shown));
			continue;
		}
		cfg->n_allow++;
	}
}

/* ---- tracking ---- */

static int64_t ms_to_seconds_up(uint64_t ms)
{
	return (int64_t)((ms + 999) / 1000);
}

enum {
	T_IDLE,
	T_LIFETIME,
	T_LINGER,
	T_MAX_CONNECTIONS,
	T_ALERT_DELAY,
	T_STATE_FILE,
	T_CHECKPOINT,
	T_MAX_MESSAGES,
	T_MESSAGE_TIMEOUT,
	T_COUNT
};
static const char *const tracking_keys[T_COUNT] = {
    "idle_timeout",        "lifetime",     "linger",
    "max_connections",     "alert_delay",  "state_file",
    "checkpoint_interval", "max_messages", "message_timeout"};

/* A state file is written through a temporary file beside it: a directory or "-" cannot be. */
static void state_file_path(struct parse *p, const struct ynode *n)
{
	char *path = cfg_text(p, n, "a file path", "'state_file' in tracking");
	if (path == NULL)
		return;
	size_t len = strlen(path);
	if (strcmp(path, "-") == 0 || path[len - 1] == '/') {
		cfg_error(p, n->line, n->column,
		          "expected a file path for 'state_file' in tracking, got \"%s\"", path);
		free(path);
		return;
	}
	p->cfg->state_file = path;
}

static void tracking_map(struct parse *p, const struct ynode *map)
{
	static const char where[] = " in tracking";
	struct track_config *tc = &p->cfg->engine.track;
	const struct ynode *vals[T_COUNT], *keys[T_COUNT];
	char what[SUBJECT_BUF];
	unsigned long long count;
	uint64_t ms;

	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "'tracking'"))
		return;
	cfg_map_keys(p, map, where, tracking_keys, T_COUNT, vals, keys);
	for (size_t k = T_IDLE; k <= T_LINGER; k++) {
		if (vals[k] == NULL ||
		    cfg_duration(p, vals[k], cfg_subject(what, tracking_keys[k], where),
		                 k != T_LINGER, &ms) != 0)
			continue;
		/* The tracker counts whole seconds: round up so that a limit is never shortened. */
		if (k == T_IDLE)
			tc->idle_timeout = ms_to_seconds_up(ms);
		else if (k == T_LIFETIME)
			tc->lifetime = ms_to_seconds_up(ms);
		else
			tc->linger = ms_to_seconds_up(ms);
	}
	if (vals[T_MAX_CONNECTIONS] != NULL &&
	    cfg_number(p, vals[T_MAX_CONNECTIONS], cfg_subject(what, "max_connections", where), 1,
	               MAX_TRACKED, &count) == 0)
		tc->max_connections = (uint32_t)count;
	if (vals[T_ALERT_DELAY] != NULL &&
	    cfg_duration(p, vals[T_ALERT_DELAY], cfg_subject(what, "alert_delay", where), 0, &ms) ==
	        0) {
		p->cfg->alert_delay_ms = ms;
		/* The tracker counts whole seconds: an alert goes out at the first daemon tick
		 * (250 ms) of the D-th second after the failure line's second, so between D - 1
		 * and D seconds after the line, plus at most one tick. */
		tc->alert_delay = (int64_t)(ms / 1000);
	}
	if (vals[T_MAX_MESSAGES] != NULL &&
	    cfg_number(p, vals[T_MAX_MESSAGES], cfg_subject(what, "max_messages", where), 1,
	               MAX_TRACKED, &count) == 0)
		tc->max_messages = (uint32_t)count;
	if (vals[T_MESSAGE_TIMEOUT] != NULL &&
	    cfg_duration(p, vals[T_MESSAGE_TIMEOUT], cfg_subject(what, "message_timeout", where), 1,
	                 &ms) == 0)
		tc->message_timeout = ms_to_seconds_up(ms);
	if (vals[T_STATE_FILE] != NULL)
		state_file_path(p, vals[T_STATE_FILE]);
	if (vals[T_CHECKPOINT] != NULL &&
	    cfg_duration(p, vals[T_CHECKPOINT], cfg_subject(what, "checkpoint_interval", where), 0,
	                 &ms) == 0)
		p->cfg->checkpoint_ms = ms;
}
/* ---- outputs ---- */

enum { O_FILE, O_VERDICTS, O_TYPES, O_QUEUE, O_COUNT };
static const char *const output_keys[O_COUNT] = {"file", "verdicts", "types", "queue"};

static const struct cfg_choices output_verdict_choices = {.what = "'verdicts' in outputs entry",
                                                          .key = "verdicts",
                                                          .noun = "verdict",
                                                          .expected = CFG_VERDICT_NAMES,
                                                          .if_empty =
                                                              "the output would write nothing",
                                                          .bit = cfg_verdict_bit};

static const struct cfg_choices output_type_choices = {.what = "'types' in outputs entry",
                                                       .key = "types",
                                                       .noun = "record type",
                                                       .expected = CFG_RECORD_TYPE_NAMES,
                                                       .if_empty = "the output would write nothing",
                                                       .bit = cfg_record_type_bit};

static void output_set_defaults(struct output_config *oc)
{
	oc->verdicts = ALL_VERDICTS;
	oc->types = DEFAULT_RECORD_TYPES;
	oc->queue = DEFAULT_QUEUE;
}

/* One outputs entry into item, a struct output_config. oc->file is set when the file itself is
 * valid, whatever the other keys hold; its node is returned then, for duplicates. */
static const struct ynode *output_entry(struct parse *p, const struct ynode *map, void *item)
{
	struct output_config *oc = item;
	static const char where[] = " in outputs entry";
	const struct ynode *vals[O_COUNT], *keys[O_COUNT];
	unsigned long long queue;

	output_set_defaults(oc);
	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "outputs entry"))
		return NULL;
	cfg_map_keys(p, map, where, output_keys, O_COUNT, vals, keys);
	if (vals[O_FILE] == NULL)
		cfg_error(p, map->line, map->column, "missing 'file' in outputs entry");
	else
		oc->file =
		    cfg_text(p, vals[O_FILE], "a file path or \"-\"", "'file' in outputs entry");
	if (vals[O_VERDICTS] != NULL)
		cfg_choice_list(p, vals[O_VERDICTS], &output_verdict_choices, &oc->verdicts);
	if (vals[O_TYPES] != NULL)
		cfg_choice_list(p, vals[O_TYPES], &output_type_choices, &oc->types);
	if (vals[O_QUEUE] != NULL &&
	    cfg_number(p, vals[O_QUEUE], "'queue' in outputs entry", 1, MAX_QUEUE, &queue) == 0)
		oc->queue = (uint32_t)queue;
	return oc->file != NULL ? vals[O_FILE] : NULL;
}

static const struct cfg_keyed_list output_list = {
    .what = "'outputs'",
    .if_empty = "nothing to write to: 'outputs' is empty",
    .item_size = sizeof(struct output_config),
    .read = output_entry,
    .key_offset = offsetof(struct output_config, file),
    .noun = "output file"};

static int output_defaults(struct config *cfg)
{
	if ((cfg->outputs = calloc(1, sizeof(*cfg->outputs))) == NULL)
		return -1;
	output_set_defaults(&cfg->outputs[0]);
	if ((cfg->outputs[0].file = strdup("-")) == NULL)
		return -1;
	cfg->n_outputs = 1;
	return 0;
}
/* ---- metrics ---- */

/* metrics: {address: "IP:PORT"}; {} (or no key) serves no endpoint. */
static void metrics_map(struct parse *p, const struct ynode *map)
{
	enum { M_ADDRESS, M_MAX_CONNECTIONS, M_TIMEOUT, M_COUNT };
	static const char *const keys[M_COUNT] = {"address", "max_connections", "timeout"};
	static const char what[] = "'address' in 'metrics'";
	static const char expected[] = "a numeric IP:PORT or [IPv6]:PORT";
	const struct ynode *vals[M_COUNT], *key_nodes[M_COUNT];
	char shown[YSHOWN_BUF];
	unsigned long long count;
	uint64_t ms;

	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "'metrics'") || map->n == 0)
		return;
	cfg_map_keys(p, map, " in 'metrics'", keys, M_COUNT, vals, key_nodes);
	if (vals[M_MAX_CONNECTIONS] != NULL &&
	    cfg_number(p, vals[M_MAX_CONNECTIONS], "'max_connections' in 'metrics'", 1,
	               MAX_METRICS_CONNECTIONS, &count) == 0)
		p->cfg->metrics_max_connections = (uint32_t)count;
	if (vals[M_TIMEOUT] != NULL &&
	    cfg_duration(p, vals[M_TIMEOUT], "'timeout' in 'metrics'", 1, &ms) == 0) {
		if (ms > MAX_METRICS_TIMEOUT_MS)
			cfg_error(p, vals[M_TIMEOUT]->line, vals[M_TIMEOUT]->column,
			          "'timeout' in 'metrics' must be at most 10m, got %s",
			          ynode_show(vals[M_TIMEOUT], shown));
		else
			p->cfg->metrics_timeout_ms = ms;
	}
	if (vals[M_ADDRESS] == NULL) {
		cfg_error(p, map->line, map->column, "missing 'address' in 'metrics'");
		return;
	}
	if (!cfg_expect(p, vals[M_ADDRESS], YNODE_SCALAR, expected, what))
		return;
	if (addr_parse(vals[M_ADDRESS]->text, vals[M_ADDRESS]->len, &p->cfg->metrics_addr,
	               &p->cfg->metrics_addrlen) != 0) {
		cfg_error(p, vals[M_ADDRESS]->line, vals[M_ADDRESS]->column,
		          "expected %s for %s, got %s", expected, what,
		          ynode_show(vals[M_ADDRESS], shown));
		return;
	}
	if ((p->cfg->metrics_address = strdup(vals[M_ADDRESS]->text)) == NULL)
		cfg_error(p, vals[M_ADDRESS]->line, vals[M_ADDRESS]->column, "out of memory");
}

/* ---- log_repeats ---- */

/* log_repeats: {burst: N, interval: DURATION}: how many lines of one kind a window lets
 * through before they are only counted, and how long the window is. */
static void log_repeats_map(struct parse *p, const struct ynode *map)
{
	static const char *const keys[] = {"burst", "interval"};
	static const char where[] = " in 'log_repeats'";
	const struct ynode *vals[2], *key_nodes[2];
	unsigned long long burst;
	uint64_t ms;

	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "'log_repeats'"))
		return;
	cfg_map_keys(p, map, where, keys, 2, vals, key_nodes);
	if (vals[0] != NULL &&
	    cfg_number(p, vals[0], "'burst' in 'log_repeats'", 1, MAX_LOG_BURST, &burst) == 0)
		p->cfg->log_burst = (unsigned)burst;
	if (vals[1] != NULL &&
	    cfg_duration(p, vals[1], "'interval' in 'log_repeats'", 1, &ms) == 0) {
		if (ms > MAX_LOG_INTERVAL_MS)
			cfg_error(p, vals[1]->line, vals[1]->column,
			          "'interval' in 'log_repeats' must be at most 1d");
		else
			p->cfg->log_interval_ms = ms;
	}
}

/* ---- the top level ---- */

static void user_name(struct parse *p, const struct ynode *n)
{
	static const char expected[] = "a user name";
	char shown[YSHOWN_BUF];

	if ((p->cfg->user = cfg_text(p, n, expected, "'user'")) == NULL)
		return;
	if (strchr(p->cfg->user, '/') != NULL)
		cfg_error(p, n->line, n->column, "expected %s for 'user', got %s", expected,
		          ynode_show(n, shown));
}

enum {
	K_LISTEN,
	K_ALLOW,
	K_MAX_MESSAGE,
	K_TRACKING,
	K_OUTPUTS,
	K_HOOKS,
	K_METRICS,
	K_USER,
	K_LOG_REPEATS,
	K_APPLIANCES,
	K_STOP_TIMEOUT,
	K_POSTURE,
	K_COUNT
};
static const char *const top_keys[K_COUNT] = {
    "listen",  "allow_from", "max_message_size", "tracking",   "outputs",      "hooks",
    "metrics", "user",       "log_repeats",      "appliances", "stop_timeout", "posture"};

/* stop_timeout: how long a stop may wait for outputs and hooks; under the unit's
 * TimeoutStopSec, so that systemd never has to kill the daemon. */
static void stop_timeout(struct parse *p, const struct ynode *n)
{
	char shown[YSHOWN_BUF];
	uint64_t ms;

	if (cfg_duration(p, n, "'stop_timeout'", 1, &ms) != 0)
		return;
	if (ms > MAX_STOP_TIMEOUT_MS)
		cfg_error(p, n->line, n->column, "'stop_timeout' must be at most 25s, got %s",
		          ynode_show(n, shown));
	else
		p->cfg->stop_timeout_ms = ms;
}

static void walk_root(struct parse *p, const struct ynode *root)
{
	struct config *cfg = p->cfg;
	const struct ynode *vals[K_COUNT], *keys[K_COUNT];
	char shown[YSHOWN_BUF];

	for (size_t k = 0; k < K_COUNT; k++)
		vals[k] = NULL;
	if (root != NULL && !ynode_is_null(root)) {
		if (root->kind != YNODE_MAP) {
			if (root->kind != YNODE_ALIAS)
				cfg_error(p, root->line, root->column,
				          "expected a mapping at the top level, got %s",
				          ynode_show(root, shown));
			return;
		}
		cfg_map_keys(p, root, "", top_keys, K_COUNT, vals, keys);
	}
	if (vals[K_LISTEN] != NULL) {
		void *items;
		cfg->listen_given = 1;
		cfg_keyed_list(p, vals[K_LISTEN], &listen_list, &items, &cfg->n_listen);
		cfg->listen = items;
	}
	if (vals[K_ALLOW] != NULL)
		allow_list(p, vals[K_ALLOW]);
	if (vals[K_MAX_MESSAGE] != NULL)
		cfg_size(p, vals[K_MAX_MESSAGE], "'max_message_size'", MIN_MAX_MESSAGE,
		         MAX_MAX_MESSAGE, "between 1KiB and 1MiB", &cfg->max_message_size);
	if (vals[K_TRACKING] != NULL)
		tracking_map(p, vals[K_TRACKING]);
	if (vals[K_OUTPUTS] != NULL) {
		void *items;
		cfg_keyed_list(p, vals[K_OUTPUTS], &output_list, &items, &cfg->n_outputs);
		cfg->outputs = items;
	}
	if (vals[K_HOOKS] != NULL)
		config_hooks_read(p, vals[K_HOOKS]);
	if (vals[K_METRICS] != NULL)
		metrics_map(p, vals[K_METRICS]);
	if (vals[K_USER] != NULL)
		user_name(p, vals[K_USER]);
	if (vals[K_LOG_REPEATS] != NULL)
		log_repeats_map(p, vals[K_LOG_REPEATS]);
	if (vals[K_STOP_TIMEOUT] != NULL)
		stop_timeout(p, vals[K_STOP_TIMEOUT]);
	if (vals[K_APPLIANCES] != NULL)
		config_appliances_read(p, vals[K_APPLIANCES]);
	if (vals[K_POSTURE] != NULL)
		config_posture_read(p, vals[K_POSTURE]);
	if (p->r.n_errors > 0)
		return;
	if ((vals[K_LISTEN] == NULL && listen_defaults(cfg) != 0) ||
	    (vals[K_OUTPUTS] == NULL && output_defaults(cfg) != 0))
		cfg_error(p, 0, 0, "out of memory");
}

/* ---- the API ---- */

unsigned config_record_types(const struct config *cfg)
{
	unsigned types = 0;
	for (size_t i = 0; i < cfg->n_outputs; i++)
		types |= cfg->outputs[i].types ? cfg->outputs[i].types : DEFAULT_RECORD_TYPES;
	for (size_t i = 0; i < cfg->n_hooks; i++)
		types |= cfg->hooks[i].types ? cfg->hooks[i].types : DEFAULT_RECORD_TYPES;
	return types;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		free(cfg->listen[i].address);
		config_tls_free(&cfg->listen[i]);
	}
	free(cfg->listen);
	free(cfg->allow_from);
	for (size_t i = 0; i < cfg->n_outputs; i++)
		free(cfg->outputs[i].file);
	free(cfg->outputs);
	for (size_t i = 0; i < cfg->n_hooks; i++)
		config_hook_free(&cfg->hooks[i]);
	free(cfg->hooks);
	free(cfg->user);
	free(cfg->metrics_address);
	free(cfg->state_file);
	config_appliances_free(cfg);
	free(cfg->source);
	free(cfg);
}

/* A config holding the scalar defaults and no lists yet. */
static struct config *config_new(const char *source)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	if ((cfg->source = strdup(source)) == NULL) {
		free(cfg);
		return NULL;
	}
	cfg->max_message_size = DEFAULT_MAX_MESSAGE;
	engine_config_defaults(&cfg->engine);
	cfg->alert_delay_ms = DEFAULT_ALERT_DELAY_MS;
	cfg->checkpoint_ms = DEFAULT_CHECKPOINT_MS;
	cfg->log_burst = DEFAULT_LOG_BURST;
	cfg->log_interval_ms = DEFAULT_LOG_INTERVAL_MS;
	cfg->metrics_max_connections = DEFAULT_METRICS_CONNECTIONS;
	cfg->metrics_timeout_ms = DEFAULT_METRICS_TIMEOUT_MS;
	cfg->stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;
	cfg->silent_after_ms = DEFAULT_SILENT_AFTER_MS;
	return cfg;
}

struct config *config_default(void)
{
	struct config *cfg = config_new("built-in defaults");

	if (cfg == NULL)
		return NULL;
	if (listen_defaults(cfg) != 0 || output_defaults(cfg) != 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_parse(const char *name, const char *buf, size_t len, config_report_fn report,
                            void *arg)
{
	struct parse p;
	struct ynode *root;

	memset(&p, 0, sizeof(p));
	yreport_init(&p.r, name != NULL ? name : "config", report, arg);
	if (len > CONFIG_MAX_BYTES) {
		cfg_error(&p, 0, 0, "larger than 1 MiB");
	} else if ((p.cfg = config_new(p.r.name)) == NULL) {
		cfg_error(&p, 0, 0, "out of memory");
	} else {
		root = ytree_load(&p.r, buf != NULL ? buf : "", buf != NULL ? len : 0);
		if (!p.r.stop)
			walk_root(&p, root);
		ynode_free(root);
	}
	if (p.r.n_errors == 0)
		return p.cfg;
	yreport_flush(&p.r);
	config_free(p.cfg);
	return NULL;
}

/* Reads at most CONFIG_MAX_BYTES + 1 bytes: enough for config_parse to see it is too large. */
static char *read_bounded(int fd, size_t *len)
{
	char *buf = malloc(CONFIG_MAX_BYTES + 1);
	size_t have = 0;

	if (buf == NULL)
		return NULL;
	while (have < CONFIG_MAX_BYTES + 1) {
		ssize_t r = read(fd, buf + have, CONFIG_MAX_BYTES + 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(buf);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	*len = have;
	return buf;
}

static void report_errno(const char *path, config_report_fn report, void *arg)
{
	char text[512];

	snprintf(text, sizeof(text), "%.400s: %s", path, strerror(errno));
	if (report != NULL)
		report(text, arg);
}

struct config *config_load(const char *path, config_report_fn report, void *arg)
{
	struct config *cfg;
	size_t len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		report_errno(path, report, arg);
		return NULL;
	}
	buf = read_bounded(fd, &len);
	if (buf == NULL) {
		report_errno(path, report, arg);
		close(fd);
		return NULL;
	}
	close(fd);
	cfg = config_parse(path, buf, len, report, arg);
	free(buf);
	return cfg;
}