package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Zone files are read by Load, which is the only IO this package does
// besides reading the configuration itself; what they hold is parsed and
// checked by internal/zone, which may link the DNS library this package
// must not (it stays pure).
const (
	// MaxZoneFileSize is the largest master file a zone may name, in
	// bytes (16 MiB): about 300,000 records of a typical zone export. A
	// larger file is refused before it is read, since its text travels in
	// the replicated configuration to every node.
	MaxZoneFileSize = 16 << 20

	// MaxZoneTextSize bounds the zone files of one configuration together
	// (64 MiB), so many small zone entries naming large files cannot add
	// up to more than a node should hold.
	MaxZoneTextSize = 64 << 20
)

// zoneReader returns the content of the zone file at path (as written in
// the configuration), at most limit bytes.
type zoneReader func(path string, limit int64) (string, error)

// zoneFileReader reads zone files relative to dir, the directory of the
// configuration file, so a configuration and its zones move together.
func zoneFileReader(dir string) zoneReader {
	return func(path string, limit int64) (string, error) {
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		return ReadZoneFile(path, limit)
	}
}

// ReadZoneFile returns the content of the master file at path, refusing
// one of more than limit bytes: by its size first, so such a file is not
// read; a LimitReader still holds if the file grows meanwhile (or is a
// pipe). Load reads zone files with it, outlast import its input.
func ReadZoneFile(path string, limit int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > limit {
		return "", errTooLarge{size: info.Size(), limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(data)) > limit {
		return "", errTooLarge{size: int64(len(data)), limit: limit}
	}
	return string(data), nil
}

type errTooLarge struct{ size, limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("it is %d bytes or more, larger than the %d bytes allowed here (config.MaxZoneFileSize %d, config.MaxZoneTextSize %d for all zone files together)",
		e.size, e.limit, MaxZoneFileSize, MaxZoneTextSize)
}

// readZoneFiles sets FileText of every zone naming a file, reading with
// read; with read nil (Parse), a zone file is a problem.
func readZoneFiles(c *Config, read zoneReader) problemList {
	var problems problemList
	budget := int64(MaxZoneTextSize)
	for i := range c.Zones {
		z := &c.Zones[i]
		if z.File == "" {
			continue
		}
		path := fmt.Sprintf("zones[%d].file", i)
		add := func(format string, args ...any) {
			problems.add(func() Problem { return Problem{Path: path, Message: message(format, args...)} })
		}
		if read == nil {
			add("zone %s names the file %s, but a configuration sent to a node (outlast config validate or apply, the API) "+
				"cannot name files: the node would read its own disk for the caller. Write the zone's records inline under records, "+
				"or load the configuration from its file on the node (outlast serve, SIGHUP)", z.Apex, z.File)
			continue
		}
		text, err := read(z.File, min(MaxZoneFileSize, budget))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			add("zone %s: cannot read its master file %s: it does not exist (the path is relative to the configuration file's directory)", z.Apex, z.File)
		case err != nil:
			add("zone %s: cannot read its master file %s: %v", z.Apex, z.File, err)
		default:
			z.FileText = text
			budget -= int64(len(text))
		}
	}
	return problems
}
