package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"outlast/internal/model"
)

// MinInterval is the shortest check interval accepted: below it a thousand
// endpoints would cost more in probing than they are worth.
const MinInterval = 100 * time.Millisecond

// validator collects problems with their field paths; positions are added by Parse.
type validator struct {
	problems problemList
	skip     func(path string) bool // paths not to report, when not nil
}

func (v *validator) add(path, format string, args ...any) {
	if v.skip != nil && v.skip(path) {
		return
	}
	v.problems.add(func() Problem { return Problem{Path: path, Message: message(format, args...)} })
}

// validate checks a decoded, defaulted configuration. Problems at paths
// skip reports true for are left out (skip may be nil).
func validate(c *Config, skip func(path string) bool) problemList {
	v := &validator{skip: skip}
	v.listener("dns.listen", c.DNS.Listen)
	v.rateLimit(&c.DNS.RateLimit)
	v.tsigKeys(c.DNS.TSIGKeys)
	if n := len(c.DNS.NSIDValue()); n > MaxNSID {
		v.add("dns.nsid", "is %d bytes; at most %d", n, MaxNSID)
	}
	v.listener("http.listen", c.HTTP.Listen)
	if ap, err := netip.ParseAddrPort(c.HTTP.Listen); err == nil && !ap.Addr().IsLoopback() && c.Cluster.Listen == "" {
		v.add("http.listen", "%s is not loopback, so the API must be served over TLS with the node certificate; "+
			"configure cluster (with its tls files) or listen on 127.0.0.1", c.HTTP.Listen)
	}
	switch c.HTTP.TLS {
	case HTTPAuto:
	case HTTPAlways:
		if c.Cluster.Listen == "" {
			v.add("http.tls", "always serves the API with the node certificate; configure cluster (with its tls files) or use auto")
		}
	default:
		v.add("http.tls", "%q: use auto (TLS off loopback) or always", c.HTTP.TLS)
	}
	v.allowedHosts(c.HTTP.AllowedHosts)
	v.resolver(&c.Resolver)
	v.cluster(c)
	v.api(&c.API)
	if c.Health.StaleAfter < 1 {
		v.add("health.stale_after", "must be at least 1 interval, got %d", c.Health.StaleAfter)
	}
	if len(c.Zones) == 0 {
		v.add("zones", "at least one zone is required: outlast answers only inside its zones")
	}
	apexes := map[string]int{}
	for i := range c.Zones {
		path := fmt.Sprintf("zones[%d]", i)
		v.zone(path, &c.Zones[i])
		v.zoneSecurity(path, &c.Zones[i], c)
		if prev, dup := apexes[c.Zones[i].Apex]; dup && c.Zones[i].Apex != "" {
			v.add(path+".apex", "zone %s is already defined at zones[%d]", c.Zones[i].Apex, prev)
		}
		apexes[c.Zones[i].Apex] = i
	}
	v.geo(&c.Geo)
	v.services(c)
	v.proxy(&c.Proxy, c.Services)
	if v.problems.count() == 0 {
		// Orders are measured only between areas and locations known good.
		fillNearest(c, v)
	}
	return v.problems
}

func (v *validator) listener(path, addr string) {
	if _, err := netip.ParseAddrPort(addr); err != nil {
		v.add(path, "%q must be an IP address and port, such as 127.0.0.1:8053 or [::1]:8053", addr)
	}
}

// resolver checks the resolver section; zero durations are defaults.
func (v *validator) resolver(r *Resolver) {
	for i, s := range r.Servers {
		if _, err := netip.ParseAddrPort(s); err != nil {
			v.add(fmt.Sprintf("resolver.servers[%d]", i), "%q must be an IP address and port, such as 192.0.2.53:53 or [2001:db8::53]:53", s)
		}
	}
	for _, d := range []struct {
		path  string
		value time.Duration
	}{{"timeout", r.Timeout}, {"min_ttl", r.MinTTL}, {"max_ttl", r.MaxTTL}, {"max_stale", r.MaxStale}, {"stale_ttl", r.StaleTTL}} {
		if d.value < 0 {
			v.add("resolver."+d.path, "must not be negative, got %s (leave it out for the default)", d.value)
		}
	}
	if r.MinTTL > 0 && r.MaxTTL > 0 && r.MinTTL > r.MaxTTL {
		v.add("resolver.min_ttl", "%s is longer than max_ttl %s", r.MinTTL, r.MaxTTL)
	}
}

