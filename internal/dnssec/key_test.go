package dnssec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/miekg/dns"
)

// newKey makes a key in a fresh directory and loads it, failing the test on any error.
func newKey(t testing.TB, zone string, alg uint8, ksk bool) *Key {
	t.Helper()
	base, err := Keygen(t.TempDir(), zone, alg, ksk)
	if err != nil {
		t.Fatalf("Keygen(%s, %d, ksk=%v): %v", zone, alg, ksk, err)
	}
	k, err := LoadKey(base)
	if err != nil {
		t.Fatalf("LoadKey(%s): %v", base, err)
	}
	return k
}

func TestKeygenLoadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		alg, want uint8
		ksk       bool
		flags     uint16
	}{
		{0, dns.ECDSAP256SHA256, true, 257},
		{dns.ECDSAP256SHA256, dns.ECDSAP256SHA256, false, 256},
		{dns.ED25519, dns.ED25519, true, 257},
	} {
		dir := t.TempDir()
		base, err := Keygen(dir, "Example.COM", tc.alg, tc.ksk)
		if err != nil {
			t.Fatalf("Keygen alg %d: %v", tc.alg, err)
		}
		k, err := LoadKey(base + ".key") // a suffix is accepted
		if err != nil {
			t.Fatalf("LoadKey(%s): %v", base, err)
		}
		want := filepath.Join(dir, fileBase("example.com.", tc.want, k.Tag()))
		if base != want || k.Base != want {
			t.Errorf("base %s (loaded %s), want %s", base, k.Base, want)
		}
		if k.Zone() != "example.com." || k.DNSKEY.Algorithm != tc.want || k.DNSKEY.Flags != tc.flags || k.SEP() != tc.ksk {
			t.Errorf("loaded %s (SEP %v), want alg %d flags %d for example.com.", k.DNSKEY, k.SEP(), tc.want, tc.flags)
		}
		if k.Warning != "" {
			t.Errorf("fresh key has warning %q", k.Warning)
		}
		for suffix, mode := range map[string]os.FileMode{".private": 0o600, ".key": 0o644} {
			st, err := os.Stat(base + suffix)
			if err != nil || st.Mode().Perm() != mode {
				t.Errorf("%s%s: mode %v err %v, want %04o", base, suffix, st.Mode().Perm(), err, mode)
			}
		}
	}
}

func TestKeygenRefuses(t *testing.T) {
	if _, err := Keygen(t.TempDir(), "example.com.", dns.RSASHA256, true); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("RSA: err %v, want ErrAlgorithm", err)
	}
	if _, err := Keygen(t.TempDir(), "../etc/x.", 0, true); err == nil {
		t.Errorf("a zone name with a slash made a key file")
	}
}

