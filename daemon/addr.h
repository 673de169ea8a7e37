/* Socket addresses in the forms the daemon reads and writes: "IP:PORT" or "[IPv6]:PORT"
 * (numeric only: a name would need DNS at start-up and reload), the 16-byte form the allow-list
 * compares (cidr.h), and the text of a sender's address. */
#ifndef ESATLSD_ADDR_H
#define ESATLSD_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Enough for "[" IPv6 "]:" PORT and a NUL. */
#define ADDR_TEXT_MAX 56

/* Parses len bytes of "IP:PORT" or "[IPv6]:PORT" into *ss and *sl. Returns 0, or -1. */
int addr_parse(const char *text, size_t len, struct sockaddr_storage *ss, socklen_t *sl);

/* True when a and b are the same family, address and port. */
int addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* "127.0.0.1:9514" or "[::1]:9514"; "?" for another family. */
void addr_format(const struct sockaddr *sa, char *buf, size_t size);

/* The address as 16 bytes, IPv4 as IPv4-mapped IPv6 (cidr_addr_from_bytes); zeros for another
 * family. */
void addr_to_cidr_form(const struct sockaddr_storage *ss, uint8_t out[16]);

/* The address without its port; IPv4-mapped IPv6 shown as IPv4; "?" when it cannot be shown. */
void addr_host_text(const struct sockaddr_storage *ss, char *buf, size_t size);

#endif
