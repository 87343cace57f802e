package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/realtime"
)

// handleWebSocket: GET /api/v1/ws, the live connection of one browser tab (docs/protocol.md).
// The session cookie authenticates it; the Origin must be this host or an allowed origin.
func (s *Server) handleWebSocket(c echo.Context) error {
	u := currentUser(c)
	if u == nil {
		return casestudy.Errorf(casestudy.EUNAUTHORIZED, "Please sign in.")
	}
	if !s.originAllowed(c.Request()) {
		return casestudy.Errorf(casestudy.EFORBIDDEN, "This origin may not open a live connection.")
	}
	err := s.hub.Serve(c.Response(), c.Request(), realtime.Member{ID: u.ID, Name: u.DisplayName}, signInToken(c), c.RealIP())
	if errors.Is(err, realtime.ErrTooManySockets) {
		return &casestudy.Error{Code: casestudy.ERATELIMITED, RetryAfter: 10 * time.Second,
			Message: "Too many live connections are open for you or your network; close some tabs and try again."}
	}
	if err != nil {
		return nil // the upgrader has answered with an HTTP error
	}
	c.Response().Status = http.StatusSwitchingProtocols // for the request log and metrics
	return nil
}

// roomBackend is the domain as the realtime hub sees it: rooms are cases, and every answer is
// an event encoded once as JSON.
type roomBackend struct {
	svc *casestudy.Service
	// communityOf caches each room's community: a case never moves. Access is still checked
	// by the service on every call.
	communityOf sync.Map // int64 → int64
}

func (b *roomBackend) EnterRoom(ctx context.Context, userID, room int64) (realtime.Access, error) {
	a, err := b.svc.EnterRoom(ctx, userID, room)
	if err != nil {
		return realtime.Access{}, frameError(err)
	}
	b.communityOf.Store(room, a.CommunityID)
	return realtime.Access{Head: a.Head, ReadOnly: a.ReadOnly}, nil
}

func (b *roomBackend) Replay(ctx context.Context, room, after int64, limit int) ([]realtime.Event, error) {
	events, err := b.svc.ReplayRoom(ctx, room, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]realtime.Event, len(events))
	for i, ev := range events {
		if out[i], err = encodeRoomEvent(ev); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *roomBackend) community(ctx context.Context, userID, room int64) (int64, error) {
	if id, ok := b.communityOf.Load(room); ok {
		return id.(int64), nil
	}
	if _, err := b.EnterRoom(ctx, userID, room); err != nil {
		return 0, err
	}
	id, _ := b.communityOf.Load(room)
	return id.(int64), nil
}

func (b *roomBackend) Publish(ctx context.Context, userID int64, f realtime.PublishFrame) (func() (realtime.Event, error), error) {
	community, err := b.community(ctx, userID, f.Room)
	if err != nil {
		return nil, err
	}
	var d casestudy.Decisions
	if err := decodeDecisions(f.Decisions, &d); err != nil {
		return nil, err
	}
	wait, err := b.svc.SubmitMessage(ctx, userID, community, f.Room, casestudy.NewMessage{
		ClientID: f.ClientID, ParentID: f.ParentID, Body: f.Body, Lens: casestudy.Lens(f.Lens), Decisions: d, Mentions: f.Mentions})
	if err != nil {
		return nil, frameError(err)
	}
	return func() (realtime.Event, error) { return encodeAnswer(wait()) }, nil
}

func (b *roomBackend) Edit(ctx context.Context, userID int64, f realtime.EditFrame) (realtime.Event, error) {
	community, err := b.community(ctx, userID, f.Room)
	if err != nil {
		return realtime.Event{}, err
	}
	var d casestudy.Decisions
	if err := decodeDecisions(f.Decisions, &d); err != nil {
		return realtime.Event{}, err
	}
	ev, err := b.svc.EditMessage(ctx, userID, community, f.Room, f.MessageID, f.Body, d, f.RedactEarlier)
	return encodeAnswer(ev, err)
}

func (b *roomBackend) Delete(ctx context.Context, userID int64, f realtime.DeleteFrame) (realtime.Event, error) {
	community, err := b.community(ctx, userID, f.Room)
	if err != nil {
		return realtime.Event{}, err
	}
	ev, err := b.svc.DeleteMessage(ctx, userID, community, f.Room, f.MessageID)
	return encodeAnswer(ev, err)
}

func (b *roomBackend) MarkRead(ctx context.Context, userID, room, seq int64) (int64, error) {
	community, err := b.community(ctx, userID, room)
	if err != nil {
		return 0, err
	}
	read, err := b.svc.MarkRead(ctx, userID, community, room, seq)
	return read, frameError(err)
}

func (b *roomBackend) ValidSignIns(ctx context.Context, tokens []string) (map[string]bool, error) {
	return b.svc.ValidSignIns(ctx, tokens)
}

func decodeDecisions(raw json.RawMessage, d *casestudy.Decisions) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(d); err != nil {
		return &realtime.Error{Code: realtime.ErrBadFrame, Message: "Decisions should be {\"accept\":[…],\"dismiss\":[…],\"extra\":[…]}.", Field: "decisions"}
	}
	return nil
}

func encodeAnswer(ev casestudy.RoomEvent, err error) (realtime.Event, error) {
	if err != nil {
		return realtime.Event{}, frameError(err)
	}
	return encodeRoomEvent(ev)
}

func encodeRoomEvent(ev casestudy.RoomEvent) (realtime.Event, error) {
	data, err := json.Marshal(ev)
	return realtime.Event{Room: ev.Room, Seq: ev.Seq, JSON: data}, err
}

// frameError turns a domain refusal into an error frame's content; faults stay errors.
func frameError(err error) error {
	e := casestudy.AsError(err)
	if err == nil || e == nil || e.Code == casestudy.EINTERNAL {
		return err
	}
	fe := &realtime.Error{Code: e.Code, Message: e.Message, Field: e.Field, Details: clientDetails(e)}
	return fe
}
