// Package enumctx keeps the open enumeration contexts of the protocol
// servers: random identifiers bound to the user who opened them, a limit of
// open contexts per user shared by every server of the table, expiry of idle
// contexts, one request at a time on each, and a budget of the objects they
// hold queued ahead of their clients, shared among them (Buffer).
//
// A context's state belongs to its protocol (WS-Management's enumeration
// context, CIM-XML's pull enumeration); the table holds it as Entry.Value
// and calls the close function given at Open when the context ends —
// released, finished, expired or closed with its server.
package enumctx

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Errors of the table. Protocols map them to their own faults.
var (
	// ErrQuota: the user holds MaxPerUser open contexts already.
	ErrQuota = errors.New("enumctx: too many open enumeration contexts")
	// ErrClosed: the owner (or the table) has been closed.
	ErrClosed = errors.New("enumctx: closed")
	// ErrUnknown: no open context of this owner and user has the
	// identifier. Another user's context is reported exactly so.
	ErrUnknown = errors.New("enumctx: unknown enumeration context")
	// ErrBusy: another request is using the context.
	ErrBusy = errors.New("enumctx: enumeration context in use")
)

// Table is a set of open enumeration contexts. It is safe for concurrent
// use; servers of several protocols may share one, and then share its
// limit per user.
type Table struct {
	maxPerUser int

	mu      sync.Mutex
	entries map[string]*Entry
	perUser map[string]int
	closed  map[any]bool // owners closed
	all     bool         // the table itself closed

	buf budget // what the contexts buffer, together (buffer.go)
}

// New returns a table that lets one user hold maxPerUser open contexts.
func New(maxPerUser int) *Table {
	return &Table{maxPerUser: maxPerUser, entries: map[string]*Entry{}, perUser: map[string]int{}, closed: map[any]bool{}}
}

// MaxPerUser returns the limit of open contexts per user.
func (t *Table) MaxPerUser() int { return t.maxPerUser }

// Entry is one open enumeration context.
type Entry struct {
	ID    string // "uuid:" and a random version 4 UUID
	User  string
	Owner any // the server that opened it
	Value any // the protocol's state

	t     *Table
	close func()
	idle  time.Duration
	timer *time.Timer
	gen   uint64    // guarded by t.mu: counts the idle timers armed
	ends  time.Time // guarded by t.mu: when the idle clock runs out
	busy  bool      // guarded by t.mu
	once  sync.Once
}

// Reservation holds one unit of a user's quota while a context is being
// set up (before its provider has produced a first batch).
type Reservation struct {
	t     *Table
	owner any
	user  string
	done  bool
}

// Reserve counts a context that owner is about to open for user against
// the user's limit: ErrQuota past it, ErrClosed once owner is closed. End
// the reservation with Open or Cancel.
func (t *Table) Reserve(owner any, user string) (*Reservation, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.all || t.closed[owner] {
		return nil, ErrClosed
	}
	if t.perUser[user] >= t.maxPerUser {
		return nil, ErrQuota
	}
	t.perUser[user]++
	return &Reservation{t: t, owner: owner, user: user}, nil
}

// Cancel gives the reserved unit back; it does nothing after Open.
func (r *Reservation) Cancel() {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	if !r.done {
		r.done = true
		r.t.releaseLocked(r.user)
	}
}

func (t *Table) releaseLocked(user string) {
	if t.perUser[user]--; t.perUser[user] <= 0 {
		delete(t.perUser, user)
	}
}

// Open turns the reservation into an open context holding value, with a
// fresh random identifier. When no request uses it for idle, it expires:
// it is removed and closeFn is called (closeFn is called exactly once,
// whichever way the context ends). Open fails with ErrClosed when the
// owner was closed meanwhile; the reservation is then cancelled and
// closeFn is not called.
func (r *Reservation) Open(value any, idle time.Duration, closeFn func()) (*Entry, error) {
	t := r.t
	e := &Entry{ID: "uuid:" + NewUUID(), User: r.user, Owner: r.owner, Value: value, t: t, close: closeFn, idle: idle}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.done {
		return nil, ErrClosed
	}
	r.done = true
	if t.all || t.closed[r.owner] {
		t.releaseLocked(r.user)
		return nil, ErrClosed
	}
	t.entries[e.ID] = e
	e.armLocked()
	return e, nil
}

