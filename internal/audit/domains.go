package audit

import (
	"cmp"
	"maps"
	"slices"

	"outlast/internal/model"
)

// failure is one failure domain, or a pair of them, that disappears.
type failure struct {
	name  string
	kind  DomainKind
	scope Scope
	// providers and regions lost: a location is lost when its provider
	// or its exact region is listed.
	providers []string
	regions   []model.Location
	// parts are the single failures a pair is made of.
	parts []*failure
}

// hits reports whether loc is lost. An unknown location never is: the
// audit flags it rather than guess.
func (f *failure) hits(loc model.Location) bool {
	if loc == (model.Location{}) {
		return false
	}
	return slices.Contains(f.providers, loc.Provider) || slices.Contains(f.regions, loc)
}

// failures lists every single failure domain among the locations, then
// every pair of them. A provider's region is listed on its own only when
// the provider has more than one region here: otherwise losing the region
// and losing the provider are the same event.
func failures(locs []model.Location) []*failure {
	regions := map[string][]model.Location{}
	for _, l := range locs {
		if l != (model.Location{}) && !slices.Contains(regions[l.Provider], l) {
			regions[l.Provider] = append(regions[l.Provider], l)
		}
	}
	var singles []*failure
	for _, p := range slices.Sorted(maps.Keys(regions)) {
		singles = append(singles, &failure{name: p, kind: KindProvider, scope: ScopeSingle, providers: []string{p}})
	}
	for _, p := range slices.Sorted(maps.Keys(regions)) {
		if len(regions[p]) < 2 {
			continue
		}
		rs := slices.SortedFunc(slices.Values(regions[p]), func(a, b model.Location) int { return cmp.Compare(a.String(), b.String()) })
		for _, r := range rs {
			singles = append(singles, &failure{name: r.String(), kind: KindRegion, scope: ScopeSingle, regions: []model.Location{r}})
		}
	}
	return append(singles, pairs(singles, regions)...)
}

// pairs lists the failures of two singles at once, leaving out a region
// with its own provider (that is just the provider) and the pair of a
// provider's only two regions (that too is the provider).
func pairs(singles []*failure, regions map[string][]model.Location) []*failure {
	var out []*failure
	for i, a := range singles {
		for _, b := range singles[i+1:] {
			if a.contains(b) || b.contains(a) || a.coverWhole(b, regions) {
				continue
			}
			first, second := a.name, b.name
			if second < first {
				first, second = second, first
			}
			out = append(out, &failure{
				name: first + " + " + second, kind: KindPair, scope: ScopePair,
				providers: append(slices.Clone(a.providers), b.providers...),
				regions:   append(slices.Clone(a.regions), b.regions...),
				parts:     []*failure{a, b},
			})
		}
	}
	return out
}

// contains reports whether every location b loses, a loses too.
func (a *failure) contains(b *failure) bool {
	for _, r := range b.regions {
		if !a.hits(r) {
			return false
		}
	}
	for _, p := range b.providers {
		if !slices.Contains(a.providers, p) {
			return false
		}
	}
	return true
}

// coverWhole reports whether two regions are together all of their
// provider's regions here, so the pair is the provider's failure again.
func (a *failure) coverWhole(b *failure, regions map[string][]model.Location) bool {
	if a.kind != KindRegion || b.kind != KindRegion || a.regions[0].Provider != b.regions[0].Provider {
		return false
	}
	return len(regions[a.regions[0].Provider]) == 2
}
