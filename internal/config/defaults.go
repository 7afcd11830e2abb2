package config

import (
	"strings"
	"time"

	"outlast/internal/model"
)

// Defaults documented on the fields in types.go. They live here, in one
// place, so docs/configuration.md and the code cannot drift apart silently
// (a test compares them).
const (
	DefaultDNSListen      = "127.0.0.1:53"
	DefaultHTTPListen     = "127.0.0.1:8080"
	DefaultStaleAfter     = 3
	DefaultClusterStale   = 5 * time.Second
	DefaultRaftMultiplier = 1
	MaxRaftMultiplier     = 10
	DefaultSOASerial      = 1
	DefaultSOARefresh     = time.Hour
	DefaultSOARetry       = 10 * time.Minute
	DefaultSOAExpire      = 168 * time.Hour
	DefaultSOAMinimum     = 5 * time.Second
	DefaultSOATTL         = time.Hour
	DefaultTTL            = 30 * time.Second
	DefaultMaxAnswers     = 8
	DefaultInterval       = time.Second
	DefaultTimeout        = time.Second
	DefaultFall           = 3
	DefaultRise           = 2
	DefaultPriority       = 1
	DefaultWeight         = 1
	DefaultHTTPMethod     = "GET"
	DefaultHTTPPath       = "/"
	DefaultDNSQType       = "A"
	DefaultDNSRcode       = "NOERROR"
	DefaultExpiryWarning  = 14 * 24 * time.Hour
	DefaultStatusRangeMin = 200
	DefaultStatusRangeMax = 399
)

// DefaultLocation is the node location used when none is configured.
var DefaultLocation = model.Location{Provider: "local", Region: "local"}

func applyDefaults(c *Config, hostname string) {
	setDefault(&c.Node.Name, hostname)
	if c.Node.Location == (model.Location{}) {
		c.Node.Location = DefaultLocation
	}
	setDefault(&c.DNS.Listen, DefaultDNSListen)
	rateLimitDefaults(&c.DNS.RateLimit)
	for i := range c.DNS.TSIGKeys {
		k := &c.DNS.TSIGKeys[i]
		k.Name = canonicalName(k.Name)
		setDefault(&k.Algorithm, DefaultTSIGAlgorithm)
	}
	if c.DNS.NSID == nil {
		name := c.Node.Name
		c.DNS.NSID = &name
	}
	setDefault(&c.HTTP.Listen, DefaultHTTPListen)
	setDefault(&c.HTTP.TLS, HTTPAuto)
	setDefault(&c.Health.StaleAfter, DefaultStaleAfter)
	clusterDefaults(&c.Cluster, c.Node.Name, c.Node.Location)
	geoDefaults(&c.Geo)
	for i := range c.Zones {
		zoneDefaults(&c.Zones[i])
	}
	for i := range c.Services {
		serviceDefaults(&c.Services[i])
	}
	proxyDefaults(&c.Proxy)
}

func clusterDefaults(c *Cluster, self string, where model.Location) {
	if c.Listen == "" {
		return
	}
	setDefault(&c.Advertise, c.Listen)
	setDefault(&c.StaleAfter, DefaultClusterStale)
	setDefault(&c.RaftMultiplier, DefaultRaftMultiplier)
	if c.Bootstrap == nil {
		yes := true
		c.Bootstrap = &yes
	}
	for i, p := range c.Peers {
		if p.Name == self {
			setDefault(&c.Peers[i].Location, where)
			return
		}
	}
	if *c.Bootstrap {
		c.Peers = append(c.Peers, Peer{Name: self, Address: c.Advertise, Location: where})
	}
}

