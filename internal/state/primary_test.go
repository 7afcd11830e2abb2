package state

import (
	"errors"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/primary"
)

// sharedPrimary is shared's service as a policy primary service with a
// gate and an assertion rule over its first two endpoints.
func sharedPrimary(endpoints ...string) *config.Shared {
	s := shared(endpoints...)
	svc := &s.Services[0]
	svc.Policy = config.PolicyPrimary
	svc.Primary = config.ServicePrimary{Mode: config.PrimaryElect, Failback: config.FailbackManual,
		MoveDNS: config.MoveAfterPromote, Gates: []string{"maint"},
		Rules: []config.PrimaryRule{{Name: "in-cluster", AnsweredAmong: endpoints[:min(2, len(endpoints))]}}}
	return s
}

const svcName = "api.example.test."

func change(at time.Duration, c primary.Command) Command {
	c.At = t0.Add(at)
	return Command{Kind: ChangePrimary, At: c.At, Who: c.Who, Primary: &PrimaryChange{Service: svcName, Change: c}}
}

func answered(s *State) []string {
	var out []string
	for _, e := range s.Services(t0)[0].Endpoints {
		out = append(out, e.Name)
	}
	return out
}

func TestPrimaryPromotionMovesTheNameAfterItsHook(t *testing.T) {
	s := New()
	mustApply := func(cmd Command) {
		t.Helper()
		if err := s.Apply(s.Index+1, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Kind, err)
		}
	}
	mustApply(Command{Kind: SetConfig, At: t0, Config: sharedPrimary("a", "b", "c"), ConfigHash: "p1"})
	if got := answered(s); len(got) != 0 {
		t.Fatalf("answers %v before any election; want nothing", got)
	}
	mustApply(change(time.Second, primary.Command{Kind: primary.Adopt, Candidate: "a", Epoch: 1, Who: primary.Auto}))
	mustApply(change(2*time.Second, primary.Command{Kind: primary.Promote, Candidate: "b", Epoch: 2, Who: primary.Auto, Reason: "a is down"}))
	if got := answered(s); len(got) != 1 || got[0] != "a" {
		t.Fatalf("answers %v while b's promotion waits for its hook; want a alone", got)
	}
	mustApply(change(3*time.Second, primary.Command{Kind: primary.Promoted, Epoch: 2, Who: primary.Auto}))
	if got := answered(s); len(got) != 1 || got[0] != "b" {
		t.Fatalf("answers %v after the hook reported; want b alone", got)
	}
	if last := s.Events[len(s.Events)-1]; last.Kind != "primary-promoted" || last.Endpoint != "b" {
		t.Fatalf("last event %+v: want primary-promoted naming b", last)
	}
	if rec := s.Primaries[svcName]; rec.Epoch != 2 || len(rec.ToFence()) != 1 || rec.ToFence()[0] != "a" {
		t.Fatalf("record %+v: want epoch 2 and a to fence", rec)
	}
	// A rerun hook's second report changes nothing and adds no event.
	events := len(s.Events)
	mustApply(change(4*time.Second, primary.Command{Kind: primary.Promoted, Epoch: 2, Who: primary.Auto}))
	if len(s.Events) != events {
		t.Errorf("a repeated report added events: %v", s.Events[events:])
	}
}

