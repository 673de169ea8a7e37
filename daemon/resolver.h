/* Host names of webhook URLs, looked up without blocking the event loop: one evdns base per
 * webhook runner. /etc/hosts is consulted first, then the name servers: those given in the
 * hook's configuration ("IP" or "IP:PORT"), or else those of /etc/resolv.conf. A pending lookup
 * never keeps the loop alive on its own. */
#ifndef ESATLSD_RESOLVER_H
#define ESATLSD_RESOLVER_H

#include <stddef.h>

struct event_base;
struct evdns_base;

/* A resolver on base using the n servers of nameservers (n 0: /etc/resolv.conf's). NULL when
 * it cannot be set up, with why in why[0..why_len). Free with resolver_free. */
struct evdns_base *resolver_new(struct event_base *base, char *const *nameservers, size_t n,
                                char *why, size_t why_len);

/* Replaces the name servers (a reload); lookups under way are sent again to the new ones.
 * Returns 0, or -1 with why (the resolver then has none: lookups fail until the next call). */
int resolver_set(struct evdns_base *dns, char *const *nameservers, size_t n, char *why,
                 size_t why_len);

/* Frees dns; lookups still pending are dropped without their callbacks (the connections that
 * asked must be gone already). */
void resolver_free(struct evdns_base *dns);

#endif
