package statuspage

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// vantageView is one column of the matrix.
type vantageView struct {
	Name, Location string
	// Member is false for a vantage seen only in evidence or observations:
	// a node that left, or one not yet recorded as a member.
	Member bool
}

type serviceView struct {
	Name, Type, Policy, Check string
	// Answer is how endpoints named by hostname are answered (flatten or
	// cname); empty for a service without any.
	Answer string
	// Orders are a geo service's orders of locations per client area.
	Orders   []orderView
	Vantages []vantageView
	Regions  []regionView
	// Columns is the matrix's width: the endpoint, each vantage, the verdict.
	Columns int
}

type regionView struct {
	Location string
	Rows     []rowView
}

type rowView struct {
	Endpoint, Addresses string
	// Target is the hostname of an endpoint named by one (shown instead of
	// Addresses), and TargetState the resolver's state of it when that is
	// not fresh ("stale", "unresolved", "empty"), which the row flags.
	// TargetClass is the page's colour for TargetState.
	Target, TargetState, TargetClass string
	Cells                            []cellView
	Effective                        effectiveView
}

// cellView is one vantage point's last check of one endpoint.
type cellView struct {
	Endpoint, Vantage string
	// State is "up", "down" or "unknown"; Symbol repeats it for the eye.
	State, Symbol string
	// Reason is why the last check failed; empty when it passed.
	Reason, Latency, Age, Detail string
	// Stale is true when the check is too old to vote.
	Stale bool
	// View is the vantage point's judgement after rise/fall when it differs
	// from its last check (rising or falling); empty otherwise.
	View string
}

// effectiveView is the verdict the cluster steers by, with any override.
type effectiveView struct {
	State, Symbol string
	// Votes and Since describe the quorum verdict; empty without one.
	Votes, Since string
	// Verdict is the quorum's own health when a force override hides it.
	Verdict  string
	Override *overrideView
}

type overrideView struct {
	Kind, Who, Why, Until string
}

// seen is the latest that is known of one vantage point's checks of one endpoint.
type seen struct {
	at       time.Time
	result   model.Result
	view     model.Health // after hysteresis; only evidence carries it
	location model.Location
}

// mergeEvidence joins the verdicts' evidence with the latest observations,
// keyed by endpoint then vantage; the newer of the two wins. Verdicts are
// only written when they change, so their evidence may be old while the
// observations are current; observations, in turn, may lack the vantages
// this node cannot reach any more.
func mergeEvidence(st *state.State, obs map[string]map[string]model.Observation) map[string]map[string]seen {
	out := map[string]map[string]seen{}
	put := func(endpoint, vantage string, s seen) {
		if out[endpoint] == nil {
			out[endpoint] = map[string]seen{}
		}
		if cur, ok := out[endpoint][vantage]; ok && !s.at.After(cur.at) {
			return
		}
		out[endpoint][vantage] = s
	}
	for _, v := range st.Verdicts.All() {
		for _, e := range v.Evidence {
			put(v.Endpoint, e.Vantage, seen{at: e.At, result: e.Last, view: e.State, location: e.Location})
		}
	}
	for vantage, byEndpoint := range obs {
		for endpoint, o := range byEndpoint {
			put(endpoint, vantage, seen{at: o.At, result: o.Result})
		}
	}
	return out
}

// vantagesOf lists the matrix's columns: the members first, then any other
// vantage point that evidence or observations name, each group by name.
func vantagesOf(s snapshot) []vantageView {
	var out []vantageView
	known := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(s.state.Members)) {
		known[name] = true
		out = append(out, vantageView{Name: name, Location: s.state.Members[name].Location.String(), Member: true})
	}
	extra := map[string]string{}
	for _, v := range s.state.Verdicts.All() {
		for _, e := range v.Evidence {
			if !known[e.Vantage] && e.Vantage != "" {
				extra[e.Vantage] = e.Location.String()
			}
		}
	}
	for vantage := range s.obs {
		if _, ok := extra[vantage]; !ok && !known[vantage] && vantage != "" {
			extra[vantage] = ""
		}
	}
	if loc, ok := extra[s.info.Name]; ok && loc == "" {
		extra[s.info.Name] = s.info.Location.String()
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		out = append(out, vantageView{Name: name, Location: extra[name]})
	}
	return out
}

