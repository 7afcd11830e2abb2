package measure

// good is the success rate a second must reach to count as recovered.
const good = 99

// recovery is the start of the first bucket with requests after the last
// one below 99% among the buckets overlapping [faultAt, windowEnd), from
// the fault (0 when that bucket holds the fault); -1 if the last is bad or
// none has requests.
func recovery(seconds []Second, faultAt, windowEnd float64) float64 {
	recovered := -1.0
	for _, s := range seconds {
		t := float64(s.T)
		if t+1 <= faultAt || t >= windowEnd || s.Requests == 0 {
			continue
		}
		switch {
		case s.Successes*100 < good*s.Requests:
			recovered = -1
		case recovered < 0:
			recovered = max(t, faultAt) - faultAt
		}
	}
	return recovered
}

// clientErrors counts failed requests from the bucket holding the fault on.
func clientErrors(seconds []Second, faultAt float64) int {
	n := 0
	for _, s := range seconds {
		if float64(s.T)+1 > faultAt {
			n += s.Requests - s.Successes
		}
	}
	return n
}

// clientRequests counts the requests of the buckets clientErrors counts
// in: the denominator of the errors.
func clientRequests(seconds []Second, faultAt float64) int {
	n := 0
	for _, s := range seconds {
		if float64(s.T)+1 > faultAt {
			n += s.Requests
		}
	}
	return n
}

// successAfter is the success rate in percent over the buckets starting in
// [from, to), rounded down to hundredths; 100 when they hold no requests.
func successAfter(seconds []Second, from, to float64) float64 {
	requests, successes := 0, 0
	for _, s := range seconds {
		if t := float64(s.T); t >= from && t < to {
			requests += s.Requests
			successes += s.Successes
		}
	}
	return pctDown(successes, requests)
}

// pctDown is ok/all in percent rounded down to hundredths; 100 for none.
// Rounded down, in integers, so a rate just under a bound never prints, or
// checks, as meeting it.
func pctDown(ok, all int) float64 {
	if all == 0 {
		return 100
	}
	return float64(ok*10000/all) / 100
}

// SumSeconds adds b's buckets to a's, second by second: the timeline of
// two populations of devices recorded apart. Neither is changed.
func SumSeconds(a, b []Second) []Second {
	out := make([]Second, max(len(a), len(b)))
	for i := range out {
		out[i] = Second{T: i, ServedBy: map[string]int{}}
		for _, part := range [][]Second{a, b} {
			if i >= len(part) {
				continue
			}
			out[i].Requests += part[i].Requests
			out[i].Successes += part[i].Successes
			for name, n := range part[i].ServedBy {
				out[i].ServedBy[name] += n
			}
			out[i].MaxLatencyS = max(out[i].MaxLatencyS, part[i].MaxLatencyS)
		}
	}
	return out
}
