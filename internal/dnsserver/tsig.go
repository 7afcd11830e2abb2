package dnsserver

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/xfr"
)

// TSIG (RFC 8945) is how secondaries at other providers authenticate: they
// sign their transfer requests and their refresh SOA queries with a key
// shared with the zone's transfer rules (Transfer), and expect every reply
// to a signed request signed with the same key. Signed queries are rare (a
// secondary's refresh every few minutes), so they take a slow path: the
// request is verified on its raw bytes, its TSIG removed, answered through
// the ordinary respond path, and the reply unpacked, signed and packed again.
//
//	key not configured          NOTAUTH, TSIG error BADKEY, unsigned (meta.go)
//	configured name, another
//	  algorithm                 the same: a key is its name and algorithm
//	MAC does not verify         NOTAUTH, TSIG error BADSIG, unsigned
//	time outside the fudge      NOTAUTH, TSIG error BADTIME, signed, the
//	                            server's time in other data (RFC 8945 5.2.3)
//	verified                    the answer, signed

// keyring holds the configured TSIG keys by canonical name. It is miekg's
// TsigProvider for the TCP server and the verifier of UDP requests.
type keyring map[string]xfr.Key

// errKeyAlgorithm is a request signed with a configured key name but another
// algorithm than the key's: for the requester it is an unknown key.
var errKeyAlgorithm = errors.New("dnsserver: TSIG algorithm differs from the configured key's")

// newKeyring collects the keys of every zone's rules, refusing a name given
// two secrets or algorithms, a secret that is not base64 and an algorithm
// miekg cannot compute.
func newKeyring(zones []TransferZone) (keyring, error) {
	ring := make(keyring)
	for _, z := range zones {
		for _, acl := range z.ACLs {
			for name, k := range acl.Keys {
				if err := ring.add(name, k); err != nil {
					return nil, fmt.Errorf("dnsserver: zone %s: %w", z.Apex, err)
				}
			}
		}
	}
	return ring, nil
}

func (ring keyring) add(name string, k xfr.Key) error {
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		return fmt.Errorf("TSIG key name %q is not a domain name", name)
	}
	k.Algorithm = dns.CanonicalName(k.Algorithm)
	switch k.Algorithm {
	case dns.HmacSHA1, dns.HmacSHA224, dns.HmacSHA256, dns.HmacSHA384, dns.HmacSHA512:
	default:
		return fmt.Errorf("TSIG key %s: algorithm %q is not one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512", name, k.Algorithm)
	}
	if raw, err := base64.StdEncoding.DecodeString(k.Secret); err != nil || len(raw) == 0 {
		return fmt.Errorf("TSIG key %s: the secret is not base64 (generate one with keymgr -t or tsig-keygen)", name)
	}
	cn := dns.CanonicalName(name)
	if old, dup := ring[cn]; dup && old != k {
		return fmt.Errorf("TSIG key %s is configured twice with different secrets or algorithms; give each key one definition", name)
	}
	ring[cn] = k
	return nil
}

// key returns the configured key a TSIG record names, or errKeyAlgorithm
// or dns.ErrSecret.
func (ring keyring) key(t *dns.TSIG) (xfr.Key, error) {
	k, ok := ring[dns.CanonicalName(t.Hdr.Name)]
	switch {
	case !ok:
		return xfr.Key{}, dns.ErrSecret
	case dns.CanonicalName(t.Algorithm) != k.Algorithm:
		return xfr.Key{}, errKeyAlgorithm
	}
	return k, nil
}

// Generate implements dns.TsigProvider: the MAC of msg (the digest
// input miekg built) under the key t names.
func (ring keyring) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	k, err := ring.key(t)
	if err != nil {
		return nil, err
	}
	secret, err := base64.StdEncoding.DecodeString(k.Secret) // checked by add
	if err != nil {
		return nil, dns.ErrSecret
	}
	var h hash.Hash
	switch k.Algorithm {
	case dns.HmacSHA1:
		h = hmac.New(sha1.New, secret)
	case dns.HmacSHA224:
		h = hmac.New(sha256.New224, secret)
	case dns.HmacSHA256:
		h = hmac.New(sha256.New, secret)
	case dns.HmacSHA384:
		h = hmac.New(sha512.New384, secret)
	default:
		h = hmac.New(sha512.New, secret)
	}
	h.Write(msg)
	return h.Sum(nil), nil
}

