package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

var httpClient = &http.Client{Timeout: 10 * time.Second}

func getBody(url string) ([]byte, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, data)
	}
	return data, nil
}

// healthz is the part of a node's /healthz this bench reads.
type healthz struct {
	Status  string `json:"status"`
	Cluster struct {
		State        string   `json:"state"`
		Leader       string   `json:"leader"`
		AppliedIndex uint64   `json:"applied_index"`
		Members      []string `json:"members"`
	} `json:"cluster"`
	Endpoints []struct {
		Name   string `json:"name"`
		Health string `json:"health"`
	} `json:"endpoints"`
}

func getHealthz(n *node) (*healthz, error) {
	data, err := getBody(n.httpURL() + "/healthz")
	if err != nil {
		return nil, err
	}
	var h healthz
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s /healthz: %w", n.name, err)
	}
	return &h, nil
}

// healthCounts counts the endpoints a node reports per effective health.
func (h *healthz) healthCounts() map[string]int {
	out := map[string]int{}
	for _, e := range h.Endpoints {
		out[e.Health]++
	}
	return out
}

// snapshot is one scrape of a node's /metrics.
type snapshot struct {
	at         time.Time
	sent, recv float64 // outlast_cluster_{sent,received}_bytes_total
	applied    float64
	leader     bool
	elections  float64 // outlast_cluster_leader_changes_total
	cpu        float64 // process_cpu_seconds_total
	rss        float64
	goroutines float64
	probes     float64 // outlast_probe_results_total, every result
	probesOK   float64
	lateness   map[float64]float64 // le -> cumulative count
}

func scrape(n *node) (snapshot, error) {
	data, err := getBody(n.httpURL() + "/metrics")
	if err != nil {
		return snapshot{}, err
	}
	s := snapshot{at: time.Now(), lateness: map[float64]float64{}}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := parseSample(line)
		if !ok {
			continue
		}
		switch name {
		case "outlast_cluster_sent_bytes_total":
			s.sent += value
		case "outlast_cluster_received_bytes_total":
			s.recv += value
		case "outlast_cluster_applied_index":
			s.applied = value
		case "outlast_cluster_leader_changes_total":
			s.elections = value
		case "outlast_cluster_is_leader":
			s.leader = value == 1
		case "process_cpu_seconds_total":
			s.cpu = value
		case "process_resident_memory_bytes":
			s.rss = value
		case "go_goroutines":
			s.goroutines = value
		case "outlast_probe_results_total":
			s.probes += value
			if strings.Contains(labels, `result="ok"`) {
				s.probesOK += value
			}
		case "outlast_probe_start_lateness_seconds_bucket":
			if le, ok := labelValue(labels, "le"); ok {
				if f, err := strconv.ParseFloat(le, 64); err == nil {
					s.lateness[f] += value
				}
			}
		}
	}
	return s, nil
}

// parseSample splits `name{labels} value` (the text format, no timestamps).
func parseSample(line string) (name, labels string, value float64, ok bool) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return "", "", 0, false
	}
	head := line[:sp]
	if i := strings.IndexByte(head, '{'); i >= 0 {
		return head[:i], head[i:], v, true
	}
	return head, "", v, true
}

func labelValue(labels, key string) (string, bool) {
	i := strings.Index(labels, key+`="`)
	if i < 0 {
		return "", false
	}
	rest := labels[i+len(key)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

// latenessQuantile is the upper bound of the histogram bucket holding
// quantile q of the probes that started between a and b.
func latenessQuantile(a, b snapshot, q float64) float64 {
	les := make([]float64, 0, len(b.lateness))
	for le := range b.lateness {
		les = append(les, le)
	}
	sort.Float64s(les)
	if len(les) == 0 {
		return math.NaN()
	}
	total := b.lateness[les[len(les)-1]] - a.lateness[les[len(les)-1]]
	if total <= 0 {
		return math.NaN()
	}
	for _, le := range les {
		if b.lateness[le]-a.lateness[le] >= q*total {
			return le
		}
	}
	return math.Inf(1)
}

// event is one entry of the replicated event history (GET /api/v1/events).
type event struct {
	Seq      uint64    `json:"seq"`
	Index    uint64    `json:"index"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Endpoint string    `json:"endpoint"`
	Who      string    `json:"who"`
	Detail   string    `json:"detail"`
}

// eventsBetween pages through n's event history and returns the events
// recorded at Raft indexes in (from, to].
func eventsBetween(n *node, from, to uint64) ([]event, error) {
	var out []event
	since := int64(-1)
	for range 1000 {
		data, err := getBody(fmt.Sprintf("%s/api/v1/events?since=%d&limit=1000", n.httpURL(), since))
		if err != nil {
			return out, err
		}
		var page struct {
			Events []event `json:"events"`
			Next   int64   `json:"next"`
			More   bool    `json:"more"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return out, fmt.Errorf("%s events: %w", n.name, err)
		}
		for _, e := range page.Events {
			if e.Index > from && e.Index <= to {
				out = append(out, e)
			}
		}
		if !page.More {
			break
		}
		since = page.Next
	}
	return out, nil
}

// targetStats asks the targets process how many requests it served and how
// many listeners it has.
func targetStats(control string) (served, listening int64, err error) {
	data, err := getBody("http://" + control + "/stats")
	if err != nil {
		return 0, 0, err
	}
	_, err = fmt.Sscan(string(data), &served, &listening)
	return served, listening, err
}
