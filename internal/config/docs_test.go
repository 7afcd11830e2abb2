package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReferenceListsEveryField keeps docs/configuration.md complete: every
// field a user can write must appear there, in a table row with its default.
func TestReferenceListsEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range fieldPaths(reflect.TypeOf(Config{}), "") {
		if !strings.Contains(string(doc), "| `"+path+"` |") && !coveredByStar(string(doc), path) {
			t.Errorf("docs/configuration.md has no table row for `%s`", path)
		}
	}
}

// fieldPaths lists the leaf field paths of a config type, with [] for lists.
func fieldPaths(t reflect.Type, prefix string) []string {
	var out []string
	for name, i := range yamlFields(t) {
		f := t.Field(i).Type
		path := join(prefix, name)
		if f.Kind() == reflect.Slice && f.Elem().Kind() == reflect.Struct {
			out = append(out, path)
			out = append(out, fieldPaths(f.Elem(), path+"[]")...)
			continue
		}
		if f.Kind() == reflect.Pointer && f.Elem().Kind() == reflect.Struct && !isLeaf(f.Elem()) {
			// An optional section: its own row says what leaving it out does.
			out = append(out, path)
			out = append(out, fieldPaths(f.Elem(), path)...)
			continue
		}
		if f.Kind() == reflect.Struct && f != reflect.TypeOf(time.Duration(0)) && !isLeaf(f) {
			out = append(out, fieldPaths(f, path)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

func isLeaf(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// coveredByStar reports whether a row "parent.*" (the same fields as a
// sibling) covers path.
func coveredByStar(doc, path string) bool {
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		if strings.Contains(doc, "| `"+path[:i]+".*` |") {
			return true
		}
	}
	return false
}
