/* Tests for the ESA mail_logs line classifier: every shape of esa-log-reference.md sections 3-5
 * and of samples/real/asyncos-3.8-to-6-line-shapes.txt, with every field checked exactly. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esa.h"
#include "support.h"

enum { RV_ABSENT, RV_NO, RV_YES }; /* expected rdns_verified: -1, 0, 1 */

#define IN ESA_DIR_IN
#define OUT ESA_DIR_OUT

/* The tables name only the fields a row expects; every other field is zero by design. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* One line and the event it must give. NULL span strings mean "absent", "" means "present and
 * empty"; numbers not named are 0. */
struct expect {
	const char *line;
	enum esa_kind kind;
	enum esa_dir dir;
	uint64_t id, mid, mid2;
	enum esa_end end;
	int rv, ok;
	uint32_t port;
	int64_t offset;
	const char *ifname, *lip, *pip, *rdns, *policy, *sg, *sbrs, *country, *proto, *cipher, *cn,
	    *domain, *reason, *rids;
	uint32_t rid;
	const char *rdomain; /* recipient domain of a "MID m ICID n RID r To:" line */
};

static void check_span(const char *line, const char *base, size_t len, const char *field,
                       struct span got, const char *want)
{
	if (want == NULL) {
		ck_assert_msg(!span_present(got) && got.len == 0,
		              "%s: %s should be absent, got \"%.*s\"", line, field, (int)got.len,
		              got.p ? got.p : "");
		return;
	}
	ck_assert_msg(span_present(got), "%s: %s absent, want \"%s\"", line, field, want);
	ck_assert_msg(got.p >= base && got.p + got.len <= base + len, "%s: %s outside the input",
	              line, field);
	ck_assert_msg(got.len == strlen(want) && memcmp(got.p, want, got.len) == 0,
	              "%s: %s is \"%.*s\", want \"%s\"", line, field, (int)got.len, got.p, want);
}

/* Classifies buf[0..len) into an event pre-filled with garbage (the classifier must overwrite
 * every field) and compares every field with x. */
static void check_event_buf(const struct expect *x, const char *buf, size_t len)
{
	struct esa_event ev;
	const char *l = x->line;
	memset(&ev, 0xA5, sizeof(ev));
	esa_classify(buf, len, &ev);
	ck_assert_msg(ev.kind == x->kind, "%s: kind %s, want %s", l, esa_kind_name(ev.kind),
	              esa_kind_name(x->kind));
	ck_assert_msg(ev.dir == x->dir, "%s: dir %d, want %d", l, ev.dir, x->dir);
	ck_assert_msg(ev.conn_id == x->id, "%s: conn_id %llu, want %llu", l,
	              (unsigned long long)ev.conn_id, (unsigned long long)x->id);
	ck_assert_msg(ev.mid == x->mid, "%s: mid %llu, want %llu", l, (unsigned long long)ev.mid,
	              (unsigned long long)x->mid);
	ck_assert_msg(ev.mid2 == x->mid2, "%s: mid2 %llu, want %llu", l,
	              (unsigned long long)ev.mid2, (unsigned long long)x->mid2);
	ck_assert_msg(ev.end == x->end, "%s: end %d, want %d", l, ev.end, x->end);
	ck_assert_msg(ev.rdns_verified == x->rv - 1, "%s: rdns_verified %d, want %d", l,
	              ev.rdns_verified, x->rv - 1);
	ck_assert_msg(ev.finished_ok == x->ok, "%s: finished_ok %d", l, ev.finished_ok);
	ck_assert_msg(ev.peer_port == x->port, "%s: peer_port %u, want %u", l, ev.peer_port,
	              x->port);
	ck_assert_msg(ev.offset_seconds == x->offset, "%s: offset %lld, want %lld", l,
	              (long long)ev.offset_seconds, (long long)x->offset);
	check_span(l, buf, len, "interface", ev.interface, x->ifname);
	check_span(l, buf, len, "local_ip", ev.local_ip, x->lip);
	check_span(l, buf, len, "peer_ip", ev.peer_ip, x->pip);
	check_span(l, buf, len, "peer_rdns", ev.peer_rdns, x->rdns);
	check_span(l, buf, len, "policy", ev.policy, x->policy);
	check_span(l, buf, len, "sender_group", ev.sender_group, x->sg);
	check_span(l, buf, len, "sbrs", ev.sbrs, x->sbrs);
	check_span(l, buf, len, "country", ev.country, x->country);
	check_span(l, buf, len, "tls_protocol", ev.tls_protocol, x->proto);
	check_span(l, buf, len, "tls_cipher", ev.tls_cipher, x->cipher);
	check_span(l, buf, len, "tls_cn", ev.tls_cn, x->cn);
	check_span(l, buf, len, "tls_domain", ev.tls_domain, x->domain);
	check_span(l, buf, len, "reason", ev.reason, x->reason);
	check_span(l, buf, len, "rids", ev.rids, x->rids);
	ck_assert_msg(ev.rid == x->rid, "%s: rid %u, want %u", l, ev.rid, x->rid);
	check_span(l, buf, len, "rcpt_domain", ev.rcpt_domain, x->rdomain);
}

/* The line in a heap buffer of exactly its length, so that AddressSanitizer catches any read
 * past the end (string literals are followed by a NUL that would hide it). */
static void check_event(const struct expect *x)
{
	size_t len = strlen(x->line);
	char *buf = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, x->line, len);
	check_event_buf(x, buf, len);
	free(buf);
}

