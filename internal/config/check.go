package config

import (
	"slices"
	"strings"
)

// The DNS types and rcodes a dns check may name. Config cannot import the
// DNS library (it stays pure), so the accepted spellings are listed here.
var (
	checkQTypes = []string{"A", "AAAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT", "PTR", "CAA"}
	checkRcodes = []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}
)

func (v *validator) check(path string, c *Check) {
	switch c.Type {
	case CheckHTTP, CheckHTTPS, CheckTCP, CheckDNS, CheckGRPC:
	case "":
		v.add(path+".type", "is required: one of http, https, tcp, dns or grpc")
		return
	default:
		v.add(path+".type", "%q is not a check type; use http, https, tcp, dns or grpc", c.Type)
		return
	}
	if c.Port == 0 {
		v.add(path+".port", "is required for %s checks", c.Type)
	} else if c.Port < 1 || c.Port > 65535 {
		v.add(path+".port", "%d is not a port number (1-65535)", c.Port)
	}
	v.timing(path, c)
	switch c.Type {
	case CheckHTTP, CheckHTTPS:
		v.httpCheck(path+".http", &c.HTTP)
	case CheckDNS:
		v.dnsCheck(path+".dns", &c.DNS)
	}
	if c.TLS.ExpiryWarning < 0 {
		v.add(path+".tls.expiry_warning", "must not be negative, got %s", c.TLS.ExpiryWarning)
	}
}

func (v *validator) timing(path string, c *Check) {
	if c.Interval < MinInterval {
		v.add(path+".interval", "%s is shorter than the minimum of %s", c.Interval, MinInterval)
	}
	switch {
	case c.Timeout <= 0:
		v.add(path+".timeout", "must be positive, got %s", c.Timeout)
	case c.Timeout > c.Interval:
		v.add(path+".timeout", "%s is longer than the interval %s; a probe must finish before the next one starts", c.Timeout, c.Interval)
	}
	if c.Interval >= MinInterval && (c.FastInterval < MinInterval || c.FastInterval > c.Interval) {
		v.add(path+".fast_interval", "%s must be between the minimum of %s and the interval %s", c.FastInterval, MinInterval, c.Interval)
	}
	if c.Fall < 1 {
		v.add(path+".fall", "must be at least 1, got %d", c.Fall)
	}
	if c.Rise < 1 {
		v.add(path+".rise", "must be at least 1, got %d", c.Rise)
	}
}

func (v *validator) httpCheck(path string, h *HTTPCheck) {
	if strings.ContainsAny(h.Method, " \t/") {
		v.add(path+".method", "%q is not an HTTP method", h.Method)
	}
	if !strings.HasPrefix(h.Path, "/") {
		v.add(path+".path", "%q must start with /", h.Path)
	}
}

func (v *validator) dnsCheck(path string, d *DNSCheck) {
	if d.Query == "" {
		v.add(path+".query", "is required for dns checks: the name to ask for")
	} else {
		v.name(path+".query", d.Query)
	}
	if !slices.Contains(checkQTypes, d.QType) {
		v.add(path+".qtype", "%q is not supported; use one of %s", d.QType, strings.Join(checkQTypes, ", "))
	}
	if !slices.Contains(checkRcodes, d.ExpectRcode) {
		v.add(path+".expect_rcode", "%q is not an rcode; use one of %s", d.ExpectRcode, strings.Join(checkRcodes, ", "))
	}
}
