package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/zone"
)

// importCmd is `outlast import FILE [--apex NAME]`: it reads a BIND-style
// master file (what Route 53, Cloudflare and most providers export) and
// writes to stdout an outlast configuration that serves the same zone.
func importCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("import", stderr)
	apex := fs.String("apex", "", "the zone's `name` (default: the owner of the file's SOA, else its $ORIGIN)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: outlast import FILE [--apex NAME] > outlast.yaml\n")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args) // flags may follow FILE
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprint(stderr, "outlast import: name one zone file: outlast import FILE [--apex NAME] > outlast.yaml\n")
		return exitUsage
	}
	text, err := readZoneFile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "outlast import: %v\n", err)
		return exitFailure
	}
	z, err := importZone(files[0], text, *apex)
	if err != nil {
		fmt.Fprintf(stderr, "outlast import: %v\n", err)
		return exitFailure
	}
	out := z.yaml(files[0])
	if err := checkImported(out); err != nil {
		fmt.Fprintf(stderr, "outlast import: %s holds what outlast cannot serve as it stands; fix the file, or import it and edit the result by hand:\n%v\n", files[0], err)
		return exitFailure
	}
	if _, err := io.WriteString(stdout, out); err != nil {
		fmt.Fprintf(stderr, "outlast import: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// checkImported holds that import writes only a configuration outlast
// accepts: the checks of outlast config check, run on the text written.
func checkImported(text string) error {
	cfg, err := config.Parse("the imported configuration", []byte(text))
	if err == nil {
		err = zone.Check(cfg)
	}
	return err
}

// readZoneFile reads a master file, refusing one larger than a zone
// outlast would serve (config.MaxZoneFileSize) before reading it whole.
func readZoneFile(path string) (string, error) {
	text, err := config.ReadZoneFile(path, config.MaxZoneFileSize)
	var perr *fs.PathError
	if err != nil && !errors.As(err, &perr) { // a PathError names the file already
		err = fmt.Errorf("%s: %w", path, err)
	}
	return text, err
}

// importedZone is a master file sorted into what an outlast zone holds:
// the SOA and NS come from the configuration, every other record is a line
// of zones[].records.
type importedZone struct {
	apex    string   // fully qualified, as the file or --apex wrote it
	soa     *dns.SOA // nil when the file has none: outlast's defaults apply
	ns      []*dns.NS
	glue    map[string][]netip.Addr // lower-case NS name → addresses in the file
	records []dns.RR
}

// importZone parses text (named file in errors) and sorts its records.
func importZone(file, text, apex string) (*importedZone, error) {
	origin := apex
	if origin == "" {
		origin = firstOrigin(text)
	}
	rrs, err := parseMasterFile(file, text, origin)
	if err != nil {
		return nil, err
	}
	soa, err := findSOA(file, rrs, apex)
	if err != nil {
		return nil, err
	}
	z := &importedZone{apex: dns.Fqdn(apex), soa: soa, glue: map[string][]netip.Addr{}}
	switch {
	case apex != "":
	case soa != nil:
		z.apex = soa.Hdr.Name
	case origin != "":
		z.apex = dns.Fqdn(origin)
	default:
		return nil, fmt.Errorf("%s: the file has no SOA record and no $ORIGIN: say which zone it is with --apex NAME", file)
	}
	if z.apex == "." || z.apex == "" {
		return nil, fmt.Errorf("%s: the zone is the root (.); outlast serves zones below it: say which with --apex NAME", file)
	}
	if err := z.sort(file, rrs); err != nil {
		return nil, err
	}
	return z, z.checkGlue(file)
}

// firstOrigin is the name of the file's first $ORIGIN directive, if one
// comes before any record; ZoneParser needs it up front to read the
// relative names that follow.
func firstOrigin(text string) string {
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], ";"):
		case strings.EqualFold(f[0], "$ORIGIN") && len(f) > 1:
			return dns.Fqdn(f[1])
		case strings.HasPrefix(f[0], "$"):
		default:
			return ""
		}
	}
	return ""
}

