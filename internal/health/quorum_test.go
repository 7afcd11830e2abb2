package health

import (
	"testing"

	"outlast/internal/model"
)

func TestTallyResult(t *testing.T) {
	tests := []struct {
		votes []model.Health
		want  VoteResult
	}{
		{nil, VotePending},
		{[]model.Health{model.Up}, VoteWon},
		{[]model.Health{model.Down}, VoteLost},
		{[]model.Health{model.Up, model.Down}, VotePending},
		{[]model.Health{model.Up, model.Down, model.Down}, VoteLost},
		{[]model.Health{model.Up, model.Up, model.Down}, VoteWon},
		{[]model.Health{model.Up, model.Up, model.Down, model.Down}, VotePending},
		// Unknown abstains: it neither helps nor blocks a majority.
		{[]model.Health{model.Unknown, model.Unknown, model.Down}, VoteLost},
	}
	for _, tt := range tests {
		var tally Tally
		for _, v := range tt.votes {
			tally.Add(v)
		}
		if got := tally.Result(); got != tt.want {
			t.Errorf("votes %v: got %s, want %s", tt.votes, got, tt.want)
		}
	}
}

func TestDecideKeepsVerdictWhenPending(t *testing.T) {
	for _, h := range []model.Health{model.Unknown, model.Up, model.Down} {
		if got := decide(h, VotePending); got != h {
			t.Errorf("decide(%s, pending) = %s, want it kept", h, got)
		}
	}
}
