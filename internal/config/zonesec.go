package config

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ZoneDNSSEC signs a zone online (see docs/operations.md, "Signing a zone").
// Replicated: it names the keys, never holds them; each node reads the key
// files from its own dns.key_dir, so the secrets never enter the Raft log.
type ZoneDNSSEC struct {
	// Keys are the zone's key files, by the base name `outlast dnssec
	// keygen` prints (Kexample.com.+013+12345, without .key or .private),
	// found in dns.key_dir on every node. At least one; every set is signed
	// by each (a KSK beside a ZSK, or two keys during a rollover). Required.
	Keys []string `yaml:"keys"`
	// Validity is how long a signature is valid from its inception
	// (default 168h: a week bounds how long a replayed answer can point at
	// a failed region).
	Validity time.Duration `yaml:"validity,nonzero"`
	// Refresh: a set is signed again when less than this is left of its
	// signatures' validity (default 48h). It must exceed every TTL served.
	Refresh time.Duration `yaml:"refresh,nonzero"`
	// Jitter is the most taken off a signature's expiration, by a hash of
	// its owner and type, so a zone's sets are not all re-signed in the
	// same hour (default 24h).
	Jitter time.Duration `yaml:"jitter,nonzero"`
	// KeyTTL is the TTL of the DNSKEY, CDS and CDNSKEY records (default 1h).
	KeyTTL time.Duration `yaml:"key_ttl,nonzero"`
	// DenialRate is how many denials of names that do not exist a node
	// signs afresh each second for queries over UDP, whose source can be
	// forged; beyond it such a query is sent to TCP (default 2000).
	DenialRate int `yaml:"denial_rate,nonzero" json:",omitempty"`
}

// ZoneTransfer lets secondaries at other providers copy a zone (AXFR and
// IXFR over TCP) and tells them when it changes (NOTIFY). Replicated: it
// names TSIG keys, whose secrets each node holds in dns.tsig_keys.
type ZoneTransfer struct {
	// Allow are the rules a transfer request must match one of. Required:
	// a zone is never transferred to anyone by default.
	Allow []TransferRule `yaml:"allow"`
	// Notify are the secondaries sent a NOTIFY whenever the zone changes,
	// retried until each answers (default: none).
	Notify []NotifyTarget `yaml:"notify" json:",omitempty"`
}

// TransferRule is one secondary (or provider) allowed to transfer the zone,
// as a Knot acl: the request must come from one of Addresses when they are
// set and be signed with one of Keys when they are set; at least one of the
// two is required.
type TransferRule struct {
	// Addresses are the secondary's networks (default: any address, when
	// Keys are set).
	Addresses []netip.Prefix `yaml:"addresses" json:",omitempty"`
	// Keys name TSIG keys of dns.tsig_keys (default: none, when Addresses
	// are set).
	Keys []string `yaml:"keys" json:",omitempty"`
}

// NotifyTarget is a secondary told of each new serial.
type NotifyTarget struct {
	// Address is the secondary's "ip" or "ip:port" (port default 53). Required.
	Address string `yaml:"address"`
	// Key names the dns.tsig_keys key the NOTIFY is signed with (default:
	// unsigned).
	Key string `yaml:"key" json:",omitempty"`
}

// AddrPort is the target's address with the default port filled in; it
// is valid once the configuration passed validation.
func (t NotifyTarget) AddrPort() netip.AddrPort {
	if ap, err := netip.ParseAddrPort(t.Address); err == nil {
		return ap
	}
	a, _ := netip.ParseAddr(t.Address)
	return netip.AddrPortFrom(a, 53)
}

// TSIGKey is a key shared with secondaries (RFC 8945). Local: its secret
// stays on this node.
type TSIGKey struct {
	// Name is the key's name, as the secondary's configuration names it. Required.
	Name string `yaml:"name"`
	// Algorithm is hmac-sha256, hmac-sha384 or hmac-sha512 (default
	// hmac-sha256).
	Algorithm string `yaml:"algorithm"`
	// SecretFile holds the base64 secret (as `keymgr -t` or `tsig-keygen`
	// print it), relative to the configuration file's directory. Required.
	SecretFile string `yaml:"secret_file"`
}

