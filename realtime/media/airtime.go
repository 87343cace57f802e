package media

import (
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Airtime: how long each participant has been heard speaking, from the audio level each packet
// carries (RFC 6464: the level in -dBov, 0 the loudest, 127 silence, and a voice-activity bit),
// counted only for packets the gate let through. Nothing is decoded.

// speakingBelow is the level (in -dBov) under which a packet counts as speech when the sender
// sets no voice-activity bit: quieter than -50 dBov is room noise.
const speakingBelow = 50

// maxPacketTime caps what one packet adds, so that a gap in a stream is not counted as speech.
const maxPacketTime = 100 * time.Millisecond

type airtime struct {
	mu     sync.Mutex
	spoken map[int64]time.Duration
	last   map[*forwarded]uint32 // a track's last RTP timestamp
}

func audioLevelID(receiver *webrtc.RTPReceiver) uint8 {
	if receiver == nil {
		return 0
	}
	for _, ext := range receiver.GetParameters().HeaderExtensions {
		if ext.URI == "urn:ietf:params:rtp-hdrext:ssrc-audio-level" {
			return uint8(ext.ID)
		}
	}
	return 0
}

// count adds the packet's duration to its owner's airtime if it carries speech.
func (a *airtime) count(t *forwarded, pkt *rtp.Packet) {
	if t.levelID == 0 {
		return
	}
	raw := pkt.GetExtension(t.levelID)
	if raw == nil {
		return
	}
	var level rtp.AudioLevelExtension
	if err := level.Unmarshal(raw); err != nil {
		return
	}
	clock := t.local.Codec().ClockRate
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		a.last, a.spoken = map[*forwarded]uint32{}, map[int64]time.Duration{}
	}
	prev, seen := a.last[t]
	a.last[t] = pkt.Timestamp
	if !seen || clock == 0 || !(level.Voice || level.Level < speakingBelow) {
		return
	}
	d := time.Duration(pkt.Timestamp-prev) * time.Second / time.Duration(clock)
	if d > 0 && d <= maxPacketTime {
		a.spoken[t.owner] += d
	}
}

// Airtime returns each participant's speaking time so far, as the others heard it.
func (c *Call) Airtime() map[int64]time.Duration {
	c.airtime.mu.Lock()
	defer c.airtime.mu.Unlock()
	out := make(map[int64]time.Duration, len(c.airtime.spoken))
	for id, d := range c.airtime.spoken {
		out[id] = d
	}
	return out
}
