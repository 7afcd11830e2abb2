package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// dnsCounters keeps one pre-resolved counter per (query type, rcode) so the
// query path pays an array index and an atomic add, not a label lookup.
type dnsCounters struct {
	vec      *prometheus.CounterVec
	counters [len(countedTypes) + 1][len(countedRcodes) + 1]prometheus.Counter
}

// The query types and rcodes with their own label; the rest count as "other".
var (
	countedTypes  = [...]uint16{dns.TypeA, dns.TypeAAAA, dns.TypeNS, dns.TypeSOA, dns.TypeANY, dns.TypeCNAME, dns.TypeMX, dns.TypeTXT, dns.TypeHTTPS}
	countedRcodes = [...]int{dns.RcodeSuccess, dns.RcodeFormatError, dns.RcodeServerFailure, dns.RcodeNameError, dns.RcodeNotImplemented, dns.RcodeRefused}
)

func newDNSCounters() *dnsCounters {
	c := &dnsCounters{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outlast_dns_queries_total",
		Help: "DNS queries answered, by query type and response code.",
	}, []string{"qtype", "rcode"})}
	for i := range c.counters {
		qtype := "other"
		if i < len(countedTypes) {
			qtype = dns.TypeToString[countedTypes[i]]
		}
		for j := range c.counters[i] {
			rcode := "other"
			if j < len(countedRcodes) {
				rcode = dns.RcodeToString[countedRcodes[j]]
			}
			c.counters[i][j] = c.vec.WithLabelValues(qtype, rcode)
		}
	}
	return c
}

func (c *dnsCounters) inc(qtype uint16, rcode int) {
	i := len(countedTypes)
	for k, t := range countedTypes {
		if t == qtype {
			i = k
			break
		}
	}
	j := len(countedRcodes)
	for k, r := range countedRcodes {
		if r == rcode {
			j = k
			break
		}
	}
	c.counters[i][j].Inc()
}

// areaCounters counts the queries whose answer depended on the client's
// area, by area. Areas come and go with the configuration, so each one's
// counter is made on its first query and kept in a sync.Map, whose loads
// neither lock nor allocate. Each keeps its own count beside the metric,
// for the API and the status page.
type areaCounters struct {
	vec *prometheus.CounterVec
	by  sync.Map // area name → *areaCounter
}

type areaCounter struct {
	metric prometheus.Counter
	n      atomic.Uint64
}

func newAreaCounters() *areaCounters {
	return &areaCounters{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outlast_dns_area_queries_total",
		Help: "DNS queries for names with policy geo, by the client area their answer was chosen for (\"\" for clients in no area).",
	}, []string{"area"})}
}

func (c *areaCounters) inc(area string) {
	v, ok := c.by.Load(area)
	if !ok {
		v, _ = c.by.LoadOrStore(area, &areaCounter{metric: c.vec.WithLabelValues(area)})
	}
	counter := v.(*areaCounter)
	counter.metric.Inc()
	counter.n.Add(1)
}

// counts are the queries counted so far, by area.
func (c *areaCounters) counts() map[string]uint64 {
	out := map[string]uint64{}
	c.by.Range(func(area, v any) bool {
		out[area.(string)] = v.(*areaCounter).n.Load()
		return true
	})
	return out
}

// rateLimited counts the UDP replies response rate limiting truncated
// ("slip") or did not send ("drop"), pre-resolved for the query path.
type rateLimited struct {
	vec        *prometheus.CounterVec
	slip, drop prometheus.Counter
}

func newRateLimited() *rateLimited {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outlast_dns_rate_limited_total",
		Help: "UDP replies response rate limiting truncated (slip) or did not send (drop).",
	}, []string{"action"})
	return &rateLimited{vec: vec, slip: vec.WithLabelValues("slip"), drop: vec.WithLabelValues("drop")}
}

// cookieCounters count the queries' COOKIE options by what they held,
// pre-resolved for the query path.
type cookieCounters struct {
	vec *prometheus.CounterVec
	by  [3]prometheus.Counter // client, valid, invalid
}

func newCookieCounters() *cookieCounters {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outlast_dns_cookies_total",
		Help: "Queries with a COOKIE option, by what it held: client (a client cookie alone), valid (a server cookie of ours), invalid (one that does not check).",
	}, []string{"cookie"})
	return &cookieCounters{vec: vec, by: [3]prometheus.Counter{vec.WithLabelValues("client"), vec.WithLabelValues("valid"), vec.WithLabelValues("invalid")}}
}
