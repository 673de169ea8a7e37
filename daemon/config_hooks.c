/* The 'hooks' section of the configuration: each entry names a hook, what it runs (exec: a
 * program and its arguments, never a shell; or webhook: a URL), what it is offered (on:) and
 * its limits. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgcheck.h"
#include "config.h"
#include "config_hooks.h"
#include "config_webhook.h"
#include "esa.h"
#include "record.h"
#include "span.h"
#include "verdict.h"

#define BOTH_DIRECTIONS ((1u << ESA_DIR_IN) | (1u << ESA_DIR_OUT))

static unsigned direction_bit(const struct ynode *n)
{
	if (cfg_text_is(n, "inbound"))
		return 1u << ESA_DIR_IN;
	if (cfg_text_is(n, "outbound"))
		return 1u << ESA_DIR_OUT;
	return 0;
}

static const struct cfg_choices hook_verdict_choices = {.what = "'verdict' in 'on'",
                                                        .key = "verdict",
                                                        .noun = "verdict",
                                                        .expected = CFG_VERDICT_NAMES,
                                                        .if_empty = "the hook would never run",
                                                        .bit = cfg_verdict_bit};
static const struct cfg_choices hook_direction_choices = {.what = "'direction' in 'on'",
                                                          .key = "direction",
                                                          .noun = "direction",
                                                          .expected = "inbound or outbound",
                                                          .if_empty = "the hook would never run",
                                                          .bit = direction_bit};

static unsigned feed_state_bit(const struct ynode *n)
{
	for (int s = 0; s < FEED_STATE_COUNT; s++)
		if (cfg_text_is(n, feed_state_name((enum feed_state)s)))
			return 1u << s;
	return 0;
}

static const struct cfg_choices hook_type_choices = {.what = "'type' in 'on'",
                                                     .key = "type",
                                                     .noun = "record type",
                                                     .expected = CFG_RECORD_TYPE_NAMES,
                                                     .if_empty = "the hook would never run",
                                                     .bit = cfg_record_type_bit};
static const struct cfg_choices hook_state_choices = {
    .what = "'state' in 'on'",
    .key = "state",
    .noun = "feed state",
    .expected = "silent, resumed, missing, unrecognised or recognised",
    .if_empty = "the hook would never run for a feed record",
    .bit = feed_state_bit};

static unsigned downgrade_kind_bit(const struct ynode *n)
{
	for (int k = 0; k < DOWNGRADE_KIND_COUNT; k++)
		if (cfg_text_is(n, downgrade_kind_name((enum downgrade_kind)k)))
			return 1u << k;
	return 0;
}

static const struct cfg_choices hook_kind_choices = {
    .what = "'kind' in 'on'",
    .key = "kind",
    .noun = "downgrade kind",
    .expected = "tls_lost, protocol or restored",
    .if_empty = "the hook would never run for a downgrade record",
    .bit = downgrade_kind_bit};

static int hook_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Names go into log lines, ESATLSD_HOOK and metric labels: a small alphabet needs no quoting. */
static char *hook_name(struct parse *p, const struct ynode *n)
{
	static const char expected[] = "a hook name (1 to 64 of A-Z a-z 0-9 _ . -)";
	char shown[YSHOWN_BUF], *copy;
	int ok;

	if (!cfg_expect(p, n, YNODE_SCALAR, expected, "'name' in hooks entry"))
		return NULL;
	ok = n->len >= 1 && n->len <= HOOK_NAME_MAX && !ynode_is_null(n);
	for (size_t i = 0; ok && i < n->len; i++)
		ok = hook_name_char(n->text[i]);
	if (!ok) {
		cfg_error(p, n->line, n->column, "expected %s for 'name' in hooks entry, got %s",
		          expected, ynode_show(n, shown));
		return NULL;
	}
	if ((copy = strdup(n->text)) == NULL)
		cfg_error(p, n->line, n->column, "out of memory");
	return copy;
}

/* One argv entry, taken verbatim: it is never given to a shell, so quotes, "$(...)" or
 * newlines are plain data. Only a NUL cannot be passed to execve. */