// parseMasterFile reads every record of text, origin origin ("" for a file
// of fully qualified names), as a zone's file is read (zone.ReadFile).
func parseMasterFile(file, text, origin string) ([]dns.RR, error) {
	rrs, err := zone.ReadFile(file, text, origin)
	var syntax *zone.SyntaxError
	if errors.As(err, &syntax) && origin == "" && !strings.Contains(strings.ToUpper(text), "$ORIGIN") {
		// Without an origin, a relative name is what fails most.
		return nil, fmt.Errorf("%w (a relative name needs a $ORIGIN before it, or --apex)", err)
	}
	return rrs, err
}

// findSOA returns the file's one SOA (nil if none), which must be apex's
// when apex is given.
func findSOA(file string, rrs []dns.RR, apex string) (*dns.SOA, error) {
	var found *dns.SOA
	for _, rr := range rrs {
		soa, ok := rr.(*dns.SOA)
		if !ok {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("%s: two SOA records (%s and %s): a file holds one zone; split it and import each", file, found.Hdr.Name, soa.Hdr.Name)
		}
		found = soa
	}
	if found != nil && apex != "" && !strings.EqualFold(found.Hdr.Name, dns.Fqdn(apex)) {
		return nil, fmt.Errorf("%s: the SOA record is for %s, not for --apex %s", file, found.Hdr.Name, apex)
	}
	return found, nil
}

// sort files each record: the apex NS set becomes the zone's ns, A and
// AAAA records are also remembered as glue, everything but the SOA is a
// record line. A record outside the zone is an error.
func (z *importedZone) sort(file string, rrs []dns.RR) error {
	for _, rr := range rrs {
		h := rr.Header()
		if !dns.IsSubDomain(strings.ToLower(z.apex), strings.ToLower(h.Name)) {
			return fmt.Errorf("%s: %s is outside zone %s: a file holds one zone (is its $ORIGIN or --apex right?)", file, strings.TrimSpace(rr.String()), z.apex)
		}
		if h.Class != dns.ClassINET {
			return fmt.Errorf("%s: %s has class %s; outlast serves class IN only", file, h.Name, dns.Class(h.Class))
		}
		apex := strings.EqualFold(h.Name, z.apex)
		switch rr := rr.(type) {
		case *dns.SOA:
			continue
		case *dns.NS:
			if apex {
				z.ns = append(z.ns, rr)
				continue
			}
		case *dns.A:
			z.addGlue(h.Name, rr.A)
		case *dns.AAAA:
			z.addGlue(h.Name, rr.AAAA)
		}
		z.records = append(z.records, rr)
	}
	return nil
}

func (z *importedZone) addGlue(name string, ip []byte) {
	if a, ok := netip.AddrFromSlice(ip); ok {
		name = strings.ToLower(name)
		z.glue[name] = append(z.glue[name], a.Unmap())
	}
}

// checkGlue holds what outlast's configuration will: a zone has
// nameservers, and one inside the zone has addresses in the file.
func (z *importedZone) checkGlue(file string) error {
	if len(z.ns) == 0 {
		return fmt.Errorf("%s: no NS records at the apex %s: a zone needs its nameservers (add them to the file, or to the configuration by hand)", file, z.apex)
	}
	for _, ns := range z.ns {
		if ns.Ns == "" || ns.Ns == "." {
			return fmt.Errorf("%s: an NS record at the apex names no nameserver", file)
		}
		name := strings.ToLower(ns.Ns)
		if dns.IsSubDomain(strings.ToLower(z.apex), name) && len(z.glue[name]) == 0 {
			return fmt.Errorf("%s: nameserver %s is inside the zone but the file has no A or AAAA record for it (glue)", file, ns.Ns)
		}
	}
	return nil
}

