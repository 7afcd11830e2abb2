package dnsserver

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/dnscookie"
)

// Cookies are the server cookie secrets a snapshot answers with: Jar makes
// cookies with its Current secret and accepts its Previous one too; Next
// is a secret staged to become current at the next rotation, accepted
// already, so that by the time any node makes cookies with it every node
// accepts them (RFC 9018 5).
type Cookies struct {
	Jar  dnscookie.Jar
	Next dnscookie.Secret
}

// check reports whether server is a cookie of ours for client and remote.
func (c *Cookies) check(client [dnscookie.ClientLen]byte, server []byte, remote netip.Addr, now time.Time) bool {
	if c.Jar.Check(client, server, remote, now) != dnscookie.Invalid {
		return true
	}
	next := dnscookie.Jar{Current: c.Next}
	return next.Check(client, server, remote, now) != dnscookie.Invalid
}

// cookie is the COOKIE option of a query, as far as the reply needs it.
type cookie struct {
	client [dnscookie.ClientLen]byte
	// valid: the query's server cookie is one of ours, for this client
	// and address: its source is not spoofed (RRL exempts it); server: it
	// had a server cookie at all.
	valid, server bool
	// now is when the server cookie was checked, and the reply's is made.
	now time.Time
}

// cookieOf reads the query's COOKIE option, if any; screen has refused a
// malformed one (FORMERR) already. miekg keeps the option as hex: it is
// decoded onto the stack. The clock is read only for a query carrying one.
func cookieOf(opt *dns.OPT, jar *Cookies, remote netip.Addr) (cookie, bool) {
	for _, o := range opt.Option {
		c, ok := o.(*dns.EDNS0_COOKIE)
		if !ok {
			continue
		}
		var buf [dnscookie.ClientLen + dnscookie.MaxServerLen]byte
		n, ok := decodeHex(buf[:], c.Cookie)
		if !ok {
			return cookie{}, false
		}
		client, server, err := dnscookie.Parse(buf[:n])
		if err != nil {
			return cookie{}, false
		}
		out := cookie{client: client, now: time.Now(), server: server != nil}
		out.valid = server != nil && jar.check(client, server, remote, out.now)
		return out, true
	}
	return cookie{}, false
}

// decodeHex decodes s into dst without converting it to a byte slice
// (which could allocate on the query path); ok is false when s is not
// hex or does not fit.
func decodeHex(dst []byte, s string) (n int, ok bool) {
	if len(s)%2 != 0 || len(s)/2 > len(dst) {
		return 0, false
	}
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 || !ok2 {
			return 0, false
		}
		dst[i/2] = hi<<4 | lo
	}
	return len(s) / 2, true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// cookieLen is the length of the COOKIE option a reply carries.
const cookieLen = 4 + dnscookie.ClientLen + dnscookie.ServerLen

// appendCookie appends the COOKIE option of the reply: the client's cookie
// and a fresh server cookie for it (RFC 7873 5.2.2, RFC 9018 4): made anew
// every time, so a cookie getting old is refreshed without a rule.
func appendCookie(out []byte, c *cookie, jar *Cookies, remote netip.Addr) []byte {
	out = binary.BigEndian.AppendUint16(out, dns.EDNS0COOKIE)
	out = binary.BigEndian.AppendUint16(out, dnscookie.ClientLen+dnscookie.ServerLen)
	out = append(out, c.client[:]...)
	return jar.Jar.Make(out, c.client, remote, c.now)
}