// writeFile writes a key file with mode, failing the test on error.
func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode passes through the umask
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoadKeyRefusesBadFiles: each broken key pair is refused with the sentinel and a message that
// names the file and what to do.
func TestLoadKeyRefusesBadFiles(t *testing.T) {
	good, err := Keygen(t.TempDir(), "example.com.", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Keygen(t.TempDir(), "example.com.", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	otherZone, err := Keygen(t.TempDir(), "example.net.", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := read(t, good+".key"), read(t, good+".private")
	name := filepath.Base(good)

	for _, tc := range []struct {
		name      string
		base      string // default: a copy of good named as good
		key, priv string
		privMode  os.FileMode
		want      error
		says      string
	}{
		{name: "world-readable", key: pub, priv: priv, privMode: 0o604, want: ErrPermissions, says: "any user on this host"},
		{name: "group-writable", key: pub, priv: priv, privMode: 0o620, want: ErrPermissions, says: "its group can replace"},
		{name: "private of another key", key: pub, priv: read(t, other+".private"), privMode: 0o600, want: ErrKeyFile, says: "does not belong"},
		{name: "zone mismatch", base: strings.Replace(name, "example.com.", "example.org.", 1), key: pub, priv: priv, privMode: 0o600, want: ErrZoneMismatch, says: "holds a key for zone example.com., but its name says example.org."},
		{name: "other zone's key under this name", key: read(t, otherZone+".key"), priv: read(t, otherZone+".private"), privMode: 0o600, want: ErrZoneMismatch, says: "example.net."},
		{name: "wrong tag in name", base: "Kexample.com.+013+00001", key: pub, priv: priv, privMode: 0o600, want: ErrKeyFile, says: "does not match"},
		{name: "rsa", key: rsaKeyFile(t), priv: priv, privMode: 0o600, want: ErrAlgorithm, says: "RSASHA256"},
		{name: "two records", key: pub + "example.com. 3600 IN A 192.0.2.1\n", priv: priv, privMode: 0o600, want: ErrKeyFile, says: "exactly one DNSKEY"},
		{name: "no record", key: "; nothing\n", priv: priv, privMode: 0o600, want: ErrKeyFile, says: "no DNSKEY"},
		{name: "garbage private", key: pub, priv: "Private-key-format: v1.3\nAlgorithm: 13\nPrivateKey: !!!\n", privMode: 0o600, want: ErrKeyFile, says: ".private"},
		{name: "huge", key: pub + strings.Repeat(";", maxKeyFile), priv: priv, privMode: 0o600, want: ErrKeyFile, says: "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), name)
			if tc.base != "" {
				base = filepath.Join(filepath.Dir(base), tc.base)
			}
			writeFile(t, base+".key", tc.key, 0o644)
			writeFile(t, base+".private", tc.priv, tc.privMode)
			_, err := LoadKey(base)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("LoadKey: %v\nwant %v saying %q", err, tc.want, tc.says)
			}
			if !strings.Contains(err.Error(), filepath.Base(base)) {
				t.Errorf("error does not name the file %s: %v", base, err)
			}
		})
	}
}

// rsaKeyFile is a .key file for an RSA key, which outlast does not sign with.
func rsaKeyFile(t *testing.T) string {
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600}, Flags: 257, Protocol: 3, Algorithm: dns.RSASHA256}
	if _, err := k.Generate(1024); err != nil {
		t.Fatal(err)
	}
	return k.String() + "\n"
}

func TestLoadKeyGroupReadableWarns(t *testing.T) {
	base, err := Keygen(t.TempDir(), "example.com.", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base+".private", 0o640); err != nil {
		t.Fatal(err)
	}
	k, err := LoadKey(base)
	if err != nil {
		t.Fatalf("group-readable key refused: %v", err)
	}
	if !strings.Contains(k.Warning, "0640") || !strings.Contains(k.Warning, "group") {
		t.Errorf("warning %q, want one naming the mode and the group", k.Warning)
	}
}

func TestLoadKeyRefusesFIFO(t *testing.T) {
	base, err := Keygen(t.TempDir(), "example.com.", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(base + ".private")
	if err := syscall.Mkfifo(base+".private", 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Without the regular-file check this would block forever reading the FIFO.
	if _, err := LoadKey(base); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("LoadKey with a FIFO: %v", err)
	}
}

func TestLoadKeyMissing(t *testing.T) {
	_, err := LoadKey(filepath.Join(t.TempDir(), "Kexample.com.+013+12345"))
	if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "Kexample.com.+013+12345.key") {
		t.Fatalf("missing key: %v", err)
	}
}

// FuzzLoadKey: whatever a .private file holds beside a good .key, LoadKey refuses it with ErrKeyFile
// or loads a key that signs; it never panics (an Ed25519 file without its PrivateKey line once did).
func FuzzLoadKey(f *testing.F) {
	bases := map[bool]string{}
	for _, ed := range []bool{false, true} {
		alg := uint8(dns.ECDSAP256SHA256)
		if ed {
			alg = dns.ED25519
		}
		base, err := Keygen(f.TempDir(), "example.com.", alg, true)
		if err != nil {
			f.Fatal(err)
		}
		bases[ed] = base
		good, err := os.ReadFile(base + ".private")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ed, string(good))
		f.Add(ed, fmt.Sprintf("Private-key-format: v1.3\nAlgorithm: %d\n", alg))
		f.Add(ed, fmt.Sprintf("Private-key-format: v1.3\nAlgorithm: %d\nPrivateKey: AAAA\n", alg))
	}
	f.Fuzz(func(t *testing.T, ed bool, priv string) {
		base := copyKey(t, bases[ed], t.TempDir())
		writeFile(t, base+".private", priv, 0o600)
		k, err := LoadKey(base)
		if err != nil {
			if !errors.Is(err, ErrKeyFile) {
				t.Fatalf("LoadKey: %v, want ErrKeyFile", err)
			}
			return
		}
		if err := selfTest(k); err != nil {
			t.Fatalf("loaded key does not sign: %v", err)
		}
	})
}
