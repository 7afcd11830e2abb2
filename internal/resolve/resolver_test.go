package resolve

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const alb = "my-alb-123.us-east-1.elb.example.test."

// TestFollowsUpstreamWithinTTL: when the upstream changes a target's
// addresses, Lookup follows within the (1 s) TTL, and Changes fires.
func TestFollowsUpstreamWithinTTL(t *testing.T) {
	u := startUpstream(t)
	u.set(alb, dns.TypeA, alb+" 1 IN A 192.0.2.1")
	r := newResolver(t, fastOptions(u.addr), alb)
	// A and AAAA are asked apart: wait for both, or AAAA may not be back yet.
	res := waitFor(t, r, alb, "first resolution of A and AAAA", func(res Result) bool {
		return hasA("192.0.2.1")(res) && res.AAAA.State != Unresolved
	})
	if res.State != Fresh || res.A.TTL > time.Second || res.A.TTL <= 0 {
		t.Fatalf("after the first answer: %+v, want Fresh with at most the 1 s TTL", res)
	}
	if res.AAAA.State != Empty {
		t.Errorf("AAAA of an IPv4-only target is %s, want empty (NODATA is not an error)", res.AAAA.State)
	}
	drain(r)
	u.set(alb, dns.TypeA, alb+" 1 IN A 192.0.2.2", alb+" 1 IN A 192.0.2.3")
	changed := time.Now()
	waitFor(t, r, alb, "the new addresses", hasA("192.0.2.2", "192.0.2.3"))
	// Refresh is due at 3/4 of the 1 s TTL at the latest; 2 s is generous.
	if took := time.Since(changed); took > 2*time.Second {
		t.Errorf("followed the upstream after %s, want within its 1 s TTL (bound 2 s)", took)
	}
	select {
	case <-r.Changes():
	case <-time.After(5 * time.Second):
		t.Error("no change notification for new addresses")
	}
}

func drain(r *Resolver) {
	select {
	case <-r.Changes():
	default:
	}
}

