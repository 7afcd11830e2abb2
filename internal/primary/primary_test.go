package primary

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/model"
)

var (
	t0  = time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	eps = []string{"pg-use1", "pg-usc1", "pg-euw1"}
)

func view(health map[string]model.Health, failback bool) View {
	v := View{Failback: failback, Now: t0}
	for i, n := range eps {
		v.Endpoints = append(v.Endpoints, Endpoint{Name: n, Priority: i + 1, Health: health[n]})
	}
	return v
}

// unjudged is health with the endpoints named not judged yet.
func unjudged(health map[string]model.Health, names ...string) map[string]model.Health {
	for _, n := range names {
		health[n] = model.Unknown
	}
	return health
}

func up(names ...string) map[string]model.Health {
	m := map[string]model.Health{}
	for _, n := range eps {
		m[n] = model.Down
	}
	for _, n := range names {
		m[n] = model.Up
	}
	return m
}

// mustApply applies cmd, failing the test on a refusal.
func mustApply(t *testing.T, rec Record, cmd Command, rules ...Rule) Record {
	t.Helper()
	next, err := Apply(rec, cmd, eps, rules)
	if err != nil {
		t.Fatalf("%+v: %v", cmd, err)
	}
	return next
}

// TestPromotionInTwoSteps: the name moves only once the hook ran; the old
// primary is demoted; a rerun hook's report changes nothing.
func TestPromotionInTwoSteps(t *testing.T) {
	rec := mustApply(t, Record{}, Command{Kind: Promote, Candidate: "pg-use1", Epoch: 1, Who: Auto, At: t0})
	if rec.Answered() != "" || rec.Pending == nil {
		t.Fatalf("after Promote: answered %q, pending %v; want nothing answered until the hook ran", rec.Answered(), rec.Pending)
	}
	rec = mustApply(t, rec, Command{Kind: Promoted, Epoch: 1, At: t0})
	cmd, ok := Decide(rec, view(up("pg-usc1", "pg-euw1"), false))
	if !ok || cmd.Candidate != "pg-usc1" || cmd.Epoch != 2 {
		t.Fatalf("primary down: Decide = %+v %v; want pg-usc1 at epoch 2", cmd, ok)
	}
	rec = mustApply(t, rec, cmd)
	if rec.Answered() != "pg-use1" {
		t.Errorf("while pg-usc1's hook runs the name answers %q; want still pg-use1", rec.Answered())
	}
	rec = mustApply(t, rec, Command{Kind: Promoted, Epoch: 2, At: t0})
	again := mustApply(t, rec, Command{Kind: Promoted, Epoch: 2, At: t0.Add(time.Second)})
	if rec.Answered() != "pg-usc1" || rec.Epoch != 2 || !slices.Equal(rec.Demoted, []string{"pg-use1"}) || !equal(again, rec) {
		t.Errorf("after the hook: %+v (again: %+v); want pg-usc1 at epoch 2, pg-use1 demoted, the rerun a no-op", rec, again)
	}
}

func equal(a, b Record) bool {
	return a.Primary == b.Primary && a.Epoch == b.Epoch && slices.Equal(a.Demoted, b.Demoted) && a.Since.Equal(b.Since) &&
		(a.Pending == nil) == (b.Pending == nil)
}

