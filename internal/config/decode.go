package config

import (
	"encoding"
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Position is a place in the configuration file.
type Position struct {
	Line, Column int
}

// positionOf finds where path, or failing that its nearest parent present
// in the file, was written: a missing field is reported where it belongs.
// It walks the tree again rather than remembering a position for every
// value decoded, since only the few paths with problems ever need one.
func positionOf(root *yaml.Node, path string) Position {
	n := resolve(root)
	pos := Position{n.Line, n.Column}
	for path != "" {
		var seg string
		seg, path = nextSegment(path)
		if n = child(n, seg); n == nil {
			break
		}
		pos = Position{n.Line, n.Column}
	}
	return pos
}

// nextSegment splits "services[0].check" into "services" and "[0].check",
// and "[0].check" into "[0]" and ".check"; a leading dot is dropped.
func nextSegment(path string) (string, string) {
	path = strings.TrimPrefix(path, ".")
	if strings.HasPrefix(path, "[") {
		end := strings.IndexByte(path, ']')
		if end < 0 {
			return path, ""
		}
		return path[:end+1], path[end+1:]
	}
	end := strings.IndexAny(path, ".[")
	if end < 0 {
		return path, ""
	}
	return path[:end], path[end:]
}

// child is the value at one path segment ("name" or "[3]") below n, or nil.
// A duplicated key resolves to its first value, the one the decoder kept.
func child(n *yaml.Node, seg string) *yaml.Node {
	if i, ok := strings.CutPrefix(seg, "["); ok {
		idx, err := strconv.Atoi(strings.TrimSuffix(i, "]"))
		if n.Kind != yaml.SequenceNode || err != nil || idx < 0 || idx >= len(n.Content) {
			return nil
		}
		return resolve(n.Content[idx])
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return resolve(n.Content[0])
	}
	return n
}

// decoder fills Go values from a yaml.Node tree by walking both together.
// yaml.v3 can reject unknown fields, but its errors name neither the field
// path nor, for type errors, the field; walking the tree ourselves gives
// every problem a path and a line, and lets us report all of them at once.
//
// The tree must have passed measure first: the decoder follows aliases,
// and only measure bounds how much they expand to.
type decoder struct {
	problems problemList
	failed   map[string]bool // paths of values that did not decode
}

var (
	durationType        = reflect.TypeOf(time.Duration(0))
	addrType            = reflect.TypeOf(netip.Addr{})
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// fail records that the value at path could not be decoded, so the field
// was left empty; validation problems under it are then not reported.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	// Kept for every failure, listed or not, so that no problem under it is
	// reported; measure bounds how many there can be.
	d.failed[path] = true
	d.problems.add(func() Problem {
		return Problem{Path: path, Pos: Position{n.Line, n.Column}, Message: message(format, args...)}
	})
}

// failedUnder reports whether path or one of its parents failed to decode.
func (d *decoder) failedUnder(path string) bool {
	for {
		if d.failed[path] {
			return true
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			return false
		}
		path = path[:cut]
	}
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the field at its default
	}
	switch {
	case v.Type() == durationType:
		d.decodeDuration(n, v, path)
	case reflect.PointerTo(v.Type()).Implements(textUnmarshalerType):
		d.decodeText(n, v, path)
	case v.Kind() == reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping of fields, found %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	given := make([]*yaml.Node, v.NumField()) // the key that set each field
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[key.Value]
		if !ok {
			d.fail(key, join(path, clip(key.Value)), "unknown field %q (known fields: %s)", key.Value, knownFields(fields))
			continue
		}
		if first := given[idx]; first != nil {
			d.duplicate(key, first, join(path, key.Value))
			continue
		}
		given[idx] = key
		field := v.Field(idx)
		before := d.problems.count()
		d.decode(val, field, join(path, key.Value))
		if d.problems.count() == before && field.IsZero() && val.Tag != "!!null" && nonZero(v.Type().Field(idx)) {
			d.fail(val, join(path, key.Value), "must not be zero; leave the field out to get the default")
		}
	}
}

// duplicate reports a key given twice in one mapping. yaml.v3 checks this
// only when it decodes into Go values itself, not into a yaml.Node; without
// the check the second value silently replaced the first. The field keeps
// its first value and is still validated, so this is not a failure.
func (d *decoder) duplicate(key, first *yaml.Node, path string) {
	d.problems.add(func() Problem {
		return Problem{Path: path, Pos: Position{key.Line, key.Column},
			Message: fmt.Sprintf("duplicate key; first given at line %d", first.Line)}
	})
}

// nonZero reports whether a field is tagged `yaml:"name,nonzero"`: zero
// there means "use the default", so writing an explicit zero is a mistake
// we report rather than silently replace.
func nonZero(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return strings.Contains(opts, "nonzero")
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, found %s", describe(n))
		return
	}
	// measure has already counted every item of every expansion of this
	// list against MaxExpandedNodes, so the sum of these slices is bounded.
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, out.Index(i), path+"["+strconv.Itoa(i)+"]")
	}
	v.Set(out)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected a single value, found %s", describe(n))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.fail(n, path, "%q is not a valid %s", n.Value, kindName(v.Type()))
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	dur, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		d.fail(n, path, "%q is not a duration; write it with a unit, such as 500ms, 5s or 1m", n.Value)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) decodeText(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected a single value, found %s", describe(n))
		return
	}
	err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value))
	switch {
	case err == nil:
	case v.Type() == addrType:
		d.fail(n, path, "%q is not an IP address", n.Value)
	default:
		d.fail(n, path, "%v", err)
	}
}

// yamlFields maps each yaml tag name of a struct type to its field index.
func yamlFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	return fields
}

func knownFields(fields map[string]int) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.Uint32, reflect.Uint64, reflect.Uint:
		return "non-negative whole number"
	default:
		return "string"
	}
}
