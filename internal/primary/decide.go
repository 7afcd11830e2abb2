package primary

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"outlast/internal/model"
)

// Endpoint is what Decide knows of one endpoint of the service.
type Endpoint struct {
	Name     string
	Priority int // lower is preferred
	Health   model.Health
}

// View is what the leader sees when it decides.
type View struct {
	// Endpoints in configuration order.
	Endpoints []Endpoint
	// Failback: a former primary that is up again and preferred by
	// priority is promoted back automatically (failback: auto).
	Failback bool
	Now      time.Time
}

// Decide returns the change the leader proposes for rec, if any: the
// first election (the up endpoint of lowest priority number, once every
// endpoint has a verdict), a promotion when the agreed verdict says the primary is
// down and a candidate is up, or a failback. Nothing while a promotion is
// pending (its hook's outcome comes first), and nothing without a
// candidate: a primary judged down is kept rather than replaced by an
// endpoint that is down too or was demoted (an operator decides then).
// Only Up counts as up here: an endpoint nobody has judged yet is no
// candidate for a database's primary.
func Decide(rec Record, v View) (Command, bool) {
	if rec.Pending != nil {
		return Command{}, false
	}
	promote := func(e Endpoint, reason string) (Command, bool) {
		return Command{Kind: Promote, Candidate: e.Name, Epoch: rec.Epoch + 1, Reason: reason, Who: Auto, At: v.Now}, true
	}
	if rec.Primary == "" {
		// Wait until every endpoint is judged: the database has a primary
		// already, and electing the first endpoint found up could promote
		// a replica while the real primary is still being probed.
		if slices.ContainsFunc(v.Endpoints, func(e Endpoint) bool { return e.Health == model.Unknown }) {
			return Command{}, false
		}
		if e, ok := best(v.Endpoints, func(e Endpoint) bool { return e.Health == model.Up }); ok {
			return promote(e, "first election: no primary yet")
		}
		return Command{}, false
	}
	current, known := find(v.Endpoints, rec.Primary)
	if !known || current.Health == model.Down {
		eligible := func(e Endpoint) bool {
			return e.Name != rec.Primary && e.Health == model.Up && (v.Failback || !slices.Contains(rec.Demoted, e.Name))
		}
		if e, ok := best(v.Endpoints, eligible); ok {
			return promote(e, "primary "+rec.Primary+" is down")
		}
		return Command{}, false
	}
	if v.Failback {
		better := func(e Endpoint) bool {
			return e.Health == model.Up && e.Priority < current.Priority && slices.Contains(rec.Demoted, e.Name)
		}
		if e, ok := best(v.Endpoints, better); ok {
			return promote(e, "failback: "+e.Name+" is up again")
		}
	}
	return Command{}, false
}

// best is the endpoint of lowest priority number that ok accepts, the
// first in configuration order on a tie.
func best(eps []Endpoint, ok func(Endpoint) bool) (Endpoint, bool) {
	var out Endpoint
	found := false
	for _, e := range eps {
		if ok(e) && (!found || e.Priority < out.Priority) {
			out, found = e, true
		}
	}
	return out, found
}

func find(eps []Endpoint, name string) (Endpoint, bool) {
	for _, e := range eps {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Follow returns the change for a service that follows a primary someone
// else elects (mode follow), whose endpoints' verdicts are their role
// checks: Adopt the one endpoint whose check passes, when it is not the
// primary already. When several pass at once (a split brain below), it
// changes nothing and returns them as claimants, so the name keeps the
// last agreed primary rather than answering two or flipping between them;
// when none passes it keeps the primary too (the role may be moving).
func Follow(rec Record, v View) (cmd Command, ok bool, claimants []string) {
	for _, e := range v.Endpoints {
		if e.Health == model.Up {
			claimants = append(claimants, e.Name)
		}
	}
	switch {
	case len(claimants) > 1:
		return Command{}, false, claimants
	case len(claimants) == 0 || claimants[0] == rec.Primary || rec.Pending != nil:
		return Command{}, false, nil
	}
	reason := "the role check of " + claimants[0] + " passes"
	if rec.Primary != "" {
		reason += " and no longer that of " + rec.Primary
	}
	return Command{Kind: Adopt, Candidate: claimants[0], Epoch: rec.Epoch + 1, Reason: reason, Who: Auto, At: v.Now}, true, nil
}

// Stranded says why a primary judged down stays the primary: Decide
// proposes nothing because no endpoint can take over (none is up, or only
// former primaries are, which failback: manual keeps out). "" when the
// primary is not down, a promotion is under way, or Decide proposes one.
// The leader records it as held, so an operator is told to act.
func Stranded(rec Record, v View) string {
	if rec.Pending != nil || rec.Primary == "" {
		return ""
	}
	if cur, known := find(v.Endpoints, rec.Primary); known && cur.Health != model.Down {
		return ""
	}
	if _, ok := Decide(rec, v); ok {
		return ""
	}
	var demoted []string
	for _, e := range v.Endpoints {
		if e.Name != rec.Primary && e.Health == model.Up && slices.Contains(rec.Demoted, e.Name) {
			demoted = append(demoted, e.Name)
		}
	}
	if len(demoted) > 0 {
		return fmt.Sprintf("primary %s is down; only former primaries (%s) are up, which failback: manual keeps out: "+
			"outlast primary set ENDPOINT --reason TEXT", rec.Primary, strings.Join(demoted, ", "))
	}
	return fmt.Sprintf("primary %s is down and no other endpoint is up to take over", rec.Primary)
}
