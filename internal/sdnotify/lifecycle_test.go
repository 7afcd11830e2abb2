package sdnotify

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestLifecycleReadyOnlyOnceDNSAnswers follows a member's start under
// systemd: SERVFAIL while it catches up (no READY=1, and a reload then says
// nothing), READY=1 once it answers, RELOADING=1 and READY=1 around a
// reload, STOPPING=1 at the end.
func TestLifecycleReadyOnlyOnceDNSAnswers(t *testing.T) {
	conn, path := listen(t)
	notifier, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	var answering atomic.Bool
	addr := serveDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		if answering.Load() {
			m.SetRcode(r, dns.RcodeRefused)
		}
		_ = w.WriteMsg(m)
	})
	life := Watch(notifier, addr, slog.New(slog.DiscardHandler))

	reloaded := 0
	life.Reload(func() { reloaded++ })
	_ = conn.SetReadDeadline(time.Now().Add(5 * askEvery))
	if n, err := conn.Read(make([]byte, 512)); err == nil {
		t.Fatalf("a notification (%d bytes) before the DNS listener answered anything but SERVFAIL", n)
	}
	if reloaded != 1 {
		t.Fatalf("a reload before readiness ran %d times, want 1", reloaded)
	}

	answering.Store(true)
	if got := receive(t, conn); got != Ready {
		t.Fatalf("got %q once DNS answered, want READY=1", got)
	}
	life.Reload(func() { reloaded++ })
	if got := receive(t, conn); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("got %q at a reload, want RELOADING=1 with MONOTONIC_USEC", got)
	}
	if got := receive(t, conn); got != Ready {
		t.Errorf("got %q after a reload, want READY=1", got)
	}
	life.Stopping()
	if got := receive(t, conn); got != Stopping {
		t.Errorf("got %q at the end, want STOPPING=1", got)
	}
}

// TestLifecycleStoppingBeforeReady: a node stopped while it still holds
// ends the wait and never says READY=1.
func TestLifecycleStoppingBeforeReady(t *testing.T) {
	conn, path := listen(t)
	notifier, _ := New(path)
	addr := serveDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		_ = w.WriteMsg(m)
	})
	life := Watch(notifier, addr, slog.New(slog.DiscardHandler))
	time.Sleep(2 * askEvery)
	life.Stopping()
	if got := receive(t, conn); got != Stopping {
		t.Errorf("got %q, want only STOPPING=1", got)
	}
}

func TestLifecycleWithoutSystemdDoesNothing(t *testing.T) {
	life := Watch(Notifier{}, nil, slog.New(slog.DiscardHandler))
	ran := false
	life.Reload(func() { ran = true })
	life.Stopping()
	if !ran {
		t.Error("Reload did not run the reload without systemd")
	}
}
