package dnscookie

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Sizes of the parts of an EDNS COOKIE option (RFC 7873 §4, RFC 9018 §4).
const (
	// ClientLen is the size of a client cookie.
	ClientLen = 8
	// ServerLen is the size of the server cookies this package makes.
	ServerLen = 16
	// MinServerLen and MaxServerLen bound any server cookie on the wire;
	// other servers may make cookies of other sizes in that range.
	MinServerLen = 8
	MaxServerLen = 32
)

// The timestamp rules of RFC 9018 §4.3, in seconds.
const (
	version = 1
	// refreshAfter: a cookie older than this is answered with a new one.
	refreshAfter = 30 * 60
	// maxAge: a cookie older than this is invalid.
	maxAge = 60 * 60
	// maxAhead: a cookie from further in the future is invalid (clock skew
	// between the nodes of a cluster is allowed up to this).
	maxAhead = 5 * 60
)

// Errors returned by this package.
var (
	// ErrMalformed is returned by Parse for a COOKIE option whose length is
	// not 8 (client cookie alone) or 16 to 40 (client and server cookie).
	// Answer such a query with FORMERR (RFC 7873 §5.2.2).
	ErrMalformed = errors.New("dnscookie: COOKIE option must be 8 bytes, or 16 to 40: answer FORMERR (RFC 7873 §5.2.2)")
	// ErrSecretText is returned by ParseSecret for text that is not 32
	// hexadecimal digits.
	ErrSecretText = errors.New("dnscookie: a secret is 32 hexadecimal digits (16 bytes), as BIND's cookie-secret and Knot's secret")
)

// Secret is the 128-bit SipHash key that makes and checks server cookies.
type Secret [16]byte

// NewSecret returns a secret from crypto/rand.
func NewSecret() (Secret, error) {
	var s Secret
	if _, err := rand.Read(s[:]); err != nil {
		return Secret{}, fmt.Errorf("dnscookie: reading a new secret from crypto/rand: %w", err)
	}
	return s, nil
}

// ParseSecret reads a secret written as 32 hexadecimal digits, the form
// BIND's cookie-secret, Knot's mod-cookies secret and PowerDNS's
// edns-cookie-secret take, so one secret can be given to all of them.
func ParseSecret(text string) (Secret, error) {
	var s Secret
	if len(text) != 2*len(s) {
		return Secret{}, ErrSecretText
	}
	if _, err := hex.Decode(s[:], []byte(text)); err != nil {
		return Secret{}, ErrSecretText
	}
	return s, nil
}

func (s *Secret) isZero() bool { return *s == Secret{} }

// Jar holds the secrets a cluster shares. The zero Jar makes cookies no
// Check accepts.
type Jar struct {
	// Current makes every new cookie and checks cookies.
	Current Secret
	// Previous, the secret Current replaced, still checks cookies so that
	// clients keep working through a rotation (zero: none).
	Previous Secret
}

// Rotated returns the jar after a rotation to next: next becomes Current and
// the Current secret becomes Previous.
func (j Jar) Rotated(next Secret) Jar {
	return Jar{Current: next, Previous: j.Current}
}

// Verdict is what Check says of a server cookie. The zero Verdict is
// Invalid, so a forgotten check fails closed.
type Verdict uint8

const (
	// Invalid: the cookie is not one of ours, has expired or is not yet
	// valid. Treat the query as having a client cookie alone.
	Invalid Verdict = iota
	// Valid: ours, made with Current less than half an hour ago. The client
	// is not spoofed; the same cookie may be echoed back.
	Valid
	// ValidButRefresh: ours and not spoofed, but older than half an hour or
	// made with Previous; answer with a new cookie from Make.
	ValidButRefresh
)

