package dnssec

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Errors a caller can tell apart with errors.Is; each is wrapped with the file or name concerned and
// what to do about it.
var (
	// ErrAlgorithm: the algorithm is not one outlast signs with (13 ECDSAP256SHA256, 14
	// ECDSAP384SHA384, 15 ED25519).
	ErrAlgorithm = errors.New("dnssec: unsupported algorithm")
	// ErrZoneMismatch: a key belongs to another zone than the one it is used for.
	ErrZoneMismatch = errors.New("dnssec: key is for another zone")
	// ErrKeyFile: a key file is missing, too large, malformed, or its two halves do not match.
	ErrKeyFile = errors.New("dnssec: bad key file")
	// ErrPermissions: a .private file can be read or written by users it should not be.
	ErrPermissions = errors.New("dnssec: private key file permissions too open")
	// ErrKeys: a set of keys cannot sign a zone (none given, or no key with the SEP flag).
	ErrKeys = errors.New("dnssec: unusable key set")
	// ErrOutOfZone: a name given to a Signer is not in its zone.
	ErrOutOfZone = errors.New("dnssec: name not in zone")
	// ErrRRset: records given to Sign are not one RRset that can be signed.
	ErrRRset = errors.New("dnssec: not a signable RRset")
	// ErrTypes: the types given to Deny are not a valid type bitmap.
	ErrTypes = errors.New("dnssec: bad type list")
)

const (
	// maxKeyFile bounds both key files: a BIND .key or .private for the algorithms above is a few
	// hundred bytes; anything past this is not a key file.
	maxKeyFile = 16 << 10
	flagZone   = 256 // ZONE bit (RFC 4034 2.1.1): a ZSK
	flagSEP    = 257 // ZONE + SEP: a KSK, or a CSK when it is the only key
)

// Key is one DNSSEC key of a zone, loaded from its pair of files.
type Key struct {
	// DNSKEY is the public half, as published at the zone apex.
	DNSKEY *dns.DNSKEY
	// Base is the path the key was loaded from, without ".key" or ".private".
	Base string
	// Warning is not empty when the key is usable but something about its files should be fixed
	// (a group-readable .private); the caller logs it.
	Warning string

	tag    uint16
	signer crypto.Signer
}

// Tag is the key tag that names the key in RRSIG and DS records.
func (k *Key) Tag() uint16 { return k.tag }

// Zone is the zone the key belongs to, lowercased and fully qualified.
func (k *Key) Zone() string { return k.DNSKEY.Hdr.Name }

// SEP reports whether the key has the Secure Entry Point flag (a KSK or CSK, flags 257).
func (k *Key) SEP() bool { return k.DNSKEY.Flags&1 == 1 }

// keyBits is the size miekg's Generate wants for each supported algorithm; its keys are the algorithms
// outlast signs with. RSA is left out on purpose: its signatures are four times the size of ECDSA's
// and much slower to make, which matters when denials are signed per query.
var keyBits = map[uint8]int{dns.ECDSAP256SHA256: 256, dns.ECDSAP384SHA384: 384, dns.ED25519: 256}

// Keygen makes a new key for zone in dir and writes it as BIND does: K<zone>+<alg>+<tag>.key (the
// DNSKEY record, mode 0644) and .private (mode 0600). alg 0 means ECDSAP256SHA256; dns.ED25519 is the
// other common choice. ksk sets the SEP flag (257): such a key alone is the zone's CSK, or the KSK
// beside a ZSK (ksk false, flags 256). It returns the files' common path without suffix, for LoadKey.
// It never overwrites a file.
func Keygen(dir, zone string, alg uint8, ksk bool) (base string, err error) {
	zone, err = keyZone(zone)
	if err != nil {
		return "", err
	}
	if alg == 0 {
		alg = dns.ECDSAP256SHA256
	}
	bits, ok := keyBits[alg]
	if !ok {
		return "", fmt.Errorf("%w %d (%s): use 13 (ECDSAP256SHA256, the default) or 15 (ED25519)", ErrAlgorithm, alg, dns.AlgorithmToString[alg])
	}
	flags := uint16(flagZone)
	if ksk {
		flags = flagSEP
	}
	// A new key's tag can, rarely, be one another key of the zone already has (its files exist):
	// make another key rather than overwrite.
	for range 4 {
		base, err = writeNewKey(dir, zone, alg, bits, flags)
		if !errors.Is(err, fs.ErrExist) {
			return base, err
		}
	}
	return "", err
}

