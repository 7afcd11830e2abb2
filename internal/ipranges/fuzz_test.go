package ipranges

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse holds that no input makes Parse panic, and that whatever it
// accepts is a usable owner: a valid masked prefix and a provider.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil || len(data) == 0 {
			continue
		}
		f.Add(data, "")
		f.Add(data, "lab")
	}
	f.Add([]byte("10.0.0.0/8 # x\n::ffff:1.2.3.4\n"), "lab")
	f.Fuzz(func(t *testing.T, data []byte, provider string) {
		owners, err := Parse("fuzz", data, provider)
		if err != nil {
			return
		}
		if len(owners) == 0 {
			t.Fatal("Parse accepted a file with no owners")
		}
		for _, o := range owners {
			if !o.Prefix.IsValid() || o.Prefix != o.Prefix.Masked() || o.Provider == "" || o.Prefix.Addr().Is4In6() {
				t.Fatalf("Parse accepted a bad owner %+v", o)
			}
		}
		table := New(owners)
		if _, ok := table.Lookup(owners[0].Prefix.Addr()); !ok {
			t.Fatalf("Lookup of %s, the first prefix's own address, found nothing", owners[0].Prefix)
		}
	})
}