func zoneDefaults(z *Zone) {
	z.Apex = canonicalName(z.Apex)
	if z.DNSSEC != nil {
		dnssecDefaults(z.DNSSEC)
	}
	for i := range z.NS {
		z.NS[i].Name = canonicalName(z.NS[i].Name)
	}
	s := &z.SOA
	if s.MName == "" && len(z.NS) > 0 {
		s.MName = z.NS[0].Name
	}
	s.MName = canonicalName(s.MName)
	// A zone with records may take rname from its SOA record (internal/zone).
	if s.RName == "" && z.Apex != "" && !z.HasRecords() {
		s.RName = "hostmaster." + z.Apex
	}
	s.RName = canonicalName(s.RName)
	if z.File == "" {
		// A zone file's SOA gives what soa leaves out (zone.Check), as
		// a BIND or Knot operator expects of the file they bring.
		SOADefaults(s)
	}
}

// SOADefaults sets the SOA's unset serial, timers and TTL to the defaults.
func SOADefaults(s *SOA) {
	setDefault(&s.Serial, DefaultSOASerial)
	setDefault(&s.Refresh, DefaultSOARefresh)
	setDefault(&s.Retry, DefaultSOARetry)
	setDefault(&s.Expire, DefaultSOAExpire)
	setDefault(&s.Minimum, DefaultSOAMinimum)
	setDefault(&s.TTL, DefaultSOATTL)
}

func serviceDefaults(s *Service) {
	s.Name = canonicalName(s.Name)
	setDefault(&s.Type, model.TypeA)
	s.Type = model.RecordType(strings.ToUpper(string(s.Type)))
	setDefault(&s.TTL, DefaultTTL)
	setDefault(&s.Policy, PolicyFailover)
	setDefault(&s.Answer, AnswerFlatten)
	s.Answer = AnswerStyle(strings.ToLower(string(s.Answer)))
	setDefault(&s.MaxAnswers, DefaultMaxAnswers)
	setDefault(&s.WhenAllDown, AllDownServeAll)
	checkDefaults(&s.Check)
	primaryDefaults(s)
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		setDefault(&e.Priority, DefaultPriority)
		if e.Weight == nil {
			w := uint32(DefaultWeight)
			e.Weight = &w
		}
		if e.Target != "" {
			e.Target = canonicalName(e.Target)
		}
		if !e.ProbeAddress.IsValid() && len(e.Addresses) > 0 {
			e.ProbeAddress = e.Addresses[0]
		}
	}
}

func checkDefaults(c *Check) {
	c.Type = CheckType(strings.ToLower(string(c.Type)))
	setDefault(&c.Interval, DefaultInterval)
	setDefault(&c.Timeout, min(DefaultTimeout, c.Interval))
	setDefault(&c.FastInterval, min(c.Interval, max(c.Interval/4, MinInterval)))
	setDefault(&c.Fall, DefaultFall)
	setDefault(&c.Rise, DefaultRise)
	switch c.Type {
	case CheckHTTP:
		setDefault(&c.Port, 80)
	case CheckHTTPS:
		setDefault(&c.Port, 443)
	case CheckDNS:
		setDefault(&c.Port, 53)
	}
	h := &c.HTTP
	setDefault(&h.Method, DefaultHTTPMethod)
	h.Method = strings.ToUpper(h.Method)
	setDefault(&h.Path, DefaultHTTPPath)
	if h.ExpectStatus.IsZero() {
		h.ExpectStatus = StatusRange{DefaultStatusRangeMin, DefaultStatusRangeMax}
	}
	if c.DNS.Query != "" {
		c.DNS.Query = canonicalName(c.DNS.Query)
	}
	setDefault(&c.DNS.QType, DefaultDNSQType)
	c.DNS.QType = strings.ToUpper(c.DNS.QType)
	setDefault(&c.DNS.ExpectRcode, DefaultDNSRcode)
	c.DNS.ExpectRcode = strings.ToUpper(c.DNS.ExpectRcode)
	setDefault(&c.TLS.ExpiryWarning, DefaultExpiryWarning)
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// canonicalName lower-cases a DNS name and makes it fully qualified.
func canonicalName(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}