static int hook_argument(struct parse *p, const struct ynode *n, int program)
{
	char shown[YSHOWN_BUF];

	if (!cfg_expect(p, n, YNODE_SCALAR, "a string", "exec entry"))
		return -1;
	if (ynode_is_null(n)) {
		cfg_error(p, n->line, n->column, "expected a string for exec entry, got %s",
		          ynode_show(n, shown));
		return -1;
	}
	if (memchr(n->text, '\0', n->len) != NULL) {
		cfg_error(p, n->line, n->column,
		          "expected a string without NUL bytes for exec entry, got %s",
		          ynode_show(n, shown));
		return -1;
	}
	if (n->len > HOOK_ARG_BYTES) {
		cfg_error(p, n->line, n->column,
		          "exec entry must be at most %d bytes, got %zu bytes", HOOK_ARG_BYTES,
		          n->len);
		return -1;
	}
	/* No PATH search: what runs must not depend on the daemon's environment. */
	if (program && n->text[0] != '/') {
		cfg_error(
		    p, n->line, n->column,
		    "the program in 'exec' must be an absolute path (starting with /), got %s",
		    ynode_show(n, shown));
		return -1;
	}
	return 0;
}

static void hook_exec(struct parse *p, const struct ynode *list, struct hook_config *hc)
{
	static const char what[] = "'exec' in hooks entry";

	if (!cfg_expect(p, list, YNODE_LIST, "a list (the program and its arguments)", what))
		return;
	if (list->n == 0) {
		cfg_error(p, list->line, list->column, "%s is empty: give the program to run",
		          what);
		return;
	}
	if (list->n > HOOK_ARGS_MAX) {
		cfg_error(p, list->line, list->column,
		          "%s has %zu entries, at most %d (the program and its arguments)", what,
		          list->n, HOOK_ARGS_MAX);
		return;
	}
	if ((hc->argv = calloc(list->n + 1, sizeof(*hc->argv))) == NULL) {
		cfg_error(p, list->line, list->column, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		if (hook_argument(p, n, i == 0) != 0)
			continue;
		if ((hc->argv[hc->argc] = strdup(n->text)) == NULL) {
			cfg_error(p, n->line, n->column, "out of memory");
			return;
		}
		hc->argc++;
	}
}

/* on.host: appliance names, none twice. */
static const struct cfg_texts hook_host_texts = {.what = "'host' in 'on'",
                                                 .key = "host",
                                                 .expected = "an appliance host name",
                                                 .noun = "host",
                                                 .if_empty = "the hook would never run",
                                                 .max = MAX_EXPECTED_APPLIANCES};

enum { ON_VERDICT, ON_DIRECTION, ON_HOST, ON_TYPE, ON_STATE, ON_KIND, ON_COUNT };
static const char *const on_keys[ON_COUNT] = {"verdict", "direction", "host",
                                              "type",    "state",     "kind"};

static void hook_on(struct parse *p, const struct ynode *map, struct hook_config *hc)
{
	const struct ynode *vals[ON_COUNT], *keys[ON_COUNT];

	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "'on' in hooks entry"))
		return;
	cfg_map_keys(p, map, " in 'on'", on_keys, ON_COUNT, vals, keys);
	if (vals[ON_VERDICT] != NULL)
		cfg_choice_list(p, vals[ON_VERDICT], &hook_verdict_choices, &hc->verdicts);
	if (vals[ON_DIRECTION] != NULL)
		cfg_choice_list(p, vals[ON_DIRECTION], &hook_direction_choices, &hc->directions);
	if (vals[ON_HOST] != NULL)
		cfg_text_list(p, vals[ON_HOST], &hook_host_texts, &hc->hosts, &hc->n_hosts);
	if (vals[ON_TYPE] != NULL)
		cfg_choice_list(p, vals[ON_TYPE], &hook_type_choices, &hc->types);
	if (vals[ON_STATE] != NULL)
		cfg_choice_list(p, vals[ON_STATE], &hook_state_choices, &hc->states);
	if (vals[ON_KIND] != NULL)
		cfg_choice_list(p, vals[ON_KIND], &hook_kind_choices, &hc->kinds);
}

enum { TH_KEY, TH_INTERVAL, TH_COUNT };
static const char *const throttle_keys[TH_COUNT] = {"key", "interval"};

static void hook_throttle(struct parse *p, const struct ynode *map, struct hook_config *hc)
{
	static const char expected[] = "peer_ip, host or none";
	const struct ynode *vals[TH_COUNT], *keys[TH_COUNT], *key;
	char shown[YSHOWN_BUF];

	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "'throttle' in hooks entry"))
		return;
	cfg_map_keys(p, map, " in 'throttle'", throttle_keys, TH_COUNT, vals, keys);
	if ((key = vals[TH_KEY]) == NULL) {
		cfg_error(p, map->line, map->column, "missing 'key' in 'throttle'");
	} else if (cfg_expect(p, key, YNODE_SCALAR, expected, "'key' in 'throttle'")) {
		if (cfg_text_is(key, "peer_ip"))
			hc->throttle_key = THROTTLE_PEER_IP;
		else if (cfg_text_is(key, "host"))
			hc->throttle_key = THROTTLE_HOST;
		else if (cfg_text_is(key, "none"))
			hc->throttle_key = THROTTLE_NONE;
		else
			cfg_error(p, key->line, key->column,
			          "expected %s for 'key' in 'throttle', got %s", expected,
			          ynode_show(key, shown));
	}
	if (vals[TH_INTERVAL] == NULL)
		cfg_error(p, map->line, map->column, "missing 'interval' in 'throttle'");
	else
		cfg_duration(p, vals[TH_INTERVAL], "'interval' in 'throttle'", 1,
		             &hc->throttle_interval_ms);
}

