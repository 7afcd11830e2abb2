package statuspage

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"outlast/internal/api/apitest"
	"outlast/internal/config"
	"outlast/internal/primary"
	"outlast/internal/state"
)

const (
	dbService   = "db.example.test."
	roleService = "role.example.test."
)

// primarySample is the sample cluster with two policy primary services,
// brought where they are through the state's own commands:
//
//   - db (elected): db-use1 was primary at epoch 1; us-east-1 failed and
//     the leader promoted db-gcp at epoch 2, whose on_promote ran; db-use1's
//     on_demote failed, so it is still being fenced. dave turned the gate
//     "maintenance" off; the assertion rule "stay-in-us" held the leader's
//     next automatic promotion (of db-azure); carol then broke glass to
//     promote db-azure at epoch 3, and that promotion waits for its hook.
//   - role (followed): role-a was adopted at epoch 1; now role-a and role-b
//     both claim the role, and the leader holds the name on role-a.
func primarySample(t testing.TB) *apitest.Backend {
	f := sample(t)
	shared := cloneShared(f.State().Config.Shared)
	db := service(dbService, config.PolicyPrimary,
		endpoint("db-use1", "aws/us-east-1", 1, "192.0.2.31"),
		endpoint("db-gcp", "gcp/us-central1", 2, "192.0.2.32"),
		endpoint("db-azure", "azure/westeurope", 3, "192.0.2.33"))
	db.Primary = config.ServicePrimary{Mode: config.PrimaryElect, Failback: config.FailbackManual, MoveDNS: config.MoveAfterPromote,
		Gates: []string{"maintenance"}, Rules: []config.PrimaryRule{{Name: "stay-in-us", AnsweredAmong: []string{"db-use1", "db-gcp"}}}}
	role := service(roleService, config.PolicyPrimary,
		endpoint("role-a", "aws/us-east-1", 1, "192.0.2.41"),
		endpoint("role-b", "gcp/us-central1", 2, "192.0.2.42"))
	role.Primary = config.ServicePrimary{Mode: config.PrimaryFollow, Failback: config.FailbackManual, MoveDNS: config.MoveAfterPromote}
	shared.Services = append(shared.Services, db, role)
	f.Apply(t, state.Command{Kind: state.SetConfig, At: t0.Add(-50 * time.Minute), Who: "alice", Config: shared, ConfigHash: "d00d"})
	f.Apply(t,
		change(dbService, primary.Command{Kind: primary.Promote, Candidate: "db-use1", Epoch: 1, Who: primary.Auto, Reason: "first election", At: t0.Add(-40 * time.Minute)}),
		change(dbService, primary.Command{Kind: primary.Promoted, Epoch: 1, Who: primary.Auto, At: t0.Add(-40 * time.Minute)}),
		change(dbService, primary.Command{Kind: primary.Promote, Candidate: "db-gcp", Epoch: 2, Who: primary.Auto, Reason: "db-use1 is down by quorum", At: t0.Add(-3 * time.Minute)}),
		hookRun(dbService, state.HookRun{Hook: "on_promote", Endpoint: "db-gcp", Epoch: 2, OK: true, Attempts: 1, Took: 1200 * time.Millisecond, Node: "n-gcp", At: t0.Add(-170 * time.Second)}),
		change(dbService, primary.Command{Kind: primary.Promoted, Epoch: 2, Who: primary.Auto, At: t0.Add(-170 * time.Second)}),
		hookRun(dbService, state.HookRun{Hook: "on_demote", Endpoint: "db-use1", Epoch: 2, Attempts: 4, Took: 31 * time.Second, Node: "n-gcp",
			Error: "exit status 1: ssh: connect to host db-use1 port 22: Connection timed out", At: t0.Add(-2 * time.Minute)}),
		state.Command{Kind: state.SetGate, At: t0.Add(-90 * time.Second), Who: "dave", Why: "database upgrade", Gate: &state.GateChange{Name: "maintenance"}},
		// The leader's own promotion outside the rule: held, not failed.
		change(dbService, primary.Command{Kind: primary.Promote, Candidate: "db-azure", Epoch: 3, Who: primary.Auto, Reason: "db-gcp is down by quorum", At: t0.Add(-60 * time.Second)}),
	)
	if held := f.State().Primaries[dbService].Held; !strings.Contains(held, "stay-in-us") {
		t.Fatalf("the rule did not hold the automatic promotion: held %q", held)
	}
	f.Apply(t,
		change(dbService, primary.Command{Kind: primary.Promote, Candidate: "db-azure", Epoch: 3, Who: "carol", Reason: "us regions both failing",
			BreakGlass: true, At: t0.Add(-30 * time.Second)}),
		change(roleService, primary.Command{Kind: primary.Adopt, Candidate: "role-a", Epoch: 1, Who: primary.Auto, Reason: "role-a claims the role", At: t0.Add(-30 * time.Minute)}),
		state.Command{Kind: state.ReportPrimary, At: t0.Add(-5 * time.Second), Who: "n-gcp", Report: &state.PrimaryReport{Service: roleService,
			Held: "split brain: 2 endpoints claim the role", Claimants: []string{"role-a", "role-b"}}},
	)
	return f
}

