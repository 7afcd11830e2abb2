package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The checker's default bounds; see the package doc for where they come from.
const (
	// SplitBound is the longest split-brain window allowed: Raft commit plus
	// answer rebuild, with margin for a loaded machine.
	SplitBound = time.Second
	// RebuildGrace is how long after /healthz reported an endpoint down a
	// node may still answer it: the answers are rebuilt after the state is
	// applied, which /healthz shows first.
	RebuildGrace = 500 * time.Millisecond
	// MaxGap is the longest silence in a node's recording over which its
	// last answer still stands (the client asks every 50 ms; a longer
	// silence means the recording has a hole and nothing is known).
	MaxGap = 250 * time.Millisecond
)

// FaultKind names what was done to a node.
type FaultKind string

// The fault kinds.
const (
	Killed      FaultKind = "killed"      // SIGKILL until the restarted process answered /healthz
	Stopped     FaultKind = "stopped"     // SIGSTOP until SIGCONT
	Partitioned FaultKind = "partitioned" // cut off from the other nodes' cluster port
	DiskFull    FaultKind = "disk-full"   // its data directory's file system full
)

// Query is one DNS question the client asked one node.
type Query struct {
	Node string
	Sent time.Time
	Got  time.Time // when the answer or the failure arrived
	// Addrs are the answer's addresses; empty with Err set when it failed.
	Addrs []string
	Err   string
	// Unsent is true when the client could not even send the query (its
	// own dial or write timed out: the test machine stalled). Such a
	// query says nothing about the node; the summary counts them apart.
	Unsent bool
}

// Fault is one window in which a node was under a fault.
type Fault struct {
	Node  string
	Kind  FaultKind
	Label string    // which injection, e.g. "kill-leader-during-verdict"
	Start time.Time // when the fault was injected
	End   time.Time // when it was lifted (SIGCONT, restart, rules removed, disk freed)
	// Back is when the runner saw the node in contact again afterwards:
	// its /healthz answered (after a restart) and named a leader and was
	// not stale. Zero means never seen back: the fault lasts to the end.
	Back time.Time
}

// Sample is one /healthz poll of one node.
type Sample struct {
	Node      string
	At        time.Time // when the reply arrived
	Endpoints []EndpointView
	// NotReady is true when the node said it was not ready: cut off, not
	// writing its log, or catching up. It then answers by its own probes'
	// removals as well as the agreed state, by design, and says so to the
	// load balancers and monitors in front of it.
	NotReady bool
}

// EndpointView is one endpoint in a /healthz reply.
type EndpointView struct {
	Name   string
	Health string // the agreed (effective) health: "up", "down", "unknown"
	Probe  string // the node's own latest probe result: "ok", "refused", ...
}

// OverrideOp is one override request to the API.
type OverrideOp struct {
	Node     string // which node's API was asked
	Endpoint string
	Kind     string // "drain", "force-down", ...; "" for a clear
	Sent     time.Time
	Got      time.Time
	// Acked is true when the API confirmed the change (201, or 200 for a
	// clear). Refused is true when it said no for certain (a 4xx): nothing
	// changed. Neither means the outcome is unknown (a timeout, a 5xx):
	// the change may or may not have been committed.
	Acked   bool
	Refused bool
	Err     string
}

// History is everything one run recorded.
type History struct {
	Seed int64
	// Start and End bound the run: queries sent outside them (while the
	// cluster was starting, say) are not checked. /healthz samples from
	// before Start still tell what a node reported when the run began.
	Start    time.Time
	End      time.Time
	Nodes    []string
	Addrs    map[string]string // answer address → endpoint name, for the name asked
	Queries  []Query
	Faults   []Fault
	Samples  []Sample
	Override []OverrideOp
	// Final is every node's override set at the end: endpoint → kind.
	Final map[string]map[string]string
	// Bounds; zero means the package default.
	SplitBound   time.Duration
	RebuildGrace time.Duration
	MaxGap       time.Duration
}

// Violation is one breach of a check, said so a person can find it in the logs.
type Violation struct {
	At     time.Time
	Node   string
	Detail string
}

// Window is one split-brain window: nodes in contact answering differently.
type Window struct {
	Start, End time.Time
	Detail     string // the answers seen when it began
}

// Len is how long the window lasted.
func (w Window) Len() time.Duration { return w.End.Sub(w.Start) }

// Report is what the checker found.
type Report struct {
	Queries       int
	Unsent        int // queries the client could not send, not checked
	FailedLive    []Violation
	Windows       []Window // every split-brain window
	OverBound     []Window // those longer than the bound
	MaxSplit      time.Duration
	DownAnswers   []Violation
	LostOverrides []Violation
	Bound         time.Duration
}

// OK reports whether every count is zero.
func (r Report) OK() bool {
	return len(r.FailedLive) == 0 && len(r.OverBound) == 0 && len(r.DownAnswers) == 0 && len(r.LostOverrides) == 0
}

// Check runs every check over h.
func Check(h History) Report {
	h = withDefaults(h)
	h.Queries = slices.DeleteFunc(slices.Clone(h.Queries), func(q Query) bool {
		return q.Sent.Before(h.Start) || q.Sent.After(h.End)
	})
	r := Report{Queries: len(h.Queries), Bound: h.SplitBound}
	h.Queries = slices.DeleteFunc(h.Queries, func(q Query) bool { return q.Unsent })
	r.Unsent = r.Queries - len(h.Queries)
	r.FailedLive = failedLive(h)
	r.Windows = splitWindows(h)
	for _, w := range r.Windows {
		r.MaxSplit = max(r.MaxSplit, w.Len())
		if w.Len() > h.SplitBound {
			r.OverBound = append(r.OverBound, w)
		}
	}
	r.DownAnswers = downAnswers(h)
	r.LostOverrides = lostOverrides(h)
	return r
}

