// Package loopback is the one rule, shared by the Transport and the
// providers' base URLs, for which hosts may be sent credentials over plain
// http: hosts that name this machine without asking the network.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host (without a port) names this machine: the name
// localhost (in any case, with or without the trailing dot) or a loopback IP
// address (127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6).
//
// Names under .localhost are not loopback here, although RFC 6761 section
// 6.3 reserves them for it: it asks resolvers to answer them with a
// loopback address without a query, and Go's resolver does not (nor does
// glibc without systemd-resolved), so such a name goes to DNS, and a DNS
// answer would decide where a credential goes in clear.
func Host(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
