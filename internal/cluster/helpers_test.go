package cluster

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// logMachine is a tiny deterministic Machine: an append-only list of
// commands and a running hash over them. Commands starting with "bad" are
// refused, the way a real machine refuses an invalid config.
type logMachine struct {
	mu       sync.Mutex
	cmds     []string
	hash     [32]byte
	restores int
}

// refusal is logMachine's error for a "bad" command: like the state
// machine's, it names itself with a code the cluster carries to the proposer.
type refusal struct{ cmd string }

func (r *refusal) Error() string { return fmt.Sprintf("refused %q", r.cmd) }
func (r *refusal) Code() string  { return "bad_command" }

type logState struct {
	Cmds []string
	Hash [32]byte
}

func (m *logMachine) Apply(_ uint64, cmd []byte) error {
	if bytes.HasPrefix(cmd, []byte("bad")) {
		return &refusal{cmd: string(cmd)}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cmds = append(m.cmds, string(cmd))
	m.hash = sha256.Sum256(append(m.hash[:], cmd...))
	return nil
}

func (m *logMachine) Snapshot() (io.WriterTo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, err := json.Marshal(logState{Cmds: m.cmds, Hash: m.hash})
	return bytes.NewReader(data), err
}

func (m *logMachine) Restore(data []byte) error {
	var s logState
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cmds, m.hash = s.Cmds, s.Hash
	m.restores++
	return nil
}

// state says how many commands the machine holds and their hash.
func (m *logMachine) state() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("%d/%s", len(m.cmds), hex.EncodeToString(m.hash[:4]))
}

func (m *logMachine) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cmds)
}

func (m *logMachine) restoreCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.restores
}

// waitFor polls cond until it holds or the generous bound passes, then
// fails saying what was expected and what was last seen.
func waitFor(t *testing.T, expected string, cond func() (bool, string)) {
	t.Helper()
	const bound = 30 * time.Second
	deadline := time.Now().Add(bound)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v: expected %s, saw %s", bound, expected, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testCtx returns a context with a generous bound for one operation.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testLogger writes the cluster's logs into the test's output.
func testLogger(t *testing.T, id string) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", id)
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

var serial struct {
	sync.Mutex
	n int64
}

func nextSerial() *big.Int {
	serial.Lock()
	defer serial.Unlock()
	serial.n++
	return big.NewInt(serial.n)
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// node issues a certificate for a node, good as server and as client, for
// its name and for 127.0.0.1.
func (ca *testCA) node(t *testing.T, id string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: id},
		DNSNames:     []string{id},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsFor returns the server and client TLS configs of a node.
func (ca *testCA) tlsFor(t *testing.T, id string) (*tls.Config, func(string) *tls.Config) {
	cert := ca.node(t, id)
	server := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    ca.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
	client := func(name string) *tls.Config {
		return &tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      ca.pool,
			ServerName:   name,
			MinVersion:   tls.VersionTLS13,
		}
	}
	return server, client
}

// leaderOf waits until exactly one of nodes leads and all of them know it.
func leaderOf[N interface{ cluster() *Cluster }](t *testing.T, nodes []N) N {
	t.Helper()
	var leader N
	waitFor(t, fmt.Sprintf("one leader known to all %d nodes", len(nodes)), func() (bool, string) {
		var leaders, views []string
		for _, n := range nodes {
			id, _ := n.cluster().Leader()
			views = append(views, n.cluster().id+"->"+id)
			if n.cluster().IsLeader() {
				leaders = append(leaders, n.cluster().id)
				leader = n
			}
		}
		seen := fmt.Sprintf("leaders %v, views %v", leaders, views)
		if len(leaders) != 1 {
			return false, seen
		}
		for _, n := range nodes {
			if id, _ := n.cluster().Leader(); id != leader.cluster().id {
				return false, seen
			}
		}
		return true, seen
	})
	return leader
}

// waitSame waits until every machine holds want commands with one hash.
func waitSame(t *testing.T, want int, machines ...*logMachine) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d machines holding %d commands with one hash", len(machines), want), func() (bool, string) {
		var states []string
		for _, m := range machines {
			states = append(states, m.state())
		}
		ok := machines[0].len() == want
		for _, s := range states {
			ok = ok && s == states[0]
		}
		return ok, strings.Join(states, " ")
	})
}
