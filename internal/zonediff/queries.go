package zonediff

import (
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Query is one question: a name and a type.
type Query struct {
	Name string // fully qualified, in the case it is asked with
	Type uint16
}

func (q Query) String() string { return q.Name + " " + dns.TypeToString[q.Type] }

// askedTypes are asked of every name of the zone, whether it holds them or
// not: what resolvers ask of an apex, a host, a delegation and a chain.
var askedTypes = []uint16{
	dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX, dns.TypeNS, dns.TypeSOA,
	dns.TypeTXT, dns.TypeSRV, dns.TypeCAA, dns.TypePTR, dns.TypeDS,
}

// absentTypes are asked of names the zone does not hold.
var absentTypes = []uint16{dns.TypeA, dns.TypeAAAA}

// Queries derives the questions a differential test asks of a zone: every
// (owner name, type) pair of rrs; every name of the zone, empty
// non-terminals included, with the usual types it lacks; absent names below
// every name (below a delegation and below a CNAME too), beside it, and one
// beside the apex outside the zone; and each of those again in mixed case.
// The order is stable, so a failure reads the same each run.
func Queries(apex string, rrs []dns.RR) []Query {
	apex = strings.ToLower(dns.Fqdn(apex))
	var qs []Query
	for _, name := range zoneNames(apex, rrs) {
		for _, t := range askedTypes {
			qs = append(qs, Query{name, t})
		}
	}
	for _, rr := range rrs {
		qs = append(qs, Query{strings.ToLower(rr.Header().Name), rr.Header().Rrtype})
	}
	for _, name := range absentNames(apex, zoneNames(apex, rrs)) {
		for _, t := range absentTypes {
			qs = append(qs, Query{name, t})
		}
	}
	qs = unique(qs)
	for _, q := range slices.Clone(qs) {
		qs = append(qs, Query{MixedCase(q.Name), q.Type})
	}
	return qs
}

// zoneNames are the lower-case owner names of rrs inside apex and the empty
// non-terminals between them and the apex, sorted.
func zoneNames(apex string, rrs []dns.RR) []string {
	seen := map[string]bool{}
	for _, rr := range rrs {
		name := strings.ToLower(rr.Header().Name)
		if !dns.IsSubDomain(apex, name) {
			continue
		}
		for ; !seen[name] && name != apex; name = parent(name) {
			seen[name] = true
		}
		seen[apex] = true
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// absentNames are names no record owns: one below each name, one beside
// each name below the apex, and one beside the apex (outside the zone).
func absentNames(apex string, names []string) []string {
	var out []string
	for _, name := range names {
		out = append(out, "nx."+name)
		label, rest, _ := strings.Cut(name, ".")
		if sibling := "nx-" + label + "." + rest; !slices.Contains(names, sibling) {
			out = append(out, sibling)
		}
	}
	out = append(out, "nx.nx."+apex)
	return out
}

func parent(name string) string {
	if _, rest, ok := strings.Cut(name, "."); ok && rest != "" {
		return rest
	}
	return "."
}

func unique(qs []Query) []Query {
	seen := map[Query]bool{}
	out := qs[:0]
	for _, q := range qs {
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	return out
}

// MixedCase writes name with alternating upper- and lower-case letters, as
// a resolver using DNS 0x20 might ask it.
func MixedCase(name string) string {
	b := []byte(name)
	upper := true
	for i, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			if upper {
				b[i] = c &^ 0x20
			} else {
				b[i] = c | 0x20
			}
			upper = !upper
		}
	}
	return string(b)
}
