/* The configuration file: the shipped conf/esatlsd.yaml, every key and its default, every kind of
 * error with its exact position and text, several errors in one pass, and hostile documents
 * (syntax errors, tabs, binary, huge numbers, deep nesting, aliases, long values, shell syntax
 * in hook arguments). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "esa.h"
#include "support.h"
#include "verdict.h"

#ifndef TEST_DATA
#define TEST_DATA "tests/data"
#endif
#define SHIPPED TEST_DATA "/../../conf/esatlsd.yaml"

/* The error messages of the last parse or load, in order. */
static struct collected errs;

static char certs[64]; /* the test certificates (support.h), made once by main() */

static struct config *parse_len(const char *text, size_t len)
{
	errs.n = 0;
	return config_parse("t.yaml", text, len, collect, &errs);
}

static struct config *parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static struct config *parse_ok(const char *text)
{
	struct config *cfg = parse(text);
	ck_assert_msg(cfg != NULL, "rejected: %s", errs.n ? errs.s[0] : "(no message)");
	ck_assert_uint_eq(errs.n, 0);
	return cfg;
}

/* The document is rejected with exactly these messages, in this order. */
static void expect_errors(const char *text, const char *const *expected)
{
	size_t n = 0;
	struct config *cfg = parse(text);

	while (expected[n] != NULL)
		n++;
	ck_assert_msg(cfg == NULL, "accepted: %s", text);
	for (size_t i = 0; i < n && i < errs.n; i++)
		ck_assert_msg(strcmp(errs.s[i], expected[i]) == 0,
		              "message %zu of\n%s\n got: %s\nwant: %s", i, text, errs.s[i],
		              expected[i]);
	ck_assert_msg(errs.n == n, "%zu messages for\n%s\n(first: %s), want %zu", errs.n, text,
	              errs.n ? errs.s[0] : "-", n);
}

#define EXPECT_ERRORS(text, ...)                                                                   \
	do {                                                                                       \
		const char *const expected_[] = {__VA_ARGS__, NULL};                               \
		expect_errors(text, expected_);                                                    \
	} while (0)

struct error_case {
	const char *yaml;
	const char *message;
};

static void run_cases(const struct error_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *const expected[] = {cases[i].message, NULL};
		expect_errors(cases[i].yaml, expected);
	}
}

#define RUN_CASES(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static int has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static uint16_t port_of(const struct listen_config *lc)
{
	if (lc->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&lc->addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&lc->addr)->sin6_port);
}

static void assert_ipv4(const struct listen_config *lc, const char *ip, uint16_t port)
{
	struct in_addr want;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&lc->addr;

	ck_assert_int_eq(inet_pton(AF_INET, ip, &want), 1);
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(lc->addrlen, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(sin->sin_addr.s_addr, want.s_addr);
	ck_assert_uint_eq(port_of(lc), port);
}

static void assert_ipv6(const struct listen_config *lc, const char *ip, uint16_t port)
{
	struct in6_addr want;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&lc->addr;

	ck_assert_int_eq(inet_pton(AF_INET6, ip, &want), 1);
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_uint_eq(lc->addrlen, sizeof(struct sockaddr_in6));
	ck_assert_mem_eq(&sin6->sin6_addr, &want, sizeof(want));
	ck_assert_uint_eq(port_of(lc), port);
}

#define BOTH_DIRS ((1u << ESA_DIR_IN) | (1u << ESA_DIR_OUT))

static int valid_hook_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static void check_hook(const struct hook_config *h)
{
	ck_assert_ptr_nonnull(h->name);
	ck_assert_msg(valid_hook_name(h->name), "name %s", h->name);
	if (h->kind == HOOK_EXEC) {
		ck_assert_ptr_nonnull(h->argv);
		ck_assert(h->argc >= 1 && h->argc <= 64);
		ck_assert_ptr_null(h->argv[h->argc]);
		ck_assert_int_eq(h->argv[0][0], '/');
		for (size_t i = 0; i < h->argc; i++)
			ck_assert_uint_le(strlen(h->argv[i]), 4096);
		ck_assert_ptr_null(h->url);
		ck_assert_uint_eq(h->retries, 0);
	} else {
		ck_assert_int_eq(h->kind, HOOK_WEBHOOK);
		ck_assert_ptr_nonnull(h->url);
		ck_assert((strncasecmp(h->url, "http://", 7) == 0 ||
		           strncasecmp(h->url, "https://", 8) == 0) &&
		          !has_control(h->url));
		ck_assert(h->argv == NULL && h->argc == 0);
		ck_assert_uint_le(h->retries, 10);
	}
	ck_assert(h->verdicts != 0 && (h->verdicts & ~0xfu) == 0);
	ck_assert(h->directions != 0 && (h->directions & ~BOTH_DIRS) == 0);
	ck_assert((h->n_hosts == 0) == (h->hosts == NULL));
	for (size_t i = 0; i < h->n_hosts; i++) {
		ck_assert(h->hosts[i][0] != '\0' && !has_control(h->hosts[i]));
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(h->hosts[j], h->hosts[i]);
	}
	ck_assert(h->timeout_ms >= 1 && h->timeout_ms <= 3600000);
	ck_assert(h->max_concurrent >= 1 && h->max_concurrent <= 64);
	ck_assert(h->queue >= 1 && h->queue <= 1000000);
	ck_assert(h->throttle_key == THROTTLE_NONE || h->throttle_key == THROTTLE_PEER_IP ||
	          h->throttle_key == THROTTLE_HOST);
	if (h->throttle_interval_ms == 0)
		ck_assert_int_eq(h->throttle_key, THROTTLE_NONE);
	ck_assert(h->line >= 1 && h->column >= 1);
}

/* What every returned config promises (the fuzz target checks the same). */
static void check_invariants(const struct config *c)
{
	ck_assert_ptr_nonnull(c->source);
	ck_assert_uint_ge(c->n_listen, 1);
	ck_assert_ptr_nonnull(c->listen);
	for (size_t i = 0; i < c->n_listen; i++) {
		const struct listen_config *lc = &c->listen[i];
		ck_assert_ptr_nonnull(lc->address);
		ck_assert(lc->proto == LISTEN_UDP || lc->proto == LISTEN_TCP ||
		          lc->proto == LISTEN_TLS);
		ck_assert((lc->proto == LISTEN_TLS) == (lc->cert_file != NULL));
		ck_assert((lc->proto == LISTEN_TLS) == (lc->key_file != NULL));
		ck_assert((lc->ca_file != NULL) == (lc->verify_client != TLS_VERIFY_NONE));
		ck_assert(lc->n_allowed_names == 0 || lc->verify_client == TLS_VERIFY_REQUIRED);
		ck_assert(lc->addr.ss_family == AF_INET || lc->addr.ss_family == AF_INET6);
		ck_assert_uint_eq(lc->addrlen, lc->addr.ss_family == AF_INET
		                                   ? sizeof(struct sockaddr_in)
		                                   : sizeof(struct sockaddr_in6));
		ck_assert(lc->max_connections >= 1 && lc->max_connections <= 65536);
		ck_assert_uint_gt(lc->idle_timeout_ms, 0);
		ck_assert_uint_le(lc->rcvbuf, 512u * 1024 * 1024);
		if (lc->proto != LISTEN_UDP)
			ck_assert_uint_eq(lc->rcvbuf, 0);
		for (size_t j = 0; j < i; j++)
			ck_assert(!(c->listen[j].proto == lc->proto &&
			            config_listen_same(&c->listen[j], lc)));
	}
	if (c->metrics_address != NULL)
		ck_assert_uint_eq(c->metrics_addrlen, c->metrics_addr.ss_family == AF_INET
		                                          ? sizeof(struct sockaddr_in)
		                                          : sizeof(struct sockaddr_in6));
	else
		ck_assert_uint_eq(c->metrics_addrlen, 0);
	if (!c->allow_from_set)
		ck_assert(c->n_allow == 0 && c->allow_from == NULL);
	if (c->n_allow > 0)
		ck_assert_ptr_nonnull(c->allow_from);
	for (size_t i = 0; i < c->n_allow; i++)
		ck_assert_uint_le(c->allow_from[i].bits, 128);
	ck_assert(c->max_message_size >= 1024 && c->max_message_size <= 1024 * 1024);
	ck_assert_int_gt(c->engine.track.idle_timeout, 0);
	ck_assert_int_gt(c->engine.track.lifetime, 0);
	ck_assert_int_ge(c->engine.track.linger, 0);
	ck_assert(c->engine.track.max_connections >= 1 &&
	          c->engine.track.max_connections <= 100000000);
	ck_assert_uint_ge(c->n_outputs, 1);
	for (size_t i = 0; i < c->n_outputs; i++) {
		const struct output_config *oc = &c->outputs[i];
		ck_assert_ptr_nonnull(oc->file);
		ck_assert(oc->file[0] != '\0' && !has_control(oc->file));
		ck_assert(oc->verdicts != 0 && (oc->verdicts & ~0xfu) == 0);
		ck_assert(oc->queue >= 1 && oc->queue <= 10000000);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(c->outputs[j].file, oc->file);
	}
	if (c->user != NULL)
		ck_assert(c->user[0] != '\0' && strchr(c->user, '/') == NULL &&
		          !has_control(c->user));
	ck_assert((c->n_hooks == 0) == (c->hooks == NULL));
	for (size_t i = 0; i < c->n_hooks; i++) {
		check_hook(&c->hooks[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(c->hooks[j].name, c->hooks[i].name);
	}
}

/* The built-in defaults of DESIGN.md, whatever the source. */
static void assert_defaults(const struct config *c)
{
	struct engine_config eng;

	ck_assert_uint_eq(c->n_listen, 2);
	ck_assert_int_eq(c->listen[0].proto, LISTEN_UDP);
	ck_assert_int_eq(c->listen[1].proto, LISTEN_TCP);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(c->listen[i].address, "127.0.0.1:5514");
		assert_ipv4(&c->listen[i], "127.0.0.1", 5514);
		ck_assert_uint_eq(c->listen[i].rcvbuf, 0);
		ck_assert_uint_eq(c->listen[i].max_connections, 256);
		ck_assert_uint_eq(c->listen[i].idle_timeout_ms, 600000);
	}
	ck_assert_ptr_null(c->allow_from);
	ck_assert_uint_eq(c->n_allow, 0);
	ck_assert_int_eq(c->allow_from_set, 0);
	ck_assert_uint_eq(c->max_message_size, 65536);
	engine_config_defaults(&eng);
	ck_assert_int_eq(c->engine.track.max_linger, eng.track.max_linger);
	ck_assert_int_eq(c->engine.track.max_mid_links, eng.track.max_mid_links);
	ck_assert_uint_eq(c->engine.max_sources, eng.max_sources);
	ck_assert_int_eq(c->engine.track.idle_timeout, 600);
	ck_assert_int_eq(c->engine.track.lifetime, 86400);
	ck_assert_int_eq(c->engine.track.linger, 60);
	ck_assert_uint_eq(c->engine.track.max_connections, 1000000);
	ck_assert_uint_eq(c->alert_delay_ms, 2000);
	ck_assert_uint_eq(c->n_outputs, 1);
	ck_assert_str_eq(c->outputs[0].file, "-");
	ck_assert_uint_eq(c->outputs[0].verdicts, 0xf);
	ck_assert_uint_eq(c->outputs[0].queue, 10000);
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->hooks);
	ck_assert_uint_eq(c->n_hooks, 0);
	ck_assert_ptr_null(c->metrics_address);
	check_invariants(c);
}

/* ---- the shipped file and the defaults ---- */

START_TEST(test_shipped_config)
{
	struct cidr lo, v6;
	errs.n = 0;
	struct config *c = config_load(SHIPPED, collect, &errs);

	ck_assert_msg(c != NULL, "%s", errs.n ? errs.s[0] : "-");
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_str_eq(c->source, SHIPPED);
	ck_assert_uint_eq(c->n_listen, 2);
	ck_assert_int_eq(c->listen[0].proto, LISTEN_UDP);
	ck_assert_int_eq(c->listen[1].proto, LISTEN_TCP);
	assert_ipv4(&c->listen[0], "127.0.0.1", 5514);
	assert_ipv4(&c->listen[1], "127.0.0.1", 5514);
	ck_assert_uint_eq(c->listen[1].max_connections, 256);
	ck_assert_uint_eq(c->listen[1].idle_timeout_ms, 600000);
	ck_assert_int_eq(c->allow_from_set, 1);
	ck_assert_uint_eq(c->n_allow, 2);
	ck_assert_int_eq(cidr_parse(span_make("127.0.0.0/8", 11), &lo), 0);
	ck_assert_int_eq(cidr_parse(span_make("::1", 3), &v6), 0);
	ck_assert_mem_eq(&c->allow_from[0], &lo, sizeof(lo));
	ck_assert_mem_eq(&c->allow_from[1], &v6, sizeof(v6));
	ck_assert_uint_eq(c->max_message_size, 65536);
	ck_assert_int_eq(c->engine.track.idle_timeout, 600);
	ck_assert_int_eq(c->engine.track.lifetime, 86400);
	ck_assert_int_eq(c->engine.track.linger, 60);
	ck_assert_uint_eq(c->engine.track.max_connections, 1000000);
	ck_assert_uint_eq(c->alert_delay_ms, 2000);
	ck_assert_uint_eq(c->n_outputs, 1);
	ck_assert_str_eq(c->outputs[0].file, "-");
	ck_assert_uint_eq(c->outputs[0].verdicts, 0xf);
	ck_assert_ptr_null(c->user);
	ck_assert_uint_eq(c->n_hooks, 0);
	check_invariants(c);
	config_free(c);
}
END_TEST

/* The examples in the shipped file's comments, as an admin would uncomment them. */
START_TEST(test_shipped_examples)
{
	struct config *c =
	    parse_ok("listen:\n"
	             "  - { proto: udp, address: \"0.0.0.0:514\", rcvbuf: 8MiB }\n"
	             "  - { proto: tcp, address: \"0.0.0.0:514\", max_connections: 64 }\n"
	             "allow_from: [192.0.2.10, 192.0.2.11]     # the ESA appliances\n"
	             "outputs:\n"
	             "  - { file: /var/lib/esatlsd/verdicts.jsonl }\n"
	             "  - { file: /var/lib/esatlsd/tls-failed.jsonl, verdicts: "
	             "[tls_failed], queue: 100000 }\n"
	             "hooks:\n"
	             "  - name: page-oncall\n"
	             "    exec: [\"/usr/local/bin/tls-alert\", \"--team\", \"mail\"]\n"
	             "    on: { verdict: [tls_failed], direction: [inbound], host: "
	             "[esa1.example.com] }\n"
	             "    timeout: 30s\n"
	             "    throttle: { key: peer_ip, interval: 15m }\n"
	             "  - name: chat\n"
	             "    webhook: \"http://127.0.0.1:8080/hooks/tls\"\n"
	             "    on: { verdict: [tls_failed, no_tls] }\n"
	             "    retries: 5\n"
	             "user: esatlsd\n");
	assert_ipv4(&c->listen[0], "0.0.0.0", 514);
	ck_assert_uint_eq(c->listen[0].rcvbuf, 8u << 20);
	ck_assert_uint_eq(c->listen[1].max_connections, 64);
	ck_assert_uint_eq(c->n_allow, 2);
	ck_assert_uint_eq(c->n_outputs, 2);
	ck_assert_uint_eq(c->outputs[0].verdicts, 0xf);
	ck_assert_uint_eq(c->outputs[1].verdicts, 1u << VERDICT_TLS_FAILED);
	ck_assert_uint_eq(c->outputs[1].queue, 100000);
	ck_assert_uint_eq(c->n_hooks, 2);
	ck_assert_str_eq(c->hooks[0].name, "page-oncall");
	ck_assert_int_eq(c->hooks[0].kind, HOOK_EXEC);
	ck_assert_uint_eq(c->hooks[0].argc, 3);
	ck_assert_str_eq(c->hooks[0].argv[2], "mail");
	ck_assert_uint_eq(c->hooks[0].directions, 1u << ESA_DIR_IN);
	ck_assert_str_eq(c->hooks[0].hosts[0], "esa1.example.com");
	ck_assert_uint_eq(c->hooks[0].timeout_ms, 30000);
	ck_assert_int_eq(c->hooks[0].throttle_key, THROTTLE_PEER_IP);
	ck_assert_uint_eq(c->hooks[0].throttle_interval_ms, 900000);
	ck_assert_str_eq(c->hooks[1].name, "chat");
	ck_assert_int_eq(c->hooks[1].kind, HOOK_WEBHOOK);
	ck_assert_str_eq(c->hooks[1].url, "http://127.0.0.1:8080/hooks/tls");
	ck_assert_uint_eq(c->hooks[1].verdicts,
	                  (1u << VERDICT_TLS_FAILED) | (1u << VERDICT_NO_TLS));
	ck_assert_uint_eq(c->hooks[1].retries, 5);
	ck_assert_str_eq(c->user, "esatlsd");
	check_invariants(c);
	config_free(c);
}
END_TEST

START_TEST(test_builtin_defaults)
{
	struct config *c = config_default();
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->source, "built-in defaults");
	assert_defaults(c);
	config_free(c);
}
END_TEST