/* ---- Section 3: inbound connections ---- */
static const struct expect inbound[] = {
    {"New SMTP ICID 824108 interface Data 1 (23.90.98.53) address 136.143.188.59 reverse dns "
     "host sender4-of-o59.zoho.com verified yes",
     ESA_CONN_OPEN, IN, 824108, .rv = RV_YES, .ifname = "Data 1", .lip = "23.90.98.53",
     .pip = "136.143.188.59", .rdns = "sender4-of-o59.zoho.com"},
    {"New SMTP ICID 10292815 interface private address 81.137.223.69", ESA_CONN_OPEN, IN, 10292815,
     .ifname = "private", .pip = "81.137.223.69"},
    /* A reverse name is chosen by the remote host: spaces and decoy keywords stay inside it. */
    {"New SMTP ICID 7 interface Data 1 (10.0.0.1) address 192.0.2.1 reverse dns host "
     "$(touch /tmp/x) address 1.2.3.4 verified yes verified no",
     ESA_CONN_OPEN, IN, 7, .rv = RV_NO, .ifname = "Data 1", .lip = "10.0.0.1", .pip = "192.0.2.1",
     .rdns = "$(touch /tmp/x) address 1.2.3.4 verified yes"},
    {"New SMTP ICID 4 interface Management (172.19.0.81) address 10.1.1.140 reverse dns host "
     "unknown verified no",
     ESA_CONN_OPEN, IN, 4, .rv = RV_NO, .ifname = "Management", .lip = "172.19.0.81",
     .pip = "10.1.1.140", .rdns = "unknown"},
    {"New SMTP ICID 244315254 interface ausc60ps305.us.ex.com (143.166.148.150) address "
     "217.238.244.89 reverse dns host pd9eef459.dip.t-dialin.net verified yes",
     ESA_CONN_OPEN, IN, 244315254, .rv = RV_YES, .ifname = "ausc60ps305.us.ex.com",
     .lip = "143.166.148.150", .pip = "217.238.244.89", .rdns = "pd9eef459.dip.t-dialin.net"},
    {"New SMTP ICID 27389415 interface Marsh (205.156.189.20) address 205.234.144.192 reverse "
     "dns host  server.masterplace.com.br verified no",
     ESA_CONN_OPEN, IN, 27389415, .rv = RV_NO, .ifname = "Marsh", .lip = "205.156.189.20",
     .pip = "205.234.144.192", .rdns = "server.masterplace.com.br"},
    {"New smtp ICID 282204970 interface Management (10.10.10.1) address 192.168.1.1 reverse dns "
     "host unknown verified no",
     ESA_CONN_OPEN, IN, 282204970, .rv = RV_NO, .ifname = "Management", .lip = "10.10.10.1",
     .pip = "192.168.1.1", .rdns = "unknown"},
    {"New SMTP ICID 69610481 interface IP-Inbound (155.247.167.43) address 199.101.162.90 "
     "reverse dns host maile-fb.linkedin.com verifi",
     ESA_CONN_OPEN, IN, 69610481, .ifname = "IP-Inbound", .lip = "155.247.167.43",
     .pip = "199.101.162.90", .rdns = "maile-fb.linkedin.com"},
    {"New SMTP ICID 5 interface Management (1.128.3.4) address 1.128.3.4 reverse dns host "
     "http://example.com/example/example.txt.com verified yes",
     ESA_CONN_OPEN, IN, 5, .rv = RV_YES, .ifname = "Management", .lip = "1.128.3.4",
     .pip = "1.128.3.4", .rdns = "http://example.com/example/example.txt.com"},
    {"ICID 824108 ACCEPT SG ACCEPTLIST match sbrs[0.0:10.0] SBRS 3.4 country United States",
     ESA_POLICY, IN, 824108, .policy = "ACCEPT", .sg = "ACCEPTLIST", .sbrs = "3.4",
     .country = "United States"},
    {"ICID 60140291 REJECT SG BLACKLIST match sbrs[-10.0:-2.5] SBRS -9.5", ESA_POLICY, IN, 60140291,
     .policy = "REJECT", .sg = "BLACKLIST", .sbrs = "-9.5"},
    {"ICID 282204970 ACCEPT SG None match SBRS None", ESA_POLICY, IN, 282204970, .policy = "ACCEPT",
     .sg = "None", .sbrs = "None"},
    {"ICID 52525189 ACCEPT SG None match  SBRS 3.7", ESA_POLICY, IN, 52525189, .policy = "ACCEPT",
     .sg = "None", .sbrs = "3.7"},
    {"ICID 9461571 SBRS None", ESA_POLICY, IN, 9461571, .sbrs = "None"},
    {"ICID 282194765 REJECT SG BLACKLIST match sbrs[-10.0:-2.0] SBRS -9.9", ESA_POLICY, IN,
     282194765, .policy = "REJECT", .sg = "BLACKLIST", .sbrs = "-9.9"},
    {"ICID 0 TCPREFUSE SG BLACKLIST match sbrs[-10.0:-0.5] SBRS -9.9", ESA_POLICY, IN, 0,
     .policy = "TCPREFUSE", .sg = "BLACKLIST", .sbrs = "-9.9"},
    {"ICID 0 TCPREFUSE SG RBLBlacklist match dnslist[sbl-xbl.spamhaus.org] SBRS None", ESA_POLICY,
     IN, 0, .policy = "TCPREFUSE", .sg = "RBLBlacklist", .sbrs = "None"},
    {"ICID 1793844420 REJECT SG Internal_Dell_Non-IronPort match 143.166.0.0/16 SBRS None",
     ESA_POLICY, IN, 1793844420, .policy = "REJECT", .sg = "Internal_Dell_Non-IronPort",
     .sbrs = "None"},
    {"ICID 2 REJECT SG None match  SBRS None", ESA_POLICY, IN, 2, .policy = "REJECT", .sg = "None",
     .sbrs = "None"},
    {"ICID 3 ACCEPT SG None match  SBRS rfc1918", ESA_POLICY, IN, 3, .policy = "ACCEPT",
     .sg = "None", .sbrs = "rfc1918"},
    {"ICID 3 ACCEPT SG None SBRS rfc1918", ESA_POLICY, IN, 3, .policy = "ACCEPT", .sg = "None",
     .sbrs = "rfc1918"},
    {"ICID 21591 ACCEPT SG None match  SBRS unable to retrieve", ESA_POLICY, IN, 21591,
     .policy = "ACCEPT", .sg = "None", .sbrs = "unable to retrieve"},
    {"ICID 7 RELAY SG RELAYLIST match 10.0.0.0/8 SBRS not enabled", ESA_POLICY, IN, 7,
     .policy = "RELAY", .sg = "RELAYLIST", .sbrs = "not enabled"},
    {"ICID 8 CONTINUE SG X match y SBRS not enabled country Germany", ESA_POLICY, IN, 8,
     .policy = "CONTINUE", .sg = "X", .sbrs = "not enabled", .country = "Germany"},
    {"ICID 9 ACCEPT SG ACCEPTLIST match sbrs[0.0:10.0] SBRS unable to retrieve country Korea, "
     "Republic of",
     ESA_POLICY, IN, 9, .policy = "ACCEPT", .sg = "ACCEPTLIST", .sbrs = "unable to retrieve",
     .country = "Korea, Republic of"},
    {"ICID 10304570 TLS success", ESA_TLS_OK, IN, 10304570},
    {"ICID 824108 TLS success protocol TLSv1.2 cipher ECDHE-RSA-AES256-GCM-SHA384", ESA_TLS_OK, IN,
     824108, .proto = "TLSv1.2", .cipher = "ECDHE-RSA-AES256-GCM-SHA384"},
    {"ICID 623143 TLS success protocol TLSv1/SSLv3 cipher DHE-RSA-AES256-SHA", ESA_TLS_OK, IN,
     623143, .proto = "TLSv1/SSLv3", .cipher = "DHE-RSA-AES256-SHA"},
    {"ICID 282204971 TLS failed", ESA_TLS_FAIL, IN, 282204971, .reason = ""},
    {"ICID 4 TLS failed: [Errno 54] Connection reset by peer", ESA_TLS_FAIL, IN, 4,
     .reason = "[Errno 54] Connection reset by peer"},
    {"ICID 6 TLS failed: (336151574, 'error:14094416:SSL routines:ssl3_read_bytes:sslv3 alert "
     "certificate unknown')",
     ESA_TLS_FAIL, IN, 6,
     .reason = "(336151574, 'error:14094416:SSL routines:ssl3_read_bytes:sslv3 alert "
               "certificate unknown')"},
    {"ICID 8 TLS was required but remote host did not initiate it", ESA_TLS_REQUIRED, IN, 8,
     .reason = "TLS was required but remote host did not initiate it"},
    {"ICID 824107 lost", ESA_CONN_END, IN, 824107, .end = ESA_END_LOST},
    {"ICID 5 close", ESA_CONN_END, IN, 5, .end = ESA_END_CLOSE},
    {"ICID 3 disconnected address 10.1.1.101, no messages injected within timeout period",
     ESA_CONN_END, IN, 3, .end = ESA_END_DISCONNECTED, .pip = "10.1.1.101",
     .reason = "no messages injected within timeout period"},
    {"ICID 12 disconnected address 10.1.1.102, exceeded allowable connection time", ESA_CONN_END,
     IN, 12, .end = ESA_END_DISCONNECTED, .pip = "10.1.1.102",
     .reason = "exceeded allowable connection time"},
    {"ICID 9033 Receiving Failed: Message loop", ESA_CONN_NOTE, IN, 9033,
     .reason = "Receiving Failed: Message loop"},
    {"ICID 440090 Receiving Failed: Message size exceeds limit", ESA_CONN_NOTE, IN, 440090,
     .reason = "Receiving Failed: Message size exceeds limit"},
    {"ICID 33256263 Receiving Failed: Connection limit exceeded", ESA_CONN_NOTE, IN, 33256263,
     .reason = "Receiving Failed: Connection limit exceeded"},
    {"ICID 11723972 Injection Failed: Message loop", ESA_CONN_NOTE, IN, 11723972,
     .reason = "Injection Failed: Message loop"},
    {"ICID 824107 Delayed HAT REJECT continuing session for recipient logging (10.8.236.135)",
     ESA_CONN_NOTE, IN, 824107,
     .reason = "Delayed HAT REJECT continuing session for recipient logging (10.8.236.135)"},
    {"ICID 30308138 Connection from 216.39.115.138 on interface PublicNet (202.123.2.25) lost "
     "after 139 seconds (DNS query took 139 seconds), before any commands were received",
     ESA_CONN_NOTE, IN, 30308138,
     .reason = "Connection from 216.39.115.138 on interface PublicNet (202.123.2.25) lost "
               "after 139 seconds (DNS query took 139 seconds), before any commands were "
               "received"},
    {"ICID 493829828 Invalid sender address: Unsupported domain literal: '[]'", ESA_CONN_NOTE, IN,
     493829828, .reason = "Invalid sender address: Unsupported domain literal: '[]'"},
    {"SMTP server connection killed ICID: 629531", ESA_CONN_NOTE, IN, 629531,
     .reason = "SMTP server connection killed"},
    {"Start MID 26983 ICID 824108", ESA_MSG_LINK, IN, 824108, 26983},
    {"Start MID 9 ICID 0 (ISQ Notification)", ESA_MSG_LINK, IN, 0, 9},
    {"MID 26983 ICID 824108 From: <noreply-dmarc@zoho.com>", ESA_MSG_LINK, IN, 824108, 26983},
    {"MID 24611507 ICID 60140302 RID 0 To: <c@d>", ESA_MSG_LINK, IN, 60140302, 24611507,
     .rdomain = "d"},
    {"MID 11916996 ICID 7416170 RID 99 To: <chan_swarnakar@yahoo.com>", ESA_MSG_LINK, IN, 7416170,
     11916996, .rid = 99, .rdomain = "yahoo.com"},
    /* The last '@' starts the domain; a quoted local part may hold another. */
    {"MID 5 ICID 6 RID 2 To: <\"a@b\"@Example.ORG>", ESA_MSG_LINK, IN, 6, 5, .rid = 2,
     .rdomain = "Example.ORG"},
    {"MID 5 ICID 6 RID 3 To: bare@example.net", ESA_MSG_LINK, IN, 6, 5, .rid = 3,
     .rdomain = "example.net"},
    /* No domain, or a RID that is no number: still a link, without a recipient. */
    {"MID 5 ICID 6 RID 1 To: <postmaster>", ESA_MSG_LINK, IN, 6, 5},
    {"MID 5 ICID 6 RID 1 To: <user@>", ESA_MSG_LINK, IN, 6, 5},
    {"MID 5 ICID 6 RID x To: <a@b.c>", ESA_MSG_LINK, IN, 6, 5},
    {"MID 5 ICID 6 RID 99999999999 To: <a@b.c>", ESA_MSG_LINK, IN, 6, 5},
    {"MID 83143152 ICID 0 RID 0 To: <>", ESA_MSG_LINK, IN, 0, 83143152},
    {"MID 5091057 ICID 10292815 From: <linda@dataselect.co.u>", ESA_MSG_LINK, IN, 10292815,
     5091057},
    {"MID 1 ICID 2 To: <postmaster@corestaff.com> Rejected by RAT", ESA_MSG_LINK, IN, 2, 1},
    {"MID 2 ICID 7 To: <ggarner@kentelec.com> Rejected by Injection Control", ESA_MSG_LINK, IN, 7,
     2},
    {"MID 286962029 ICID 197132478 To: <gandhi-apurva@cooperhealth.edu>", ESA_MSG_LINK, IN,
     197132478, 286962029},
    {"MID 14 ICID 14 From: ******@domainsample1.com", ESA_MSG_LINK, IN, 14, 14},
    {"ICID 3 MID 1 Invalid recipient address: Invalid character in address: '!'", ESA_MSG_LINK, IN,
     3, 1},
    {"ICID 493771866 MID 340448731 Invalid recipient address:  'RCPT TO:<>'", ESA_MSG_LINK, IN,
     493771866, 340448731},
};

