package zonediff

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Server is one authoritative server under comparison.
type Server struct {
	Name string // as the report names it: "knot", "outlast"
	Addr string // host:port, for UDP and TCP alike
}

// Transport is how a question is asked.
type Transport string

// The transports every question is asked over.
const (
	UDP       Transport = "udp"     // EDNS0, 1232-byte buffer, as resolvers ask today
	TCP       Transport = "tcp"     // EDNS0 over TCP
	UDPNoEDNS Transport = "udp-512" // no EDNS: the classic 512-byte limit, where TC matters
)

// Transports lists the transports Compare uses, in order.
var Transports = []Transport{UDP, TCP, UDPNoEDNS}

// Allowance is a deliberate difference between the reference and the
// server under test. Normalize rewrites each server's answer to a question
// the same way (it is called on both), so what the allowance covers no
// longer counts; everything else is still compared.
type Allowance struct {
	Name      string                    // short, as the report names it
	Reason    string                    // why the difference is meant to be there
	Normalize func(q Query, m *dns.Msg) // rewrites m in place
}

// Difference is one way two answers to one question differ.
type Difference struct {
	Query     Query
	Transport Transport
	Field     string // rcode, flags, question, answer, authority, additional, edns, exchange
	Ref, Got  string // what the reference said, what the server under test said
}

// Result is the outcome of a comparison.
type Result struct {
	Ref, Got    Server
	Exchanges   int            // questions asked of each server
	Differences []Difference   // in the order asked
	Used        map[string]int // allowance name → answers it changed
}

// Compare asks ref and got every question over every transport and
// compares their answers after applying allow. A question a server does
// not answer is a difference too, not an error: the report shows it beside
// the others.
func Compare(ref, got Server, queries []Query, allow []Allowance) Result {
	res := Result{Ref: ref, Got: got, Used: map[string]int{}}
	for _, q := range queries {
		for _, tr := range Transports {
			res.Exchanges++
			a, errA := exchange(ref.Addr, q, tr)
			b, errB := exchange(got.Addr, q, tr)
			if errA != nil || errB != nil {
				res.Differences = append(res.Differences, Difference{q, tr, "exchange", errText(errA), errText(errB)})
				continue
			}
			for _, al := range allow {
				changedA := normalize(al, q, a)
				changedB := normalize(al, q, b) // both, always: no short circuit
				if changedA || changedB {
					res.Used[al.Name]++
				}
			}
			for _, d := range diff(a, b) {
				d.Query, d.Transport = q, tr
				res.Differences = append(res.Differences, d)
			}
		}
	}
	return res
}

// normalize applies al to m and says whether m changed.
func normalize(al Allowance, q Query, m *dns.Msg) bool {
	before := m.String()
	al.Normalize(q, m)
	return m.String() != before
}

func errText(err error) string {
	if err == nil {
		return "answered"
	}
	return err.Error()
}

// exchange asks addr q over tr, retrying UDP once: loopback does not lose
// packets, but a busy test machine can be slow to answer.
func exchange(addr string, q Query, tr Transport) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.Name, q.Type)
	m.RecursionDesired = false
	if tr != UDPNoEDNS {
		m.SetEdns0(1232, false)
	}
	net := "udp"
	if tr == TCP {
		net = "tcp"
	}
	c := &dns.Client{Net: net, Timeout: 5 * time.Second, UDPSize: 1232}
	var err error
	for range 2 {
		var r *dns.Msg
		if r, _, err = c.Exchange(m, addr); err == nil {
			return r, nil
		}
	}
	return nil, err
}

// diff compares two answers to the same question field by field.
func diff(a, b *dns.Msg) []Difference {
	var out []Difference
	add := func(field, x, y string) {
		if x != y {
			out = append(out, Difference{Field: field, Ref: x, Got: y})
		}
	}
	add("rcode", dns.RcodeToString[a.Rcode], dns.RcodeToString[b.Rcode])
	add("flags", flags(a), flags(b))
	add("question", fmt.Sprint(a.Question), fmt.Sprint(b.Question))
	add("edns", edns(a), edns(b))
	for _, s := range []struct {
		field string
		a, b  []dns.RR
	}{{"answer", a.Answer, b.Answer}, {"authority", a.Ns, b.Ns}, {"additional", a.Extra, b.Extra}} {
		if missing, extra := SetDiff(records(s.a), records(s.b)); len(missing)+len(extra) > 0 {
			add(s.field, strings.Join(missing, "\n"), strings.Join(extra, "\n"))
		}
	}
	return out
}

// flags are the header bits an authoritative answer is judged by.
func flags(m *dns.Msg) string {
	var f []string
	for _, b := range []struct {
		on   bool
		name string
	}{{m.Authoritative, "aa"}, {m.Truncated, "tc"}, {m.RecursionAvailable, "ra"}} {
		if b.on {
			f = append(f, b.name)
		}
	}
	return "[" + strings.Join(f, " ") + "]"
}

// edns is what the answer's OPT record says that depends on the question,
// not on the server: whether there is one, its version and DO bit. The
// buffer size each server advertises is its own setting and is not compared.
func edns(m *dns.Msg) string {
	opt := m.IsEdns0()
	if opt == nil {
		return "none"
	}
	return fmt.Sprintf("version %d do=%t", opt.Version(), opt.Do())
}

// records are the section's records as text, OPT left out (see edns).
func records(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
		}
	}
	slices.Sort(out)
	return out
}

// SetDiff returns what a holds and b lacks, and what b holds and a lacks.
func SetDiff(a, b []string) (missing, extra []string) {
	for _, x := range a {
		if !slices.Contains(b, x) {
			missing = append(missing, x)
		}
	}
	for _, y := range b {
		if !slices.Contains(a, y) {
			extra = append(extra, y)
		}
	}
	return missing, extra
}

// ZeroSOASerial is an Allowance's Normalize for servers whose serials
// differ by design: it sets the serial of every SOA in m to 0.
func ZeroSOASerial(_ Query, m *dns.Msg) {
	for _, s := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range s {
			if soa, ok := rr.(*dns.SOA); ok {
				soa.Serial = 0
			}
		}
	}
}

// LowerCaseNames is an Allowance's Normalize for servers that write the
// zone's names in different case: it lower-cases the owner of every record
// in m and the names inside NS, CNAME, MX, SRV, PTR and SOA data. The
// question, where a resolver's DNS 0x20 check looks, is left as it is.
func LowerCaseNames(_ Query, m *dns.Msg) {
	for _, s := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range s {
			h := rr.Header()
			h.Name = strings.ToLower(h.Name)
			switch rr := rr.(type) {
			case *dns.NS:
				rr.Ns = strings.ToLower(rr.Ns)
			case *dns.CNAME:
				rr.Target = strings.ToLower(rr.Target)
			case *dns.MX:
				rr.Mx = strings.ToLower(rr.Mx)
			case *dns.SRV:
				rr.Target = strings.ToLower(rr.Target)
			case *dns.PTR:
				rr.Ptr = strings.ToLower(rr.Ptr)
			case *dns.SOA:
				rr.Ns, rr.Mbox = strings.ToLower(rr.Ns), strings.ToLower(rr.Mbox)
			}
		}
	}
}