func writeNewKey(dir, zone string, alg uint8, bits int, flags uint16) (string, error) {
	k := &dns.DNSKEY{
		Hdr:   dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: flags, Protocol: 3, Algorithm: alg,
	}
	priv, err := k.Generate(bits)
	if err != nil {
		return "", fmt.Errorf("dnssec: generate %s key: %w", dns.AlgorithmToString[alg], err)
	}
	base := filepath.Join(dir, fileBase(zone, alg, k.KeyTag()))
	if err := writeExclusive(base+".private", k.PrivateKeyString(priv), 0o600); err != nil {
		return "", err
	}
	role := "zone-signing key (ZSK)"
	if flags == flagSEP {
		role = "key-signing key (KSK, or CSK when alone)"
	}
	pub := fmt.Sprintf("; This is a %s, keyid %d, for %s\n; Created: %s\n%s\n",
		role, k.KeyTag(), zone, time.Now().UTC().Format("20060102150405"), k.String())
	if err := writeExclusive(base+".key", pub, 0o644); err != nil {
		os.Remove(base + ".private") // half a key pair is worse than none
		return "", err
	}
	return base, nil
}

// fileBase is BIND's name for a key's files: K<zone>+<alg, 3 digits>+<tag, 5 digits>.
func fileBase(zone string, alg uint8, tag uint16) string {
	return fmt.Sprintf("K%s+%03d+%05d", zone, alg, tag)
}

// writeExclusive creates path (failing if it exists), writes s and syncs it, so a crash never
// leaves a key file that looks complete but is not.
func writeExclusive(path, s string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("dnssec: write key: %w", err)
	}
	_, err = f.WriteString(s)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("dnssec: write key %s: %w", path, err)
	}
	return nil
}

// keyZone checks that zone is a domain name that can also be part of a file name, and returns it
// lowercased and fully qualified.
func keyZone(zone string) (string, error) {
	if _, ok := dns.IsDomainName(zone); !ok || zone == "" || strings.ContainsAny(zone, "/\\\x00") {
		return "", fmt.Errorf("%w: %q is not a zone name a key file can be named after", ErrZoneMismatch, zone)
	}
	return dns.CanonicalName(zone), nil
}

// LoadKey reads the key pair at base (the path without suffix; a trailing ".key" or ".private" is
// accepted too) and checks that the two files are one key: the file name's zone, algorithm and tag
// match the DNSKEY, the algorithm is one outlast signs with, and the private key signs what the
// public key verifies. A .private that others on the host can read or write is refused; one its group
// can read loads with Key.Warning set.
func LoadKey(base string) (*Key, error) {
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".key"), ".private")
	pub, err := readPublic(base + ".key")
	if err != nil {
		return nil, err
	}
	if err := checkName(base, pub); err != nil {
		return nil, err
	}
	priv, warning, err := readPrivate(base+".private", pub)
	if err != nil {
		return nil, err
	}
	k := &Key{DNSKEY: pub, Base: base, Warning: warning, tag: pub.KeyTag(), signer: priv}
	if err := selfTest(k); err != nil {
		return nil, err
	}
	return k, nil
}

// readPublic parses a .key file: comments and exactly one DNSKEY record.
func readPublic(path string) (*dns.DNSKEY, error) {
	data, _, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	zp := dns.NewZoneParser(strings.NewReader(string(data)), ".", path)
	var key *dns.DNSKEY
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		k, isKey := rr.(*dns.DNSKEY)
		if !isKey || key != nil {
			return nil, fmt.Errorf("%w %s: holds %s; a .key file holds exactly one DNSKEY record", ErrKeyFile, path, dns.TypeToString[rr.Header().Rrtype])
		}
		key = k
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	if key == nil {
		return nil, fmt.Errorf("%w %s: no DNSKEY record in it", ErrKeyFile, path)
	}
	if _, ok := keyBits[key.Algorithm]; !ok {
		return nil, fmt.Errorf("%w %d (%s) in %s: outlast signs with 13 (ECDSAP256SHA256), 14 (ECDSAP384SHA384) or 15 (ED25519); make a new key with `outlast dnssec keygen`",
			ErrAlgorithm, key.Algorithm, dns.AlgorithmToString[key.Algorithm], path)
	}
	if key.Protocol != 3 || key.Flags&flagZone == 0 {
		return nil, fmt.Errorf("%w %s: flags %d protocol %d is not a zone key (want flags 256 or 257, protocol 3)", ErrKeyFile, path, key.Flags, key.Protocol)
	}
	key.Hdr.Name = dns.CanonicalName(key.Hdr.Name)
	return key, nil
}

