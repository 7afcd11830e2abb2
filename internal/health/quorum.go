package health

import "outlast/internal/model"

// VoteResult is the outcome of the vote on "this endpoint is up", in the
// manner of etcd's quorum package.
type VoteResult uint8

// The outcomes. Pending means there is no decision, and the verdict keeps
// what it was.
const (
	VotePending VoteResult = 1 + iota // a tie, or no fresh votes at all
	VoteLost                          // a strict majority of fresh votes says down
	VoteWon                           // a strict majority of fresh votes says up
)

func (r VoteResult) String() string {
	switch r {
	case VoteWon:
		return "won"
	case VoteLost:
		return "lost"
	default:
		return "pending"
	}
}

// Tally counts votes: the fresh views inside one failure domain, or the
// domains' votes for one endpoint. Stale and Unknown views, and domains that
// abstain, are never added: they cannot make a majority harder to reach.
type Tally struct {
	Up, Down int
}

// Add counts one vote. Votes other than Up and Down are ignored.
func (t *Tally) Add(h model.Health) {
	switch h {
	case model.Up:
		t.Up++
	case model.Down:
		t.Down++
	}
}

// Fresh is the number of votes counted.
func (t Tally) Fresh() int { return t.Up + t.Down }

// Result reports the vote. Up wins when up votes are a strict majority of
// the votes cast, and loses when down votes are; since every vote is one or
// the other, that is the same as comparing the two counts.
func (t Tally) Result() VoteResult {
	switch {
	case t.Up > t.Down:
		return VoteWon
	case t.Down > t.Up:
		return VoteLost
	default:
		return VotePending
	}
}

// Quorum reports the vote among known voters, of whom only some may have
// voted: up wins when up votes are a strict majority of all known voters,
// and loses when down votes are. Voters that are stale or abstain count
// against both sides, so a lone fresh voter (a new leader's own view, the
// only node that still reports) can never decide for a cluster of three.
func (t Tally) Quorum(known int) VoteResult {
	switch {
	case 2*t.Up > known:
		return VoteWon
	case 2*t.Down > known:
		return VoteLost
	default:
		return VotePending
	}
}

// vote is the Health a decided vote stands for, Unknown when it is pending;
// a domain casts it as its single vote, and Unknown abstains.
func (r VoteResult) vote() model.Health {
	switch r {
	case VoteWon:
		return model.Up
	case VoteLost:
		return model.Down
	default:
		return model.Unknown
	}
}

// decide applies a vote to the current verdict: a pending vote keeps it.
func decide(current model.Health, r VoteResult) model.Health {
	if h := r.vote(); h != model.Unknown {
		return h
	}
	return current
}