// TestStaleWhileUpstreamSilentThenUnresolved: when the upstream stops
// answering, Lookup keeps the last good addresses (Stale, with the error)
// until MaxStale past their expiry, never an empty answer; then Unresolved.
func TestStaleWhileUpstreamSilentThenUnresolved(t *testing.T) {
	u := startUpstream(t)
	u.set(alb, dns.TypeA, alb+" 1 IN A 192.0.2.1")
	o := fastOptions(u.addr)
	r := newResolver(t, o, alb)
	waitFor(t, r, alb, "first resolution", hasA("192.0.2.1"))
	u.setMode(0, true)
	stopped := time.Now()
	var sawStale, sawErr bool
	for {
		res := r.Lookup(alb)
		if res.State == Unresolved {
			break
		}
		if !hasA("192.0.2.1")(res) {
			t.Fatalf("%s after the upstream went silent: served %+v, want the last good address", time.Since(stopped), res)
		}
		if res.State == Stale {
			// Until the first refresh times out the result may be
			// stale without an error yet: the lookup is in flight.
			sawStale = true
			sawErr = sawErr || (res.Err() != "" && !res.A.FailingSince.IsZero())
			if res.A.TTL != o.StaleTTL {
				t.Fatalf("stale result without the stale TTL: %+v", res)
			}
		}
		if time.Since(stopped) > 15*time.Second {
			t.Fatalf("still %s 15 s after the upstream went silent, want Unresolved after MaxStale %s", res.State, o.MaxStale)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(stopped)
	if !sawStale || !sawErr || took < o.MaxStale {
		t.Errorf("unresolved %s after the upstream went silent (stale seen: %v, with its error: %v), want stale with the error for at least MaxStale %s", took, sawStale, sawErr, o.MaxStale)
	}
	if res := r.Lookup(alb); len(res.A.Addrs) != 0 || !strings.Contains(res.Err(), "timeout") {
		t.Errorf("unresolved result %+v: want no addresses and the timeout as error", res)
	}
	// The upstream comes back: the name resolves again.
	u.setMode(0, false)
	waitFor(t, r, alb, "recovery", hasA("192.0.2.1"))
}

// TestServfailKeepsLastGood: SERVFAIL and NXDOMAIN from a provider's broken
// DNS keep the last good set, like silence.
func TestServfailKeepsLastGood(t *testing.T) {
	for _, rcode := range []int{dns.RcodeServerFailure, dns.RcodeNameError} {
		t.Run(dns.RcodeToString[rcode], func(t *testing.T) {
			u := startUpstream(t)
			u.set(alb, dns.TypeA, alb+" 1 IN A 192.0.2.1")
			r := newResolver(t, fastOptions(u.addr), alb)
			waitFor(t, r, alb, "first resolution", hasA("192.0.2.1"))
			u.setMode(rcode, false)
			// Stale begins when the TTL ends, before the failing lookup
			// comes back: wait for the failure itself.
			res := waitFor(t, r, alb, "stale with an error", func(res Result) bool { return res.State == Stale && res.Err() != "" })
			if !hasA("192.0.2.1")(res) || !strings.Contains(res.Err(), dns.RcodeToString[rcode]) {
				t.Errorf("got %+v, want the last good address and %s as the error", res, dns.RcodeToString[rcode])
			}
		})
	}
}

// TestTCPOnTruncation: a UDP reply with TC set is asked again over TCP.
func TestTCPOnTruncation(t *testing.T) {
	u := startUpstream(t)
	u.truncUD = true
	u.set(alb, dns.TypeA, alb+" 60 IN A 192.0.2.1")
	r := newResolver(t, fastOptions(u.addr), alb)
	waitFor(t, r, alb, "resolution over TCP", hasA("192.0.2.1"))
	if u.tcpSeen.Load() == 0 {
		t.Error("resolved without any TCP question")
	}
}

// TestNextServerOnFailure: a dead first server and a SERVFAIL second one
// are passed over for the third.
func TestNextServerOnFailure(t *testing.T) {
	broken, good := startUpstream(t), startUpstream(t)
	broken.setMode(dns.RcodeServerFailure, false)
	good.set(alb, dns.TypeA, alb+" 60 IN A 192.0.2.1")
	dead := closedUDP(t)
	r := newResolver(t, fastOptions(dead, broken.addr, good.addr), alb)
	waitFor(t, r, alb, "resolution through the third server", hasA("192.0.2.1"))
}

func closedUDP(t *testing.T) string {
	u := startUpstream(t)
	u.setMode(0, true)
	return u.addr
}

// TestHostileUpstreamStaysBounded: a thousand addresses, a CNAME loop and
// absurd TTLs are cut to MaxAddrs, refused, and clamped.
func TestHostileUpstreamStaysBounded(t *testing.T) {
	u := startUpstream(t)
	var huge []string
	for i := range 1000 {
		huge = append(huge, fmt.Sprintf("%s 4294967295 IN A 10.0.%d.%d", alb, i/256, i%256))
	}
	u.set(alb, dns.TypeA, huge...)
	const loop = "loop.cdn.example.test."
	u.set(loop, dns.TypeA, loop+" 60 IN CNAME b.cdn.example.test.", "b.cdn.example.test. 60 IN CNAME "+loop)
	const zero = "zero.cdn.example.test."
	u.set(zero, dns.TypeA, zero+" 0 IN A 192.0.2.9")
	o := fastOptions(u.addr)
	o.MaxTTL, o.MaxAddrs = time.Minute, 16
	r := newResolver(t, o, alb, loop, zero)
	res := waitFor(t, r, alb, "resolution", func(res Result) bool { return res.State == Fresh })
	if len(res.A.Addrs) != 16 || res.A.TTL > time.Minute {
		t.Errorf("huge answer kept %d addresses with TTL %s, want 16 and at most MaxTTL 1m", len(res.A.Addrs), res.A.TTL)
	}
	res = waitFor(t, r, loop, "the loop refused", func(res Result) bool { return res.A.Err != "" })
	if res.State != Unresolved || !strings.Contains(res.A.Err, "loop") {
		t.Errorf("CNAME loop: %+v, want Unresolved saying loop", res)
	}
	res = waitFor(t, r, zero, "resolution", func(res Result) bool { return res.State == Fresh })
	if res.A.TTL <= 0 || res.A.TTL > o.MinTTL {
		t.Errorf("TTL 0 served as %s, want clamped up to MinTTL %s", res.A.TTL, o.MinTTL)
	}
}

// TestSetAndLookup: names are canonical, unwatched names say so, bad names
// and too many names are refused, and Results lists what is watched.
func TestSetAndLookup(t *testing.T) {
	o := fastOptions("127.0.0.1:9")
	o.MaxNames = 2
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"A.Example.TEST", "b.example.test."}); err != nil {
		t.Fatal(err)
	}
	if res := r.Lookup("a.example.test"); res.Name != "a.example.test." || res.State != Unresolved || res.Err() != "" {
		t.Errorf("watched, not yet resolved: %+v", res)
	}
	if res := r.Lookup("c.example.test"); res.State != Unresolved || !strings.Contains(res.Err(), "not watched") {
		t.Errorf("unwatched: %+v", res)
	}
	if err := r.Set([]string{"192.0.2.1"}); err == nil || !strings.Contains(err.Error(), "IP address") {
		t.Errorf("an IP as a target: %v", err)
	}
	if err := r.Set([]string{"a.test", "b.test", "c.test"}); err == nil {
		t.Error("three names accepted over MaxNames 2")
	}
	var names []string
	for _, res := range r.Results() {
		names = append(names, res.Name)
	}
	if !slices.Equal(names, []string{"a.example.test.", "b.example.test."}) {
		t.Errorf("Results lists %v after refused Sets", names)
	}
}

func TestNewServers(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 192.0.2.53\nnameserver 2001:db8::53\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{ResolvConf: conf})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Servers(); !slices.Equal(got, []string{"192.0.2.53:53", "[2001:db8::53]:53"}) {
		t.Errorf("servers from resolv.conf: %v", got)
	}
	for _, bad := range [][]string{{"dns.example.test:53"}, {"192.0.2.53"}} {
		if _, err := New(Options{Servers: bad}); err == nil {
			t.Errorf("server %v accepted", bad)
		}
	}
	if _, err := New(Options{ResolvConf: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing resolv.conf accepted")
	}
}