/* An empty file, comments only, an empty document, a null document, an empty mapping. */
START_TEST(test_empty_documents_mean_defaults)
{
	static const char *const docs[] = {
	    "",     "# nothing here\n", "\n\n   \n", "---\n", "---\n...\n", "~\n", "null",
	    "{}\n", "# a\n---\n# b\n"};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct config *c = parse_ok(docs[i]);
		ck_assert_str_eq(c->source, "t.yaml");
		assert_defaults(c);
		config_free(c);
	}
	errs.n = 0;
	struct config *c = config_parse("t.yaml", NULL, 0, collect, &errs);
	ck_assert_ptr_nonnull(c);
	assert_defaults(c);
	config_free(c);
}
END_TEST

/* The design's sample, hooks and metrics included. */
START_TEST(test_design_example)
{
	struct config *c = parse_ok(
	    "listen:\n"
	    "  - { proto: udp, address: \"127.0.0.1:5514\" }\n"
	    "  - { proto: tcp, address: \"127.0.0.1:5514\", max_connections: 256, idle_timeout: "
	    "10m }\n"
	    "allow_from: [127.0.0.0/8, \"::1\"]      # senders outside are dropped and counted\n"
	    "max_message_size: 64KiB\n"
	    "tracking: { idle_timeout: 10m, lifetime: 24h, linger: 60s, max_connections: 1000000, "
	    "alert_delay: 2s }\n"
	    "outputs:\n"
	    "  - { file: verdicts.jsonl, verdicts: [tls, tls_failed, no_tls, unknown] }\n"
	    "hooks:\n"
	    "  - name: page-oncall\n"
	    "    exec: [\"/usr/local/bin/tls-alert\", \"--team\", \"mail\"]   # argv, never a "
	    "shell\n"
	    "    on: { verdict: [tls_failed], direction: [inbound, outbound] }\n"
	    "    timeout: 10s\n"
	    "    max_concurrent: 4\n"
	    "    queue: 1000\n"
	    "    throttle: { key: peer_ip, interval: 15m }\n"
	    "  - { name: chat, webhook: \"http://127.0.0.1:8080/hook\", on: { verdict: "
	    "[tls_failed] } }\n"
	    "metrics: { address: \"127.0.0.1:9514\" }   # Prometheus text at /metrics\n"
	    "user: esatlsd                            # drop privileges\n");
	ck_assert_uint_eq(c->n_listen, 2);
	ck_assert_uint_eq(c->listen[0].line, 2);
	ck_assert_uint_eq(c->listen[0].column, 5);
	ck_assert_uint_eq(c->listen[1].line, 3);
	ck_assert_str_eq(c->outputs[0].file, "verdicts.jsonl");
	ck_assert_uint_eq(c->outputs[0].verdicts, 0xf);
	ck_assert_uint_eq(c->n_hooks, 2);
	ck_assert_str_eq(c->hooks[0].argv[0], "/usr/local/bin/tls-alert");
	ck_assert_uint_eq(c->hooks[0].directions, BOTH_DIRS);
	ck_assert_uint_eq(c->hooks[0].line, 10);
	ck_assert_uint_eq(c->hooks[0].column, 5);
	ck_assert_str_eq(c->hooks[1].url, "http://127.0.0.1:8080/hook");
	ck_assert_uint_eq(c->hooks[1].line, 17);
	ck_assert_uint_eq(c->hooks[1].column, 5);
	ck_assert_str_eq(c->user, "esatlsd");
	ck_assert_str_eq(c->metrics_address, "127.0.0.1:9514");
	check_invariants(c);
	config_free(c);
}
END_TEST

/* ---- every key ---- */

START_TEST(test_listen_values)
{
	struct config *c =
	    parse_ok("listen:\n"
	             "  - proto: udp\n"
	             "    address: 0.0.0.0:514\n"
	             "    rcvbuf: 8MiB\n"
	             "  - { proto: tcp, address: \"[::]:514\", max_connections: 1,"
	             " idle_timeout: 90s }\n"
	             "  - { proto: tcp, address: \"[::1]:0\", max_connections: 65536 }\n"
	             "  - { proto: udp, address: \"192.0.2.1:65535\", rcvbuf: 0 }\n"
	             "  - { proto: tcp, address: \"[::ffff:192.0.2.1]:1\","
	             " idle_timeout: 1ms }\n"
	             "  - { proto: udp, address: \"[2001:DB8::A]:7\", rcvbuf: 512MiB }\n"
	             "  - { proto: tcp, address: 0.0.0.0:514 }\n");
	ck_assert_uint_eq(c->n_listen, 7);
	ck_assert_int_eq(c->listen[0].proto, LISTEN_UDP);
	ck_assert_str_eq(c->listen[0].address, "0.0.0.0:514");
	assert_ipv4(&c->listen[0], "0.0.0.0", 514);
	ck_assert_uint_eq(c->listen[0].rcvbuf, 8u << 20);
	ck_assert_uint_eq(c->listen[0].line, 2);
	ck_assert_uint_eq(c->listen[0].column, 5);
	ck_assert_int_eq(c->listen[1].proto, LISTEN_TCP);
	ck_assert_str_eq(c->listen[1].address, "[::]:514");
	assert_ipv6(&c->listen[1], "::", 514);
	ck_assert_uint_eq(c->listen[1].max_connections, 1);
	ck_assert_uint_eq(c->listen[1].idle_timeout_ms, 90000);
	ck_assert_uint_eq(c->listen[1].line, 5);
	ck_assert_uint_eq(c->listen[1].column, 5);
	assert_ipv6(&c->listen[2], "::1", 0);
	ck_assert_uint_eq(c->listen[2].max_connections, 65536);
	ck_assert_uint_eq(c->listen[2].idle_timeout_ms, 600000);
	assert_ipv4(&c->listen[3], "192.0.2.1", 65535);
	ck_assert_uint_eq(c->listen[3].rcvbuf, 0);
	assert_ipv6(&c->listen[4], "::ffff:192.0.2.1", 1);
	ck_assert_uint_eq(c->listen[4].idle_timeout_ms, 1);
	assert_ipv6(&c->listen[5], "2001:db8::a", 7);
	ck_assert_str_eq(c->listen[5].address, "[2001:DB8::A]:7");
	ck_assert_uint_eq(c->listen[5].rcvbuf, 512u << 20);
	/* the same address on udp and tcp is two sockets, not a duplicate */
	assert_ipv4(&c->listen[6], "0.0.0.0", 514);
	check_invariants(c);
	config_free(c);
}
END_TEST

START_TEST(test_allow_from_values)
{
	struct cidr want;
	struct config *c = parse_ok("allow_from:\n"
	                            "  - 192.0.2.10\n"
	                            "  - 10.0.0.0/8\n"
	                            "  - \"2001:db8::/32\"\n"
	                            "  - '::1'\n"
	                            "  - 0.0.0.0/0\n");
	ck_assert_int_eq(c->allow_from_set, 1);
	ck_assert_uint_eq(c->n_allow, 5);
	ck_assert_int_eq(cidr_parse(span_make("10.0.0.0/8", 10), &want), 0);
	ck_assert_mem_eq(&c->allow_from[1], &want, sizeof(want));
	ck_assert_uint_eq(c->allow_from[0].bits, 128);
	ck_assert_uint_eq(c->allow_from[1].bits, 104);
	ck_assert_uint_eq(c->allow_from[2].bits, 32);
	ck_assert_uint_eq(c->allow_from[3].bits, 128);
	ck_assert_uint_eq(c->allow_from[4].bits, 96);
	config_free(c);

	/* the key given with an empty list: nobody may send */
	c = parse_ok("allow_from: []\n");
	ck_assert_int_eq(c->allow_from_set, 1);
	ck_assert_uint_eq(c->n_allow, 0);
	check_invariants(c);
	config_free(c);
}
END_TEST

START_TEST(test_max_message_size_values)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {{"1KiB", 1024},    {"1024", 1024}, {"1MiB", 1048576}, {"1048576", 1048576},
	             {"100kB", 100000}, {"64K", 65536}, {"1M", 1048576},   {"\"2000\"", 2000}};
	char doc[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(doc, sizeof(doc), "max_message_size: %s\n", cases[i].text);
		struct config *c = parse_ok(doc);
		ck_assert_uint_eq(c->max_message_size, cases[i].bytes);
		config_free(c);
	}
}
END_TEST

START_TEST(test_tracking_values)
{
	struct config *c = parse_ok("tracking:\n"
	                            "  idle_timeout: 1500ms\n"
	                            "  lifetime: 2d\n"
	                            "  linger: 0s\n"
	                            "  max_connections: 1\n"
	                            "  alert_delay: 500ms\n");
	ck_assert_int_eq(c->engine.track.idle_timeout, 2); /* rounded up */
	ck_assert_int_eq(c->engine.track.lifetime, 172800);
	ck_assert_int_eq(c->engine.track.linger, 0);
	ck_assert_uint_eq(c->engine.track.max_connections, 1);
	ck_assert_uint_eq(c->alert_delay_ms, 500);
	check_invariants(c);
	config_free(c);

	c = parse_ok("tracking: { idle_timeout: 1ms, lifetime: 1, linger: 1001ms,"
	             " max_connections: 100000000, alert_delay: 0 }\n");
	ck_assert_int_eq(c->engine.track.idle_timeout, 1);
	ck_assert_int_eq(c->engine.track.lifetime, 1);
	ck_assert_int_eq(c->engine.track.linger, 2);
	ck_assert_uint_eq(c->engine.track.max_connections, 100000000);
	ck_assert_uint_eq(c->alert_delay_ms, 0);
	config_free(c);

	/* a partial mapping keeps the other defaults */
	c = parse_ok("tracking: { linger: 5m }\n");
	ck_assert_int_eq(c->engine.track.linger, 300);
	ck_assert_int_eq(c->engine.track.idle_timeout, 600);
	ck_assert_int_eq(c->engine.track.lifetime, 86400);
	ck_assert_uint_eq(c->alert_delay_ms, 2000);
	config_free(c);

	c = parse_ok("tracking: {}\n");
	assert_defaults(c);
	config_free(c);
}
END_TEST

