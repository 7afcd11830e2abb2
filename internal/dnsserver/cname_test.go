package dnsserver

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/errtest"
	"outlast/internal/model"
)

// TestSteeredCNAMEAnswers: a service's CNAME answers every type at its
// name as an authoritative server answers a CNAME, following the chain
// into the names served here; a service with no resolved address answers
// SERVFAIL for its type alone.
func TestSteeredCNAMEAnswers(t *testing.T) {
	ts := startServer(t, staticSnapshot(t), Options{})
	const (
		ok       = "NOERROR aa=true tc=false\n"
		servfail = "SERVFAIL aa=false tc=false\n"
		cdn      = "an cdn.example.test. 60 IN CNAME edge.cdn-a.test.\n"
		incdn    = "an incdn.example.test. 60 IN CNAME www.example.test.\n"
		toflat   = "an toflat.example.test. 60 IN CNAME flat.example.test.\n"
	)
	cases := []struct {
		name  string
		qtype uint16
		want  string
	}{
		// Out of the zones: the CNAME alone, for every type, AA set; it
		// replaced the static A at its name.
		{"cdn.example.test.", dns.TypeA, ok + cdn},
		{"cdn.example.test.", dns.TypeAAAA, ok + cdn},
		{"cdn.example.test.", dns.TypeMX, ok + cdn},
		{"cdn.example.test.", dns.TypeTXT, ok + cdn},
		{"cdn.example.test.", dns.TypeCNAME, ok + cdn},
		{"cdn.example.test.", dns.TypeANY, ok + cdn},
		{"CdN.ExAmPlE.tEsT.", dns.TypeA, ok + "an CdN.ExAmPlE.tEsT. 60 IN CNAME edge.cdn-a.test.\n"},
		// Into a steered name: the chain, then what the target answers,
		// its static TXT included; qtype CNAME gets the CNAME alone.
		{"incdn.example.test.", dns.TypeA, ok + incdn + "an www.example.test. 30 IN A 192.0.2.1\n"},
		{"incdn.example.test.", dns.TypeAAAA, ok + incdn + "an www.example.test. 30 IN AAAA 2001:db8::1\n"},
		{"incdn.example.test.", dns.TypeTXT, ok + incdn + "an www.example.test. 300 IN TXT \"a steered name keeps its TXT\"\n"},
		{"incdn.example.test.", dns.TypeMX, ok + incdn + "ns example.test. 5 IN SOA ns1.example.test. hostmaster.example.test. 12 3600 600 604800 5\n"},
		{"incdn.example.test.", dns.TypeCNAME, ok + incdn},
		// Into static data and a static chain.
		{"tomail.example.test.", dns.TypeA, ok + "an tomail.example.test. 60 IN CNAME mail.example.test.\nan mail.example.test. 300 IN A 192.0.2.25\n"},
		{"toalias.example.test.", dns.TypeA, ok + "an toalias.example.test. 60 IN CNAME alias.example.test.\n" +
			"an alias.example.test. 300 IN CNAME alias2.example.test.\nan alias2.example.test. 300 IN CNAME Mail.Example.Test.\n" +
			"an Mail.Example.Test. 300 IN A 192.0.2.25\n"},
		// A static CNAME into a steered one, which leaves the zones.
		{"tocdn.example.test.", dns.TypeA, ok + "an tocdn.example.test. 300 IN CNAME cdn.example.test.\n" + cdn},
		// To a missing name in the zone: NXDOMAIN after the CNAME (RFC 6604).
		{"tonowhere.example.test.", dns.TypeA, "NXDOMAIN aa=true tc=false\nan tonowhere.example.test. 60 IN CNAME gone2.example.test.\n" +
			"ns example.test. 5 IN SOA ns1.example.test. hostmaster.example.test. 12 3600 600 604800 5\n"},
		// Into a delegation, or onto a weighted CNAME: the chain stops, so
		// the resolver asks on (and gets the weighting).
		{"tochild2.example.test.", dns.TypeA, ok + "an tochild2.example.test. 60 IN CNAME host.child.example.test.\n"},
		{"towcdn.example.test.", dns.TypeA, ok + "an towcdn.example.test. 60 IN CNAME wcdn.example.test.\n"},
		// Unresolved: SERVFAIL without records for that type only, also
		// at the end of a chain; the AAAA and the static TXT still answer.
		{"flat.example.test.", dns.TypeA, servfail},
		{"flat.example.test.", dns.TypeAAAA, ok + "an flat.example.test. 30 IN AAAA 2001:db8::77\n"},
		{"flat.example.test.", dns.TypeTXT, ok + "an flat.example.test. 300 IN TXT \"flattened\"\n"},
		{"flat.example.test.", dns.TypeMX, ok + "ns example.test. 5 IN SOA ns1.example.test. hostmaster.example.test. 12 3600 600 604800 5\n"},
		{"toflat.example.test.", dns.TypeA, servfail},
		{"toflat.example.test.", dns.TypeAAAA, ok + toflat + "an flat.example.test. 30 IN AAAA 2001:db8::77\n"},
		{"toflat.example.test.", dns.TypeCNAME, ok + toflat},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s/%s", network, c.name, dns.TypeToString[c.qtype]), func(t *testing.T) {
				if got := sections(ts.exchange(t, network, question(c.name, c.qtype))); got != c.want {
					t.Errorf("reply\n%s\nwant\n%s", got, c.want)
				}
			})
		}
	}
}

