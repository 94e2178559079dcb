package cimom

import (
	"errors"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// What a committed write transaction changed, as the event engine learns it.
//
// Every write of the object manager goes through update or batch (cache.go),
// which run the transaction's function over a recorder: a repository.Tx that
// notes each change with what it replaced. When the function succeeds, the
// transaction gets a sequence number while it still holds the store's write
// lock, so numbers follow commit order; once the store returns, the changes
// of a committed transaction are published under that number, and the
// number of one that rolled back (a failed commit, a bbolt batch run again)
// is skipped. The sequencer hands the changes to the engine strictly in
// number order, so events are raised in commit order and never for a
// rolled-back transaction — and no commit ever waits on a subscriber.

type changeKind uint8

const (
	changeInstanceCreated changeKind = iota + 1
	changeInstanceModified
	changeInstanceDeleted
	changeClassCreated
	changeClassModified
	changeClassDeleted
	changeNamespaceCreated
	changeNamespaceDeleted
)

// change is one change to the repository.
type change struct {
	kind       changeKind
	ns         string        // where the change happened (for namespaces: the parent)
	inst, prev *cim.Instance // instance changes: the new and the previous version
	class      *cim.Class    // class changes: the new (or deleted) and
	prevClass  *cim.Class    // the previous version
	child      string        // namespace changes: the child's own name
	// owned: inst is the change's own (putInstanceTx made it and nothing
	// else keeps or changes it), so its event may carry it without a copy.
	owned bool
}

// recorder is a write transaction that notes its changes. It remembers the
// last instance and class it read, so that the read a put or a delete is
// preceded by in the object manager also tells what the change replaces.
type recorder struct {
	repository.Tx
	changes []change

	instNS, instClass, instKey string
	inst                       *cim.Instance // nil: not found
	instValid                  bool

	classNS, className string
	class              *cim.Class
	classValid         bool
}

func (r *recorder) Instance(ns string, class *cim.Class, key string) (*cim.Instance, error) {
	inst, err := r.Tx.Instance(ns, class, key)
	if err == nil || errors.Is(err, cim.ErrNotFound) {
		r.instNS, r.instClass, r.instKey, r.inst, r.instValid = ns, class.Name, key, inst, true
	}
	return inst, err
}

func (r *recorder) Class(ns, name string) (*cim.Class, error) {
	c, err := r.Tx.Class(ns, name)
	if err == nil || errors.Is(err, cim.ErrNotFound) {
		r.classNS, r.className, r.class, r.classValid = ns, name, c, true
	}
	return c, err
}

// previousInstance returns the stored instance of className with key, nil
// when there is none.
func (r *recorder) previousInstance(ns string, class *cim.Class, className, key string) (*cim.Instance, error) {
	if r.instValid && r.instKey == key && strings.EqualFold(r.instClass, className) && strings.EqualFold(r.instNS, ns) {
		return r.inst, nil
	}
	if class == nil {
		c, err := r.Tx.Class(ns, className)
		if err != nil {
			if errors.Is(err, cim.ErrNotFound) {
				return nil, nil
			}
			return nil, err
		}
		class = c
	}
	inst, err := r.Tx.Instance(ns, class, key)
	if errors.Is(err, cim.ErrNotFound) {
		return nil, nil
	}
	return inst, err
}

func (r *recorder) previousClass(ns, name string) (*cim.Class, error) {
	if r.classValid && strings.EqualFold(r.className, name) && strings.EqualFold(r.classNS, ns) {
		return r.class, nil
	}
	c, err := r.Tx.Class(ns, name)
	if errors.Is(err, cim.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

func (r *recorder) PutInstance(ns string, inst *cim.Instance) error {
	return r.putInstance(ns, inst, repository.InstanceKey(inst), false)
}

// putInstanceKeyed implements keyedPutter.
func (r *recorder) putInstanceKeyed(ns string, inst *cim.Instance, key string) error {
	return r.putInstance(ns, inst, key, true)
}

func (r *recorder) putInstance(ns string, inst *cim.Instance, key string, owned bool) error {
	prev, err := r.previousInstance(ns, inst.Class(), inst.ClassName(), key)
	if err != nil {
		return err
	}
	if kp, ok := r.Tx.(repository.KeyedPutter); ok {
		err = kp.PutInstanceKeyed(ns, inst, key)
	} else {
		err = r.Tx.PutInstance(ns, inst)
	}
	if err != nil {
		return err
	}
	r.instNS, r.instClass, r.instKey, r.inst, r.instValid = ns, inst.ClassName(), key, inst, true
	kind := changeInstanceCreated
	if prev != nil {
		kind = changeInstanceModified
	}
	r.changes = append(r.changes, change{kind: kind, ns: ns, inst: inst, prev: prev, owned: owned})
	return nil
}

// keyedPutter is a write transaction that takes an instance with its key
// (repository.InstanceKey) already worked out, and owns the instance from
// then on: the caller neither keeps nor changes it. putInstanceTx, which
// works the key out for its own checks and made the instance itself, uses
// it so that neither the key nor the copy an event carries is made twice
// (a MOF of 10^5 instances puts them all in one transaction).
type keyedPutter interface {
	putInstanceKeyed(ns string, inst *cim.Instance, key string) error
}

func (r *recorder) DeleteInstance(ns, className, key string) error {
	prev, err := r.previousInstance(ns, nil, className, key)
	if err != nil {
		return err
	}
	if err := r.Tx.DeleteInstance(ns, className, key); err != nil {
		return err
	}
	r.instValid = false
	if prev != nil {
		r.changes = append(r.changes, change{kind: changeInstanceDeleted, ns: ns, prev: prev})
	}
	return nil
}

func (r *recorder) PutClass(ns string, c *cim.Class) error {
	prev, err := r.previousClass(ns, c.Name)
	if err != nil {
		return err
	}
	if err := r.Tx.PutClass(ns, c); err != nil {
		return err
	}
	r.classNS, r.className, r.class, r.classValid = ns, c.Name, c, true
	kind := changeClassCreated
	if prev != nil {
		kind = changeClassModified
	}
	r.changes = append(r.changes, change{kind: kind, ns: ns, class: c, prevClass: prev})
	return nil
}

func (r *recorder) DeleteClass(ns, name string) error {
	prev, err := r.previousClass(ns, name)
	if err != nil {
		return err
	}
	if err := r.Tx.DeleteClass(ns, name); err != nil {
		return err
	}
	r.classValid, r.instValid = false, false
	if prev != nil {
		r.changes = append(r.changes, change{kind: changeClassDeleted, ns: ns, class: prev})
	}
	return nil
}

// splitNamespace returns the parent of a namespace and its own name.
func splitNamespace(ns string) (parent, name string) {
	if i := strings.LastIndexByte(ns, '\\'); i >= 0 {
		return ns[:i], ns[i+1:]
	}
	return "", ns
}

func (r *recorder) CreateNamespace(ns string) error {
	if err := r.Tx.CreateNamespace(ns); err != nil {
		return err
	}
	if parent, name := splitNamespace(ns); parent != "" {
		r.changes = append(r.changes, change{kind: changeNamespaceCreated, ns: parent, child: name})
	}
	return nil
}

func (r *recorder) DeleteNamespace(ns string) error {
	if err := r.Tx.DeleteNamespace(ns); err != nil {
		return err
	}
	r.classValid, r.instValid = false, false
	if parent, name := splitNamespace(ns); parent != "" {
		r.changes = append(r.changes, change{kind: changeNamespaceDeleted, ns: parent, child: name})
	}
	return nil
}

// commitLog follows one caller's write through the store: each run of its
// function (bbolt's Batch may run it more than once) and the outcome.
type commitLog struct {
	seq     *sequencer
	size    int    // how many changes a run is expected to make (capacity hint)
	number  uint64 // the number of the last successful run; 0: none
	changes []change
}

// run runs fn over a recorder of tx and numbers its changes when it
// succeeds. A run that follows another means the earlier one rolled back.
func (c *commitLog) run(tx repository.Tx, fn func(repository.Tx) error) error {
	if c.number != 0 {
		c.seq.publish(c.number, nil)
		c.number, c.changes = 0, nil
	}
	rec := &recorder{Tx: tx}
	if c.size > 0 {
		rec.changes = make([]change, 0, c.size)
	}
	if err := fn(newWriteTx(rec)); err != nil {
		return err
	}
	if len(rec.changes) > 0 {
		c.changes = rec.changes
		c.number = c.seq.assign()
	}
	return nil
}

// end publishes the changes of the last run if the store committed it (err
// is nil), and skips its number otherwise.
func (c *commitLog) end(err error) {
	if c.number == 0 {
		return
	}
	if err != nil {
		c.changes = nil
	}
	c.seq.publish(c.number, c.changes)
	c.number, c.changes = 0, nil
}

// sequencer numbers write transactions in commit order and hands their
// changes to dispatch in that order, from whichever goroutine completes the
// sequence; a goroutine that publishes while another dispatches only leaves
// its changes and returns.
type sequencer struct {
	mu          sync.Mutex
	next        uint64 // the number the next transaction gets
	head        uint64 // the next number to dispatch
	ready       map[uint64][]change
	dispatching bool
	dispatch    func(number uint64, changes []change)
}

func newSequencer(dispatch func(uint64, []change)) *sequencer {
	return &sequencer{next: 1, head: 1, ready: map[uint64][]change{}, dispatch: dispatch}
}

// assign returns the next number; the caller holds the store's write lock.
func (s *sequencer) assign() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.next
	s.next++
	return n
}

// publish completes number n with its changes (nil: rolled back) and
// dispatches every completed number in order unless another goroutine is
// already doing so.
func (s *sequencer) publish(n uint64, changes []change) {
	s.mu.Lock()
	s.ready[n] = changes
	if s.dispatching {
		s.mu.Unlock()
		return
	}
	s.dispatching = true
	for {
		ch, ok := s.ready[s.head]
		if !ok {
			break
		}
		delete(s.ready, s.head)
		n := s.head
		s.head++
		if len(ch) == 0 {
			continue
		}
		s.mu.Unlock()
		s.dispatch(n, ch)
		s.mu.Lock()
	}
	s.dispatching = false
	s.mu.Unlock()
}
