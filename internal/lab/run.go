package lab

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"outlast/internal/lab/clients"
	"outlast/internal/lab/measure"
	"outlast/internal/model"
	"outlast/internal/shiftwatch"
	"outlast/internal/state"
)

// pollEvery is how often the lab asks every nameserver for the service's
// answer and reads the agreed verdicts: the resolution of steering and
// detection times.
const pollEvery = 100 * time.Millisecond

// RunOptions tune a scenario run.
type RunOptions struct {
	Devices  int               // simulated clients (default 200)
	Progress func(line string) // progress lines, may be nil
}

// Run plays one scenario and measures it. The lab is brought back to health
// before and after, outside the measurement.
func (l *Lab) Run(ctx context.Context, sc Scenario, opts RunOptions) (Result, error) {
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(sc.Name + ": " + fmt.Sprintf(format, args...))
		}
	}
	if opts.Devices == 0 {
		opts.Devices = 200
	}
	defer l.restore()
	if err := l.waitHealthy(ctx, sc); err != nil {
		return Result{}, err
	}
	if sc.Prepare != nil {
		if err := sc.Prepare(l); err != nil {
			return Result{}, err
		}
	}
	tl := l.startTimeline(ctx, sc, opts.Devices)
	say("%d devices calling %s%s", opts.Devices, strings.TrimSuffix(sc.Service, "."), inAreas(sc.Areas)+tl.viaProxies())
	sleep(ctx, WarmUp)
	faultAt := tl.since()
	say("fault: %s", sc.Title)
	tl.mark("fault", "fault")
	if err := sc.Fault(l); err != nil {
		tl.stop()
		return Result{}, err
	}
	healAt := -1.0
	switch {
	case sc.Heal != nil:
		sleep(ctx, HealAfter)
		healAt = tl.since()
		tl.mark("heal", "heal")
		say("heal")
		if err := sc.Heal(l); err != nil {
			tl.stop()
			return Result{}, err
		}
		l.watchReturn(ctx, sc, say)
	case sc.Midway != nil:
		sleep(ctx, Hold/2)
		tl.mark("fault", "phase 2")
		if err := sc.Midway(l); err != nil {
			tl.stop()
			return Result{}, err
		}
		sleep(ctx, Hold/2)
	default:
		sleep(ctx, Hold)
	}
	if err := ctx.Err(); err != nil {
		tl.stop()
		return Result{}, err
	}
	return tl.finish(sc, faultAt, healAt), nil
}

