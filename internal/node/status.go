package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// Healthz is the JSON body of /healthz: this node's view of the agreed
// state. Tools that read /healthz (outlast drill, the benches, the tests)
// decode into it, so a renamed field cannot leave them reading zeros.
//
// Without a token, on a node whose api.public_status is false, it holds
// only the summary (status, ready, reasons, node, version): the endpoints,
// addresses and probe errors are for those allowed to read the API.
type Healthz struct {
	// Status is "ok" when the node is ready, "stale" when it is cut off
	// from the cluster, and "not ready" for the other reasons.
	Status string `json:"status"`
	// Ready is false while the node's answers may be behind the cluster's;
	// Reasons says why, one sentence each. /healthz answers 503 then.
	Ready         bool             `json:"ready"`
	Reasons       []string         `json:"reasons,omitempty"`
	Stale         bool             `json:"stale"`
	Node          string           `json:"node"`
	Location      string           `json:"location,omitempty"`
	Version       string           `json:"version"`
	ConfigHash    string           `json:"config_hash,omitempty"`
	ConfigVersion uint64           `json:"config_version,omitempty"`
	Uptime        string           `json:"uptime,omitempty"`
	Cluster       ClusterReport    `json:"cluster,omitzero"`
	Endpoints     []EndpointReport `json:"endpoints,omitempty"`
	Answers       []AnswerReport   `json:"answers,omitempty"`
}

// ClusterReport is this node's view of the cluster in /healthz.
type ClusterReport struct {
	State        string    `json:"state"` // leader, follower, candidate, shutdown
	Leader       string    `json:"leader"`
	LastContact  string    `json:"last_contact"`
	AppliedIndex uint64    `json:"applied_index"`
	Members      []string  `json:"members"`
	CheckedAt    time.Time `json:"checked_at"`
}

// EndpointReport is one endpoint in /healthz: the agreed health, and what
// this node saw itself.
type EndpointReport struct {
	Name     string    `json:"name"`
	Service  string    `json:"service"`
	Location string    `json:"location"`
	Health   string    `json:"health"` // effective: the verdict, or an override in force
	Verdict  string    `json:"verdict"`
	Since    time.Time `json:"since,omitzero"`
	Override string    `json:"override,omitempty"`
	Votes    string    `json:"votes,omitempty"`
	// LastProbe is this node's own latest probe of the endpoint.
	LastProbe string    `json:"last_probe,omitempty"`
	LastAt    time.Time `json:"last_at,omitzero"`
	Detail    string    `json:"detail,omitempty"`
	Warning   string    `json:"warning,omitempty"`
}

// AnswerReport is what this node answers for one name, in /healthz.
type AnswerReport struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Mode      string   `json:"mode"`
	Addresses []string `json:"addresses"`
}

// Endpoint returns the report of the endpoint named name; ok is false when
// /healthz has none.
func (h Healthz) Endpoint(name string) (EndpointReport, bool) {
	i := slices.IndexFunc(h.Endpoints, func(e EndpointReport) bool { return e.Name == name })
	if i < 0 {
		return EndpointReport{}, false
	}
	return h.Endpoints[i], true
}

// summary is the part of /healthz anyone may read.
func (n *Node) summary() Healthz {
	h := Healthz{Status: "ok", Ready: true, Stale: n.stale.Load(), Node: n.local.Node.Name, Version: n.opts.Version}
	if h.Reasons = n.readiness(); len(h.Reasons) > 0 {
		h.Ready, h.Status = false, "not ready"
	}
	if h.Stale {
		h.Status = "stale"
	}
	return h
}

func (n *Node) report() Healthz {
	st, now := n.machine.Current(), time.Now()
	cfg := n.effectiveConfig(st)
	h := n.summary()
	h.Location, h.ConfigHash = n.local.Node.Location.String(), cfg.Hash
	h.Uptime, h.Cluster = now.Sub(n.started).Round(time.Second).String(), n.clusterReport()
	if st.Config != nil {
		h.ConfigVersion = st.Config.Version
	}
	for _, svc := range cfg.Services {
		for _, e := range svc.Endpoints {
			h.Endpoints = append(h.Endpoints, n.endpointReport(st, svc.Name, e.Name, e.Location, now))
		}
	}
	if answers := n.answers.Load(); answers != nil {
		for _, a := range *answers {
			h.Answers = append(h.Answers, answerReportOf(a))
		}
	}
	return h
}

func (n *Node) endpointReport(st *state.State, service, name string, loc model.Location, now time.Time) EndpointReport {
	v := st.Verdicts[name]
	r := EndpointReport{Name: name, Service: service, Location: loc.String(),
		Health: st.Health(name, now).String(), Verdict: v.Health.String(), Since: v.Since}
	if v.Voters > 0 {
		r.Votes = votesText(v)
	}
	if o, ok := st.Overrides[name]; ok && o.Active(now) {
		r.Override = string(o.Kind) + " by " + o.Who
	}
	if last, ok := n.lastObs.Load(name); ok {
		o := last.(model.Observation)
		r.LastProbe, r.LastAt = string(o.Result.Reason), o.At
		r.Detail, r.Warning = o.Result.Detail, o.Result.Warning
	}
	return r
}

func votesText(v model.Verdict) string {
	return fmt.Sprintf("%d up, %d down of %d voting", v.UpVotes, v.DownVotes, v.Voters)
}

func answerReportOf(a model.Answer) AnswerReport {
	r := AnswerReport{Name: a.Name, Type: string(a.Type), Mode: string(a.Mode), Addresses: []string{}}
	for _, addr := range a.Addrs {
		r.Addresses = append(r.Addresses, addr.String())
	}
	for _, p := range a.Pools {
		for _, addr := range p.Addrs {
			r.Addresses = append(r.Addresses, addr.String())
		}
	}
	return r
}

func (n *Node) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", n.access.healthz(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeHealthz(w, n.report()) }),
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeHealthz(w, n.summary()) })))
	mux.HandleFunc("GET /healthz/live", n.serveLive)
	mux.HandleFunc("GET /healthz/ready", n.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.Registry, promhttp.HandlerOpts{}))
	mux.Handle(wire.Prefix, n.countRequests(n.access.api))
	mux.Handle("/", n.countRequests(n.access.page))
	return mux
}

// writeHealthz answers /healthz: 200 when ready, 503 when not.
func writeHealthz(w http.ResponseWriter, h Healthz) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !h.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h)
}

// serveLive is for a supervisor (systemd, a container runtime): 200 while
// the node's answer loop turns, 503 once it is stuck and a restart helps.
func (n *Node) serveLive(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if n.stalled() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "stuck: the answer loop has not turned for over %s\n", stalledAfter)
		return
	}
	fmt.Fprintln(w, "live")
}

// serveReady is for what sends queries to the node (a load balancer, the
// DNS provider's NS monitoring): 200 when its answers follow the cluster,
// 503 with the reasons when they may not. A restart does not help then.
func (n *Node) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	reasons := n.readiness()
	if len(reasons) == 0 {
		fmt.Fprintln(w, "ready")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "not ready: %s\n", strings.Join(reasons, "; "))
}

// countRequests counts the API's and the status page's answers by method,
// route and code. The route is the pattern of the innermost ServeMux that
// matched, which sets it on the request it was handed (this one), without
// the method the pattern may start with.
func (n *Node) countRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		route := r.Pattern
		if i := strings.IndexByte(route, ' '); i >= 0 {
			route = route[i+1:]
		}
		n.metrics.APIRequest(r.Method, route, rec.code)
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}
