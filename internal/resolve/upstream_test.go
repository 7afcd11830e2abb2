package resolve

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/dnstest"
)

// upstream is a real DNS server on loopback, UDP and TCP on one port,
// standing in for the recursive resolver a node asks. The test changes
// its answers, makes it fail or go silent.
type upstream struct {
	addr string
	mu   sync.Mutex
	// zone maps "name type" to the records answered, in presentation form.
	zone    map[string][]string
	rcode   int  // answered instead of the zone when not 0
	silent  bool // answer nothing, like a provider's DNS that is down
	truncUD bool // answer every UDP question with TC set and no records
	tcpSeen atomic.Int64
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{zone: map[string][]string{}}
	u.addr = dnstest.Serve(t, dns.HandlerFunc(u.serve))
	return u
}

// set makes name answer records (presentation form) for qtype.
func (u *upstream) set(name string, qtype uint16, records ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.zone[fmt.Sprintf("%s %d", dns.Fqdn(name), qtype)] = records
}

func (u *upstream) setMode(rcode int, silent bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.rcode, u.silent = rcode, silent
}

func (u *upstream) serve(w dns.ResponseWriter, q *dns.Msg) {
	u.mu.Lock()
	rcode, silent, trunc := u.rcode, u.silent, u.truncUD
	records := u.zone[fmt.Sprintf("%s %d", dns.CanonicalName(q.Question[0].Name), q.Question[0].Qtype)]
	u.mu.Unlock()
	if silent {
		return
	}
	m := new(dns.Msg)
	m.SetRcode(q, rcode)
	m.RecursionAvailable = true
	overUDP := w.LocalAddr().Network() == "udp"
	if !overUDP {
		u.tcpSeen.Add(1)
	}
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	if overUDP && (trunc || m.Len() > 1232) {
		m.Answer, m.Truncated = nil, true
	}
	_ = w.WriteMsg(m)
}

// run starts r.Run and stops it when the test ends, failing the test if
// Run does not return promptly.
func run(t *testing.T, r *Resolver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10 s of its context ending")
		}
	})
}

// fastOptions are bounds short enough for a test in real time.
func fastOptions(servers ...string) Options {
	return Options{Servers: servers, Timeout: 300 * time.Millisecond, MinTTL: time.Second, MaxTTL: time.Hour, MaxStale: 3 * time.Second, StaleTTL: time.Second}
}

// waitFor polls Lookup(name) until ok holds, failing after a generous bound.
func waitFor(t *testing.T, r *Resolver, name, what string, ok func(Result) bool) Result {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res := r.Lookup(name)
		if ok(res) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never happened within 15 s; last result %+v", name, what, res)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasA(want ...string) func(Result) bool {
	return func(res Result) bool {
		got, _ := res.Addrs(dns.TypeA)
		return slices.Equal(addrStrings(got), want)
	}
}

func newResolver(t *testing.T, o Options, names ...string) *Resolver {
	t.Helper()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set(names); err != nil {
		t.Fatal(err)
	}
	run(t, r)
	return r
}
