package xfr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/zoneserial"
)

// Target is a secondary to notify.
type Target struct {
	Addr    netip.AddrPort // the secondary's address and port (usually 53)
	KeyName string         // TSIG key to sign NOTIFY with; "" sends it unsigned
	Key     Key
}

// NotifierConfig configures a Notifier. Zero durations and counts take
// their defaults.
type NotifierConfig struct {
	// Targets are the secondaries notified of every zone change.
	Targets []Target
	// InitialInterval is how long the first NOTIFY waits for an answer
	// before it is sent again; each retry waits twice as long as the one
	// before, up to MaxInterval (default 2s).
	InitialInterval time.Duration
	// MaxInterval caps the wait between retries (default 60s, RFC 1996
	// §3.6's suggested interval).
	MaxInterval time.Duration
	// MaxTries is how many times one serial is sent to one secondary
	// before giving up (default 10: about six minutes with the defaults,
	// after which the secondary's SOA refresh timer still catches up).
	MaxTries int
	// Logger receives one line per NOTIFY that was not acknowledged
	// (default: discarded).
	Logger *slog.Logger
	// OnResult, when set, is called once per (secondary, zone, serial)
	// that finished: acknowledged, rejected or given up. Not called for a
	// serial superseded by a newer one, nor after Close. It must not block.
	OnResult func(Result)
}

// Defaults of NotifierConfig.
const (
	DefaultNotifyInitialInterval = 2 * time.Second
	DefaultNotifyMaxInterval     = 60 * time.Second
	DefaultNotifyMaxTries        = 10
)

// Result is how notifying one secondary of one serial ended.
type Result struct {
	Zone   string
	Target netip.AddrPort
	Serial uint32
	Tries  int   // NOTIFY messages sent for this serial
	Rcode  int   // the secondary's answer, when it answered
	Err    error // nil when acknowledged (NOERROR); ErrNotifyRejected or ErrNotifyUnanswered otherwise
}

// Errors in Result.Err.
var (
	ErrNotifyRejected   = errors.New("xfr: secondary answered NOTIFY with an error; check its ACL for this primary's address and key")
	ErrNotifyUnanswered = errors.New("xfr: secondary did not answer NOTIFY; check that it is reachable over UDP")
	errSuperseded       = errors.New("xfr: a newer serial superseded this NOTIFY")
)

// Notifier sends NOTIFY (RFC 1996) to secondaries when a zone changes and
// retries with exponential backoff until each answers. There is at most one
// NOTIFY under way per (secondary, zone): a newer serial for the same pair
// replaces the pending one at once, with a fresh backoff. So the
// goroutines are bounded by targets × zones.
type Notifier struct {
	cfg    NotifierConfig
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	pending map[pendingKey]*pending
}

type pendingKey struct {
	target netip.AddrPort
	zone   string
}

type pending struct { // guarded by Notifier.mu
	soa       *dns.SOA                // the newest serial to announce
	supersede context.CancelCauseFunc // ends the delivery of an older soa; nil before the first
}

// NewNotifier returns a Notifier; Close stops it.
func NewNotifier(cfg NotifierConfig) *Notifier {
	if cfg.InitialInterval <= 0 {
		cfg.InitialInterval = DefaultNotifyInitialInterval
	}
	if cfg.MaxInterval <= 0 {
		cfg.MaxInterval = DefaultNotifyMaxInterval
	}
	cfg.MaxInterval = max(cfg.MaxInterval, cfg.InitialInterval)
	if cfg.MaxTries <= 0 {
		cfg.MaxTries = DefaultNotifyMaxTries
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Notifier{cfg: cfg, ctx: ctx, cancel: cancel, pending: make(map[pendingKey]*pending)}
}

// Notify announces soa (the zone's new SOA: its owner is the zone, its
// serial the new version) to every target, without blocking. The SOA is
// sent in the answer section, as RFC 1996 §3.7 allows and Knot does, so a
// secondary already at that serial need not ask. A serial that is not newer
// than the one pending for a target is ignored.
func (n *Notifier) Notify(soa *dns.SOA) {
	zone := dns.CanonicalName(soa.Hdr.Name)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	for _, t := range n.cfg.Targets {
		k := pendingKey{t.Addr, zone}
		if p := n.pending[k]; p != nil {
			if zoneserial.Less(p.soa.Serial, soa.Serial) {
				p.soa = soa
				if p.supersede != nil {
					p.supersede(errSuperseded)
				}
			}
			continue
		}
		p := &pending{soa: soa}
		n.pending[k] = p
		n.wg.Add(1)
		go n.run(t, k, p)
	}
}

// Close stops every NOTIFY under way and waits for their goroutines.
func (n *Notifier) Close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
	return nil
}

