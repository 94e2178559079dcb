package wsman

import (
	"bytes"
	"sync"
)

// Buffers for messages. Small ones (requests, most responses) come and go
// through a sync.Pool. Large ones (the responses of Pull and Enumerate, up to
// MaxEnvelopeSize each) would be dropped by every collection from a
// sync.Pool, and regrown at a cost in garbage that grows with the load; they
// are kept instead on a free list that outlives collections and is bounded
// in bytes, so that a server at rest holds at most maxPooledBytes of them.
const (
	smallBuf       = 64 << 10 // the largest buffer kept in the sync.Pool
	maxPooledBytes = 4 << 20  // the capacity the free list of large buffers may hold
	maxPooledBuf   = 2 << 20  // the largest buffer kept at all
)

var smallPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// bigPool is the free list of large buffers.
var bigPool struct {
	mu    sync.Mutex
	free  []*bytes.Buffer
	bytes int // their capacity, together
}

// getBuf returns an empty buffer for a message of any size.
func getBuf() *bytes.Buffer {
	b := smallPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// getBigBuf returns an empty buffer for a message of about size bytes.
func getBigBuf(size int) *bytes.Buffer {
	if size <= smallBuf {
		return getBuf()
	}
	bigPool.mu.Lock()
	var b *bytes.Buffer
	if n := len(bigPool.free); n > 0 {
		b = bigPool.free[n-1]
		bigPool.free[n-1] = nil
		bigPool.free = bigPool.free[:n-1]
		bigPool.bytes -= b.Cap()
	}
	bigPool.mu.Unlock()
	if b == nil {
		b = new(bytes.Buffer)
	}
	b.Reset()
	b.Grow(size)
	return b
}

// putBuf gives a buffer back; a large one is kept while the free list has
// room for it, else left to the collector.
func putBuf(b *bytes.Buffer) {
	c := b.Cap()
	switch {
	case c <= smallBuf:
		smallPool.Put(b)
	case c <= maxPooledBuf:
		bigPool.mu.Lock()
		if bigPool.bytes+c <= maxPooledBytes {
			bigPool.free = append(bigPool.free, b)
			bigPool.bytes += c
		}
		bigPool.mu.Unlock()
	}
}
