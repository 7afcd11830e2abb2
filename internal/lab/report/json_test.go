package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"outlast/internal/lab"
)

func TestJSONRoundTrips(t *testing.T) {
	in := sampleReport()
	var b bytes.Buffer
	if err := JSON(&b, in); err != nil {
		t.Fatal(err)
	}
	var out lab.Report
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b.String())
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the report:\nin  %+v\nout %+v", in, out)
	}
	if !bytes.Contains(b.Bytes(), []byte("\n  \"scenarios\": [")) {
		t.Errorf("output is not indented:\n%.300s", b.String())
	}
}

func TestJSONHasTheIssueKeys(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Started   string           `json:"started"`
		Scenarios []map[string]any `json:"scenarios"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Started == "" || len(doc.Scenarios) != 3 {
		t.Fatalf("started %q, %d scenarios; want a start time and 3", doc.Started, len(doc.Scenarios))
	}
	keys := []string{"name", "detection_s", "steering_s", "client_recovery_s", "client_errors",
		"client_success_pct_after", "false_failovers", "flaps", "return_s", "pass"}
	for _, s := range doc.Scenarios {
		for _, k := range keys {
			if _, ok := s[k]; !ok {
				t.Errorf("scenario %v lacks key %q", s["name"], k)
			}
		}
	}
	if got := doc.Scenarios[0]["return_s"]; got != -1.0 {
		t.Errorf("region-outage return_s = %v, want -1", got)
	}
}