// nodeOf returns the snapshot's node for a name, failing the test if absent.
func nodeOf(t *testing.T, snap *Snapshot, name string) *node {
	t.Helper()
	w, err := wireName(name)
	if err != nil {
		t.Fatal(err)
	}
	n := snap.names[string(w)]
	if n == nil {
		t.Fatalf("%s is not in the snapshot", name)
	}
	return n
}

// TestWeightedCNAMEFollowsWeights: each pool's CNAME answers in proportion
// to its weight, as model.Answer.PickIndex chooses, each with its own
// chain; a live server hands out both and nothing else.
func TestWeightedCNAMEFollowsWeights(t *testing.T) {
	snap := staticSnapshot(t)
	c := nodeOf(t, snap, "wcdn.example.test.").cname
	counts := map[string]int{}
	for r := range uint64(400) { // 100 cycles of the total weight 4
		counts[present(c.pick(r).target)]++
	}
	if counts["www.example.test."] != 100 || counts["edge.cdn-b.test."] != 300 || len(counts) != 2 {
		t.Errorf("targets over 100 cycles of weight = %v, want 100 www.example.test. and 300 edge.cdn-b.test.", counts)
	}
	var ans model.Answer
	for _, a := range testAnswers() {
		if a.Name == "wcdn.example.test." {
			ans = a
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		r := rng.Uint64()
		if got, want := present(c.pick(r).target), ans.Pools[ans.PickIndex(r)].Target; got != want {
			t.Fatalf("pick(%d) = %s, model picks %s", r, got, want)
		}
	}

	ts := startServer(t, snap, Options{})
	toWWW := "NOERROR aa=true tc=false\nan wcdn.example.test. 60 IN CNAME www.example.test.\nan www.example.test. 30 IN A 192.0.2.1\n"
	toB := "NOERROR aa=true tc=false\nan wcdn.example.test. 60 IN CNAME edge.cdn-b.test.\n"
	seen := map[string]int{}
	for i := range 64 {
		got := sections(ts.exchange(t, networks[i%2], question("wcdn.example.test.", dns.TypeA)))
		if got != toWWW && got != toB {
			t.Fatalf("weighted CNAME reply\n%s\nwant one pool's:\n%s\nor\n%s", got, toWWW, toB)
		}
		seen[got]++
	}
	// Weight 1 of 4 is missed 64 times in a row with odds (3/4)^64, about 1e-8.
	if seen[toWWW] == 0 || seen[toB] == 0 {
		t.Errorf("64 queries saw only one pool: %v", seen)
	}
}

// TestNewSnapshotRejectsCNAME: a service's CNAME where a CNAME may not be,
// or a CNAME answer that is not one, is an error naming the name.
func TestNewSnapshotRejectsCNAME(t *testing.T) {
	cname := func(name, target string) model.Answer {
		return model.Answer{Name: name, Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: target}
	}
	cases := []struct {
		desc   string
		static string // example.test. records
		before []model.Answer
		after  []model.Answer
		errHas string
	}{
		{desc: "at a zone apex", after: []model.Answer{cname("example.test.", "x.test.")},
			errHas: "dnsserver: example.test.: a service's CNAME answer at a zone apex"},
		{desc: "at a nested zone's apex", after: []model.Answer{cname("Sub.Example.Test.", "x.test.")},
			errHas: "dnsserver: sub.example.test.: a service's CNAME answer at a zone apex"},
		{desc: "beside static TXT", static: `t TXT "x"`, after: []model.Answer{cname("t.example.test.", "x.test.")},
			errHas: "dnsserver: t.example.test.: a service's CNAME answer beside other data (static TXT records)"},
		{desc: "beside a service's addresses, placed after them", after: []model.Answer{cname("www.example.test.", "x.test.")},
			errHas: "dnsserver: www.example.test.: a service's CNAME answer beside other data (a service's A answer, a service's AAAA answer)"},
		{desc: "beside a service's addresses, placed before them", before: []model.Answer{cname("www.example.test.", "x.test.")},
			errHas: "dnsserver: www.example.test.: a service's CNAME answer beside other data (a service's A answer, a service's AAAA answer)"},
		{desc: "beside an unresolved service", after: []model.Answer{{Name: "flat.example.test.", Type: model.TypeAAAA, Target: "x.test."}},
			errHas: "a service's CNAME answer beside other data (a service's A answer, a service's AAAA answer)"},
		{desc: "beside nameserver glue", after: []model.Answer{cname("ns1.example.test.", "x.test.")},
			errHas: "dnsserver: ns1.example.test.: a service's CNAME answer beside other data (the zone's nameserver addresses)"},
		{desc: "two services' CNAMEs", after: []model.Answer{cname("cdn.example.test.", "x.test.")},
			errHas: "dnsserver: cdn.example.test. is defined twice"},
		{desc: "below a delegation", static: "d NS ns.other.test.", after: []model.Answer{cname("x.d.example.test.", "x.test.")},
			errHas: "dnsserver: x.d.example.test.: a service's CNAME answer at or below the delegation at d.example.test."},
		{desc: "outside every zone", after: []model.Answer{cname("x.elsewhere.test.", "x.test.")},
			errHas: "dnsserver: x.elsewhere.test. is outside every zone"},
		{desc: "target that is not a name", after: []model.Answer{cname("x.example.test.", "a..b.")},
			errHas: `dnsserver: answer x.example.test.: target "a..b." is not a domain name`},
		{desc: "target and addresses", after: []model.Answer{{Name: "x.example.test.", Type: model.TypeA, Target: "x.test.", Addrs: addrs("192.0.2.1")}},
			errHas: "dnsserver: answer x.example.test.: a CNAME to x.test. cannot also hold addresses"},
		{desc: "target and pools", after: []model.Answer{{Name: "x.example.test.", Type: model.TypeA, Target: "x.test.",
			Pools: []model.WeightedPool{{Endpoint: "a", Weight: 1, Target: "y.test."}}}},
			errHas: "dnsserver: answer x.example.test.: a CNAME to x.test. cannot also hold weighted pools"},
		{desc: "pool of addresses among targets", after: []model.Answer{{Name: "x.example.test.", Type: model.TypeA, Pools: []model.WeightedPool{
			{Endpoint: "a", Weight: 1, Target: "y.test."}, {Endpoint: "b", Weight: 1, Addrs: addrs("192.0.2.1")}}}},
			errHas: `dnsserver: answer x.example.test.: weighted pool of endpoint "b" must hold a target and no addresses`},
		{desc: "unsupported type", after: []model.Answer{{Name: "x.example.test.", Type: "TXT", Target: "x.test."}},
			errHas: "dnsserver: answer x.example.test.: unsupported type"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			answers := append(append(append([]model.Answer(nil), c.before...), testAnswers()...), c.after...)
			recs := staticRecords(t, "example.test.", "$ORIGIN example.test.\n$TTL 300\n"+c.static+"\n")
			_, err := NewSnapshot(testZones(), answers, Static{Records: map[string][]dns.RR{"example.test.": recs}})
			errtest.WantMessage(t, err, c.errHas)
		})
	}
}