// watchReturn waits out the return after a heal: AfterHeal, or until the
// scenario is settled (at most SettleMax) and AfterSettle more.
func (l *Lab) watchReturn(ctx context.Context, sc Scenario, say func(string, ...any)) {
	if sc.Settled == nil {
		sleep(ctx, AfterHeal)
		return
	}
	deadline := time.Now().Add(SettleMax)
	for !sc.Settled(l) && time.Now().Before(deadline) && ctx.Err() == nil {
		sleep(ctx, pollEvery)
	}
	say("settled")
	sleep(ctx, AfterSettle)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// timeline records one scenario: the clients' outcomes, the nameservers'
// answers and the agreed verdicts, against one start time.
type timeline struct {
	lab      *Lab
	start    time.Time
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	rec      *clients.Recorder // the devices in no area
	areas    []areaDevices     // or those of each client area
	proxied  *clients.Recorder // the devices through the nodes' proxies; nil without
	nProxied int               // how many devices go through the proxies
	mu       sync.Mutex
	answers  []measure.AnswerSample
	failed   []measure.FailedPoll
	resolut  []measure.ResolutionEvent
	verdict  []measure.VerdictEvent
	markers  []Marker
	roles    *roleChecker // the database's roles and answers; nil unless the scenario has Roles
	record                // leaders and the nodes' own views (record.go)
}

func (l *Lab) startTimeline(ctx context.Context, sc Scenario, devices int) *timeline {
	ctx, cancel := context.WithCancel(ctx)
	tl := &timeline{lab: l, start: time.Now(), cancel: cancel}
	tl.rec = clients.NewRecorder(tl.start)
	tl.startRecord()
	var nameservers []string
	for _, n := range l.Nodes {
		nameservers = append(nameservers, n.DNSAddr())
	}
	copts := clients.Options{
		Devices: devices, Rate: 1, Nameservers: nameservers, Name: sc.Service, Port: l.port,
		Reachable: func(ns string) bool { return l.nodeAt(ns).Up() },
	}
	tl.areas = devicesIn(sc.Areas, devices, tl.start)
	askers := []areaDevices{{}} // the lab's own polls, from no area
	if len(tl.areas) > 0 {
		askers = tl.areas
	}
	for _, a := range tl.areas {
		o := copts
		o.Devices, o.Source = a.devices, a.source
		tl.wg.Go(func() { _ = clients.Run(ctx, o, a.rec) })
	}
	if sc.Proxied {
		o := l.proxiedOptions(copts)
		copts.Devices -= o.Devices
		tl.nProxied = o.Devices
		tl.proxied = clients.NewRecorder(tl.start)
		tl.wg.Go(func() { _ = clients.Run(ctx, o, tl.proxied) })
	}
	if len(tl.areas) == 0 {
		tl.wg.Go(func() { _ = clients.Run(ctx, copts, tl.rec) })
	}
	tl.wg.Go(func() { tl.poll(ctx, sc.Service, askers) })
	if sc.Roles {
		tl.roles = newRoleChecker(l, tl.start)
		tl.wg.Go(func() { tl.roles.run(ctx) })
	}
	return tl
}

// proxiedOptions are the devices that go through the nodes' HTTP
// proxies: half of dnsOnly's, spread over every node's proxy (device i to
// node i % 3's), as devices behind several A records, one per node, would
// be. The nodes are in three providers, us-east-1's own among them: each
// must proxy around the hung region alike. Their phases differ from the
// DNS-only devices' (another seed), as two fleets' do.
func (l *Lab) proxiedOptions(dnsOnly clients.Options) clients.Options {
	o := dnsOnly
	o.Devices = dnsOnly.Devices / 2
	o.Seed = dnsOnly.Seed + 1
	o.Via = nil
	for _, n := range l.Nodes {
		o.Via = append(o.Via, n.ProxyAddr())
	}
	return o
}

// viaProxies says how many devices go through the proxies, for the progress line.
func (tl *timeline) viaProxies() string {
	if tl.proxied == nil {
		return ""
	}
	return fmt.Sprintf(", %d of them through the nodes' HTTP proxies", tl.nProxied)
}

func (tl *timeline) since() float64 { return time.Since(tl.start).Seconds() }

func (tl *timeline) mark(kind, label string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.markers = append(tl.markers, Marker{T: tl.since(), Kind: kind, Label: label})
}

func (tl *timeline) stop() {
	tl.cancel()
	tl.wg.Wait()
	tl.stopRecord()
}

// poll samples every reachable nameserver's answer (for each asker: a
// client area, or no area), every node's resolution of the target
// hostnames and the agreed verdicts.
func (tl *timeline) poll(ctx context.Context, service string, askers []areaDevices) {
	last := map[string]model.Health{}
	resolved := map[[2]string]string{}
	for ctx.Err() == nil {
		for _, n := range tl.lab.Nodes {
			if !n.Up() {
				continue
			}
			for _, who := range askers {
				tl.pollAnswer(ctx, n, service, who)
			}
			tl.pollResolution(n, resolved)
		}
		tl.watchLeader()
		if n := tl.lab.anyUp(); n != nil {
			for name, v := range n.node.State().Verdicts.All() {
				if last[name] != v.Health && v.Health != model.Unknown && !v.Since.Before(tl.start) {
					tl.addVerdict(measure.VerdictEvent{At: v.Since.Sub(tl.start).Seconds(), Endpoint: name, Health: v.Health.String()})
				}
				last[name] = v.Health
			}
		}
		sleep(ctx, pollEvery)
	}
}

// pollAnswer asks node n for service as who's clients would. Only answers
// are samples: a SERVFAIL or a timeout is no evidence of a shift; they are
// kept apart.
func (tl *timeline) pollAnswer(ctx context.Context, n *Node, service string, who areaDevices) {
	a := askFrom(ctx, n.DNSAddr(), service, who.source)
	if a.Kind == shiftwatch.Answered {
		tl.addAnswer(measure.AnswerSample{At: tl.since(), Nameserver: n.Name, Area: who.name, Addrs: addrStrings(a.Addrs)})
	} else if ctx.Err() == nil {
		tl.addFailed(measure.FailedPoll{At: tl.since(), Nameserver: n.Name, Kind: a.Kind.String()})
	}
}

func (tl *timeline) addAnswer(s measure.AnswerSample) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.answers = append(tl.answers, s)
}