/* ---- Section 4: outbound connections ---- */
static const struct expect outbound[] = {
    {"New SMTP DCID 6565555 interface 68.232.141.109 address 144.191.128.186 port 25",
     ESA_CONN_OPEN, OUT, 6565555, .port = 25, .lip = "68.232.141.109", .pip = "144.191.128.186"},
    {"New SMTP DCID 1162933 interface 166.77.6.10 address 66.180.244.17", ESA_CONN_OPEN, OUT,
     1162933, .lip = "166.77.6.10", .pip = "66.180.244.17"},
    {"New SMTP DCID 2386069 interface 10.10.10.2 address 192.168.2.2", ESA_CONN_OPEN, OUT, 2386069,
     .lip = "10.10.10.2", .pip = "192.168.2.2"},
    {"DCID 30 TLS success protocol TLSv1.2 cipher ECDHE-RSA-AES256-SHA384", ESA_TLS_OK, OUT, 30,
     .proto = "TLSv1.2", .cipher = "ECDHE-RSA-AES256-SHA384"},
    {"DCID 31 TLS success protocol TLSv1 cipher AES128-SHA ", ESA_TLS_OK, OUT, 31, .proto = "TLSv1",
     .cipher = "AES128-SHA"},
    {"DCID 32 TLS success protocol TLSv1 cipher AES128-SHA for example.com", ESA_TLS_OK, OUT, 32,
     .proto = "TLSv1", .cipher = "AES128-SHA", .domain = "example.com"},
    {"DCID 33 TLS success CN: <eq-c601.ironport.com>", ESA_TLS_OK, OUT, 33,
     .cn = "eq-c601.ironport.com"},
    {"DCID 12 TLS success CN: <Messaging Gateway Appliance Demo Cert>", ESA_TLS_OK, OUT, 12,
     .cn = "Messaging Gateway Appliance Demo Cert"},
    {"DCID 2386069 TLS success CN: <common>", ESA_TLS_OK, OUT, 2386069, .cn = "common"},
    {"DCID 58744 TLS success CN=mail.example.com", ESA_TLS_OK, OUT, 58744,
     .cn = "mail.example.com"},
    {"DCID 58745 TLS success CN=mail.internetsellout.com", ESA_TLS_OK, OUT, 58745,
     .cn = "mail.internetsellout.com"},
    {"DCID 239490 TLS success protocol TLSv1 cipher RC4-SHA CN=c602.soma.ironport.com", ESA_TLS_OK,
     OUT, 239490, .proto = "TLSv1", .cipher = "RC4-SHA", .cn = "c602.soma.ironport.com"},
    {"DCID 34 TLS success protocol TLSv1 cipher RC4-SHA CN=host", ESA_TLS_OK, OUT, 34,
     .proto = "TLSv1", .cipher = "RC4-SHA", .cn = "host"},
    {"DCID 80167 TLS failed: STARTTLS unexpected response", ESA_TLS_FAIL, OUT, 80167,
     .reason = "STARTTLS unexpected response"},
    /* The colon forms: "ICID: n", "DCID: n", "IP: a". */
    {"DCID: 5633 IP: 192.0.2.7 TLS failed: STARTTLS unexpected response", ESA_TLS_FAIL, OUT, 5633,
     .pip = "192.0.2.7", .reason = "STARTTLS unexpected response"},
    {"DCID: 5633 IP: 192.0.2.7 SMTP authentication failed", ESA_CONN_NOTE, OUT, 5633,
     .reason = "IP: 192.0.2.7 SMTP authentication failed"},
    {"DCID: 5633 close", ESA_CONN_END, OUT, 5633, .end = ESA_END_CLOSE},
    {"ICID: 77 TLS success protocol TLSv1.3 cipher TLS_AES_128_GCM_SHA256", ESA_TLS_OK, IN, 77,
     .proto = "TLSv1.3", .cipher = "TLS_AES_128_GCM_SHA256"},
    {"DCID 2386070 IP 192.168.2.2 TLS failed: STARTTLS unexpected response", ESA_TLS_FAIL, OUT,
     2386070, .pip = "192.168.2.2", .reason = "STARTTLS unexpected response"},
    {"DCID 8 IP 204.15.82.140 TLS was required but could not be successfully negotiated",
     ESA_TLS_REQUIRED, OUT, 8, .pip = "204.15.82.140",
     .reason = "TLS was required but could not be successfully negotiated"},
    {"DCID 123 STARTTLS command not supported.", ESA_STARTTLS_UNSUPPORTED, OUT, 123,
     .reason = "STARTTLS command not supported"},
    {"Connection Error: DCID 63 domain: example.com IP: 10.13.101.31 port: 25 details: [Errno 0] "
     "Error interface: 10.10.192.50 reason: network error",
     ESA_CONN_ERROR, OUT, 63, .port = 25, .domain = "example.com", .pip = "10.13.101.31",
     .reason = "[Errno 0] Error", .lip = "10.10.192.50"},
    {"Connection Error: connection timed out DCID: 2804 IP: 69.59.158.5 details: timeout "
     "interface: 10.20.1.49",
     ESA_CONN_ERROR, OUT, 2804, .pip = "69.59.158.5", .reason = "timeout", .lip = "10.20.1.49"},
    {"Connection Error: DCID: 263 IP: 128.242.110.90 details: EOF interface: 128.197.12.246 "
     "reason: network error",
     ESA_CONN_ERROR, OUT, 263, .pip = "128.242.110.90", .reason = "EOF", .lip = "128.197.12.246"},
    {"Delivery start DCID 6565548 MID 24611469 to RID [0]", ESA_DELIVERY_START, OUT, 6565548,
     24611469, .rids = "0"},
    {"Delivery start DCID 6565549 MID 24611470 to RID [0, 1]", ESA_DELIVERY_START, OUT, 6565549,
     24611470, .rids = "0, 1"},
    {"Delivery start DCID 4901127 MID 10288263 to [0]", ESA_DELIVERY_START, OUT, 4901127, 10288263,
     .rids = "0"},
    {"Delivery start DCID 6565550 MID 24611480 to RID [0] to offbox IronPort Spam Quarantine",
     ESA_DELIVERY_START, OUT, 6565550, 24611480, .rids = "0"},
    {"Message done DCID 6565548 MID 24611465 to RID [0] ", ESA_DELIVERY_DONE, OUT, 6565548,
     24611465, .rids = "0"},
    {"Message done DCID 6565554 MID 24611414 to RID [0] (external quarantine) ", ESA_DELIVERY_DONE,
     OUT, 6565554, 24611414, .rids = "0"},
    {"Message done DCID 3312 MID 4806 to [0]", ESA_DELIVERY_DONE, OUT, 3312, 4806, .rids = "0"},
    {"Message done DCID 570107 MID 3605203 to [0] [('X-SBRS', 'BadRep -9.4')]", ESA_DELIVERY_DONE,
     OUT, 570107, 3605203, .rids = "0"},
    {"Message done DCID 6193797 MID 345766720 to RID [0] [('X-SBRS', '3.5')]", ESA_DELIVERY_DONE,
     OUT, 6193797, 345766720, .rids = "0"},
    {"Message done DCID 329979 MID 16106944 to RID [0] [('X-IronPort-Anti-Spam-Result', "
     "'AQAAAMQfDEQJ'), ('from', '\"w2csh\" <w2csh@comcast.net>'), ('x-sbrs', '0.0')]",
     ESA_DELIVERY_DONE, OUT, 329979, 16106944, .rids = "0"},
    {"DCID 6565547 close", ESA_CONN_END, OUT, 6565547, .end = ESA_END_CLOSE},
    {"DCID 4 close", ESA_CONN_END, OUT, 4, .end = ESA_END_CLOSE},
    {"SMTP client connection killed DCID: 196546347", ESA_CONN_NOTE, OUT, 196546347,
     .reason = "SMTP client connection killed"},
    {"Mail delivery client with DCID 8163315 exited due to the maximum concurrency "
     "configuration.",
     ESA_CONN_NOTE, OUT, 8163315, .reason = "exited due to the maximum concurrency configuration."},
    {"Bounced: DCID 0 MID 8 to RID 0 - 5.1.2 - Bad destination host ('000', ['DNS Hard Error "
     "looking up BMQ-WIN.RUN (MX):  NXDomain'])",
     ESA_MSG_OUTCOME, OUT, 0, 8, .rids = "0",
     .reason = "to RID 0 - 5.1.2 - Bad destination host ('000', ['DNS Hard Error looking up "
               "BMQ-WIN.RUN (MX):  NXDomain'])"},
    {"Bounced: DCID 947091 MID 12217124 to RID 0 - 5.1.0 - Unknown address error ('501', "
     "['5.5.4 Invalid Address'])",
     ESA_MSG_OUTCOME, OUT, 947091, 12217124, .rids = "0",
     .reason = "to RID 0 - 5.1.0 - Unknown address error ('501', ['5.5.4 Invalid Address'])"},
    {"Bounced: DCID: 1911 Message 3993 to 0 - 5.1.0 - Unknown address error ('554', ['Too long "
     "line.']) []",
     ESA_MSG_OUTCOME, OUT, 1911, 3993, .rids = "0",
     .reason = "to 0 - 5.1.0 - Unknown address error ('554', ['Too long line.']) []"},
    {"Delayed: DCID: 4370 Message 10800 to 0 - 4.4.0 - Other network problem ('000', ['[Errno "
     "54] Connection reset by peer']) []",
     ESA_MSG_OUTCOME, OUT, 4370, 10800, .rids = "0",
     .reason = "to 0 - 4.4.0 - Other network problem ('000', ['[Errno 54] Connection reset by "
               "peer']) []"},
    {"Delayed: DCID 8414309 MID 19410908 From: <WeiZhang@example.com> To: "
     "<mcintosh@buttercupgames.com> RID 0 - 4.3.2 - Not accepting messages at this time ('421', "
     "['4.3.2 try again later'])",
     ESA_MSG_OUTCOME, OUT, 8414309, 19410908, .rids = "0",
     .reason = "From: <WeiZhang@example.com> To: <mcintosh@buttercupgames.com> RID 0 - 4.3.2 - "
               "Not accepting messages at this time ('421', ['4.3.2 try again later'])"},
    {"Bounced: DCID 0 MID 19408690 From: <Exit\\_Desk@sample.net> To: <lyra@buttercupgames.com> "
     "RID 0 - 5.1.2 - Bad destination host",
     ESA_MSG_OUTCOME, OUT, 0, 19408690, .rids = "0",
     .reason = "From: <Exit\\_Desk@sample.net> To: <lyra@buttercupgames.com> RID 0 - 5.1.2 - Bad "
               "destination host"},
    {"Bounced: DCID 2 MID 15232 From:<example.com> To:<example.com> RID 0 - 5.1.0 - Unknown",
     ESA_MSG_OUTCOME, OUT, 2, 15232, .rids = "0",
     .reason = "From:<example.com> To:<example.com> RID 0 - 5.1.0 - Unknown"},
    {"Delayed: DCID 9 MID 10 From: <a RID 7@x> To: <b> RID 3 - 4.4.1 - try later", ESA_MSG_OUTCOME,
     OUT, 9, 10, .rids = "3", .reason = "From: <a RID 7@x> To: <b> RID 3 - 4.4.1 - try later"},
    {"Delayed: DCID 9 MID 10 From: <a@x> RID 3 - no To: address", ESA_MSG_OUTCOME, OUT, 9, 10,
     .reason = "From: <a@x> RID 3 - no To: address"},
    {"Bounced: DCID 0 MID 10 From: <\"x> To: <y> RID 1\"@evil.example> To: <b@c> RID 0 - 5.1.1 - "
     "Unknown",
     ESA_MSG_OUTCOME, OUT, 0, 10, .rids = "0",
     .reason = "From: <\"x> To: <y> RID 1\"@evil.example> To: <b@c> RID 0 - 5.1.1 - Unknown"},
    {"Bounced: DCID 0 MID 10 From: <\"a\\\" RID 2 > \"@x> To: <b@c> RID 3 - 5.1.1 - Unknown",
     ESA_MSG_OUTCOME, OUT, 0, 10, .rids = "3",
     .reason = "From: <\"a\\\" RID 2 > \"@x> To: <b@c> RID 3 - 5.1.1 - Unknown"},
    {"Bounced: DCID 0 MID 10 From: <\"open quote@x> To: <b@c> RID 3 - 5.1.1 - Unknown",
     ESA_MSG_OUTCOME, OUT, 0, 10,
     .reason = "From: <\"open quote@x> To: <b@c> RID 3 - 5.1.1 - Unknown"},
    {"Bounced: DCID 0 MID 10 From: <\"a\\", ESA_MSG_OUTCOME, OUT, 0, 10, .reason = "From: <\"a\\"},
    {"Possible Delivery: DCID: 4641294 MID 8956463 to [0]", ESA_MSG_OUTCOME, OUT, 4641294, 8956463,
     .rids = "0", .reason = "to [0]"},
};

