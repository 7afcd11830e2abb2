package xfr

import (
	"net/netip"

	"github.com/miekg/dns"
)

// Key is a TSIG key (RFC 8945) shared with a secondary.
type Key struct {
	Algorithm string // a miekg algorithm name such as dns.HmacSHA256 ("hmac-sha256.")
	Secret    string // base64, as in a knot.conf or named.conf key statement
}

// String names the algorithm and never the secret, so a Key (or a Target,
// ACL or TransferZone holding one) printed in a log or an error leaks
// nothing.
func (k Key) String() string { return k.Algorithm + " (secret redacted)" }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// ACL is one rule saying who may transfer a zone, with Knot's semantics
// (knot.conf(5), acl section): the request's source address must lie in one
// of Addresses when Addresses is set, and the request must carry a valid
// TSIG signature by one of Keys when Keys is set; when both are set both
// must hold. A rule with neither allows nobody: unlike Knot, where such a
// rule matches everyone, a transfer rule here must name who it lets in, so a
// config that forgot both cannot publish the zone to the internet.
type ACL struct {
	Addresses []netip.Prefix
	Keys      map[string]Key // TSIG key name (any case, with or without the final dot) → key
}

// Allow reports whether a transfer request matches the rule. remote is the
// request's source address; tsigName is the owner of the request's TSIG
// record ("" when unsigned) and tsigOK whether its signature verified
// (miekg: w.TsigStatus() == nil). A request whose signature failed is never
// allowed, even by an address-only rule: a secondary that signs with a
// wrong key is misconfigured, and RFC 8945 §5.2 answers it with an error.
func (a ACL) Allow(remote netip.Addr, tsigName string, tsigOK bool) bool {
	if tsigName != "" && !tsigOK {
		return false
	}
	if len(a.Addresses) == 0 && len(a.Keys) == 0 {
		return false
	}
	if len(a.Addresses) > 0 && !a.addressMatches(remote) {
		return false
	}
	if len(a.Keys) > 0 && !a.keyMatches(tsigName) {
		return false
	}
	return true
}

func (a ACL) addressMatches(remote netip.Addr) bool {
	if !remote.IsValid() {
		return false
	}
	unmapped := remote.Unmap() // an IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d
	for _, p := range a.Addresses {
		if p.Contains(unmapped) || p.Contains(remote) {
			return true
		}
	}
	return false
}

func (a ACL) keyMatches(tsigName string) bool {
	if tsigName == "" {
		return false
	}
	want := dns.CanonicalName(tsigName)
	for name := range a.Keys {
		if dns.CanonicalName(name) == want {
			return true
		}
	}
	return false
}

// ACLs is a zone's list of transfer rules: a request is allowed when any
// rule allows it (one rule per secondary provider, say). An empty list
// allows nobody.
type ACLs []ACL

// Allow reports whether any rule allows the request (see ACL.Allow).
func (l ACLs) Allow(remote netip.Addr, tsigName string, tsigOK bool) bool {
	for _, a := range l {
		if a.Allow(remote, tsigName, tsigOK) {
			return true
		}
	}
	return false
}

// Secrets returns the rules' keys as miekg's TsigSecret map (canonical key
// name → base64 secret), for the server to verify requests and sign replies.
func (l ACLs) Secrets() map[string]string {
	out := make(map[string]string)
	for _, a := range l {
		for name, k := range a.Keys {
			out[dns.CanonicalName(name)] = k.Secret
		}
	}
	return out
}
