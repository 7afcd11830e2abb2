package state

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/model"
)

// plain is what v holds, as a plain map (never nil), for comparing and printing.
func plain(v Verdicts) map[string]model.Verdict {
	out := map[string]model.Verdict{}
	for name, verdict := range v.All() {
		if _, dup := out[name]; dup {
			panic("Verdicts.All yielded " + name + " twice")
		}
		out[name] = verdict
	}
	return out
}

// TestPropertyVerdictsMatchPlainMap: under any sequence of sets, deletes and
// derivations (share, as derive does for each command) and clones, Verdicts
// reads like a plain map given the same sets and deletes, in Get, Len, All
// and JSON (byte for byte what encoding/json writes for the map, so
// snapshots keep their format). Every version held along the way still
// reads as it did when it was left, as a published State must. The names
// are many more than the shards, so shards hold several names, and some
// need escaping in JSON.
func TestPropertyVerdictsMatchPlainMap(t *testing.T) {
	names := []string{"<a&b>", "ü-é", `quote"d`, ""}
	for i := range 600 {
		names = append(names, fmt.Sprintf("ep%03d", i))
	}
	rapid.Check(t, func(t *rapid.T) {
		var v Verdicts
		ref := map[string]model.Verdict{}
		type held struct {
			v    Verdicts
			want map[string]model.Verdict
		}
		var kept []held
		for i := range rapid.IntRange(1, 200).Draw(t, "steps") {
			name := rapid.SampledFrom(names).Draw(t, "name")
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0, 1: // a command: the State it made is published and the next derived from it
				kept = append(kept, held{v, maps.Clone(ref)})
				v = v.share()
			case 2: // someone applying in place to a copy of their own
				kept = append(kept, held{v, maps.Clone(ref)})
				v = v.clone()
			case 3, 4:
				v.delete(name)
				delete(ref, name)
			default:
				verdict := verdictNamed(name, i)
				v.set(name, verdict)
				ref[name] = verdict
			}
			checkVerdicts(t, fmt.Sprintf("after step %d", i), v, ref)
			got, ok := v.Get(name)
			if want, wantOK := ref[name]; ok != wantOK || !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d: Get(%q) = %v, %t; want %v, %t", i, name, got, ok, want, wantOK)
			}
		}
		for i, h := range kept {
			checkVerdicts(t, fmt.Sprintf("version %d, held while later ones changed", i), h.v, h.want)
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back Verdicts
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		checkVerdicts(t, "after a JSON round trip", back, ref)
	})
}

func verdictNamed(name string, i int) model.Verdict {
	return model.Verdict{Endpoint: name, Health: model.Health(i % 3), Since: t0.Add(time.Duration(i) * time.Second), Voters: i}
}

func checkVerdicts(t *rapid.T, when string, v Verdicts, want map[string]model.Verdict) {
	t.Helper()
	if got := plain(v); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: holds %v, want %v", when, got, want)
	}
	if v.Len() != len(want) {
		t.Fatalf("%s: Len() = %d, want %d", when, v.Len(), len(want))
	}
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if exp, _ := json.Marshal(want); string(got) != string(exp) {
		t.Fatalf("%s: JSON %s, want what the plain map gives: %s", when, got, exp)
	}
}

// TestVerdictChangeCopiesOneShard: a verdict applied to a derived State
// leaves every shard but its own shared with the State derived from, which
// is what makes a verdict change cheap at 10,000 endpoints. Copying the
// whole map again would pass every other test; this one would fail.
func TestVerdictChangeCopiesOneShard(t *testing.T) {
	var before Verdicts
	for i := range 10000 {
		before.set(fmt.Sprintf("ep%05d", i), verdictNamed(fmt.Sprintf("ep%05d", i), i))
	}
	after := before.share()
	after.set("ep00042", verdictNamed("ep00042", 1))
	after.set("ep00042", verdictNamed("ep00042", 2)) // the second write to the shard copies nothing
	copied := 0
	for i := range before.shards {
		if reflect.ValueOf(before.shards[i]).Pointer() != reflect.ValueOf(after.shards[i]).Pointer() {
			copied++
		}
	}
	if copied != 1 {
		t.Errorf("one verdict change copied %d shards, want 1", copied)
	}
	if got, _ := before.Get("ep00042"); got.Voters != 42 {
		t.Errorf("the State derived from sees the change: %+v", got)
	}
}

// TestZeroVerdictsIsEmpty: a State built as a literal, or restored from a
// snapshot whose verdicts are null, has empty verdicts it can read and write.
func TestZeroVerdictsIsEmpty(t *testing.T) {
	var v Verdicts
	if _, ok := v.Get("a"); ok || v.Len() != 0 || len(plain(v)) != 0 {
		t.Fatalf("the zero Verdicts is not empty: %v", plain(v))
	}
	if data, err := json.Marshal(v); err != nil || string(data) != "{}" {
		t.Fatalf("the zero Verdicts marshals as %s, %v; want {}", data, err)
	}
	if err := json.Unmarshal([]byte("null"), &v); err != nil || v.Len() != 0 {
		t.Fatalf("null unmarshals to %v, %v; want empty", plain(v), err)
	}
	v.set("a", verdictNamed("a", 1))
	if got, ok := v.Get("a"); !ok || got.Voters != 1 || v.Len() != 1 {
		t.Fatalf("after a set on the zero Verdicts: %v", plain(v))
	}
	if err := json.Unmarshal([]byte(`["a"]`), &v); err == nil {
		t.Fatal("an array was accepted as verdicts")
	}
}