func (v Verdict) String() string {
	switch v {
	case Invalid:
		return "invalid"
	case Valid:
		return "valid"
	case ValidButRefresh:
		return "valid-but-refresh"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Make appends to dst the 16-byte server cookie for a client cookie from
// clientIP at now, made with j.Current (RFC 9018 §4.2): version 1, three
// reserved zero bytes, the timestamp in seconds, and SipHash-2-4 of the
// client cookie, those eight bytes and the client's address. It does not
// allocate when dst has room for 16 more bytes.
//
// An IPv4 address mapped into IPv6 (a dual-stack socket) is hashed as the
// IPv4 address, as a node with an IPv4 socket would hash it.
func (j *Jar) Make(dst []byte, client [ClientLen]byte, clientIP netip.Addr, now time.Time) []byte {
	var c [ServerLen]byte
	c[0] = version
	binary.BigEndian.PutUint32(c[4:8], timestamp(now))
	binary.LittleEndian.PutUint64(c[8:], hash(&j.Current, client, c[:8], clientIP))
	return append(dst, c[:]...)
}

// Check says whether server is a cookie made by this cluster for the client
// cookie from clientIP, and whether it is still fresh at now. Its timestamp
// must be at most an hour old and at most five minutes ahead (RFC 9018
// §4.3), compared in 32-bit serial-number arithmetic (RFC 1982) so the check
// holds across the wrap of the 32-bit seconds in 2106.
//
// The reserved bytes are hashed as received and not required to be zero, as
// RFC 9018 §4.2 and its example A.3 say. Check does not allocate.
func (j *Jar) Check(client [ClientLen]byte, server []byte, clientIP netip.Addr, now time.Time) Verdict {
	if len(server) != ServerLen || server[0] != version {
		return Invalid
	}
	age := int32(timestamp(now) - binary.BigEndian.Uint32(server[4:8]))
	if age > maxAge || age < -maxAhead {
		return Invalid
	}
	mac := binary.LittleEndian.Uint64(server[8:])
	switch {
	case !j.Current.isZero() && hash(&j.Current, client, server[:8], clientIP) == mac:
		if age > refreshAfter {
			return ValidButRefresh
		}
		return Valid
	case !j.Previous.isZero() && hash(&j.Previous, client, server[:8], clientIP) == mac:
		return ValidButRefresh
	}
	return Invalid
}

// Parse splits the data of an EDNS COOKIE option into the client cookie and
// the server cookie, if any (RFC 7873 §4). server is nil when the client
// sent its cookie alone, and otherwise aliases option. Any length but 8 and
// 16 to 40 is ErrMalformed. Parse does not allocate.
func Parse(option []byte) (client [ClientLen]byte, server []byte, err error) {
	n := len(option)
	if !WellFormed(n) {
		return client, nil, ErrMalformed
	}
	copy(client[:], option)
	if n > ClientLen {
		server = option[ClientLen:n:n]
	}
	return client, server, nil
}

// WellFormed reports whether n bytes is a legal length for a COOKIE
// option's data: 8 (client cookie alone) or 16 to 40; Parse refuses any
// other with ErrMalformed.
func WellFormed(n int) bool {
	return n == ClientLen || ClientLen+MinServerLen <= n && n <= ClientLen+MaxServerLen
}

// timestamp is now in seconds since 1970, modulo 2^32 as the wire holds it.
func timestamp(now time.Time) uint32 {
	return uint32(now.Unix())
}

// hash is the RFC 9018 §4.4 hash: SipHash-2-4 under secret of the client
// cookie, the first eight bytes of the server cookie (version, reserved,
// timestamp) and the client's address, 4 bytes for IPv4 and 16 for IPv6.
func hash(secret *Secret, client [ClientLen]byte, head []byte, clientIP netip.Addr) uint64 {
	var msg [ClientLen + 8 + 16]byte
	copy(msg[:ClientLen], client[:])
	copy(msg[ClientLen:ClientLen+8], head)
	n := ClientLen + 8
	if ip := clientIP.Unmap(); ip.Is4() {
		a := ip.As4()
		n += copy(msg[n:], a[:])
	} else {
		a := ip.As16()
		n += copy(msg[n:], a[:])
	}
	return sipHash24((*[16]byte)(secret), msg[:n])
}
