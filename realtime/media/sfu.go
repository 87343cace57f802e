// Package media is casecircle's selective forwarding unit (pion/webrtc): each participant of a
// call sends their microphone (and camera) once, and the server forwards the encrypted RTP
// packets to the others as they are — it never decodes, mixes or records media. What it adds is
// a gate per participant's audio: the call's Policy says who may be heard now (the session's
// phase, turn or floor), and packets of anyone else are dropped here, whatever their browser
// does. The package knows the session only through Policy, as the hub knows rooms only through
// its Backend.
package media

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Policy says whether a participant's voice may reach the others now.
type Policy func(userID int64) bool

// Signal carries the server's side of a renegotiation to one participant: an SDP offer made
// when tracks came or went, which the participant answers with Call.Answer.
type Signal func(userID int64, offer webrtc.SessionDescription)

// Limits of a call.
const DefaultMaxParticipants = 16

// Errors a participant may be shown.
var (
	ErrCallFull    = errors.New("media: the call is full")
	ErrNotInCall   = errors.New("media: not in this call")
	ErrCallClosed  = errors.New("media: the call has ended")
	ErrBadSDP      = errors.New("media: the session description is not valid")
	ErrAlreadyJoin = errors.New("media: already in the call")
)

// SFU makes calls; one per process.
type SFU struct {
	api *webrtc.API
}

// New returns an SFU whose peer connections use settings (nil: pion's defaults; the server
// passes a UDP mux and public address).
func New(settings *webrtc.SettingEngine) (*SFU, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	// Browsers put each audio packet's level in a header extension (RFC 6464): airtime is
	// measured from it, without decoding.
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	opts := []func(*webrtc.API){webrtc.WithMediaEngine(m)}
	if settings != nil {
		opts = append(opts, webrtc.WithSettingEngine(*settings))
	}
	return &SFU{api: webrtc.NewAPI(opts...)}, nil
}

// Call is one session's call: its participants and the tracks they publish.
type Call struct {
	sfu    *SFU
	signal Signal
	max    int

	mu      sync.Mutex
	closed  bool
	peers   map[int64]*peer
	tracks  map[string]*forwarded // published tracks, by track id
	policy  Policy
	airtime airtime
	workers sync.WaitGroup // each published track's forwarding loop and each sender's RTCP reader
}

// NewCall starts an empty call; signal reaches participants with offers when tracks change.
func (s *SFU) NewCall(signal Signal, maxParticipants int) *Call {
	if maxParticipants <= 0 {
		maxParticipants = DefaultMaxParticipants
	}
	return &Call{sfu: s, signal: signal, max: maxParticipants, peers: map[int64]*peer{}, tracks: map[string]*forwarded{},
		policy: func(int64) bool { return true }}
}

type peer struct {
	user int64
	pc   *webrtc.PeerConnection
	// negotiating serialises the server's offers to this participant: one at a time, the next
	// once the last is answered.
	negotiating sync.Mutex
	pending     chan struct{} // closed when the outstanding offer is answered
	senders     map[string]*webrtc.RTPSender
}

// forwarded is one published track and the local track that carries it to the others.
type forwarded struct {
	owner int64
	kind  webrtc.RTPCodecType
	local *webrtc.TrackLocalStaticRTP
	heard atomic.Bool // audio only: whether the owner may be heard now
	// levelID is the negotiated id of the audio-level header extension (0: none).
	levelID uint8
}

// SetPolicy changes who may be heard; it takes effect on the next packet.
func (c *Call) SetPolicy(p Policy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.policy = p
	for _, t := range c.tracks {
		t.heard.Store(p(t.owner))
	}
}

// Join adds a participant from their offer (their microphone and camera as sendrecv
// transceivers) and returns the answer, with every ICE candidate in it.
func (c *Call) Join(userID int64, offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return webrtc.SessionDescription{}, ErrCallClosed
	case c.peers[userID] != nil:
		c.mu.Unlock()
		return webrtc.SessionDescription{}, ErrAlreadyJoin
	case len(c.peers) >= c.max:
		c.mu.Unlock()
		return webrtc.SessionDescription{}, ErrCallFull
	}
	pc, err := c.sfu.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		c.mu.Unlock()
		return webrtc.SessionDescription{}, err
	}
	p := &peer{user: userID, pc: pc, senders: map[string]*webrtc.RTPSender{}}
	c.peers[userID] = p
	// What the others publish already goes to the newcomer in the answer.
	for id, t := range c.tracks {
		if err := c.addSender(p, id, t); err != nil {
			c.mu.Unlock()
			c.Leave(userID)
			return webrtc.SessionDescription{}, err
		}
	}
	c.mu.Unlock()

	pc.OnTrack(func(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) { c.publish(p, remote, receiver) })
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			c.Leave(userID)
		}
	})
	answer, err := c.answer(pc, offer)
	if err != nil {
		c.Leave(userID)
		return webrtc.SessionDescription{}, err
	}
	return answer, nil
}

func (c *Call) answer(pc *webrtc.PeerConnection, offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
	if offer.Type != webrtc.SDPTypeOffer {
		return webrtc.SessionDescription{}, ErrBadSDP
	}
	if err := pc.SetRemoteDescription(offer); err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return webrtc.SessionDescription{}, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return webrtc.SessionDescription{}, err
	}
	<-gathered
	return *pc.LocalDescription(), nil
}

