package dnsserver

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/rrl"
	"outlast/internal/xfr"
)

// special reports whether a parsed request leaves the ordinary respond
// path: it carries a TSIG, or asks a zone transfer.
func special(r *dns.Msg) bool {
	return r.IsTsig() != nil || isTransfer(r)
}

func isTransfer(r *dns.Msg) bool {
	if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 {
		return false
	}
	qt := r.Question[0].Qtype
	return qt == dns.TypeAXFR || qt == dns.TypeIXFR
}

// signed is a request's verified TSIG, nil for an unsigned request.
type signed = *dns.TSIG

// verified checks a request's TSIG: status is the verification result
// (miekg's w.TsigStatus() over TCP, TsigVerify over UDP). It reports
// whether the request goes on, with its TSIG removed; when not, reply is
// what to send: nil for a key this server does not hold (the ordinary
// path answers BADKEY), else the BADSIG or BADTIME error.
func (t *Transfer) verified(r *dns.Msg, status error, tcp bool, remote netip.Addr) (tsig signed, goOn bool, reply []byte) {
	tsig = r.IsTsig()
	if tsig == nil {
		return nil, true, nil
	}
	code := tsigError(status)
	if t.onTSIG != nil {
		ev := TSIGEvent{TCP: tcp, Remote: remote, Error: code}
		if _, known := t.keys[dns.CanonicalName(tsig.Hdr.Name)]; known {
			ev.Key = dns.CanonicalName(tsig.Hdr.Name)
		}
		t.onTSIG(ev)
	}
	switch code {
	case dns.RcodeSuccess:
		r.Extra = r.Extra[:len(r.Extra)-1]
		return tsig, true, nil
	case dns.RcodeBadKey:
		return nil, false, nil
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Extra = nil
	out, err := t.keys.sign(m, tsig, code)
	if err != nil {
		return nil, false, nil // unreachable for BADSIG and BADTIME: fall back to BADKEY
	}
	return nil, false, out
}

// allow checks a transfer request against its zone's rules; rcode is
// NOERROR when it may proceed.
func (t *Transfer) allow(r *dns.Msg, tsig signed, remote netip.Addr) (*TransferZone, int) {
	q := r.Question[0]
	z := t.zone(q.Name)
	keyName := ""
	if tsig != nil {
		keyName = tsig.Hdr.Name
	}
	switch {
	case z == nil || q.Qclass != dns.ClassINET || !z.ACLs.Allow(remote, keyName, true):
		return z, dns.RcodeRefused
	case q.Qtype == dns.TypeIXFR && ixfrSerialOf(r, q.Name) == nil:
		return z, dns.RcodeFormatError
	}
	return z, dns.RcodeSuccess
}

// ixfrSerialOf returns the SOA an IXFR request carries in its authority
// section for the zone (RFC 1995 3), or nil.
func ixfrSerialOf(r *dns.Msg, apex string) *dns.SOA {
	if len(r.Ns) != 1 {
		return nil
	}
	soa, ok := r.Ns[0].(*dns.SOA)
	if !ok || dns.CanonicalName(soa.Hdr.Name) != dns.CanonicalName(apex) {
		return nil
	}
	return soa
}

// event starts the TransferEvent of a request.
func event(r *dns.Msg, z *TransferZone, tsig signed, tcp bool, remote netip.Addr) TransferEvent {
	ev := TransferEvent{Type: r.Question[0].Qtype, TCP: tcp, Remote: remote}
	if z != nil {
		ev.Zone = z.Apex
	}
	if tsig != nil {
		ev.Key = dns.CanonicalName(tsig.Hdr.Name)
	}
	return ev
}

func (t *Transfer) report(ev TransferEvent) {
	if t.onXfr != nil {
		t.onXfr(ev)
	}
}

// reply packs m, the answer to a request, signed when tsig is set.
func (t *Transfer) reply(m *dns.Msg, tsig signed, limit int) ([]byte, error) {
	if tsig == nil {
		return m.Pack()
	}
	return t.keys.signFit(m, tsig, limit)
}

// rcodeReply is the answer to r with rcode and no records.
func rcodeReply(r *dns.Msg, rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	m.Extra = nil
	return m
}

// ixfrUDP answers an IXFR over UDP: the single current SOA (RFC 1995 2),
// or an error rcode.
func (t *Transfer) ixfrUDP(r *dns.Msg, tsig signed, remote netip.Addr) (*dns.Msg, TransferEvent) {
	z, rcode := t.allow(r, tsig, remote)
	ev := event(r, z, tsig, false, remote)
	if rcode != dns.RcodeSuccess {
		ev.Result = TransferRefused
		return rcodeReply(r, rcode), ev
	}
	latest := z.Journal.Latest()
	if latest.Records == nil {
		ev.Result, ev.Err = TransferFailed, xfr.ErrEmpty
		return rcodeReply(r, dns.RcodeServerFailure), ev
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.Answer = []dns.RR{latest.Records[0]}
	ev.Result, ev.Serial, ev.Messages = TransferUpToDate, latest.Serial, 1
	return m, ev
}

// answerSpecialUDP answers a datagram that special picked, raw being its
// bytes; handled is false when the ordinary path is to answer it (a key
// this server does not hold, or no transfer settings). A handled request
// with a nil reply gets none. Replies to requests not signed with a
// verified key, which anyone can ask for from any source, come with their
// rate-limiting charge; a verified request's reply has none (charged false).
func (s *Server) answerSpecialUDP(req *dns.Msg, raw, out []byte, remote netip.Addr) (reply []byte, q Query, c charge, charged, handled bool) {
	t := s.xfr.Load()
	if t == nil {
		return nil, Query{}, charge{}, false, false
	}
	var status error
	if req.IsTsig() != nil {
		// TsigVerify rewrites the header's count in its input: verify a copy.
		status = dns.TsigVerifyWithProvider(append([]byte(nil), raw...), t.keys, "", false)
	}
	tsig, goOn, errReply := t.verified(req, status, false, remote)
	switch {
	case !goOn && errReply == nil:
		return nil, Query{}, charge{}, false, false
	case !goOn:
		return errReply, Query{Type: qtypeOf(req), Rcode: dns.RcodeNotAuth}, charge{class: rrl.Error}, true, true
	}
	limit := sizeLimit(req.IsEdns0(), true)
	if isTransfer(req) && req.Question[0].Qtype == dns.TypeIXFR {
		m, ev := t.ixfrUDP(req, tsig, remote)
		t.report(ev)
		reply, err := t.reply(m, tsig, limit)
		if err != nil {
			s.log.Debug("packing an IXFR answer", "remote", remote, "err", err)
		}
		c := charge{class: rrl.Error}
		if name, err := wireName(req.Question[0].Name); err == nil && m.Rcode == dns.RcodeSuccess {
			c = charge{class: rrl.Answer, name: name}
		}
		return reply, Query{Type: dns.TypeIXFR, Rcode: m.Rcode}, c, tsig == nil, true
	}
	reply, q, c = s.snap.Load().respondCharged(out, req, true, remote)
	if tsig == nil {
		return reply, q, c, true, true
	}
	signedReply, err := t.keys.signReply(reply, tsig, limit)
	if err != nil {
		s.log.Debug("signing a reply", "remote", remote, "err", err)
	}
	return signedReply, q, charge{}, false, true
}

func qtypeOf(r *dns.Msg) uint16 {
	if len(r.Question) == 1 {
		return r.Question[0].Qtype
	}
	return 0
}

// serveSpecialTCP answers a TCP request that special picked; handled is
// false when the ordinary path is to answer it.
func (s *Server) serveSpecialTCP(w dns.ResponseWriter, r *dns.Msg) (handled bool) {
	t := s.xfr.Load()
	if t == nil {
		return false
	}
	remote := addrOf(w.RemoteAddr())
	tsig, goOn, errReply := t.verified(r, w.TsigStatus(), true, remote)
	switch {
	case !goOn && errReply == nil:
		return false
	case !goOn:
		s.write(w, errReply, Query{Type: qtypeOf(r), Rcode: dns.RcodeNotAuth})
		return true
	}
	if isTransfer(r) {
		s.transferTCP(w, r, t, tsig, remote)
		return true
	}
	reply, q := s.snap.Load().respond(nil, r, false, remote)
	if tsig != nil {
		var err error
		if reply, err = t.keys.signReply(reply, tsig, dns.MaxMsgSize); err != nil {
			s.log.Debug("signing a reply", "remote", remote, "err", err)
			return true
		}
	}
	s.write(w, reply, q)
	return true
}

func (s *Server) write(w dns.ResponseWriter, reply []byte, q Query) {
	if _, err := w.Write(reply); err != nil {
		s.log.Debug("writing response", "remote", w.RemoteAddr(), "err", err)
	}
	if s.onQuery != nil {
		s.onQuery(q)
	}
}

// transferTCP serves one AXFR or IXFR over TCP.
func (s *Server) transferTCP(w dns.ResponseWriter, r *dns.Msg, t *Transfer, tsig signed, remote netip.Addr) {
	start := time.Now()
	z, rcode := t.allow(r, tsig, remote)
	ev := event(r, z, tsig, true, remote)
	defer func() { ev.Duration = time.Since(start); t.report(ev) }()
	if rcode != dns.RcodeSuccess {
		ev.Result = TransferRefused
		s.writeMsg(w, t, rcodeReply(r, rcode), tsig)
		return
	}
	select {
	case t.slots <- struct{}{}:
		defer func() { <-t.slots }()
	default:
		ev.Result = TransferBusy
		s.writeMsg(w, t, rcodeReply(r, dns.RcodeServerFailure), tsig)
		return
	}
	msgs, result, err := transferRecords(z, r)
	ev.Result = result
	if err != nil {
		ev.Err = err
		s.writeMsg(w, t, rcodeReply(r, dns.RcodeServerFailure), tsig)
		return
	}
	ev.Serial = msgs[0][0].(*dns.SOA).Serial
	ev.Messages, ev.Err = s.stream(w, r, msgs, tsig, start.Add(t.timeout))
	if ev.Err != nil {
		ev.Result = TransferFailed
		w.Close() // the secondary must not take a cut stream for a zone
	}
	if s.onQuery != nil {
		s.onQuery(Query{Type: r.Question[0].Qtype})
	}
}

// transferRecords returns the records of each message of an allowed
// transfer, and what kind of answer they make.
func transferRecords(z *TransferZone, r *dns.Msg) ([][]dns.RR, TransferResult, error) {
	if r.Question[0].Qtype == dns.TypeAXFR {
		msgs, err := z.Journal.AXFR(xfr.DefaultMessageSize)
		if err != nil {
			return nil, TransferFailed, err
		}
		return msgs, TransferFull, nil
	}
	from := ixfrSerialOf(r, r.Question[0].Name).Serial
	msgs, incremental, err := z.Journal.IXFR(from, xfr.DefaultMessageSize)
	switch {
	case err != nil:
		return nil, TransferFailed, err
	case incremental:
		return msgs, TransferIncremental, nil
	case len(msgs) == 1 && len(msgs[0]) == 1:
		return msgs, TransferUpToDate, nil
	}
	return msgs, TransferFull, nil
}

// errTransferTimeout is a transfer cut off at Transfer's timeout.
var errTransferTimeout = errors.New("dnsserver: transfer cut off at its timeout")

// stream writes the messages of a transfer, each signed when the request
// was: the first with the request's MAC as prior digest, the rest with the
// previous message's and the timers only (RFC 8945 5.3.1), which miekg's
// writer does when told TsigTimersOnly.
func (s *Server) stream(w dns.ResponseWriter, r *dns.Msg, msgs [][]dns.RR, tsig signed, deadline time.Time) (int, error) {
	for i, rrs := range msgs {
		if time.Now().After(deadline) {
			return i, errTransferTimeout
		}
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative, m.Compress, m.Extra = true, true, nil
		m.Answer = rrs
		if tsig != nil {
			m.SetTsig(tsig.Hdr.Name, tsig.Algorithm, 300, time.Now().Unix())
		}
		if err := w.WriteMsg(m); err != nil {
			return i, fmt.Errorf("dnsserver: writing transfer message %d of %d: %w", i+1, len(msgs), err)
		}
		w.TsigTimersOnly(true)
	}
	return len(msgs), nil
}

// writeMsg writes a one-message answer, signed with our keyring when the
// request was.
func (s *Server) writeMsg(w dns.ResponseWriter, t *Transfer, m *dns.Msg, tsig signed) {
	out, err := t.reply(m, tsig, dns.MaxMsgSize)
	if err != nil {
		s.log.Debug("packing a transfer answer", "remote", w.RemoteAddr(), "err", err)
		return
	}
	s.write(w, out, Query{Type: qtypeOf(m), Rcode: m.Rcode})
}

// tsigProvider is the server's TsigProvider for miekg's TCP server: the
// keys of the current Transfer, none without one.
type tsigProvider struct{ s *Server }

func (p tsigProvider) keys() keyring {
	if t := p.s.xfr.Load(); t != nil {
		return t.keys
	}
	return nil
}

func (p tsigProvider) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	return p.keys().Generate(msg, t)
}

func (p tsigProvider) Verify(msg []byte, t *dns.TSIG) error { return p.keys().Verify(msg, t) }
