/* The TLS keys of a listen entry (RFC 5425 listeners): certificate, key and CA files, the
 * client certificate policy. config.c reads the entry's other keys and calls this for the rest;
 * the files are loaded once here, so that a missing, unreadable or mismatched one is a config
 * error with its position (also for -t and a reload). */
#ifndef ESATLSD_CONFIG_TLS_H
#define ESATLSD_CONFIG_TLS_H

#include "cfgcheck.h"
#include "config.h"

/* The keys, in the order of the values config_tls_read takes. */
enum { CT_CERT_FILE, CT_KEY_FILE, CT_CA_FILE, CT_VERIFY_CLIENT, CT_ALLOWED_NAMES, CT_COUNT };
#define CONFIG_TLS_KEYS "cert_file", "key_file", "ca_file", "verify_client", "allowed_names"

/* Reads the TLS keys of the tls listen entry `map` (vals[k]: key k's value or NULL) into lc and
 * loads the files it names. Every problem is reported. */
void config_tls_read(struct parse *p, const struct ynode *map, const struct ynode *const *vals,
                     struct listen_config *lc);

/* Frees what config_tls_read stored in lc. */
void config_tls_free(struct listen_config *lc);

#endif
