package xfr

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"
)

// secondary is a real miekg DNS server on loopback that records the
// NOTIFYs it receives and answers those answer(n, serial) approves.
type secondary struct {
	addr netip.AddrPort
	mu   sync.Mutex
	got  []uint32 // serial of each NOTIFY received, in order
}

func startSecondary(t *testing.T, tsig map[string]string, answer func(n int, serial uint32) (reply bool, rcode int)) *secondary {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &secondary{addr: netip.MustParseAddrPort(pc.LocalAddr().String())}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Opcode != dns.OpcodeNotify || len(r.Answer) != 1 {
			return
		}
		if tsig != nil && (r.IsTsig() == nil || w.TsigStatus() != nil) {
			return // a keyed secondary ignores unsigned or badly signed NOTIFY
		}
		serial := r.Answer[0].(*dns.SOA).Serial
		s.mu.Lock()
		s.got = append(s.got, serial)
		n := len(s.got)
		s.mu.Unlock()
		reply, rcode := answer(n, serial)
		if !reply {
			return
		}
		m := new(dns.Msg)
		m.SetRcode(r, rcode)
		if t := r.IsTsig(); t != nil {
			m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
		}
		_ = w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, TsigSecret: tsig, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s
}

func (s *secondary) received() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.got...)
}

// results collects Notifier results for a test to wait on.
type results struct{ ch chan Result }

func newResults() results { return results{ch: make(chan Result, 16)} }

func (r results) wait(t *testing.T, what string) Result {
	t.Helper()
	select {
	case res := <-r.ch:
		return res
	case <-time.After(20 * time.Second):
		t.Fatalf("no NOTIFY result within 20s: %s", what)
		return Result{}
	}
}

func TestNotifierRetriesUntilAnsweredThenStops(t *testing.T) {
	noLeaks(t)
	sec := startSecondary(t, nil, func(n int, _ uint32) (bool, int) { return n == 3, dns.RcodeSuccess })
	res := newResults()
	n := NewNotifier(NotifierConfig{
		Targets:         []Target{{Addr: sec.addr}},
		InitialInterval: 50 * time.Millisecond, MaxInterval: 200 * time.Millisecond,
		OnResult: func(r Result) { res.ch <- r },
	})
	n.Notify(soaRR("Example.", 42))
	r := res.wait(t, "the secondary answers the third NOTIFY")
	if r.Err != nil || r.Tries != 3 || r.Serial != 42 || r.Zone != "example." || r.Target != sec.addr {
		t.Errorf("result %+v, want acknowledged on the 3rd try for example. serial 42", r)
	}
	time.Sleep(500 * time.Millisecond) // more than two retry intervals: a NOTIFY after the answer would show
	if got := sec.received(); len(got) != 3 {
		t.Errorf("the secondary received %d NOTIFYs (%v), want 3: retries must stop once answered", len(got), got)
	}
	_ = n.Close()
}

func TestNotifierGivesUpAfterMaxTries(t *testing.T) {
	noLeaks(t)
	sec := startSecondary(t, nil, func(int, uint32) (bool, int) { return false, 0 })
	res := newResults()
	n := NewNotifier(NotifierConfig{
		Targets:         []Target{{Addr: sec.addr}},
		InitialInterval: 20 * time.Millisecond, MaxInterval: 40 * time.Millisecond, MaxTries: 4,
		OnResult: func(r Result) { res.ch <- r },
	})
	defer n.Close()
	n.Notify(soaRR("example.", 1))
	r := res.wait(t, "giving up")
	if !errors.Is(r.Err, ErrNotifyUnanswered) || r.Tries != 4 {
		t.Errorf("result %+v, want ErrNotifyUnanswered after 4 tries", r)
	}
	if got := sec.received(); len(got) != 4 {
		t.Errorf("secondary received %d NOTIFYs, want 4", len(got))
	}
}