// Verify implements dns.TsigProvider. A MAC shorter than the full one is
// refused, though RFC 8945 5.2.2.1 allows truncation down to half: no
// secondary in use truncates, and refusing it leaves no forgery window.
func (ring keyring) Verify(msg []byte, t *dns.TSIG) error {
	want, err := ring.Generate(msg, t)
	if err != nil {
		return err
	}
	got, err := hex.DecodeString(t.MAC)
	if err != nil || !hmac.Equal(got, want) {
		return dns.ErrSig
	}
	return nil
}

// tsigError is the TSIG error code for a verification result: 0, BADKEY,
// BADSIG or BADTIME. BADSIG and BADTIME are only for a TSIG that names a
// configured key and algorithm (a MAC was computed), since their replies
// echo its algorithm; anything else, a TSIG miekg cannot take apart (or a
// request whose header says NOTAUTH) included, is an unknown key, answered
// unsigned by the ordinary path.
func tsigError(err error) int {
	switch {
	case err == nil:
		return dns.RcodeSuccess
	case errors.Is(err, dns.ErrTime):
		return dns.RcodeBadTime
	case errors.Is(err, dns.ErrSig):
		return dns.RcodeBadSig
	}
	return dns.RcodeBadKey
}

// signReply signs reply, the packed answer to a request whose TSIG
// verified, with the request's key, and returns it packed (see signFit).
func (ring keyring) signReply(reply []byte, req *dns.TSIG, limit int) ([]byte, error) {
	m := new(dns.Msg)
	if err := m.Unpack(reply); err != nil {
		return nil, fmt.Errorf("dnsserver: unpacking a reply to sign: %w", err)
	}
	return ring.signFit(m, req, limit)
}

// signFit signs m, the answer to a request whose TSIG verified, with the
// request's key and packs it. A reply that with its TSIG exceeds limit is
// cut to its header and question, with TC set, so the client retries over
// TCP (RFC 8945 5.3: the TSIG is never dropped to make room).
func (ring keyring) signFit(m *dns.Msg, req *dns.TSIG, limit int) ([]byte, error) {
	out, err := ring.sign(m, req, dns.RcodeSuccess)
	if err != nil || len(out) <= limit {
		return out, err
	}
	m.Answer, m.Ns, m.Extra, m.Truncated = nil, nil, nil, true
	return ring.sign(m, req, dns.RcodeSuccess)
}

// sign appends to m the TSIG of a reply to req and packs it: signed with
// the request's MAC as the prior digest, or unsigned for BADSIG and BADKEY.
func (ring keyring) sign(m *dns.Msg, req *dns.TSIG, tsigErr int) ([]byte, error) {
	t := &dns.TSIG{
		Hdr:        dns.RR_Header{Name: req.Hdr.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
		Algorithm:  req.Algorithm,
		Fudge:      300,
		TimeSigned: uint64(time.Now().Unix()),
		OrigId:     m.Id,
		Error:      uint16(tsigErr),
	}
	requestMAC := req.MAC
	switch tsigErr {
	case dns.RcodeBadTime: // RFC 8945 5.2.3: the request's time, ours in other data
		t.TimeSigned = req.TimeSigned
		var now [6]byte
		binary.BigEndian.PutUint16(now[:], uint16(time.Now().Unix()>>32))
		binary.BigEndian.PutUint32(now[2:], uint32(time.Now().Unix()))
		t.OtherLen, t.OtherData = 6, hex.EncodeToString(now[:])
	case dns.RcodeBadSig, dns.RcodeBadKey:
		t.TimeSigned, t.Fudge, requestMAC = req.TimeSigned, req.Fudge, ""
	}
	if tsigErr != dns.RcodeSuccess {
		m.Rcode = dns.RcodeNotAuth
	}
	m.Extra = append(m.Extra, t)
	out, _, err := dns.TsigGenerateWithProvider(m, ring, requestMAC, false)
	return out, err
}