func serviceOf(s snapshot, svc config.Service, vantages []vantageView, merged map[string]map[string]seen,
	resolved map[string]string) serviceView {
	out := serviceView{Name: svc.Name, Type: string(svc.Type), Policy: string(svc.Policy),
		Check: checkText(svc.Check), Orders: ordersOf(svc, s.areas()), Vantages: vantages, Columns: len(vantages) + 2}
	staleAfter := svc.Check.Interval * time.Duration(s.staleAfter())
	byRegion := map[string]int{}
	for _, e := range svc.Endpoints {
		loc := e.Location.String()
		i, ok := byRegion[loc]
		if !ok {
			i = len(out.Regions)
			byRegion[loc] = i
			out.Regions = append(out.Regions, regionView{Location: loc})
		}
		row := rowView{Endpoint: e.Name, Addresses: addrText(e.Addresses), Effective: effectiveOf(s, e)}
		if e.HasTarget() {
			row.Target, out.Answer = e.Target, cmp.Or(string(svc.Answer), string(config.AnswerFlatten))
			if st := resolved[e.Target]; st != wire.ResolutionFresh {
				row.TargetState = st // "" when the resolver reports nothing of it
				row.TargetClass, _ = resolutionClass(st)
			}
		}
		for _, v := range vantages {
			row.Cells = append(row.Cells, cellOf(s.now, staleAfter, e.Name, v.Name, merged[e.Name][v.Name]))
		}
		out.Regions[i].Rows = append(out.Regions[i].Rows, row)
	}
	return out
}

func cellOf(now time.Time, staleAfter time.Duration, endpoint, vantage string, s seen) cellView {
	c := cellView{Endpoint: endpoint, Vantage: vantage, Detail: s.result.Detail}
	switch {
	case s.at.IsZero():
		c.State, c.Symbol, c.Age = "unknown", symbol(model.Unknown), "no check yet"
		return c
	case s.result.Up:
		c.State, c.Symbol = "up", symbol(model.Up)
	default:
		c.State, c.Symbol = "down", symbol(model.Down)
		c.Reason = string(s.result.Reason)
	}
	c.Latency, c.Age = latency(s.result.Latency), ago(now, s.at)
	c.Stale = staleAfter > 0 && now.Sub(s.at) > staleAfter
	if s.view != model.Unknown && s.view.String() != c.State {
		c.View = "judged " + s.view.String()
	}
	if c.Detail == "" && s.result.Warning != "" {
		c.Detail = s.result.Warning
	}
	return c
}

func effectiveOf(s snapshot, e config.Endpoint) effectiveView {
	h := s.state.Health(e.Name, s.now)
	out := effectiveView{State: h.String(), Symbol: symbol(h)}
	v, ok := s.state.Verdicts.Get(e.Name)
	if ok {
		out.Votes = fmt.Sprintf("%d up · %d down of %d", v.UpVotes, v.DownVotes, v.Voters)
		if !v.Since.IsZero() {
			out.Since = "since " + ago(s.now, v.Since)
		}
		if v.Health != h {
			out.Verdict = v.Health.String()
		}
	}
	if o, ok := s.state.Overrides[e.Name]; ok && o.Active(s.now) {
		ov := &overrideView{Kind: string(o.Kind), Who: o.Who, Why: o.Why}
		if !o.Expires.IsZero() {
			ov.Until = clockTime(s.now, o.Expires) + " UTC"
		}
		out.Override = ov
	} else if e.Drained {
		out.Override = &overrideView{Kind: string(state.Drain), Who: "configuration"}
	}
	return out
}

// symbol repeats a state for the eye; the state's word is always beside it.
func symbol(h model.Health) string {
	switch h {
	case model.Up:
		return "✓"
	case model.Down:
		return "✗"
	default:
		return "?"
	}
}

func checkText(c config.Check) string {
	var b strings.Builder
	b.WriteString(string(c.Type))
	if c.Type == config.CheckHTTP || c.Type == config.CheckHTTPS {
		fmt.Fprintf(&b, " %s %s", c.HTTP.Method, c.HTTP.Path)
	}
	if c.Port != 0 {
		fmt.Fprintf(&b, " port %d", c.Port)
	}
	if c.Interval > 0 {
		fmt.Fprintf(&b, " every %s", c.Interval)
	}
	if c.Fall > 0 || c.Rise > 0 {
		fmt.Fprintf(&b, ", fall %d rise %d", c.Fall, c.Rise)
	}
	return b.String()
}

func addrText(addrs []netip.Addr) string {
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = a.String()
	}
	return strings.Join(slices.Compact(parts), ", ")
}
