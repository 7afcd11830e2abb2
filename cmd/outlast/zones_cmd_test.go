package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnssec"
	"outlast/internal/node/nodetest"
	"outlast/internal/tlsca"
	"outlast/internal/wire"
)

// tsigSecret is the test's TSIG key xfr.example, in base64.
var tsigSecret = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// notifyReceiver answers every NOTIFY on loopback UDP with rcode, as a
// secondary that accepts (NOERROR) or refuses (REFUSED) this primary; it
// signs its answer to a NOTIFY signed with xfr.example, as a secondary
// holding that key does.
func notifyReceiver(t *testing.T, rcode int) string {
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
	}), TsigSecret: map[string]string{"xfr.example.": tsigSecret}}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// zonesNodeConfig is a cluster of one on loopback that signs signed.test
// with a fresh CSK and serves xfr.test to secondaries, notifying ack and
// refuse. It returns the configuration and the key's tag.
func zonesNodeConfig(t *testing.T, ack, refuse string) (*config.Config, uint16) {
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
	if err := os.WriteFile(secret, []byte(tsigSecret), 0o600); err != nil {
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

// TestZonesCmd: outlast zones, against a real node, prints the signed
// zone's key tag, its DS to paste at the registrar and its re-sign time,
// the transferred zone's serial and journal, and each secondary's last
// NOTIFY in words, a rejection flagged; -o json gives the API's facts.
func TestZonesCmd(t *testing.T) {
	ack, refuse := notifyReceiver(t, dns.RcodeSuccess), notifyReceiver(t, dns.RcodeRefused)
	cfg, tag := zonesNodeConfig(t, ack, refuse)
	n := nodetest.Start(t, cfg)
	addr := n.HTTPAddr().String()
	// The serial moves once the cluster agreed on the configuration: wait
	// until the table and the JSON after it show one serial, notified.
	var zones []wire.ZoneStatus
	var out string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, table, errOut := runCmd("zones", "--addr", addr)
		if code != exitOK || errOut != "" {
			t.Fatalf("outlast zones: exit %d, stderr %q", code, errOut)
		}
		code, js, errOut := runCmd("zones", "--addr", addr, "-o", "json")
		if code != exitOK {
			t.Fatalf("outlast zones -o json: exit %d, %s", code, errOut)
		}
		if err := json.Unmarshal([]byte(js), &zones); err != nil {
			t.Fatalf("outlast zones -o json printed no JSON list: %v\n%s", err, js)
		}
		out = table
		if len(zones) == 2 && zones[1].Transfer != nil && notified(zones[1]) && rowOf(table, "xfr.test")[1] == fmt.Sprint(zones[1].Serial) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outlast zones never showed both NOTIFY results of the serial served within 20 s:\n%s\n%s", table, js)
		}
	}
	serial := zones[1].Serial
	if row := rowOf(out, "signed.test"); row[1] != fmt.Sprint(zones[0].Serial) || row[2] != "yes:" || row[3] != fmt.Sprint(tag) || row[5] != "SEP" {
		t.Errorf("signed.test row %q, want serial %d, signed by SEP key %d", row, zones[0].Serial, tag)
	}
	if row := rowOf(out, "xfr.test"); row[2] != "no" {
		t.Errorf("xfr.test row %q, want it unsigned", row)
	}
	for _, want := range []string{
		zones[0].Signing.ResignAt.UTC().Format(time.RFC3339),
		fmt.Sprintf("signed.test. 3600 IN DS %d 13 2 ", tag),
		"2 notified, 1 FAILING",
		fmt.Sprintf("%d..%d (", zones[1].Transfer.Journal.Oldest, serial),
		fmt.Sprintf("%s (key xfr.example): serial %d acknowledged at ", ack, serial),
		fmt.Sprintf("%s: serial %d REJECTED (REFUSED)", refuse, serial),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("outlast zones lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "MDEyMzQ1") {
		t.Errorf("outlast zones prints the TSIG secret:\n%s", out)
	}
	if code, _, errOut := runCmd("zones", "extra"); code != exitUsage {
		t.Errorf("outlast zones extra: exit %d (%s), want %d", code, errOut, exitUsage)
	}
}

// notified reports whether both secondaries' last NOTIFY ended, for the
// serial the zone serves: the first acknowledged, the second rejected.
func notified(z wire.ZoneStatus) bool {
	n := z.Transfer.Notify
	return len(n) == 2 && n[0].Result == wire.NotifyAcknowledged && n[1].Result == wire.NotifyRejected &&
		n[0].Serial == z.Serial && n[1].Serial == z.Serial
}

// rowOf is the fields of the table's row of zone (at least six, "" past its end).
func rowOf(table, zone string) []string {
	for line := range strings.Lines(table) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == zone {
			return append(f, make([]string, 6)...)
		}
	}
	return make([]string, 6)
}
