package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/model"
)

// DNS probes t with one query for c.DNS.Query of type c.DNS.QType over UDP,
// retried over TCP when the answer is truncated. The response must carry
// c.DNS.ExpectRcode and, when set, a record whose data is c.DNS.ExpectAnswer.
//
// Over UDP nothing connects, so a hostname target is asked at its first
// address only.
func DNS(ctx context.Context, t Target, c config.Check) model.Result {
	if res, ok := t.noAddress(); ok {
		return res
	}
	return t.label(probeDNS(ctx, t, c), t.AddrPort())
}

func probeDNS(ctx context.Context, t Target, c config.Check) model.Result {
	ctx, cancel := withTimeout(ctx, c)
	defer cancel()
	start := time.Now()

	qtype, ok := dnsType(c.DNS.QType)
	if !ok {
		return failed(start, model.ReasonError, fmt.Sprintf("probe: dns: unknown query type %q", c.DNS.QType))
	}
	query := new(dns.Msg)
	query.SetQuestion(dns.Fqdn(c.DNS.Query), qtype)

	resp, err := exchangeDNS(ctx, t, query, c.Timeout)
	if err != nil {
		return dnsFailure(start, err, c)
	}
	if reason, detail := matchRcode(resp.Rcode, c.DNS.ExpectRcode); reason != model.ReasonOK {
		return failed(start, reason, detail)
	}
	if reason, detail := matchAnswer(resp.Answer, qtype, c.DNS.ExpectAnswer); reason != model.ReasonOK {
		return failed(start, reason, detail)
	}
	return passed(start)
}

func dnsType(name string) (uint16, bool) {
	if name == "" {
		return dns.TypeA, true
	}
	qtype, ok := dns.StringToType[strings.ToUpper(name)]
	return qtype, ok
}

// exchangeDNS asks over UDP and falls back to TCP for a truncated answer,
// both within ctx's deadline, which miekg/dns puts on the connection.
// Timeout replaces the client's own 2 s defaults, which would cut a longer check short.
func exchangeDNS(ctx context.Context, t Target, query *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	addr := t.AddrPort().String()
	udp := &dns.Client{Net: "udp", Timeout: timeout, Dialer: t.dialer("udp")}
	resp, _, err := udp.ExchangeContext(ctx, query, addr)
	if err != nil || !resp.Truncated {
		return resp, err
	}
	tcp := &dns.Client{Net: "tcp", Timeout: timeout, Dialer: t.dialer("tcp")}
	resp, _, err = tcp.ExchangeContext(ctx, query, addr)
	return resp, err
}

// dnsFailure classifies an exchange error; miekg/dns's own errors mean the
// peer answered with something that is not a valid DNS response.
func dnsFailure(start time.Time, err error, c config.Check) model.Result {
	var derr *dns.Error
	if errors.As(err, &derr) {
		return failed(start, model.ReasonProtocol, err.Error())
	}
	return failedErr(start, err, c)
}
