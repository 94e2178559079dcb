package wsman

import (
	"bytes"
	"net/http"
	"time"
)

// respWriter is an Enumerate or Pull response being written. Its items are
// encoded into buf; once buf holds chunk bytes or more, what it holds is
// written out (after open has fixed what precedes the items) and buf starts
// afresh, so that a response of any size holds at most about a chunk. A
// response that never reaches a chunk is written whole by finish, in one
// write with its Content-Length, as every other response.
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

	sent     int  // bytes written out
	streamed bool // the status line and headers went out with a first chunk
}

// len is the size of the response so far, written out or not.
func (r *respWriter) len() int { return r.sent + r.buf.Len() }

// item is called after each item written into buf: it writes out what buf
// holds once that is a chunk.
func (r *respWriter) item() {
	if r.w == nil || r.chunk <= 0 || r.buf.Len() < r.chunk {
		return
	}
	if !r.streamed {
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
