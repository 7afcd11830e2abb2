package ipranges

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Load reads the files named by specs and builds one table from them, in
// the order given. A spec is "FILE", or "PROVIDER=FILE" to name the
// provider: a plain CIDR list needs that, and for a JSON file it replaces
// the provider the format implies. The text before the first '=' is taken
// as a provider when it is a valid provider name (lower-case letters,
// digits, '-', '_', '.'); otherwise the whole spec is the file. Every
// file's problems are reported, each naming its file.
func Load(specs ...string) (*Table, error) {
	if len(specs) == 0 {
		return nil, errors.New("ipranges: no IP-range files given")
	}
	var owners []Owner
	var errs []error
	for _, spec := range specs {
		provider, path := splitSpec(spec)
		if path == "" {
			errs = append(errs, fmt.Errorf("ipranges: %q names no file; write FILE or PROVIDER=FILE", spec))
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("ipranges: %w", err))
			continue
		}
		got, err := Parse(path, data, provider)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		owners = append(owners, got...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return New(owners), nil
}

// splitSpec splits "PROVIDER=FILE"; a spec whose text before '=' is no
// provider name (a path such as "./a=b.json") is all file.
func splitSpec(spec string) (provider, path string) {
	before, after, ok := strings.Cut(spec, "=")
	if !ok || before == "" || checkProvider(strings.ToLower(before)) != nil {
		return "", spec
	}
	return strings.ToLower(before), after
}
