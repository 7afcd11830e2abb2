package conncap

import "testing"

func TestDefaultTotal(t *testing.T) {
	for _, tc := range []struct {
		fileLimit uint64
		want      int
	}{{0, 1024}, {1 << 20, 1024}, {4096, 1024}, {2000, 500}, {1024, 256}, {32, 16}} {
		if got := defaultTotal(tc.fileLimit); got != tc.want {
			t.Errorf("open-file limit %d: total %d, want %d", tc.fileLimit, got, tc.want)
		}
	}
	if c := (Caps{PerClient: 100, Total: 10}).WithDefaults(); c.PerClient != 10 {
		t.Errorf("PerClient %d above Total 10", c.PerClient)
	}
}