func (tl *timeline) addFailed(f measure.FailedPoll) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.failed = append(tl.failed, f)
}

// pollResolution records node n's resolution of each target when it
// differs from the one last seen (in last, by node and target).
func (tl *timeline) pollResolution(n *Node, last map[[2]string]string) {
	for _, r := range n.node.Resolution() {
		k := [2]string{n.Name, r.Target}
		if seen, ok := last[k]; ok && seen == r.State {
			continue
		}
		last[k] = r.State
		tl.mu.Lock()
		tl.resolut = append(tl.resolut, measure.ResolutionEvent{At: tl.since(), Node: n.Name, Target: r.Target, State: r.State, Error: r.Error})
		tl.mu.Unlock()
	}
}

func (tl *timeline) addVerdict(v measure.VerdictEvent) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.verdict = append(tl.verdict, v)
	tl.markers = append(tl.markers, Marker{T: v.At, Kind: "verdict", Label: v.Endpoint + " " + v.Health})
}

// finish stops the recording and computes the scenario's figures.
func (tl *timeline) finish(sc Scenario, faultAt, healAt float64) Result {
	end := tl.since()
	tl.stop()
	seconds := tl.rec.Seconds()
	var areas []measure.AreaInput
	for _, a := range tl.areas {
		areas = append(areas, measure.AreaInput{Name: a.name, Seconds: a.rec.Seconds()})
		seconds = measure.SumSeconds(seconds, a.rec.Seconds())
	}
	var proxied []measure.Second
	if tl.proxied != nil {
		proxied = tl.proxied.Seconds()
	}
	r := measure.Compute(measure.Input{
		FaultAt: faultAt, HealAt: healAt, End: end, TTL: TTL.Seconds(),
		Affected: endpointsAt(sc.Affected), AffectedAddrs: tl.lab.addrsOf(sc.Affected),
		Verdicts: tl.verdict, Answers: tl.answers, Seconds: seconds, Areas: areas,
		VerdictsAtStart: tl.atStart, Views: tl.views, Leaders: tl.leaders,
		Failed: tl.failed, Resolutions: tl.resolut, KeepAddrs: tl.lab.addrsOf(sc.Keep), AddrNames: tl.lab.addrNames(),
		Proxied: proxied,
	})
	figures := []*float64{&r.DetectionS, &r.SteeringS, &r.ClientRecoveryS, &r.ReturnS, &r.FaultAt, &r.HealAt}
	for i := range r.Areas {
		figures = append(figures, &r.Areas[i].MovedS, &r.Areas[i].ClientRecoveryS)
	}
	for i := range r.Seconds {
		figures = append(figures, &r.Seconds[i].MaxLatencyS)
	}
	for _, g := range []*measure.ClientGroup{r.DNSOnly, r.Proxied} {
		if g != nil {
			figures = append(figures, &g.ClientRecoveryS, &g.MaxLatencyBeforeS, &g.MaxLatencyS)
		}
	}
	for _, f := range figures {
		*f = math.Round(*f*1000) / 1000 // milliseconds are all the polling can tell
	}
	r.Name, r.Title, r.Description = sc.Name, sc.Title, sc.Description
	r.FaultAt, r.HealAt, r.Markers = faultAt, healAt, append(tl.markers, measure.EventMarkers(r)...)
	slices.SortFunc(r.Markers, func(a, b Marker) int { return int((a.T - b.T) * 1000) })
	if tl.roles != nil {
		r.Primary = tl.roles.result(faultAt, healAt)
		roundPrimary(r.Primary)
	}
	measure.Check(&r, sc.Bounds)
	return r
}

