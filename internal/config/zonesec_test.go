package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// zoneSecConfig is base with dnsLines appended to its dns section and
// zoneLines to its zone.
func zoneSecConfig(dnsLines, zoneLines string) string {
	cfg := strings.Replace(base, "  listen: 127.0.0.1:8053\n", "  listen: 127.0.0.1:8053\n"+dnsLines, 1)
	return strings.Replace(cfg, "        addresses: [127.0.0.1]\nservices:", "        addresses: [127.0.0.1]\n"+zoneLines+"services:", 1)
}

// clusterOfOne is a cluster section: transfers need a durable Raft log.
const clusterOfOne = `cluster:
  listen: 127.0.0.1:7946
  data_dir: data
  peers: [{name: n1, address: "127.0.0.1:7946"}]
  tls: {ca_file: ca.pem, cert_file: n1.pem, key_file: n1-key.pem}
`

const (
	keyDir  = "  key_dir: /etc/outlast/keys\n"
	tsigKey = "  tsig_keys: [{name: xfr.example, secret_file: xfr.secret}]\n"
)

func TestZoneSecurityDefaults(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(zoneSecConfig(keyDir+tsigKey,
		"    dnssec: {keys: [Kexample.test.+013+12345]}\n")))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Zones[0].DNSSEC
	if d.Validity != 168*time.Hour || d.Refresh != 48*time.Hour || d.Jitter != 24*time.Hour || d.KeyTTL != time.Hour {
		t.Errorf("dnssec defaults: got %+v", d)
	}
	if got := cfg.DNS.TSIGKeys[0].Algorithm; got != "hmac-sha256" {
		t.Errorf("tsig algorithm default: got %q", got)
	}
	if cfg.Zones[0].Transfer != nil {
		t.Error("transfers must be off by default")
	}
	if got := (NotifyTarget{Address: "192.0.2.53"}).AddrPort().String(); got != "192.0.2.53:53" {
		t.Errorf("notify port default: got %s", got)
	}
}

// TestZoneSecurityProblems: each way to get signing or transfers wrong
// names the field and what to do.
func TestZoneSecurityProblems(t *testing.T) {
	signed := "    dnssec: {keys: [Kexample.test.+013+12345]}\n"
	xfr := func(s string) string { return "    transfer: " + s + "\n" }
	cases := []struct{ name, dns, zone, want string }{
		{"no keys", keyDir, "    dnssec: {validity: 72h}\n", "zones[0].dnssec.keys: is required"},
		{"no key_dir", "", signed, "zones[0].dnssec.keys: the key files are read from dns.key_dir, which is not set"},
		{"key path", keyDir, "    dnssec: {keys: [/tmp/Kexample.test.+013+1]}\n", `zones[0].dnssec.keys[0]: "/tmp/Kexample.test.+013+1" must be a key's base name`},
		{"key suffix", keyDir, "    dnssec: {keys: [Kexample.test.+013+1.private]}\n", "must be a key's base name"},
		{"validity", keyDir, "    dnssec: {keys: [Kx], validity: 2400h}\n", "zones[0].dnssec.validity: 2400h0m0s must lie between 1h"},
		{"refresh", keyDir, "    dnssec: {keys: [Kx], validity: 24h, refresh: 24h}\n", "zones[0].dnssec.refresh: 24h0m0s must be shorter than validity"},
		{"jitter", keyDir, "    dnssec: {keys: [Kx], validity: 72h, refresh: 24h, jitter: 48h}\n", "zones[0].dnssec.jitter: 48h0m0s must be shorter than validity less refresh"},
		{"no cluster", tsigKey, xfr("{allow: [{keys: [xfr.example]}]}"), "zones[0].transfer: needs cluster (listen and data_dir, a cluster of one will do)"},
		{"denial rate", keyDir, "    dnssec: {keys: [Kx], denial_rate: -1}\n", "zones[0].dnssec.denial_rate: -1 must lie between 1 and 1000000"},
		{"no rules", tsigKey, xfr("{notify: [{address: 192.0.2.53}]}"), "zones[0].transfer.allow: is required"},
		{"empty rule", tsigKey, xfr("{allow: [{}]}"), "zones[0].transfer.allow[0]: needs addresses, keys or both"},
		{"unknown key", tsigKey, xfr("{allow: [{keys: [other]}]}"), `zones[0].transfer.allow[0].keys[0]: "other" is not among dns.tsig_keys`},
		{"bad notify", tsigKey, xfr("{allow: [{keys: [xfr.example]}], notify: [{address: ns.example.net}]}"), `zones[0].transfer.notify[0].address: "ns.example.net" must be an IP address`},
		{"notify key", tsigKey, xfr("{allow: [{keys: [xfr.example]}], notify: [{address: 192.0.2.1, key: nope}]}"), `zones[0].transfer.notify[0].key: "nope" is not among dns.tsig_keys`},
		{"signed and transferred", keyDir + tsigKey, signed + xfr("{allow: [{keys: [xfr.example]}]}"), "zones[0].transfer: cannot be combined with dnssec yet"},
		{"signed parent of a served child", keyDir, signed + "  - apex: sub.example.test\n    ns: [{name: ns1.example.test}]\n", "zones[0].dnssec: zone sub.example.test. lies inside this signed zone"},
		{"tsig algorithm", "  tsig_keys: [{name: k, algorithm: hmac-md5, secret_file: f}]\n", "", `dns.tsig_keys[0].algorithm: "hmac-md5": use one of hmac-sha256`},
		{"tsig secret", "  tsig_keys: [{name: k}]\n", "", "dns.tsig_keys[0].secret_file: is required"},
		{"tsig twice", "  tsig_keys: [{name: k, secret_file: f}, {name: K., secret_file: g}]\n", "", `dns.tsig_keys[1].name: "k." is defined twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(zoneSecConfig(c.dns, c.zone)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant an error containing %q", err, c.want)
			}
		})
	}
}

// TestLoadResolvesKeyFiles: the key directory and secret files are named
// relative to the configuration, as the other files a node reads.
func TestLoadResolvesKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	text := clusterOfOne + zoneSecConfig("  key_dir: keys\n"+tsigKey, "    transfer: {allow: [{keys: [xfr.example]}]}\n")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DNS.KeyDir != filepath.Join(dir, "keys") || cfg.DNS.TSIGKeys[0].SecretFile != filepath.Join(dir, "xfr.secret") {
		t.Errorf("got key_dir %q, secret_file %q; want both under %s", cfg.DNS.KeyDir, cfg.DNS.TSIGKeys[0].SecretFile, dir)
	}
}

func TestCheckTSIGSecret(t *testing.T) {
	if s, err := CheckTSIGSecret([]byte("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0\n")); err != nil || s != "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0" {
		t.Errorf("a good secret: got %q, %v", s, err)
	}
	for _, bad := range []string{"", "not base64!", "c2hvcnQ=", strings.Repeat("A", MaxTSIGSecret+1)} {
		if _, err := CheckTSIGSecret([]byte(bad)); err == nil {
			t.Errorf("%.20q: accepted", bad)
		}
	}
}