START_TEST(test_state_and_log_repeats_values)
{
	struct config *c = parse_ok("tracking: { state_file: /var/lib/esatlsd/state,"
	                            " checkpoint_interval: 1500ms }\n"
	                            "log_repeats: { burst: 2, interval: 3s }\n");
	ck_assert_str_eq(c->state_file, "/var/lib/esatlsd/state");
	ck_assert_uint_eq(c->checkpoint_ms, 1500); /* kept in milliseconds */
	ck_assert_uint_eq(c->log_burst, 2);
	ck_assert_uint_eq(c->log_interval_ms, 3000);
	config_free(c);

	c = parse_ok("tracking: { checkpoint_interval: 0 }\n");
	ck_assert_ptr_null(c->state_file);
	ck_assert_uint_eq(c->checkpoint_ms, 0);
	ck_assert_uint_eq(c->log_burst, 5);
	ck_assert_uint_eq(c->log_interval_ms, 60000);
	config_free(c);

	static const struct error_case cases[] = {
	    {"tracking: { state_file: \"-\" }\n",
	     "t.yaml:1:25: expected a file path for 'state_file' in tracking, got \"-\""},
	    {"tracking: { state_file: /var/lib/ }\n",
	     "t.yaml:1:25: expected a file path for 'state_file' in tracking, got \"/var/lib/\""},
	    {"tracking: { state_file: \"\" }\n",
	     "t.yaml:1:25: expected a file path for 'state_file' in tracking, got \"\""},
	    {"tracking: { checkpoint_interval: soon }\n",
	     "t.yaml:1:34: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for "
	     "'checkpoint_interval' in tracking, got \"soon\""},
	    {"log_repeats: { burst: 0 }\n",
	     "t.yaml:1:23: 'burst' in 'log_repeats' must be between 1 and 1000, got \"0\""},
	    {"log_repeats: { interval: 0s }\n",
	     "t.yaml:1:26: 'interval' in 'log_repeats' must be more than 0, got \"0s\""},
	    {"log_repeats: { interval: 2d }\n",
	     "t.yaml:1:26: 'interval' in 'log_repeats' must be at most 1d"},
	    {"log_repeats: { often: 1 }\n", "t.yaml:1:16: unknown key 'often' in 'log_repeats'"},
	    {"log_repeats: 5\n", "t.yaml:1:14: expected a mapping for 'log_repeats', got \"5\""},
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(test_outputs_values)
{
	struct config *c =
	    parse_ok("outputs:\n"
	             "  - file: \"-\"\n"
	             "    verdicts: [tls_failed]\n"
	             "  - { file: all.jsonl, queue: 1 }\n"
	             "  - { file: /var/log/x y.jsonl, verdicts: [unknown, tls, no_tls],"
	             " queue: 10000000 }\n"
	             "  - { file: \"Ünïcode.jsonl\", verdicts: [tls, tls_failed, no_tls,"
	             " unknown] }\n");
	ck_assert_uint_eq(c->n_outputs, 4);
	ck_assert_str_eq(c->outputs[0].file, "-");
	ck_assert_uint_eq(c->outputs[0].verdicts, 1u << VERDICT_TLS_FAILED);
	ck_assert_uint_eq(c->outputs[0].queue, 10000);
	ck_assert_str_eq(c->outputs[1].file, "all.jsonl");
	ck_assert_uint_eq(c->outputs[1].verdicts, 0xf);
	ck_assert_uint_eq(c->outputs[1].queue, 1);
	ck_assert_str_eq(c->outputs[2].file, "/var/log/x y.jsonl");
	ck_assert_uint_eq(c->outputs[2].verdicts,
	                  (1u << VERDICT_UNKNOWN) | (1u << VERDICT_TLS) | (1u << VERDICT_NO_TLS));
	ck_assert_uint_eq(c->outputs[2].queue, 10000000);
	ck_assert_str_eq(c->outputs[3].file, "Ünïcode.jsonl");
	ck_assert_uint_eq(c->outputs[3].verdicts, 0xf);
	ck_assert(c->n_listen == 2 && c->listen[0].proto == LISTEN_UDP);
	check_invariants(c);
	config_free(c);
}
END_TEST

/* ---- hooks ---- */

START_TEST(test_hook_exec_full)
{
	struct config *c = parse_ok("hooks:\n"
	                            "  - name: page-oncall\n"
	                            "    exec: [\"/usr/local/bin/tls-alert\", \"--team\", mail]\n"
	                            "    on:\n"
	                            "      verdict: [tls_failed, no_tls]\n"
	                            "      direction: [inbound]\n"
	                            "      host: [esa1.example.com, \"esa2\"]\n"
	                            "    timeout: 30s\n"
	                            "    max_concurrent: 8\n"
	                            "    queue: 500\n"
	                            "    throttle: { key: peer_ip, interval: 15m }\n");
	const struct hook_config *h = &c->hooks[0];

	ck_assert_uint_eq(c->n_hooks, 1);
	ck_assert_str_eq(h->name, "page-oncall");
	ck_assert_int_eq(h->kind, HOOK_EXEC);
	ck_assert_uint_eq(h->argc, 3);
	ck_assert_str_eq(h->argv[0], "/usr/local/bin/tls-alert");
	ck_assert_str_eq(h->argv[1], "--team");
	ck_assert_str_eq(h->argv[2], "mail");
	ck_assert_ptr_null(h->argv[3]);
	ck_assert_ptr_null(h->url);
	ck_assert_uint_eq(h->verdicts, (1u << VERDICT_TLS_FAILED) | (1u << VERDICT_NO_TLS));
	ck_assert_uint_eq(h->directions, 1u << ESA_DIR_IN);
	ck_assert_uint_eq(h->n_hosts, 2);
	ck_assert_str_eq(h->hosts[0], "esa1.example.com");
	ck_assert_str_eq(h->hosts[1], "esa2");
	ck_assert_uint_eq(h->timeout_ms, 30000);
	ck_assert_uint_eq(h->max_concurrent, 8);
	ck_assert_uint_eq(h->queue, 500);
	ck_assert_uint_eq(h->retries, 0);
	ck_assert_int_eq(h->throttle_key, THROTTLE_PEER_IP);
	ck_assert_uint_eq(h->throttle_interval_ms, 900000);
	ck_assert_uint_eq(h->line, 2);
	ck_assert_uint_eq(h->column, 5);
	/* the rest of the file keeps its defaults */
	ck_assert_uint_eq(c->n_listen, 2);
	ck_assert_str_eq(c->outputs[0].file, "-");
	check_invariants(c);
	config_free(c);
}
END_TEST

START_TEST(test_hook_webhook_full)
{
	struct config *c =
	    parse_ok("hooks:\n"
	             "  - { name: a, exec: [/bin/true] }\n"
	             "  - name: chat.ops_1\n"
	             "    webhook: \"http://[2001:db8::5]:8080/hooks/tls?team=mail\"\n"
	             "    on: { verdict: [tls, tls_failed, no_tls, unknown], direction: [outbound, "
	             "inbound], host: [esa1] }\n"
	             "    timeout: 1500ms\n"
	             "    max_concurrent: 64\n"
	             "    queue: 1000000\n"
	             "    retries: 10\n"
	             "    throttle: { key: host, interval: 1d }\n"
	             "  - { name: B-2, webhook: \"http://192.0.2.1\", retries: 0,"
	             " throttle: { interval: 500ms, key: none } }\n");
	const struct hook_config *h = &c->hooks[1];

	ck_assert_uint_eq(c->n_hooks, 3);
	ck_assert_str_eq(h->name, "chat.ops_1");
	ck_assert_int_eq(h->kind, HOOK_WEBHOOK);
	ck_assert_str_eq(h->url, "http://[2001:db8::5]:8080/hooks/tls?team=mail");
	ck_assert_ptr_null(h->argv);
	ck_assert_uint_eq(h->argc, 0);
	ck_assert_uint_eq(h->verdicts, 0xf);
	ck_assert_uint_eq(h->directions, BOTH_DIRS);
	ck_assert_uint_eq(h->n_hosts, 1);
	ck_assert_str_eq(h->hosts[0], "esa1");
	ck_assert_uint_eq(h->timeout_ms, 1500);
	ck_assert_uint_eq(h->max_concurrent, 64);
	ck_assert_uint_eq(h->queue, 1000000);
	ck_assert_uint_eq(h->retries, 10);
	ck_assert_int_eq(h->throttle_key, THROTTLE_HOST);
	ck_assert_uint_eq(h->throttle_interval_ms, 86400000);
	ck_assert_uint_eq(h->line, 3);
	ck_assert_uint_eq(h->column, 5);

	h = &c->hooks[2];
	ck_assert_str_eq(h->name, "B-2");
	ck_assert_str_eq(h->url, "http://192.0.2.1");
	ck_assert_uint_eq(h->retries, 0);
	ck_assert_int_eq(h->throttle_key, THROTTLE_NONE);
	ck_assert_uint_eq(h->throttle_interval_ms, 500);
	ck_assert_uint_eq(h->line, 11);
	ck_assert_uint_eq(h->column, 5);
	check_invariants(c);
	config_free(c);
}
END_TEST

static void assert_hook_defaults(const struct hook_config *h)
{
	ck_assert_uint_eq(h->verdicts, 1u << VERDICT_TLS_FAILED);
	ck_assert_uint_eq(h->directions, BOTH_DIRS);
	ck_assert_ptr_null(h->hosts);
	ck_assert_uint_eq(h->n_hosts, 0);
	ck_assert_uint_eq(h->timeout_ms, 10000);
	ck_assert_uint_eq(h->max_concurrent, 4);
	ck_assert_uint_eq(h->queue, 1000);
	ck_assert_int_eq(h->throttle_key, THROTTLE_NONE);
	ck_assert_uint_eq(h->throttle_interval_ms, 0);
}

START_TEST(test_hook_defaults)
{
	struct config *c = parse_ok("hooks:\n"
	                            "  - { name: a, exec: [/bin/true] }\n"
	                            "  - { name: b, webhook: \"http://127.0.0.1:8080/hook\" }\n"
	                            "  - { name: c, exec: [/x], on: {} }\n");
	ck_assert_uint_eq(c->n_hooks, 3);
	for (size_t i = 0; i < 3; i++)
		assert_hook_defaults(&c->hooks[i]);
	ck_assert_int_eq(c->hooks[0].kind, HOOK_EXEC);
	ck_assert_uint_eq(c->hooks[0].argc, 1);
	ck_assert_str_eq(c->hooks[0].argv[0], "/bin/true");
	ck_assert_ptr_null(c->hooks[0].argv[1]);
	ck_assert_uint_eq(c->hooks[0].retries, 0); /* webhooks only */
	ck_assert_int_eq(c->hooks[1].kind, HOOK_WEBHOOK);
	ck_assert_uint_eq(c->hooks[1].retries, 3);
	ck_assert_str_eq(c->hooks[2].argv[0], "/x");
	check_invariants(c);
	config_free(c);

	/* an empty list: no hooks */
	c = parse_ok("hooks: []\n");
	assert_defaults(c);
	config_free(c);
}
END_TEST

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* Each bound, exactly at its limit. */
START_TEST(test_hook_limits)
{
	char *name = repeat('n', 64), *arg = repeat('a', 4096), *prog = repeat('p', 4096);
	size_t cap = 64 * 16 + 3 * 4096 + 512, len;
	char *doc = malloc(cap);
	ck_assert_ptr_nonnull(doc);
	prog[0] = '/';
	len = (size_t)snprintf(doc, cap,
	                       "hooks:\n  - name: %s\n    timeout: 1h\n    max_concurrent: 1\n"
	                       "    queue: 1\n    exec:\n      - %s\n      - %s\n",
	                       name, prog, arg);
	for (int i = 2; i < 64; i++)
		len += (size_t)snprintf(doc + len, cap - len, "      - \"%d\"\n", i);
	struct config *c = parse_ok(doc);
	const struct hook_config *h = &c->hooks[0];
	ck_assert_str_eq(h->name, name);
	ck_assert_uint_eq(h->argc, 64);
	ck_assert_str_eq(h->argv[0], prog);
	ck_assert_str_eq(h->argv[1], arg);
	ck_assert_str_eq(h->argv[63], "63");
	ck_assert_ptr_null(h->argv[64]);
	ck_assert_uint_eq(h->timeout_ms, 3600000);
	ck_assert_uint_eq(h->max_concurrent, 1);
	ck_assert_uint_eq(h->queue, 1);
	check_invariants(c);
	config_free(c);

	c = parse_ok("hooks: [{ name: x, webhook: \"http://[::1]:65535/\", timeout: 3600000ms,"
	             " retries: 10, throttle: { key: none, interval: 1ms } },"
	             " { name: y, exec: [/], timeout: 1ms }]\n");
	ck_assert_uint_eq(c->hooks[0].timeout_ms, 3600000);
	ck_assert_uint_eq(c->hooks[0].retries, 10);
	ck_assert_uint_eq(c->hooks[0].throttle_interval_ms, 1);
	ck_assert_str_eq(c->hooks[1].argv[0], "/");
	ck_assert_uint_eq(c->hooks[1].timeout_ms, 1);
	check_invariants(c);
	config_free(c);
	free(name);
	free(arg);
	free(prog);
	free(doc);
}
END_TEST

/* Arguments are argv data for execve, never shell text: every byte but NUL arrives as written,
 * whatever YAML quoting produced it. */
START_TEST(test_hook_argv_verbatim)
{
	static const char *const want[] = {"/usr/local/bin/alert tool",
	                                   "$(rm -rf /)",
	                                   "`id`; echo pwned | sh &",
	                                   "it's \"quoted\" \\ back",
	                                   "line1\nline2\r\n",
	                                   "single 'quoted'",
	                                   "literal\nblock\n",
	                                   "",
	                                   "null",
	                                   "true",
	                                   "0x10",
	                                   "*",
	                                   "--opt=${HOME}",
	                                   "tab\there",
	                                   "\x1b[31mred",
	                                   "caf\xc3\xa9 \xf0\x9f\x98\x80",
	                                   "~",
	                                   "#not a comment",
	                                   "a",
	                                   "-",
	                                   "> /etc/passwd"};
	struct config *c = parse_ok("hooks:\n"
	                            "  - name: hostile\n"
	                            "    exec:\n"
	                            "      - \"/usr/local/bin/alert tool\"\n"
	                            "      - \"$(rm -rf /)\"\n"
	                            "      - \"`id`; echo pwned | sh &\"\n"
	                            "      - \"it's \\\"quoted\\\" \\\\ back\"\n"
	                            "      - \"line1\\nline2\\r\\n\"\n"
	                            "      - 'single ''quoted'''\n"
	                            "      - |\n"
	                            "        literal\n"
	                            "        block\n"
	                            "      - \"\"\n"
	                            "      - \"null\"\n"
	                            "      - true\n"
	                            "      - 0x10\n"
	                            "      - \"*\"\n"
	                            "      - --opt=${HOME}\n"
	                            "      - \"tab\\there\"\n"
	                            "      - \"\\e[31mred\"\n"
	                            "      - \"caf\\u00e9 \\U0001F600\"\n"
	                            "      - '~'\n"
	                            "      - \"#not a comment\"\n"
	                            "      - a # a comment\n"
	                            "      - \"-\"\n"
	                            "      - \"> /etc/passwd\"\n");
	const struct hook_config *h = &c->hooks[0];
	size_t n = sizeof(want) / sizeof(want[0]);

	ck_assert_uint_eq(h->argc, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(strcmp(h->argv[i], want[i]) == 0, "argv[%zu] = \"%s\"", i,
		              h->argv[i]);
	ck_assert_ptr_null(h->argv[n]);
	config_free(c);
}
END_TEST

START_TEST(test_webhook_urls)
{
	static const char *const good[] = {
	    "http://127.0.0.1",
	    "http://127.0.0.1/",
	    "http://127.0.0.1:1",
	    "http://0.0.0.0:65535/",
	    "http://[::1]",
	    "http://[::1]:8080",
	    "http://[::ffff:192.0.2.1]:80/x",
	    "http://[2001:DB8::A]/Hook",
	    "http://192.0.2.1?token=abc&x=1",
	    "http://192.0.2.1/a/b/c?d=e/f?g",
	    "http://192.0.2.1/%2Fescaped%aF",
	    "http://192.0.2.1/~user/-._!$&'()*+,;=:@",
	    "http://192.0.2.1:0080/leading-zeros",
	    "HTTP://192.0.2.1/",
	    /* an empty port is the scheme's default (RFC 3986 section 3.2.3), as the runner uses it
	     */
	    "http://192.0.2.1:/",
	    "http://[::1]:/x",
	    /* names are looked up when the alert goes, https is verified */
	    "https://hooks.slack.com/services/T000/B000/XXXX",
	    "HtTpS://x",
	    "https://[::1]:8443/",
	    "http://localhost:8080/",
	    "https://alertmanager.example.org.:9093/api/v2/alerts",
	};
	char doc[512];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(doc, sizeof(doc), "hooks: [{name: w, webhook: \"%s\"}]\n", good[i]);
		struct config *c = parse_ok(doc);
		ck_assert_str_eq(c->hooks[0].url, good[i]);
		check_invariants(c);
		config_free(c);
	}
}
END_TEST

START_TEST(test_unsupported_keys_accepted_empty)
{
	struct config *c = parse_ok("hooks: []\nmetrics: {}\n");
	assert_defaults(c);
	config_free(c);
	EXPECT_ERRORS("metrics:\n", "t.yaml:1:9: expected a mapping for 'metrics', got nothing");
}
END_TEST

START_TEST(test_metrics_values)
{
	struct config *c = parse_ok("metrics: { address: \"127.0.0.1:9514\" }\n");
	ck_assert_str_eq(c->metrics_address, "127.0.0.1:9514");
	struct listen_config probe = {.addr = c->metrics_addr, .addrlen = c->metrics_addrlen};
	assert_ipv4(&probe, "127.0.0.1", 9514);
	check_invariants(c);
	config_free(c);

	c = parse_ok("metrics:\n  address: \"[::1]:0\"\n");
	ck_assert_str_eq(c->metrics_address, "[::1]:0");
	probe = (struct listen_config){.addr = c->metrics_addr, .addrlen = c->metrics_addrlen};
	assert_ipv6(&probe, "::1", 0);
	check_invariants(c);
	config_free(c);

	c = parse_ok("metrics: { address: 0.0.0.0:65535 }\n");
	probe = (struct listen_config){.addr = c->metrics_addr, .addrlen = c->metrics_addrlen};
	assert_ipv4(&probe, "0.0.0.0", 65535);
	config_free(c);

	EXPECT_ERRORS("metrics: { port: 9514 }\n", "t.yaml:1:10: missing 'address' in 'metrics'",
	              "t.yaml:1:12: unknown key 'port' in 'metrics'");
}
END_TEST

START_TEST(test_user_values)
{
	struct config *c = parse_ok("user: esatlsd\n");
	ck_assert_str_eq(c->user, "esatlsd");
	config_free(c);
	c = parse_ok("user: \"_mail-relay.1\"\n");
	ck_assert_str_eq(c->user, "_mail-relay.1");
	config_free(c);
}
END_TEST

/* Comments, CRLF line ends, quoting styles and a byte order mark do not matter. */
START_TEST(test_yaml_forms)
{
	struct config *c = parse_ok("\xef\xbb\xbf# config\r\n"
	                            "listen: [ {proto: 'udp', address: \"127.0.0.2:1\"} ]\r\n"
	                            "max_message_size: '2KiB'\r\n"
	                            "outputs:\r\n"
	                            "- file: >-\r\n"
	                            "    folded\r\n"
	                            "  queue: \"7\"\r\n");
	ck_assert_uint_eq(c->n_listen, 1);
	assert_ipv4(&c->listen[0], "127.0.0.2", 1);
	ck_assert_uint_eq(c->max_message_size, 2048);
	ck_assert_str_eq(c->outputs[0].file, "folded");
	ck_assert_uint_eq(c->outputs[0].queue, 7);
	config_free(c);

	/* UTF-16LE with its byte order mark: "user: bob\n" */
	static const char utf16[] = "\xff\xfeu\0s\0e\0r\0:\0 \0b\0o\0b\0\n\0";
	c = parse_len(utf16, sizeof(utf16) - 1);
	ck_assert_msg(c != NULL, "%s", errs.n ? errs.s[0] : "-");
	ck_assert_str_eq(c->user, "bob");
	config_free(c);
}
END_TEST

START_TEST(test_listen_same)
{
	struct config *c = parse_ok("listen:\n"
	                            "  - { proto: udp, address: \"[::]:514\", rcvbuf: 1MiB }\n"
	                            "  - { proto: tcp, address: \"[::]:514\" }\n"
	                            "  - { proto: udp, address: \"[::]:515\", rcvbuf: 1MiB }\n"
	                            "  - { proto: udp, address: \"0.0.0.0:514\", rcvbuf: 1MiB }\n"
	                            "  - { proto: udp, address: \"[::1]:514\", rcvbuf: 1MiB }\n");
	struct config *d = parse_ok("listen:\n"
	                            "  - { proto: udp, address: \"[0::0]:514\", rcvbuf: 1024KiB }\n"
	                            "  - { proto: tcp, address: \"[::]:514\", max_connections: 9,"
	                            " idle_timeout: 1s }\n");
	struct config *e =
	    parse_ok("listen: [{ proto: udp, address: \"[::]:514\", rcvbuf: 2MiB }]");
	/* the address as resolved counts, not as written; TCP limits apply without a rebind */
	ck_assert(config_listen_same(&c->listen[0], &d->listen[0]));
	ck_assert(config_listen_same(&c->listen[1], &d->listen[1]));
	ck_assert(!config_listen_same(&c->listen[0], &c->listen[1]));
	ck_assert(!config_listen_same(&c->listen[0], &c->listen[2]));
	ck_assert(!config_listen_same(&c->listen[0], &c->listen[3]));
	ck_assert(!config_listen_same(&c->listen[0], &c->listen[4]));
	ck_assert(!config_listen_same(&c->listen[0], &e->listen[0]));
	for (size_t i = 0; i < c->n_listen; i++)
		ck_assert(config_listen_same(&c->listen[i], &c->listen[i]));
	config_free(c);
	config_free(d);
	config_free(e);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_syntax_errors)
{
	static const struct error_case cases[] = {
	    {"listen: [1, 2\n",
	     "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at 1:9)"},
	    {"listen:\n\t- { proto: udp }\n",
	     "t.yaml:2:1: found character that cannot start any token (a tab: indent with spaces) "
	     "(while scanning for the next token at 2:1)"},
	    {"tracking:\n  linger: 1\n\tlifetime: 2\n",
	     "t.yaml:3:1: found a tab character that violates indentation (while scanning a plain "
	     "scalar at 2:11)"},
	    {"user: \"abc\n", "t.yaml:2:1: found unexpected end of stream (while scanning a quoted "
	                      "scalar at 1:7)"},
	    {"a:\n  b: c\n d: e\n",
	     "t.yaml:3:2: did not find expected key (while parsing a block mapping at 1:1)"},
	    {"user: a\nuser b\n",
	     "t.yaml:3:1: could not find expected ':' (while scanning a simple "
	     "key at 2:1)"},
	    {"user: \xff\n", "t.yaml:1:7: invalid leading UTF-8 octet (byte 0xff)"},
	    {"user: \xc3\n", "t.yaml:1:8: invalid trailing UTF-8 octet (byte 0x0a)"},
	    {"# \xed\xa0\x80\n", "t.yaml:1:3: invalid Unicode character (byte 0xd800)"},
	    {"user: a\x01\n", "t.yaml:1:8: control characters are not allowed (byte 0x01)"},
	    {"user: a\n---\nuser: b\n", "t.yaml:2:1: only one YAML document is allowed"},
	    {"user: !<tag:yaml.org,2002:str\n",
	     "t.yaml:1:30: did not find the expected '>' (while scanning a tag at 1:7)"},
	};
	RUN_CASES(cases);

	/* a NUL byte in the file itself */
	static const char nul[] = "user: a\0b\n";
	ck_assert_ptr_null(parse_len(nul, sizeof(nul) - 1));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.s[0], "t.yaml:1:8: control characters are not allowed (byte 0x00)");
}
END_TEST

START_TEST(test_type_errors)
{
	static const struct error_case cases[] = {
	    {"[1, 2]\n", "t.yaml:1:1: expected a mapping at the top level, got a list"},
	    {"hello\n", "t.yaml:1:1: expected a mapping at the top level, got \"hello\""},
	    {"listen: udp\n", "t.yaml:1:9: expected a list for 'listen', got \"udp\""},
	    {"listen:\n", "t.yaml:1:8: expected a list for 'listen', got nothing"},
	    {"listen: {proto: udp}\n", "t.yaml:1:9: expected a list for 'listen', got a mapping"},
	    {"listen: [udp]\n", "t.yaml:1:10: expected a mapping for listen entry, got \"udp\""},
	    {"listen: [[]]\n", "t.yaml:1:10: expected a mapping for listen entry, got a list"},
	    {"allow_from: 10.0.0.0/8\n",
	     "t.yaml:1:13: expected a list for 'allow_from', got \"10.0.0.0/8\""},
	    {"allow_from: ~\n", "t.yaml:1:13: expected a list for 'allow_from', got \"~\""},
	    {"max_message_size: [1]\n",
	     "t.yaml:1:19: expected a size (such as 512, 64KiB, 1MiB) for 'max_message_size', got "
	     "a list"},
	    {"tracking: [1]\n", "t.yaml:1:11: expected a mapping for 'tracking', got a list"},
	    {"tracking: 10m\n", "t.yaml:1:11: expected a mapping for 'tracking', got \"10m\""},
	    {"tracking: { max_connections: {} }\n",
	     "t.yaml:1:30: expected a number for 'max_connections' in tracking, got a mapping"},
	    {"tracking: { linger: [] }\n",
	     "t.yaml:1:21: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for 'linger' in "
	     "tracking, got a list"},
	    {"outputs: \"-\"\n", "t.yaml:1:10: expected a list for 'outputs', got \"-\""},
	    {"outputs: [\"-\"]\n", "t.yaml:1:11: expected a mapping for outputs entry, got \"-\""},
	    {"outputs: [{file: [a]}]\n",
	     "t.yaml:1:18: expected a file path or \"-\" for 'file' in outputs entry, got a list"},
	    {"outputs: [{file: x, queue: }]\n",
	     "t.yaml:1:28: expected a number for 'queue' in outputs entry, got nothing"},
	    {"outputs: [{file: x, verdicts: tls}]\n",
	     "t.yaml:1:31: expected a list for 'verdicts' in outputs entry, got \"tls\""},
	    {"outputs: [{file: x, verdicts: [[tls]]}]\n",
	     "t.yaml:1:32: expected tls, tls_failed, no_tls or unknown for verdicts entry, got a "
	     "list"},
	    {"hooks: {}\n", "t.yaml:1:8: expected a list for 'hooks', got a mapping"},
	    {"metrics: []\n", "t.yaml:1:10: expected a mapping for 'metrics', got a list"},
	    {"user: [a]\n", "t.yaml:1:7: expected a user name for 'user', got a list"},
	    {"user:\n", "t.yaml:1:6: expected a user name for 'user', got nothing"},
	};
	RUN_CASES(cases);
}
END_TEST

START_TEST(test_key_errors)
{
	static const struct error_case cases[] = {
	    {"foo: 1\n", "t.yaml:1:1: unknown key 'foo'"},
	    {"Listen: []\n", "t.yaml:1:1: unknown key 'Listen'"},
	    {"listen:\n  - { proto: udp, address: \"127.0.0.1:1\", foo: 1 }\n",
	     "t.yaml:2:43: unknown key 'foo' in listen entry"},
	    {"tracking: { idle: 1s }\n", "t.yaml:1:13: unknown key 'idle' in tracking"},
	    {"outputs: [{ file: x, filter: [tls] }]\n",
	     "t.yaml:1:22: unknown key 'filter' in outputs entry"},
	    {"\"it's\\n\": 1\n", "t.yaml:1:1: unknown key 'it\\'s\\n'"},
	    {"user: a\nuser: b\n", "t.yaml:2:1: duplicate key 'user' (first at 1:1)"},
	    {"tracking: { linger: 1s, linger: 2s }\n",
	     "t.yaml:1:25: duplicate key 'linger' in tracking (first at 1:13)"},
	    {"listen:\n  - proto: udp\n    address: 127.0.0.1:1\n    proto: tcp\n",
	     "t.yaml:4:5: duplicate key 'proto' in listen entry (first at 2:5)"},
	    {"outputs:\n  - { file: a, file: b }\n",
	     "t.yaml:2:16: duplicate key 'file' in outputs entry (first at 2:7)"},
	    {"[a]: 1\n", "t.yaml:1:1: expected a key name, got a list"},
	    {"tracking: { {a: 1}: 2 }\n",
	     "t.yaml:1:13: expected a key name in tracking, got a mapping"},
	    {"listen:\n  - { address: \"127.0.0.1:1\" }\n",
	     "t.yaml:2:5: missing 'proto' in listen entry"},
	    {"listen:\n  - proto: tcp\n", "t.yaml:2:5: missing 'address' in listen entry"},
	    {"outputs:\n  - queue: 5\n", "t.yaml:2:5: missing 'file' in outputs entry"},
	    {"outputs: [{}]\n", "t.yaml:1:11: missing 'file' in outputs entry"},
	};
	RUN_CASES(cases);
}
END_TEST

START_TEST(test_listen_errors)
{
#define L(entry) "listen:\n  - " entry "\n"
	static const struct error_case cases[] = {
	    {"listen: []\n", "t.yaml:1:9: nothing to listen on: 'listen' is empty"},
	    {L("{ proto: sctp, address: \"127.0.0.1:1\" }"),
	     "t.yaml:2:14: expected udp, tcp or tls for 'proto' in listen entry, got \"sctp\""},
	    {L("{ proto: UDP, address: \"127.0.0.1:1\" }"),
	     "t.yaml:2:14: expected udp, tcp or tls for 'proto' in listen entry, got \"UDP\""},
	    {L("{ proto: \"udp\\0\", address: \"127.0.0.1:1\" }"),
	     "t.yaml:2:14: expected udp, tcp or tls for 'proto' in listen entry, got \"udp\\x00\""},
	    {L("{ proto: udp, address: \"localhost:514\" }"),
	     "t.yaml:2:28: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in listen "
	     "entry, got \"localhost:514\""},
	    {L("{ proto: udp, address: \"127.0.0.1\" }"),
	     "t.yaml:2:28: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in listen "
	     "entry, got \"127.0.0.1\""},
	    {L("{ proto: udp, address: \"127.0.0.1:65536\" }"),
	     "t.yaml:2:28: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in listen "
	     "entry, got \"127.0.0.1:65536\""},
	    {L("{ proto: udp, address: \"::1:514\" }"),
	     "t.yaml:2:28: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in listen "
	     "entry, got \"::1:514\""},
	    {L("{ proto: udp, address: 514 }"),
	     "t.yaml:2:28: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in listen "
	     "entry, got \"514\""},
	    {L("{ proto: udp, address: [1] }"),
	     "t.yaml:2:28: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in listen "
	     "entry, got a list"},
	    {L("{ proto: tcp, address: \"127.0.0.1:1\", rcvbuf: 1MiB }"),
	     "t.yaml:2:43: 'rcvbuf' applies only to udp listeners"},
	    {L("{ proto: udp, address: \"127.0.0.1:1\", max_connections: 5 }"),
	     "t.yaml:2:43: 'max_connections' applies only to tcp and tls listeners"},
	    {L("{ idle_timeout: 5s, proto: udp, address: \"127.0.0.1:1\" }"),
	     "t.yaml:2:7: 'idle_timeout' applies only to tcp and tls listeners"},
	    {L("{ proto: udp, address: \"127.0.0.1:1\", rcvbuf: 513MiB }"),
	     "t.yaml:2:51: 'rcvbuf' in listen entry must be between 0 and 512MiB, got \"513MiB\""},
	    {L("{ proto: udp, address: \"127.0.0.1:1\", rcvbuf: lots }"),
	     "t.yaml:2:51: expected a size (such as 512, 64KiB, 1MiB) for 'rcvbuf' in listen "
	     "entry, got \"lots\""},
	    {L("{ proto: tcp, address: \"127.0.0.1:1\", max_connections: 0 }"),
	     "t.yaml:2:60: 'max_connections' in listen entry must be between 1 and 65536, got "
	     "\"0\""},
	    {L("{ proto: tcp, address: \"127.0.0.1:1\", max_connections: 65537 }"),
	     "t.yaml:2:60: 'max_connections' in listen entry must be between 1 and 65536, got "
	     "\"65537\""},
	    {L("{ proto: tcp, address: \"127.0.0.1:1\", max_connections: -1 }"),
	     "t.yaml:2:60: 'max_connections' in listen entry must be between 1 and 65536, got "
	     "\"-1\""},
	    {L("{ proto: tcp, address: \"127.0.0.1:1\", max_connections: 1e3 }"),
	     "t.yaml:2:60: expected a number for 'max_connections' in listen entry, got \"1e3\""},
	    {L("{ proto: tcp, address: \"127.0.0.1:1\", idle_timeout: 0s }"),
	     "t.yaml:2:57: 'idle_timeout' in listen entry must be more than 0, got \"0s\""},
	    {L("{ proto: tcp, address: \"127.0.0.1:1\", idle_timeout: 10 minutes }"),
	     "t.yaml:2:57: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for "
	     "'idle_timeout' in listen entry, got \"10 minutes\""},
	};
#undef L
	RUN_CASES(cases);

	/* numeric only, brackets for IPv6 and only there, a port always */
	static const char *const bad[] = {"[::1]514",
	                                  "[::1]",
	                                  "[::1]:",
	                                  "::1",
	                                  "[1.2.3.4]:5",
	                                  "1.2.3.4:",
	                                  ":514",
	                                  "1.2.3.4:5x",
	                                  " 1.2.3.4:5",
	                                  "1.2.3.4:5 ",
	                                  "1.2.3:5",
	                                  "1.2.3.256:5",
	                                  "[fe80::1%eth0]:5",
	                                  "[::1]:+5",
	                                  "[[::1]]:5",
	                                  "1.2.3.4:-1",
	                                  "[]:5",
	                                  "example.com:5",
	                                  "1.2.3.4::5",
	                                  "[::g]:5",
	                                  "1.2.3.4:99999999999999999999999"};
	char doc[256], want[512];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "listen: [{proto: udp, address: \"%s\"}]\n", bad[i]);
		snprintf(want, sizeof(want),
		         "t.yaml:1:32: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in "
		         "listen entry, got \"%s\"",
		         bad[i]);
		const char *const expected[] = {want, NULL};
		expect_errors(doc, expected);
	}
}
END_TEST

