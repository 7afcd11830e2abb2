package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"maps"
	"slices"

	"outlast/internal/model"
)

// verdictShards is how many small maps Verdicts spreads its names over. A
// verdict change copies the array of shard pointers (8 bytes a shard) and
// the one shard it writes (about 1/verdictShards of the names), so at
// 10,000 endpoints a change copies 2 KB of shard pointers and a shard of
// some 40 names instead of a map of 10,000 verdicts: 9 KB a command in
// all rather than 2 MB (BenchmarkApply/verdict). A power of two.
const verdictShards = 256

// Verdicts holds the verdicts the leader decided, by endpoint name. It is a
// persistent map: a State derived from another (derive) shares its shards,
// and applying a verdict copies only the array of shard pointers and the
// one shard it writes, leaving every shard an older State holds as it was.
// The zero value is empty and ready to use. In JSON it is the flat object
// {"name": verdict, ...} with names in sorted order, as a Go map is.
//
// A shard holds pointers to verdicts, which are never written through
// (a new verdict replaces the pointer), so copying a shard copies 8 bytes
// a name rather than the verdict: that halved a verdict change's cost.
type Verdicts struct {
	shards *[verdictShards]map[string]*model.Verdict // nil while empty
	n      int
	own    ownership
}

// ownership says what of a Verdicts' storage it may write in place: what
// it allocated or copied itself since it was last shared. Nothing, in the
// zero value and after share, so the first write copies.
type ownership struct {
	array  bool
	shards [verdictShards / 64]uint64 // a bit per shard; set only with array
}

// Get returns the verdict on the endpoint name, if there is one.
func (v Verdicts) Get(name string) (model.Verdict, bool) {
	if v.shards == nil {
		return model.Verdict{}, false
	}
	if p := v.shards[shardOf(name)][name]; p != nil {
		return *p, true
	}
	return model.Verdict{}, false
}

// Len is how many endpoints have a verdict.
func (v Verdicts) Len() int { return v.n }

// All yields every verdict with its endpoint's name, in no particular
// order. It reads the Verdicts as they were when All was called.
func (v Verdicts) All() iter.Seq2[string, model.Verdict] {
	return func(yield func(string, model.Verdict) bool) {
		if v.shards == nil {
			return
		}
		for _, shard := range v.shards {
			for name, verdict := range shard {
				if !yield(name, *verdict) {
					return
				}
			}
		}
	}
}

// MarshalJSON writes the flat object a map[string]model.Verdict gives, keys
// sorted, so snapshots keep the bytes they had before Verdicts was sharded.
func (v Verdicts) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := v.writeJSON(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSON streams what MarshalJSON returns to w: a snapshot's writer
// takes the verdicts, most of a State, without holding them twice.
func (v Verdicts) writeJSON(w io.Writer) error {
	names := make([]string, 0, v.n)
	for name := range v.All() {
		names = append(names, name)
	}
	slices.Sort(names)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			bw.WriteByte(',')
		}
		key, err := json.Marshal(name)
		if err != nil {
			return err
		}
		value, err := json.Marshal(v.shards[shardOf(name)][name])
		if err != nil {
			return err
		}
		bw.Write(key)
		bw.WriteByte(':')
		bw.Write(value)
	}
	bw.WriteByte('}')
	return bw.Flush()
}

// UnmarshalJSON reads the flat object MarshalJSON writes (null is empty). It
// decodes as a Go map does, so what it allocates is bounded by the input's
// size, as before; the snapshot's reader bounds that.
func (v *Verdicts) UnmarshalJSON(data []byte) error {
	var flat map[string]model.Verdict
	if err := json.Unmarshal(data, &flat); err != nil {
		return err
	}
	*v = verdictsOf(flat)
	return nil
}

// verdictsOf spreads a plain map over owned shards.
func verdictsOf(flat map[string]model.Verdict) Verdicts {
	var v Verdicts
	for name, verdict := range flat {
		v.set(name, verdict)
	}
	return v
}

// clone returns a copy that owns all its maps and shares none with v, only
// the verdicts they point to, which nothing writes: what Clone gives those
// who apply commands in place.
func (v Verdicts) clone() Verdicts {
	if v.shards == nil {
		return Verdicts{}
	}
	out := Verdicts{shards: new([verdictShards]map[string]*model.Verdict), n: v.n}
	for i, shard := range v.shards {
		out.shards[i] = maps.Clone(shard)
	}
	out.own.array = true
	for i := range out.own.shards {
		out.own.shards[i] = ^uint64(0)
	}
	return out
}

// share returns v owning nothing, for a derived State: its first write
// copies the array, and each shard it writes, leaving v's as they are.
func (v Verdicts) share() Verdicts {
	v.own = ownership{}
	return v
}

func (v *Verdicts) set(name string, verdict model.Verdict) {
	shard := v.writable(shardOf(name))
	if _, ok := shard[name]; !ok {
		v.n++
	}
	shard[name] = &verdict
}

func (v *Verdicts) delete(name string) {
	if _, ok := v.Get(name); !ok {
		return // nothing to copy for
	}
	delete(v.writable(shardOf(name)), name)
	v.n--
}

// writable returns shard i ready for writing, copying the array of shards
// and then the shard itself unless v already owns them.
func (v *Verdicts) writable(i int) map[string]*model.Verdict {
	if !v.own.array {
		shards := new([verdictShards]map[string]*model.Verdict)
		if v.shards != nil {
			*shards = *v.shards
		}
		v.shards, v.own.array = shards, true
	}
	word, bit := i/64, uint64(1)<<(i%64)
	switch {
	case v.shards[i] == nil: // an empty shard: nothing to copy, nobody to share with
		v.shards[i] = map[string]*model.Verdict{}
	case v.own.shards[word]&bit == 0:
		v.shards[i] = maps.Clone(v.shards[i])
	}
	v.own.shards[word] |= bit
	return v.shards[i]
}

// shardOf is name's shard: FNV-1a, inlined so that hashing allocates
// nothing. Any spread would do; this one is the same on every node.
func shardOf(name string) int {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return int(h & (verdictShards - 1))
}
