package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/miekg/dns"

	"outlast/internal/dnssec"
)

const dnssecUsage = `usage:
  outlast dnssec keygen --zone ZONE [--dir DIR] [--algorithm ecdsap256|ed25519] [--zsk]
  outlast dnssec ds KEYFILE...
`

// dnssecCmd: outlast dnssec keygen|ds, a zone's signing keys and the DS
// records its parent publishes; zones[].dnssec names the keys to sign with.
func dnssecCmd(args []string, stdout, stderr io.Writer) int {
	verb, rest := splitFirst(args)
	switch verb {
	case "keygen":
		return keygenCmd(rest, stdout, stderr)
	case "ds":
		return dsCmd(rest, stdout, stderr)
	}
	fmt.Fprint(stderr, dnssecUsage)
	return exitUsage
}

// algorithms are the names --algorithm takes.
var algorithms = map[string]uint8{"ecdsap256": dns.ECDSAP256SHA256, "ed25519": dns.ED25519}

func keygenCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dnssec keygen", stderr)
	zone := fs.String("zone", "", "the zone the key signs, such as example.com (required)")
	dir := fs.String("dir", ".", "directory to write the key files to; copy them to every node")
	algName := fs.String("algorithm", "ecdsap256", "ecdsap256 (algorithm 13) or ed25519 (15)")
	zsk := fs.Bool("zsk", false, "make a zone-signing key to go beside a key-signing key (default: one combined signing key)")
	if code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	alg, known := algorithms[strings.ToLower(*algName)]
	if *zone == "" || !known {
		fmt.Fprintf(stderr, "outlast dnssec keygen: --zone is required and --algorithm must be ecdsap256 or ed25519\n%s", dnssecUsage)
		return exitUsage
	}
	base, err := dnssec.Keygen(*dir, *zone, alg, !*zsk)
	if err != nil {
		fmt.Fprintf(stderr, "outlast: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s.key\n%s.private (keep it secret: mode 0600, the same on every node)\n", base, base)
	if !*zsk {
		fmt.Fprintf(stdout, "\nDS for the parent zone (outlast dnssec ds %s.key):\n", base)
		return printDS(stdout, stderr, []string{base})
	}
	return exitOK
}

func dsCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dnssec ds", stderr)
	if code, ok := parseFlags(fs, args, 64); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, dnssecUsage)
		return exitUsage
	}
	return printDS(stdout, stderr, fs.Args())
}

// printDS prints the SHA-256 DS record of each key file named, which must
// hold a key-signing (or combined) key.
func printDS(stdout, stderr io.Writer, files []string) int {
	for _, f := range files {
		key, err := dnssec.LoadKey(f)
		if err != nil {
			fmt.Fprintf(stderr, "outlast: %v\n", err)
			return exitFailure
		}
		if key.Warning != "" {
			fmt.Fprintf(stderr, "outlast: warning: %s\n", key.Warning)
		}
		if !key.SEP() {
			fmt.Fprintf(stderr, "outlast: %s is a zone-signing key: the parent's DS names the key-signing key\n", f)
			return exitFailure
		}
		ds, err := keyDS(key)
		if err != nil {
			fmt.Fprintf(stderr, "outlast: %s: %v\n", f, err)
			return exitFailure
		}
		for _, rr := range ds {
			fmt.Fprintln(stdout, rr)
		}
	}
	return exitOK
}

// keyDS is the SHA-256 DS of a key-signing key, as the zone's Signer
// would publish it (the zone's name and key TTL).
func keyDS(key *dnssec.Key) ([]dns.RR, error) {
	signer, err := dnssec.NewSigner(key.Zone(), []*dnssec.Key{key}, dnssec.Options{})
	if err != nil {
		return nil, err
	}
	return signer.DS(0)
}