// allowedHosts checks http.allowed_hosts: bare host names, as a Host
// header carries them without the port.
func (v *validator) allowedHosts(hosts []string) {
	for i, h := range hosts {
		path := fmt.Sprintf("http.allowed_hosts[%d]", i)
		if !isHostName(h) {
			v.add(path, "%q is not a host name; write the bare name, such as status.example.com, without a scheme or port", h)
		}
	}
}

// isHostName reports whether h is a DNS host name: dot-separated labels
// of letters, digits and hyphens, each 1 to 63 long, 253 at most in all.
func isHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func (v *validator) cluster(c *Config) {
	cl := &c.Cluster
	if cl.Listen == "" {
		if cl.DataDir != "" || len(cl.Peers) > 0 || cl.TLS != (ClusterTLS{}) || cl.RaftMultiplier != 0 {
			v.add("cluster.listen", "is required when any other cluster field is set")
		}
		return
	}
	v.listener("cluster.listen", cl.Listen)
	v.hostPort("cluster.advertise", cl.Advertise)
	if cl.DataDir == "" {
		v.add("cluster.data_dir", "is required in a cluster: the Raft log and snapshots live there")
	}
	if cl.RaftMultiplier < 1 || cl.RaftMultiplier > MaxRaftMultiplier {
		v.add("cluster.raft_multiplier", "must be from 1 (the fastest elections) to %d, got %d", MaxRaftMultiplier, cl.RaftMultiplier)
	}
	for _, f := range []struct{ field, file string }{
		{"ca_file", cl.TLS.CAFile}, {"cert_file", cl.TLS.CertFile}, {"key_file", cl.TLS.KeyFile},
	} {
		if f.file == "" {
			v.add("cluster.tls."+f.field, "is required in a cluster: nodes talk only over mutual TLS (see docs/tls.md)")
		}
	}
	names, addrs := map[string]bool{}, map[string]bool{}
	for i, p := range cl.Peers {
		path := fmt.Sprintf("cluster.peers[%d]", i)
		if p.Name == "" {
			v.add(path+".name", "is required: the peer's node.name")
		} else if names[p.Name] {
			v.add(path+".name", "peer %q is listed twice", p.Name)
		}
		v.hostPort(path+".address", p.Address)
		if p.Name == c.Node.Name && p.Location != (model.Location{}) && p.Location != c.Node.Location {
			v.add(path+".location", "%s is node %s, whose node.location is %s; they must agree", p.Location, p.Name, c.Node.Location)
		}
		if addrs[p.Address] && p.Address != "" {
			v.add(path+".address", "address %s is listed twice", p.Address)
		}
		names[p.Name], addrs[p.Address] = true, true
	}
}

func (v *validator) api(a *API) {
	names := map[string]bool{}
	for i, t := range a.Tokens {
		path := fmt.Sprintf("api.tokens[%d]", i)
		switch {
		case t.Name == "":
			v.add(path+".name", "is required: who uses the token, recorded with every change they make")
		case names[t.Name]:
			v.add(path+".name", "token name %q is used twice", t.Name)
		}
		names[t.Name] = true
		if t.Scope != ScopeRead && t.Scope != ScopeAdmin {
			v.add(path+".scope", "%q is not a scope; use read or admin", t.Scope)
		}
		if len(t.SHA256) != 64 || strings.Trim(strings.ToLower(t.SHA256), "0123456789abcdef") != "" {
			v.add(path+".sha256", "must be the 64 hex digits of the token's SHA-256 (outlast token new prints it)")
		}
	}
}

