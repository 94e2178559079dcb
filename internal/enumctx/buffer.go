package enumctx

import "sync"

// Buffering: the objects an open context holds queued ahead of its client
// (its provider runs ahead so that the next request finds them ready) are
// its memory. Each context asks for room sized from what its client's
// requests take; the contexts of a table share one budget.
const (
	// DefaultMaxBuffered is the budget of a table's contexts together, in
	// bytes of the objects they hold queued (as their protocol estimates
	// them, by their encoded size; the workload's instances take about
	// two thirds of that in memory). 4 MiB lets 64 concurrent
	// enumerations keep their providers a few hundred objects ahead each
	// and the server within 40 MB (issue 20).
	DefaultMaxBuffered = 4 << 20
	// MinBuffer is what a context may always hold, however many share the
	// budget: a context is never starved of room for its next objects.
	MinBuffer = 8 << 10
)

type budget struct {
	mu      sync.Mutex
	max     int64 // 0: DefaultMaxBuffered
	granted int64 // the grants of live buffers, together
	live    int   // buffers not freed
}

// SetMaxBuffered sets the budget of the table's contexts together
// (DefaultMaxBuffered by default; n below MinBuffer counts as MinBuffer).
// Grants already made stand until their next Grant.
func (t *Table) SetMaxBuffered(n int64) {
	t.buf.mu.Lock()
	t.buf.max = max(n, MinBuffer)
	t.buf.mu.Unlock()
}

// MaxBuffered returns the budget of the table's contexts together.
func (t *Table) MaxBuffered() int64 {
	t.buf.mu.Lock()
	defer t.buf.mu.Unlock()
	return t.buf.limit()
}

// Buffered returns what the live buffers of the table are granted
// together, and how many they are.
func (t *Table) Buffered() (bytes int64, buffers int) {
	t.buf.mu.Lock()
	defer t.buf.mu.Unlock()
	return t.buf.granted, t.buf.live
}

func (b *budget) limit() int64 {
	if b.max == 0 {
		return DefaultMaxBuffered
	}
	return b.max
}

// Buffer is one context's part of its table's budget. A protocol takes one
// when it starts an enumeration (before the context is open: an optimized
// first request already buffers), asks for room with Grant before each
// request of the context, and frees it when the enumeration ends. Its
// methods may be called concurrently (a Release frees a context's buffer
// while a Pull may be asking it for room).
type Buffer struct {
	t       *Table
	granted int64
	freed   bool
}

// NewBuffer returns a buffer with nothing granted yet, counted among the
// table's until Free.
func (t *Table) NewBuffer() *Buffer {
	t.buf.mu.Lock()
	t.buf.live++
	t.buf.mu.Unlock()
	return &Buffer{t: t}
}

// Grant asks for want bytes of room and returns what the buffer may hold:
// want when it fits, otherwise at most an equal share of the budget among
// the live buffers and at most what the others leave of it — but never
// less than MinBuffer (nor less than want when want is below it). The
// budget is thus kept to within MinBuffer per buffer, fairly: a buffer
// granted much while few were live gives back what it must at its next
// Grant.
func (b *Buffer) Grant(want int64) int64 {
	bg := &b.t.buf
	bg.mu.Lock()
	defer bg.mu.Unlock()
	if b.freed {
		return min(want, MinBuffer)
	}
	limit := bg.limit()
	others := bg.granted - b.granted
	g := min(want, limit/int64(max(bg.live, 1)), limit-others)
	g = max(g, min(want, MinBuffer))
	bg.granted = others + g
	b.granted = g
	return g
}

// Free gives the buffer's grant back; it is idempotent.
func (b *Buffer) Free() {
	bg := &b.t.buf
	bg.mu.Lock()
	defer bg.mu.Unlock()
	if b.freed {
		return
	}
	b.freed = true
	bg.granted -= b.granted
	bg.live--
	b.granted = 0
}
