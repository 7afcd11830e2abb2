package node

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
	"outlast/internal/tlsca"
	"outlast/internal/wire"
)

// startNotifyReceiver runs a secondary's NOTIFY side on loopback UDP that
// answers every NOTIFY with rcode, and returns its address.
func startNotifyReceiver(t *testing.T, rcode int) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, rcode)
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// zoneStatusConfig is a cluster of one serving signed.test, signed with a
// fresh key, and xfr.test, transferred to rules with a TSIG key and
// notifying ack and refuse. It returns the configuration and the key's tag.
func zoneStatusConfig(t *testing.T, ack, refuse string) (*config.Config, uint16) {
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
	if err := os.WriteFile(secret, []byte(base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tlsca.InitCA(tlsDir, tlsca.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tlsca.IssueNode(tlsDir, "local", tlsca.NodeOptions{}); err != nil {
		t.Fatal(err)
	}
	files, clusterPort := tlsca.NodeFiles(tlsDir, "local"), freePort(t)
	text := fmt.Sprintf(`
node: {name: local, location: local/lab}
dns:
  listen: "127.0.0.1:0"
  key_dir: %s
  tsig_keys: [{name: xfr.example, secret_file: %s}]
http: {listen: "127.0.0.1:0"}
api: {public_status: true}
cluster:
  listen: "127.0.0.1:%d"
  data_dir: %s
  peers: [{name: local, address: "127.0.0.1:%d"}]
  tls: {ca_file: %s, cert_file: %s, key_file: %s}
zones:
  - apex: signed.test
    ns: [{name: ns1.signed.test, addresses: [127.0.0.1]}]
    dnssec: {keys: [%s]}
  - apex: xfr.test
    ns: [{name: ns1.xfr.test, addresses: [127.0.0.1]}]
    transfer:
      allow: [{addresses: [127.0.0.0/8], keys: [xfr.example]}]
      notify: [{address: %q}, {address: %q}]
services:
  - name: api.xfr.test
    check: {type: tcp, port: 9, interval: 1s}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [192.0.2.1], priority: 1}
`, keyDir, secret, clusterPort, filepath.Join(dir, "data"), clusterPort, files.CA, files.Cert, files.Key, filepath.Base(path), ack, refuse)
	return parseConfig(t, "zones.yaml", text), key.Tag()
}

// TestZoneStatus: a real node signing one zone and serving another to
// secondaries publishes, through GET /api/v1/zones, the signed zone's key,
// its DS and its re-sign time, and the transferred zone's serial, rules
// (key names, never the secret) and each secondary's last NOTIFY: one
// acknowledged, one rejected with its rcode.
func TestZoneStatus(t *testing.T) {
	ack, refuse := startNotifyReceiver(t, dns.RcodeSuccess), startNotifyReceiver(t, dns.RcodeRefused)
	cfg, tag := zoneStatusConfig(t, ack, refuse)
	n := startNode(t, cfg)
	var zones []wire.ZoneStatus
	var body string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var code int
		code, body = get(t, n, "/api/v1/zones", "", "")
		var out struct{ Zones []wire.ZoneStatus }
		if code == 200 && json.Unmarshal([]byte(body), &out) == nil {
			zones = out.Zones
		}
		// The serial moves once the cluster agreed on the configuration:
		// wait for both NOTIFYs of the serial served to end.
		if len(zones) == 2 && zones[1].Transfer != nil && len(zones[1].Transfer.Notify) == 2 &&
			zones[1].Transfer.Notify[0].Serial == zones[1].Serial && zones[1].Transfer.Notify[1].Serial == zones[1].Serial {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/v1/zones never showed both zones with both NOTIFY results of the serial served within 20 s; last:\n%s", body)
		}
	}
	if strings.Contains(body, "MDEyMzQ1") || strings.Contains(body, "0123456789abcdef") {
		t.Errorf("the zones show the TSIG secret:\n%s", body)
	}
	signed, xfr := zones[0], zones[1]
	s := signed.Signing
	if signed.Apex != "signed.test." || s == nil || signed.Transfer != nil {
		t.Fatalf("first zone %+v, want signed.test. signed and not transferred", signed)
	}
	if len(s.Keys) != 1 || s.Keys[0] != (wire.ZoneKey{Tag: tag, Algorithm: "ECDSAP256SHA256", SEP: true}) {
		t.Errorf("keys %+v, want the CSK %d", s.Keys, tag)
	}
	if len(s.DS) != 1 || !strings.Contains(s.DS[0], fmt.Sprintf("DS\t%d 13 2 ", tag)) {
		t.Errorf("DS %q, want one SHA-256 DS of key %d", s.DS, tag)
	}
	if s.Signatures == 0 || s.CachedSets == 0 || !s.ResignAt.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("signing %+v, want signatures made, sets cached and a re-sign days away", s)
	}
	tr := xfr.Transfer
	if xfr.Apex != "xfr.test." || tr == nil || xfr.Signing != nil {
		t.Fatalf("second zone %+v, want xfr.test. transferred and not signed", xfr)
	}
	if xfr.Serial == 0 || tr.Journal.Newest != xfr.Serial || tr.Journal.Versions < 1 {
		t.Errorf("serial %d, journal %+v: want the journal's newest version served", xfr.Serial, tr.Journal)
	}
	if len(tr.Allow) != 1 || strings.Join(tr.Allow[0].Addresses, ",") != "127.0.0.0/8" || strings.Join(tr.Allow[0].Keys, ",") != "xfr.example" || tr.Allow[0].MissingKeys != nil {
		t.Errorf("allow %+v, want 127.0.0.0/8 with key xfr.example", tr.Allow)
	}
	got, rej := tr.Notify[0], tr.Notify[1]
	if got.Address != ack || got.Result != wire.NotifyAcknowledged || got.Serial != xfr.Serial || got.At.IsZero() || got.Failing() {
		t.Errorf("notify %+v, want %s acknowledged serial %d", got, ack, xfr.Serial)
	}
	if rej.Address != refuse || rej.Result != wire.NotifyRejected || rej.Rcode != "REFUSED" || !rej.Failing() {
		t.Errorf("notify %+v, want %s rejected with REFUSED", rej, refuse)
	}
}