// TestCNAMEModesAnswerAsAddresses: a CNAME answer in mode empty or
// unresolved holds nothing to point at; it answers its type NODATA or
// SERVFAIL, as an address answer in that mode does, and other types NODATA.
func TestCNAMEModesAnswerAsAddresses(t *testing.T) {
	answers := []model.Answer{
		{Name: "closed.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeEmpty, Target: "edge.cdn-a.test."},
		{Name: "lost.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeUnresolved, Pools: []model.WeightedPool{
			{Endpoint: "a", Weight: 1, Target: "edge.cdn-a.test."}}},
	}
	snap, err := NewSnapshot(testZones(), answers, Static{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, snap, Options{})
	for _, network := range networks {
		for _, c := range []struct {
			name  string
			qtype uint16
			want  want
		}{
			{"closed.example.test.", dns.TypeA, want{aa: true, authorityTypes: []uint16{dns.TypeSOA}}},
			{"lost.example.test.", dns.TypeA, want{rcode: dns.RcodeServerFailure}},
			{"lost.example.test.", dns.TypeAAAA, want{aa: true, authorityTypes: []uint16{dns.TypeSOA}}},
		} {
			t.Run(network+"/"+c.name+"/"+dns.TypeToString[c.qtype], func(t *testing.T) {
				check(t, ts.exchange(t, network, question(c.name, c.qtype)), c.want)
			})
		}
	}
}
