package realtime

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// A busy connection has several frames waiting at once. gorilla/websocket writes each frame
// with its own system call (a large one with two); corkConn gathers the frames of one batch
// from the writer goroutine and hands them to the kernel in one write. gorilla never
// interleaves frames, so a control frame written meanwhile by another goroutine (a pong) simply
// joins the batch; outside a batch everything goes straight through.

type corkConn struct {
	net.Conn
	mu     sync.Mutex // guards corked and buf
	corked bool
	buf    []byte
	wmu    sync.Mutex // one write to the socket at a time, so batches stay whole and in order
}

// Write buffers while corked and writes straight through otherwise. A close frame is never
// held back: it goes out at once with whatever was gathered before it, so that a connection
// closed right after (slow client, abuse, shutdown) still tells the client why.
func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked && !isCloseFrame(p) {
		c.buf = append(c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	out := p
	if len(c.buf) > 0 {
		out = append(c.buf, p...)
		c.buf = nil
	}
	c.mu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// isCloseFrame tells a frame header of opcode 8. A payload continuation mistaken for one only
// sends the batch out early, still in order.
func isCloseFrame(p []byte) bool { return len(p) > 0 && p[0]&0x0f == 8 }

func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was gathered.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	c.corked = false
	batch := c.buf
	c.buf = nil
	c.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.Conn.Write(batch)
	return err
}

// corkingWriter hands gorilla a corkConn when it hijacks the connection.
type corkingWriter struct {
	http.ResponseWriter
	conn *corkConn
}

func (w *corkingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &corkConn{Conn: conn}
	return w.conn, brw, nil
}

func (w *corkingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
