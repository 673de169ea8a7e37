/* ESA mail_logs line classifier: the text after the level marker in, one typed event out.
 * Spans only (into the caller's text), no allocation, ASCII case-insensitive keywords, tolerant
 * of trailing spaces and missing optional parts. Shapes: esa-log-reference.md sections 3-5. */
#ifndef ESATLS_ESA_H
#define ESATLS_ESA_H

#include <stdint.h>

#include "span.h"

#define ESA_EVENT_KINDS(X)                                                                         \
	X(UNCLASSIFIED, "unclassified")                                                            \
	X(CONN_OPEN, "conn_open")       /* New SMTP ICID|DCID n ... */                             \
	X(POLICY, "policy")             /* ICID n ACCEPT|REJECT|RELAY|TCPREFUSE SG */              \
	X(TLS_OK, "tls_ok")             /* ICID|DCID n [IP a] TLS success ... */                   \
	X(TLS_FAIL, "tls_fail")         /* ICID|DCID n [IP a] TLS failed[: why] */                 \
	X(TLS_REQUIRED, "tls_required") /* ... TLS was required but ... */                         \
	X(STARTTLS_UNSUPPORTED,                                                                    \
	  "starttls_unsupported")           /* DCID n STARTTLS command not supported */            \
	X(CONN_ERROR, "conn_error")         /* Connection Error: ... DCID[:] n ... */              \
	X(CONN_END, "conn_end")             /* ICID|DCID n close|lost|disconnected */              \
	X(CONN_NOTE, "conn_note")           /* ICID n Receiving Failed: ... etc. */                \
	X(MSG_LINK, "msg_link")             /* Start MID m ICID n; MID m ICID n ... */             \
	X(DELIVERY_START, "delivery_start") /* Delivery start DCID n MID m to RID [..] */          \
	X(DELIVERY_DONE, "delivery_done")   /* Message done DCID n MID m to RID [..] */            \
	X(MSG_OUTCOME, "msg_outcome")       /* Bounced:|Delayed: DCID n MID m ... */               \
	X(MSG_FINISHED,                                                                            \
	  "msg_finished") /* Message finished MID m done|aborted; Message aborted MID m */         \
	X(MSG_RELATE,                                                                              \
	  "msg_relate") /* MID a was split creating / generated based on / rewritten to MID b */   \
	X(TIME_OFFSET, "time_offset") /* Time offset from UTC: N seconds */

enum esa_kind {
#define ESA_KIND_ENUM(name, str) ESA_##name,
	ESA_EVENT_KINDS(ESA_KIND_ENUM)
#undef ESA_KIND_ENUM
	    ESA_KIND_COUNT
};

enum esa_dir {
	ESA_DIR_NONE,
	ESA_DIR_IN, /* ICID */
	ESA_DIR_OUT /* DCID */
};

enum esa_end { ESA_END_NONE, ESA_END_CLOSE, ESA_END_LOST, ESA_END_DISCONNECTED };

/* MSG_OUTCOME: which line it was ("Bounced:", "Delayed:", "Possible Delivery:"). */
enum esa_outcome {
	ESA_OUTCOME_NONE,
	ESA_OUTCOME_BOUNCED,
	ESA_OUTCOME_DELAYED,
	ESA_OUTCOME_POSSIBLE
};

/* One classified line. Every span points into the text given to esa_classify, or is absent
 * (span_none) when the line did not carry that part. Numbers are 0 when absent. */
struct esa_event {
	enum esa_kind kind;
	enum esa_dir dir; /* which connection the event names, ESA_DIR_NONE if none */
	uint64_t conn_id; /* ICID or DCID (for MSG_LINK the ICID, for DELIVERY_* the DCID) */
	uint64_t mid;  /* MSG_LINK, DELIVERY_*, MSG_OUTCOME, MSG_FINISHED; parent in MSG_RELATE */
	uint64_t mid2; /* MSG_RELATE: the new (child) MID */
	enum esa_end end;         /* CONN_END */
	enum esa_outcome outcome; /* MSG_OUTCOME */
	int rdns_verified;        /* CONN_OPEN: 1 "verified yes", 0 "verified no", -1 absent */
	int finished_ok;          /* MSG_FINISHED: 1 done, 0 aborted */
	uint32_t peer_port;       /* CONN_OPEN DCID "port N", CONN_ERROR "port: N"; 0 absent */
	int64_t offset_seconds;   /* TIME_OFFSET */
	struct span interface;    /* CONN_OPEN ICID: interface name ("Data 1", "private") */
	struct span local_ip;     /* CONN_OPEN: ICID "(IP)" after the name, DCID "interface IP";
	                           * CONN_ERROR "interface: IP" */
	struct span peer_ip;   /* CONN_OPEN "address IP"; TLS_* "IP a.b.c.d"; CONN_ERROR "IP: a" */
	struct span peer_rdns; /* CONN_OPEN "reverse dns host NAME" ("unknown" kept as is) */
	struct span policy;    /* POLICY: ACCEPT, REJECT, RELAY, TCPREFUSE, ... */
	struct span sender_group; /* POLICY: after "SG " */
	struct span sbrs;    /* POLICY: after "SBRS " up to " country" or end ("None", "3.4") */
	struct span country; /* POLICY: after "country " */
	struct span tls_protocol; /* TLS_OK: after "protocol " */
	struct span tls_cipher;   /* TLS_OK: after "cipher " */
	struct span tls_cn;       /* TLS_OK: after "CN: " or "CN=", without the <...> wrapping */
	struct span tls_domain;   /* TLS_OK: after " for "; CONN_ERROR "domain: D" */
	struct span reason;       /* TLS_FAIL: text after "TLS failed:" (empty span, present, when
	                           * bare); TLS_REQUIRED: the whole "TLS was required but ..." sentence;
	                           * STARTTLS_UNSUPPORTED: "STARTTLS command not supported"; CONN_ERROR:
	                           * the "details:" text (else the text after "Connection Error:");
	                           * CONN_NOTE and MSG_OUTCOME: the rest of the line */
	struct span rids;         /* DELIVERY_*: inside the brackets of "to RID [0, 1]" / "to [0]";
	                           * MSG_OUTCOME: the bounced or delayed RID of "to RID 0" / "to 0" /
	                           * "From: <a> To: <b> RID 0" */
	uint32_t rid;             /* MSG_LINK "MID m ICID n RID r To: <a@d>": r */
	struct span rcpt_domain;  /* MSG_LINK: d, the recipient's domain (absent without RID/To:) */
};

/* Classifies text[0..len) (the part after "Level: "). Always fills *ev; lines it does not know,
 * and known shapes with unreadable numbers, are ESA_UNCLASSIFIED. */
void esa_classify(const char *text, size_t len, struct esa_event *ev);

/* The first RID listed in a DELIVERY_* event's rids span ("0, 1" -> 0): 0 on success, -1 if
 * there is none. */
int esa_first_rid(struct span rids, uint32_t *rid);

/* The RIDs below 64 of a rids span ("0, 3" -> bits 0 and 3); 0 if none. */
uint64_t esa_rid_mask(struct span rids);

/* Name of a kind ("tls_ok", ...). */
const char *esa_kind_name(enum esa_kind kind);

#endif