// TestRefusals: stale epochs, a second promotion, unknown endpoints and
// reports of promotions that are not pending change nothing.
func TestRefusals(t *testing.T) {
	rec := mustApply(t, Record{}, Command{Kind: Promote, Candidate: "pg-use1", Epoch: 1, Who: Auto})
	for _, c := range []struct {
		cmd  Command
		want error
	}{
		{Command{Kind: Promote, Candidate: "pg-usc1", Epoch: 2}, ErrBusy},
		{Command{Kind: Promoted, Epoch: 5}, ErrNoPending},
		{Command{Kind: Abandon, Epoch: 3}, ErrNoPending},
	} {
		if got, err := Apply(rec, c.cmd, eps, nil); !errors.Is(err, c.want) || !equal(got, rec) {
			t.Errorf("%+v: %v, want %v and the record unchanged", c.cmd, err, c.want)
		}
	}
	rec = mustApply(t, rec, Command{Kind: Abandon, Epoch: 1})
	for _, c := range []struct {
		cmd  Command
		want error
	}{
		{Command{Kind: Promote, Candidate: "pg-usc1", Epoch: 1}, ErrStaleEpoch}, // epoch 1 was used
		{Command{Kind: Promote, Candidate: "nope", Epoch: 2}, ErrUnknown},
	} {
		if _, err := Apply(rec, c.cmd, eps, nil); !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.cmd, err, c.want)
		}
	}
}