func change(service string, c primary.Command) state.Command {
	return state.Command{Kind: state.ChangePrimary, At: c.At, Who: c.Who, Why: c.Reason,
		Primary: &state.PrimaryChange{Service: service, Change: c}}
}

func hookRun(service string, r state.HookRun) state.Command {
	return state.Command{Kind: state.ReportPrimary, At: r.At, Who: r.Node, Report: &state.PrimaryReport{Service: service, Hook: &r}}
}

// card finds the Primaries card of service.
func card(t *testing.T, doc *html.Node, service string) *html.Node {
	t.Helper()
	cards := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "data-primary-service", service) })
	if len(cards) != 1 {
		t.Fatalf("found %d Primaries cards for %q, want 1", len(cards), service)
	}
	return cards[0]
}

// one finds the single element under n with attribute key, whatever its value.
func one(t *testing.T, n *html.Node, key string) *html.Node {
	t.Helper()
	found := findAll(n, func(d *html.Node) bool { _, ok := attr(d, key); return ok })
	if len(found) != 1 {
		t.Fatalf("found %d elements with %s in %.80q, want 1", len(found), key, text(n))
	}
	return found[0]
}

func wantText(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// TestPrimariesSection reads each policy primary service's card: the
// primary, its epoch and since when, the promotion waiting for on_promote
// (who asked, that glass was broken), the former primary still being
// fenced, the held automatic change, the rules and gates, and the last
// run of each hook with a failed one's error.
func TestPrimariesSection(t *testing.T) {
	doc := parse(t, mustBody(t, primarySample(t), "/"))
	headings := findAll(doc, func(n *html.Node) bool { return n.Data == "h2" && hasAttr(n, "id", "h-primaries") })
	if len(headings) != 1 || text(headings[0]) != "Primaries" {
		t.Fatal("the page has no Primaries section")
	}
	db := card(t, doc, dbService)
	wantText(t, "the db card", text(db),
		"db.example.test. mode elect · failback manual · DNS moves after-promote",
		"Primary db-gcp", "Epoch 2 · epoch 3 taken by the promotion of db-azure, waiting for on_promote", "Since 15:27:10 UTC (2 min ago)",
		"stay-in-us: the primary is one of db-use1, db-gcp", "never more than one primary")
	rec := one(t, db, "data-primary")
	if p, _ := attr(rec, "data-primary"); p != "db-gcp" || !hasAttr(rec, "data-epoch", "2") {
		t.Errorf("the db record reads primary %q epoch %v, want db-gcp at its own epoch, 2", p, rec.Attr)
	}

	pending := one(t, db, "data-pending")
	if !hasAttr(pending, "data-pending", "db-azure") || !hasAttr(pending, "data-pending-epoch", "3") {
		t.Errorf("the pending promotion's attributes are %v, want db-azure at 3", pending.Attr)
	}
	wantText(t, "the pending promotion", text(pending),
		"Waiting for on_promote: promoting db-azure at epoch 3; db-gcp stays the primary until the hook succeeds.",
		"Asked by carol at 15:29:30 UTC (30 s ago): “us regions both failing”",
		"break glass the safety rules and gates were passed over")
	if got := text(one(t, db, "data-fencing")); !strings.Contains(got, "Being fenced: db-use1") {
		t.Errorf("the former primary being fenced reads %q", got)
	}
	// The held automatic change was cleared by carol's promotion.
	if held := findAll(db, func(n *html.Node) bool { return hasAttr(n, "class", "alert") }); len(held) != 0 {
		t.Errorf("the db card still shows a hold after a promotion cleared it: %q", text(held[0]))
	}

	gate := one(t, db, "data-gate")
	wantText(t, "the gate", text(gate), "maintenance ! off automatic changes wait", "set by dave at 15:28:30 UTC (1 min ago): “database upgrade”")
	if !hasAttr(one(t, gate, "data-gate-state"), "data-gate-state", "off") {
		t.Error("the gate's state attribute is not off")
	}

	hooks := map[string]string{}
	for _, tr := range findAll(db, func(n *html.Node) bool { _, ok := attr(n, "data-hook"); return ok }) {
		h, _ := attr(tr, "data-hook")
		state, _ := attr(one(t, tr, "data-hook-state"), "data-hook-state")
		hooks[h] = state + " | " + text(tr)
	}
	for h, want := range map[string]string{
		"on_promote": "ok | on_promote db-gcp 2 ✓ ok 1 attempt 1.2 s n-gcp 15:27:10 UTC (2 min ago) none",
		"on_demote": "failed | on_demote db-use1 2 ✗ failed 4 attempts 31 s n-gcp 15:28:00 UTC (2 min ago) " +
			"exit status 1: ssh: connect to host db-use1 port 22: Connection timed out",
	} {
		if hooks[h] != want {
			t.Errorf("hook %s reads %q, want %q", h, hooks[h], want)
		}
	}

	role := card(t, doc, roleService)
	wantText(t, "the role card", text(role), "mode follow", "Primary role-a", "Epoch 1", "Gates none", "no hook has run yet")
	alert := findAll(role, func(n *html.Node) bool { return hasAttr(n, "class", "alert") })
	if len(alert) != 1 {
		t.Fatalf("the split brain shows %d alerts, want 1", len(alert))
	}
	wantText(t, "the split brain alert", text(alert[0]), "Held: split brain: 2 endpoints claim the role",
		"Split brain: role-a, role-b claim the role at once. The name keeps answering the last agreed primary, role-a, never both.")
}

// TestGateHeldShowsAsAlert: an automatic change a gate refuses is an
// alert on the card, in words (not by colour alone), and before the facts.
func TestGateHeldShowsAsAlert(t *testing.T) {
	f := primarySample(t)
	f.Apply(t, change(dbService, primary.Command{Kind: primary.Abandon, Epoch: 3, Who: primary.Auto, At: t0}),
		change(dbService, primary.Command{Kind: primary.Promote, Candidate: "db-use1", Epoch: 4, Who: primary.Auto, Reason: "db-gcp is down by quorum", At: t0}))
	doc := parse(t, mustBody(t, f, "/"))
	db := card(t, doc, dbService)
	alert := one(t, db, "data-held")
	if c, _ := attr(alert, "class"); c != "alert" {
		t.Errorf("the hold is not shown as an alert: class %q", c)
	}
	wantText(t, "the hold", text(alert), "Held: promote of db-use1 held:", "maintenance")
	if len(findAll(db, func(n *html.Node) bool { _, ok := attr(n, "data-pending"); return ok })) != 0 {
		t.Error("an abandoned promotion is still shown as waiting for on_promote")
	}
	if first := findAll(db, func(n *html.Node) bool { return n.Data == "div" || n.Data == "dl" })[0]; first != alert {
		t.Errorf("the hold is not the first thing under the card's heading: %q comes first", text(first))
	}
}

// TestNoPrimariesNoSection: a configuration without policy primary shows no
// Primaries section, not an empty one.
func TestNoPrimariesNoSection(t *testing.T) {
	body := mustBody(t, sample(t), "/")
	if strings.Contains(body, "h-primaries") || strings.Contains(body, "data-primary-service") {
		t.Error("a configuration without a policy primary service shows a Primaries section")
	}
}

// TestPrimariesRefreshLive: the section is part of the live region, so the
// fragment carries it and the page's script swaps it in.
func TestPrimariesRefreshLive(t *testing.T) {
	f := primarySample(t)
	body := mustBody(t, f, FragmentPath)
	if !strings.Contains(body, `data-primary-service="db.example.test."`) || !strings.Contains(body, `data-pending="db-azure"`) {
		t.Fatal("the fragment lacks the Primaries section: it would not refresh live")
	}
	f.Apply(t, change(dbService, primary.Command{Kind: primary.Promoted, Epoch: 3, Who: primary.Auto, At: t0}))
	doc := parse(t, mustBody(t, f, FragmentPath))
	if got, _ := attr(one(t, card(t, doc, dbService), "data-primary"), "data-primary"); got != "db-azure" {
		t.Errorf("after its hook succeeded the fragment shows primary %q, want db-azure", got)
	}
	if got := text(one(t, card(t, doc, dbService), "data-fencing")); !strings.Contains(got, "db-use1, db-gcp") {
		t.Errorf("both former primaries should be fenced now: %q", got)
	}
}

// TestHostilePrimaryIsEscaped: a hold, a hook's error (the user's program
// prints it), a gate's reason and an operator's reason are text on the
// page, never markup.
func TestHostilePrimaryIsEscaped(t *testing.T) {
	const evil = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`
	f := primarySample(t)
	f.Apply(t,
		hookRun(dbService, state.HookRun{Hook: "on_demote", Endpoint: "db-use1", Epoch: 2, Attempts: 1, Node: evil, Error: evil + "</td></tr></table><b>hi</b>", At: t0}),
		state.Command{Kind: state.SetGate, At: t0, Who: evil, Why: evil, Gate: &state.GateChange{Name: "maintenance"}},
		change(dbService, primary.Command{Kind: primary.Abandon, Epoch: 3, Who: primary.Auto, At: t0}),
		change(dbService, primary.Command{Kind: primary.Promote, Candidate: "db-use1", Epoch: 4, Who: evil, Reason: evil, BreakGlass: true, At: t0}),
		state.Command{Kind: state.ReportPrimary, At: t0, Report: &state.PrimaryReport{Service: dbService, Held: evil, Claimants: []string{evil}}},
	)
	body := mustBody(t, f, "/")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img") || strings.Contains(body, "<b>hi") {
		t.Fatalf("hostile text reached the page unescaped:\n%s", body)
	}
	doc := parse(t, body)
	if n := len(findAll(doc, tag("script"))); n != 1 {
		t.Errorf("%d script elements, want only the page's own", n)
	}
	db := card(t, doc, dbService)
	if got, _ := attr(one(t, db, "data-held"), "data-held"); got != evil { // the attribute round-trips exactly
		t.Errorf("data-held %q, want the hold verbatim", got)
	}
	wantText(t, "the hostile db card", text(db), "Held: "+evil, "Split brain: "+evil+" claim the role",
		"set by "+evil, "Asked by "+evil+" at 15:30:00 UTC (0.0 s ago): “"+evil+"”", evil+"</td></tr></table><b>hi</b>")
	var demote *html.Node
	for _, tr := range findAll(db, func(n *html.Node) bool { return hasAttr(n, "data-hook", "on_demote") }) {
		demote = tr
	}
	if demote == nil || !strings.Contains(text(demote), " "+evil+" ") {
		t.Error("the hook's node is not shown as text")
	}
}

// TestHookErrorIsBounded: the page shows at most state.MaxHookOutput runes
// of a hook's error, whatever a snapshot holds, as valid UTF-8.
func TestHookErrorIsBounded(t *testing.T) {
	h := hookOf(t0, state.HookRun{Hook: "on_promote", Error: strings.Repeat("é", 1<<20) + "\xff"})
	if n := len([]rune(h.Error)); n > state.MaxHookOutput+1 || !strings.HasSuffix(h.Error, "…") {
		t.Errorf("a megabyte of hook error became %d runes on the page", n)
	}
	if h := hookOf(t0, state.HookRun{Hook: "on_promote"}); h.Error != "no error recorded" || h.State != "failed" {
		t.Errorf("a failed run without an error reads %q (%s)", h.Error, h.State)
	}
}

// TestPrimaryBeforeAnyElection: a service that has elected nobody yet says
// so rather than showing an empty primary or a zero time.
func TestPrimaryBeforeAnyElection(t *testing.T) {
	f := sample(t)
	shared := cloneShared(f.State().Config.Shared)
	shared.Services = append(shared.Services, service("new.example.test.", config.PolicyPrimary,
		endpoint("new-a", "aws/us-east-1", 1, "192.0.2.51")))
	f.Apply(t, state.Command{Kind: state.SetConfig, At: t0, Who: "alice", Config: shared, ConfigHash: "n3w"})
	c := card(t, parse(t, mustBody(t, f, "/")), "new.example.test.")
	wantText(t, "the new card", text(c), "mode elect", "Primary none yet", "Epoch 0", "Since –", "no hook has run yet")
	if v, _ := attr(one(t, c, "data-primary"), "data-primary"); v != "" {
		t.Errorf("data-primary %q before any election", v)
	}
}
