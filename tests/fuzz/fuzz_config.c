/* Fuzzes the configuration parser: any bytes as a config file. A rejected document must have
 * been reported (each message naming the file, on one line); an accepted one must hold only
 * values inside the documented limits, with no two listeners, outputs or hook names the same. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "config.h"
#include "esa.h"
#include "verdict.h"

static size_t reports;

static void check_report(const char *message, void *arg)
{
	(void)arg;
	if (strncmp(message, "fuzz.yaml", 9) != 0)
		abort();
	for (const char *c = message; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
	reports++;
}

static int bad_name(const char *s, int slash_ok)
{
	if (s == NULL || s[0] == '\0')
		return 1;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (!slash_ok && *s == '/'))
			return 1;
	return 0;
}

static void check_listen(const struct config *c)
{
	if (c->n_listen == 0 || c->listen == NULL)
		abort();
	for (size_t i = 0; i < c->n_listen; i++) {
		const struct listen_config *lc = &c->listen[i];
		if (lc->address == NULL ||
		    (lc->proto != LISTEN_UDP && lc->proto != LISTEN_TCP &&
		     lc->proto != LISTEN_TLS) ||
		    (lc->proto == LISTEN_TLS) != (lc->cert_file != NULL && lc->key_file != NULL))
			abort();
		if (!(lc->addr.ss_family == AF_INET && lc->addrlen == sizeof(struct sockaddr_in)) &&
		    !(lc->addr.ss_family == AF_INET6 && lc->addrlen == sizeof(struct sockaddr_in6)))
			abort();
		if (lc->max_connections < 1 || lc->max_connections > 65536 ||
		    lc->idle_timeout_ms == 0 || lc->rcvbuf > 512u * 1024 * 1024 ||
		    (lc->proto != LISTEN_UDP && lc->rcvbuf != 0))
			abort();
		if (!config_listen_same(lc, lc))
			abort();
		for (size_t j = 0; j < i; j++) {
			struct listen_config other = c->listen[j];
			other.rcvbuf = lc->rcvbuf;
			if (config_listen_same(&other, lc))
				abort();
		}
	}
}

static void check_outputs(const struct config *c)
{
	if (c->n_outputs == 0 || c->outputs == NULL)
		abort();
	for (size_t i = 0; i < c->n_outputs; i++) {
		const struct output_config *oc = &c->outputs[i];
		if (bad_name(oc->file, 1) || oc->verdicts == 0 ||
		    (oc->verdicts & ~((1u << VERDICT_KIND_COUNT) - 1)) != 0 || oc->queue < 1 ||
		    oc->queue > 10000000)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->outputs[j].file, oc->file) == 0)
				abort();
	}
}

static int bad_hook_name(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n < 1 || n > 64 ||
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n;
}

static void check_hook_action(const struct hook_config *h)
{
	if (h->kind == HOOK_EXEC) {
		if (h->argv == NULL || h->argc < 1 || h->argc > 64 || h->argv[h->argc] != NULL ||
		    h->argv[0][0] != '/' || h->url != NULL || h->retries != 0)
			abort();
		for (size_t i = 0; i < h->argc; i++)
			if (strlen(h->argv[i]) > 4096)
				abort();
	} else if (h->kind == HOOK_WEBHOOK) {
		if (h->url == NULL || strncasecmp(h->url, "http://", 7) != 0 ||
		    bad_name(h->url, 1) || strchr(h->url, '#') != NULL ||
		    strchr(h->url, ' ') != NULL || h->argv != NULL || h->argc != 0 ||
		    h->retries > 10)
			abort();
	} else {
		abort();
	}
}

static void check_hooks(const struct config *c)
{
	const unsigned dirs = (1u << ESA_DIR_IN) | (1u << ESA_DIR_OUT);

	if ((c->n_hooks == 0) != (c->hooks == NULL))
		abort();
	for (size_t i = 0; i < c->n_hooks; i++) {
		const struct hook_config *h = &c->hooks[i];
		if (bad_hook_name(h->name))
			abort();
		check_hook_action(h);
		if (h->verdicts == 0 || (h->verdicts & ~((1u << VERDICT_KIND_COUNT) - 1)) != 0 ||
		    h->directions == 0 || (h->directions & ~dirs) != 0)
			abort();
		if ((h->n_hosts == 0) != (h->hosts == NULL))
			abort();
		for (size_t j = 0; j < h->n_hosts; j++)
			if (bad_name(h->hosts[j], 1))
				abort();
		if (h->timeout_ms < 1 || h->timeout_ms > 3600000 || h->max_concurrent < 1 ||
		    h->max_concurrent > 64 || h->queue < 1 || h->queue > 1000000)
			abort();
		if (h->throttle_key != THROTTLE_NONE && h->throttle_key != THROTTLE_PEER_IP &&
		    h->throttle_key != THROTTLE_HOST)
			abort();
		if (h->throttle_interval_ms == 0 && h->throttle_key != THROTTLE_NONE)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->hooks[j].name, h->name) == 0)
				abort();
	}
}

static void check_config(const struct config *c)
{
	const struct track_config *t = &c->engine.track;

	if (c->source == NULL || strcmp(c->source, "fuzz.yaml") != 0)
		abort();
	check_listen(c);
	if (!c->allow_from_set && (c->n_allow != 0 || c->allow_from != NULL))
		abort();
	if (c->n_allow > 0 && c->allow_from == NULL)
		abort();
	for (size_t i = 0; i < c->n_allow; i++)
		if (c->allow_from[i].bits > 128)
			abort();
	if (c->max_message_size < 1024 || c->max_message_size > 1024 * 1024)
		abort();
	if (t->idle_timeout <= 0 || t->lifetime <= 0 || t->linger < 0 || t->max_connections < 1 ||
	    t->max_connections > 100000000)
		abort();
	check_outputs(c);
	if (c->user != NULL && bad_name(c->user, 0))
		abort();
	check_hooks(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reports = 0;
	struct config *c = config_parse("fuzz.yaml", (const char *)data, size, check_report, NULL);
	if (c == NULL) {
		if (reports == 0)
			abort();
		return 0;
	}
	if (reports != 0)
		abort();
	check_config(c);
	config_free(c);
	return 0;
}