// TestRules: a gate that is off stops every change from starting, an
// assertion refuses a primary outside its set; break glass passes both,
// with a reason only, and the promotion it started completes.
func TestRules(t *testing.T) {
	rec := mustApply(t, mustApply(t, Record{}, Command{Kind: Promote, Candidate: "pg-use1", Epoch: 1, Who: Auto}), Command{Kind: Promoted, Epoch: 1})
	frozen := []Rule{Gate{RuleName: "maintenance", On: false}, AnsweredAmong{RuleName: "us-only", Endpoints: []string{"pg-use1", "pg-usc1"}}}
	auto, _ := Decide(rec, view(up("pg-usc1"), false))
	if _, err := Apply(rec, auto, eps, frozen); !errors.Is(err, ErrRule) || !contains(err, "maintenance") {
		t.Errorf("automatic failover with the gate off: %v; want refused by maintenance", err)
	}
	operator := Command{Kind: Promote, Candidate: "pg-usc1", Epoch: 2, Who: "alice", Reason: "planned switchover"}
	if _, err := Apply(rec, operator, eps, frozen); !contains(err, "maintenance") {
		t.Errorf("an operator's promotion with the gate off: %v; want refused by maintenance", err)
	}
	open := frozen[1:]
	outside := Command{Kind: Promote, Candidate: "pg-euw1", Epoch: 2, Who: "alice", Reason: "us regions down"}
	if _, err := Apply(rec, outside, eps, open); !contains(err, "us-only") {
		t.Errorf("promoting outside the assertion's set: %v; want refused by us-only when it starts", err)
	}
	glass := outside
	glass.BreakGlass = true
	pending := mustApply(t, rec, glass, frozen...)
	if done, err := Apply(pending, Command{Kind: Promoted, Epoch: 2}, eps, frozen); err != nil || done.Primary != "pg-euw1" {
		t.Errorf("completing the break-glass promotion: %+v, %v; want pg-euw1 primary", done, err)
	}
	glass.Reason = ""
	if _, err := Apply(rec, glass, eps, frozen); err == nil {
		t.Error("break glass without a reason passed the rules")
	}
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

// TestDecide: who the leader proposes, and when it proposes nothing.
func TestDecide(t *testing.T) {
	at := func(primary string, demoted ...string) Record {
		return Record{Primary: primary, Epoch: 3, Demoted: demoted}
	}
	for _, c := range []struct {
		name     string
		rec      Record
		health   map[string]model.Health
		failback bool
		want     string // "" for no proposal
	}{
		{"first election: the preferred up", Record{}, up("pg-usc1", "pg-euw1"), false, "pg-usc1"},
		{"first election: nobody up", Record{}, up(), false, ""},
		{"first election waits while one is unjudged", Record{}, unjudged(up("pg-usc1", "pg-euw1"), "pg-use1"), false, ""},
		{"later failovers do not wait for the unjudged", at("pg-use1"), unjudged(up("pg-euw1"), "pg-usc1"), false, "pg-euw1"},
		{"primary up: nothing", at("pg-usc1"), up("pg-use1", "pg-usc1"), false, ""},
		{"primary down: the next up by priority", at("pg-use1"), up("pg-usc1", "pg-euw1"), false, "pg-usc1"},
		{"primary down, nobody up: keep it", at("pg-use1"), up(), false, ""},
		{"a demoted one is no candidate without failback", at("pg-usc1", "pg-use1"), up("pg-use1"), false, ""},
		{"with failback it is", at("pg-usc1", "pg-use1"), up("pg-use1"), true, "pg-use1"},
		{"failback moves back to the preferred", at("pg-usc1", "pg-use1"), up("pg-use1", "pg-usc1"), true, "pg-use1"},
		{"no failback: stay", at("pg-usc1", "pg-use1"), up("pg-use1", "pg-usc1"), false, ""},
		{"pending: wait for the hook", Record{Primary: "pg-use1", Epoch: 4, Pending: &Promotion{Candidate: "pg-usc1", Epoch: 4}}, up("pg-usc1"), false, ""},
	} {
		cmd, ok := Decide(c.rec, view(c.health, c.failback))
		if got := cmd.Candidate; ok != (c.want != "") || got != c.want || (ok && cmd.Epoch != c.rec.Epoch+1) {
			t.Errorf("%s: Decide = %+v %v, want %q at epoch %d", c.name, cmd, ok, c.want, c.rec.Epoch+1)
		}
	}
}

// TestProperties plays random sequences of verdicts, leader decisions,
// operator commands (some breaking glass), hook outcomes, hooks rerun
// after a leader change and a deposed leader's late proposals, and checks
// after every step: at most one endpoint answered and only one of the
// service's; epochs never go down; no epoch is promoted twice, and none to
// two candidates; every rule holds after every command, unless the last
// change started by breaking glass.
func TestProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gate := rapid.Bool().Draw(t, "gate")
		rules := []Rule{Gate{RuleName: "gate", On: gate}, AnsweredAmong{RuleName: "among", Endpoints: eps[:2]}}
		health := up(eps...)
		failback := rapid.Bool().Draw(t, "failback")
		var rec Record
		promotedTo := map[uint64]string{}
		// glassed: the record comes from a promotion that broke glass, so
		// the rules need not hold until a change that did not starts.
		glassed := false
		for step := range rapid.IntRange(1, 60).Draw(t, "steps") {
			now := t0.Add(time.Duration(step) * time.Second)
			var cmd Command
			switch rapid.IntRange(0, 8).Draw(t, "event") {
			case 0: // a verdict changes
				n := rapid.SampledFrom(eps).Draw(t, "endpoint")
				health[n] = rapid.SampledFrom([]model.Health{model.Up, model.Down}).Draw(t, "health")
				continue
			case 1: // the leader decides
				v := view(health, failback)
				v.Now = now
				var ok bool
				if cmd, ok = Decide(rec, v); !ok {
					continue
				}
			case 2: // an operator promotes
				cmd = Command{Kind: Promote, Candidate: rapid.SampledFrom(eps).Draw(t, "candidate"), Epoch: rec.Epoch + 1,
					Who: "alice", At: now, BreakGlass: rapid.Bool().Draw(t, "glass"), Reason: "drill"}
			case 3, 4: // the hook of the pending promotion reports
				if rec.Pending == nil {
					continue
				}
				cmd = Command{Kind: Promoted, Epoch: rec.Pending.Epoch, At: now}
				if rapid.IntRange(0, 3).Draw(t, "failed") == 0 {
					cmd.Kind = Abandon
				}
			case 5: // a new leader reruns the last hook and reports it again
				cmd = Command{Kind: Promoted, Epoch: rec.Epoch, At: now}
			case 6: // a deposed leader's late proposal, at an epoch already used
				stale := uint64(rapid.IntRange(0, int(min(rec.Epoch, 2))).Draw(t, "behind"))
				cmd = Command{Kind: Promote, Candidate: rapid.SampledFrom(eps).Draw(t, "candidate"), Epoch: rec.Epoch - stale, Who: Auto, At: now}
			case 7: // an on_demote hook reports (sometimes a new leader's rerun)
				cmd = Command{Kind: Fenced, Candidate: rapid.SampledFrom(eps).Draw(t, "fenced"), Epoch: rec.Epoch, At: now}
			case 8: // the role checks elect someone (a service that follows)
				v := view(health, false)
				v.Now = now
				var ok bool
				if cmd, ok, _ = Follow(rec, v); !ok {
					continue
				}
			}
			before := rec
			next, err := Apply(rec, cmd, eps, rules)
			if err != nil {
				if !equal(next, before) {
					t.Fatalf("a refused %+v changed the record: %+v → %+v", cmd, before, next)
				}
				continue
			}
			rec = next
			if cmd.Kind == Promote || cmd.Kind == Adopt {
				glassed = cmd.BreakGlass
			}
			checkRecord(t, before, rec, cmd, rules, promotedTo, glassed)
		}
	})
}