func TestGatesHoldAndGlassBreaks(t *testing.T) {
	s := New()
	apply := func(cmd Command) error { return s.Apply(s.Index+1, cmd) }
	_ = apply(Command{Kind: SetConfig, At: t0, Config: sharedPrimary("a", "b", "c"), ConfigHash: "p1"})
	_ = apply(change(time.Second, primary.Command{Kind: primary.Adopt, Candidate: "a", Epoch: 1, Who: primary.Auto}))
	if err := apply(Command{Kind: SetGate, At: t0, Who: "alice", Gate: &GateChange{Name: "maint"}}); err == nil {
		t.Fatal("a gate turned off without a reason was accepted")
	}
	if err := apply(Command{Kind: SetGate, At: t0, Who: "alice", Why: "x", Gate: &GateChange{Name: "nope"}}); err == nil {
		t.Fatal("a gate no service names was accepted")
	}
	if err := apply(Command{Kind: SetGate, At: t0, Who: "alice", Why: "upgrade", Gate: &GateChange{Name: "maint"}}); err != nil || s.GateOn("maint") {
		t.Fatalf("turning the gate off: %v, on %v", err, s.GateOn("maint"))
	}
	auto := change(2*time.Second, primary.Command{Kind: primary.Promote, Candidate: "b", Epoch: 2, Who: primary.Auto, Reason: "a is down"})
	if err := apply(auto); err != nil {
		t.Fatalf("a held automatic change is recorded, not failed: %v", err)
	}
	rec := s.Primaries[svcName]
	if rec.Pending != nil || rec.Epoch != 1 || !strings.Contains(rec.Held, "gate maint") {
		t.Fatalf("record %+v: want nothing pending, epoch 1, held naming gate maint", rec)
	}
	if last := s.Events[len(s.Events)-1]; last.Kind != "primary-held" || !strings.Contains(last.Detail, "gate maint") {
		t.Fatalf("last event %+v: want primary-held naming the gate", last)
	}
	events := len(s.Events)
	_ = apply(auto)
	if len(s.Events) != events {
		t.Errorf("the same hold was recorded twice: %v", s.Events[events:])
	}
	// The assertion rule refuses an operator's change outside it, unless
	// the operator breaks glass with a reason.
	op := change(3*time.Second, primary.Command{Kind: primary.Promote, Candidate: "c", Epoch: 2, Who: "alice", Reason: "drill"})
	if err := apply(op); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "in-cluster") {
		t.Fatalf("promoting c outside rule in-cluster: %v; want a refusal naming the rule", err)
	}
	op.Primary.Change.BreakGlass = true
	if err := apply(op); err != nil {
		t.Fatalf("breaking glass: %v", err)
	}
	if last := s.Events[len(s.Events)-1]; last.Kind != "primary-break-glass" || last.Who != "alice" || last.Why != "drill" {
		t.Fatalf("last event %+v: want primary-break-glass by alice because drill", last)
	}
}

func TestPrimaryRecordsGoWithTheirService(t *testing.T) {
	s := applyAll(t, []Command{
		{Kind: SetConfig, At: t0, Config: sharedPrimary("a", "b"), ConfigHash: "p1"},
		change(time.Second, primary.Command{Kind: primary.Adopt, Candidate: "a", Epoch: 1, Who: primary.Auto}),
		setConfig(time.Minute, "f1", "a", "b"),
	})
	if len(s.Primaries) != 0 {
		t.Fatalf("primaries %v kept after the service became failover", s.Primaries)
	}
	if err := s.Apply(9, change(time.Second, primary.Command{Kind: primary.Adopt, Candidate: "a", Epoch: 1, Who: primary.Auto})); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a primary change for a failover service: %v, want ErrInvalid", err)
	}
}

// TestRotateCookies: the first secret is current at once; each later one
// is staged as next, and the staged one becomes current, the current one
// previous: a secret is accepted a whole rotation before it is used.
func TestRotateCookies(t *testing.T) {
	s := New()
	a, b, c := "000102030405060708090a0b0c0d0e0f", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	want := []CookieSecrets{{Current: a}, {Current: a, Next: b}, {Current: b, Previous: a, Next: c}}
	for i, secret := range []string{a, b, c} {
		if err := s.Apply(uint64(i+1), Command{Kind: RotateCookies, At: t0, Cookie: secret}); err != nil {
			t.Fatal(err)
		}
		got := *s.Cookies
		got.At = time.Time{}
		if got != want[i] {
			t.Errorf("after rotation %d: %+v, want %+v", i+1, got, want[i])
		}
	}
	if err := s.Apply(4, Command{Kind: RotateCookies, At: t0, Cookie: "short"}); err == nil || s.Cookies.Current != b {
		t.Errorf("a bad secret: %v, state %+v; want refused and unchanged", err, s.Cookies)
	}
}
