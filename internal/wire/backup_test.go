package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"
)

// backupFile is a backup as a node writes it, of the given state text.
func backupFile(t testing.TB, state string) []byte {
	var buf bytes.Buffer
	info := BackupInfo{OutlastVersion: "v1.2.3", Node: "n1", Index: 42, TakenAt: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
		ConfigVersion: 3, ConfigHash: "abc"}
	if err := WriteBackup(&buf, info, func(w io.Writer) error {
		_, err := io.WriteString(w, state)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBackupRoundTrip: what WriteBackup streams, ParseBackup reads back,
// the state byte for byte and hashed.
func TestBackupRoundTrip(t *testing.T) {
	state := `{"config":{"version":3},"verdicts":{},"events":[]}`
	b, err := ParseBackup(backupFile(t, state))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(state))
	if string(b.State) != state || b.StateSHA256 != hex.EncodeToString(sum[:]) || b.Index != 42 || b.Format != BackupFormat || b.Node != "n1" {
		t.Errorf("parsed %+v", b)
	}
}

// TestParseBackupRefusesDamage: a changed state, a cut file, another
// format, unknown fields and trailing text are refused, each saying so.
func TestParseBackupRefusesDamage(t *testing.T) {
	good := string(backupFile(t, `{"verdicts":{},"index":7}`))
	for _, c := range []struct{ name, data, want string }{
		{"changed state", strings.Replace(good, `"index":7`, `"index":8`, 1), "damaged"},
		{"cut short", good[:len(good)/2], "not a backup"},
		{"no hash", strings.Replace(good, `,"state_sha256"`, `,"x_sha256"`, 1), "not a backup"},
		{"other format", strings.Replace(good, `"format":1`, `"format":2`, 1), "format 2"},
		{"trailing text", good + "{}", "text after"},
		{"no state", `{"format":1}`, "no state"},
	} {
		if _, err := ParseBackup([]byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

// FuzzParseBackup: any bytes either are refused or parse to a backup whose
// state hashes to what it says, and that parses the same again.
func FuzzParseBackup(f *testing.F) {
	f.Add(backupFile(f, `{"verdicts":{},"events":[]}`))
	f.Add(backupFile(f, `null`))
	f.Add([]byte(`{"format":1,"state":{},"state_sha256":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBackup(data)
		if err != nil {
			return
		}
		sum := sha256.Sum256(b.State)
		if hex.EncodeToString(sum[:]) != b.StateSHA256 {
			t.Fatalf("accepted a state that does not hash to %s", b.StateSHA256)
		}
		again := backupFile(t, string(b.State))
		if c, err := ParseBackup(again); err != nil || !bytes.Equal(c.State, b.State) {
			t.Fatalf("the accepted state %q does not survive a rewrite: %v", b.State, err)
		}
	})
}
