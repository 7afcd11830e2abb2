package ipranges

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Parse reads one provider file held in data; source names it in errors
// and in every Owner. A JSON file's format is told by its top-level keys.
// provider, when not empty, names the provider (lower-cased) and overrides
// the one the format implies; a plain CIDR list (one prefix or address a
// line, '#' comments) has no format to tell, so it needs one.
func Parse(source string, data []byte, provider string) ([]Owner, error) {
	owners, err := parse(data, strings.ToLower(strings.TrimSpace(provider)))
	if err != nil {
		return nil, fmt.Errorf("ipranges: %s: %w", source, err)
	}
	for i := range owners {
		owners[i].Source = source
	}
	return owners, nil
}

func parse(data []byte, provider string) ([]Owner, error) {
	if provider != "" {
		if err := checkProvider(provider); err != nil {
			return nil, err
		}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // some Windows tools write a BOM
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return nil, errors.New("the file is empty (an interrupted download?)")
	}
	var owners []Owner
	var err error
	switch {
	case text[0] == '{':
		owners, err = parseJSON(data)
	case provider == "":
		return nil, errors.New("a plain list of prefixes names no provider: write PROVIDER=FILE, for example cloudflare=ips-v4.txt")
	default:
		owners, err = parsePlain(data)
	}
	if err != nil {
		return nil, err
	}
	if len(owners) == 0 {
		return nil, errors.New("the file holds no prefixes")
	}
	if provider != "" {
		for i := range owners {
			owners[i].Provider = provider
		}
	}
	return owners, nil
}

// checkProvider keeps provider names usable as the first half of a
// "provider/region" location.
func checkProvider(p string) error {
	for i, c := range p {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && strings.ContainsRune("-_.", c)
		if !ok {
			return fmt.Errorf("provider name %q: use lower-case letters, digits, '-', '_' and '.', starting with a letter or digit", p)
		}
	}
	return nil
}

// parsePlain reads one prefix or bare address a line; '#' starts a
// comment, blank lines are skipped.
func parsePlain(data []byte) ([]Owner, error) {
	var owners []Owner
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if a, err := netip.ParseAddr(text); err == nil && a.Zone() == "" {
			text = netip.PrefixFrom(a, a.BitLen()).String() // a bare address is a prefix of one
		}
		p, err := parseCIDR(text, 0)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		owners = append(owners, Owner{Prefix: p})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return owners, nil
}

// parseCIDR parses one prefix, of the given IP version (4 or 6) unless
// version is 0, and clears any host bits. An IPv4 prefix written as IPv6
// (::ffff:0:0/96 and within) is refused: lookups unmap such addresses, so
// it would never match.
func parseCIDR(s string, version int) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix: %w", s, err)
	}
	switch {
	case p.Addr().Is4In6():
		return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped IPv6 prefix; write it as IPv4", s)
	case version == 4 && !p.Addr().Is4(), version == 6 && !p.Addr().Is6():
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv%d prefix", s, version)
	}
	return p.Masked(), nil
}

// cidrs parses a list of prefixes of one IP version into owners like o;
// field names the list in errors.
func cidrs(field string, list []string, version int, o Owner) ([]Owner, error) {
	owners := make([]Owner, 0, len(list))
	for i, s := range list {
		p, err := parseCIDR(s, version)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		o.Prefix = p
		owners = append(owners, o)
	}
	return owners, nil
}

// format is one JSON document shape, recognised by its top-level keys.
type format struct {
	name   string
	keys   []string
	decode func([]byte) ([]Owner, error)
}

var formats = []format{
	{"AWS ip-ranges.json", []string{"syncToken", "createDate", "prefixes"}, decodeAWS},
	{"Google cloud.json or goog.json", []string{"syncToken", "creationTime", "prefixes"}, decodeGoogle},
	{"Azure service tags", []string{"changeNumber", "cloud", "values"}, decodeAzure},
	{"Cloudflare API /ips", []string{"result", "success"}, decodeCloudflare},
	{"Fastly public-ip-list", []string{"addresses"}, decodeFastly},
}

func parseJSON(data []byte) ([]Owner, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(data, err)
	}
	for _, f := range formats {
		if hasAll(top, f.keys) {
			owners, err := f.decode(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, jsonError(data, err))
			}
			return owners, nil
		}
	}
	return nil, unknownShape(top)
}

func hasAll(top map[string]json.RawMessage, keys []string) bool {
	for _, k := range keys {
		if _, ok := top[k]; !ok {
			return false
		}
	}
	return true
}

func unknownShape(top map[string]json.RawMessage) error {
	var seen, want []string
	for k := range top {
		seen = append(seen, k)
	}
	slices.Sort(seen)
	for _, f := range formats {
		want = append(want, fmt.Sprintf("%s (%s)", f.name, strings.Join(f.keys, ", ")))
	}
	return fmt.Errorf("unknown JSON shape (top-level keys: %s); expected one of: %s; for a plain CIDR list write PROVIDER=FILE",
		strings.Join(seen, ", "), strings.Join(want, "; "))
}

// jsonError adds the line to a JSON syntax or type error, so a person can
// find the spot in a file of 100,000 lines.
func jsonError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("line %d: not valid JSON: %w", lineAt(data, syntax.Offset), err)
	case errors.As(err, &typ):
		return fmt.Errorf("line %d: %w", lineAt(data, typ.Offset), err)
	}
	return err
}

func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}