// checkName holds the file name to what the file says: a key renamed or copied to another zone's name
// would sign the wrong zone or be looked for under the wrong tag.
func checkName(base string, k *dns.DNSKEY) error {
	name := filepath.Base(base)
	want := fileBase(k.Hdr.Name, k.Algorithm, k.KeyTag())
	if strings.EqualFold(name, want) {
		return nil
	}
	if zone, _, ok := strings.Cut(strings.TrimPrefix(name, "K"), "+"); ok && dns.CanonicalName(zone) != k.Hdr.Name {
		return fmt.Errorf("%w: %s.key holds a key for zone %s, but its name says %s", ErrZoneMismatch, base, k.Hdr.Name, zone)
	}
	return fmt.Errorf("%w %s.key: its record is %s (zone, algorithm, tag); the file name does not match it", ErrKeyFile, base, want)
}

// readPrivate parses a .private file for the public key pub, after checking who can read it.
func readPrivate(path string, pub *dns.DNSKEY) (crypto.Signer, string, error) {
	data, mode, err := readBounded(path)
	if err != nil {
		return nil, "", err
	}
	warning, err := checkMode(path, mode)
	if err != nil {
		return nil, "", err
	}
	priv, err := pub.NewPrivateKey(string(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	if !complete(pub, priv) {
		return nil, "", fmt.Errorf("%w %s: no %s private key in it (its Algorithm line must match the .key and a PrivateKey line must follow)", ErrKeyFile, path, dns.AlgorithmToString[pub.Algorithm])
	}
	return priv.(crypto.Signer), warning, nil
}

// complete reports whether priv is a whole private key of pub's algorithm. miekg trusts the
// .private's Algorithm line and returns an empty Ed25519 key, or an ECDSA key without a curve, when
// the file does not match its .key; signing with either panics.
func complete(pub *dns.DNSKEY, priv crypto.PrivateKey) bool {
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		return pub.Algorithm != dns.ED25519 && k.Curve != nil
	case ed25519.PrivateKey:
		return pub.Algorithm == dns.ED25519 && len(k) == ed25519.PrivateKeySize
	}
	return false
}

// checkMode refuses a .private file others on the host can read (any of them could sign for the zone)
// or that anyone but its owner can write (it could be replaced with a key that breaks the zone). A
// group-readable file is allowed with a warning: sharing a key with a service group is how BIND's
// packages and Kubernetes secrets with an fsGroup deploy keys.
func checkMode(path string, mode fs.FileMode) (string, error) {
	perm := mode.Perm()
	switch {
	case perm&0o007 != 0:
		return "", fmt.Errorf("%w: %s has mode %04o: any user on this host can read or change it and sign for the zone; run chmod 600 %s", ErrPermissions, path, perm, path)
	case perm&0o020 != 0:
		return "", fmt.Errorf("%w: %s has mode %04o: its group can replace the key; run chmod 600 %s (or 640)", ErrPermissions, path, perm, path)
	case perm&0o040 != 0:
		return fmt.Sprintf("%s has mode %04o: members of its group can read the private key; chmod 600 unless the group is the server's own", path, perm), nil
	}
	return "", nil
}

// readBounded reads a regular file of at most maxKeyFile bytes and returns its mode (from the open
// file, so the mode checked is the file read).
func readBounded(path string) ([]byte, fs.FileMode, error) {
	// Stat before opening too: opening a FIFO for reading blocks until someone writes to it.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%w %s: not a regular file (%s)", ErrKeyFile, path, st.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%w %s: not a regular file (%s)", ErrKeyFile, path, st.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, 0, fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	if len(data) > maxKeyFile {
		return nil, 0, fmt.Errorf("%w %s: larger than %d bytes, which no key file is", ErrKeyFile, path, maxKeyFile)
	}
	return data, st.Mode(), nil
}

// selfTest signs a record with the private key and verifies it with the DNSKEY: miekg does not check
// that a .private belongs to its .key, and a mismatch would otherwise surface only as every answer
// failing validation.
func selfTest(k *Key) error {
	rr := &dns.TXT{Hdr: dns.RR_Header{Name: k.Zone(), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1}, Txt: []string{"outlast key check"}}
	sig := &dns.RRSIG{Algorithm: k.DNSKEY.Algorithm, KeyTag: k.tag, SignerName: k.Zone(), Inception: 0, Expiration: 1}
	if err := sig.Sign(k.signer, []dns.RR{rr}); err != nil {
		return fmt.Errorf("%w %s.private: cannot sign: %v", ErrKeyFile, k.Base, err)
	}
	if err := sig.Verify(k.DNSKEY, []dns.RR{rr}); err != nil {
		return fmt.Errorf("%w: %s.private does not belong to %s.key (a signature made with it does not verify: %v)", ErrKeyFile, k.Base, k.Base, err)
	}
	return nil
}