func checkRecord(t *rapid.T, before, rec Record, cmd Command, rules []Rule, promotedTo map[uint64]string, glassed bool) {
	if rec.Primary != "" && !slices.Contains(eps, rec.Primary) {
		t.Fatalf("answers %q, not an endpoint of the service", rec.Primary)
	}
	if rec.PrimaryEpoch > rec.Epoch || (rec.Primary != "") != (rec.PrimaryEpoch > 0) ||
		(rec.Primary != before.Primary) != (rec.PrimaryEpoch != before.PrimaryEpoch) {
		t.Fatalf("the primary's own epoch %d does not follow it: %+v → %+v after %+v", rec.PrimaryEpoch, before, rec, cmd)
	}
	if rec.Epoch < before.Epoch {
		t.Fatalf("epoch went down: %d → %d after %+v", before.Epoch, rec.Epoch, cmd)
	}
	if slices.Contains(rec.ToFence(), rec.Primary) || (rec.Pending != nil && slices.Contains(rec.ToFence(), rec.Pending.Candidate)) {
		t.Fatalf("would fence %v, among them the primary or the candidate: %+v", rec.ToFence(), rec)
	}
	if rec.Pending != nil && rec.Pending.Epoch != rec.Epoch {
		t.Fatalf("pending at epoch %d while the record is at %d", rec.Pending.Epoch, rec.Epoch)
	}
	if rec.Primary != before.Primary {
		if prev, seen := promotedTo[rec.Epoch]; seen && prev != rec.Primary {
			t.Fatalf("epoch %d promoted %s and then %s", rec.Epoch, prev, rec.Primary)
		} else if seen {
			t.Fatalf("epoch %d promoted twice", rec.Epoch)
		}
		promotedTo[rec.Epoch] = rec.Primary
	}
	if !glassed {
		for _, r := range rules {
			if !r.Allows(before, rec, cmd) {
				t.Fatalf("rule %s broken by %+v: %+v → %+v", r.Name(), cmd, before, rec)
			}
		}
	}
}

