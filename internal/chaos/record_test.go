//go:build linux

package chaos

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/wire"
)

// The recorders: a DNS client asking every node 20 times a second, and a
// /healthz poller asking every node 5 times a second. Both keep
// everything; the poller also keeps each node's latest report for the
// fault scheduler.
const (
	queryEvery   = 50 * time.Millisecond
	queryTimeout = 500 * time.Millisecond
	pollEvery    = 200 * time.Millisecond
	pollTimeout  = time.Second
	// maxRecords bounds each record list: 20 q/s × 3 nodes for 10 minutes.
	maxRecords = 36000
)

// observed is one report of a node's API and when it arrived.
type observed struct {
	at time.Time
	h  report
}

// report is what one poll of a node's API says: its status and its
// endpoints, each with the agreed health and the node's own latest probe.
type report struct {
	Cluster   wire.ClusterInfo
	Stale     bool
	Ready     bool
	Endpoints []endpointReport
}

// endpointReport is one endpoint in a report.
type endpointReport struct {
	Name      string
	Health    string // the agreed (effective) health
	LastProbe string // this node's own latest probe's reason ("ok", "refused", ...)
}

// Endpoint returns the endpoint called name; ok is false when there is none.
func (h report) Endpoint(name string) (endpointReport, bool) {
	i := slices.IndexFunc(h.Endpoints, func(e endpointReport) bool { return e.Name == name })
	if i < 0 {
		return endpointReport{}, false
	}
	return h.Endpoints[i], true
}

type recorder struct {
	mu      sync.Mutex
	queries []Query
	samples []Sample
	latest  map[string]observed
	wg      sync.WaitGroup
	cancel  context.CancelFunc
}

func startRecording(nodes []*chaosNode) *recorder {
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{latest: map[string]observed{}, cancel: cancel}
	for _, n := range nodes {
		r.wg.Add(2)
		go r.ask(ctx, n)
		go r.poll(ctx, n)
	}
	return r
}

// stop ends the recording and waits for every query in flight.
func (r *recorder) stop() {
	r.cancel()
	r.wg.Wait()
}

// ask queries n every queryEvery, each query on its own goroutine so a
// node that does not answer costs no other query its turn.
func (r *recorder) ask(ctx context.Context, n *chaosNode) {
	defer r.wg.Done()
	tick := time.NewTicker(queryEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				q := queryOnce(n)
				r.mu.Lock()
				if len(r.queries) < maxRecords {
					r.queries = append(r.queries, q)
				}
				r.mu.Unlock()
			}()
		}
	}
}

// queryOnce asks n for queryName A over UDP; no answer, an error rcode
// or an empty answer is a failure.
func queryOnce(n *chaosNode) Query {
	m := new(dns.Msg)
	m.SetQuestion(queryName, dns.TypeA)
	q := Query{Node: n.name, Sent: time.Now()}
	resp, _, err := (&dns.Client{Timeout: queryTimeout}).Exchange(m, n.dnsAddr)
	q.Got = time.Now()
	switch {
	case err != nil:
		q.Err = err.Error()
		// "dial udp" and "write udp" fail before the query left this process.
		q.Unsent = strings.HasPrefix(q.Err, "dial udp") || strings.HasPrefix(q.Err, "write udp")
	case resp.Rcode != dns.RcodeSuccess:
		q.Err = "rcode " + dns.RcodeToString[resp.Rcode]
	default:
		for _, rr := range resp.Answer {
			if a, ok := rr.(*dns.A); ok {
				q.Addrs = append(q.Addrs, netip.AddrFrom4([4]byte(a.A.To4())).String())
			}
		}
		slices.Sort(q.Addrs)
		if len(q.Addrs) == 0 {
			q.Err = "no addresses in the answer"
		}
	}
	return q
}

// poll reads n's status and services every pollEvery.
func (r *recorder) poll(ctx context.Context, n *chaosNode) {
	defer r.wg.Done()
	client := n.api(wire.WithHTTPClient(&http.Client{Timeout: pollTimeout}))
	for ctx.Err() == nil {
		h, err := n.report(ctx, client)
		if err == nil {
			r.note(n.name, time.Now(), h)
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollEvery):
		}
	}
}

// report reads n's status and services through client.
func (n *chaosNode) report(ctx context.Context, client *wire.Client) (report, error) {
	st, err := client.Status(ctx)
	if err != nil {
		return report{}, err
	}
	services, err := client.Services(ctx)
	if err != nil {
		return report{}, err
	}
	h := report{Cluster: st.Cluster, Stale: st.Cluster.Stale, Ready: st.Ready}
	for _, svc := range services {
		for _, e := range svc.Endpoints {
			own, _ := e.CheckBy(n.name)
			h.Endpoints = append(h.Endpoints, endpointReport{Name: e.Name, Health: e.Health, LastProbe: string(own.Reason)})
		}
	}
	return h, nil
}

func (r *recorder) note(name string, at time.Time, h report) {
	s := Sample{Node: name, At: at, NotReady: !h.Ready}
	for _, e := range h.Endpoints {
		s.Endpoints = append(s.Endpoints, EndpointView{Name: e.Name, Health: e.Health, Probe: e.LastProbe})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < maxRecords {
		r.samples = append(r.samples, s)
	}
	r.latest[name] = observed{at: at, h: h}
}

// last returns node's latest report.
func (r *recorder) last(name string) (observed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.latest[name]
	return o, ok
}

// records returns copies of everything recorded so far.
func (r *recorder) records() ([]Query, []Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.queries), slices.Clone(r.samples)
}