/* ---- Section 5 and the log-file header: message lines that tie IDs ---- */
static const struct expect messages[] = {
    {"Message finished MID 24611465 done", ESA_MSG_FINISHED, .mid = 24611465, .ok = 1},
    {"Message finished MID 1648122665 done", ESA_MSG_FINISHED, .mid = 1648122665, .ok = 1},
    {"Message finished MID 77 aborted", ESA_MSG_FINISHED, .mid = 77, .ok = 0},
    {"Message aborted MID 24611411 Dropped by CASE", ESA_MSG_FINISHED, .mid = 24611411,
     .reason = "Dropped by CASE"},
    {"Message aborted MID 10288257 Receiving aborted", ESA_MSG_FINISHED, .mid = 10288257,
     .reason = "Receiving aborted"},
    {"Message aborted MID 346002679 Dropped by filter 'FileType'", ESA_MSG_FINISHED,
     .mid = 346002679, .reason = "Dropped by filter 'FileType'"},
    {"Message aborted MID 1548 Injection aborted", ESA_MSG_FINISHED, .mid = 1548,
     .reason = "Injection aborted"},
    {"MID 58 was split creating MID 60 due to a per-recipient policy tcamp", ESA_MSG_RELATE,
     .mid = 58, .mid2 = 60},
    {"MID 24611495 was generated based on MID 24611421 by bcc filter 'FireEye_BCC'", ESA_MSG_RELATE,
     .mid = 24611421, .mid2 = 24611495},
    {"MID 35381767 generated based on MID 35381766 by bcc-scan filter 'testsrbs'", ESA_MSG_RELATE,
     .mid = 35381766, .mid2 = 35381767},
    {"MID 1665 was generated based on MID 1664 by antivirus", ESA_MSG_RELATE, .mid = 1664,
     .mid2 = 1665},
    {"MID 11 generated for bounce of MID 8", ESA_MSG_RELATE, .mid = 8, .mid2 = 11},
    {"MID 15216898 generated for bounce of MID 8785588", ESA_MSG_RELATE, .mid = 8785588,
     .mid2 = 15216898},
    {"MID 515 was generated for bounce of MID 511", ESA_MSG_RELATE, .mid = 511, .mid2 = 515},
    {"MID 2 rewritten to 3 by antispam", ESA_MSG_RELATE, .mid = 2, .mid2 = 3},
    {"MID 6 rewritten to 7 by alt-rcpt-to-filter filter 'testfilt'", ESA_MSG_RELATE, .mid = 6,
     .mid2 = 7},
    {"MID 1 rewritten to MID 2 by antispam (alt-rcpt-to) filter 'unknown'", ESA_MSG_RELATE,
     .mid = 1, .mid2 = 2},
    {"MID 38637862 rewritten to MID 38637865 by LDAP rewrite", ESA_MSG_RELATE, .mid = 38637862,
     .mid2 = 38637865},
    {"Time offset from UTC: -21600 seconds", ESA_TIME_OFFSET, .offset = -21600},
    {"Time offset from UTC: -14400 seconds", ESA_TIME_OFFSET, .offset = -14400},
    {"Time offset from UTC: 19800 seconds", ESA_TIME_OFFSET, .offset = 19800},
    {"Time offset from UTC: +3600 seconds", ESA_TIME_OFFSET, .offset = 3600},
    {"Time offset from UTC: 0 seconds", ESA_TIME_OFFSET, .offset = 0},
    {"Time offset from UTC: -21600", ESA_TIME_OFFSET, .offset = -21600},
    {"Time offset from UTC: 9223372036854775807 seconds", ESA_TIME_OFFSET, .offset = INT64_MAX},
    {"Time offset from UTC: -9223372036854775807 seconds", ESA_TIME_OFFSET, .offset = -INT64_MAX},
};

/* Lines the classifier must leave alone (section 6 and the message lines of section 5 that tie
 * no IDs). */
static const struct expect unclassified[] = {
    {"MID 26983 SDR: Domains for which SDR is requested: reverse DNS host: "
     "sender4-of-o59.zoho.com, helo: sender4-of-o59.zoho.com"},
    {"MID 26983 Subject 'test'"},
    {"MID 14 Subject \"Testing\""},
    {"MID 71897 Message-ID '<322n7l$266p@stable.mfg>'"},
    {"MID 2 ready 88 bytes from <blah@ironport.com>"},
    {"MID 9 queued for delivery"},
    {"MID 24611465 RID [0] Response '2.0.0 Ok: queued as 3jjSKc6HnKz4GTHJ'"},
    {"MID 5911872 RID [0] Response ok 1083092729 qp 3998"},
    {"MID 24611421 interim verdict using engine: CASE spam negative"},
    {"MID 24611421 antivirus negative "},
    {"MID 4195162 to [0] pending till Tue Apr 27 13:05:17 2004 [Default]"},
    {"MID 4422 From: <me@ironport.com> To: <ironPort@tomki.com>, ... 1 total recipients"},
    {"Status: CPULd 3 DskIO 0 RAMUtil 1 QKUsd 141 QKFre 34602867 CrtMID 414695 CrtICID 644374 "
     "CrtDCID 76943"},
    {"Begin Logfile"},
    {"Version: 7.6.3-019 SN: 420D4FEA709365BFB3E3-0AF2EE5E700E"},
    {"Double bounce: Message 8963393 to 0 - 5.1.1 - Bad destination email address"},
    {"Double bounce: MID 12222130 to 0 - 5.1.0 - Unknown address error"},
    {"Deleted: MID 3 to [0]"},
    {"EUQ: Reinjected MID 4433 as MID 4449"},
    {"ISQ: Tagging MID 24611600 for quarantine"},
    {"RPC Delivery start RCID 4051 MID 14077 to local IronPort Spam Quarantine"},
    {"RPC Message done RCID 4051 MID 14077"},
    {"Start delivery of MID 4433 over RPC connection 0"},
    {"Delivery of MID 4433 over RPC completed on connection 0"},
    {"LDAP: Bounce query HutchLDAP.ldapaccept MID 718417 RID 2 address 8k00000l037@hutchcity.com"},
    {"graymail [CONFIG] Starting graymail configuration handler"},
    {"URL_REP_CLIENT: Configuration changed. Triggering restart of URL Reputation client "
     "service."},
    {"Internal SMTP system successfully sent a message to example.com"},
    {"CEF:0|Cisco|C100V Email Security Virtual Appliance|14.3.0-023|ESA_CONSOLIDATED_LOG_EVENT|"
     "Consolidated Log Event|5|ESAICID=13956459 ESATLSInConnStatus=Success"},
    {"Bounced: 123:123 From:<example.com> To:<example.com>"},
    {"Connection Error: something went wrong"},
    {"Connection refused by peer"},
    {"Message finished MID 5"},
    {"Message finished MID 5 pending"},
    {"Message queued MID 5"},
    {"Delivery start RCID 5 MID 6 to [0]"},
    {"New SMTP RCID 5 interface x address y"},
    {"New connection ICID 5"},
    {"Time offset from UTC: seconds"},
    {"Time offset from UTC: -"},
    {"Time offset from UTC: -21600s seconds"},
    {"Time offset from UTC: 9223372036854775808 seconds"},
    {"Time zone changed"},
    {"ICID 5"},
    {"ICID 5 "},
    {"ICID"},
    {"DCID"},
    {"MID"},
    {"MID 5"},
    {"Start MID 5"},
    {"Start MID 5 DCID 6"},
    {"MID 5 was"},
    {"MID 5 was merged into MID 6"},
    {"MID 5 generated for"},
    {"MID 5 rewritten"},
    {"MID 5 rewritten to"},
    {"MID 5 rewritten from MID 4"},
    {"SMTP Auth (ICID 30 succeeded"},
    {"SMTP Auth: (ICID x) failed"},
    {"SMTP server connection killed"},
    {"SMTP server connection killed MID: 5"},
    {"Mail delivery client with ICID 5 exited"},
    {"Possible Delivery: MID 8956463 to [0]"},
    {""},
    {" "},
    {"   \t\r\n"},
};

/* Keywords are ASCII case-insensitive ("New smtp ICID" is documented); policy words are the
 * exception: they are told apart from verbs by being upper case. */