enum {
	H_NAME,
	H_EXEC,
	H_WEBHOOK,
	H_ON,
	H_TIMEOUT,
	H_MAX_CONCURRENT,
	H_QUEUE,
	H_RETRIES,
	H_THROTTLE,
	H_WEBHOOK_KEYS, /* the WK_* keys of config_webhook.h follow, in their order */
	H_COUNT = H_WEBHOOK_KEYS + WK_COUNT
};
static const char *const hook_keys[H_COUNT] = {"name",
                                               "exec",
                                               "webhook",
                                               "on",
                                               "timeout",
                                               "max_concurrent",
                                               "queue",
                                               "retries",
                                               "throttle",
#define WEBHOOK_KEY_NAME(id, name) name,
                                               WEBHOOK_KEYS(WEBHOOK_KEY_NAME)
#undef WEBHOOK_KEY_NAME
};

static void hook_set_defaults(struct hook_config *hc)
{
	hc->verdicts = 1u << VERDICT_TLS_FAILED;
	hc->directions = BOTH_DIRECTIONS;
	hc->types = DEFAULT_RECORD_TYPES;
	hc->states = ALL_FEED_STATES;
	hc->kinds = ALL_DOWNGRADE_KINDS;
	hc->timeout_ms = DEFAULT_HOOK_TIMEOUT_MS;
	hc->max_concurrent = DEFAULT_HOOK_CONCURRENT;
	hc->queue = DEFAULT_HOOK_QUEUE;
	hc->retries = DEFAULT_HOOK_RETRIES;
	hc->throttle_key = THROTTLE_NONE;
	hc->throttle_interval_ms = 0;
}

/* exec or webhook, exactly one. */
static void hook_action(struct parse *p, const struct ynode *map, const struct ynode **vals,
                        const struct ynode **keys, struct hook_config *hc)
{
	if (vals[H_EXEC] == NULL && vals[H_WEBHOOK] == NULL) {
		cfg_error(p, map->line, map->column, "missing 'exec' or 'webhook' in hooks entry");
		return;
	}
	if (vals[H_EXEC] != NULL && vals[H_WEBHOOK] != NULL) {
		const struct ynode *e = keys[H_EXEC], *w = keys[H_WEBHOOK];
		int exec_first = e->line < w->line || (e->line == w->line && e->column < w->column);
		const struct ynode *first = exec_first ? e : w, *second = exec_first ? w : e;
		cfg_error(p, second->line, second->column,
		          "'%s' with '%s' (at %u:%u) in one hooks entry: give only one",
		          exec_first ? "webhook" : "exec", exec_first ? "exec" : "webhook",
		          first->line, first->column);
	}
	if (vals[H_EXEC] != NULL) {
		hc->kind = HOOK_EXEC;
		hc->retries = 0;
		hook_exec(p, vals[H_EXEC], hc);
	}
	if (vals[H_WEBHOOK] != NULL) {
		hc->kind = HOOK_WEBHOOK;
		hc->url = config_webhook_url(p, vals[H_WEBHOOK]);
	}
}

/* One hooks entry into item, a struct hook_config. hc->name is set when the name itself is
 * valid, whatever the other keys hold; its node is returned then, for duplicates. */