START_TEST(test_duplicate_listeners)
{
	EXPECT_ERRORS("listen:\n"
	              "  - { proto: udp, address: \"[::]:514\" }\n"
	              "  - { proto: tcp, address: \"[::]:514\" }\n"
	              "  - { proto: udp, address: \"[0:0::0]:514\" }\n"
	              "  - { proto: tcp, address: \"[::]:514\", max_connections: 1 }\n"
	              "  - { proto: udp, address: 127.0.0.1:514 }\n"
	              "  - { proto: udp, address: 127.0.0.1:514, rcvbuf: 1 }\n",
	              "t.yaml:4:5: duplicate listener udp [0:0::0]:514 (first at 2:5)",
	              "t.yaml:5:5: duplicate listener tcp [::]:514 (first at 3:5)",
	              "t.yaml:7:5: duplicate listener udp 127.0.0.1:514 (first at 6:5)");
	/* found even when the first entry has a problem elsewhere */
	EXPECT_ERRORS("listen:\n"
	              "  - { proto: udp, address: 127.0.0.1:514, rcvbuf: x }\n"
	              "  - { proto: udp, address: 127.0.0.1:514 }\n",
	              "t.yaml:2:51: expected a size (such as 512, 64KiB, 1MiB) for 'rcvbuf' in "
	              "listen entry, got \"x\"",
	              "t.yaml:3:5: duplicate listener udp 127.0.0.1:514 (first at 2:5)");
}
END_TEST