static const struct expect case_variants[] = {
    {"new SMTP icid 1 INTERFACE x ADDRESS 5.6.7.8 REVERSE DNS HOST h VERIFIED NO", ESA_CONN_OPEN,
     IN, 1, .rv = RV_NO, .ifname = "x", .pip = "5.6.7.8", .rdns = "h"},
    {"NEW smtp dcid 2 Interface 1.2.3.4 Address 5.6.7.8 PORT 587", ESA_CONN_OPEN, OUT, 2,
     .port = 587, .lip = "1.2.3.4", .pip = "5.6.7.8"},
    {"New SMTP ICID 3 interface Data 1 (1.2.3.4) address 5.6.7.8 reverse dns host h verified YES",
     ESA_CONN_OPEN, IN, 3, .rv = RV_YES, .ifname = "Data 1", .lip = "1.2.3.4", .pip = "5.6.7.8",
     .rdns = "h"},
    {"icid 5 tls SUCCESS PROTOCOL TLSv1.3 CIPHER TLS_AES_256_GCM_SHA384", ESA_TLS_OK, IN, 5,
     .proto = "TLSv1.3", .cipher = "TLS_AES_256_GCM_SHA384"},
    {"dcid 5 Tls Failed: x", ESA_TLS_FAIL, OUT, 5, .reason = "x"},
    {"DCID 5 TLS FAILED", ESA_TLS_FAIL, OUT, 5, .reason = ""},
    {"ICID 5 tls was REQUIRED but x", ESA_TLS_REQUIRED, IN, 5, .reason = "tls was REQUIRED but x"},
    {"dcid 5 ip 1.2.3.4 tls success cn: <A B> FOR example.com", ESA_TLS_OK, OUT, 5,
     .pip = "1.2.3.4", .cn = "A B", .domain = "example.com"},
    {"DCID 5 tls success cn=host.example", ESA_TLS_OK, OUT, 5, .cn = "host.example"},
    {"dcid 7 starttls COMMAND NOT SUPPORTED.", ESA_STARTTLS_UNSUPPORTED, OUT, 7,
     .reason = "starttls COMMAND NOT SUPPORTED"},
    {"ICID 5 CLOSE", ESA_CONN_END, IN, 5, .end = ESA_END_CLOSE},
    {"dcid 9 Lost", ESA_CONN_END, OUT, 9, .end = ESA_END_LOST},
    {"ICID 5 Disconnected ADDRESS 1.2.3.4, x", ESA_CONN_END, IN, 5, .end = ESA_END_DISCONNECTED,
     .pip = "1.2.3.4", .reason = "x"},
    {"ICID 5 ACCEPT sg x match y sbrs 1.0 COUNTRY Peru", ESA_POLICY, IN, 5, .policy = "ACCEPT",
     .sg = "x", .sbrs = "1.0", .country = "Peru"},
    {"ICID 5 sbrs None", ESA_POLICY, IN, 5, .sbrs = "None"},
    {"ICID 5 accept SG x SBRS 1.0", ESA_CONN_NOTE, IN, 5, .reason = "accept SG x SBRS 1.0"},
    {"ICID 5 Accept SG x SBRS 1.0", ESA_CONN_NOTE, IN, 5, .reason = "Accept SG x SBRS 1.0"},
    {"icid 5 mid 6 Invalid", ESA_MSG_LINK, IN, 5, 6},
    {"start mid 1 icid 2", ESA_MSG_LINK, IN, 2, 1},
    {"mid 1 ICID 2 From: <a@b>", ESA_MSG_LINK, IN, 2, 1},
    {"DELIVERY START dcid 1 mid 2 TO rid [3]", ESA_DELIVERY_START, OUT, 1, 2, .rids = "3"},
    {"message DONE Dcid 1 Mid 2 to Rid [0, 4]", ESA_DELIVERY_DONE, OUT, 1, 2, .rids = "0, 4"},
    {"MESSAGE FINISHED MID 3 DONE", ESA_MSG_FINISHED, .mid = 3, .ok = 1},
    {"message aborted mid 3 why", ESA_MSG_FINISHED, .mid = 3, .reason = "why"},
    {"bounced: dcid 1 mid 2 x", ESA_MSG_OUTCOME, OUT, 1, 2, .reason = "x"},
    {"DELAYED: DCID: 1 MESSAGE 2 x", ESA_MSG_OUTCOME, OUT, 1, 2, .reason = "x"},
    {"connection error: dcid 5 ip: 1.2.3.4 DETAILS: x INTERFACE: y", ESA_CONN_ERROR, OUT, 5,
     .pip = "1.2.3.4", .reason = "x", .lip = "y"},
    {"time OFFSET FROM utc: +3600 SECONDS", ESA_TIME_OFFSET, .offset = 3600},
    {"mid 1 WAS SPLIT CREATING mid 2", ESA_MSG_RELATE, .mid = 1, .mid2 = 2},
    {"MID 1 Was Generated Based On MID 0", ESA_MSG_RELATE, .mid = 0, .mid2 = 1},
    {"MID 1 REWRITTEN TO mid 2", ESA_MSG_RELATE, .mid = 1, .mid2 = 2},
    {"smtp SERVER connection KILLED icid: 4", ESA_CONN_NOTE, IN, 4,
     .reason = "smtp SERVER connection KILLED"},
};

/* Double spaces between tokens (seen in real captures) change nothing but the spans of
 * multi-word values, which keep their inner text as logged. */
static const struct expect double_spaces[] = {
    {"New SMTP  ICID  5  interface  Data 1  (1.2.3.4)  address  5.6.7.8  reverse dns host  "
     "unknown  verified  no",
     ESA_CONN_OPEN, IN, 5, .rv = RV_NO, .ifname = "Data 1", .lip = "1.2.3.4", .pip = "5.6.7.8",
     .rdns = "unknown"},
    {"New SMTP ICID 5 interface Data  Net  West (1.2.3.4) address 5.6.7.8", ESA_CONN_OPEN, IN, 5,
     .ifname = "Data  Net  West", .lip = "1.2.3.4", .pip = "5.6.7.8"},
    {"New  SMTP  DCID  6  interface  1.2.3.4  address  5.6.7.8  port  25", ESA_CONN_OPEN, OUT, 6,
     .port = 25, .lip = "1.2.3.4", .pip = "5.6.7.8"},
    {"ICID  5  TLS  success  protocol  TLSv1.2  cipher  X", ESA_TLS_OK, IN, 5, .proto = "TLSv1.2",
     .cipher = "X"},
    {"DCID 5  IP  1.2.3.4  TLS  failed:   why  not  ", ESA_TLS_FAIL, OUT, 5, .pip = "1.2.3.4",
     .reason = "why  not"},
    {"DCID 5 TLS success CN:   <a  b>", ESA_TLS_OK, OUT, 5, .cn = "a  b"},
    {"ICID 5 ACCEPT  SG  None  match   SBRS  None  country  United States", ESA_POLICY, IN, 5,
     .policy = "ACCEPT", .sg = "None", .sbrs = "None", .country = "United States"},
    {"ICID 5 ACCEPT SG None SBRS  not  enabled ", ESA_POLICY, IN, 5, .policy = "ACCEPT",
     .sg = "None", .sbrs = "not  enabled"},
    {"ICID 5  close", ESA_CONN_END, IN, 5, .end = ESA_END_CLOSE},
    {"  ICID 5 close", ESA_CONN_END, IN, 5, .end = ESA_END_CLOSE},
    {"Start  MID  1  ICID  2", ESA_MSG_LINK, IN, 2, 1},
    {"MID  1  ICID  2  From: <a>", ESA_MSG_LINK, IN, 2, 1},
    {"Delivery start  DCID 1  MID 2  to  RID  [0, 1]", ESA_DELIVERY_START, OUT, 1, 2,
     .rids = "0, 1"},
    {"Message  done DCID 1 MID 2 to RID[7]", ESA_DELIVERY_DONE, OUT, 1, 2, .rids = "7"},
    {"Connection Error:  DCID:  5  IP:  1.2.3.4  details:  timeout   interface:  5.6.7.8",
     ESA_CONN_ERROR, OUT, 5, .pip = "1.2.3.4", .reason = "timeout", .lip = "5.6.7.8"},
    {"Bounced:  DCID  1  MID  2  to RID 0", ESA_MSG_OUTCOME, OUT, 1, 2, .rids = "0",
     .reason = "to RID 0"},
    {"MID  1  was  split  creating  MID  2", ESA_MSG_RELATE, .mid = 1, .mid2 = 2},
    {"Time  offset  from  UTC:  -3600  seconds", ESA_TIME_OFFSET, .offset = -3600},
};