static const struct ynode *hook_entry(struct parse *p, const struct ynode *map, void *item)
{
	struct hook_config *hc = item;
	static const char where[] = " in hooks entry";
	const struct ynode *vals[H_COUNT], *keys[H_COUNT];
	unsigned long long count;
	uint64_t ms;

	hook_set_defaults(hc);
	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "hooks entry"))
		return NULL;
	hc->line = map->line;
	hc->column = map->column;
	cfg_map_keys(p, map, where, hook_keys, H_COUNT, vals, keys);
	if (vals[H_NAME] == NULL)
		cfg_error(p, map->line, map->column, "missing 'name' in hooks entry");
	else
		hc->name = hook_name(p, vals[H_NAME]);
	hook_action(p, map, vals, keys, hc);
	if (vals[H_ON] != NULL)
		hook_on(p, vals[H_ON], hc);
	if (vals[H_TIMEOUT] != NULL &&
	    cfg_duration(p, vals[H_TIMEOUT], "'timeout' in hooks entry", 1, &ms) == 0) {
		char shown[YSHOWN_BUF];
		if (ms > MAX_HOOK_TIMEOUT_MS)
			cfg_error(p, vals[H_TIMEOUT]->line, vals[H_TIMEOUT]->column,
			          "'timeout' in hooks entry must be at most 1h, got %s",
			          ynode_show(vals[H_TIMEOUT], shown));
		else
			hc->timeout_ms = ms;
	}
	if (vals[H_MAX_CONCURRENT] != NULL &&
	    cfg_number(p, vals[H_MAX_CONCURRENT], "'max_concurrent' in hooks entry", 1,
	               MAX_HOOK_CONCURRENT, &count) == 0)
		hc->max_concurrent = (uint32_t)count;
	if (vals[H_QUEUE] != NULL &&
	    cfg_number(p, vals[H_QUEUE], "'queue' in hooks entry", 1, MAX_HOOK_QUEUE, &count) == 0)
		hc->queue = (uint32_t)count;
	if (vals[H_RETRIES] != NULL) {
		/* A program that failed may have done part of its work: it is not run twice. */
		if (vals[H_EXEC] != NULL && vals[H_WEBHOOK] == NULL)
			cfg_error(p, keys[H_RETRIES]->line, keys[H_RETRIES]->column,
			          "'retries' applies to webhook hooks only");
		if (cfg_number(p, vals[H_RETRIES], "'retries' in hooks entry", 0, MAX_HOOK_RETRIES,
		               &count) == 0 &&
		    hc->kind == HOOK_WEBHOOK)
			hc->retries = (uint32_t)count;
	}
	if (vals[H_THROTTLE] != NULL)
		hook_throttle(p, vals[H_THROTTLE], hc);
	config_webhook_read(p, map, vals + H_WEBHOOK_KEYS, keys + H_WEBHOOK_KEYS, hc);
	return hc->name != NULL ? vals[H_NAME] : NULL;
}

static const struct cfg_keyed_list hook_list = {.what = "'hooks'",
                                                .max_items = MAX_HOOKS,
                                                .many = "hooks",
                                                .item_size = sizeof(struct hook_config),
                                                .read = hook_entry,
                                                .key_offset = offsetof(struct hook_config, name),
                                                .noun = "hook name"};

void config_hooks_read(struct parse *p, const struct ynode *list)
{
	void *hooks;

	cfg_keyed_list(p, list, &hook_list, &hooks, &p->cfg->n_hooks);
	p->cfg->hooks = hooks;
}

void config_hook_free(struct hook_config *hc)
{
	free(hc->name);
	for (size_t i = 0; i < hc->argc; i++)
		free(hc->argv[i]);
	free(hc->argv);
	free(hc->url);
	for (size_t i = 0; i < hc->n_hosts; i++)
		free(hc->hosts[i]);
	free(hc->hosts);
	config_webhook_free(hc);
}

static char **strings_copy(char *const *src, size_t n, int terminate)
{
	char **dst = calloc(n + (terminate != 0), sizeof(*dst));
	for (size_t i = 0; dst != NULL && i < n; i++) {
		if ((dst[i] = strdup(src[i])) == NULL) {
			while (i > 0)
				free(dst[--i]);
			free(dst);
			return NULL;
		}
	}
	return dst;
}

int config_hook_copy(struct hook_config *dst, const struct hook_config *src)
{
	*dst = *src;
	dst->name = dst->url = NULL;
	dst->argv = dst->hosts = NULL;
	dst->argc = dst->n_hosts = 0;
	int ok = config_webhook_copy(dst, src) == 0;
	if (ok && src->name != NULL && (dst->name = strdup(src->name)) == NULL)
		ok = 0;
	if (ok && src->url != NULL && (dst->url = strdup(src->url)) == NULL)
		ok = 0;
	if (ok && src->argv != NULL) {
		if ((dst->argv = strings_copy(src->argv, src->argc, 1)) == NULL)
			ok = 0;
		else
			dst->argc = src->argc;
	}
	if (ok && src->n_hosts > 0) {
		if ((dst->hosts = strings_copy(src->hosts, src->n_hosts, 0)) == NULL)
			ok = 0;
		else
			dst->n_hosts = src->n_hosts;
	}
	if (!ok) {
		config_hook_free(dst);
		memset(dst, 0, sizeof(*dst));
	}
	return ok ? 0 : -1;
}