package ipranges

import (
	"net/netip"
	"slices"
	"strings"
)

// Owner is who a prefix belongs to, as one provider file says.
type Owner struct {
	Provider string // lower-case: "aws", "gcp", "azure", "cloudflare", "fastly", or the user's name
	Region   string // lower-case, in the provider's spelling; empty when the file names none
	Service  string // as published: "EC2", "Google Cloud", "Storage"; empty when the file names none
	Prefix   netip.Prefix
	Source   string // the file it came from, for messages
}

// Table answers which owner's prefix holds an address. It is immutable
// once built.
type Table struct {
	owners    []Owner // one per distinct prefix: the preferred of its claimants
	v4, v6    family
	providers []string
}

// family indexes one address family: every distinct prefix length held,
// longest first, and the owners by masked prefix.
type family struct {
	lengths []int
	index   map[netip.Prefix]int
}

// New builds a table. Where several owners claim the same prefix, one with
// a region beats one without, then a specific service beats a catch-all
// (AWS "AMAZON", Azure "AzureCloud"), then the earlier in owners wins; a
// lookup then takes the longest matching prefix. Owners with an invalid
// prefix are skipped.
func New(owners []Owner) *Table {
	t := &Table{v4: newFamily(), v6: newFamily()}
	for _, o := range owners {
		if !o.Prefix.IsValid() {
			continue
		}
		o.Prefix = o.Prefix.Masked()
		if !slices.Contains(t.providers, o.Provider) {
			t.providers = append(t.providers, o.Provider)
		}
		fam := t.family(o.Prefix.Addr())
		if i, ok := fam.index[o.Prefix]; ok {
			if rank(o) > rank(t.owners[i]) {
				t.owners[i] = o
			}
			continue
		}
		fam.index[o.Prefix] = len(t.owners)
		t.owners = append(t.owners, o)
		if !slices.Contains(fam.lengths, o.Prefix.Bits()) {
			fam.lengths = append(fam.lengths, o.Prefix.Bits())
		}
	}
	slices.Sort(t.providers)
	for _, fam := range []*family{&t.v4, &t.v6} {
		slices.Sort(fam.lengths)
		slices.Reverse(fam.lengths)
	}
	return t
}

func newFamily() family { return family{index: map[netip.Prefix]int{}} }

func (t *Table) family(a netip.Addr) *family {
	if a.Is4() {
		return &t.v4
	}
	return &t.v6
}

// catchAll names the services that cover a whole provider or region and
// so say less than any other service claiming the same prefix.
var catchAll = map[string]bool{"amazon": true, "azurecloud": true}

// rank orders claimants of one prefix: a region first, then a service
// that is not a catch-all.
func rank(o Owner) int {
	r := 0
	if o.Region != "" {
		r += 2
	}
	if o.Service != "" && !catchAll[strings.ToLower(o.Service)] {
		r++
	}
	return r
}

// Lookup returns the owner of the longest prefix holding a. An IPv4
// address written as IPv6 (::ffff:192.0.2.1) is looked up as IPv4, and a
// zone is ignored.
func (t *Table) Lookup(a netip.Addr) (Owner, bool) {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return Owner{}, false
	}
	fam := t.family(a)
	for _, bits := range fam.lengths {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if i, ok := fam.index[p]; ok {
			return t.owners[i], true
		}
	}
	return Owner{}, false
}

// Providers returns the providers whose ranges were loaded, sorted, so a
// caller can tell "not in any file" from "we have no file for that
// provider".
func (t *Table) Providers() []string { return slices.Clone(t.providers) }

// Len returns the number of distinct prefixes held.
func (t *Table) Len() int { return len(t.owners) }

// Publishes reports whether ranges of provider were loaded: an address
// declared to be there but found in no file then says something, while
// one whose provider published nothing here says nothing.
func (t *Table) Publishes(provider string) bool {
	_, found := slices.BinarySearch(t.providers, provider)
	return found
}