/* Optional parts missing, empty values, truncated lines. */
static const struct expect missing_parts[] = {
    {"New SMTP ICID 5", ESA_CONN_OPEN, IN, 5},
    {"New SMTP ICID 5 interface Data 1 (1.2.3.4) address 5.6.7.8", ESA_CONN_OPEN, IN, 5,
     .ifname = "Data 1", .lip = "1.2.3.4", .pip = "5.6.7.8"},
    {"New SMTP ICID 5 interface Data 1 address 5.6.7.8 reverse dns host x verified yes",
     ESA_CONN_OPEN, IN, 5, .rv = RV_YES, .ifname = "Data 1", .pip = "5.6.7.8", .rdns = "x"},
    {"New SMTP ICID 5 interface Outer (DMZ) (1.2.3.4) address 5.6.7.8", ESA_CONN_OPEN, IN, 5,
     .ifname = "Outer (DMZ)", .lip = "1.2.3.4", .pip = "5.6.7.8"},
    {"New SMTP ICID 5 interface v6 (2001:db8::1) address 2001:db8::2", ESA_CONN_OPEN, IN, 5,
     .ifname = "v6", .lip = "2001:db8::1", .pip = "2001:db8::2"},
    {"New SMTP ICID 5 interface Data 1 (1.2.3.4) address 5.6.7.8 reverse dns host  verified no",
     ESA_CONN_OPEN, IN, 5, .rv = RV_NO, .ifname = "Data 1", .lip = "1.2.3.4", .pip = "5.6.7.8"},
    {"New SMTP ICID 5 interface Data 1 (1.2.3.4) address 5.6.7.8 reverse dns host h verified "
     "maybe",
     ESA_CONN_OPEN, IN, 5, .ifname = "Data 1", .lip = "1.2.3.4", .pip = "5.6.7.8", .rdns = "h"},
    {"New SMTP ICID 5 interface Data 1 (1.2.3", ESA_CONN_OPEN, IN, 5, .ifname = "Data 1 (1.2.3"},
    {"New SMTP ICID 5 address 5.6.7.8", ESA_CONN_OPEN, IN, 5, .pip = "5.6.7.8"},
    {"New SMTP ICID 5 interface", ESA_CONN_OPEN, IN, 5},
    {"New SMTP ICID 5 interface Data 1 (1.2.3.4) address", ESA_CONN_OPEN, IN, 5, .ifname = "Data 1",
     .lip = "1.2.3.4"},
    {"New SMTP DCID 5 interface 1.2.3.4 address 5.6.7.8 port", ESA_CONN_OPEN, OUT, 5,
     .lip = "1.2.3.4", .pip = "5.6.7.8"},
    {"ICID 5 ACCEPT SG None", ESA_POLICY, IN, 5, .policy = "ACCEPT", .sg = "None"},
    {"ICID 5 ACCEPT SG", ESA_POLICY, IN, 5, .policy = "ACCEPT"},
    {"ICID 5 ACCEPT SG  SBRS None", ESA_POLICY, IN, 5, .policy = "ACCEPT", .sbrs = "None"},
    {"ICID 5 ACCEPT SG ACCEPTLIST match sbrs[0.0:10.0] SBRS", ESA_POLICY, IN, 5, .policy = "ACCEPT",
     .sg = "ACCEPTLIST"},
    {"ICID 5 ACCEPT SG X SBRS 3.4 country", ESA_POLICY, IN, 5, .policy = "ACCEPT", .sg = "X",
     .sbrs = "3.4"},
    {"ICID 5 ACCEPT SG X SBRS country Chile", ESA_POLICY, IN, 5, .policy = "ACCEPT", .sg = "X",
     .country = "Chile"},
    {"ICID 5 SBRS", ESA_POLICY, IN, 5},
    {"ICID 5 ACCEPT", ESA_CONN_NOTE, IN, 5, .reason = "ACCEPT"},
    {"ICID 5 ACCEPT something", ESA_CONN_NOTE, IN, 5, .reason = "ACCEPT something"},
    {"DCID 5 TLS success protocol", ESA_TLS_OK, OUT, 5},
    {"DCID 5 TLS success protocol TLSv1.2 cipher", ESA_TLS_OK, OUT, 5, .proto = "TLSv1.2"},
    {"DCID 5 TLS success for", ESA_TLS_OK, OUT, 5},
    {"DCID 5 TLS success CN: <>", ESA_TLS_OK, OUT, 5},
    {"DCID 5 TLS success CN:", ESA_TLS_OK, OUT, 5},
    {"DCID 5 TLS success CN: <truncated na", ESA_TLS_OK, OUT, 5, .cn = "truncated na"},
    {"DCID 5 TLS success CN: host.example.com", ESA_TLS_OK, OUT, 5, .cn = "host.example.com"},
    {"DCID 5 TLS success CN:<host.example.com>", ESA_TLS_OK, OUT, 5, .cn = "host.example.com"},
    {"DCID 5 TLS success protocol TLSv1.2 cipher X CN: <a b> for example.com", ESA_TLS_OK, OUT, 5,
     .proto = "TLSv1.2", .cipher = "X", .cn = "a b", .domain = "example.com"},
    {"DCID 5 TLS success CN=Messaging Gateway Appliance Demo Cert for example.com", ESA_TLS_OK, OUT,
     5, .cn = "Messaging Gateway Appliance Demo Cert", .domain = "example.com"},
    {"DCID 5 TLS success CN= for x", ESA_TLS_OK, OUT, 5, .domain = "x"},
    {"DCID 5 TLS success CN=", ESA_TLS_OK, OUT, 5},
    {"DCID 5 TLS failed:", ESA_TLS_FAIL, OUT, 5, .reason = ""},
    {"DCID 5 TLS failed:   ", ESA_TLS_FAIL, OUT, 5, .reason = ""},
    {"DCID 5 TLS failed :why", ESA_TLS_FAIL, OUT, 5, .reason = "why"},
    {"DCID 5 TLS failed:why", ESA_TLS_FAIL, OUT, 5, .reason = "why"},
    {"DCID 5 TLS failed STARTTLS timeout", ESA_TLS_FAIL, OUT, 5, .reason = "STARTTLS timeout"},
    {"ICID 5 TLS was required", ESA_TLS_REQUIRED, IN, 5, .reason = "TLS was required"},
    {"DCID 5 IP 1.2.3.4 STARTTLS command not supported.", ESA_STARTTLS_UNSUPPORTED, OUT, 5,
     .pip = "1.2.3.4", .reason = "STARTTLS command not supported"},
    {"DCID 5 STARTTLS command not supported", ESA_STARTTLS_UNSUPPORTED, OUT, 5,
     .reason = "STARTTLS command not supported"},
    {"DCID 5 STARTTLS command not", ESA_CONN_NOTE, OUT, 5, .reason = "STARTTLS command not"},
    {"DCID 5 STARTTLS unexpected response", ESA_CONN_NOTE, OUT, 5,
     .reason = "STARTTLS unexpected response"},
    {"DCID 5 IP 1.2.3.4 something else", ESA_CONN_NOTE, OUT, 5,
     .reason = "IP 1.2.3.4 something else"},
    {"DCID 5 IP", ESA_CONN_NOTE, OUT, 5, .reason = "IP"},
    {"DCID 5 ACCEPT SG x", ESA_CONN_NOTE, OUT, 5, .reason = "ACCEPT SG x"},
    {"DCID 5 MID 3", ESA_CONN_NOTE, OUT, 5, .reason = "MID 3"},
    {"DCID 5 SBRS None", ESA_CONN_NOTE, OUT, 5, .reason = "SBRS None"},
    {"ICID 5 disconnected", ESA_CONN_END, IN, 5, .end = ESA_END_DISCONNECTED},
    {"ICID 5 disconnected address 1.2.3.4", ESA_CONN_END, IN, 5, .end = ESA_END_DISCONNECTED,
     .pip = "1.2.3.4"},
    {"ICID 5 disconnected address ,", ESA_CONN_END, IN, 5, .end = ESA_END_DISCONNECTED},
    {"ICID 5 disconnected after idle", ESA_CONN_END, IN, 5, .end = ESA_END_DISCONNECTED,
     .reason = "after idle"},
    {"ICID 5 close extra", ESA_CONN_END, IN, 5, .end = ESA_END_CLOSE},
    {"ICID 5 closed", ESA_CONN_NOTE, IN, 5, .reason = "closed"},
    {"Delivery start DCID 1 MID 2", ESA_DELIVERY_START, OUT, 1, 2},
    {"Delivery start DCID 1 MID 2 to RID [0, 1", ESA_DELIVERY_START, OUT, 1, 2},
    {"Delivery start DCID 1 MID 2 to RID []", ESA_DELIVERY_START, OUT, 1, 2, .rids = ""},
    {"Delivery start DCID 1 MID 2 to RID", ESA_DELIVERY_START, OUT, 1, 2},
    {"Delivery start DCID 1 MID 2 to RIDS [0]", ESA_DELIVERY_START, OUT, 1, 2},
    {"Delivery start DCID 1 MID 2 via [0]", ESA_DELIVERY_START, OUT, 1, 2},
    {"Connection Error: DCID 5", ESA_CONN_ERROR, OUT, 5, .reason = "DCID 5"},
    {"Connection Error: DCID 5 domain: IP: port: details: interface: reason: network error",
     ESA_CONN_ERROR, OUT, 5, .reason = ""},
    {"Connection Error: DCID domain: IP: 1.2.3.4 port: 25 details: x interface: y"},
    {"Connection Error: DCID 5 IP: 1.2.3.4 details: [Errno 0] Error reason: network error",
     ESA_CONN_ERROR, OUT, 5, .pip = "1.2.3.4", .reason = "[Errno 0] Error reason: network error"},
    {"Connection Error: DCID 5 details: a interface: details: b", ESA_CONN_ERROR, OUT, 5,
     .reason = "b"},
    {"Bounced: DCID 5", ESA_MSG_OUTCOME, OUT, 5},
    {"Bounced: DCID 5 to RID 0 - x", ESA_MSG_OUTCOME, OUT, 5, .reason = "to RID 0 - x"},
    {"Bounced: DCID 5 MID 6", ESA_MSG_OUTCOME, OUT, 5, 6},
    {"Bounced: DCID 5 MID", ESA_MSG_OUTCOME, OUT, 5},
    {"Message aborted MID 5", ESA_MSG_FINISHED, .mid = 5},
    {"SMTP Auth (ICID 30)", ESA_CONN_NOTE, IN, 30},
    {"ICID 5 MID 6", ESA_MSG_LINK, IN, 5, 6},
    {"MID 5 ICID 6", ESA_MSG_LINK, IN, 6, 5},
};

/* IDs are 64-bit; 2^63 is the largest accepted value and a number counts only as a whole
 * token followed by a space or the end of the text. */
static const struct expect numbers[] = {
    {"ICID 1799999999 close", ESA_CONN_END, IN, 1799999999, .end = ESA_END_CLOSE},
    {"ICID 9223372036854775808 close", ESA_CONN_END, IN, 9223372036854775808ULL,
     .end = ESA_END_CLOSE},
    {"ICID 007 close", ESA_CONN_END, IN, 7, .end = ESA_END_CLOSE},
    {"ICID 9223372036854775809 close"},
    {"ICID 18446744073709551615 close"},
    {"ICID 18446744073709551616 close"},
    {"ICID 99999999999999999999999999999999 close"},
    {"ICID 12a close"},
    {"ICID -1 close"},
    {"ICID +1 close"},
    {"ICID 0x10 close"},
    {"ICID 5, close"},
    {"ICID 5: close"},
    {"ICID 1.5 close"},
    {"ICID  close"},
    {"ICID5 close"},
    {"DCID 5x TLS success"},
    {"Start MID 1 ICID 2x"},
    {"Start MID 1x ICID 2"},
    {"MID 1x ICID 2"},
    {"MID 1 ICID 9223372036854775809 From: <a@b>"},
    {"MID 1 ICID 9223372036854775808 From: <a@b>", ESA_MSG_LINK, IN, 9223372036854775808ULL, 1},
    {"ICID 5 MID 12x Invalid recipient address"},
    {"ICID 5 MID"},
    {"New SMTP ICID 5x interface a address b"},
    {"New SMTP DCID 5 interface a address b port 65535", ESA_CONN_OPEN, OUT, 5, .port = 65535,
     .lip = "a", .pip = "b"},
    {"New SMTP DCID 5 interface a address b port 0", ESA_CONN_OPEN, OUT, 5, .lip = "a", .pip = "b"},
    {"New SMTP DCID 5 interface a address b port 65536"},
    {"New SMTP DCID 5 interface a address b port 25x"},
    {"New SMTP DCID 5 interface a address b port -25"},
    {"Connection Error: DCID 5 port: 70000"},
    {"Connection Error: DCID 5 port: x25"},
    {"Connection Error: DCID 5x IP: 1.2.3.4"},
    {"Delivery start DCID 1 MID 99999999999999999999 to RID [0]"},
    {"Delivery start DCID 1x MID 2 to RID [0]"},
    {"Message done DCID 1 MID 2x to RID [0]"},
    {"Message finished MID 2x done"},
    {"Message aborted MID -2 why"},
    {"Bounced: DCID 1 MID x to RID 0"},
    {"Bounced: DCID x MID 1 to RID 0"},
    {"MID 1 rewritten to MID x"},
    {"MID 1 rewritten to 2x by y"},
    {"MID 1 was split creating MID 2a"},
    {"MID 1 generated based on MID 99999999999999999999"},
    {"SMTP server connection killed ICID: 62x"},
    {"SMTP Auth (ICID 3x) succeeded"},
    {"SMTP Auth (ICID ) succeeded"},
    {"Mail delivery client with DCID 8x exited"},
};

/* A TLS word inside a line is not a TLS outcome unless the line is "ICID|DCID n [IP a] TLS". */
static const struct expect not_tls[] = {
    {"MID 14 ICID 14 TLS read 126 bytes (0.0 seconds)", ESA_MSG_LINK, IN, 14, 14},
    {"MID 14 ICID 14 TLS success", ESA_MSG_LINK, IN, 14, 14},
    {"SMTP Auth (ICID 30) was required but remote host did not initiate it", ESA_CONN_NOTE, IN, 30,
     .reason = "was required but remote host did not initiate it"},
    {"SMTP Auth (ICID 31) succeeded for user: bob using AUTH mechanism: LOGIN with profile: p",
     ESA_CONN_NOTE, IN, 31,
     .reason = "succeeded for user: bob using AUTH mechanism: LOGIN with profile: p"},
    {"SMTP Auth: (ICID 32) succeeded", ESA_CONN_NOTE, IN, 32, .reason = "succeeded"},
    {"ICID 5 TLS readiness", ESA_CONN_NOTE, IN, 5, .reason = "TLS readiness"},
    {"ICID 5 TLS successful", ESA_CONN_NOTE, IN, 5, .reason = "TLS successful"},
    {"ICID 5 TLS failedover", ESA_CONN_NOTE, IN, 5, .reason = "TLS failedover"},
    {"ICID 5 TLS was requested", ESA_CONN_NOTE, IN, 5, .reason = "TLS was requested"},
    {"ICID 5 TLS", ESA_CONN_NOTE, IN, 5, .reason = "TLS"},
    {"ICID 5 TLSv1.2 success", ESA_CONN_NOTE, IN, 5, .reason = "TLSv1.2 success"},
    {"ICID 5 STARTTLS", ESA_CONN_NOTE, IN, 5, .reason = "STARTTLS"},
    {"MID 5 TLS failed"},
    {"Status: TLS success"},
    {"TLS success"},
    {"TLS failed: ICID 5"},
    {"DLP: TLS was required but ICID 5"},
};

