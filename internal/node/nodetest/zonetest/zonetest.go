// Package zonetest holds the zones the tests of internal/node and of
// outlast zones serve from a real node: one signed, one transferred to
// secondaries that answer NOTIFY. It imports no node, so internal/node's
// own tests may use it (they cannot import nodetest).
package zonetest

import (
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnssec"
	"outlast/internal/tlsca"
)

// TSIGSecret is the tests' TSIG key xfr.example, in base64.
var TSIGSecret = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// NotifyReceiver answers every NOTIFY on loopback UDP with rcode, as a
// secondary that accepts (NOERROR) or refuses (REFUSED) this primary; it
// signs its answer to a NOTIFY signed with xfr.example, as a secondary
// holding that key does.
func NotifyReceiver(t testing.TB, rcode int) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, rcode)
		if sig := r.IsTsig(); sig != nil && w.TsigStatus() == nil {
			m.SetTsig(sig.Hdr.Name, sig.Algorithm, 300, time.Now().Unix())
		}
		_ = w.WriteMsg(m)
	}), TsigSecret: map[string]string{"xfr.example.": TSIGSecret}}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// Config is a cluster of one on loopback that signs signed.test with a
// fresh CSK and serves xfr.test to secondaries under TSIG key
// xfr.example, notifying ack (with that key) and refuse. It returns the
// configuration and the key's tag.
func Config(t testing.TB, ack, refuse string) (*config.Config, uint16) {
	t.Helper()
	dir := t.TempDir()
	keyDir, tlsDir := filepath.Join(dir, "keys"), filepath.Join(dir, "tls")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	path, err := dnssec.Keygen(keyDir, "signed.test", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	key, err := dnssec.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "xfr.secret")
	if err := os.WriteFile(secret, []byte(TSIGSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tlsca.InitCA(tlsDir, tlsca.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tlsca.IssueNode(tlsDir, "local", tlsca.NodeOptions{}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clusterAddr := ln.Addr().String()
	ln.Close()
	files := tlsca.NodeFiles(tlsDir, "local")
	text := fmt.Sprintf(`
node: {name: local, location: local/lab}
dns:
  listen: "127.0.0.1:0"
  key_dir: %s
  tsig_keys: [{name: xfr.example, secret_file: %s}]
http: {listen: "127.0.0.1:0"}
api: {public_status: true}
cluster:
  listen: %q
  data_dir: %s
  peers: [{name: local, address: %q}]
  tls: {ca_file: %s, cert_file: %s, key_file: %s}
zones:
  - apex: signed.test
    ns: [{name: ns1.signed.test, addresses: [127.0.0.1]}]
    dnssec: {keys: [%s]}
  - apex: xfr.test
    ns: [{name: ns1.xfr.test, addresses: [127.0.0.1]}]
    transfer:
      allow: [{addresses: [127.0.0.0/8], keys: [xfr.example]}]
      notify: [{address: %q, key: xfr.example}, {address: %q}]
services:
  - name: api.xfr.test
    check: {type: tcp, port: 9, interval: 1s}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [192.0.2.1], priority: 1}
`, keyDir, secret, clusterAddr, filepath.Join(dir, "data"), clusterAddr, files.CA, files.Cert, files.Key, filepath.Base(path), ack, refuse)
	cfg, err := config.Parse("zones.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, key.Tag()
}