// yaml writes the configuration, with comments saying what to edit.
func (z *importedZone) yaml(file string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# outlast configuration made by: outlast import %s
# It serves zone %s as the file does. Edit node and dns for this host, then
# check it (outlast config check FILE) and run it (outlast serve --config FILE).
node:
  # name: ns1               # this node's name in metrics and evidence (default: the host name)
  location: local/local     # edit: where this node runs, "provider/region" (outlast audit reads it)
dns:
  listen: 127.0.0.1:53      # edit: the address resolvers reach, such as 0.0.0.0:53 or this host's public address
zones:
  - apex: %s
`, file, z.apex, yamlString(strings.TrimSuffix(z.apex, ".")))
	z.writeSOA(&b)
	z.writeNS(&b)
	b.WriteString("    records:\n")
	for _, rr := range z.records {
		fmt.Fprintf(&b, "      - %s\n", yamlString(z.line(rr)))
	}
	return b.String()
}

func (z *importedZone) writeSOA(b *strings.Builder) {
	if z.soa == nil {
		b.WriteString("    # the file has no SOA record: outlast's defaults apply (docs/configuration.md)\n")
		return
	}
	s := z.soa
	fmt.Fprintf(b, "    soa:\n      mname: %s\n      rname: %s\n%s", yamlString(s.Ns), yamlString(s.Mbox), serialLine(s.Serial))
	for _, f := range []struct {
		name  string
		value uint32
	}{{"refresh", s.Refresh}, {"retry", s.Retry}, {"expire", s.Expire}, {"minimum", s.Minttl}, {"ttl", s.Hdr.Ttl}} {
		if f.value == 0 { // outlast refuses a zero timer: its default applies
			fmt.Fprintf(b, "      # %s: the file's was 0; outlast's default applies (docs/configuration.md)\n", f.name)
			continue
		}
		fmt.Fprintf(b, "      %s: %s\n", f.name, seconds(f.value))
	}
}

func (z *importedZone) writeNS(b *strings.Builder) {
	b.WriteString("    ns:\n")
	for _, ns := range z.ns {
		fmt.Fprintf(b, "      - name: %s\n", yamlString(ns.Ns))
		if z.soa != nil && ns.Hdr.Ttl != z.soa.Hdr.Ttl {
			fmt.Fprintf(b, "        # the file gave this NS a TTL of %ds; outlast serves the apex NS with soa.ttl\n", ns.Hdr.Ttl)
		}
		addrs := z.glue[strings.ToLower(ns.Ns)]
		if len(addrs) == 0 || !dns.IsSubDomain(strings.ToLower(z.apex), strings.ToLower(ns.Ns)) {
			continue
		}
		text := make([]string, len(addrs))
		for i, a := range addrs {
			text[i] = a.String()
		}
		fmt.Fprintf(b, "        addresses: [%s]\n", strings.Join(slices.Compact(text), ", "))
	}
}

// serialLine keeps the file's serial, so secondaries and caches that know
// it see the served one grow (outlast adds the configuration's version).
func serialLine(serial uint32) string {
	if serial == 0 {
		return "      # serial: the file's was 0; outlast's default is 1, plus the configuration's version\n"
	}
	return fmt.Sprintf("      serial: %d   # the file's; outlast serves it plus the configuration's version, so it only grows\n", serial)
}

// line is rr as one master-file line with its owner relative to the apex
// ("@" for the apex itself); the data keeps fully qualified names.
// miekg/dns separates the fields with tabs and escapes any tab inside
// them, so the tabs can become spaces.
func (z *importedZone) line(rr dns.RR) string {
	owner, rest, _ := strings.Cut(rr.String(), "\t")
	apex := strings.ToLower(z.apex)
	switch lower := strings.ToLower(owner); {
	case lower == apex:
		owner = "@"
	case strings.HasSuffix(lower, "."+apex):
		owner = owner[:len(owner)-len(apex)-1]
	}
	return owner + " " + strings.ReplaceAll(rest, "\t", " ")
}

// seconds writes a count of seconds as the duration outlast's
// configuration reads ("2h", "15m", "90s").
func seconds(s uint32) string {
	d := time.Duration(s) * time.Second
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(s), 10) + "s"
}

// yamlString quotes s as a YAML double-quoted scalar: Go's escapes for
// quotes, backslashes and control characters are YAML's too.
func yamlString(s string) string { return strconv.Quote(s) }
