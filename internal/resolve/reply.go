package resolve

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// MaxNameLen is the longest name accepted, in presentation form without the
// final dot (RFC 1035's 255 octets on the wire).
const MaxNameLen = 253

// ErrName is wrapped by every error about a name that cannot be resolved.
var ErrName = errors.New("resolve: bad target name")

// Canonical checks name and returns it lower-cased and fully qualified, the
// form Lookup and Set key names by.
func Canonical(name string) (string, error) {
	n := strings.TrimSuffix(name, ".")
	if n == "" || len(n) > MaxNameLen {
		return "", fmt.Errorf("%w %q: want 1 to %d characters", ErrName, name, MaxNameLen)
	}
	if _, ok := dns.IsDomainName(n); !ok {
		return "", fmt.Errorf("%w %q: not a domain name (labels of 1 to 63 characters)", ErrName, name)
	}
	for _, l := range dns.SplitDomainName(n) {
		if len(l) > 63 {
			return "", fmt.Errorf("%w %q: label %.20q... longer than 63 characters", ErrName, name, l)
		}
	}
	if _, err := netip.ParseAddr(n); err == nil {
		return "", fmt.Errorf("%w %q: an IP address, not a hostname: list it under addresses", ErrName, name)
	}
	return strings.ToLower(dns.Fqdn(n)), nil
}

// ParseReply turns an upstream reply to the question (name, qtype), name in
// Canonical form and qtype A or AAAA, into an Outcome: it follows a CNAME
// chain to the addresses (at most MaxChain links, no loops), keeps at most
// maxAddrs distinct addresses and takes the smallest TTL on the way. It
// trusts the upstream as a recursive resolver: records of other owners
// than the chain's are ignored.
func ParseReply(name string, qtype uint16, m *dns.Msg, maxAddrs int) Outcome {
	if o, bad := checkReply(name, qtype, m); bad {
		return o
	}
	owner, ttl, err := followChain(name, m.Answer)
	if err != nil {
		return Outcome{Kind: Failure, Err: err.Error()}
	}
	if m.Rcode == dns.RcodeNameError {
		return Outcome{Kind: NXDomain, TTL: negativeTTL(m), Err: "NXDOMAIN for " + owner}
	}
	addrs, attl := collect(owner, qtype, m.Answer, maxAddrs)
	if len(addrs) == 0 {
		return Outcome{Kind: NoData, TTL: min(ttl, negativeTTL(m)), Err: fmt.Sprintf("no %s records for %s", dns.TypeToString[qtype], owner)}
	}
	return Outcome{Kind: Addrs, Addrs: addrs, TTL: min(ttl, attl)}
}

// checkReply refuses a reply that answers another question or an rcode
// that is a failure.
func checkReply(name string, qtype uint16, m *dns.Msg) (Outcome, bool) {
	fail := func(format string, a ...any) (Outcome, bool) {
		return Outcome{Kind: Failure, Err: fmt.Sprintf(format, a...)}, true
	}
	if m == nil {
		return fail("no reply")
	}
	if len(m.Question) != 1 || m.Question[0].Qtype != qtype || !strings.EqualFold(m.Question[0].Name, name) {
		return fail("reply to another question than %s %s", name, dns.TypeToString[qtype])
	}
	if m.Truncated {
		return fail("reply truncated")
	}
	if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
		return fail("upstream answered %s", rcodeText(m.Rcode))
	}
	return Outcome{}, false
}

func rcodeText(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("rcode %d", rc)
}

// noTTL stands for "no TTL seen yet"; Policy.Clamp bounds whatever is left.
const noTTL = time.Duration(1<<63 - 1)

// followChain walks CNAMEs from name and returns the owner its addresses
// should have and the smallest CNAME TTL on the way.
func followChain(name string, answer []dns.RR) (string, time.Duration, error) {
	owner, ttl := name, noTTL
	seen := []string{name}
	for {
		cname := findCNAME(owner, answer)
		if cname == nil {
			return owner, ttl, nil
		}
		if len(seen) > MaxChain {
			return "", 0, fmt.Errorf("CNAME chain from %s longer than %d links", name, MaxChain)
		}
		next := strings.ToLower(dns.Fqdn(cname.Target))
		for _, s := range seen {
			if s == next {
				return "", 0, fmt.Errorf("CNAME loop from %s through %s", name, next)
			}
		}
		seen = append(seen, next)
		owner, ttl = next, min(ttl, rrTTL(cname))
	}
}

func findCNAME(owner string, answer []dns.RR) *dns.CNAME {
	for _, rr := range answer {
		if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, owner) {
			return c
		}
	}
	return nil
}

// collect returns at most limit distinct addresses of type qtype owned by
// owner, and their smallest TTL.
func collect(owner string, qtype uint16, answer []dns.RR, limit int) ([]netip.Addr, time.Duration) {
	var addrs []netip.Addr
	ttl := noTTL
	for _, rr := range answer {
		if rr.Header().Rrtype != qtype || !strings.EqualFold(rr.Header().Name, owner) {
			continue
		}
		a, ok := addrOf(rr)
		if !ok {
			continue
		}
		ttl = min(ttl, rrTTL(rr))
		if len(addrs) < limit && !containsAddr(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	return addrs, ttl
}

func addrOf(rr dns.RR) (netip.Addr, bool) {
	switch r := rr.(type) {
	case *dns.A:
		a, ok := netip.AddrFromSlice(r.A.To4())
		return a, ok
	case *dns.AAAA:
		a, ok := netip.AddrFromSlice(r.AAAA.To16())
		return a, ok && !a.Is4In6()
	}
	return netip.Addr{}, false
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, b := range list {
		if a == b {
			return true
		}
	}
	return false
}

// negativeTTL is RFC 2308's: the smaller of the SOA's TTL and its minimum
// field, or 0 when the reply carries no SOA (Policy.Clamp makes that MinTTL).
func negativeTTL(m *dns.Msg) time.Duration {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return min(rrTTL(soa), time.Duration(soa.Minttl)*time.Second)
		}
	}
	return 0
}

func rrTTL(rr dns.RR) time.Duration {
	return time.Duration(rr.Header().Ttl) * time.Second
}
