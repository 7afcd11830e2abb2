package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/cluster"
	"outlast/internal/config"
	"outlast/internal/node"
	"outlast/internal/state"
	"outlast/internal/tlsca"
)

const drillUsage = `usage: outlast drill --config FILE --endpoint NAME --nameservers HOST:PORT,... [--timeout 60s] [--token TOKEN]

Forces ENDPOINT down with an override (who: drill), measures how long until
every listed nameserver stops answering its addresses, removes the override,
and measures how long until they answer them again. It refuses to take away
the last endpoint a service answers with.
`

// drillCmd runs `outlast drill` against a real cluster.
func drillCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("drill", stderr)
	path := fs.String("config", "outlast.yaml", "configuration `file` of a node on this host")
	endpoint := fs.String("endpoint", "", "endpoint `name` to force down")
	servers := fs.String("nameservers", "", "comma-separated `host:port` list of the nameservers to watch")
	timeout := fs.Duration("timeout", time.Minute, "give up waiting for a shift after this long")
	token := fs.String("token", os.Getenv("OUTLAST_TOKEN"), "read `token` for the local node's /healthz, unless its api.public_status is set (env OUTLAST_TOKEN)")
	if fs.Parse(args) != nil || fs.NArg() > 0 || *endpoint == "" || *servers == "" {
		fmt.Fprint(stderr, drillUsage)
		return exitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	d, err := newDrill(cfg, *endpoint, strings.Split(*servers, ","), *timeout, *token)
	if err != nil {
		fmt.Fprintln(stderr, "outlast drill:", err)
		return exitFailure
	}
	if err := d.run(stdout); err != nil {
		fmt.Fprintln(stderr, "outlast drill:", err)
		return exitFailure
	}
	return exitOK
}

type drill struct {
	client      *cluster.Client
	member      string // cluster address to send overrides to
	healthz     string // the local node's HTTP listener
	token       string // a read token for its /healthz, or ""
	drained     map[string]bool
	service     string
	addrs       []string // the endpoint's addresses
	endpoint    string
	nameservers []string
	timeout     time.Duration
}

func newDrill(cfg *config.Config, endpoint string, nameservers []string, timeout time.Duration, token string) (*drill, error) {
	if cfg.Cluster.Listen == "" {
		return nil, errors.New("the configuration has no cluster section: drills run against a cluster")
	}
	d := &drill{member: cfg.Cluster.Advertise, healthz: cfg.HTTP.Listen, token: token, endpoint: endpoint,
		nameservers: nameservers, timeout: timeout, drained: map[string]bool{}}
	for _, svc := range cfg.Services {
		for _, e := range svc.Endpoints {
			d.drained[e.Name] = e.Drained
			if e.Name == endpoint {
				d.service = svc.Name
				for _, a := range e.Addresses {
					d.addrs = append(d.addrs, a.String())
				}
			}
		}
	}
	if d.service == "" {
		return nil, fmt.Errorf("no endpoint %q in the configuration", endpoint)
	}
	certs, err := tlsca.Load(tlsca.Files{CA: cfg.Cluster.TLS.CAFile, Cert: cfg.Cluster.TLS.CertFile, Key: cfg.Cluster.TLS.KeyFile}, cfg.Node.Name)
	if err != nil {
		return nil, err
	}
	d.client = cluster.NewClient(certs.ClientConfig)
	return d, nil
}

