package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDNSSECKeygenAndDS: outlast dnssec keygen writes a BIND-format key
// pair (the private part 0600) and prints the parent's DS; outlast dnssec
// ds prints it again from the file; Knot's keymgr, importing the same
// key, computes the same DS (where Knot is installed, as in CI).
func TestDNSSECKeygenAndDS(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd("dnssec", "keygen", "--zone", "example.com", "--dir", dir)
	if code != exitOK {
		t.Fatalf("keygen: exit %d\n%s%s", code, out, errOut)
	}
	keys, _ := filepath.Glob(filepath.Join(dir, "Kexample.com.+013+*.key"))
	if len(keys) != 1 {
		t.Fatalf("keygen wrote %v, want one Kexample.com.+013+TAG.key", keys)
	}
	private := strings.TrimSuffix(keys[0], ".key") + ".private"
	if st, err := os.Stat(private); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want 0600", private, err, st.Mode())
	}
	ds := dsLine(t, out)
	code, again, errOut := runCmd("dnssec", "ds", keys[0])
	if code != exitOK || dsLine(t, again) != ds {
		t.Fatalf("dnssec ds: exit %d, %q%s; want the DS keygen printed, %q", code, again, errOut, ds)
	}
	if code, _, _ := runCmd("dnssec", "keygen", "--zone", "example.com", "--algorithm", "rsasha1"); code != exitUsage {
		t.Errorf("an RSA key: exit %d, want %d (only ECDSA P-256 and Ed25519)", code, exitUsage)
	}
	keymgr, err := exec.LookPath("keymgr")
	if err != nil {
		t.Skip("keymgr (Knot) is not installed: the DS is not compared with Knot's")
	}
	kasp := t.TempDir()
	if out, err := exec.Command(keymgr, "-D", kasp, "example.com.", "import-bind", private).CombinedOutput(); err != nil {
		t.Fatalf("keymgr import-bind: %v\n%s", err, out)
	}
	knot, err := exec.Command(keymgr, "-D", kasp, "example.com.", "ds").CombinedOutput()
	if err != nil {
		t.Fatalf("keymgr ds: %v\n%s", err, knot)
	}
	// outlast: "example.com.\t3600\tIN\tDS\t3207 13 2 C02A..."; Knot: "example.com. DS 3207 13 2 c02a..."
	fields := strings.Fields(ds)
	want := strings.ToLower(strings.Join(fields[len(fields)-4:], " "))
	if !strings.Contains(string(knot), want) {
		t.Errorf("Knot's DS for the same key:\n%s\ndoes not hold outlast's %q", knot, want)
	}
}

// dsLine is the one DS record in out.
func dsLine(t *testing.T, out string) string {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, "\tDS\t") {
			return line
		}
	}
	t.Fatalf("no DS record in:\n%s", out)
	return ""
}