// publish starts forwarding a participant's new track to everyone else.
func (c *Call) publish(p *peer, remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	local, err := webrtc.NewTrackLocalStaticRTP(remote.Codec().RTPCodecCapability, remote.ID(), fmt.Sprintf("user-%d", p.user))
	if err != nil {
		return
	}
	t := &forwarded{owner: p.user, kind: remote.Kind(), local: local, levelID: audioLevelID(receiver)}
	c.mu.Lock()
	if c.closed || c.peers[p.user] != p {
		c.mu.Unlock()
		return
	}
	t.heard.Store(c.policy(p.user))
	id := fmt.Sprintf("%d/%s", p.user, remote.ID())
	c.tracks[id] = t
	var others []*peer
	for _, o := range c.peers {
		if o != p {
			if err := c.addSender(o, id, t); err == nil {
				others = append(others, o)
			}
		}
	}
	c.workers.Add(1)
	c.mu.Unlock()
	go func() { // owned by the call: ends when the track ends (its connection closes)
		defer c.workers.Done()
		c.forward(remote, t)
		c.unpublish(id)
	}()
	c.renegotiateAll(others)
}

// forward copies packets from a published track to its local track while the owner may be
// heard (audio) or always (video).
func (c *Call) forward(remote *webrtc.TrackRemote, t *forwarded) {
	for {
		pkt, _, err := remote.ReadRTP()
		if err != nil {
			return
		}
		if t.kind == webrtc.RTPCodecTypeAudio && !t.heard.Load() {
			continue // silenced by the session's rules: dropped here, never sent
		}
		if t.kind == webrtc.RTPCodecTypeAudio {
			c.airtime.count(t, pkt)
		}
		_ = t.local.WriteRTP(pkt)
	}
}

// addSender adds a published track to a participant's connection; c.mu is held.
func (c *Call) addSender(p *peer, id string, t *forwarded) error {
	sender, err := p.pc.AddTrack(t.local)
	if err != nil {
		return err
	}
	p.senders[id] = sender
	c.workers.Add(1)
	go func() { // owned by the call: reads RTCP so pion's interceptors work; ends with the sender
		defer c.workers.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	return nil
}

// unpublish stops forwarding a track and removes it from the others.
func (c *Call) unpublish(id string) {
	c.mu.Lock()
	if _, ok := c.tracks[id]; !ok {
		c.mu.Unlock()
		return
	}
	delete(c.tracks, id)
	var changed []*peer
	for _, o := range c.peers {
		if s, ok := o.senders[id]; ok {
			_ = o.pc.RemoveTrack(s)
			delete(o.senders, id)
			changed = append(changed, o)
		}
	}
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.renegotiateAll(changed)
	}
}

// renegotiateAll renegotiates with each participant in the background.
func (c *Call) renegotiateAll(peers []*peer) {
	for _, o := range peers {
		c.workers.Add(1)
		go func() { // owned by the call: ends with the answer, or when the participant leaves
			defer c.workers.Done()
			c.renegotiate(o)
		}()
	}
}

// renegotiate sends a participant a new offer and waits for the answer (Call.Answer).
func (c *Call) renegotiate(p *peer) {
	p.negotiating.Lock()
	defer p.negotiating.Unlock()
	if p.pc.ConnectionState() == webrtc.PeerConnectionStateClosed {
		return
	}
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return
	}
	<-gathered
	done := make(chan struct{})
	c.mu.Lock()
	if c.closed || c.peers[p.user] != p { // left meanwhile: nobody will answer
		c.mu.Unlock()
		return
	}
	p.pending = done
	c.mu.Unlock()
	c.signal(p.user, *p.pc.LocalDescription())
	select {
	case <-done:
	case <-time.After(answerTimeout):
		// No answer: the participant's page is gone or stuck; it rejoins, or leaves by itself.
		c.mu.Lock()
		if p.pending == done {
			p.pending = nil
		}
		c.mu.Unlock()
	}
}

// answerTimeout bounds the wait for a participant's answer to a renegotiation.
const answerTimeout = 10 * time.Second

// Answer applies a participant's answer to the server's last offer.
func (c *Call) Answer(userID int64, answer webrtc.SessionDescription) error {
	c.mu.Lock()
	p := c.peers[userID]
	var pending chan struct{}
	if p != nil {
		pending, p.pending = p.pending, nil
	}
	c.mu.Unlock()
	if p == nil {
		return ErrNotInCall
	}
	if pending == nil || answer.Type != webrtc.SDPTypeAnswer {
		return ErrBadSDP
	}
	defer close(pending)
	if err := p.pc.SetRemoteDescription(answer); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	return nil
}

// Leave drops a participant: their connection closes, their tracks stop reaching the others.
func (c *Call) Leave(userID int64) {
	c.mu.Lock()
	p := c.peers[userID]
	delete(c.peers, userID)
	if p != nil && p.pending != nil {
		close(p.pending)
		p.pending = nil
	}
	c.mu.Unlock()
	if p != nil {
		_ = p.pc.Close()
	}
}

// Participants lists who is in the call.
func (c *Call) Participants() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int64, 0, len(c.peers))
	for id := range c.peers {
		out = append(out, id)
	}
	return out
}

// Close ends the call: every connection closes, and Close waits for the forwarding loops.
func (c *Call) Close() {
	c.mu.Lock()
	c.closed = true
	ids := make([]int64, 0, len(c.peers))
	for id := range c.peers {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		c.Leave(id)
	}
	c.workers.Wait()
}