// hostPort checks a host:port another node dials; the host may be a name.
func (v *validator) hostPort(path, addr string) {
	cut := strings.LastIndexByte(addr, ':')
	host, port := strings.Trim(addr[:max(cut, 0)], "[]"), addr[cut+1:]
	if cut < 1 || host == "" {
		v.add(path, "%q must be host:port, such as 10.0.0.2:7946", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		v.add(path, "%q has no valid port (1-65535)", addr)
	}
}

func (v *validator) zone(path string, z *Zone) {
	if z.Apex == "" {
		v.add(path+".apex", "is required: the zone's name, such as example.com")
		return
	}
	v.name(path+".apex", z.Apex)
	// A zone with records may take its nameservers (and SOA names) from
	// their apex NS and SOA; internal/zone fills them in and says when
	// neither place has any.
	if len(z.NS) == 0 && !z.HasRecords() {
		v.add(path+".ns", "at least one nameserver is required for the zone's NS records")
	}
	for i, ns := range z.NS {
		p := fmt.Sprintf("%s.ns[%d]", path, i)
		if ns.Name == "" {
			v.add(p+".name", "is required: the nameserver's host name")
			continue
		}
		v.name(p+".name", ns.Name)
		if inZone(ns.Name, z.Apex) && len(ns.Addresses) == 0 {
			v.add(p+".addresses", "nameserver %s is inside zone %s, so it needs glue addresses", ns.Name, z.Apex)
		}
	}
	if z.SOA.RName != "" || !z.HasRecords() {
		v.name(path+".soa.rname", z.SOA.RName)
	}
	if z.File != "" && z.SOA.Refresh == 0 {
		return // timers left to the file's SOA, which zone.Check reads and checks
	}
	v.seconds(path+".soa.refresh", z.SOA.Refresh)
	v.seconds(path+".soa.retry", z.SOA.Retry)
	v.seconds(path+".soa.expire", z.SOA.Expire)
	v.seconds(path+".soa.minimum", z.SOA.Minimum)
	v.seconds(path+".soa.ttl", z.SOA.TTL)
}

func (v *validator) services(c *Config) {
	// A configuration of static zones only (a migrated zone before its
	// first service) is valid: it serves what its records say.
	if len(c.Services) == 0 && !anyRecords(c.Zones) {
		v.add("services", "at least one service is required: a name for outlast to steer (or records in a zone to serve)")
	}
	seen := map[string]int{}
	names := map[string]int{} // the first service of each name, for CNAME conflicts
	endpoints := map[string]string{}
	for i := range c.Services {
		s := &c.Services[i]
		path := fmt.Sprintf("services[%d]", i)
		v.service(path, s, c.Zones)
		v.serviceGeo(path, s, &c.Geo)
		v.primary(path, s, c.Node.HookDir)
		key := s.Name + " " + string(s.Type)
		if prev, dup := seen[key]; dup {
			v.add(path+".name", "service %s %s is already defined at services[%d]", s.Name, s.Type, prev)
		} else if prev, shared := names[s.Name]; shared && (s.Answer == AnswerCNAME || c.Services[prev].Answer == AnswerCNAME) {
			v.add(path+".name", "%s is also the name of services[%d], and one of them answers a CNAME, which must be alone at its name", s.Name, prev)
		}
		seen[key] = i
		if _, ok := names[s.Name]; !ok {
			names[s.Name] = i
		}
		for j, e := range s.Endpoints {
			p := fmt.Sprintf("%s.endpoints[%d].name", path, j)
			if owner, dup := endpoints[e.Name]; dup && e.Name != "" {
				v.add(p, "endpoint name %q is already used in %s; endpoint names must be unique across the configuration", e.Name, owner)
			}
			endpoints[e.Name] = p
		}
	}
}

func (v *validator) service(path string, s *Service, zones []Zone) {
	switch {
	case s.Name == "":
		v.add(path+".name", "is required: the DNS name to steer, such as api.example.com")
	case v.name(path+".name", s.Name) && ZoneOf(s.Name, zones) == nil:
		v.add(path+".name", "%s is not inside any configured zone (%s)", s.Name, apexList(zones))
	}
	if s.Type != model.TypeA && s.Type != model.TypeAAAA {
		v.add(path+".type", "%q is not supported; use A or AAAA", s.Type)
	}
	v.seconds(path+".ttl", s.TTL)
	v.policy(path, s)
	v.answerStyle(path, s, zones)
	if s.PanicThreshold < 0 || s.PanicThreshold > 100 {
		v.add(path+".panic_threshold", "must be a percentage from 0 (off) to 100, got %d", s.PanicThreshold)
	}
	if s.RTO < 0 {
		v.add(path+".rto", "must not be negative, got %s (leave it out for no objective)", s.RTO)
	}
	v.check(path+".check", &s.Check)
	if len(s.Endpoints) == 0 {
		v.add(path+".endpoints", "at least one endpoint is required")
	}
	for i := range s.Endpoints {
		v.endpoint(fmt.Sprintf("%s.endpoints[%d]", path, i), &s.Endpoints[i], s)
	}
	for i, a := range s.Fallback {
		v.family(fmt.Sprintf("%s.fallback[%d]", path, i), a, s.Type)
	}
}

func (v *validator) policy(path string, s *Service) {
	switch s.Policy {
	case PolicyFailover, PolicyWeighted, PolicyAll, PolicyGeo, PolicyPrimary:
	default:
		v.add(path+".policy", "%q is not a policy; use failover, weighted, all, geo or primary", s.Policy)
	}
	if s.MaxAnswers < 1 {
		v.add(path+".max_answers", "must be at least 1, got %d", s.MaxAnswers)
	}
	switch s.WhenAllDown {
	case AllDownServeAll, AllDownEmpty:
		if len(s.Fallback) > 0 {
			v.add(path+".fallback", "is set but when_all_down is %s; set when_all_down: fallback to use it", s.WhenAllDown)
		}
	case AllDownFallback:
		if len(s.Fallback) == 0 {
			v.add(path+".fallback", "when_all_down is fallback, so at least one fallback address is required")
		}
	default:
		v.add(path+".when_all_down", "%q is not valid; use serve-all, empty or fallback", s.WhenAllDown)
	}
	switch {
	case s.ReturnRamp < 0 || s.ReturnRamp > MaxReturnRamp:
		v.add(path+".return_ramp", "%s is outside 0s..%s", s.ReturnRamp, MaxReturnRamp)
	case s.ReturnRamp > 0 && s.Policy != PolicyFailover && s.Policy != PolicyWeighted:
		v.add(path+".return_ramp", "is for failover and weighted services, whose answers can give a returning endpoint a share; this one is %s", s.Policy)
	}
}

// MaxReturnRamp bounds services[].return_ramp: a return longer than a day
// is a drain, which overrides do better.
const MaxReturnRamp = 24 * time.Hour

// answerStyle checks how a service answers its hostname endpoints.
func (v *validator) answerStyle(path string, s *Service, zones []Zone) {
	switch s.Answer {
	case AnswerFlatten:
	case AnswerCNAME:
		if s.Policy == PolicyAll {
			v.add(path+".policy", "all answers every healthy endpoint, but a name holds one CNAME; use failover or weighted with answer: cname, or answer: flatten")
		}
		if z := ZoneOf(s.Name, zones); z != nil && z.Apex == s.Name {
			v.add(path+".answer", "cname is not allowed at the zone apex %s, which holds its SOA and NS records; use answer: flatten", s.Name)
		}
		for i := range s.Endpoints {
			if e := &s.Endpoints[i]; !e.HasTarget() && len(e.Addresses) > 0 {
				v.add(fmt.Sprintf("%s.endpoints[%d].target", path, i),
					"answer: cname needs every endpoint to name a target hostname; give %s a target, or use answer: flatten to mix addresses and hostnames", e.Name)
			}
		}
	default:
		v.add(path+".answer", "%q is not an answer style; use flatten (answer the targets' addresses) or cname", s.Answer)
	}
}

func (v *validator) endpoint(path string, e *Endpoint, s *Service) {
	if e.Name == "" {
		v.add(path+".name", "is required: a name unique across the configuration")
	}
	if e.Location == (model.Location{}) {
		v.add(path+".location", "is required: where the endpoint runs, as provider/region (for example aws/us-east-1)")
	}
	switch {
	case len(e.Addresses) > 0 && e.HasTarget():
		v.add(path+".target", "is set beside addresses; name the endpoint by its addresses or by its target hostname, not both")
	case len(e.Addresses) == 0 && !e.HasTarget():
		v.add(path+".addresses", "an endpoint needs its addresses, or the target hostname it is reached at (target)")
	case e.HasTarget():
		v.target(path, e, s)
	}
	for i, a := range e.Addresses {
		v.family(fmt.Sprintf("%s.addresses[%d]", path, i), a, s.Type)
	}
	if e.Priority < 0 {
		v.add(path+".priority", "must not be negative, got %d", e.Priority)
	}
}

// target checks an endpoint's target hostname.
func (v *validator) target(path string, e *Endpoint, s *Service) {
	if _, err := netip.ParseAddr(strings.TrimSuffix(e.Target, ".")); err == nil {
		v.add(path+".target", "%s is an IP address; list it under addresses instead", strings.TrimSuffix(e.Target, "."))
		return
	}
	if !v.name(path+".target", e.Target) {
		return
	}
	if e.Target == s.Name {
		v.add(path+".target", "%s is the service's own name, which would point at itself", e.Target)
	}
	if e.ProbeAddress.IsValid() {
		v.add(path+".probe_address", "is for endpoints named by address; an endpoint with a target is probed at the addresses its hostname resolves to")
	}
}

func (v *validator) family(path string, a netip.Addr, t model.RecordType) {
	switch {
	case !a.IsValid():
		v.add(path, "is not an IP address")
	case t == model.TypeA && !a.Is4():
		v.add(path, "%s is not an IPv4 address, but the service type is A", a)
	case t == model.TypeAAAA && !a.Is6():
		v.add(path, "%s is not an IPv6 address, but the service type is AAAA", a)
	}
}

// seconds checks a duration that becomes a DNS TTL-like field of whole seconds.
func (v *validator) seconds(path string, d time.Duration) {
	if d <= 0 || d%time.Second != 0 || d > 1<<31*time.Second {
		v.add(path, "%s must be a positive whole number of seconds, such as 30s", d)
	}
}

// name checks the syntax of a canonical (lower-case, trailing dot) DNS name.
func (v *validator) name(path, name string) bool {
	if msg := nameProblem(name); msg != "" {
		v.add(path, "%q is not a valid DNS name: %s", strings.TrimSuffix(name, "."), msg)
		return false
	}
	return true
}

func nameProblem(name string) string {
	trimmed := strings.TrimSuffix(name, ".")
	if trimmed == "" {
		return "it is empty"
	}
	if len(trimmed) > 253 {
		return "it is longer than 253 characters"
	}
	for _, label := range strings.Split(trimmed, ".") {
		if label == "" {
			return "it has an empty label (two dots in a row)"
		}
		if len(label) > 63 {
			return "label " + strconv.Quote(label) + " is longer than 63 characters"
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "label " + strconv.Quote(label) + " has the character " + strconv.QuoteRune(r)
			}
		}
	}
	return ""
}

// inZone reports whether name is apex or below it (both canonical).
func inZone(name, apex string) bool {
	return name == apex || strings.HasSuffix(name, "."+apex)
}

// ZoneOf returns the most specific zone holding name, or nil.
func ZoneOf(name string, zones []Zone) *Zone {
	var best *Zone
	for i := range zones {
		if inZone(name, zones[i].Apex) && (best == nil || len(zones[i].Apex) > len(best.Apex)) {
			best = &zones[i]
		}
	}
	return best
}

func apexList(zones []Zone) string {
	if len(zones) == 0 {
		return "no zones are configured"
	}
	// Listing every zone would make one message as long as the file.
	const most = 10
	names := make([]string, 0, min(len(zones), most+1))
	for _, z := range zones[:min(len(zones), most)] {
		names = append(names, clip(z.Apex))
	}
	if len(zones) > most {
		names = append(names, fmt.Sprintf("and %d more", len(zones)-most))
	}
	return "zones: " + strings.Join(names, ", ")
}

func anyRecords(zones []Zone) bool {
	for i := range zones {
		if zones[i].HasRecords() {
			return true
		}
	}
	return false
}
