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

	"gopkg.in/yaml.v3"
)

// Position is a place in the configuration file.
type Position struct {
	Line, Column int
}

// decoder fills Go values from a yaml.Node tree by walking both together.
// yaml.v3 can reject unknown fields, but its errors name neither the field
// path nor, for type errors, the field; walking the tree ourselves gives
// every problem a path and a line, and lets us report all of them at once.
type decoder struct {
	problems  []Problem
	positions map[string]Position // field path → where its value starts
}

var (
	durationType        = reflect.TypeOf(time.Duration(0))
	addrType            = reflect.TypeOf(netip.Addr{})
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		Path: path, Pos: Position{n.Line, n.Column}, Message: fmt.Sprintf(format, args...),
	})
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.positions[path] = Position{n.Line, n.Column}
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
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[key.Value]
		if !ok {
			d.fail(key, join(path, key.Value), "unknown field %q (known fields: %s)", key.Value, knownFields(fields))
			continue
		}
		field := v.Field(idx)
		before := len(d.problems)
		d.decode(val, field, join(path, key.Value))
		if len(d.problems) == before && field.IsZero() && val.Tag != "!!null" && nonZero(v.Type().Field(idx)) {
			d.fail(val, join(path, key.Value), "must not be zero; leave the field out to get the default")
		}
	}
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
