/* The webhook part of a hooks entry: the URL, the body format, request headers and the
 * secrets read from files (token_file, headers_file, routing_key_file), TLS (ca_file,
 * tls_verify) and the name servers. Secrets are never shown in a message. */
#ifndef ESATLSD_CONFIG_WEBHOOK_H
#define ESATLSD_CONFIG_WEBHOOK_H

#include "cfgcheck.h"

struct hook_config;

/* The webhook keys of a hooks entry, in this order (config_hooks.c looks them up with the
 * others and hands them over). */
#define WEBHOOK_KEYS(X)                                                                            \
	X(FORMAT, "format")                                                                        \
	X(HEADERS, "headers")                                                                      \
	X(HEADERS_FILE, "headers_file")                                                            \
	X(TOKEN_FILE, "token_file")                                                                \
	X(ROUTING_KEY, "routing_key")                                                              \
	X(ROUTING_KEY_FILE, "routing_key_file")                                                    \
	X(CA_FILE, "ca_file")                                                                      \
	X(TLS_VERIFY, "tls_verify")                                                                \
	X(NAMESERVERS, "nameservers")

enum webhook_key {
#define WEBHOOK_KEY_ENUM(id, name) WK_##id,
	WEBHOOK_KEYS(WEBHOOK_KEY_ENUM)
#undef WEBHOOK_KEY_ENUM
	    WK_COUNT
};

/* The URL of 'webhook': a copy, or NULL after reporting. */
char *config_webhook_url(struct parse *p, const struct ynode *n);

/* The webhook keys' values (vals[WK_*], NULL when absent; keys[] where each was written) into
 * hc, whose kind and url are already read. */
void config_webhook_read(struct parse *p, const struct ynode *map, const struct ynode *const *vals,
                         const struct ynode *const *keys, struct hook_config *hc);

/* Deep copies of what config_webhook_read filled (dst's other fields untouched). Returns 0, or
 * -1 when memory ran out (dst's webhook part then empty). */
int config_webhook_copy(struct hook_config *dst, const struct hook_config *src);

/* Frees that part, secrets wiped first. */
void config_webhook_free(struct hook_config *hc);

#endif