func withDefaults(h History) History {
	if h.SplitBound == 0 {
		h.SplitBound = SplitBound
	}
	if h.RebuildGrace == 0 {
		h.RebuildGrace = RebuildGrace
	}
	if h.MaxGap == 0 {
		h.MaxGap = MaxGap
	}
	return h
}

// faultEnd is when a fault stops excusing a node: when it was seen back,
// or the end of the run when it never was.
func faultEnd(f Fault, runEnd time.Time) time.Time {
	if f.Back.IsZero() {
		return runEnd
	}
	return f.Back
}

// failedLive lists failed queries to nodes that were live for the whole
// query: neither killed (nor restarting) nor frozen at any moment of it.
func failedLive(h History) []Violation {
	var out []Violation
	for _, q := range h.Queries {
		if q.Err == "" {
			continue
		}
		if notLive(h, q.Node, q.Sent, q.Got) {
			continue
		}
		out = append(out, Violation{At: q.Sent, Node: q.Node,
			Detail: fmt.Sprintf("query failed after %s: %s%s", q.Got.Sub(q.Sent).Round(time.Millisecond), q.Err, faultsAt(h, q.Node, q.Sent))})
	}
	return out
}

// notLive reports whether node was killed, restarting or frozen at some moment of [from, to].
func notLive(h History, node string, from, to time.Time) bool {
	for _, f := range h.Faults {
		if f.Node != node {
			continue
		}
		var end time.Time
		switch f.Kind {
		case Killed:
			end = faultEnd(f, h.End)
		case Stopped:
			end = f.End
		default:
			continue
		}
		if !from.After(end) && !to.Before(f.Start) {
			return true
		}
	}
	return false
}

// faultsAt says which faults were under way anywhere at t, for a violation's detail.
func faultsAt(h History, node string, t time.Time) string {
	var names []string
	for _, f := range h.Faults {
		if !t.Before(f.Start) && !t.After(faultEnd(f, h.End)) {
			names = append(names, fmt.Sprintf("%s %s (%s)", f.Node, f.Kind, f.Label))
		}
	}
	if len(names) == 0 {
		return "; no fault under way"
	}
	return "; faults under way: " + strings.Join(names, ", ")
}

// inContact reports whether node was in contact with the cluster at t: not
// killed, frozen or partitioned, seen back after any of those, and not
// saying it was not ready in the /healthz replies around t (a node whose
// disk filled says so within a second of its first failed write). A node
// that is not ready may answer differently by design (steer.CutOff), so it
// takes no part in the split-brain check; failed_live and down_answers
// still hold it to account.
func inContact(h History, samples map[string][]Sample, node string, t time.Time) bool {
	for _, f := range h.Faults {
		if f.Node != node || f.Kind == DiskFull {
			continue
		}
		if !t.Before(f.Start) && t.Before(faultEnd(f, h.End)) {
			return false
		}
	}
	before, ok1 := sampleBefore(samples[node], t)
	after, ok2 := sampleAfter(samples[node], t)
	return !(ok1 && before.NotReady) && !(ok2 && after.NotReady)
}

// samplesByNode sorts each node's /healthz replies by arrival.
func samplesByNode(h History) map[string][]Sample {
	byNode := map[string][]Sample{}
	for _, s := range h.Samples {
		byNode[s.Node] = append(byNode[s.Node], s)
	}
	for _, ss := range byNode {
		slices.SortStableFunc(ss, func(a, b Sample) int { return a.At.Compare(b.At) })
	}
	return byNode
}

// lostOverrides compares every node's final override set with what the
// API acknowledged. Per endpoint, the last acknowledged request decides
// what every node must hold; a request that may have been committed after
// it (acknowledged while it was under way, or of unknown outcome and sent
// less than UnknownFor before it) makes its outcome acceptable as well.
func lostOverrides(h History) []Violation {
	last := map[string]OverrideOp{}
	for _, op := range h.Override {
		if prev, ok := last[op.Endpoint]; op.Acked && (!ok || op.Sent.After(prev.Sent)) {
			last[op.Endpoint] = op
		}
	}
	var out []Violation
	for _, endpoint := range slices.Sorted(maps.Keys(last)) {
		op := last[endpoint]
		accept := acceptable(h.Override, op)
		for _, node := range h.Nodes {
			held := h.Final[node][endpoint]
			if slices.Contains(accept, held) {
				continue
			}
			want := "override " + op.Kind + " of " + endpoint + " acknowledged through " + op.Node + " is missing"
			if op.Kind == "" {
				want = "override of " + endpoint + " cleared through " + op.Node + " is still held"
			}
			out = append(out, Violation{At: op.Sent, Node: node, Detail: fmt.Sprintf(
				"%s at the end: node holds %q, acceptable %q", want, held, accept)})
		}
	}
	return out
}

// UnknownFor is how long a request of unknown outcome may still be
// committed after it was sent: the API's propose timeout (10 s) and margin.
const UnknownFor = 15 * time.Second

// acceptable lists the override kinds ("" for none) a node may hold for
// last's endpoint at the end.
func acceptable(ops []OverrideOp, last OverrideOp) []string {
	accept := []string{last.Kind}
	for _, o := range ops {
		if o.Endpoint != last.Endpoint || o == last || o.Refused {
			continue
		}
		overlapped := o.Acked && o.Got.After(last.Sent)
		unknown := !o.Acked && o.Sent.Add(UnknownFor).After(last.Sent)
		if (overlapped || unknown) && !slices.Contains(accept, o.Kind) {
			accept = append(accept, o.Kind)
		}
	}
	return accept
}