// run notifies one target of one zone until the newest serial is answered,
// rejected or given up.
func (n *Notifier) run(t Target, k pendingKey, p *pending) {
	defer n.wg.Done()
	for {
		ctx, cancel := context.WithCancelCause(n.ctx)
		n.mu.Lock()
		soa := p.soa
		p.supersede = cancel // Notify cancels it when it replaces soa
		n.mu.Unlock()

		res := n.deliver(ctx, t, soa)
		cancel(nil)
		if errors.Is(res.Err, errSuperseded) {
			continue
		}
		n.mu.Lock()
		if p.soa != soa && n.ctx.Err() == nil {
			n.mu.Unlock()
			continue
		}
		delete(n.pending, k)
		n.mu.Unlock()
		if n.ctx.Err() != nil {
			return
		}
		n.report(res)
		return
	}
}

func (n *Notifier) report(res Result) {
	if res.Err != nil {
		n.cfg.Logger.Warn("NOTIFY not acknowledged", "zone", res.Zone, "secondary", res.Target.String(),
			"serial", res.Serial, "tries", res.Tries, "err", res.Err)
	}
	if n.cfg.OnResult != nil {
		n.cfg.OnResult(res)
	}
}

// deliver sends one serial to one target, retrying with backoff. It
// returns early with ctx's cause when ctx ends: errSuperseded when Notify
// replaced soa, or the Notifier's error when it closes.
func (n *Notifier) deliver(ctx context.Context, t Target, soa *dns.SOA) Result {
	res := Result{Zone: dns.CanonicalName(soa.Hdr.Name), Target: t.Addr, Serial: soa.Serial}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", t.Addr.String())
	if err != nil {
		res.Err = fmt.Errorf("%w: %v", ErrNotifyUnanswered, err)
		return res
	}
	co := &dns.Conn{Conn: c}
	if t.KeyName != "" {
		co.TsigSecret = map[string]string{dns.CanonicalName(t.KeyName): t.Key.Secret}
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) }) // unblock a read at once
	defer func() { stop(); c.Close() }()

	m := notifyMsg(soa, t)
	interval := n.cfg.InitialInterval
	for res.Tries < n.cfg.MaxTries {
		res.Tries++
		deadline := time.Now().Add(interval)
		r, err := exchangeOnce(ctx, co, m, t, deadline)
		if cause := context.Cause(ctx); ctx.Err() != nil {
			res.Err = cause
			return res
		}
		if err == nil {
			res.Rcode = r.Rcode
			if r.Rcode != dns.RcodeSuccess {
				res.Err = fmt.Errorf("%w: %s", ErrNotifyRejected, dns.RcodeToString[r.Rcode])
			}
			return res
		}
		if !sleepUntil(ctx, deadline) {
			res.Err = context.Cause(ctx)
			return res
		}
		interval = min(2*interval, n.cfg.MaxInterval)
	}
	res.Err = ErrNotifyUnanswered
	return res
}

func notifyMsg(soa *dns.SOA, t Target) *dns.Msg {
	m := new(dns.Msg)
	m.SetNotify(dns.CanonicalName(soa.Hdr.Name))
	m.Answer = []dns.RR{soa}
	return m
}

// errNoAck is a try that got no usable answer before its deadline.
var errNoAck = errors.New("xfr: no NOTIFY answer")

// exchangeOnce sends m and reads until a matching answer or the deadline.
// A SERVFAIL answer counts as no answer, so it is retried; any other rcode
// is final.
func exchangeOnce(ctx context.Context, co *dns.Conn, m *dns.Msg, t Target, deadline time.Time) (*dns.Msg, error) {
	if t.KeyName != "" {
		m.Extra = nil
		m.SetTsig(dns.CanonicalName(t.KeyName), t.Key.Algorithm, 300, time.Now().Unix())
	}
	_ = co.SetDeadline(deadline)
	if err := ctx.Err(); err != nil { // cancelled before the deadline was set: the AfterFunc's reset was overwritten
		return nil, err
	}
	if err := co.WriteMsg(m); err != nil {
		return nil, err
	}
	for {
		r, err := co.ReadMsg()
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) {
			return nil, err // timeout, ICMP unreachable, closed
		}
		if err != nil || !answers(r, m, t) {
			continue // garbage, a bad signature, or not our answer
		}
		if r.Rcode == dns.RcodeServerFailure {
			return nil, errNoAck
		}
		return r, nil
	}
}

// answers reports whether r answers the NOTIFY m (RFC 1996 §4.7).
func answers(r, m *dns.Msg, t Target) bool {
	if r.Id != m.Id || !r.Response || r.Opcode != dns.OpcodeNotify || len(r.Question) != 1 {
		return false
	}
	if !strings.EqualFold(dns.Fqdn(r.Question[0].Name), m.Question[0].Name) {
		return false
	}
	return t.KeyName == "" || r.IsTsig() != nil // a keyed secondary signs its answer (verified by ReadMsg)
}

func sleepUntil(ctx context.Context, deadline time.Time) bool {
	tm := time.NewTimer(time.Until(deadline))
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
