package cimom

import (
	"context"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// classCache keeps located classes and subclass lists between operations, so
// a hot query neither decodes its class from the store nor gets a fresh copy
// of it each time (compiled queries are fastest for the very class pointer
// they were compiled for).
//
// The rule, which is the whole of its correctness:
//
//   - Every committed write that can change a class or a namespace (update
//     with schema set: PutClass, DeleteClass, a MOF apply, a namespace
//     created or deleted) clears the cache and advances its generation
//     after the commit and before the write returns, so the writer's next
//     read sees the change.
//   - A read transaction (view) reads the generation before the store opens
//     the transaction, hence before its snapshot is taken; it stores what it
//     read only if the generation is still that one. A reader whose snapshot
//     predates a schema commit therefore never stores what it read after
//     that commit's invalidation: at worst it stores it just before, and the
//     invalidation clears it.
//   - Write transactions bypass the cache both ways: they see their own
//     uncommitted changes, which other readers must not.
//   - Nothing else expires an entry: instance writes never change a class.
type classCache struct {
	mu      sync.RWMutex
	gen     uint64
	classes map[string]*cim.Class
	desc    map[string][]*cim.Class
}

func cacheKey(ns, name string) string { return strings.ToLower(ns) + "\x00" + strings.ToLower(name) }

func (c *classCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *classCache) class(key string) *cim.Class {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.classes[key]
}

func (c *classCache) descendants(key string) ([]*cim.Class, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.desc[key]
	return d, ok
}

func (c *classCache) put(gen uint64, key string, class *cim.Class, desc []*cim.Class, isDesc bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.classes == nil {
		c.classes, c.desc = map[string]*cim.Class{}, map[string][]*cim.Class{}
	}
	if isDesc {
		c.desc[key] = desc
	} else {
		c.classes[key] = class
	}
}

func (c *classCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.classes, c.desc = nil, nil
}

// writeTx marks a write transaction: class lookups in it bypass the shared
// cache, which must not see its uncommitted changes, and use a memo of their
// own instead, which the transaction's own schema changes clear (a MOF
// compile of many instances looks their class up for each).
type writeTx struct {
	repository.Tx
	classes map[string]*cim.Class   // cacheKey → class, as this transaction sees it
	layouts map[[2]*cim.Class][]int // rebind's property maps

	lastNS, lastName string     // the last class looked up, as asked
	last             *cim.Class // (nil: none)
}

func newWriteTx(tx repository.Tx) *writeTx { return &writeTx{Tx: tx} }

// putInstanceKeyed implements keyedPutter over a recorder; other stores get
// the instance by PutInstance.
func (t *writeTx) putInstanceKeyed(ns string, inst *cim.Instance, key string) error {
	if kp, ok := t.Tx.(keyedPutter); ok {
		return kp.putInstanceKeyed(ns, inst, key)
	}
	return t.Tx.PutInstance(ns, inst)
}

func (t *writeTx) forget() { t.classes, t.layouts, t.last = nil, nil, nil }

func (t *writeTx) remember(key string, c *cim.Class) {
	if t.classes == nil {
		t.classes = map[string]*cim.Class{}
	}
	t.classes[key] = c
}

// PutClass implements repository.Tx.
func (t *writeTx) PutClass(ns string, c *cim.Class) error {
	t.forget()
	return t.Tx.PutClass(ns, c)
}

// DeleteClass implements repository.Tx.
func (t *writeTx) DeleteClass(ns, name string) error {
	t.forget()
	return t.Tx.DeleteClass(ns, name)
}

// CreateNamespace implements repository.Tx.
func (t *writeTx) CreateNamespace(ns string) error {
	t.forget()
	return t.Tx.CreateNamespace(ns)
}

// DeleteNamespace implements repository.Tx.
func (t *writeTx) DeleteNamespace(ns string) error {
	t.forget()
	return t.Tx.DeleteNamespace(ns)
}

// readTx marks a read transaction with the cache generation read before it
// began: what it finds may be cached under that generation only.
type readTx struct {
	repository.Tx
	gen uint64
}

// view runs fn in a read transaction whose class lookups use the cache (see
// classCache for the rule).
func (om *ObjectManager) view(ctx context.Context, fn func(repository.Tx) error) error {
	gen := om.cache.generation() // before the snapshot: the order matters
	return om.store.View(ctx, func(tx repository.Tx) error { return fn(readTx{tx, gen}) })
}

// batch runs fn in a write transaction that concurrent callers may share,
// when the store can (repository.Batcher), and in its own otherwise. fn must
// not change classes or namespaces, and may run more than once.
// Once the store committed, the event engine raises the events of what fn
// changed (eventlog.go).
func (om *ObjectManager) batch(ctx context.Context, fn func(repository.Tx) error) error {
	if b, ok := om.store.(repository.Batcher); ok {
		c := om.events.commitLog()
		err := b.Batch(ctx, func(tx repository.Tx) error { return c.run(tx, fn) })
		c.end(err)
		return err
	}
	return om.update(ctx, false, fn)
}

// update runs fn in one write transaction; when schema is true (the write can
// change classes or namespaces) the class cache is invalidated afterwards.
// Once the store committed, the event engine raises the events of what fn
// changed.
func (om *ObjectManager) update(ctx context.Context, schema bool, fn func(repository.Tx) error) error {
	return om.updateSized(ctx, schema, 0, fn)
}

// updateSized is update for a transaction expected to make about size
// changes (Apply's plan), so that their record is allocated once.
func (om *ObjectManager) updateSized(ctx context.Context, schema bool, size int, fn func(repository.Tx) error) error {
	c := om.events.commitLog()
	c.size = size
	err := func() error {
		if schema {
			defer om.cache.invalidate()
		}
		return om.store.Update(ctx, func(tx repository.Tx) error { return c.run(tx, fn) })
	}()
	c.end(err)
	return err
}
