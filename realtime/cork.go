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
// interleaves frames, so a control frame written meanwhile by another goroutine (a pong, a
// close) simply joins the batch; outside a batch everything goes straight through.

type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

// Write buffers while corked and writes straight through otherwise.
func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked {
		c.buf = append(c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was gathered. Only the writer goroutine corks and uncorks, so the batch
// can be written without holding the lock.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	c.corked = false
	batch := c.buf
	c.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	_, err := c.Conn.Write(batch)
	if cap(batch) > 64<<10 {
		batch = nil // do not keep a burst's buffer on an idle connection
	}
	c.mu.Lock()
	c.buf = batch[:0]
	c.mu.Unlock()
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
