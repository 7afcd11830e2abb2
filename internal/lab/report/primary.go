package report

import (
	"fmt"

	"outlast/internal/lab"
)

// primaryLines say, in a scenario with a policy primary database
// (primary-region-outage), how the one primary moved and what the role
// checker counted (as a lab run printed them):
//
//	primary: db-use1 → db-gcp at epoch 2: promoted 0.7 s after the fault, the name moved after 0.8 s; 1 promotion (want 1); violations 0 (0 answers naming a replica, 0 naming two servers, 0 two primaries after fencing)
//	primary: unfenced 10.3 s (db-use1 frozen or not demoted yet; 1.1 s of it reachable after the heal), demoted 1.1 s after the heal; the name answers db-gcp at the end (failback manual); 45 answers named the frozen primary before the move; 957 answers in 319 samples every 50 ms
func primaryLines(s lab.Result) []string {
	p := s.Primary
	if p == nil {
		return nil
	}
	to := p.To
	if to == "" {
		to = "nobody"
	}
	demoted := "not demoted"
	if p.DemotedS >= 0 {
		demoted = "demoted " + seconds(p.DemotedS) + " after the heal"
	}
	return []string{
		fmt.Sprintf("primary: %s → %s at epoch %d: promoted %s after the fault, the name moved after %s; %d promotion%s (want 1); violations %d (%d answers naming a replica, %d naming two servers, %d two primaries after fencing)",
			p.From, to, p.Epoch, seconds(p.PromotedS), seconds(p.MovedS), p.Promotions, plural(p.Promotions),
			p.Violations, p.ReplicaAnswers, p.MultiAnswers, p.TwoPrimaries),
		fmt.Sprintf("primary: unfenced %s (%s frozen or not demoted yet; %s of it reachable after the heal), %s; the name answers %s at the end (failback manual); %d answers named the frozen primary before the move; %d answers in %d samples every 50 ms",
			seconds(p.UnfencedS), p.From, seconds(p.UnfencedReachableS), demoted, names(p.Final), p.FrozenAnswers, p.Answers, p.Samples),
	}
}
