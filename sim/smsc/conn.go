package smsc

import (
	"net"
	"sync"

	"github.com/detourhq/detour/smpp"
)

// maxOut is how many encoded octets a connection may have waiting to be
// written before its reader stops answering and waits for the peer to read.
const maxOut = 1 << 20

// conn is the write side of one connection: PDUs are appended to out and a
// writer goroutine writes whatever has piled up in one system call.
type conn struct {
	nc   net.Conn
	wake chan struct{} // a token: out has something to write
	quit chan struct{} // closed by shutdown
	once sync.Once

	mu         sync.Mutex
	cond       sync.Cond // signalled when out drains or the conn closes
	out, spare []byte
	closing    bool // close once out is written
	closed     bool
}

func newConn(nc net.Conn) *conn {
	c := &conn{nc: nc, wake: make(chan struct{}, 1), quit: make(chan struct{}),
		out: make([]byte, 0, 4096), spare: make([]byte, 0, 4096)}
	c.cond.L = &c.mu
	return c
}

// send appends p to the output. With wait it first waits while the output
// is full (the reader's back-pressure); without it, it never blocks (the
// deliver_sm window bounds what is sent that way). flush wakes the writer;
// the reader passes false and calls flush once it has nothing more to read.
func (c *conn) send(p smpp.PDU, wait, flush bool) error {
	c.mu.Lock()
	for wait && len(c.out) > maxOut && !c.closed {
		c.signal()
		c.cond.Wait()
	}
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	var err error
	c.out, err = smpp.AppendPDU(c.out, p)
	c.mu.Unlock()
	if flush {
		c.signal()
	}
	return err
}

// flush wakes the writer if anything is waiting.
func (c *conn) flush() {
	c.mu.Lock()
	n := len(c.out)
	c.mu.Unlock()
	if n > 0 {
		c.signal()
	}
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeAfterFlush closes the connection once everything sent so far is
// written.
func (c *conn) closeAfterFlush() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.signal()
}

// shutdown closes the connection at once; safe to call many times.
func (c *conn) shutdown() {
	c.once.Do(func() {
		close(c.quit)
		c.nc.Close()
		c.mu.Lock()
		c.closed = true
		c.cond.Broadcast()
		c.mu.Unlock()
	})
}

// writeLoop writes the output until the connection closes.
func (c *conn) writeLoop() {
	defer c.shutdown()
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			return
		}
		for {
			c.mu.Lock()
			if len(c.out) == 0 {
				closing := c.closing
				c.mu.Unlock()
				if closing {
					return
				}
				break
			}
			c.out, c.spare = c.spare[:0], c.out
			c.cond.Broadcast()
			c.mu.Unlock()
			if _, err := c.nc.Write(c.spare); err != nil {
				return
			}
			if cap(c.spare) > 4*maxOut {
				c.spare = make([]byte, 0, 4096)
			}
		}
	}
}