// pollTimeout bounds one poll of one nameserver.
const pollTimeout = 300 * time.Millisecond

// askFrom polls one nameserver for name A, as shiftwatch defines a poll,
// sent from source (when valid) so the nameserver sorts the query into
// source's client area.
func askFrom(ctx context.Context, addr, name string, source netip.Addr) shiftwatch.Answer {
	return shiftwatch.Ask(ctx, addr, shiftwatch.Query{Name: name, Timeout: pollTimeout, Source: source})
}

// endpointsAt are the endpoints of the given regions in every service: a
// fault at a region breaks its endpoint in the API (or the CDN) and, for
// an address region, in geo.example.test.
func endpointsAt(regions []string) []string {
	var out []string
	for _, spec := range dbSpecs {
		if slices.Contains(regions, spec.endpoint) {
			out = append(out, spec.endpoint) // a database server is its own endpoint
		}
	}
	for _, spec := range regionSpecs {
		if !slices.Contains(regions, spec.endpoint) {
			continue
		}
		if !spec.geoOnly {
			out = append(out, spec.endpoint)
		}
		if spec.target == "" {
			out = append(out, geoEndpoint(spec.endpoint))
		}
	}
	return out
}

// addrsOf are the addresses DNS answers for endpoints.
func (l *Lab) addrsOf(endpoints []string) []string {
	var addrs []string
	for _, e := range endpoints {
		if s := l.roleServer(e); s != nil {
			addrs = append(addrs, s.ip())
			continue
		}
		addrs = append(addrs, l.region(e).ip())
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs) // a region's endpoints in two services share its address
	return addrs
}