/* Quotes, backslashes, control bytes and invalid UTF-8 inside fields are data, kept as is. */
static const struct expect hostile[] = {
    {"ICID 4 TLS failed: \"quoted\" \\back\\slash\\ \x01\x1f\x7f", ESA_TLS_FAIL, IN, 4,
     .reason = "\"quoted\" \\back\\slash\\ \x01\x1f\x7f"},
    {"ICID 4 TLS failed: \xff\xfe\xc3\x28 invalid \xed\xa0\x80 utf8", ESA_TLS_FAIL, IN, 4,
     .reason = "\xff\xfe\xc3\x28 invalid \xed\xa0\x80 utf8"},
    {"ICID 4 TLS failed: a\tb\rc\nd", ESA_TLS_FAIL, IN, 4, .reason = "a\tb\rc\nd"},
    {"New SMTP ICID 5 interface Da\"ta\\ (1.2.3.4) address 5.6.7.8\x01 reverse dns host "
     "\xff\xfe\" verified yes",
     ESA_CONN_OPEN, IN, 5, .rv = RV_YES, .ifname = "Da\"ta\\", .lip = "1.2.3.4",
     .pip = "5.6.7.8\x01", .rdns = "\xff\xfe\""},
    {"ICID 5 ACCEPT SG \\x match \" SBRS \x01 country \xc3\xa9\xff", ESA_POLICY, IN, 5,
     .policy = "ACCEPT", .sg = "\\x", .sbrs = "\x01", .country = "\xc3\xa9\xff"},
    {"DCID 5 TLS success protocol \"TLS cipher \\\\ CN: <\x80<>", ESA_TLS_OK, OUT, 5,
     .proto = "\"TLS", .cipher = "\\\\", .cn = "\x80<"},
    {"DCID 5 TLS success CN: <a>b> for \xff", ESA_TLS_OK, OUT, 5, .cn = "a", .domain = "\xff"},
    {"Connection Error: DCID 5 domain: \"';-- IP: \\ details: \x1b[31m interface: \xfe",
     ESA_CONN_ERROR, OUT, 5, .domain = "\"';--", .pip = "\\", .reason = "\x1b[31m", .lip = "\xfe"},
    {"Delivery start DCID 1 MID 2 to RID [\"]\\]", ESA_DELIVERY_START, OUT, 1, 2, .rids = "\""},
    {"ICID 5 \xff\xfe", ESA_CONN_NOTE, IN, 5, .reason = "\xff\xfe"},
    {"\xef\xbb\xbfICID 5 close"},
    {"\xff ICID 5 close"},
};

static void test_table_row(const struct expect *table, int i)
{
	check_event(&table[i]);
}

#define TABLE_TEST(name, table)                                                                    \
	START_TEST(name)                                                                           \
	{                                                                                          \
		test_table_row(table, _i);                                                         \
	}                                                                                          \
	END_TEST

TABLE_TEST(test_inbound, inbound)
TABLE_TEST(test_outbound, outbound)
TABLE_TEST(test_messages, messages)
TABLE_TEST(test_unclassified, unclassified)
TABLE_TEST(test_case_variants, case_variants)
TABLE_TEST(test_double_spaces, double_spaces)
TABLE_TEST(test_missing_parts, missing_parts)
TABLE_TEST(test_numbers, numbers)
TABLE_TEST(test_not_tls, not_tls)
TABLE_TEST(test_hostile, hostile)

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Trailing white space (seen in real captures, and CR LF from some relays) changes nothing. */
static void check_with_suffix(const struct expect *x, const char *suffix)
{
	size_t n = strlen(x->line), m = strlen(suffix);
	char *buf = malloc(n + m);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, x->line, n);
	memcpy(buf + n, suffix, m);
	check_event_buf(x, buf, n + m);
	free(buf);
}

static const struct expect *const shape_tables[] = {inbound, outbound, messages, unclassified};
static const int shape_counts[] = {N(inbound), N(outbound), N(messages), N(unclassified)};

START_TEST(test_trailing_space)
{
	static const char *const suffixes[] = {" ", "   ", " \t", "\r\n", " \r\n ", "\n"};
	size_t t, s;
	int i;
	for (t = 0; t < sizeof(shape_tables) / sizeof(shape_tables[0]); t++)
		for (i = 0; i < shape_counts[t]; i++)
			for (s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); s++)
				check_with_suffix(&shape_tables[t][i], suffixes[s]);
}
END_TEST

/* ---- NUL bytes: lengths are explicit, the text is not a C string ---- */

static void classify_bytes(const char *bytes, size_t len, struct esa_event *ev, char **buf)
{
	*buf = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(*buf);
	memcpy(*buf, bytes, len);
	esa_classify(*buf, len, ev);
}

static int span_is(struct span s, const char *bytes, size_t len)
{
	return span_present(s) && s.len == len && memcmp(s.p, bytes, len) == 0;
}

START_TEST(test_nul_bytes)
{
	static const char fail[] = "ICID 5 TLS failed: a\0b";
	static const char cn[] = "DCID 6 TLS success CN: <x\0y> for d\0";
	static const char in_id[] = "ICID 5\0 close";
	static const char lead[] = "\0ICID 5 close";
	static const char tail[] = "ICID 5 close\0";
	struct esa_event ev;
	char *buf;

	classify_bytes(fail, sizeof(fail) - 1, &ev, &buf);
	ck_assert_int_eq(ev.kind, ESA_TLS_FAIL);
	ck_assert(span_is(ev.reason, "a\0b", 3));
	ck_assert_ptr_eq(ev.reason.p, buf + 19);
	free(buf);

	classify_bytes(cn, sizeof(cn) - 1, &ev, &buf);
	ck_assert_int_eq(ev.kind, ESA_TLS_OK);
	ck_assert_uint_eq(ev.conn_id, 6);
	ck_assert(span_is(ev.tls_cn, "x\0y", 3));
	ck_assert(span_is(ev.tls_domain, "d\0", 2));
	free(buf);

	classify_bytes(in_id, sizeof(in_id) - 1, &ev, &buf);
	ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);
	free(buf);

	classify_bytes(lead, sizeof(lead) - 1, &ev, &buf);
	ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);
	free(buf);

	/* A NUL is not white space: the verb is "close\0", a note rather than an end. */
	classify_bytes(tail, sizeof(tail) - 1, &ev, &buf);
	ck_assert_int_eq(ev.kind, ESA_CONN_NOTE);
	ck_assert(span_is(ev.reason, "close\0", 6));
	free(buf);
}
END_TEST

START_TEST(test_null_and_empty)
{
	struct esa_event ev;
	memset(&ev, 0x5A, sizeof(ev));
	esa_classify(NULL, 0, &ev);
	ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);
	ck_assert_int_eq(ev.dir, ESA_DIR_NONE);
	ck_assert_int_eq(ev.rdns_verified, -1);
	ck_assert(!span_present(ev.reason));

	memset(&ev, 0x5A, sizeof(ev));
	esa_classify("ICID 5 close", 0, &ev);
	ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);

	/* The length, not a NUL, bounds the text. */
	esa_classify("ICID 5 close", 6, &ev);
	ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);
	esa_classify("ICID 5 close", 10, &ev);
	ck_assert_int_eq(ev.kind, ESA_CONN_NOTE);
	ck_assert(span_is(ev.reason, "clo", 3));
}
END_TEST

/* ---- Very long lines ---- */

START_TEST(test_long_lines)
{
	const size_t n = 1 << 16;
	char *buf = malloc(n);
	struct esa_event ev;
	static const char head[] = "ICID 5 TLS failed: ";
	ck_assert_ptr_nonnull(buf);

	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 'A', n - (sizeof(head) - 1));
	esa_classify(buf, n, &ev);
	ck_assert_int_eq(ev.kind, ESA_TLS_FAIL);
	ck_assert_ptr_eq(ev.reason.p, buf + sizeof(head) - 1);
	ck_assert_uint_eq(ev.reason.len, n - (sizeof(head) - 1));

	memset(buf, ' ', n);
	esa_classify(buf, n, &ev);
	ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);

	memcpy(buf, "ICID 5 ", 7);
	memcpy(buf + n - 5, "close", 5);
	esa_classify(buf, n, &ev);
	ck_assert_int_eq(ev.kind, ESA_CONN_END);
	ck_assert_int_eq(ev.end, ESA_END_CLOSE);
	ck_assert_uint_eq(ev.conn_id, 5);

	/* One huge digit run is an unreadable number, not a slow one. */
	memcpy(buf, "ICID ", 5);
	memset(buf + 5, '9', n - 5);
	esa_classify(buf, n, &ev);
	ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);

	/* An unterminated CN bracket over the whole line. */
	memcpy(buf, "DCID 5 TLS success CN: <", 24);
	memset(buf + 24, 'x', n - 24);
	esa_classify(buf, n, &ev);
	ck_assert_int_eq(ev.kind, ESA_TLS_OK);
	ck_assert_uint_eq(ev.tls_cn.len, n - 24);
	free(buf);
}
END_TEST

/* ---- Truncation: every prefix of long lines ---- */

struct truncation {
	const char *line;
	size_t stable; /* from this prefix length on: kind and id below */
	enum esa_kind kind;
	uint64_t id;
	size_t unclassified_below; /* shorter prefixes are unclassified */
};

static const struct truncation truncations[] = {
    {"New SMTP ICID 824108 interface Data 1 (23.90.98.53) address 136.143.188.59 reverse dns "
     "host sender4-of-o59.zoho.com verified yes",
     20, ESA_CONN_OPEN, 824108, 15},
    {"New SMTP DCID 6565555 interface 68.232.141.109 address 144.191.128.186 port 25", 21,
     ESA_CONN_OPEN, 6565555, 15},
    {"ICID 824108 ACCEPT SG ACCEPTLIST match sbrs[0.0:10.0] SBRS 3.4 country United States", 21,
     ESA_POLICY, 824108, 13},
    {"DCID 239490 TLS success protocol TLSv1 cipher RC4-SHA CN: <c602 soma ironport> for x.com", 23,
     ESA_TLS_OK, 239490, 13},
    {"DCID 2386070 IP 192.168.2.2 TLS failed: STARTTLS unexpected response", 38, ESA_TLS_FAIL,
     2386070, 14},
    {"ICID 8 TLS was required but remote host did not initiate it", 23, ESA_TLS_REQUIRED, 8, 8},
    {"Connection Error: DCID 63 domain: example.com IP: 10.13.101.31 port: 25 details: [Errno 0] "
     "Error interface: 10.10.192.50 reason: network error",
     25, ESA_CONN_ERROR, 63, 24},
    {"Delivery start DCID 6565548 MID 24611469 to RID [0, 1, 2]", 40, ESA_DELIVERY_START, 6565548,
     33},
    {"Bounced: DCID 0 MID 8 to RID 0 - 5.1.2 - Bad destination host ('000', ['DNS Hard Error'])",
     15, ESA_MSG_OUTCOME, 0, 15},
    {"MID 24611495 was generated based on MID 24611421 by bcc filter 'FireEye_BCC'", 48,
     ESA_MSG_RELATE, 0, 41},
    {"ICID 3 disconnected address 10.1.1.101, no messages injected within timeout period", 19,
     ESA_CONN_END, 3, 8},
};