START_TEST(test_value_errors)
{
	static const struct error_case cases[] = {
	    {"allow_from: [10.0.0.1/8]\n",
	     "t.yaml:1:14: expected an address or prefix (such as 10.0.0.0/8 or ::1, no host bits "
	     "set) for allow_from entry, got \"10.0.0.1/8\""},
	    {"allow_from: [\"10.0.0.0/33\"]\n",
	     "t.yaml:1:14: expected an address or prefix (such as 10.0.0.0/8 or ::1, no host bits "
	     "set) for allow_from entry, got \"10.0.0.0/33\""},
	    {"allow_from: [mail.example.com]\n",
	     "t.yaml:1:14: expected an address or prefix (such as 10.0.0.0/8 or ::1, no host bits "
	     "set) for allow_from entry, got \"mail.example.com\""},
	    {"allow_from: [{a: 1}]\n",
	     "t.yaml:1:14: expected an address or prefix (such as 10.0.0.0/8 or ::1, no host bits "
	     "set) for allow_from entry, got a mapping"},
	    {"allow_from:\n  -\n",
	     "t.yaml:2:4: expected an address or prefix (such as 10.0.0.0/8 or ::1, no host bits "
	     "set) for allow_from entry, got nothing"},
	    {"max_message_size: 1023\n",
	     "t.yaml:1:19: 'max_message_size' must be between 1KiB and 1MiB, got \"1023\""},
	    {"max_message_size: 1049KB\n",
	     "t.yaml:1:19: 'max_message_size' must be between 1KiB and 1MiB, got \"1049KB\""},
	    {"max_message_size: 2MiB\n",
	     "t.yaml:1:19: 'max_message_size' must be between 1KiB and 1MiB, got \"2MiB\""},
	    {"max_message_size: 64 KiB\n",
	     "t.yaml:1:19: expected a size (such as 512, 64KiB, 1MiB) for 'max_message_size', got "
	     "\"64 KiB\""},
	    {"max_message_size: 64kib\n",
	     "t.yaml:1:19: expected a size (such as 512, 64KiB, 1MiB) for 'max_message_size', got "
	     "\"64kib\""},
	    {"tracking: { idle_timeout: 0 }\n",
	     "t.yaml:1:27: 'idle_timeout' in tracking must be more than 0, got \"0\""},
	    {"tracking: { lifetime: 0ms }\n",
	     "t.yaml:1:23: 'lifetime' in tracking must be more than 0, got \"0ms\""},
	    {"tracking: { linger: -1s }\n",
	     "t.yaml:1:21: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for 'linger' in "
	     "tracking, got \"-1s\""},
	    {"tracking: { lifetime: 36501d }\n", "t.yaml:1:23: expected a duration (such as 500ms, "
	                                         "90s, 10m, 24h, 2d) for 'lifetime' in "
	                                         "tracking, got \"36501d\""},
	    {"tracking: { alert_delay: 2 s }\n",
	     "t.yaml:1:26: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for "
	     "'alert_delay' in tracking, got \"2 s\""},
	    {"tracking: { max_connections: 0 }\n",
	     "t.yaml:1:30: 'max_connections' in tracking must be between 1 and 100000000, got "
	     "\"0\""},
	    {"tracking: { max_connections: 100000001 }\n",
	     "t.yaml:1:30: 'max_connections' in tracking must be between 1 and 100000000, got "
	     "\"100000001\""},
	    {"tracking: { max_connections: 1_000 }\n",
	     "t.yaml:1:30: expected a number for 'max_connections' in tracking, got \"1_000\""},
	    {"tracking: { max_connections: 0x10 }\n",
	     "t.yaml:1:30: expected a number for 'max_connections' in tracking, got \"0x10\""},
	    {"outputs: []\n", "t.yaml:1:10: nothing to write to: 'outputs' is empty"},
	    {"outputs: [{file: \"\"}]\n",
	     "t.yaml:1:18: expected a file path or \"-\" for 'file' in outputs entry, got \"\""},
	    {"outputs: [{file: }]\n",
	     "t.yaml:1:18: expected a file path or \"-\" for 'file' in outputs entry, got nothing"},
	    {"outputs: [{file: \"a\\nb\"}]\n",
	     "t.yaml:1:18: expected a file path or \"-\" for 'file' in outputs entry, got "
	     "\"a\\nb\""},
	    {"outputs: [{file: x, verdicts: []}]\n",
	     "t.yaml:1:31: 'verdicts' in outputs entry is empty: the output would write nothing"},
	    {"outputs: [{file: x, verdicts: [tls, TLS]}]\n",
	     "t.yaml:1:37: expected tls, tls_failed, no_tls or unknown for verdicts entry, got "
	     "\"TLS\""},
	    {"outputs: [{file: x, verdicts: [tls, failed]}]\n",
	     "t.yaml:1:37: expected tls, tls_failed, no_tls or unknown for verdicts entry, got "
	     "\"failed\""},
	    {"outputs: [{file: x, verdicts: [no_tls, tls, no_tls]}]\n",
	     "t.yaml:1:45: duplicate verdict \"no_tls\" in 'verdicts' (first at 1:32)"},
	    {"outputs: [{file: x, queue: 0}]\n",
	     "t.yaml:1:28: 'queue' in outputs entry must be between 1 and 10000000, got \"0\""},
	    {"outputs: [{file: x, queue: 10000001}]\n",
	     "t.yaml:1:28: 'queue' in outputs entry must be between 1 and 10000000, got "
	     "\"10000001\""},
	    {"outputs: [{file: x, queue: 10k}]\n",
	     "t.yaml:1:28: expected a number for 'queue' in outputs entry, got \"10k\""},
	    {"outputs:\n  - { file: \"-\" }\n  - { file: out, verdicts: [tls] }\n  - file: \"-\"\n",
	     "t.yaml:4:11: duplicate output file \"-\" (first at 2:13)"},
	    {"metrics: { address: localhost:9514 }\n",
	     "t.yaml:1:21: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in 'metrics', "
	     "got \"localhost:9514\""},
	    {"metrics: { address: \"127.0.0.1:65536\" }\n",
	     "t.yaml:1:21: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in 'metrics', "
	     "got \"127.0.0.1:65536\""},
	    {"metrics: { address: \"::1:9514\" }\n",
	     "t.yaml:1:21: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in 'metrics', "
	     "got \"::1:9514\""},
	    {"metrics: { address: 127.0.0.1 }\n",
	     "t.yaml:1:21: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in 'metrics', "
	     "got \"127.0.0.1\""},
	    {"metrics: { address: [127.0.0.1:9514] }\n",
	     "t.yaml:1:21: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in 'metrics', "
	     "got a list"},
	    {"metrics: { address: \"127.0.0.1:1\", address: \"127.0.0.1:2\" }\n",
	     "t.yaml:1:36: duplicate key 'address' in 'metrics' (first at 1:12)"},
	    {"metrics: \"127.0.0.1:9514\"\n",
	     "t.yaml:1:10: expected a mapping for 'metrics', got \"127.0.0.1:9514\""},
	    {"user: \"\"\n", "t.yaml:1:7: expected a user name for 'user', got \"\""},
	    {"user: ../root\n", "t.yaml:1:7: expected a user name for 'user', got \"../root\""},
	    {"user: \"bob\\tx\"\n", "t.yaml:1:7: expected a user name for 'user', got \"bob\\tx\""},
	    {"user: \"bob\\0\"\n", "t.yaml:1:7: expected a user name for 'user', got \"bob\\x00\""},
	    {"user: \"b\\x7f\"\n", "t.yaml:1:7: expected a user name for 'user', got \"b\\x7f\""},
	    {"user: \"b\\x85\"\n", "t.yaml:1:7: expected a user name for 'user', got \"b\\u0085\""},
	    {"user: null\n", "t.yaml:1:7: expected a user name for 'user', got \"null\""},
	};
	RUN_CASES(cases);
}
END_TEST

/* The messages about hooks that several tests expect. */
#define NAME_ERR "expected a hook name (1 to 64 of A-Z a-z 0-9 _ . -) for 'name' in hooks entry"
#define URL_FORM "expected an http:// or https:// URL for 'webhook' in hooks entry"
#define URL_HOST_TEXT                                                                              \
	"webhook host must be an IPv4 address, an IPv6 address in brackets or a DNS name"
#define URL_PORT_TEXT "webhook port must be a number between 1 and 65535"
#define URL_PATH_TEXT "webhook path may hold only URL characters (others escaped as %XX)"