func TestFollow(t *testing.T) {
	for _, c := range []struct {
		name      string
		primary   string
		health    map[string]model.Health
		want      string
		claimants []string
	}{
		{"first claimant adopted", "", up("pg-usc1"), "pg-usc1", nil},
		{"the role moved", "pg-use1", up("pg-usc1"), "pg-usc1", nil},
		{"nobody claims: keep", "pg-use1", up(), "", nil},
		{"the primary claims: nothing to do", "pg-use1", up("pg-use1"), "", nil},
		{"two claim: keep the last agreed, name them", "pg-use1", up("pg-use1", "pg-usc1"), "", []string{"pg-use1", "pg-usc1"}},
		{"two others claim: keep it still", "pg-use1", up("pg-usc1", "pg-euw1"), "", []string{"pg-usc1", "pg-euw1"}},
	} {
		rec := Record{Primary: c.primary, Epoch: 3}
		cmd, ok, claimants := Follow(rec, view(c.health, false))
		if ok != (c.want != "") || cmd.Candidate != c.want || !slices.Equal(claimants, c.claimants) {
			t.Errorf("%s: Follow = %+v %v %v, want %q, claimants %v", c.name, cmd, ok, claimants, c.want, c.claimants)
			continue
		}
		if ok {
			next, err := Apply(rec, cmd, eps, nil)
			if err != nil || next.Primary != c.want || next.Epoch != 4 || next.Pending != nil || len(next.Fencing) > 0 {
				t.Errorf("%s: adopting gives %+v, %v; want %s primary at epoch 4 at once, nobody to fence", c.name, next, err, c.want)
			}
		}
	}
}

func TestFencing(t *testing.T) {
	rec := Record{Primary: "pg-use1", Epoch: 1}
	step := func(cmd Command) {
		t.Helper()
		next, err := Apply(rec, cmd, eps, nil)
		if err != nil {
			t.Fatalf("%+v: %v", cmd, err)
		}
		rec = next
	}
	step(Command{Kind: Promote, Candidate: "pg-usc1", Epoch: 2, Who: Auto})
	if got := rec.ToFence(); len(got) != 0 {
		t.Fatalf("fenced %v before the promotion completed; want nobody yet", got)
	}
	step(Command{Kind: Promoted, Epoch: 2})
	if got := rec.ToFence(); !slices.Equal(got, []string{"pg-use1"}) {
		t.Fatalf("ToFence = %v after the promotion, want the former primary", got)
	}
	// An operator makes the former primary primary again before its
	// on_demote ran: it must not be demoted under its own promotion.
	step(Command{Kind: Promote, Candidate: "pg-use1", Epoch: 3, Who: "alice", Reason: "back"})
	if got := rec.ToFence(); len(got) != 0 {
		t.Fatalf("ToFence = %v while pg-use1's promotion is pending, want nobody", got)
	}
	step(Command{Kind: Promoted, Epoch: 3})
	if got := rec.ToFence(); !slices.Equal(got, []string{"pg-usc1"}) || slices.Contains(rec.Fencing, "pg-use1") {
		t.Fatalf("ToFence = %v, fencing %v: want pg-usc1 only", got, rec.Fencing)
	}
	step(Command{Kind: Fenced, Candidate: "pg-usc1", Epoch: 3})
	step(Command{Kind: Fenced, Candidate: "pg-usc1", Epoch: 3}) // a new leader reports it again
	if len(rec.Fencing) != 0 {
		t.Fatalf("fencing %v after Fenced, want empty", rec.Fencing)
	}
}

func TestStranded(t *testing.T) {
	at := func(primary string, demoted ...string) Record {
		return Record{Primary: primary, Epoch: 3, PrimaryEpoch: 3, Demoted: demoted}
	}
	for _, c := range []struct {
		name   string
		rec    Record
		health map[string]model.Health
		want   string
	}{
		{"primary up", at("pg-use1"), up("pg-use1"), ""},
		{"a candidate exists", at("pg-use1"), up("pg-usc1"), ""},
		{"nobody up", at("pg-use1"), up(), "primary pg-use1 is down and no other endpoint is up"},
		{"only a former primary up", at("pg-usc1", "pg-use1"), up("pg-use1"), "only former primaries (pg-use1) are up"},
		{"before any election", Record{}, up(), ""},
		{"pending", Record{Primary: "pg-use1", Epoch: 4, Pending: &Promotion{Candidate: "pg-usc1", Epoch: 4}}, up(), ""},
	} {
		got := Stranded(c.rec, view(c.health, false))
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: Stranded = %q, want %q", c.name, got, c.want)
		}
	}
}
