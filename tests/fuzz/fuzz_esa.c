/* libFuzzer target for the ESA line classifier. Besides memory safety it checks the contract:
 * spans inside the input, enums in range, an unclassified event blank, and trailing white space
 * changing nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int span_inside(struct span s, const char *base, size_t len)
{
	if (!span_present(s))
		return s.len == 0;
	return s.p >= base && s.len <= len && (size_t)(s.p - base) <= len - s.len;
}

static void check_spans(const struct esa_event *ev, const char *base, size_t len)
{
	const struct span spans[] = {
	    ev->interface,    ev->local_ip,   ev->peer_ip, ev->peer_rdns,    ev->policy,
	    ev->sender_group, ev->sbrs,       ev->country, ev->tls_protocol, ev->tls_cipher,
	    ev->tls_cn,       ev->tls_domain, ev->reason,  ev->rids};
	size_t i;
	for (i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
		if (!span_inside(spans[i], base, len))
			abort();
}

static void check_ranges(const struct esa_event *ev)
{
	if ((unsigned)ev->kind >= ESA_KIND_COUNT || (unsigned)ev->dir > ESA_DIR_OUT ||
	    (unsigned)ev->end > ESA_END_DISCONNECTED)
		abort();
	if (ev->rdns_verified < -1 || ev->rdns_verified > 1 || ev->finished_ok < 0 ||
	    ev->finished_ok > 1 || ev->peer_port > 65535)
		abort();
	if (ev->conn_id > (1ULL << 63) || ev->mid > (1ULL << 63) || ev->mid2 > (1ULL << 63))
		abort();
	if (esa_kind_name(ev->kind) == NULL)
		abort();
	/* Kinds that name a connection say which one; the others name none. */
	switch (ev->kind) {
	case ESA_UNCLASSIFIED:
	case ESA_MSG_FINISHED:
	case ESA_MSG_RELATE:
	case ESA_TIME_OFFSET:
		if (ev->dir != ESA_DIR_NONE || ev->conn_id != 0)
			abort();
		break;
	default:
		if (ev->dir == ESA_DIR_NONE)
			abort();
	}
	if ((ev->end != ESA_END_NONE) != (ev->kind == ESA_CONN_END))
		abort();
}

/* Same event, with spans compared by offset from their own input. */
static int span_same(struct span a, const char *abase, struct span b, const char *bbase)
{
	if (span_present(a) != span_present(b) || a.len != b.len)
		return 0;
	return !span_present(a) || a.p - abase == b.p - bbase;
}

static void check_same(const struct esa_event *a, const char *abase, const struct esa_event *b,
                       const char *bbase)
{
	if (a->kind != b->kind || a->dir != b->dir || a->conn_id != b->conn_id ||
	    a->mid != b->mid || a->mid2 != b->mid2 || a->end != b->end ||
	    a->rdns_verified != b->rdns_verified || a->finished_ok != b->finished_ok ||
	    a->peer_port != b->peer_port || a->offset_seconds != b->offset_seconds)
		abort();
	if (!span_same(a->interface, abase, b->interface, bbase) ||
	    !span_same(a->local_ip, abase, b->local_ip, bbase) ||
	    !span_same(a->peer_ip, abase, b->peer_ip, bbase) ||
	    !span_same(a->peer_rdns, abase, b->peer_rdns, bbase) ||
	    !span_same(a->policy, abase, b->policy, bbase) ||
	    !span_same(a->sender_group, abase, b->sender_group, bbase) ||
	    !span_same(a->sbrs, abase, b->sbrs, bbase) ||
	    !span_same(a->country, abase, b->country, bbase) ||
	    !span_same(a->tls_protocol, abase, b->tls_protocol, bbase) ||
	    !span_same(a->tls_cipher, abase, b->tls_cipher, bbase) ||
	    !span_same(a->tls_cn, abase, b->tls_cn, bbase) ||
	    !span_same(a->tls_domain, abase, b->tls_domain, bbase) ||
	    !span_same(a->reason, abase, b->reason, bbase) ||
	    !span_same(a->rids, abase, b->rids, bbase))
		abort();
}

static void check_blank(const struct esa_event *ev)
{
	struct esa_event blank;
	if (ev->kind != ESA_UNCLASSIFIED)
		return;
	memset(&blank, 0, sizeof(blank));
	blank.rdns_verified = -1;
	check_same(ev, NULL, &blank, NULL);
}

/* Fields that belong to one kind appear in no other. */
static void check_kind_fields(const struct esa_event *ev)
{
	enum esa_kind k = ev->kind;
	if (k != ESA_POLICY && (span_present(ev->policy) || span_present(ev->sender_group) ||
	                        span_present(ev->sbrs) || span_present(ev->country)))
		abort();
	if (k != ESA_TLS_OK && (span_present(ev->tls_protocol) || span_present(ev->tls_cipher) ||
	                        span_present(ev->tls_cn)))
		abort();
	if (k != ESA_CONN_OPEN &&
	    (span_present(ev->interface) || span_present(ev->peer_rdns) || ev->rdns_verified != -1))
		abort();
	if (k != ESA_DELIVERY_START && k != ESA_DELIVERY_DONE && span_present(ev->rids))
		abort();
	if ((k != ESA_MSG_RELATE && ev->mid2 != 0) ||
	    (k != ESA_TIME_OFFSET && ev->offset_seconds) ||
	    (k != ESA_MSG_FINISHED && ev->finished_ok))
		abort();
	if ((k == ESA_TLS_FAIL || k == ESA_TLS_REQUIRED || k == ESA_STARTTLS_UNSUPPORTED ||
	     k == ESA_CONN_ERROR) &&
	    !span_present(ev->reason))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct esa_event ev, padded_ev;
	char *padded;

	esa_classify(text, size, &ev);
	check_spans(&ev, text, size);
	check_ranges(&ev);
	check_blank(&ev);
	check_kind_fields(&ev);

	/* Trailing spaces and CR LF are tolerated: the same event at the same offsets. */
	padded = malloc(size + 3);
	if (padded == NULL)
		return 0;
	if (size)
		memcpy(padded, data, size);
	memcpy(padded + size, " \r\n", 3);
	esa_classify(padded, size + 3, &padded_ev);
	check_spans(&padded_ev, padded, size + 3);
	check_same(&ev, text, &padded_ev, padded);
	free(padded);
	return 0;
}
