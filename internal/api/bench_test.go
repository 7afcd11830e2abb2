package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServices is the heaviest read: every service with its evidence
// merged from the state and the live observations.
func BenchmarkServices(b *testing.B) {
	h := New(sample(b), apiConfig(false), nil)
	req := httptest.NewRequest("GET", "/api/v1/services", nil)
	req.Header.Set("Authorization", "Bearer "+readToken)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkAuth is the cost every request pays to have its token checked.
func BenchmarkAuth(b *testing.B) {
	a := newAuth(apiConfig(false))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := a.lookup(readToken); !ok {
			b.Fatal("token not found")
		}
	}
}
