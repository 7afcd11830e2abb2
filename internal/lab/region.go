package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"outlast/internal/backend"
	"outlast/internal/model"
)

// Region is one place the sample service runs: the doorbell API behind a
// Toxiproxy proxy. Clients and probes reach it only through the proxy, so
// network faults (hang, refuse, latency) are injected there, by a fault
// proxy the field trusts; the HTTP-level gray failure (a share of 503s) is
// injected in the service itself, where Toxiproxy cannot reach.
type Region struct {
	Endpoint string         // endpoint name, e.g. "use1"
	Location model.Location // e.g. aws/us-east-1
	Addr     string         // the proxy: what DNS answers and probes reach, host:port
	service  *backend.Service
	proxy    *toxiproxy.Proxy
	refused  bool // the proxy is stopped; only the lab's scenario goroutine touches it
	stop     context.CancelFunc
	done     chan struct{}
}

// ip is the address DNS answers for the region: its proxy's, port aside.
func (r *Region) ip() string { return strings.Split(r.Addr, ":")[0] }

// toxiproxyServer builds the in-process Toxiproxy that owns the lab's proxies.
func toxiproxyServer() *toxiproxy.ApiServer {
	metrics := toxiproxy.NewMetricsContainer(prometheus.NewRegistry())
	return toxiproxy.NewServer(metrics, zerolog.Nop())
}

// startRegion runs the service on backendIP and its proxy on proxyAddr.
// With hosts, the service answers only requests for those hosts, as a CDN
// serves only the hostnames configured on it; without, any.
func startRegion(server *toxiproxy.ApiServer, endpoint string, loc model.Location, backendIP, proxyAddr string, hosts []string) (*Region, error) {
	ln, err := net.Listen("tcp", backendIP+":0")
	if err != nil {
		return nil, fmt.Errorf("lab: region %s: %w", endpoint, err)
	}
	r := &Region{Endpoint: endpoint, Location: loc, Addr: proxyAddr, service: backend.New(endpoint), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() {
		defer close(r.done)
		_ = backend.ServeListener(ctx, ln, onlyHosts(hosts, r.service))
	}()
	r.proxy = toxiproxy.NewProxy(server, endpoint, proxyAddr, ln.Addr().String())
	if err := r.proxy.Start(); err != nil {
		r.Close()
		return nil, fmt.Errorf("lab: region %s proxy: %w", endpoint, err)
	}
	return r, nil
}

// onlyHosts answers 421 Misdirected Request to a request whose Host is not
// one of hosts (port aside): a probe of a hostname endpoint that did not
// send its target as Host fails, as it would at a real CDN.
func onlyHosts(hosts []string, h http.Handler) http.Handler {
	if len(hosts) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host := req.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !slices.Contains(hosts, strings.ToLower(strings.TrimSuffix(host, "."))) {
			http.Error(w, "no such host here: "+req.Host, http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// Hang makes the region accept connections and never answer (us-east-1, 2021).
func (r *Region) Hang() error {
	return r.addToxic(`{"name":"hang","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`)
}

// Refuse takes the region's listener away: connections are refused.
func (r *Region) Refuse() {
	r.proxy.Stop()
	r.refused = true
}

// Latency adds d to every answer.
func (r *Region) Latency(d time.Duration) error {
	return r.addToxic(fmt.Sprintf(`{"name":"latency","type":"latency","stream":"downstream","attributes":{"latency":%d}}`, d.Milliseconds()))
}

// Errors makes the service answer a share of its requests with 503.
func (r *Region) Errors(share float64) { r.service.SetErrorRate(share) }

// Heal removes every fault.
func (r *Region) Heal() error {
	r.service.SetErrorRate(0)
	for _, name := range []string{"hang", "latency"} {
		// A fault that was never added is already healed.
		if err := r.proxy.Toxics.RemoveToxic(context.Background(), name); err != nil && !errors.Is(err, toxiproxy.ErrToxicNotFound) {
			return fmt.Errorf("lab: heal %s: %w", r.Endpoint, err)
		}
	}
	if r.refused {
		if err := r.proxy.Start(); err != nil {
			return fmt.Errorf("lab: heal %s: %w", r.Endpoint, err)
		}
		r.refused = false
	}
	return nil
}

func (r *Region) addToxic(spec string) error {
	if _, err := r.proxy.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil {
		return fmt.Errorf("lab: fault on %s: %w", r.Endpoint, err)
	}
	return nil
}

// Close stops the proxy and the service.
func (r *Region) Close() {
	if r.proxy != nil {
		r.proxy.Stop()
	}
	r.stop()
	<-r.done
}
