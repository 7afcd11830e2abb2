package clients

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Options describe the device population.
type Options struct {
	// Devices is how many devices run (default 200).
	Devices int
	// Rate is each device's requests per second (default 1).
	Rate float64
	// Nameservers are the UDP host:port addresses the devices resolve
	// through. Device i starts its rotation at Nameservers[i % n].
	// Required unless Via is set.
	Nameservers []string
	// Via, if set, are HTTP proxies (host:port): device i sends every
	// request to Via[i % n], with the service's name as Host, and resolves
	// nothing; Nameservers and Port are then not used. As a device behind
	// an outlast node's proxy does: it reaches the proxy, the proxy finds
	// a healthy endpoint.
	Via []string
	// Name is the service's name, e.g. "api.example.test." (required).
	Name string
	// Port is the service's HTTP port on every address the name has
	// (required unless Via is set).
	Port int
	// QueryTimeout is how long a device waits for one nameserver before it
	// asks the next (default 500ms).
	QueryTimeout time.Duration
	// RequestTimeout bounds one HTTP request, connect to last body byte
	// (default 1s).
	RequestTimeout time.Duration
	// Seed makes the devices' phases and address picks repeatable.
	Seed int64
	// Source, if set, is the address every device's queries and requests
	// leave from: the lab gives each client area its own, so the
	// nameservers sort the devices into that area by the query's sender
	// (default: the system's choice).
	Source netip.Addr
	// Reachable, if set, is asked before every query: false means the
	// nameserver's network is cut, so the query times out after QueryTimeout
	// without being sent (in the lab, the lab is the network).
	Reachable func(nameserver string) bool
}

// Defaults for Options' zero fields.
const (
	DefaultDevices        = 200
	DefaultRate           = 1.0
	DefaultQueryTimeout   = 500 * time.Millisecond
	DefaultRequestTimeout = time.Second
)

// withDefaults fills the zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	o.Devices = cmpOr(o.Devices, DefaultDevices)
	o.Rate = cmpOr(o.Rate, DefaultRate)
	o.QueryTimeout = cmpOr(o.QueryTimeout, DefaultQueryTimeout)
	o.RequestTimeout = cmpOr(o.RequestTimeout, DefaultRequestTimeout)
	var errs []error
	if len(o.Nameservers) == 0 && len(o.Via) == 0 {
		errs = append(errs, errors.New("no nameservers (and no proxy to go via)"))
	}
	if o.Name == "" {
		errs = append(errs, errors.New("no service name"))
	}
	if len(o.Via) == 0 && (o.Port <= 0 || o.Port > 65535) {
		errs = append(errs, fmt.Errorf("port %d out of range", o.Port))
	}
	if o.Devices < 0 || o.Rate < 0 || o.QueryTimeout < 0 || o.RequestTimeout < 0 {
		errs = append(errs, errors.New("negative devices, rate or timeout"))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("clients: options: %w", err)
	}
	o.Name = dns.CanonicalName(o.Name)
	return o, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Run runs the devices until ctx ends, recording every request in rec. When
// ctx ends no request starts any more, and Run returns once those in flight
// have finished under their own timeouts (at most QueryTimeout per
// nameserver plus RequestTimeout later) and been recorded, so the last
// seconds are as complete as the others. Its only errors are bad options.
func Run(ctx context.Context, opts Options, rec *Recorder) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	dnsClient := &dns.Client{Net: "udp", Timeout: opts.QueryTimeout}
	if opts.Source.IsValid() {
		dnsClient.Dialer = &net.Dialer{Timeout: opts.QueryTimeout, LocalAddr: &net.UDPAddr{IP: opts.Source.AsSlice()}}
	}
	var wg sync.WaitGroup
	for i := range opts.Devices {
		d := newDevice(i, opts, dnsClient, rec)
		wg.Go(func() { d.run(ctx) })
	}
	wg.Wait()
	return nil
}

// device is one simulated client.
type device struct {
	opts  *Options
	rec   *Recorder
	res   *resolver
	http  *http.Client
	phase time.Duration
	host  string // the Host header a real app would send
	via   string // the proxy every request goes to; "" to resolve the name

	mu  sync.Mutex
	rng *rand.Rand
}

func newDevice(i int, opts Options, dnsClient *dns.Client, rec *Recorder) *device {
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), uint64(i)))
	transport := &http.Transport{
		// Proxy stays nil: the lab's traffic never goes through HTTP_PROXY.
		DialContext:         dialer(opts).DialContext,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
	}
	d := &device{
		opts:  &opts,
		rec:   rec,
		http:  &http.Client{Transport: transport, Timeout: opts.RequestTimeout},
		phase: time.Duration(rng.Float64() * float64(period(opts.Rate))),
		host:  strings.TrimSuffix(opts.Name, "."),
		rng:   rng,
	}
	if len(opts.Via) > 0 {
		d.via = opts.Via[i%len(opts.Via)]
		return d
	}
	d.res = &resolver{
		name: opts.Name, nameservers: opts.Nameservers, next: i % len(opts.Nameservers),
		timeout: opts.QueryTimeout, reachable: opts.Reachable, client: dnsClient,
	}
	return d
}

// dialer connects a device's requests, from opts.Source when set.
func dialer(opts Options) *net.Dialer {
	d := &net.Dialer{Timeout: opts.RequestTimeout}
	if opts.Source.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: opts.Source.AsSlice()}
	}
	return d
}

func period(rate float64) time.Duration { return time.Duration(float64(time.Second) / rate) }

// run starts a request at the device's phase and then at its steady rate,
// and returns when ctx ends and its requests have finished.
func (d *device) run(ctx context.Context) {
	defer d.http.CloseIdleConnections()
	var mine sync.WaitGroup
	defer mine.Wait()
	wait(ctx, d.phase)
	ticker := time.NewTicker(period(d.opts.Rate))
	defer ticker.Stop()
	// Requests outlive ctx: they end under their own timeouts and are recorded.
	detached := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		began := time.Now()
		mine.Go(func() { d.rec.Record(d.call(detached, began)) })
		select {
		case <-ctx.Done():
		case <-ticker.C:
		}
	}
}

// call resolves the name (unless the device goes via a proxy) and makes
// one request.
func (d *device) call(ctx context.Context, began time.Time) Outcome {
	target := d.via
	if target == "" {
		addrs, err := d.res.lookup(ctx)
		if err != nil {
			return Outcome{At: began, Class: DNS, Latency: time.Since(began)}
		}
		target = net.JoinHostPort(d.pick(addrs), strconv.Itoa(d.opts.Port))
	}
	class, backend := d.get(ctx, target)
	return Outcome{At: began, Class: class, Backend: backend, Latency: time.Since(began)}
}

func (d *device) pick(addrs []string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return addrs[d.rng.IntN(len(addrs))]
}
