package node

import (
	"encoding/hex"
	"time"

	"outlast/internal/dnscookie"
	"outlast/internal/dnsserver"
	"outlast/internal/state"
)

// cookieRotation is how often the leader gives the cluster a new DNS
// cookie secret (staged a rotation before it is used: state.CookieSecrets).
// A client gets a fresh cookie with every answer, so only a client silent
// for two rotations has to start again (RFC 9018 5 asks for more than an
// hour between rotations).
const cookieRotation = 24 * time.Hour

// rotateCookies proposes a new cookie secret when the cluster has none or
// the current one is a rotation old. Every node then answers with it.
func (n *Node) rotateCookies(st *state.State, now time.Time) {
	if st.Cookies != nil && now.Sub(st.Cookies.At) < cookieRotation {
		return
	}
	secret, err := dnscookie.NewSecret()
	if err != nil {
		n.log.Error("cannot make a DNS cookie secret", "err", err)
		return
	}
	n.propose(state.Command{Kind: state.RotateCookies, At: now, Who: n.local.Node.Name, Cookie: hex.EncodeToString(secret[:])}, nil)
}

// cookieJar is the secrets st holds, as the DNS server takes them; nil
// when this node answers no cookie (dns.cookies: false) or the cluster has
// none yet. The jar is made again only when the secrets change: a
// snapshot keeps the one it was given.
func (n *Node) cookieJar(st *state.State) *dnsserver.Cookies {
	if !n.local.DNS.CookiesOn() || st.Cookies == nil {
		return nil
	}
	if c := n.jar; c.of == *st.Cookies {
		return c.jar
	}
	jar := &dnsserver.Cookies{}
	// A secret that does not parse stays zero, which accepts nothing
	// (state.rotateCookies refuses such a secret anyway).
	jar.Jar.Current, _ = dnscookie.ParseSecret(st.Cookies.Current)
	jar.Jar.Previous, _ = dnscookie.ParseSecret(st.Cookies.Previous)
	jar.Next, _ = dnscookie.ParseSecret(st.Cookies.Next)
	n.jar = cachedJar{of: *st.Cookies, jar: jar}
	return jar
}

// cachedJar is the jar of one set of secrets (only buildAnswers uses it).
type cachedJar struct {
	of  state.CookieSecrets
	jar *dnsserver.Cookies
}
