package resolve

import (
	"context"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the UDP payload size asked for: the DNS flag day 2020 value,
// which avoids IP fragmentation; larger answers come over TCP.
const ednsSize = 1232

// exchanger asks the upstream servers, in order, one question at a time.
type exchanger struct {
	servers  []string
	timeout  time.Duration
	maxAddrs int
	udp, tcp *dns.Client
}

func newExchanger(servers []string, timeout time.Duration, maxAddrs int) *exchanger {
	return &exchanger{
		servers:  servers,
		timeout:  timeout,
		maxAddrs: maxAddrs,
		udp:      &dns.Client{Net: "udp", UDPSize: ednsSize, Timeout: timeout},
		tcp:      &dns.Client{Net: "tcp", Timeout: timeout},
	}
}

// lookup asks each server in turn until one gives an answer (addresses,
// NODATA or NXDOMAIN); it returns the last failure when none does.
func (x *exchanger) lookup(ctx context.Context, name string, qtype uint16) Outcome {
	o := Outcome{Kind: Failure, Err: "no upstream servers"}
	for _, srv := range x.servers {
		if ctx.Err() != nil {
			break
		}
		o = x.ask(ctx, srv, name, qtype)
		if o.Kind != Failure {
			return o
		}
		o.Err = srv + ": " + o.Err
	}
	return o
}

// ask sends one recursive question to srv over UDP, and over TCP when the
// UDP reply is truncated; each transport gets its own timeout.
func (x *exchanger) ask(ctx context.Context, srv, name string, qtype uint16) Outcome {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = true
	q.SetEdns0(ednsSize, false)
	reply, err := x.exchange(ctx, x.udp, q, srv)
	if err == nil && reply.Truncated {
		reply, err = x.exchange(ctx, x.tcp, q, srv)
	}
	if err != nil {
		return Outcome{Kind: Failure, Err: err.Error()}
	}
	return ParseReply(name, qtype, reply, x.maxAddrs)
}

func (x *exchanger) exchange(parent context.Context, c *dns.Client, q *dns.Msg, srv string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(parent, x.timeout)
	defer cancel()
	conn, err := c.DialContext(ctx, srv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Net, err)
	}
	defer conn.Close()
	// miekg honours only ctx's deadline; closing the connection when the
	// caller's context ends (Run stopping) lets Run return at once instead
	// of after Timeout. The timeout itself is the read deadline's, so it
	// is reported as one (an i/o timeout), not as a closed connection.
	stop := context.AfterFunc(parent, func() { conn.Close() })
	defer stop()
	reply, _, err := c.ExchangeWithConnContext(ctx, q, conn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Net, err)
	}
	return reply, nil
}