// Defaults and limits of zone signing and transfers.
const (
	DefaultDNSSECValidity = 168 * time.Hour
	DefaultDNSSECRefresh  = 48 * time.Hour
	DefaultDNSSECJitter   = 24 * time.Hour
	DefaultDNSSECKeyTTL   = time.Hour
	DefaultDenialRate     = 2000
	// MaxDenialRate bounds denial_rate: far beyond what a core can sign.
	MaxDenialRate        = 1000000
	DefaultTSIGAlgorithm = "hmac-sha256"
	// MaxDNSSECValidity keeps signatures well inside RFC 4034's serial
	// arithmetic, and a replayed answer's life bounded.
	MaxDNSSECValidity = 90 * 24 * time.Hour
	// MaxZoneKeys, MaxTransferRules and MaxNotifyTargets bound lists every
	// signature, transfer request and change walks.
	MaxZoneKeys      = 8
	MaxTransferRules = 32
	MaxNotifyTargets = 32
	// MaxTSIGSecret bounds a secret file: 64 bytes of key is the most any
	// HMAC here uses a full block of.
	MaxTSIGSecret = 4096
)

// TSIGAlgorithms are the HMACs accepted for TSIG keys (RFC 8945 6: SHA-1
// and MD5 are not offered).
var TSIGAlgorithms = []string{"hmac-sha256", "hmac-sha384", "hmac-sha512"}

func dnssecDefaults(d *ZoneDNSSEC) {
	setDefault(&d.Validity, DefaultDNSSECValidity)
	setDefault(&d.Refresh, DefaultDNSSECRefresh)
	setDefault(&d.Jitter, DefaultDNSSECJitter)
	setDefault(&d.KeyTTL, DefaultDNSSECKeyTTL)
	setDefault(&d.DenialRate, DefaultDenialRate)
}

func (v *validator) dnssec(path string, d *ZoneDNSSEC, keyDir string) {
	if len(d.Keys) == 0 {
		v.add(path+".keys", "is required: the key files' base names, as `outlast dnssec keygen` prints them")
	}
	if len(d.Keys) > MaxZoneKeys {
		v.add(path+".keys", "lists %d keys; at most %d", len(d.Keys), MaxZoneKeys)
	}
	for i, k := range d.Keys {
		p := fmt.Sprintf("%s.keys[%d]", path, i)
		if !strings.HasPrefix(k, "K") || k != filepath.Base(k) || strings.HasSuffix(k, ".key") || strings.HasSuffix(k, ".private") {
			v.add(p, "%q must be a key's base name in dns.key_dir, such as Kexample.com.+013+12345 (no directory, no .key or .private)", k)
		}
	}
	if len(d.Keys) > 0 && keyDir == "" {
		v.add(path+".keys", "the key files are read from dns.key_dir, which is not set; set it on every node and copy the keys there")
	}
	switch {
	case d.Validity < time.Hour || d.Validity > MaxDNSSECValidity:
		v.add(path+".validity", "%s must lie between 1h and %s", d.Validity, MaxDNSSECValidity)
	case d.Refresh >= d.Validity:
		v.add(path+".refresh", "%s must be shorter than validity (%s)", d.Refresh, d.Validity)
	case d.Jitter >= d.Validity-d.Refresh:
		v.add(path+".jitter", "%s must be shorter than validity less refresh (%s)", d.Jitter, d.Validity-d.Refresh)
	}
	v.seconds(path+".key_ttl", d.KeyTTL)
	if d.DenialRate < 1 || d.DenialRate > MaxDenialRate {
		v.add(path+".denial_rate", "%d must lie between 1 and %d", d.DenialRate, MaxDenialRate)
	}
}

func (v *validator) transfer(path string, t *ZoneTransfer, keys []TSIGKey) {
	if len(t.Allow) == 0 {
		v.add(path+".allow", "is required: the secondaries' addresses or TSIG keys (a zone is transferred to nobody by default)")
	}
	if len(t.Allow) > MaxTransferRules {
		v.add(path+".allow", "lists %d rules; at most %d", len(t.Allow), MaxTransferRules)
	}
	for i, r := range t.Allow {
		p := fmt.Sprintf("%s.allow[%d]", path, i)
		if len(r.Addresses) == 0 && len(r.Keys) == 0 {
			v.add(p, "needs addresses, keys or both: a rule with neither would allow nobody")
		}
		for j, k := range r.Keys {
			v.tsigKeyRef(fmt.Sprintf("%s.keys[%d]", p, j), k, keys)
		}
	}
	if len(t.Notify) > MaxNotifyTargets {
		v.add(path+".notify", "lists %d targets; at most %d", len(t.Notify), MaxNotifyTargets)
	}
	for i, n := range t.Notify {
		p := fmt.Sprintf("%s.notify[%d]", path, i)
		if _, err := netip.ParseAddrPort(n.Address); err != nil {
			if _, err := netip.ParseAddr(n.Address); err != nil {
				v.add(p+".address", "%q must be an IP address, with or without a port (192.0.2.53 or 192.0.2.53:53)", n.Address)
			}
		}
		if n.Key != "" {
			v.tsigKeyRef(p+".key", n.Key, keys)
		}
	}
}