// addrNames says whose each region's address is: its hostname for a CDN,
// else the endpoint's name.
func (l *Lab) addrNames() map[string]string {
	names := map[string]string{}
	for i, spec := range regionSpecs {
		names[endpointIP(i)] = cmp.Or(spec.target, spec.endpoint)
	}
	for i, spec := range dbSpecs {
		names[dbIP(i)] = spec.endpoint
	}
	return names
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

func (l *Lab) nodeAt(dnsAddr string) *Node {
	for _, n := range l.Nodes {
		if n.DNSAddr() == dnsAddr {
			return n
		}
	}
	return &Node{net: newNodeNet()}
}

func (l *Lab) anyUp() *Node {
	for _, n := range l.Nodes {
		if n.Up() {
			return n
		}
	}
	return nil
}

// waitHealthy waits until every node runs, every endpoint is judged up and
// every nameserver answers the scenario's service with its first choice,
// to every client area the scenario has.
func (l *Lab) waitHealthy(ctx context.Context, sc Scenario) error {
	wants := l.firstChoices(sc)
	deadline := time.Now().Add(60 * time.Second)
	for {
		problem := l.unhealthy(sc.Service, wants)
		if problem == "" {
			problem = l.barrier(ctx)
		}
		if problem == "" {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("lab: not healthy within 60 s: %s", problem)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// firstChoice is what a healthy nameserver answers the clients of an area.
type firstChoice struct {
	area   string // "" for no area
	source netip.Addr
	want   string
}

// firstChoices are the answers a scenario starts from: use1 for the API,
// cdn-a for the CDN, and for geo.example.test each area's first region.
func (l *Lab) firstChoices(sc Scenario) []firstChoice {
	ip := func(endpoint string) string { return l.region(endpoint).ip() }
	switch {
	case len(sc.Areas) > 0:
		var out []firstChoice
		for _, name := range sc.Areas {
			out = append(out, firstChoice{name, areaSource(name), ip(areaNamed(name).first)})
		}
		return out
	case sc.Service == CDNName:
		return []firstChoice{{want: ip("cdn-a")}}
	case sc.Service == DBName:
		return []firstChoice{{want: l.roleServer(dbSpecs[0].endpoint).ip()}}
	}
	return []firstChoice{{want: ip("use1")}}
}

func (l *Lab) unhealthy(service string, wants []firstChoice) string {
	leader := l.Leader()
	if leader == nil {
		return "no leader"
	}
	// A node back from a partition may still call an election or catch up:
	// measuring before the cluster settles would blame the next scenario.
	lead := leader.node.Raft().Status()
	for _, n := range l.Nodes {
		if !n.Up() {
			return n.Name + " is down"
		}
		if cs := n.node.Raft().Status(); cs.LeaderID != leader.Name || cs.AppliedIndex < lead.CommitIndex || cs.Term != lead.Term {
			return fmt.Sprintf("%s follows %q at term %d, applied %d; the leader %s is at term %d, commit %d",
				n.Name, cs.LeaderID, cs.Term, cs.AppliedIndex, leader.Name, lead.Term, lead.CommitIndex)
		}
		if problem := l.endpointsDown(n); problem != "" {
			return problem
		}
		if problem := resolutionOf(n); problem != "" {
			return problem
		}
		for _, w := range wants {
			if a := askFrom(context.Background(), n.DNSAddr(), service, w.source); a.Kind != shiftwatch.Answered ||
				!shiftwatch.Exactly(netip.MustParseAddr(w.want))(a.Addrs) {
				return fmt.Sprintf("%s answers %s%s, want %s", n.Name, a, toArea(w.area), w.want)
			}
		}
	}
	return ""
}

// endpointsDown says which endpoint of the configuration n does not see up.
func (l *Lab) endpointsDown(n *Node) string {
	st := n.node.State()
	if st.Config == nil {
		return n.Name + " has no configuration yet"
	}
	for _, svc := range n.cfg.Services {
		for _, e := range svc.Endpoints {
			if v, _ := st.Verdicts.Get(e.Name); v.Health != model.Up {
				return fmt.Sprintf("%s sees %s as %s", n.Name, e.Name, v.Health)
			}
		}
	}
	return ""
}

// resolutionProblem says which running node's resolution of a target is
// not fresh; "" when every one is.
func (l *Lab) resolutionProblem() string {
	for _, n := range l.Nodes {
		if n.Up() {
			if problem := resolutionOf(n); problem != "" {
				return problem
			}
		}
	}
	return ""
}

func resolutionOf(n *Node) string {
	for _, r := range n.node.Resolution() {
		if r.State != "fresh" {
			return fmt.Sprintf("%s resolves %s %s (%s)", n.Name, r.Target, r.State, r.Error)
		}
	}
	return ""
}

// barrier commits an empty command and reports whether every node applied
// it at once. A node back from a partition can look in sync (heartbeats
// reach it) while the leader's replication to it still waits out Raft's
// backoff (up to about 10 s after many failed sends); a scenario measured
// then would show that lag, not the scenario.
func (l *Lab) barrier(ctx context.Context) string {
	leader := l.Leader()
	if leader == nil {
		return "no leader"
	}
	data, _ := state.Encode(state.Command{Kind: state.ExpireOverrides, At: time.Now(), Who: "lab"})
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	index, err := leader.node.Raft().Commit(actx, data)
	if err != nil {
		return "barrier not committed: " + err.Error()
	}
	for wait := time.Now().Add(500 * time.Millisecond); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
		behind := ""
		for _, n := range l.Nodes {
			if n.node.Raft().Status().AppliedIndex < index {
				behind = n.Name
			}
		}
		if behind == "" {
			return ""
		}
	}
	return "a node has not applied the barrier within 500 ms: replication to it is still backing off"
}

// restore heals every region and the providers' DNS and brings every node
// back, outside any measurement.
func (l *Lab) restore() {
	l.dns.Light()
	for _, r := range l.Regions {
		if err := r.Heal(); err != nil {
			l.log.Warn("lab: heal failed", "region", r.Endpoint, "err", err)
		}
	}
	for _, n := range l.Nodes {
		switch {
		case n.node == nil:
			if err := l.startNode(n); err != nil {
				l.log.Error("lab: restart failed", "node", n.Name, "err", err)
			}
		case !n.net.Reachable():
			n.net.setCut(false)
		}
	}
}
