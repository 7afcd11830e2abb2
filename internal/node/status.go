package node

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"outlast/internal/config"
	"outlast/internal/model"
)

// statusBoard is what the HTTP side may read of the node's state. The decide
// loop writes it; handlers read it under the lock, never the engine itself.
type statusBoard struct {
	mu        sync.Mutex
	node      string
	location  model.Location
	version   string
	hash      string
	endpoints map[string]*endpointStatus
	order     []string // endpoint names in configuration order
	answers   []model.Answer
}

type endpointStatus struct {
	service  string
	location model.Location
	verdict  model.Verdict
	last     model.Observation
}

func newStatusBoard(cfg *config.Config, version string) *statusBoard {
	b := &statusBoard{
		node: cfg.Node.Name, location: cfg.Node.Location, version: version, hash: cfg.Hash,
		endpoints: map[string]*endpointStatus{},
	}
	for _, s := range cfg.Services {
		for _, e := range s.Endpoints {
			b.endpoints[e.Name] = &endpointStatus{service: s.Name, location: e.Location,
				verdict: model.Verdict{Endpoint: e.Name}}
			b.order = append(b.order, e.Name)
		}
	}
	return b
}

func (b *statusBoard) observe(o model.Observation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.endpoints[o.Endpoint]; ok {
		e.last = o
	}
}

// verdict records v and returns the health it replaces.
func (b *statusBoard) verdict(v model.Verdict) (previous model.Health) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.endpoints[v.Endpoint]; ok {
		previous, e.verdict = e.verdict.Health, v
	}
	return previous
}

// modeChange is a name whose answers changed mode: from steering to an
// all-down behaviour or panic, or back. Operators want to hear about those.
type modeChange struct {
	name, typ string
	from, to  model.AnswerMode
	addrs     int
}

// setAnswers records the current answers and returns the names whose mode changed.
func (b *statusBoard) setAnswers(answers []model.Answer) []modeChange {
	b.mu.Lock()
	defer b.mu.Unlock()
	before := make(map[[2]string]model.AnswerMode, len(b.answers))
	for _, a := range b.answers {
		before[[2]string{a.Name, string(a.Type)}] = a.Mode
	}
	var changes []modeChange
	for _, a := range answers {
		if old, ok := before[[2]string{a.Name, string(a.Type)}]; ok && old != a.Mode {
			changes = append(changes, modeChange{name: a.Name, typ: string(a.Type), from: old, to: a.Mode,
				addrs: a.AddressCount()})
		}
	}
	b.answers = answers
	return changes
}

// healthz is the JSON body of /healthz.
type healthz struct {
	Status     string           `json:"status"`
	Node       string           `json:"node"`
	Location   string           `json:"location"`
	Version    string           `json:"version"`
	ConfigHash string           `json:"config_hash"`
	Uptime     string           `json:"uptime"`
	Endpoints  []endpointReport `json:"endpoints"`
	Answers    []answerReport   `json:"answers"`
}

type endpointReport struct {
	Name      string    `json:"name"`
	Service   string    `json:"service"`
	Location  string    `json:"location"`
	Health    string    `json:"health"`
	Since     time.Time `json:"since,omitzero"`
	LastProbe string    `json:"last_probe,omitempty"`
	LastAt    time.Time `json:"last_at,omitzero"`
	Detail    string    `json:"detail,omitempty"`
	Warning   string    `json:"warning,omitempty"`
}

type answerReport struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Mode      string   `json:"mode"`
	Addresses []string `json:"addresses"`
}

func (b *statusBoard) report(uptime time.Duration) healthz {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := healthz{Status: "ok", Node: b.node, Location: b.location.String(), Version: b.version,
		ConfigHash: b.hash, Uptime: uptime.Round(time.Second).String()}
	for _, name := range b.order {
		e := b.endpoints[name]
		r := endpointReport{Name: name, Service: e.service, Location: e.location.String(),
			Health: e.verdict.Health.String(), Since: e.verdict.Since, LastAt: e.last.At,
			Detail: e.last.Result.Detail, Warning: e.last.Result.Warning}
		if !e.last.At.IsZero() {
			r.LastProbe = string(e.last.Result.Reason)
		}
		h.Endpoints = append(h.Endpoints, r)
	}
	for _, a := range b.answers {
		r := answerReport{Name: a.Name, Type: string(a.Type), Mode: string(a.Mode), Addresses: []string{}}
		for _, addr := range a.Addrs {
			r.Addresses = append(r.Addresses, addr.String())
		}
		for _, p := range a.Pools {
			for _, addr := range p.Addrs {
				r.Addresses = append(r.Addresses, addr.String())
			}
		}
		h.Answers = append(h.Answers, r)
	}
	return h
}

func (n *Node) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(n.status.Load().report(time.Since(n.started)))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}
