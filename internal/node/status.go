package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"outlast/internal/wire"
)

// Healthz is the JSON body of /healthz: whether the node is fit to be
// sent queries, what a load balancer or a supervisor needs, and nothing
// else; anyone may read it. What the node knows beyond that (its view of
// the cluster, the configuration it runs, every endpoint with each vantage
// point's latest check, this node's own included, and its answers) is the
// JSON API's: /api/v1/status, /api/v1/services and /api/v1/answers, read
// with wire.Client.
type Healthz struct {
	// Status is "ok" when the node is ready, "stale" when it is cut off
	// from the cluster, and "not ready" for the other reasons.
	Status string `json:"status"`
	// Ready is false while the node's answers may be behind the cluster's;
	// Reasons says why, one sentence each. /healthz answers 503 then.
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"`
	// Warnings say what degrades without making the node unready, one
	// sentence each: a target hostname answered from stale addresses
	// because its DNS fails, or not resolved at all.
	Warnings []string `json:"warnings,omitempty"`
}

// healthz is this node's /healthz.
func (n *Node) healthz() Healthz {
	h := Healthz{Status: "ok", Ready: true}
	if h.Reasons = n.readyReasons(); len(h.Reasons) > 0 {
		h.Ready, h.Status = false, "not ready"
	}
	if n.stale.Load() {
		h.Status = "stale"
	}
	h.Warnings = resolutionWarnings(n.targets.report())
	return h
}

// resolutionWarnings counts the stale and unresolved targets. Like the
// rest of /healthz, which anyone may read, it names no target and repeats
// no upstream error: /api/v1/status has those, behind a token.
func resolutionWarnings(rs []wire.Resolution) []string {
	stale, unresolved := wire.NotFresh(rs)
	var out []string
	if stale > 0 {
		out = append(out, fmt.Sprintf("stale resolution: %d target hostname(s) answered and probed at their last good addresses because their DNS lookups fail (see resolution in /api/v1/status)", stale))
	}
	if unresolved > 0 {
		out = append(out, fmt.Sprintf("unresolved: %d target hostname(s) have no address to answer or probe (see resolution in /api/v1/status)", unresolved))
	}
	return out
}

func (n *Node) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeHealthz(w, n.healthz()) })
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
	reasons := n.readyReasons()
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
