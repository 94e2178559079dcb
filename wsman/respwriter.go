package wsman

import (
	"bytes"
	"net/http"
	"slices"
	"sync"
	"time"
)

// respWriter is an Enumerate or Pull response being written. Its items are
// encoded into buf. A response that stays under a chunk, or whose buffer
// found room in the server's response budget, is written whole by
// finish, in one write with its Content-Length, as every other response.
// Otherwise, once buf holds chunk bytes or more, what it holds is written
// out (after open has fixed what precedes the items) and buf starts afresh,
// so that a response of any size holds at most about a chunk.
type respWriter struct {
	buf   *bytes.Buffer
	w     http.ResponseWriter // nil: never written in chunks
	chunk int                 // <= 0: never written in chunks
	// timeout bounds each chunk's write (Options.WriteTimeout): a response
	// that goes out in chunks may wait for its provider between them.
	timeout time.Duration
	// open is called before the first chunk goes out: it fixes the part of
	// the response before the items (the enumeration context's element),
	// and reports whether the response may go out in chunks at all.
	open func() bool

	// The server's response budget (nil: none), whose buffer buf is
	// while the response is written whole: held is buf's capacity as the
	// budget counts it.
	budget *respBudget
	held   int

	sent     int  // bytes written out
	streamed bool // the status line and headers went out with a first chunk
}

// newRespWriter returns the writer of a response to w expected to be size
// bytes: with a buffer of the server's response budget when the response
// is larger than a chunk and the budget has room for it (it may then stay
// whole), else with one of its own of about a chunk at most. Call close
// when done.
func (s *Server) newRespWriter(w http.ResponseWriter, size int) *respWriter {
	r := &respWriter{w: w, chunk: s.opts.ResponseChunk, timeout: s.opts.WriteTimeout}
	if r.chunk > 0 && size > r.chunk {
		if s.respBudget != nil {
			if r.buf = s.respBudget.get(size + size/8); r.buf != nil {
				r.budget, r.held = s.respBudget, r.buf.Cap()
				return r
			}
		}
		size = r.chunk + r.chunk/4 // an item past the chunk
	}
	r.buf = getBigBuf(size)
	return r
}

// close gives back the buffer.
func (r *respWriter) close() {
	if r.budget != nil {
		r.budget.put(r.buf, r.held)
	} else {
		putBuf(r.buf)
	}
	r.buf, r.budget = nil, nil
}

// respBudget is Options.ResponseBudget: the buffers of the responses
// written whole beyond a chunk, in use or free for the next ones, whose
// capacities together stay within max. The free ones are kept (not left to
// the collector): a lone client's next response reuses its buffer.
type respBudget struct {
	mu   sync.Mutex
	max  int
	used int // the capacity of the buffers in use and free
	free []*bytes.Buffer
}

// get returns an empty buffer of at least size bytes, counted in the
// budget, or nil when the budget has no room for one.
func (b *respBudget) get(size int) *bytes.Buffer {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.free {
		if f.Cap() >= size {
			b.free = slices.Delete(b.free, i, i+1)
			f.Reset()
			return f
		}
	}
	// Make room by dropping free buffers too small to serve.
	for b.used+size > b.max && len(b.free) > 0 {
		n := len(b.free) - 1
		b.used -= b.free[n].Cap()
		b.free[n] = nil
		b.free = b.free[:n]
	}
	if b.used+size > b.max {
		return nil
	}
	b.used += size
	return bytes.NewBuffer(make([]byte, 0, size))
}

// grow counts buf, counted as held bytes, at its capacity now, if the
// budget has room for that.
func (b *respBudget) grow(buf *bytes.Buffer, held int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used+buf.Cap()-held > b.max && len(b.free) > 0 {
		n := len(b.free) - 1
		b.used -= b.free[n].Cap()
		b.free[n] = nil
		b.free = b.free[:n]
	}
	if b.used+buf.Cap()-held > b.max {
		return false
	}
	b.used += buf.Cap() - held
	return true
}

// put gives back buf, counted as held bytes: it is kept for the next
// response if the budget has room for its capacity now.
func (b *respBudget) put(buf *bytes.Buffer, held int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+buf.Cap()-held <= b.max {
		b.used += buf.Cap() - held
		b.free = append(b.free, buf)
		return
	}
	b.used -= held
}

// inUse is the capacity of the budget's buffers in use (not free).
func (b *respBudget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.used
	for _, f := range b.free {
		n -= f.Cap()
	}
	return n
}

// len is the size of the response so far, written out or not.
func (r *respWriter) len() int { return r.sent + r.buf.Len() }

// item is called after each item written into buf: it writes out what buf
// holds once that is a chunk, unless the response stays whole within the
// budget (its buffer counted at its capacity, as it grows).
func (r *respWriter) item() {
	if r.w == nil || r.chunk <= 0 || r.buf.Len() < r.chunk {
		return
	}
	if !r.streamed {
		if r.budget != nil && (r.buf.Cap() == r.held || r.budget.grow(r.buf, r.held)) {
			r.held = r.buf.Cap()
			return
		}
		if r.open != nil && !r.open() {
			r.chunk = 0
			return
		}
		r.w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		r.w.WriteHeader(http.StatusOK)
		r.streamed = true
	}
	// A failed write (the client went away) is seen by the request's
	// context, which ends the response.
	if r.timeout > 0 {
		http.NewResponseController(r.w).SetWriteDeadline(time.Now().Add(r.timeout)) // unsupported by test recorders: ignored
	}
	r.w.Write(r.buf.Bytes())
	r.sent += r.buf.Len()
	r.buf.Reset()
}

// finish writes what is left: the whole response in one write when nothing
// went out yet.
func (r *respWriter) finish() {
	if !r.streamed {
		send(r.w, http.StatusOK, r.buf.Bytes())
		return
	}
	r.w.Write(r.buf.Bytes())
}