// armLocked starts the idle clock afresh. Each clock knows its generation:
// one that already fired but waits for t.mu while a request acquires and
// releases the context is stale when it gets there, and does nothing.
func (e *Entry) armLocked() {
	if e.timer != nil {
		e.timer.Stop()
	}
	e.gen++
	gen := e.gen
	e.ends = time.Now().Add(e.idle)
	e.timer = time.AfterFunc(e.idle, func() { e.t.expire(e, gen) })
}

// expire ends a context nobody has used for its idle time, unless the
// clock of generation gen was stopped or re-armed meanwhile.
func (t *Table) expire(e *Entry, gen uint64) {
	t.mu.Lock()
	if t.entries[e.ID] != e || e.busy || e.gen != gen {
		t.mu.Unlock()
		return
	}
	t.removeLocked(e)
	t.mu.Unlock()
	e.end()
}

func (t *Table) removeLocked(e *Entry) {
	delete(t.entries, e.ID)
	t.releaseLocked(e.User)
}

func (e *Entry) end() {
	e.once.Do(func() {
		if e.timer != nil {
			e.timer.Stop()
		}
		if e.close != nil {
			e.close()
		}
	})
}

// Acquire finds owner's context id of user and marks it busy (its idle
// clock stops) until Release: ErrUnknown when there is none, ErrBusy when
// another request holds it.
func (t *Table) Acquire(owner any, id, user string) (*Entry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	if e == nil || e.Owner != owner || e.User != user {
		return nil, ErrUnknown
	}
	if e.busy {
		return nil, ErrBusy
	}
	e.busy = true
	e.timer.Stop()
	e.gen++ // a clock that fired already is stale now
	return e, nil
}

// Release ends a request on an acquired context: a finished context is
// removed and closed; otherwise its idle clock starts again.
func (t *Table) Release(e *Entry, finished bool) {
	t.mu.Lock()
	e.busy = false
	current := t.entries[e.ID] == e
	if finished {
		if current {
			t.removeLocked(e)
		}
		t.mu.Unlock()
		e.end()
		return
	}
	if current {
		e.armLocked()
	}
	t.mu.Unlock()
}

// Expires tells when owner's context id of user expires if no request
// uses it before (WS-Enumeration's GetStatus): ErrUnknown when there is no
// such context. A context a request holds expires an idle time after that
// request ends.
func (t *Table) Expires(owner any, id, user string) (time.Time, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	if e == nil || e.Owner != owner || e.User != user {
		return time.Time{}, ErrUnknown
	}
	if e.busy {
		return time.Now().Add(e.idle), nil
	}
	return e.ends, nil
}

// Renew starts the idle clock of owner's context id of user afresh
// (WS-Enumeration's Renew) and tells when it now expires: ErrUnknown when
// there is no such context.
func (t *Table) Renew(owner any, id, user string) (time.Time, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	if e == nil || e.Owner != owner || e.User != user {
		return time.Time{}, ErrUnknown
	}
	if e.busy {
		return time.Now().Add(e.idle), nil
	}
	e.armLocked()
	return e.ends, nil
}

// Remove ends owner's context id of user at once, also while a request
// holds it (closing its state ends that request's wait): ErrUnknown when
// there is none.
func (t *Table) Remove(owner any, id, user string) error {
	t.mu.Lock()
	e := t.entries[id]
	if e == nil || e.Owner != owner || e.User != user {
		t.mu.Unlock()
		return ErrUnknown
	}
	t.removeLocked(e)
	t.mu.Unlock()
	e.end()
	return nil
}

// CloseOwner closes every context of owner and refuses it new ones.
func (t *Table) CloseOwner(owner any) {
	t.mu.Lock()
	t.closed[owner] = true
	var ended []*Entry
	for _, e := range t.entries {
		if e.Owner == owner {
			t.removeLocked(e)
			ended = append(ended, e)
		}
	}
	t.mu.Unlock()
	for _, e := range ended {
		e.end()
	}
}

// Close closes every context and refuses new ones.
func (t *Table) Close() {
	t.mu.Lock()
	t.all = true
	ended := make([]*Entry, 0, len(t.entries))
	for _, e := range t.entries {
		ended = append(ended, e)
	}
	clear(t.entries)
	clear(t.perUser)
	t.mu.Unlock()
	for _, e := range ended {
		e.end()
	}
}

// Count returns the number of open contexts of owner.
func (t *Table) Count(owner any) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.entries {
		if e.Owner == owner {
			n++
		}
	}
	return n
}

// NewUUID returns a random UUID (version 4) in its text form.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
