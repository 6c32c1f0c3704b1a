package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/detourhq/detour"
)

// refusedRange is a block of addresses a webhook may not reach unless
// private networks are allowed, and why.
type refusedRange struct {
	prefix netip.Prefix
	why    string
}

// refusedRanges lists the special-purpose blocks of the IANA IPv4 and IPv6
// registries that are not globally reachable. IPv4-mapped IPv6 addresses are
// unmapped first; NAT64 and 6to4 addresses are judged by the IPv4 address
// they carry.
var refusedRanges = func() []refusedRange {
	list := []struct{ cidr, why string }{
		{"0.0.0.0/8", "unspecified"},
		{"10.0.0.0/8", "private"},
		{"100.64.0.0/10", "shared address space (CGNAT)"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private"},
		{"192.0.0.0/24", "IETF protocol assignment"},
		{"192.0.2.0/24", "documentation"},
		{"192.88.99.0/24", "6to4 relay anycast"},
		{"192.168.0.0/16", "private"},
		{"198.18.0.0/15", "benchmarking"},
		{"198.51.100.0/24", "documentation"},
		{"203.0.113.0/24", "documentation"},
		{"224.0.0.0/4", "multicast"},
		{"240.0.0.0/4", "reserved"}, // includes 255.255.255.255, broadcast
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"::/96", "IPv4-compatible (deprecated)"},
		{"64:ff9b:1::/48", "local-use NAT64"},
		{"100::/64", "discard-only"},
		{"2001::/23", "IETF protocol assignment"},
		{"2001:db8::/32", "documentation"},
		{"3fff::/20", "documentation"},
		{"fc00::/7", "private (unique local)"},
		{"fe80::/10", "link-local"},
		{"fec0::/10", "site-local"},
		{"ff00::/8", "multicast"},
	}
	out := make([]refusedRange, len(list))
	for i, r := range list {
		out[i] = refusedRange{netip.MustParsePrefix(r.cidr), r.why}
	}
	return out
}()

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// refused says why a webhook may not connect to a, or "" when it may.
func refused(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64Prefix.Contains(a):
			a = netip.AddrFrom4([4]byte(b[12:16]))
		case sixToFour.Contains(a):
			a = netip.AddrFrom4([4]byte(b[2:6]))
		}
	}
	for _, r := range refusedRanges {
		if r.prefix.Contains(a.WithZone("")) {
			return r.why
		}
	}
	if a.Zone() != "" {
		return "scoped (has a zone)"
	}
	return ""
}

// BlockedError says that a webhook was not sent, or an endpoint URL not
// accepted, because its host is or resolves to an address that is refused
// while webhooks.allow_private_networks is off.
type BlockedError struct {
	Host string     // the host name as given, or the address
	Addr netip.Addr // the refused address
	Why  string     // "loopback", "private", "link-local" ...
}

func (e *BlockedError) Error() string {
	what := e.Addr.String()
	if e.Host != "" && e.Host != what {
		what = fmt.Sprintf("%s (%s)", e.Host, e.Addr)
	}
	return fmt.Sprintf("%s is a %s address; webhooks to private networks are off (webhooks.allow_private_networks)", what, e.Why)
}

// resolveTimeout bounds the DNS look-up of ValidateURL.
const resolveTimeout = 5 * time.Second

// ValidateURL checks an endpoint URL when it is registered: absolute, http
// or https, with a host; and unless allowPrivate, a host that is not (and
// does not resolve to) a refused address. The error is a *detour.Error
// on field "url" whose message says why: code url_not_allowed for a refused
// address, invalid_request for anything else.
//
// Passing here does not make a URL safe for good: DNS can change, so the
// client checks every address again when it connects.
func ValidateURL(raw string, allowPrivate bool) error {
	u, err := parseURL(raw)
	if err != nil {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "url", "%s", err)
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if why := refused(a); why != "" {
			return detour.FieldErrorf(detour.CodeURLNotAllowed, "url", "%s", &BlockedError{Addr: a, Why: why})
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "url", "the host %q does not resolve", host)
	}
	for _, a := range addrs {
		if why := refused(a); why != "" {
			return detour.FieldErrorf(detour.CodeURLNotAllowed, "url", "%s", &BlockedError{Host: host, Addr: a.Unmap(), Why: why})
		}
	}
	return nil
}

// parseURL accepts absolute http and https URLs with a host. Its errors
// never quote the URL, which may carry credentials or tokens.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the URL does not parse")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, fmt.Errorf("the URL's scheme must be http or https")
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("the URL has no host")
	}
	return u, nil
}

// ValidateCallbackURL checks a message's callback_url as the message is
// accepted: its form, and unless allowPrivate, that its host is not a
// refused address or a localhost name. It does not resolve names (that
// would slow every send down); the client checks every address it
// connects to. Errors are on field "callback_url".
func ValidateCallbackURL(raw string, allowPrivate bool) error {
	u, err := parseURL(raw)
	if err != nil {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "callback_url", "%s", err)
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); err == nil {
		if why := refused(a); why != "" {
			return detour.FieldErrorf(detour.CodeURLNotAllowed, "callback_url", "%s", &BlockedError{Addr: a, Why: why})
		}
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return detour.FieldErrorf(detour.CodeURLNotAllowed, "callback_url",
			"localhost is a loopback name; webhooks to private networks are off (webhooks.allow_private_networks)")
	}
	return nil
}