START_TEST(test_hook_errors)
{
#define H(entry) "hooks:\n  - " entry "\n"
	static const struct error_case cases[] = {
	    /* the entry and its keys */
	    {"hooks: [x]\n", "t.yaml:1:9: expected a mapping for hooks entry, got \"x\""},
	    {"hooks: [[]]\n", "t.yaml:1:9: expected a mapping for hooks entry, got a list"},
	    {"hooks:\n", "t.yaml:1:7: expected a list for 'hooks', got nothing"},
	    {"hooks: ~\n", "t.yaml:1:8: expected a list for 'hooks', got \"~\""},
	    {H("{ exec: [/bin/true] }"), "t.yaml:2:5: missing 'name' in hooks entry"},
	    {H("{ name: a }"), "t.yaml:2:5: missing 'exec' or 'webhook' in hooks entry"},
	    {H("{ name: a, exec: [/bin/true], command: x }"),
	     "t.yaml:2:35: unknown key 'command' in hooks entry"},
	    {H("{ name: a, exec: [/bin/true], name: b }"),
	     "t.yaml:2:35: duplicate key 'name' in hooks entry (first at 2:7)"},
	    {H("{ name: a, exec: [/bin/true], exec: [/bin/false] }"),
	     "t.yaml:2:35: duplicate key 'exec' in hooks entry (first at 2:16)"},
	    {H("{ name: a, exec: [/bin/true], webhook: \"http://127.0.0.1/\" }"),
	     "t.yaml:2:35: 'webhook' with 'exec' (at 2:16) in one hooks entry: give only one"},
	    {H("{ webhook: \"http://127.0.0.1/\", name: a, exec: [/bin/true] }"),
	     "t.yaml:2:46: 'exec' with 'webhook' (at 2:7) in one hooks entry: give only one"},
	    /* name */
	    {H("{ name: \"\", exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got \"\""},
	    {H("{ name: , exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got nothing"},
	    {H("{ name: ~, exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got \"~\""},
	    {H("{ name: null, exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got \"null\""},
	    {H("{ name: page oncall, exec: [/x] }"),
	     "t.yaml:2:13: " NAME_ERR ", got \"page oncall\""},
	    {H("{ name: a/b, exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got \"a/b\""},
	    {H("{ name: \"a\\nb\", exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got \"a\\nb\""},
	    {H("{ name: \"a\\0\", exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got \"a\\x00\""},
	    {H("{ name: caf\xc3\xa9, exec: [/x] }"),
	     "t.yaml:2:13: " NAME_ERR ", got \"caf\xc3\xa9\""},
	    {H("{ name: [a], exec: [/x] }"), "t.yaml:2:13: " NAME_ERR ", got a list"},
	    /* exec */
	    {H("{ name: a, exec: /bin/true }"),
	     "t.yaml:2:22: expected a list (the program and its arguments) for 'exec' in hooks "
	     "entry, got \"/bin/true\""},
	    {H("{ name: a, exec: \"/bin/alert --now\" }"),
	     "t.yaml:2:22: expected a list (the program and its arguments) for 'exec' in hooks "
	     "entry, got \"/bin/alert --now\""},
	    {H("{ name: a, exec: }"),
	     "t.yaml:2:22: expected a list (the program and its arguments) for 'exec' in hooks "
	     "entry, got nothing"},
	    {H("{ name: a, exec: [] }"),
	     "t.yaml:2:22: 'exec' in hooks entry is empty: give the program to run"},
	    {H("{ name: a, exec: [tls-alert] }"),
	     "t.yaml:2:23: the program in 'exec' must be an absolute path (starting with /), got "
	     "\"tls-alert\""},
	    {H("{ name: a, exec: [./tls-alert, /x] }"),
	     "t.yaml:2:23: the program in 'exec' must be an absolute path (starting with /), got "
	     "\"./tls-alert\""},
	    {H("{ name: a, exec: [\"~/bin/x\"] }"),
	     "t.yaml:2:23: the program in 'exec' must be an absolute path (starting with /), got "
	     "\"~/bin/x\""},
	    {H("{ name: a, exec: [\"\"] }"),
	     "t.yaml:2:23: the program in 'exec' must be an absolute path (starting with /), got "
	     "\"\""},
	    {H("{ name: a, exec: [\" /bin/x\"] }"),
	     "t.yaml:2:23: the program in 'exec' must be an absolute path (starting with /), got "
	     "\" /bin/x\""},
	    {H("{ name: a, exec: [/x, [a]] }"),
	     "t.yaml:2:27: expected a string for exec entry, got a list"},
	    {H("{ name: a, exec: [/x, {a: 1}] }"),
	     "t.yaml:2:27: expected a string for exec entry, got a mapping"},
	    {H("{ name: a, exec: [/x, ~] }"),
	     "t.yaml:2:27: expected a string for exec entry, got \"~\""},
	    {H("{ name: a, exec: [/x, null] }"),
	     "t.yaml:2:27: expected a string for exec entry, got \"null\""},
	    {"hooks:\n  - name: a\n    exec:\n      - /x\n      -\n",
	     "t.yaml:5:8: expected a string for exec entry, got nothing"},
	    {H("{ name: a, exec: [/x, \"a\\0b\"] }"),
	     "t.yaml:2:27: expected a string without NUL bytes for exec entry, got \"a\\x00b\""},
	    {H("{ name: a, exec: [\"/bin/\\0x\"] }"),
	     "t.yaml:2:23: expected a string without NUL bytes for exec entry, got "
	     "\"/bin/\\x00x\""},
	    /* webhook */
	    {H("{ name: a, webhook: [http://127.0.0.1/] }"),
	     "t.yaml:2:25: " URL_FORM ", got a list"},
	    {H("{ name: a, webhook: }"), "t.yaml:2:25: " URL_FORM ", got nothing"},
	    {H("{ name: a, webhook: \"\" }"), "t.yaml:2:25: " URL_FORM ", got \"\""},
	    {H("{ name: a, webhook: \"https://hooks.example.com:x/\" }"),
	     "t.yaml:2:25: webhook port must be a number between 1 and 65535, got "
	     "\"https://hooks.example.com:x/\""},
	    {H("{ name: a, webhook: \"http://hooks..example.com/x\" }"),
	     "t.yaml:2:25: webhook host must be an IPv4 address, an IPv6 address in brackets or a "
	     "DNS name, got \"http://hooks..example.com/x\""},
	    {H("{ name: a, webhook: \"http://user:secret@192.0.2.1/x\" }"),
	     "t.yaml:2:25: a webhook URL may not hold a user name or password (USER@HOST): put "
	     "credentials in 'headers' or 'token_file'"},
	    {H("{ name: a, webhook: \"http://192.0.2.1/x#part\" }"),
	     "t.yaml:2:25: a webhook URL may not have a #fragment, got "
	     "\"http://192.0.2.1/x#part\""},
	    {H("{ name: a, webhook: \"http://192.0.2.1:0/\" }"),
	     "t.yaml:2:25: webhook port must be a number between 1 and 65535, got "
	     "\"http://192.0.2.1:0/\""},
	    {H("{ name: a, webhook: \"http://192.0.2.1/a b\" }"),
	     "t.yaml:2:25: webhook path may hold only URL characters (others escaped as %XX), "
	     "got \"http://192.0.2.1/a b\""},
	    /* on */
	    {H("{ name: a, exec: [/x], on: [tls_failed] }"),
	     "t.yaml:2:32: expected a mapping for 'on' in hooks entry, got a list"},
	    {H("{ name: a, exec: [/x], on: tls_failed }"),
	     "t.yaml:2:32: expected a mapping for 'on' in hooks entry, got \"tls_failed\""},
	    {H("{ name: a, exec: [/x], on: }"),
	     "t.yaml:2:32: expected a mapping for 'on' in hooks entry, got nothing"},
	    {H("{ name: a, exec: [/x], on: { verdicts: [tls] } }"),
	     "t.yaml:2:34: unknown key 'verdicts' in 'on'"},
	    {H("{ name: a, exec: [/x], on: { verdict: [tls], verdict: [no_tls] } }"),
	     "t.yaml:2:50: duplicate key 'verdict' in 'on' (first at 2:34)"},
	    {H("{ name: a, exec: [/x], on: { verdict: [] } }"),
	     "t.yaml:2:43: 'verdict' in 'on' is empty: the hook would never run"},
	    {H("{ name: a, exec: [/x], on: { verdict: tls } }"),
	     "t.yaml:2:43: expected a list for 'verdict' in 'on', got \"tls\""},
	    {H("{ name: a, exec: [/x], on: { verdict: [TLS_FAILED] } }"),
	     "t.yaml:2:44: expected tls, tls_failed, no_tls or unknown for verdict entry, got "
	     "\"TLS_FAILED\""},
	    {H("{ name: a, exec: [/x], on: { verdict: [[tls]] } }"),
	     "t.yaml:2:44: expected tls, tls_failed, no_tls or unknown for verdict entry, got a "
	     "list"},
	    {H("{ name: a, exec: [/x], on: { verdict: [tls, no_tls, tls] } }"),
	     "t.yaml:2:57: duplicate verdict \"tls\" in 'verdict' (first at 2:44)"},
	    {H("{ name: a, exec: [/x], on: { direction: [] } }"),
	     "t.yaml:2:45: 'direction' in 'on' is empty: the hook would never run"},
	    {H("{ name: a, exec: [/x], on: { direction: inbound } }"),
	     "t.yaml:2:45: expected a list for 'direction' in 'on', got \"inbound\""},
	    {H("{ name: a, exec: [/x], on: { direction: [in] } }"),
	     "t.yaml:2:46: expected inbound or outbound for direction entry, got \"in\""},
	    {H("{ name: a, exec: [/x], on: { direction: [icid] } }"),
	     "t.yaml:2:46: expected inbound or outbound for direction entry, got \"icid\""},
	    {H("{ name: a, exec: [/x], on: { direction: [outbound, outbound] } }"),
	     "t.yaml:2:56: duplicate direction \"outbound\" in 'direction' (first at 2:46)"},
	    {H("{ name: a, exec: [/x], on: { host: [] } }"),
	     "t.yaml:2:40: 'host' in 'on' is empty: the hook would never run"},
	    {H("{ name: a, exec: [/x], on: { host: esa1 } }"),
	     "t.yaml:2:40: expected a list for 'host' in 'on', got \"esa1\""},
	    {H("{ name: a, exec: [/x], on: { host: [\"\"] } }"),
	     "t.yaml:2:41: expected an appliance host name for host entry, got \"\""},
	    {H("{ name: a, exec: [/x], on: { host: [\"esa\\t1\"] } }"),
	     "t.yaml:2:41: expected an appliance host name for host entry, got \"esa\\t1\""},
	    {H("{ name: a, exec: [/x], on: { host: [[esa1]] } }"),
	     "t.yaml:2:41: expected an appliance host name for host entry, got a list"},
	    {H("{ name: a, exec: [/x], on: { host: [esa1, esa2, esa1] } }"),
	     "t.yaml:2:53: duplicate host \"esa1\" in 'host' (first at 2:41)"},
	    /* timeout, max_concurrent, queue */
	    {H("{ name: a, exec: [/x], timeout: 0 }"),
	     "t.yaml:2:37: 'timeout' in hooks entry must be more than 0, got \"0\""},
	    {H("{ name: a, exec: [/x], timeout: 0ms }"),
	     "t.yaml:2:37: 'timeout' in hooks entry must be more than 0, got \"0ms\""},
	    {H("{ name: a, exec: [/x], timeout: 61m }"),
	     "t.yaml:2:37: 'timeout' in hooks entry must be at most 1h, got \"61m\""},
	    {H("{ name: a, exec: [/x], timeout: 3600001ms }"),
	     "t.yaml:2:37: 'timeout' in hooks entry must be at most 1h, got \"3600001ms\""},
	    {H("{ name: a, exec: [/x], timeout: 2d }"),
	     "t.yaml:2:37: 'timeout' in hooks entry must be at most 1h, got \"2d\""},
	    {H("{ name: a, exec: [/x], timeout: 10 s }"),
	     "t.yaml:2:37: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for 'timeout' "
	     "in hooks entry, got \"10 s\""},
	    {H("{ name: a, exec: [/x], timeout: [1s] }"),
	     "t.yaml:2:37: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for 'timeout' "
	     "in hooks entry, got a list"},
	    {H("{ name: a, exec: [/x], max_concurrent: 0 }"),
	     "t.yaml:2:44: 'max_concurrent' in hooks entry must be between 1 and 64, got \"0\""},
	    {H("{ name: a, exec: [/x], max_concurrent: 65 }"),
	     "t.yaml:2:44: 'max_concurrent' in hooks entry must be between 1 and 64, got \"65\""},
	    {H("{ name: a, exec: [/x], max_concurrent: -1 }"),
	     "t.yaml:2:44: 'max_concurrent' in hooks entry must be between 1 and 64, got \"-1\""},
	    {H("{ name: a, exec: [/x], max_concurrent: 4x }"),
	     "t.yaml:2:44: expected a number for 'max_concurrent' in hooks entry, got \"4x\""},
	    {H("{ name: a, exec: [/x], queue: 0 }"),
	     "t.yaml:2:35: 'queue' in hooks entry must be between 1 and 1000000, got \"0\""},
	    {H("{ name: a, exec: [/x], queue: 1000001 }"),
	     "t.yaml:2:35: 'queue' in hooks entry must be between 1 and 1000000, got "
	     "\"1000001\""},
	    {H("{ name: a, exec: [/x], queue: 99999999999999999999999 }"),
	     "t.yaml:2:35: 'queue' in hooks entry must be between 1 and 1000000, got "
	     "\"99999999999999999999999\""},
	    /* retries */
	    {H("{ name: a, exec: [/x], retries: 1 }"),
	     "t.yaml:2:28: 'retries' applies to webhook hooks only"},
	    {H("{ name: a, exec: [/x], retries: 0 }"),
	     "t.yaml:2:28: 'retries' applies to webhook hooks only"},
	    {H("{ name: a, webhook: \"http://127.0.0.1/\", retries: 11 }"),
	     "t.yaml:2:55: 'retries' in hooks entry must be between 0 and 10, got \"11\""},
	    {H("{ name: a, webhook: \"http://127.0.0.1/\", retries: -1 }"),
	     "t.yaml:2:55: 'retries' in hooks entry must be between 0 and 10, got \"-1\""},
	    {H("{ name: a, webhook: \"http://127.0.0.1/\", retries: many }"),
	     "t.yaml:2:55: expected a number for 'retries' in hooks entry, got \"many\""},
	    /* throttle */
	    {H("{ name: a, exec: [/x], throttle: 15m }"),
	     "t.yaml:2:38: expected a mapping for 'throttle' in hooks entry, got \"15m\""},
	    {H("{ name: a, exec: [/x], throttle: { key: peer_ip } }"),
	     "t.yaml:2:38: missing 'interval' in 'throttle'"},
	    {H("{ name: a, exec: [/x], throttle: { interval: 1m } }"),
	     "t.yaml:2:38: missing 'key' in 'throttle'"},
	    {H("{ name: a, exec: [/x], throttle: { key: ip, interval: 1m } }"),
	     "t.yaml:2:45: expected peer_ip, host or none for 'key' in 'throttle', got \"ip\""},
	    {H("{ name: a, exec: [/x], throttle: { key: PEER_IP, interval: 1m } }"),
	     "t.yaml:2:45: expected peer_ip, host or none for 'key' in 'throttle', got "
	     "\"PEER_IP\""},
	    {H("{ name: a, exec: [/x], throttle: { key: [host], interval: 1m } }"),
	     "t.yaml:2:45: expected peer_ip, host or none for 'key' in 'throttle', got a list"},
	    {H("{ name: a, exec: [/x], throttle: { key: host, interval: 0s } }"),
	     "t.yaml:2:61: 'interval' in 'throttle' must be more than 0, got \"0s\""},
	    {H("{ name: a, exec: [/x], throttle: { key: host, interval: soon } }"),
	     "t.yaml:2:61: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for "
	     "'interval' in 'throttle', got \"soon\""},
	    {H("{ name: a, exec: [/x], throttle: { key: host, interval: 1m, burst: 3 } }"),
	     "t.yaml:2:65: unknown key 'burst' in 'throttle'"},
	};
#undef H
	RUN_CASES(cases);
}
END_TEST

/* Edge lengths: a name of 65 characters, an argument of 4097 bytes, 65 argv entries. */
START_TEST(test_hook_length_errors)
{
	char *name = repeat('n', 65), *arg = repeat('a', 4097);
	size_t cap = 65 * 8 + 4097 + 512, len;
	char *doc = malloc(cap);
	char want[512];
	ck_assert_ptr_nonnull(doc);

	snprintf(doc, cap, "hooks: [{ name: %s, exec: [/x] }]\n", name);
	snprintf(want, sizeof(want), "t.yaml:1:17: %s, got \"%.60s...\"", NAME_ERR, name);
	{
		const char *const expected[] = {want, NULL};
		expect_errors(doc, expected);
	}

	snprintf(doc, cap, "hooks: [{ name: a, exec: [/x, %s] }]\n", arg);
	EXPECT_ERRORS(doc, "t.yaml:1:31: exec entry must be at most 4096 bytes, got 4097 bytes");
	arg[0] = '/';
	snprintf(doc, cap, "hooks: [{ name: a, exec: [%s] }]\n", arg);
	EXPECT_ERRORS(doc, "t.yaml:1:27: exec entry must be at most 4096 bytes, got 4097 bytes");

	len = (size_t)snprintf(doc, cap, "hooks: [{ name: a, exec: [/x");
	for (int i = 1; i < 65; i++)
		len += (size_t)snprintf(doc + len, cap - len, ", %d", i);
	snprintf(doc + len, cap - len, "] }]\n");
	EXPECT_ERRORS(doc, "t.yaml:1:26: 'exec' in hooks entry has 65 entries, at most 64 (the "
	                   "program and its arguments)");
	free(name);
	free(arg);
	free(doc);
}
END_TEST

START_TEST(test_webhook_url_errors)
{
	static const struct {
		const char *url;
		const char *problem; /* the message before ", got URL" */
	} cases[] = {
	    {"ftp://192.0.2.1/x", URL_FORM},
	    {"192.0.2.1:80/hook", URL_FORM},
	    {"http:/192.0.2.1/", URL_FORM},
	    {"http//192.0.2.1/", URL_FORM},
	    {"~", URL_FORM},
	    {"http://", URL_HOST_TEXT},
	    {"http:///path", URL_HOST_TEXT},
	    {"http://local host:8080/", URL_HOST_TEXT},
	    {"https://a..b/", URL_HOST_TEXT},
	    {"http://1.2.3/", URL_HOST_TEXT},
	    {"http://1.2.3.4.5/", URL_HOST_TEXT},
	    {"http://127.1/", URL_HOST_TEXT},
	    {"http://0x7f.0.0.1/", URL_HOST_TEXT},
	    {"http://256.0.0.1/", URL_HOST_TEXT},
	    {"http://::1/", URL_HOST_TEXT},
	    {"http://2001:db8::1/", URL_HOST_TEXT},
	    {"http://[::1/", URL_HOST_TEXT},
	    {"http://[::1]x/", URL_HOST_TEXT},
	    {"http://[::1]]:80/", URL_HOST_TEXT},
	    {"http://[]:80/", URL_HOST_TEXT},
	    {"http://[192.0.2.1]/", URL_HOST_TEXT},
	    {"http://[fe80::1%25eth0]:80/", URL_HOST_TEXT},
	    {"http://[::g]/", URL_HOST_TEXT},
	    {"http:// 192.0.2.1/", URL_HOST_TEXT},
	    {"http://192.0.2.1 /", URL_HOST_TEXT},
	    {"http://192.0.2.1:65536/", URL_PORT_TEXT},
	    {"http://192.0.2.1:http/", URL_PORT_TEXT},
	    {"http://192.0.2.1:+80/", URL_PORT_TEXT},
	    {"http://192.0.2.1:-1", URL_PORT_TEXT},
	    {"http://192.0.2.1:80:81/", URL_PORT_TEXT},
	    {"http://[::1]:99999999999999999999999/", URL_PORT_TEXT},
	    {"http://192.0.2.1/a\\\"b", URL_PATH_TEXT},
	    {"http://192.0.2.1/<script>", URL_PATH_TEXT},
	    {"http://192.0.2.1/a%zz", URL_PATH_TEXT},
	    {"http://192.0.2.1/a%2", URL_PATH_TEXT},
	    {"http://192.0.2.1/%", URL_PATH_TEXT},
	    {"http://192.0.2.1/caf\xc3\xa9", URL_PATH_TEXT},
	    {"http://192.0.2.1/a\\\\b", URL_PATH_TEXT},
	    {"http://192.0.2.1/{x}", URL_PATH_TEXT},
	    {"http://192.0.2.1/a|b", URL_PATH_TEXT},
	    {"http://192.0.2.1/a^b", URL_PATH_TEXT},
	    {"http://192.0.2.1/a`b", URL_PATH_TEXT},
	    {"http://192.0.2.1/a\\tb", URL_PATH_TEXT},
	    {"http://192.0.2.1/a\\r\\nHost: evil", URL_PATH_TEXT},
	    {"http://192.0.2.1/a[1]", URL_PATH_TEXT},
	    {"http://192.0.2.1/\\0", URL_FORM},
	};
	char doc[512], want[1024], shown[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the URL as the message shows it: YAML escapes become the config's escapes */
		size_t o = 0;
		for (const char *s = cases[i].url; *s != '\0' && o + 8 < sizeof(shown); s++) {
			if (s[0] == '\\' && s[1] == '0') {
				memcpy(shown + o, "\\x00", 4);
				o += 4;
				s++;
			} else if (s[0] == '\\' && s[1] != '\0') {
				shown[o++] = *s++;
				shown[o++] = *s;
			} else {
				shown[o++] = *s;
			}
		}
		shown[o] = '\0';
		snprintf(doc, sizeof(doc), "hooks: [{ name: a, webhook: \"%s\" }]\n", cases[i].url);
		snprintf(want, sizeof(want), "t.yaml:1:29: %s, got \"%s\"", cases[i].problem,
		         shown);
		const char *const expected[] = {want, NULL};
		expect_errors(doc, expected);
	}
}
END_TEST

START_TEST(test_hook_duplicate_names)
{
	EXPECT_ERRORS("hooks:\n"
	              "  - { name: a, exec: [/bin/true] }\n"
	              "  - { name: b, webhook: \"http://127.0.0.1/\" }\n"
	              "  - { name: a, webhook: \"http://127.0.0.1/\" }\n"
	              "  - { timeout: 0, name: b, exec: [/bin/true] }\n"
	              "  - { name: A, exec: [/bin/true] }\n"
	              "  - { name: a, exec: [/bin/true] }\n",
	              "t.yaml:4:13: duplicate hook name \"a\" (first at 2:13)",
	              "t.yaml:5:16: 'timeout' in hooks entry must be more than 0, got \"0\"",
	              "t.yaml:5:25: duplicate hook name \"b\" (first at 3:13)",
	              "t.yaml:7:13: duplicate hook name \"a\" (first at 2:13)");
	/* found even when the first entry has a problem elsewhere */
	EXPECT_ERRORS("hooks:\n"
	              "  - { name: x, exec: [relative] }\n"
	              "  - { name: x, exec: [/bin/true] }\n",
	              "t.yaml:2:23: the program in 'exec' must be an absolute path (starting with "
	              "/), got \"relative\"",
	              "t.yaml:3:13: duplicate hook name \"x\" (first at 2:13)");
}
END_TEST

/* Every problem of a hook in one pass, in file order. */
START_TEST(test_hook_several_errors)
{
	EXPECT_ERRORS("hooks:\n"
	              "  - name: bad name\n"
	              "    exec: [relative, \"x\\0\", [a]]\n"
	              "    on: { verdict: [tls, nope], direction: [], host: [a, a], when: now }\n"
	              "    timeout: 2h\n"
	              "    max_concurrent: 0\n"
	              "    queue: 1000001\n"
	              "    retries: 1\n"
	              "    throttle: { key: everyone }\n"
	              "    shell: yes\n"
	              "  - {}\n",
	              "t.yaml:2:11: " NAME_ERR ", got \"bad name\"",
	              "t.yaml:3:12: the program in 'exec' must be an absolute path (starting "
	              "with /), got \"relative\"",
	              "t.yaml:3:22: expected a string without NUL bytes for exec entry, got "
	              "\"x\\x00\"",
	              "t.yaml:3:29: expected a string for exec entry, got a list",
	              "t.yaml:4:26: expected tls, tls_failed, no_tls or unknown for verdict "
	              "entry, got \"nope\"",
	              "t.yaml:4:44: 'direction' in 'on' is empty: the hook would never run",
	              "t.yaml:4:58: duplicate host \"a\" in 'host' (first at 4:55)",
	              "t.yaml:4:62: unknown key 'when' in 'on'",
	              "t.yaml:5:14: 'timeout' in hooks entry must be at most 1h, got \"2h\"",
	              "t.yaml:6:21: 'max_concurrent' in hooks entry must be between 1 and 64, got "
	              "\"0\"",
	              "t.yaml:7:12: 'queue' in hooks entry must be between 1 and 1000000, got "
	              "\"1000001\"",
	              "t.yaml:8:5: 'retries' applies to webhook hooks only",
	              "t.yaml:9:15: missing 'interval' in 'throttle'",
	              "t.yaml:9:22: expected peer_ip, host or none for 'key' in 'throttle', got "
	              "\"everyone\"",
	              "t.yaml:10:5: unknown key 'shell' in hooks entry",
	              "t.yaml:11:5: missing 'name' in hooks entry",
	              "t.yaml:11:5: missing 'exec' or 'webhook' in hooks entry");
}
END_TEST

/* Values are shown quoted, escaped and cut, so a message is one readable line. */
START_TEST(test_value_display)
{
	char doc[2048], want[512];
	char value[1001];

	memset(value, 'a', 1000);
	value[1000] = '\0';
	snprintf(doc, sizeof(doc), "max_message_size: %s\n", value);
	snprintf(want, sizeof(want),
	         "t.yaml:1:19: expected a size (such as 512, 64KiB, 1MiB) for 'max_message_size', "
	         "got \"%.60s...\"",
	         value);
	{
		const char *const expected[] = {want, NULL};
		expect_errors(doc, expected);
	}

	/* cut at a character boundary: 59 ASCII bytes then a two-byte character */
	snprintf(doc, sizeof(doc), "queue_: 1\nuser: \"%.59s\xc3\xa9tail/\"\n", value);
	snprintf(want, sizeof(want),
	         "t.yaml:2:7: expected a user name for 'user', got \"%.59s...\"", value);
	EXPECT_ERRORS(doc, "t.yaml:1:1: unknown key 'queue_'", want);

	EXPECT_ERRORS("user: \"q\\\"uote\\\\back/\\r\\u001b[31m\"\n",
	              "t.yaml:1:7: expected a user name for 'user', got "
	              "\"q\\\"uote\\\\back/\\r\\x1b[31m\"");
	EXPECT_ERRORS(
	    "user: 'caf\xc3\xa9/\xe2\x80\xa8'\n",
	    "t.yaml:1:7: expected a user name for 'user', got \"caf\xc3\xa9/\xe2\x80\xa8\"");

	/* a huge key is cut too */
	snprintf(doc, sizeof(doc), "%s: 1\n", value);
	snprintf(want, sizeof(want), "t.yaml:1:1: unknown key '%.60s...'", value);
	{
		const char *const expected[] = {want, NULL};
		expect_errors(doc, expected);
	}
}
END_TEST

/* Every problem of a document in one pass, in file order. */
START_TEST(test_several_errors_in_file_order)
{
	EXPECT_ERRORS(
	    "listen:\n"
	    "  - { proto: udp, address: \"127.0.0.1:1\", max_connections: 5 }\n"
	    "  - proto: tcp\n"
	    "    bogus: 1\n"
	    "allow_from: [10.0.0.1/8, 10.0.0.0/8, x]\n"
	    "max_message_size: 1\n"
	    "tracking:\n"
	    "  lifetime: 0s\n"
	    "  linger: forever\n"
	    "outputs:\n"
	    "  - { verdicts: [tls], queue: 0 }\n"
	    "  - { file: a, verdicts: [tls, tls] }\n"
	    "  - { file: a }\n"
	    "hooks: [x]\n"
	    "user: a/b\n"
	    "user: c\n"
	    "zzz: 1\n",
	    "t.yaml:2:43: 'max_connections' applies only to tcp and tls listeners",
	    "t.yaml:3:5: missing 'address' in listen entry",
	    "t.yaml:4:5: unknown key 'bogus' in listen entry",
	    "t.yaml:5:14: expected an address or prefix (such as 10.0.0.0/8 or ::1, no host "
	    "bits set) for allow_from entry, got \"10.0.0.1/8\"",
	    "t.yaml:5:38: expected an address or prefix (such as 10.0.0.0/8 or ::1, no host "
	    "bits set) for allow_from entry, got \"x\"",
	    "t.yaml:6:19: 'max_message_size' must be between 1KiB and 1MiB, got \"1\"",
	    "t.yaml:8:13: 'lifetime' in tracking must be more than 0, got \"0s\"",
	    "t.yaml:9:11: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for "
	    "'linger' in tracking, got \"forever\"",
	    "t.yaml:11:5: missing 'file' in outputs entry",
	    "t.yaml:11:31: 'queue' in outputs entry must be between 1 and 10000000, got "
	    "\"0\"",
	    "t.yaml:12:32: duplicate verdict \"tls\" in 'verdicts' (first at 12:27)",
	    "t.yaml:13:13: duplicate output file \"a\" (first at 12:13)",
	    "t.yaml:14:9: expected a mapping for hooks entry, got \"x\"",
	    "t.yaml:15:7: expected a user name for 'user', got \"a/b\"",
	    "t.yaml:16:1: duplicate key 'user' (first at 15:1)", "t.yaml:17:1: unknown key 'zzz'");
}
END_TEST

/* A flood of problems is cut at 100 messages plus one line counting the rest. */
START_TEST(test_error_flood_is_bounded)
{
	size_t cap = 200 * 16, len = 0;
	char *doc = malloc(cap);
	ck_assert_ptr_nonnull(doc);
	for (int i = 0; i < 150; i++)
		len += (size_t)snprintf(doc + len, cap - len, "k%03d: 1\n", i);
	ck_assert_ptr_null(parse(doc));
	ck_assert_uint_eq(errs.n, 101);
	ck_assert_str_eq(errs.s[0], "t.yaml:1:1: unknown key 'k000'");
	ck_assert_str_eq(errs.s[99], "t.yaml:100:1: unknown key 'k099'");
	ck_assert_str_eq(errs.s[100], "t.yaml: 50 more errors not shown");
	free(doc);
}
END_TEST

START_TEST(test_load_errors)
{
	char path[] = "/tmp/check_config_XXXXXX";
	int fd;

	errs.n = 0;
	ck_assert_ptr_null(config_load("/nonexistent/esatlsd.yaml", collect, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.s[0], "/nonexistent/esatlsd.yaml: No such file or directory");

	errs.n = 0;
	ck_assert_ptr_null(config_load("/", collect, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.s[0], "/: Is a directory");

	/* just over the bound: refused without parsing */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	char *big = malloc(1024 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', 1024 * 1024 + 1);
	ck_assert_int_eq(write(fd, big, 1024 * 1024 + 1), 1024 * 1024 + 1);
	errs.n = 0;
	ck_assert_ptr_null(config_load(path, collect, &errs));
	ck_assert_uint_eq(errs.n, 1);
	char want[128];
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	ck_assert_str_eq(errs.s[0], want);

	/* exactly at the bound: a comment, so all defaults */
	ck_assert_int_eq(ftruncate(fd, 1024 * 1024), 0);
	errs.n = 0;
	struct config *c = config_load(path, collect, &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->source, path);
	assert_defaults(c);
	config_free(c);

	/* errors name the file as given */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, "\nuser: a/b\n", 11, 0), 11);
	errs.n = 0;
	ck_assert_ptr_null(config_load(path, collect, &errs));
	snprintf(want, sizeof(want), "%s:2:7: expected a user name for 'user', got \"a/b\"", path);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.s[0], want);
	close(fd);
	unlink(path);
	free(big);

	/* a buffer over the bound */
	big = calloc(1, 1024 * 1024 + 1);
	ck_assert_ptr_null(parse_len(big, 1024 * 1024 + 1));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.s[0], "t.yaml: larger than 1 MiB");
	free(big);
}
END_TEST

/* ---- hostile input ---- */

START_TEST(test_aliases_rejected)
{
	EXPECT_ERRORS("listen:\n"
	              "  - &l { proto: udp, address: \"127.0.0.1:1\" }\n"
	              "  - *l\n",
	              "t.yaml:3:5: aliases are not supported (*l)");
	EXPECT_ERRORS("user: &u bob\nallow_from: [*u, *u]\n",
	              "t.yaml:2:14: aliases are not supported (*u)",
	              "t.yaml:2:18: aliases are not supported (*u)");
	EXPECT_ERRORS("? *k\n: 1\n", "t.yaml:1:3: aliases are not supported (*k)");
	/* an anchor alone is harmless */
	struct config *c = parse_ok("user: &u bob\n");
	ck_assert_str_eq(c->user, "bob");
	config_free(c);

	/* "billion laughs": refused at the first alias, in no time and memory */
	EXPECT_ERRORS(
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
	    "t.yaml:1:1: unknown key 'a'", "t.yaml:2:1: unknown key 'b'",
	    "t.yaml:2:8: aliases are not supported (*a)",
	    "t.yaml:2:11: aliases are not supported (*a)",
	    "t.yaml:2:14: aliases are not supported (*a)",
	    "t.yaml:2:17: aliases are not supported (*a)",
	    "t.yaml:2:20: aliases are not supported (*a)",
	    "t.yaml:2:23: aliases are not supported (*a)",
	    "t.yaml:2:26: aliases are not supported (*a)",
	    "t.yaml:2:29: aliases are not supported (*a)",
	    "t.yaml:2:32: aliases are not supported (*a)", "t.yaml:3:1: unknown key 'c'",
	    "t.yaml:3:8: aliases are not supported (*b)",
	    "t.yaml:3:11: aliases are not supported (*b)",
	    "t.yaml:3:14: aliases are not supported (*b)",
	    "t.yaml:3:17: aliases are not supported (*b)",
	    "t.yaml:3:20: aliases are not supported (*b)",
	    "t.yaml:3:23: aliases are not supported (*b)",
	    "t.yaml:3:26: aliases are not supported (*b)",
	    "t.yaml:3:29: aliases are not supported (*b)",
	    "t.yaml:3:32: aliases are not supported (*b)", "t.yaml:4:1: unknown key 'd'",
	    "t.yaml:4:8: aliases are not supported (*c)",
	    "t.yaml:4:11: aliases are not supported (*c)",
	    "t.yaml:4:14: aliases are not supported (*c)",
	    "t.yaml:4:17: aliases are not supported (*c)",
	    "t.yaml:4:20: aliases are not supported (*c)",
	    "t.yaml:4:23: aliases are not supported (*c)",
	    "t.yaml:4:26: aliases are not supported (*c)",
	    "t.yaml:4:29: aliases are not supported (*c)",
	    "t.yaml:4:32: aliases are not supported (*c)");
}
END_TEST

static char *nested(size_t levels, char open, char close)
{
	char *doc = malloc(levels * 2 + 16);
	size_t len = 0;
	ck_assert_ptr_nonnull(doc);
	memcpy(doc, "zz: ", 4);
	len = 4;
	for (size_t i = 0; i < levels; i++)
		doc[len++] = open;
	for (size_t i = 0; i < levels; i++)
		doc[len++] = close;
	doc[len++] = '\n';
	doc[len] = '\0';
	return doc;
}

START_TEST(test_nesting_bounded)
{
	/* the top mapping is the first level: 31 more are fine */
	char *doc = nested(31, '[', ']');
	EXPECT_ERRORS(doc, "t.yaml:1:1: unknown key 'zz'");
	free(doc);
	doc = nested(32, '[', ']');
	EXPECT_ERRORS(doc, "t.yaml:1:36: nesting deeper than 32 levels");
	free(doc);
	/* a megabyte of brackets stops at the bound as well */
	doc = nested(500000, '[', ']');
	EXPECT_ERRORS(doc, "t.yaml:1:36: nesting deeper than 32 levels");
	free(doc);

	size_t cap = 40 * 64, len = 0;
	doc = malloc(cap);
	ck_assert_ptr_nonnull(doc);
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(doc + len, cap - len, "%*sk%d:\n", i, "", i);
	EXPECT_ERRORS(doc, "t.yaml:33:33: nesting deeper than 32 levels");
	free(doc);
}
END_TEST

START_TEST(test_huge_numbers)
{
	EXPECT_ERRORS("outputs: [{file: x, queue: 184467440737095516161844674407370955161}]\n",
	              "t.yaml:1:28: 'queue' in outputs entry must be between 1 and 10000000, got "
	              "\"184467440737095516161844674407370955161\"");
	EXPECT_ERRORS("tracking: { linger: 99999999999999999999999s }\n",
	              "t.yaml:1:21: expected a duration (such as 500ms, 90s, 10m, 24h, 2d) for "
	              "'linger' in tracking, got \"99999999999999999999999s\"");
	EXPECT_ERRORS("max_message_size: 18446744073709551616\n",
	              "t.yaml:1:19: expected a size (such as 512, 64KiB, 1MiB) for "
	              "'max_message_size', got \"18446744073709551616\"");
	EXPECT_ERRORS("max_message_size: 281474976710656\n",
	              "t.yaml:1:19: 'max_message_size' must be between 1KiB and 1MiB, got "
	              "\"281474976710656\"");
	EXPECT_ERRORS("tracking: { max_connections: 4294967297 }\n",
	              "t.yaml:1:30: 'max_connections' in tracking must be between 1 and 100000000, "
	              "got \"4294967297\"");
}
END_TEST

/* Very long values: parsed without trouble, shown cut. */
START_TEST(test_long_strings)
{
	size_t n = 900 * 1024;
	char *doc = malloc(n + 64);
	ck_assert_ptr_nonnull(doc);
	memcpy(doc, "outputs: [{file: \"", 18);
	memset(doc + 18, 'f', n);
	memcpy(doc + 18 + n, "\"}]\n", 5);
	struct config *c = parse_ok(doc);
	ck_assert_uint_eq(strlen(c->outputs[0].file), n);
	config_free(c);

	/* the same length, refused: the message stays short */
	memcpy(doc, "user: \"/", 8);
	memset(doc + 8, 'f', n);
	memcpy(doc + 8 + n, "\"\n", 3);
	ck_assert_ptr_null(parse(doc));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_uint_lt(strlen(errs.s[0]), 160);
	ck_assert(strstr(errs.s[0], "t.yaml:1:7: expected a user name for 'user', got \"/fff") ==
	          errs.s[0]);
	ck_assert(strstr(errs.s[0], "fff...\"") != NULL);
	free(doc);
}
END_TEST

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

/* Random bytes and random damage to a valid file: a message for every rejection, a valid
 * config for every acceptance, never a crash or a leak. */
START_TEST(test_random_damage)
{
	static const char base[] =
	    "listen:\n"
	    "  - { proto: udp, address: \"0.0.0.0:514\", rcvbuf: 8MiB }\n"
	    "  - { proto: tcp, address: \"[::]:514\", max_connections: 64, idle_timeout: 10m }\n"
	    "allow_from: [192.0.2.0/24, \"2001:db8::/32\"]\n"
	    "max_message_size: 64KiB\n"
	    "tracking: { idle_timeout: 10m, lifetime: 24h, linger: 60s, max_connections: 1000,"
	    " alert_delay: 2s }\n"
	    "outputs:\n"
	    "  - { file: a.jsonl, verdicts: [tls_failed, unknown], queue: 10 }\n"
	    "  - file: \"-\"\n"
	    "hooks:\n"
	    "  - { name: x, exec: [/bin/a, \"$(b)\"], on: { verdict: [tls_failed, no_tls],"
	    " direction: [inbound], host: [esa1] }, timeout: 5s, throttle: { key: host,"
	    " interval: 1m } }\n"
	    "  - { name: y, webhook: \"http://[::1]:8080/h?q=1\", retries: 2, queue: 9,"
	    " max_concurrent: 2 }\n"
	    "user: esatlsd\n";
	char doc[sizeof(base) + 64];
	size_t accepted = 0;

	rng_state = 20260101;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len;
		if (iter % 4 == 0) {
			len = rng() % sizeof(doc);
			for (size_t i = 0; i < len; i++)
				doc[i] = (char)rng();
		} else {
			memcpy(doc, base, sizeof(base) - 1);
			len = sizeof(base) - 1;
			for (int k = (int)(rng() % 4) + 1; k > 0; k--) {
				static const char alphabet[] =
				    " \t\n:-[]{}\",#&*!|>'\\0x9aZ/.%\x80";
				size_t at = rng() % len;
				if (rng() % 3 == 0 && len > 1)
					memmove(doc + at, doc + at + 1, len-- - at - 1);
				else
					doc[at] = alphabet[rng() % (sizeof(alphabet) - 1)];
			}
		}
		struct config *c = parse_len(doc, len);
		if (c != NULL) {
			ck_assert_uint_eq(errs.n, 0);
			check_invariants(c);
			config_free(c);
			accepted++;
		} else {
			ck_assert_uint_ge(errs.n, 1);
			for (size_t i = 0; i < errs.n; i++) {
				ck_assert(strncmp(errs.s[i], "t.yaml", 6) == 0);
				ck_assert(!has_control(errs.s[i]));
			}
		}
	}
	ck_assert_uint_gt(accepted, 100);
}
END_TEST

START_TEST(test_no_report_callback)
{
	ck_assert_ptr_null(config_parse("t.yaml", "foo: 1\n", 7, NULL, NULL));
	ck_assert_ptr_null(config_load("/nonexistent", NULL, NULL));
	struct config *c = config_parse(NULL, "", 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	config_free(c);
	config_free(NULL);
}
END_TEST

START_TEST(test_hook_count_bounded)
{
	/* 64 hooks are fine, 65 are refused at the list: every hook holds runners and tables. */
	char text[16384];
	size_t w = (size_t)snprintf(text, sizeof(text), "hooks:\n");
	for (int i = 0; i < 65; i++) {
		w += (size_t)snprintf(text + w, sizeof(text) - w,
		                      "  - { name: h%d, exec: [/bin/true] }\n", i);
		if (i == 63) {
			struct config *c = parse_ok(text);
			ck_assert_uint_eq(c->n_hooks, 64);
			config_free(c);
		}
	}
	EXPECT_ERRORS(text, "t.yaml:2:3: at most 64 hooks, got 65");
}
END_TEST

/* ---- TLS listeners ---- */

#define TLS_TEXT_MAX 2048

/* A config of one listen entry whose text has CERTS for the certificates' directory. */
static const char *tls_config(const char *entry)
{
	static char text[TLS_TEXT_MAX];
	size_t n = 0;
	n += (size_t)snprintf(text, sizeof(text), "listen:\n  - ");
	for (const char *p = entry; *p != '\0'; p++) {
		if (strncmp(p, "CERTS", 5) == 0) {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", certs);
			p += 4;
		} else if (n + 1 < sizeof(text)) {
			text[n++] = *p;
		}
		ck_assert_uint_lt(n, sizeof(text) - 2);
	}
	text[n++] = '\n';
	text[n] = '\0';
	return text;
}

START_TEST(test_tls_listen_values)
{
	struct config *c = parse_ok(tls_config(
	    "{ proto: tls, address: \"127.0.0.1:6514\", cert_file: CERTS/server.pem, "
	    "key_file: CERTS/server.key, ca_file: CERTS/ca.pem, verify_client: required, "
	    "allowed_names: [relay1.example.org, relay2.example.org], max_connections: 9, "
	    "idle_timeout: 30s }"));
	const struct listen_config *lc = &c->listen[0];
	ck_assert_int_eq(lc->proto, LISTEN_TLS);
	assert_ipv4(lc, "127.0.0.1", 6514);
	ck_assert_ptr_nonnull(strstr(lc->cert_file, "/server.pem"));
	ck_assert_ptr_nonnull(strstr(lc->key_file, "/server.key"));
	ck_assert_ptr_nonnull(strstr(lc->ca_file, "/ca.pem"));
	ck_assert_int_eq(lc->verify_client, TLS_VERIFY_REQUIRED);
	ck_assert_uint_eq(lc->n_allowed_names, 2);
	ck_assert_str_eq(lc->allowed_names[0], "relay1.example.org");
	ck_assert_str_eq(lc->allowed_names[1], "relay2.example.org");
	ck_assert_uint_eq(lc->max_connections, 9);
	ck_assert_uint_eq(lc->idle_timeout_ms, 30000);
	config_free(c);

	/* the defaults: no client certificate asked for, TCP's limits */
	c = parse_ok(tls_config("{ proto: tls, address: \"[::1]:6514\", "
	                        "cert_file: CERTS/server.pem, key_file: CERTS/server.key }"));
	lc = &c->listen[0];
	ck_assert_int_eq(lc->verify_client, TLS_VERIFY_NONE);
	ck_assert_ptr_null(lc->ca_file);
	ck_assert_uint_eq(lc->n_allowed_names, 0);
	ck_assert_uint_eq(lc->max_connections, 256);
	ck_assert_uint_eq(lc->idle_timeout_ms, 600000);
	config_free(c);

	c = parse_ok(tls_config("{ proto: tls, address: \"127.0.0.1:6514\", "
	                        "cert_file: CERTS/server.pem, key_file: CERTS/server.key, "
	                        "ca_file: CERTS/ca.pem, verify_client: optional }"));
	ck_assert_int_eq(c->listen[0].verify_client, TLS_VERIFY_OPTIONAL);
	config_free(c);
}
END_TEST

/* A reload keeps the socket of a TLS listener whose files or client policy changed: they are
 * read again without a rebind. TLS and TCP on one port are two listeners. */
START_TEST(test_tls_listen_same)
{
	struct config *a = parse_ok(tls_config("{ proto: tls, address: \"127.0.0.1:6514\", "
	                                       "cert_file: CERTS/server.pem, "
	                                       "key_file: CERTS/server.key }"));
	struct config *b = parse_ok(tls_config(
	    "{ proto: tls, address: \"127.0.0.1:6514\", cert_file: CERTS/server2.pem, "
	    "key_file: CERTS/server2.key, ca_file: CERTS/ca.pem, verify_client: required }"));
	struct config *t = parse_ok("listen: [{ proto: tcp, address: \"127.0.0.1:6514\" }]");
	ck_assert(config_listen_same(&a->listen[0], &b->listen[0]));
	ck_assert(!config_listen_same(&a->listen[0], &t->listen[0]));
	config_free(a);
	config_free(b);
	config_free(t);
}
END_TEST

/* The config of entry is refused, first with "t.yaml:2:COLUMN: message", COLUMN that of the
 * first `at` in the entry's line (CERTS expanded in all three). */
static void expect_tls_error(const char *entry, const char *at, const char *message)
{
	char line[TLS_TEXT_MAX], what[TLS_TEXT_MAX], expected[TLS_TEXT_MAX + 64];
	snprintf(what, sizeof(what), "%s", tls_config(at) + strlen("listen:\n  - "));
	what[strlen(what) - 1] = '\0';
	snprintf(line, sizeof(line), "%s", tls_config(message) + strlen("listen:\n  - "));
	line[strlen(line) - 1] = '\0';
	const char *text = tls_config(entry);
	const char *found = strstr(text, what);
	ck_assert_ptr_nonnull(found);
	snprintf(expected, sizeof(expected), "t.yaml:2:%d: %s",
	         (int)(found - (text + strlen("listen:\n"))) + 1, line);
	struct config *c = parse(text);
	ck_assert_ptr_null(c);
	ck_assert_msg(errs.n >= 1, "no error for %s", entry);
	ck_assert_str_eq(errs.s[0], expected);
}

#define TLS_ADDR "{ proto: tls, address: \"127.0.0.1:1\", "
#define TLS_PAIR "cert_file: CERTS/server.pem, key_file: CERTS/server.key"

START_TEST(test_tls_listen_errors)
{
	expect_tls_error("{ proto: tls, address: \"127.0.0.1:1\" }", "{",
	                 "missing 'cert_file' in tls listen entry");
	expect_tls_error(TLS_ADDR "cert_file: CERTS/server.pem }", "{",
	                 "missing 'key_file' in tls listen entry");
	expect_tls_error("{ proto: tcp, address: \"127.0.0.1:1\", " TLS_PAIR " }", "cert_file",
	                 "'cert_file' applies only to tls listeners");
	expect_tls_error("{ proto: udp, address: \"127.0.0.1:1\", verify_client: none }",
	                 "verify_client", "'verify_client' applies only to tls listeners");
	expect_tls_error(TLS_ADDR TLS_PAIR ", rcvbuf: 1MiB }", "rcvbuf",
	                 "'rcvbuf' applies only to udp listeners");
	expect_tls_error(TLS_ADDR "cert_file: CERTS/nothing.pem, key_file: CERTS/server.key }",
	                 "CERTS/nothing",
	                 "certificate CERTS/nothing.pem: No such file or directory");
	expect_tls_error(TLS_ADDR "cert_file: CERTS/server.pem, key_file: CERTS }", "CERTS }",
	                 "key CERTS: not a regular file");
	expect_tls_error(TLS_ADDR "cert_file: CERTS/server.key, key_file: CERTS/server.key }",
	                 "CERTS",
	                 "certificate CERTS/server.key: no PEM certificate in it (no start line)");
	expect_tls_error(TLS_ADDR "cert_file: CERTS/server.pem, key_file: CERTS/relay1.key }",
	                 "CERTS/relay1",
	                 "key CERTS/relay1.key: does not match the certificate in cert_file");
	expect_tls_error(TLS_ADDR TLS_PAIR ", ca_file: CERTS/server.key, verify_client: optional }",
	                 "CERTS/server.key, verify",
	                 "CA file CERTS/server.key: no PEM certificate in it (no start line)");
	expect_tls_error(TLS_ADDR TLS_PAIR ", verify_client: always }", "always",
	                 "expected none, optional or required for 'verify_client' in tls listen "
	                 "entry, got \"always\"");
	expect_tls_error(TLS_ADDR TLS_PAIR ", verify_client: required }", "required",
	                 "verify_client required needs 'ca_file' (the CA client certificates chain "
	                 "to)");
	expect_tls_error(TLS_ADDR TLS_PAIR ", ca_file: CERTS/ca.pem }", "CERTS/ca",
	                 "'ca_file' is used only with verify_client optional or required");
	expect_tls_error(TLS_ADDR TLS_PAIR ", ca_file: CERTS/ca.pem, verify_client: optional, "
	                                   "allowed_names: [a.example] }",
	                 "[a.", "'allowed_names' needs verify_client required");
	expect_tls_error(TLS_ADDR TLS_PAIR ", ca_file: CERTS/ca.pem, verify_client: required, "
	                                   "allowed_names: [] }",
	                 "[]",
	                 "'allowed_names' in tls listen entry is empty: no client could connect "
	                 "(leave it out to allow any verified one)");
	/* list errors come before any file is read */
	EXPECT_ERRORS(
	    "listen:\n"
	    "  - proto: tls\n"
	    "    address: \"127.0.0.1:1\"\n"
	    "    cert_file: /nonexistent/c.pem\n"
	    "    key_file: /nonexistent/k.pem\n"
	    "    ca_file: /nonexistent/ca.pem\n"
	    "    verify_client: required\n"
	    "    allowed_names: [a.example, b, a.example, \"\"]\n",
	    "t.yaml:8:35: duplicate name \"a.example\" in 'allowed_names' (first at 8:21)",
	    "t.yaml:8:46: expected a certificate name for allowed_names entry, got \"\"");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("values");
	tcase_add_test(tc, test_shipped_config);
	tcase_add_test(tc, test_shipped_examples);
	tcase_add_test(tc, test_builtin_defaults);
	tcase_add_test(tc, test_empty_documents_mean_defaults);
	tcase_add_test(tc, test_design_example);
	tcase_add_test(tc, test_listen_values);
	tcase_add_test(tc, test_allow_from_values);
	tcase_add_test(tc, test_max_message_size_values);
	tcase_add_test(tc, test_tracking_values);
	tcase_add_test(tc, test_outputs_values);
	tcase_add_test(tc, test_hook_exec_full);
	tcase_add_test(tc, test_hook_webhook_full);
	tcase_add_test(tc, test_hook_defaults);
	tcase_add_test(tc, test_hook_limits);
	tcase_add_test(tc, test_webhook_urls);
	tcase_add_test(tc, test_unsupported_keys_accepted_empty);
	tcase_add_test(tc, test_metrics_values);
	tcase_add_test(tc, test_user_values);
	tcase_add_test(tc, test_state_and_log_repeats_values);
	tcase_add_test(tc, test_yaml_forms);
	tcase_add_test(tc, test_listen_same);
	tcase_add_test(tc, test_tls_listen_values);
	tcase_add_test(tc, test_tls_listen_same);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_type_errors);
	tcase_add_test(tc, test_key_errors);
	tcase_add_test(tc, test_listen_errors);
	tcase_add_test(tc, test_duplicate_listeners);
	tcase_add_test(tc, test_value_errors);
	tcase_add_test(tc, test_hook_errors);
	tcase_add_test(tc, test_hook_length_errors);
	tcase_add_test(tc, test_webhook_url_errors);
	tcase_add_test(tc, test_hook_duplicate_names);
	tcase_add_test(tc, test_hook_several_errors);
	tcase_add_test(tc, test_value_display);
	tcase_add_test(tc, test_several_errors_in_file_order);
	tcase_add_test(tc, test_error_flood_is_bounded);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_tls_listen_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_aliases_rejected);
	tcase_add_test(tc, test_nesting_bounded);
	tcase_add_test(tc, test_huge_numbers);
	tcase_add_test(tc, test_long_strings);
	tcase_add_test(tc, test_hook_argv_verbatim);
	tcase_add_test(tc, test_hook_count_bounded);
	tcase_add_test(tc, test_random_damage);
	tcase_add_test(tc, test_no_report_callback);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tls_certs_make(certs, sizeof(certs)) != 0)
		return EXIT_FAILURE;
	int failed = suite_failures(config_suite());
	tmpdir_remove(certs);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
