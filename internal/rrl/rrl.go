package rrl

import (
	"hash/maphash"
	"math"
	"net/netip"
	"sync/atomic"
	"time"
)

// Class is the kind of response being charged; each class is accounted
// apart, and it decides which name keys the account (see the package doc).
type Class uint8

const (
	// Answer is a positive answer; keyed by the query name.
	Answer Class = iota
	// NoData is a name that exists without the asked type; keyed by zone.
	NoData
	// NXDomain is a name that does not exist; keyed by zone.
	NXDomain
	// Referral is a delegation to a child zone's servers; keyed by the
	// delegation point (or the zone).
	Referral
	// Error is SERVFAIL, REFUSED, FORMERR, NOTIMP and the like; keyed by
	// client network only, whatever name is passed.
	Error
	// Large is a response chosen by the caller as a reflection favourite
	// (ANY, or one larger than a threshold it sets); keyed by query name,
	// apart from Answer so ordinary answers are not charged for it.
	Large
	classCount
)

var classNames = [classCount]string{"answer", "nodata", "nxdomain", "referral", "error", "large"}

// String names the class in lower case, for metric labels and logs.
func (c Class) String() string {
	if c < classCount {
		return classNames[c]
	}
	return "unknown"
}

// Action is what to do with a response.
type Action uint8

const (
	// Send the response as it is.
	Send Action = iota
	// Slip: send it truncated instead, TC=1 with the question alone, so a
	// genuine client retries over TCP.
	Slip
	// Drop: send nothing.
	Drop
)

var actionNames = [...]string{"send", "slip", "drop"}

// String names the action in lower case, for metric labels and logs.
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// maxName is how many bytes of a name go into a key: a DNS name is at most
// 255 bytes on the wire, so longer input is not a name the server answers.
const maxName = 255

// keyMax is a key's largest size: family, class, 16 address bytes, name.
const keyMax = 2 + 16 + maxName

// bucket is one account. tat is its theoretical arrival time in
// nanoseconds (0 for a fresh account, which is the same as any time in the
// past: full credit); limited counts its limited responses, for Slip.
type bucket struct {
	tat     atomic.Int64
	limited atomic.Uint32
}

// Limiter decides for every response whether to send, slip or drop it.
// It is safe for use by many goroutines at once and takes no lock.
type Limiter struct {
	table  []bucket
	mask   uint64
	seed   maphash.Seed
	cost   int64  // T: nanoseconds of credit one response costs, ⌈1s/Rate⌉
	burst  int64  // Rate×T: how far the TAT may lead now for a response to be sent
	ceil   int64  // burst + Window: how far the TAT may lead now at all
	slip   uint32 // Config.Slip
	v4, v6 int    // prefix lengths
}

// New returns a Limiter for c, with its whole table allocated; c must be
// valid (see Config.Validate).
func New(c Config) (*Limiter, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cost := (int64(time.Second) + int64(c.Rate) - 1) / int64(c.Rate)
	burst := cost * int64(c.Rate)
	return &Limiter{
		table: make([]bucket, c.TableSize),
		mask:  uint64(c.TableSize - 1),
		seed:  maphash.MakeSeed(),
		cost:  cost,
		burst: burst,
		ceil:  burst + int64(c.Window),
		slip:  uint32(c.Slip),
		v4:    c.IPv4Prefix,
		v6:    c.IPv6Prefix,
	}, nil
}

// Decide charges one response of class, about to go to client over UDP, to
// its account and says what to do with it. now is in nanoseconds on a clock
// that does not jump; name is the query name for Answer and Large, the zone
// apex (or delegation point) for NoData, NXDomain and Referral, and is not
// used for Error (see the package doc). Responses exempt from limiting
// (over TCP, or to a query with a valid server cookie) are not passed here
// at all. A nil Limiter sends everything. Decide allocates nothing.
func (l *Limiter) Decide(now int64, client netip.Addr, class Class, name []byte) Action {
	if l == nil {
		return Send
	}
	b := &l.table[l.index(client, class, name)]
	if l.charge(b, now) {
		return Send
	}
	if l.slip == 0 {
		return Drop
	}
	if b.limited.Add(1)%l.slip == 0 {
		return Slip
	}
	return Drop
}

// charge advances b's TAT by one response's cost, never more than ceil past
// now, and reports whether the response is within the account's credit.
func (l *Limiter) charge(b *bucket, now int64) bool {
	limit, ceiling := addSat(now, l.burst), addSat(now, l.ceil)
	for {
		old := b.tat.Load()
		tat := min(addSat(max(old, now), l.cost), ceiling)
		// A flooded account sits at its cap: no write, no contention.
		if tat == old || b.tat.CompareAndSwap(old, tat) {
			return tat <= limit
		}
	}
}

// addSat adds a non-negative d to t, stopping at the largest int64 rather
// than wrapping into the past.
func addSat(t, d int64) int64 {
	if t > math.MaxInt64-d {
		return math.MaxInt64
	}
	return t + d
}

// index is the table slot of the account for (client, class, name).
func (l *Limiter) index(client netip.Addr, class Class, name []byte) uint64 {
	var buf [keyMax]byte
	n := l.key(&buf, client, class, name)
	return maphash.Bytes(l.seed, buf[:n]) & l.mask
}

// key writes the account's key into buf and returns its length: the
// address family, the class, the client's network address (its bits past
// the prefix zeroed) and the name without ASCII case, as the class wants.
func (l *Limiter) key(buf *[keyMax]byte, client netip.Addr, class Class, name []byte) int {
	if class >= classCount {
		class = Error
	}
	client = client.Unmap()
	buf[1] = byte(class)
	n := 2
	switch {
	case client.Is4():
		buf[0] = 4
		a := client.As4()
		n += maskInto(buf[n:], a[:], l.v4)
	case client.Is6():
		buf[0] = 6
		a := client.As16()
		n += maskInto(buf[n:], a[:], l.v6)
	}
	if class == Error {
		return n
	}
	if len(name) > maxName {
		name = name[:maxName]
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return n
}

// maskInto copies addr's first bits bits into dst, zeroing the rest, and
// returns len(addr).
func maskInto(dst, addr []byte, bits int) int {
	for i, b := range addr {
		switch {
		case bits >= 8:
			dst[i] = b
		case bits > 0:
			dst[i] = b & byte(0xff<<(8-bits))
		default:
			dst[i] = 0
		}
		bits -= 8
	}
	return len(addr)
}
