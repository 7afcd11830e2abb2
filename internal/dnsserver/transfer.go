package dnsserver

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"outlast/internal/xfr"
)

// Zone transfers (AXFR, RFC 5936; IXFR, RFC 1995) out to secondaries at
// other providers. The zone's versions come from its xfr.Journal, which the
// node feeds (Snapshot.ZoneVersion, Journal.AddIfChanged); who may transfer
// is the zone's xfr.ACLs, checked with the request's source address and its
// TSIG status. What each request gets:
//
//	AXFR over TCP, allowed      the newest version, SOA to SOA, in messages of
//	                            up to 64 KiB, each signed when the request was
//	IXFR over TCP, allowed      the steps from the requester's serial when the
//	                            journal reaches back to it, the single SOA
//	                            when it is current, else the whole zone
//	IXFR over UDP, allowed      the single current SOA (RFC 1995 2: the client
//	                            then asks over TCP)
//	AXFR over UDP               REFUSED, as before (RFC 5936 4.2 defines none)
//	not allowed, or a zone
//	  without transfer rules    REFUSED, as Knot and BIND
//	IXFR without an SOA in the
//	  authority section         FORMERR (RFC 1995 3), as Knot
//	transfers at the cap        SERVFAIL: the secondary retries after its
//	                            SOA retry interval (BIND's transfers-out quota)
//	journal still empty         SERVFAIL: the zone is not published yet

// Transfer defaults.
const (
	// DefaultMaxTransfers is how many transfers run at once (BIND's
	// transfers-out default is 10).
	DefaultMaxTransfers = 10
	// DefaultTransferTimeout bounds one whole transfer, beyond the per
	// write bound of every TCP answer (Knot: tcp-io-timeout, per message).
	DefaultTransferTimeout = 2 * time.Minute
)

// TransferZone is one zone served to secondaries.
type TransferZone struct {
	// Apex is the zone's apex, as in the config's zones[].apex.
	Apex string
	// ACLs say who may transfer the zone; empty allows nobody. Their keys
	// also sign replies to any query signed with them.
	ACLs xfr.ACLs
	// Journal holds the zone's versions; the node adds one after each
	// snapshot that changed the zone (Snapshot.ZoneVersion,
	// Journal.AddIfChanged).
	Journal *xfr.Journal
}

// TransferConfig configures zone transfers: NewTransfer validates it.
type TransferConfig struct {
	Zones []TransferZone
	// MaxTransfers caps the transfers served at once (default
	// DefaultMaxTransfers); over it a request gets SERVFAIL.
	MaxTransfers int
	// Timeout bounds one transfer from the first message to the last
	// (default DefaultTransferTimeout); a transfer over it is cut off and
	// its connection closed. Each message also has the TCP write bound.
	Timeout time.Duration
	// OnTransfer, when set, hears of every AXFR or IXFR request over TCP
	// and IXFR over UDP, after it was answered; and OnTSIG of every signed
	// request, as verified. Both must be cheap and safe for concurrent
	// use: they feed metrics and logs.
	OnTransfer func(TransferEvent)
	OnTSIG     func(TSIGEvent)
}

// TransferResult is how a transfer request ended.
type TransferResult uint8

// Transfer results.
const (
	TransferFull        TransferResult = iota // the whole zone (AXFR, or IXFR from a serial the journal no longer holds)
	TransferIncremental                       // the steps since the requester's serial
	TransferUpToDate                          // the single current SOA: the requester is current, or asked over UDP
	TransferRefused                           // not allowed by the zone's rules, or no rules
	TransferBusy                              // over MaxTransfers: SERVFAIL
	TransferFailed                            // the journal was empty, a message could not be built or written, or the timeout
)

var transferResultNames = [...]string{"full", "incremental", "uptodate", "refused", "busy", "failed"}

func (r TransferResult) String() string {
	if int(r) < len(transferResultNames) {
		return transferResultNames[r]
	}
	return fmt.Sprintf("TransferResult(%d)", r)
}

// TransferEvent is one transfer request, for metrics and logs.
type TransferEvent struct {
	// Zone is the zone's apex as configured, "" for a name not transferred
	// here: what a stranger asks must not mint metric labels.
	Zone     string
	Type     uint16 // dns.TypeAXFR or dns.TypeIXFR
	TCP      bool
	Remote   netip.Addr
	Key      string // the request's TSIG key name, "" when unsigned
	Result   TransferResult
	Serial   uint32 // the serial sent (the journal's newest); 0 when refused
	Messages int    // DNS messages written
	Duration time.Duration
	Err      error // why a TransferFailed failed
}

// TSIGEvent is the verification of one signed request.
type TSIGEvent struct {
	// Key is the key's canonical name, "" for a key not configured (its
	// name is the requester's to choose, and must not mint metric labels).
	Key    string
	TCP    bool
	Remote netip.Addr
	// Error is 0 when the signature verified, else the TSIG error sent
	// back: dns.RcodeBadKey (no such key, its algorithm differs, or a TSIG
	// miekg cannot take apart), RcodeBadSig or RcodeBadTime.
	Error int
}

// Transfer is a validated TransferConfig for Options.Transfer or
// Server.SetTransfer; it is immutable and safe for concurrent use.
type Transfer struct {
	zones   map[string]*TransferZone // by lower-case wire apex
	keys    keyring
	slots   chan struct{}
	timeout time.Duration
	onXfr   func(TransferEvent)
	onTSIG  func(TSIGEvent)
}

// NewTransfer validates cfg: every apex a domain name, given once, with a
// journal; every TSIG key base64 with a supported algorithm and one
// definition per name.
func NewTransfer(cfg TransferConfig) (*Transfer, error) {
	t := &Transfer{zones: make(map[string]*TransferZone), timeout: cfg.Timeout, onXfr: cfg.OnTransfer, onTSIG: cfg.OnTSIG}
	if t.timeout <= 0 {
		t.timeout = DefaultTransferTimeout
	}
	n := cfg.MaxTransfers
	if n <= 0 {
		n = DefaultMaxTransfers
	}
	t.slots = make(chan struct{}, n)
	var errs []error
	for i := range cfg.Zones {
		z := &cfg.Zones[i]
		wire, err := wireName(z.Apex)
		switch {
		case err != nil:
			errs = append(errs, err)
		case z.Journal == nil:
			errs = append(errs, fmt.Errorf("dnsserver: transfer zone %s has no journal", z.Apex))
		case t.zones[string(wire)] != nil:
			errs = append(errs, fmt.Errorf("dnsserver: transfer zone %s given twice", z.Apex))
		default:
			t.zones[string(wire)] = z
		}
	}
	keys, err := newKeyring(cfg.Zones)
	t.keys = keys
	return t, errors.Join(append(errs, err)...)
}

// zone returns the transfer settings of the zone whose apex is name.
func (t *Transfer) zone(name string) *TransferZone {
	wire, err := wireName(name)
	if err != nil {
		return nil
	}
	return t.zones[string(wire)]
}

// SetTransfer replaces the transfer settings (nil: no transfers, and every
// TSIG key unknown) for requests that start after it returns, as on a
// config reload.
func (s *Server) SetTransfer(t *Transfer) { s.xfr.Store(t) }
