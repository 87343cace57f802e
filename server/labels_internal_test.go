package server

import (
	"testing"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/casestudy/session"
)

// Every lens and speaking policy of the domain has its label, and no label names one that
// does not exist.
func TestEveryLensAndPolicyHasALabel(t *testing.T) {
	t.Parallel()
	if len(lensLabels) != len(casestudy.Lenses) {
		t.Errorf("%d lens labels for %d lenses", len(lensLabels), len(casestudy.Lenses))
	}
	for _, l := range casestudy.Lenses {
		if lensLabels[l] == "" {
			t.Errorf("lens %q has no label", l)
		}
	}
	for _, p := range session.SpeakingPolicies {
		if policyLabels[p] == "" {
			t.Errorf("policy %q has no label", p)
		}
	}
}
