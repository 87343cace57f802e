package media_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/casecircle/casecircle/realtime/media"
)

// participant is a pion client: it publishes one Opus track and counts the packets it receives
// from each other participant.
type participant struct {
	t      *testing.T
	user   int64
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	sender *webrtc.RTPSender
	level  atomic.Int32 // the audio level sent, in -dBov (0 loudest, 127 silence)
	mu     sync.Mutex
	got    map[string]*atomic.Int64 // by stream id ("user-N")
	stop   chan struct{}
	done   sync.WaitGroup
}

func newParticipant(t *testing.T, user int64) *participant {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "self")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	p := &participant{t: t, user: user, pc: pc, track: track, sender: sender, got: map[string]*atomic.Int64{}, stop: make(chan struct{})}
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.mu.Lock()
		n := p.got[remote.StreamID()]
		if n == nil {
			n = &atomic.Int64{}
			p.got[remote.StreamID()] = n
		}
		p.mu.Unlock()
		for {
			if _, _, err := remote.ReadRTP(); err != nil {
				return
			}
			n.Add(1)
		}
	})
	t.Cleanup(func() {
		close(p.stop)
		p.done.Wait()
		_ = pc.Close()
	})
	return p
}

// join offers to the call and applies its answer.
func (p *participant) join(call *media.Call) {
	p.t.Helper()
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(offer); err != nil {
		p.t.Fatal(err)
	}
	<-gathered
	answer, err := call.Join(p.user, *p.pc.LocalDescription())
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.pc.SetRemoteDescription(answer); err != nil {
		p.t.Fatal(err)
	}
}

// talk sends an Opus-sized packet every 20 ms until the test ends, each with its audio level
// (RFC 6464) as a browser sends it.
func (p *participant) talk() {
	var levelID uint8
	for _, ext := range p.sender.GetParameters().HeaderExtensions {
		if ext.URI == sdp.AudioLevelURI {
			levelID = uint8(ext.ID)
		}
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var seq uint16
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				seq++
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq,
					Timestamp: uint32(seq) * 960, SSRC: uint32(p.user)}, Payload: make([]byte, 80)}
				if levelID != 0 {
					level := uint8(p.level.Load())
					ext, _ := rtp.AudioLevelExtension{Level: level, Voice: level < 50}.Marshal()
					_ = pkt.Header.SetExtension(levelID, ext)
				}
				_ = p.track.WriteRTP(pkt)
			}
		}
	}()
}

// heard is how many packets p has received from user.
func (p *participant) heard(user int64) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := p.got[streamOf(user)]; n != nil {
		return n.Load()
	}
	return 0
}

func streamOf(user int64) string { return "user-" + itoa(user) }

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// signalling answers the server's renegotiation offers on behalf of the test's participants.
type signalling struct {
	mu    sync.Mutex
	call  *media.Call
	peers map[int64]*participant
	wg    sync.WaitGroup
}

func (s *signalling) offer(user int64, offer webrtc.SessionDescription) {
	s.mu.Lock()
	p, call := s.peers[user], s.call
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := p.pc.SetRemoteDescription(offer); err != nil {
			return
		}
		answer, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return
		}
		gathered := webrtc.GatheringCompletePromise(p.pc)
		if err := p.pc.SetLocalDescription(answer); err != nil {
			return
		}
		<-gathered
		_ = call.Answer(user, *p.pc.LocalDescription())
	}()
}

// newTestCall is a call whose renegotiations the test's participants answer; it ends with the test.
func newTestCall(t *testing.T, maxParticipants int) (*media.SFU, *media.Call, *signalling) {
	t.Helper()
	sfu, err := media.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	sig := &signalling{peers: map[int64]*participant{}}
	call := sfu.NewCall(sig.offer, maxParticipants)
	sig.call = call
	t.Cleanup(func() { call.Close(); sig.wg.Wait() })
	return sfu, call, sig
}