func (d *drill) run(out io.Writer) error {
	if err := d.refuseLastEndpoint(); err != nil {
		return err
	}
	fmt.Fprintf(out, "drill: forcing %s (%s, %s) down on the cluster\n", d.endpoint, d.service, strings.Join(d.addrs, ", "))
	start := time.Now()
	// The override expires on its own, so a drill cut short cannot leave an endpoint forced down.
	if err := d.propose(state.Command{Kind: state.SetOverride, At: start, Who: "drill", Why: "outlast drill",
		Override: &state.Override{Endpoint: d.endpoint, Kind: state.ForceDown, Expires: start.Add(d.timeout + time.Minute)}}); err != nil {
		return err
	}
	shift, err := d.waitAll(false)
	undoAt := time.Now()
	undoErr := d.propose(state.Command{Kind: state.ClearOverride, At: undoAt, Who: "drill", Why: "outlast drill done", Endpoint: d.endpoint})
	if err != nil || undoErr != nil {
		return errors.Join(err, undoErr)
	}
	fmt.Fprintf(out, "drill: shift away took %.2f s (every one of %d nameservers stopped answering %s)\n",
		shift.Sub(start).Seconds(), len(d.nameservers), d.endpoint)
	back, err := d.waitAll(true)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "drill: override removed; traffic returned after %.2f s\n", back.Sub(undoAt).Seconds())
	return nil
}

// refuseLastEndpoint stops a drill that would leave a name with no healthy
// endpoint. It asks the local node's /healthz for the agreed health (with
// overrides) of the service's other endpoints.
func (d *drill) refuseLastEndpoint() error {
	client := http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://"+d.healthz+"/healthz", nil)
	if err != nil {
		return err
	}
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot read the cluster's verdicts from the local node: %w", err)
	}
	defer resp.Body.Close()
	var h node.Healthz
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return fmt.Errorf("the local node's /healthz: %w", err)
	}
	if len(h.Endpoints) == 0 {
		return fmt.Errorf("the local node's /healthz lists no endpoints (%s): give a read token with --token or OUTLAST_TOKEN, "+
			"or set api.public_status", resp.Status)
	}
	var healthy []string
	for _, e := range h.Endpoints {
		drained := strings.HasPrefix(e.Override, string(state.Drain)) || d.drained[e.Name]
		if e.Service == d.service && e.Name != d.endpoint && e.Health != "down" && !drained {
			healthy = append(healthy, e.Name)
		}
	}
	if len(healthy) == 0 {
		return fmt.Errorf("refusing: %s is the only healthy endpoint of %s; forcing it down would remove the last healthy endpoint",
			d.endpoint, strings.TrimSuffix(d.service, "."))
	}
	return nil
}

// waitAll polls every nameserver until all of them answer (present) or none
// of them answers (!present) one of the endpoint's addresses.
func (d *drill) waitAll(present bool) (time.Time, error) {
	deadline := time.Now().Add(d.timeout)
	for time.Now().Before(deadline) {
		done := true
		for _, ns := range d.nameservers {
			got, err := query(ns, d.service)
			has := slices.ContainsFunc(got, func(a string) bool { return slices.Contains(d.addrs, a) })
			if err != nil || has != present {
				done = false
				break
			}
		}
		if done {
			return time.Now(), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("the nameservers did not all shift within %s", d.timeout)
}

func (d *drill) propose(cmd state.Command) error {
	data, err := state.Encode(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return d.client.Apply(ctx, d.member, data)
}

// query asks one nameserver for a name's A or AAAA addresses. An answer
// that is not NOERROR is an error, not an empty set: a node catching up
// after a restart answers SERVFAIL, and that is no shift.
func query(ns, name string) ([]string, error) {
	var out []string
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		q := new(dns.Msg)
		q.SetQuestion(dns.Fqdn(name), qtype)
		r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, ns)
		if err != nil {
			return nil, err
		}
		if r.Rcode != dns.RcodeSuccess {
			return nil, fmt.Errorf("%s answered %s", ns, dns.RcodeToString[r.Rcode])
		}
		for _, rr := range r.Answer {
			switch rr := rr.(type) {
			case *dns.A:
				out = append(out, netip.AddrFrom4([4]byte(rr.A.To4())).String())
			case *dns.AAAA:
				out = append(out, netip.AddrFrom16([16]byte(rr.AAAA.To16())).String())
			}
		}
	}
	return out, nil
}
