package report

import (
	"math"
	"strconv"
)

// seconds formats a duration figure; a negative value is the result
// model's "did not happen", shown as a dash rather than as a number
// someone could misread as a measurement.
func seconds(v float64) string {
	if v < 0 || math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " s"
}

// percent formats a success rate; negative means "no requests to judge".
func percent(v float64) string {
	if v < 0 || math.IsNaN(v) {
		return "-"
	}
	// 99.95 must not round up to a reassuring "100.0%": truncate instead.
	return strconv.FormatFloat(math.Floor(v*10)/10, 'f', 1, 64) + "%"
}

// percent2 is percent with hundredths, truncated too: 99.995 is 99.99%.
func percent2(v float64) string {
	if v < 0 || math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(math.Floor(v*100+1e-9)/100, 'f', 2, 64) + "%"
}

// latency formats a request's latency, given in seconds, in milliseconds:
// a loopback request's few milliseconds do not show as "0.00 s".
func latency(v float64) string { return strconv.Itoa(int(math.Round(v*1000))) + " ms" }

// verdict is the scenario's outcome as a word, never as a colour alone.
func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}