// enter joins participants to the call and starts them talking.
func (s *signalling) enter(ps ...*participant) {
	for _, p := range ps {
		s.mu.Lock()
		s.peers[p.user] = p
		s.mu.Unlock()
		p.join(s.call)
		p.talk()
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The server forwards a participant's audio to the others while the policy lets them be heard,
// and drops it within 300 ms of the policy saying no, whatever the sender does; the one who
// may speak is heard throughout.
func TestSpeakingRulesOnTheMedia(t *testing.T) {
	_, call, sig := newTestCall(t, 0)

	presenter, member, supervisor := newParticipant(t, 1), newParticipant(t, 2), newParticipant(t, 3)
	sig.enter(presenter, member, supervisor)
	// Presentation: everyone hears the presenter.
	waitFor(t, "the presenter's voice at the member and the supervisor", func() bool {
		return member.heard(1) > 20 && supervisor.heard(1) > 20 && presenter.heard(2) > 20
	})

	// The reflective round: the presenter listens. Within 300 ms nothing more of theirs arrives.
	call.SetPolicy(func(user int64) bool { return user != 1 })
	time.Sleep(300 * time.Millisecond)
	atMember, atSupervisor, memberAtPresenter := member.heard(1), supervisor.heard(1), presenter.heard(2)
	time.Sleep(time.Second)
	if member.heard(1) != atMember || supervisor.heard(1) != atSupervisor {
		t.Fatalf("the presenter was heard after being silenced: %d → %d, %d → %d", atMember, member.heard(1), atSupervisor, supervisor.heard(1))
	}
	if presenter.heard(2) < memberAtPresenter+30 {
		t.Fatalf("the member was not heard in the reflective round: %d → %d", memberAtPresenter, presenter.heard(2))
	}

	// Back to the presenter: heard again.
	call.SetPolicy(func(int64) bool { return true })
	waitFor(t, "the presenter heard again", func() bool { return member.heard(1) > atMember+20 })

	// A participant who leaves stops reaching anyone.
	call.Leave(2)
	time.Sleep(300 * time.Millisecond)
	atPresenter := presenter.heard(2)
	time.Sleep(500 * time.Millisecond)
	if presenter.heard(2) != atPresenter {
		t.Fatal("a participant who left is still heard")
	}
	if got := len(call.Participants()); got != 2 {
		t.Fatalf("%d participants after one left", got)
	}
}

func TestCallLimits(t *testing.T) {
	sfu, call, sig := newTestCall(t, 1)
	one := newParticipant(t, 1)
	sig.peers[1] = one
	one.join(call)
	if _, err := call.Join(1, webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: "x"}); err != media.ErrAlreadyJoin {
		t.Fatalf("joining twice: %v", err)
	}
	if _, err := call.Join(2, webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: "x"}); err != media.ErrCallFull {
		t.Fatalf("a second participant in a call of one: %v", err)
	}
	big := sfu.NewCall(sig.offer, 0)
	t.Cleanup(big.Close)
	if _, err := big.Join(5, webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: "not sdp"}); err == nil {
		t.Fatal("a malformed offer was accepted")
	}
	if _, err := big.Join(6, webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ""}); err != media.ErrBadSDP {
		t.Fatalf("an answer instead of an offer: %v", err)
	}
	if err := big.Answer(7, webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer}); err != media.ErrNotInCall {
		t.Fatalf("an answer from a stranger: %v", err)
	}
}

// Airtime counts each participant's speech from the packets' audio levels, only while they are
// heard; a silent participant has none.
func TestAirtime(t *testing.T) {
	_, call, sig := newTestCall(t, 0)
	speaker, quiet := newParticipant(t, 1), newParticipant(t, 2)
	speaker.level.Store(10) // -10 dBov: speech
	quiet.level.Store(127)  // silence
	sig.enter(speaker, quiet)
	waitFor(t, "a second of the speaker's airtime", func() bool { return call.Airtime()[1] >= time.Second })
	if got := call.Airtime()[2]; got != 0 {
		t.Fatalf("the silent participant has %v of airtime", got)
	}
	// Silenced by the rules: what they say is not heard, and is not airtime.
	call.SetPolicy(func(user int64) bool { return user != 1 })
	time.Sleep(100 * time.Millisecond)
	before := call.Airtime()[1]
	time.Sleep(600 * time.Millisecond)
	if after := call.Airtime()[1]; after != before {
		t.Fatalf("airtime grew while silenced: %v → %v", before, after)
	}
}
