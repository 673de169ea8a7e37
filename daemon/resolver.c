#include <stdio.h>

#include <event2/dns.h>

#include "resolver.h"

/* A lookup gives up after 2 s per server try, 2 tries: within the default hook timeout. */
#define RESOLVER_TIMEOUT "2"
#define RESOLVER_ATTEMPTS "2"

static int resolver_servers(struct evdns_base *dns, char *const *nameservers, size_t n, char *why,
                            size_t why_len)
{
	if (n == 0) {
		if (evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC,
		                                 "/etc/resolv.conf") != 0) {
			snprintf(why, why_len, "cannot read the name servers of /etc/resolv.conf");
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (evdns_base_nameserver_ip_add(dns, nameservers[i]) != 0) {
			snprintf(why, why_len, "cannot use name server %s", nameservers[i]);
			return -1;
		}
	}
	return 0;
}

struct evdns_base *resolver_new(struct event_base *base, char *const *nameservers, size_t n,
                                char *why, size_t why_len)
{
	struct evdns_base *dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (dns == NULL) {
		snprintf(why, why_len, "cannot set up a resolver");
		return NULL;
	}
	/* A missing /etc/hosts is no error: the name servers still answer. */
	evdns_base_load_hosts(dns, NULL);
	if (resolver_servers(dns, nameservers, n, why, why_len) != 0) {
		evdns_base_free(dns, 0);
		return NULL;
	}
	evdns_base_set_option(dns, "timeout:", RESOLVER_TIMEOUT);
	evdns_base_set_option(dns, "attempts:", RESOLVER_ATTEMPTS);
	return dns;
}

int resolver_set(struct evdns_base *dns, char *const *nameservers, size_t n, char *why,
                 size_t why_len)
{
	evdns_base_clear_nameservers_and_suspend(dns);
	int rc = resolver_servers(dns, nameservers, n, why, why_len);
	evdns_base_resume(dns);
	return rc;
}

void resolver_free(struct evdns_base *dns)
{
	if (dns != NULL)
		evdns_base_free(dns, 0);
}
