package pgtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// debianRoot is where Debian's postgresql-NN packages install their
// programs, one directory per major version.
const debianRoot = "/usr/lib/postgresql"

// requiredTools are the programs StartPair and the hook scripts run.
var requiredTools = []string{"initdb", "pg_ctl", "postgres", "pg_basebackup"}

// ErrNotInstalled says no usable PostgreSQL was found; StartPair turns it
// into a skip.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL not installed: apt-get install postgresql")

// Find returns the newest /usr/lib/postgresql/*/bin holding initdb, pg_ctl,
// postgres and pg_basebackup.
func Find() (binDir string, err error) {
	return findIn(debianRoot)
}

// findIn is Find under another root, so the version order can be tested
// without installing several majors.
func findIn(root string) (string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", fmt.Errorf("%w (reading %s: %v)", ErrNotInstalled, root, err)
	}
	var versions []string
	for _, e := range entries {
		if _, ok := majorOf(e.Name()); ok {
			versions = append(versions, e.Name())
		}
	}
	// Newest first, by number: "9.6" < "10" < "15".
	sort.Slice(versions, func(i, j int) bool {
		a, _ := majorOf(versions[i])
		b, _ := majorOf(versions[j])
		return a > b
	})
	for _, v := range versions {
		bin := filepath.Join(root, v, "bin")
		if hasTools(bin) {
			return bin, nil
		}
	}
	return "", fmt.Errorf("%w (no %s/*/bin holds %s)", ErrNotInstalled, root, strings.Join(requiredTools, ", "))
}

// majorOf reads a version directory name ("15", "9.6") as a sortable number.
func majorOf(name string) (float64, bool) {
	v, err := strconv.ParseFloat(name, 64)
	return v, err == nil && v > 0
}

func hasTools(bin string) bool {
	for _, tool := range requiredTools {
		fi, err := os.Stat(filepath.Join(bin, tool))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}
