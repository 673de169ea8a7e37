/* Recipient domains of messages in flight: (appliance, MID, RID) -> the domain of that
 * recipient, learned from "MID m ICID n RID r To: <user@domain>", so that the delivery
 * connection that later carries RID r ("Delivery start DCID d MID m to RID [r]") can name the
 * domain it delivered to. A bounded first-in-first-out table of messages: when full the oldest
 * message's recipients are forgotten (counted by the caller through the return value). Pure;
 * owns copies of the names. */
#ifndef ESATLS_RCPTDOMAIN_H
#define ESATLS_RCPTDOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ringmap.h"
#include "span.h"

/* RIDs at or past this are not remembered (ESA caps recipients per message at 1000 by
 * default). */
#define RCPT_RID_MAX 10000u
/* Longest domain kept (RFC 1035 names are at most 253 bytes); longer ones are cut. */
#define RCPT_DOMAIN_MAX 255u

/* Recipients of one message kept: more are not remembered (their deliveries name no domain). */
#define RCPT_PER_MESSAGE_MAX 64u

struct rcpt_domains {
	struct ringmap map; /* (source, mid) -> the message's recipient list */
	size_t heap_bytes;  /* bytes held by the lists */
};

/* An empty table of at most limit messages. */
void rcpt_domains_init(struct rcpt_domains *r, uint32_t limit);

void rcpt_domains_free(struct rcpt_domains *r);

/* Remembers that RID rid of message mid from source goes to domain. Returns 1 if an older
 * message had to be forgotten to make room, 0 if not, -1 if nothing was stored (no domain, a
 * RID past RCPT_RID_MAX, RCPT_PER_MESSAGE_MAX recipients already, memory ran out). */
int rcpt_domains_put(struct rcpt_domains *r, uint32_t source, uint64_t mid, uint32_t rid,
                     struct span domain, int64_t now);

/* The domain of RID rid of message mid, or span_none(). Valid until the next change. */
struct span rcpt_domains_get(const struct rcpt_domains *r, uint32_t source, uint64_t mid,
                             uint32_t rid);

/* Forgets every recipient of message mid (its "Message finished" line came). */
void rcpt_domains_forget(struct rcpt_domains *r, uint32_t source, uint64_t mid);

/* Bytes held (table and names). */
size_t rcpt_domains_memory(const struct rcpt_domains *r);

#endif
