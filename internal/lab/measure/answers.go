package measure

import "slices"

// asker is who a sample's answer was for: a nameserver, asked for one
// client area's answer when the sample has one. Steering and return wait
// for each nameserver and area alike.
func (a AnswerSample) asker() [2]string { return [2]string{a.Nameserver, a.Area} }

// steering is the time, from the fault, by which every nameserver still
// sampled after the last affected answer in [faultAt, windowEnd) has been
// seen answering without affected addresses. answers are sorted by time.
func steering(answers []AnswerSample, addrs []string, faultAt, windowEnd float64) float64 {
	if len(addrs) == 0 {
		return -1
	}
	var window []AnswerSample
	for _, a := range answers {
		if a.At >= faultAt && a.At < windowEnd {
			window = append(window, a)
		}
	}
	// after indexes the first sample past the last affected one.
	after := 0
	for i, a := range window {
		if containsAny(a.Addrs, addrs) {
			after = i + 1
		}
	}
	clean := window[after:]
	if len(clean) == 0 {
		return -1
	}
	firstClean := map[[2]string]float64{}
	latest := clean[0].At
	for _, a := range clean {
		if _, seen := firstClean[a.asker()]; !seen {
			firstClean[a.asker()] = a.At
			latest = max(latest, a.At)
		}
	}
	return latest - faultAt
}

// returnTime is the time, from the heal, by which every nameserver sampled
// after the heal has given an affected address again; -1 without a heal or
// if one never does. answers are sorted by time.
func returnTime(answers []AnswerSample, addrs []string, healAt float64) float64 {
	if healAt < 0 || len(addrs) == 0 {
		return -1
	}
	back := map[[2]string]bool{}
	latest := -1.0
	for _, a := range answers {
		if a.At < healAt {
			continue
		}
		if _, seen := back[a.asker()]; !seen {
			back[a.asker()] = false
		}
		if !back[a.asker()] && containsAny(a.Addrs, addrs) {
			back[a.asker()] = true
			latest = max(latest, a.At)
		}
	}
	for _, ok := range back {
		if !ok {
			return -1
		}
	}
	if latest < 0 {
		return -1
	}
	return latest - healAt
}

func containsAny(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}
