package shiftwatch

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/miekg/dns"
)

// Kind is what one poll of one nameserver got.
type Kind int

// Kinds of poll outcome. Only Answered carries addresses.
const (
	Answered   Kind = iota // NOERROR: an answer, possibly empty (NODATA)
	NXDomain               // the name does not exist
	ServFail               // the server failed (a node catching up, say)
	OtherRcode             // REFUSED, NOTIMP, FORMERR and the rest
	Timeout                // no reply within the query timeout
	Failed                 // a network error, or a reply that cannot be used (truncated even over TCP)
	numKinds
)

var kindNames = [numKinds]string{"answered", "NXDOMAIN", "SERVFAIL", "other rcode", "timeout", "failed"}

func (k Kind) String() string {
	if k < 0 || k >= numKinds {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Answer is the outcome of one poll of one nameserver.
type Answer struct {
	Kind  Kind
	Rcode int          // the reply's code, when there was a reply
	Addrs []netip.Addr // sorted, unique; only when Kind is Answered
	Err   error        // what went wrong, for every Kind but Answered
}

func (a Answer) String() string {
	if a.Kind == Answered {
		return fmt.Sprint(a.Addrs)
	}
	return a.Err.Error()
}

// FromMsg reads a reply: its A and AAAA records when it is NOERROR, its
// kind otherwise. A reply is at most 64 KiB, so the address list is
// bounded by the message (a few thousand records at most).
func FromMsg(r *dns.Msg) Answer {
	switch {
	case r.Truncated:
		return Answer{Kind: Failed, Rcode: r.Rcode, Err: errors.New("truncated reply")}
	case r.Rcode == dns.RcodeNameError:
		return Answer{Kind: NXDomain, Rcode: r.Rcode, Err: errors.New("NXDOMAIN")}
	case r.Rcode == dns.RcodeServerFailure:
		return Answer{Kind: ServFail, Rcode: r.Rcode, Err: errors.New("SERVFAIL")}
	case r.Rcode != dns.RcodeSuccess:
		return Answer{Kind: OtherRcode, Rcode: r.Rcode, Err: fmt.Errorf("rcode %s", rcodeName(r.Rcode))}
	}
	addrs := make([]netip.Addr, 0, len(r.Answer))
	for _, rr := range r.Answer {
		var ip []byte
		switch rr := rr.(type) {
		case *dns.A:
			ip = rr.A.To4()
		case *dns.AAAA:
			ip = rr.AAAA.To16()
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			addrs = append(addrs, a.Unmap())
		}
	}
	return Answer{Kind: Answered, Addrs: normal(addrs)}
}

func rcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprint(rcode)
}

// normal sorts and deduplicates a set of addresses in place.
func normal(addrs []netip.Addr) []netip.Addr {
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Compact(addrs)
}

// merge joins the answers to one poll's queries (A, then AAAA): the first
// failure is the poll's outcome, else the union of the addresses.
func merge(parts []Answer) Answer {
	var all []netip.Addr
	for _, p := range parts {
		if p.Kind != Answered {
			return p
		}
		all = append(all, p.Addrs...)
	}
	return Answer{Kind: Answered, Addrs: normal(all)}
}