func TestNotifierStopsOnRefused(t *testing.T) {
	noLeaks(t)
	sec := startSecondary(t, nil, func(int, uint32) (bool, int) { return true, dns.RcodeRefused })
	res := newResults()
	n := NewNotifier(NotifierConfig{Targets: []Target{{Addr: sec.addr}}, InitialInterval: 20 * time.Millisecond, OnResult: func(r Result) { res.ch <- r }})
	defer n.Close()
	n.Notify(soaRR("example.", 1))
	r := res.wait(t, "REFUSED")
	if !errors.Is(r.Err, ErrNotifyRejected) || r.Tries != 1 || r.Rcode != dns.RcodeRefused {
		t.Errorf("result %+v, want ErrNotifyRejected (REFUSED) after 1 try", r)
	}
}

// A newer serial replaces the pending one at once, not after the current
// backoff interval (30 s here, beyond the test's 20 s wait), and the older
// serial is never sent again.
func TestNotifierNewerSerialSupersedes(t *testing.T) {
	noLeaks(t)
	first := make(chan struct{}, 1)
	sec := startSecondary(t, nil, func(_ int, serial uint32) (bool, int) {
		if serial == 1 {
			select {
			case first <- struct{}{}:
			default:
			}
			return false, 0
		}
		return true, dns.RcodeSuccess
	})
	res := newResults()
	n := NewNotifier(NotifierConfig{Targets: []Target{{Addr: sec.addr}}, InitialInterval: 30 * time.Second, OnResult: func(r Result) { res.ch <- r }})
	defer n.Close()
	n.Notify(soaRR("example.", 1))
	select {
	case <-first:
	case <-time.After(20 * time.Second):
		t.Fatal("the first NOTIFY never arrived")
	}
	n.Notify(soaRR("example.", 2))
	n.Notify(soaRR("example.", 1)) // older than pending: ignored
	r := res.wait(t, "serial 2 answered without waiting out serial 1's backoff")
	if r.Err != nil || r.Serial != 2 {
		t.Errorf("result %+v, want serial 2 acknowledged", r)
	}
	if got := sec.received(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("secondary received serials %v, want [1 2]", got)
	}
}

func TestNotifierSignsWithTSIG(t *testing.T) {
	noLeaks(t)
	const secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	sec := startSecondary(t, map[string]string{"knot-key.": secret}, func(int, uint32) (bool, int) { return true, dns.RcodeSuccess })
	res := newResults()
	n := NewNotifier(NotifierConfig{
		Targets:         []Target{{Addr: sec.addr, KeyName: "Knot-Key", Key: Key{Algorithm: dns.HmacSHA256, Secret: secret}}},
		InitialInterval: 50 * time.Millisecond,
		OnResult:        func(r Result) { res.ch <- r },
	})
	defer n.Close()
	n.Notify(soaRR("example.", 9))
	if r := res.wait(t, "signed NOTIFY"); r.Err != nil || r.Tries != 1 {
		t.Errorf("result %+v, want a signed NOTIFY acknowledged at once", r)
	}
}

// Close ends NOTIFYs under way promptly, reports nothing for them, and
// makes Notify a no-op.
func TestNotifierCloseStopsPending(t *testing.T) {
	noLeaks(t)
	sec := startSecondary(t, nil, func(int, uint32) (bool, int) { return false, 0 })
	res := newResults()
	n := NewNotifier(NotifierConfig{Targets: []Target{{Addr: sec.addr}}, InitialInterval: time.Minute, OnResult: func(r Result) { res.ch <- r }})
	n.Notify(soaRR("example.", 1))
	n.Notify(soaRR("example.org.", 1))
	done := make(chan struct{})
	go func() { _ = n.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return within 20s while a NOTIFY waited for a 1-minute retry")
	}
	n.Notify(soaRR("example.", 2))
	select {
	case r := <-res.ch:
		t.Errorf("a result after Close: %+v", r)
	default:
	}
}

// noLeaks checks, after every other cleanup (the secondary's shutdown
// included), that the test left no goroutine behind.
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}