#define EVENT_SPANS 14

static void event_spans(const struct esa_event *ev, struct span out[EVENT_SPANS])
{
	const struct span spans[EVENT_SPANS] = {
	    ev->interface,    ev->local_ip,   ev->peer_ip, ev->peer_rdns,    ev->policy,
	    ev->sender_group, ev->sbrs,       ev->country, ev->tls_protocol, ev->tls_cipher,
	    ev->tls_cn,       ev->tls_domain, ev->reason,  ev->rids};
	memcpy(out, spans, sizeof(spans));
}

/* Every returned span lies inside buf[0..len). One assertion per event: these run in loops of
 * many thousands. */
static void check_spans_inside(const struct esa_event *ev, const char *buf, size_t len)
{
	struct span spans[EVENT_SPANS];
	int i, bad = -1;
	event_spans(ev, spans);
	for (i = 0; i < EVENT_SPANS && bad < 0; i++) {
		struct span sp = spans[i];
		if (!span_present(sp)
		        ? sp.len != 0
		        : sp.p < buf || sp.len > len || (size_t)(sp.p - buf) > len - sp.len)
			bad = i;
	}
	ck_assert_msg(bad < 0, "span %d outside the input of %zu bytes", bad, len);
	ck_assert_msg((unsigned)ev->kind < ESA_KIND_COUNT && (unsigned)ev->dir <= ESA_DIR_OUT &&
	                  (unsigned)ev->end <= ESA_END_DISCONNECTED,
	              "enum out of range");
}

START_TEST(test_truncation)
{
	const struct truncation *t = &truncations[_i];
	size_t len = strlen(t->line), n;
	for (n = 0; n <= len; n++) {
		struct esa_event ev;
		char *buf = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf, t->line, n);
		esa_classify(buf, n, &ev);
		check_spans_inside(&ev, buf, n);
		if (n < t->unclassified_below)
			ck_assert_msg(ev.kind == ESA_UNCLASSIFIED, "%.*s: %s", (int)n, buf,
			              esa_kind_name(ev.kind));
		if (n >= t->stable) {
			ck_assert_msg(ev.kind == t->kind, "%.*s: %s", (int)n, buf,
			              esa_kind_name(ev.kind));
			ck_assert_uint_eq(ev.conn_id, t->id);
		}
		free(buf);
	}
}
END_TEST

/* Random byte edits and cuts of every shape: never a read outside the input (AddressSanitizer
 * watches the exact-size buffer), spans inside, and an unclassified event is blank. */
static uint32_t next_rand(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static void check_blank_if_unclassified(const struct esa_event *ev)
{
	struct span spans[EVENT_SPANS];
	int i, spans_absent = 1;
	if (ev->kind != ESA_UNCLASSIFIED)
		return;
	event_spans(ev, spans);
	for (i = 0; i < EVENT_SPANS; i++)
		spans_absent &= !span_present(spans[i]) && spans[i].len == 0;
	ck_assert_msg(spans_absent && ev->dir == ESA_DIR_NONE && ev->conn_id == 0 && ev->mid == 0 &&
	                  ev->mid2 == 0 && ev->end == ESA_END_NONE && ev->rdns_verified == -1 &&
	                  ev->finished_ok == 0 && ev->peer_port == 0 && ev->offset_seconds == 0,
	              "unclassified event not blank");
}

static void mutate_and_check(const char *line, uint32_t *seed)
{
	static const char alphabet[] = " \0\t:<>[]()0123456789,=\xff\x80ICDMSTN";
	size_t len = strlen(line), n, k, edits;
	char *buf;
	struct esa_event ev;
	n = len ? next_rand(seed) % (len + 1) : 0;
	buf = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, line, n);
	edits = n ? next_rand(seed) % 4 : 0;
	for (k = 0; k < edits; k++)
		buf[next_rand(seed) % n] = alphabet[next_rand(seed) % (sizeof(alphabet) - 1)];
	esa_classify(buf, n, &ev);
	check_spans_inside(&ev, buf, n);
	check_blank_if_unclassified(&ev);
	free(buf);
}

START_TEST(test_random_edits)
{
	const struct expect *const tables[] = {inbound,       outbound,      messages,
	                                       case_variants, double_spaces, missing_parts,
	                                       hostile,       not_tls};
	const int counts[] = {N(inbound),       N(outbound),      N(messages), N(case_variants),
	                      N(double_spaces), N(missing_parts), N(hostile),  N(not_tls)};
	uint32_t seed = 0x9E3779B9u;
	size_t t;
	int i, r;
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (i = 0; i < counts[t]; i++)
			for (r = 0; r < 300; r++)
				mutate_and_check(tables[t][i].line, &seed);
}
END_TEST

/* The blank-event invariant also holds for the hand-written unclassified tables. */
START_TEST(test_unclassified_is_blank)
{
	struct esa_event ev;
	int i;
	for (i = 0; i < N(numbers); i++) {
		if (numbers[i].kind != ESA_UNCLASSIFIED)
			continue;
		memset(&ev, 0x77, sizeof(ev));
		esa_classify(numbers[i].line, strlen(numbers[i].line), &ev);
		check_blank_if_unclassified(&ev);
		ck_assert_int_eq(ev.kind, ESA_UNCLASSIFIED);
	}
}
END_TEST

START_TEST(test_kind_names)
{
	static const char *const want[ESA_KIND_COUNT] = {"unclassified",
	                                                 "conn_open",
	                                                 "policy",
	                                                 "tls_ok",
	                                                 "tls_fail",
	                                                 "tls_required",
	                                                 "starttls_unsupported",
	                                                 "conn_error",
	                                                 "conn_end",
	                                                 "conn_note",
	                                                 "msg_link",
	                                                 "delivery_start",
	                                                 "delivery_done",
	                                                 "msg_outcome",
	                                                 "msg_finished",
	                                                 "msg_relate",
	                                                 "time_offset"};
	int k;
	for (k = 0; k < ESA_KIND_COUNT; k++)
		ck_assert_str_eq(esa_kind_name((enum esa_kind)k), want[k]);
	ck_assert_str_eq(esa_kind_name(ESA_KIND_COUNT), "invalid");
	ck_assert_str_eq(esa_kind_name((enum esa_kind) - 1), "invalid");
}
END_TEST

START_TEST(test_first_rid)
{
	uint32_t rid = 7;
	ck_assert_int_eq(esa_first_rid(span_make("0, 1", 4), &rid), 0);
	ck_assert_uint_eq(rid, 0);
	ck_assert_int_eq(esa_first_rid(span_make(" 12,3", 5), &rid), 0);
	ck_assert_uint_eq(rid, 12);
	ck_assert_int_eq(esa_first_rid(span_make("", 0), &rid), -1);
	ck_assert_int_eq(esa_first_rid(span_make("x", 1), &rid), -1);
	ck_assert_int_eq(esa_first_rid(span_make("99999999999", 11), &rid), -1);
	ck_assert_int_eq(esa_first_rid(span_none(), &rid), -1);
	ck_assert_uint_eq(rid, 12);
}
END_TEST

static uint64_t mask_of(const char *s)
{
	return esa_rid_mask(span_make(s, strlen(s)));
}

START_TEST(test_rid_mask)
{
	ck_assert_uint_eq(mask_of("0"), 1);
	ck_assert_uint_eq(mask_of("0, 4"), 0x11);
	ck_assert_uint_eq(mask_of(" 2 ,  63,x,,"), (UINT64_C(1) << 63) | 4);
	ck_assert_uint_eq(mask_of("64, 000000000000000000000000001"), 2); /* 64 has no bit */
	ck_assert_uint_eq(mask_of("7x, 9999999999999999999999, 3"), (1u << 7) | (1u << 3));
	ck_assert_uint_eq(mask_of(""), 0);
	ck_assert_uint_eq(esa_rid_mask(span_none()), 0);
}
END_TEST

/* The mask has the bit of every item esa_first_rid reads below 64, and no other. */
START_TEST(test_rid_mask_agrees_with_first_rid)
{
	static const char alphabet[] = "0123456789 ,x";
	char buf[24];
	srand(42);
	for (int n = 0; n < 20000; n++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));
		uint64_t want = 0;
		for (size_t i = 0; i < len; i++)
			buf[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		for (size_t i = 0; i < len;) {
			size_t j = i;
			uint32_t rid;
			while (j < len && buf[j] != ',')
				j++;
			if (esa_first_rid(span_make(buf + i, j - i), &rid) == 0 && rid < 64)
				want |= UINT64_C(1) << rid;
			i = j + 1;
		}
		ck_assert_uint_eq(esa_rid_mask(span_make(buf, len)), want);
	}
}
END_TEST

static Suite *esa_suite(void)
{
	Suite *s = suite_create("esa");
	TCase *tc = tcase_create("shapes");
	tcase_add_loop_test(tc, test_inbound, 0, N(inbound));
	tcase_add_loop_test(tc, test_outbound, 0, N(outbound));
	tcase_add_loop_test(tc, test_messages, 0, N(messages));
	tcase_add_loop_test(tc, test_unclassified, 0, N(unclassified));
	suite_add_tcase(s, tc);

	tc = tcase_create("variants");
	tcase_add_loop_test(tc, test_case_variants, 0, N(case_variants));
	tcase_add_loop_test(tc, test_double_spaces, 0, N(double_spaces));
	tcase_add_loop_test(tc, test_missing_parts, 0, N(missing_parts));
	tcase_add_test(tc, test_trailing_space);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_loop_test(tc, test_numbers, 0, N(numbers));
	tcase_add_loop_test(tc, test_not_tls, 0, N(not_tls));
	tcase_add_loop_test(tc, test_hostile, 0, N(hostile));
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_test(tc, test_null_and_empty);
	tcase_add_test(tc, test_long_lines);
	tcase_add_loop_test(tc, test_truncation, 0, N(truncations));
	tcase_add_test(tc, test_random_edits);
	tcase_add_test(tc, test_unclassified_is_blank);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_kind_names);
	tcase_add_test(tc, test_first_rid);
	tcase_add_test(tc, test_rid_mask);
	tcase_add_test(tc, test_rid_mask_agrees_with_first_rid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(esa_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
