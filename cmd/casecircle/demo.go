package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/casecircle/casecircle/casestudy"
)

// demoAccounts are fixed, published credentials: --demo is for trying casecircle out, never for
// a real deployment.
var demoAccounts = []struct {
	email, name, password string
	role                  casestudy.Role
}{
	{"facilitator@demo.casecircle.test", "Fran Facilitator", "demo-facilitator-pass", casestudy.RoleFacilitator},
	{"supervisor@demo.casecircle.test", "Sam Supervisor", "demo-supervisor-pass", casestudy.RoleSupervisor},
	{"member1@demo.casecircle.test", "Mo Member", "demo-member-one-pass", casestudy.RoleMember},
	{"member2@demo.casecircle.test", "Max Member", "demo-member-two-pass", casestudy.RoleMember},
}

const demoCommunity = "Demo supervision group"

// seedDemo creates the demo accounts and community through the same service calls people use
// (sign-up, create community, invitations), once; later runs only print the credentials.
func seedDemo(ctx context.Context, svc *casestudy.Service, log *slog.Logger, out io.Writer) error {
	ids := make([]int64, len(demoAccounts))
	created := false
	changed := make([]bool, len(demoAccounts)) // someone chose another password since
	for i, a := range demoAccounts {
		u, _, err := svc.Register(ctx, casestudy.SignUp{Email: a.email, DisplayName: a.name, Password: a.password})
		switch casestudy.ErrorCode(err) {
		case "":
			created = true
		case casestudy.ECONFLICT:
			if u, _, err = svc.SignIn(ctx, a.email, a.password); err != nil {
				// Changed on the account page or with a reset link: the demo goes on with it.
				changed[i] = true
			}
		default:
			return err
		}
		ids[i] = u.ID
	}
	if created && slices.Contains(changed, true) {
		return fmt.Errorf("some demo accounts are missing and others have new passwords: start with a fresh --data-dir")
	}
	if created {
		community, err := svc.CreateCommunity(ctx, ids[0], casestudy.NewCommunity{Name: demoCommunity,
			Description: "A practice group for trying casecircle: bring a made-up case and reflect on it together."})
		if err != nil {
			return err
		}
		for i, a := range demoAccounts[1:] {
			_, token, err := svc.CreateInvitation(ctx, ids[0], community.ID, casestudy.NewInvitation{Role: a.role, Lifetime: time.Hour})
			if err != nil {
				return err
			}
			if _, err := svc.AcceptInvitation(ctx, ids[i+1], token); err != nil {
				return err
			}
		}
		if err := seedDemoCase(ctx, svc, ids[2], community.ID); err != nil {
			return err
		}
		if err := seedDemoSchedule(ctx, svc, ids[1], community.ID); err != nil {
			return err
		}
		log.Info("demo data seeded", "community", demoCommunity)
	}
	fmt.Fprintf(out, "\nDemo accounts (demo only; community %q):\n", demoCommunity)
	for i, a := range demoAccounts {
		if changed[i] {
			fmt.Fprintf(out, "  %-12s %-34s password: changed since the demo began\n", a.role, a.email)
			continue
		}
		fmt.Fprintf(out, "  %-12s %-34s password: %s\n", a.role, a.email, a.password)
	}
	return nil
}

// seedDemoSchedule schedules a fortnightly Balint group, from next Tuesday at 18:30 in London,
// so the demo's calendar has something in it.
func seedDemoSchedule(ctx context.Context, svc *casestudy.Service, supervisorID, communityID int64) error {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		return err
	}
	day := time.Now().In(london).AddDate(0, 0, 1)
	for day.Weekday() != time.Tuesday {
		day = day.AddDate(0, 0, 1)
	}
	_, err = svc.CreateScheduledSession(ctx, supervisorID, communityID, casestudy.ScheduleInput{
		Title: "Balint group", TemplateKey: "balint", SupervisorID: supervisorID, TimeZone: "Europe/London",
		Start: day.Format("2006-01-02") + "T18:30", DurationMinutes: 90,
		Repeat: casestudy.Recurrence{Frequency: "weekly", Interval: 2, Count: 12}})
	return err
}

// seedDemoCase publishes one made-up case through the same anonymise-then-decide flow as the
// composer, so the demo group has something to read.
func seedDemoCase(ctx context.Context, svc *casestudy.Service, authorID, communityID int64) error {
	in := casestudy.CaseInput{
		Title:           "A new team lead and the colleagues who applied too",
		Kind:            casestudy.KindCoaching,
		Context:         "Fourth session with Jonah Okereke, promoted to team lead at Fernbrook Logistics six weeks ago.",
		PresentingIssue: "Jonah says two former peers who applied for the same job now go quiet in his one-to-ones. He wants them to like him again.",
		Reflection:      "I noticed I was reassuring rather than exploring, and felt quite protective of him.",
		Question:        "How do I stay curious with a client I want to reassure?",
		Tags:            []string{"new leader", "rescuing"},
	}
	preview, err := svc.AnonymiseCase(ctx, authorID, communityID, 0, in)
	if err != nil {
		return err
	}
	var d casestudy.Decisions
	for _, f := range preview.Fields {
		for _, finding := range f.Findings {
			d.Accept = append(d.Accept, finding.Text)
		}
	}
	_, err = svc.CreateCase(ctx, authorID, communityID, casestudy.SaveCase{Input: in, Decisions: d, Action: casestudy.SavePublish, Attest: true})
	return err
}
