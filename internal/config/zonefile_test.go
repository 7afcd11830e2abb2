package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zoneConfig is base with its zone served from file (and no services).
func zoneConfig(file string) string {
	return strings.Replace(base[:strings.Index(base, "services:")], "    ns:\n", "    file: "+file+"\n    ns:\n", 1)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLoadReadsTheZoneFile: the path is relative to the configuration's
// directory, its text lands in the replicated part, and the hash follows it.
func TestLoadReadsTheZoneFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "outlast.yaml")
	writeFile(t, path, zoneConfig("zones/db.example"))
	os.Mkdir(filepath.Join(dir, "zones"), 0o700)
	writeFile(t, filepath.Join(dir, "zones", "db.example"), "www A 192.0.2.1\n")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Shared().Zones[0].FileText; got != "www A 192.0.2.1\n" {
		t.Errorf("FileText %q", got)
	}
	if cfg.Source != path || len(cfg.Services) != 0 {
		t.Errorf("Source %q, services %d: a zone of records needs no service", cfg.Source, len(cfg.Services))
	}
	writeFile(t, filepath.Join(dir, "zones", "db.example"), "www A 192.0.2.2\n")
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Hash == cfg.Hash {
		t.Errorf("the zone file changed but the hash %s did not", cfg.Hash)
	}
}

func TestLoadZoneFileProblems(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxZoneFileSize + 1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct{ file, want string }{
		{"missing", ":8:11: zones[0].file: zone Example.Test: cannot read its master file missing: it does not exist " +
			"(the path is relative to the configuration file's directory)"},
		{"big", ":8:11: zones[0].file: zone Example.Test: cannot read its master file big: it is 16777217 bytes or more, " +
			"larger than the 16777216 bytes allowed here"},
		{dir, "zones[0].file: zone Example.Test: cannot read its master file " + dir + ": read "},
	} {
		path := filepath.Join(dir, "outlast.yaml")
		writeFile(t, path, zoneConfig(tc.file))
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load with file %s: %v\nwant it to say %q", tc.file, err, tc.want)
		}
	}
}

// TestParseRefusesZoneFiles: text from the API may not make the node read its disk.
func TestParseRefusesZoneFiles(t *testing.T) {
	_, err := Parse("request", []byte(zoneConfig("/etc/passwd")))
	want := "request:8:11: zones[0].file: zone Example.Test names the file /etc/passwd, but a configuration sent to a node"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v\nwant %s…", err, want)
	}
}

// TestZoneFilesShareOneBudget: all zone files of a configuration together
// stay within MaxZoneTextSize; each read is told what is left.
func TestZoneFilesShareOneBudget(t *testing.T) {
	var limits []int64
	read := func(path string, limit int64) (string, error) {
		limits = append(limits, limit)
		if limit < MaxZoneFileSize {
			return "", errTooLarge{size: limit + 1, limit: limit}
		}
		return strings.Repeat("x", MaxZoneFileSize), nil
	}
	c := &Config{Zones: make([]Zone, 6)}
	for i := range c.Zones {
		c.Zones[i] = Zone{Apex: "example.test.", File: "f"}
	}
	problems := readZoneFiles(c, read)
	if len(limits) != 6 || limits[4] != 0 || len(problems.listed) != 2 || !strings.Contains(problems.listed[0].Message, "MaxZoneTextSize") {
		t.Errorf("limits %v, problems %v: want four whole files, then nothing left for the fifth and sixth", limits, problems.listed)
	}
}