// tsigKeyRef checks a key name against this node's dns.tsig_keys. A
// configuration replaced through the API is checked by the node that
// accepts it; the others log the key they lack and refuse its transfers.
func (v *validator) tsigKeyRef(path, name string, keys []TSIGKey) {
	if !slices.ContainsFunc(keys, func(k TSIGKey) bool { return canonicalName(k.Name) == canonicalName(name) }) {
		v.add(path, "%q is not among dns.tsig_keys; define it there (name, algorithm, secret_file)", name)
	}
}

func (v *validator) tsigKeys(keys []TSIGKey) {
	seen := map[string]bool{}
	for i, k := range keys {
		p := fmt.Sprintf("dns.tsig_keys[%d]", i)
		if k.Name == "" {
			v.add(p+".name", "is required: the key's name, as the secondary names it")
		} else if v.name(p+".name", k.Name) && seen[canonicalName(k.Name)] {
			v.add(p+".name", "%q is defined twice", k.Name)
		}
		seen[canonicalName(k.Name)] = true
		if !slices.Contains(TSIGAlgorithms, k.Algorithm) {
			v.add(p+".algorithm", "%q: use one of %s", k.Algorithm, strings.Join(TSIGAlgorithms, ", "))
		}
		if k.SecretFile == "" {
			v.add(p+".secret_file", "is required: a file holding the base64 secret")
		}
	}
}

// CheckTSIGSecret checks a secret file's text and returns the secret, for
// the node that reads it.
func CheckTSIGSecret(text []byte) (string, error) {
	if len(text) > MaxTSIGSecret {
		return "", fmt.Errorf("is %d bytes; a TSIG secret file holds one base64 line of at most %d", len(text), MaxTSIGSecret)
	}
	s := strings.TrimSpace(string(text))
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) < 16 {
		return "", fmt.Errorf("must hold one base64 secret of at least 16 bytes, as `tsig-keygen` or `keymgr -t` print it")
	}
	return s, nil
}

// zoneSecurity checks a zone's signing and transfer settings against this
// node's keys.
func (v *validator) zoneSecurity(path string, z *Zone, c *Config) {
	if z.DNSSEC != nil {
		v.dnssec(path+".dnssec", z.DNSSEC, c.DNS.KeyDir)
		for _, other := range c.Zones {
			// The parent's half of the delegation (its NS, DS, and the NSEC
			// proving no DS) is not built for a child served here too.
			if other.Apex != z.Apex && other.Apex != "" && inZone(other.Apex, z.Apex) {
				v.add(path+".dnssec", "zone %s lies inside this signed zone and is served here too, which a signed parent cannot delegate to yet; "+
					"serve one of them elsewhere, or leave this one unsigned", other.Apex)
			}
		}
	}
	if z.Transfer != nil {
		v.transfer(path+".transfer", z.Transfer, c.DNS.TSIGKeys)
		if c.Cluster.Listen == "" {
			// The serial comes from the Raft index (internal/zoneserial),
			// which a node without a log on disk starts again from 1.
			v.add(path+".transfer", "needs cluster (listen and data_dir, a cluster of one will do): "+
				"the zone's serial comes from the Raft log, which must outlive a restart or secondaries would ignore the zone")
		}
	}
	if z.DNSSEC != nil && z.Transfer != nil {
		// A signed zone's answers for names that do not exist are signed
		// per query (compact denial), which a secondary cannot do: it
		// would need an NSEC chain over the whole zone, which outlast
		// does not build yet.
		v.add(path+".transfer", "cannot be combined with dnssec yet: secondaries could not prove names absent; "+
			"transfer the zone unsigned and let the secondary's provider sign it, or serve it signed from outlast alone")
	}
}
