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
// they were compiled for). Every write that can change a class invalidates
// the whole cache; an entry read before the invalidation is never stored
// after it.
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

// writeTx marks a write transaction: class lookups in it bypass the cache,
// which does not see its uncommitted changes.
type writeTx struct{ repository.Tx }

// batch runs fn in a write transaction that concurrent callers may share,
// when the store can (repository.Batcher), and in its own otherwise. fn must
// not change classes or namespaces, and may run more than once.
func (om *ObjectManager) batch(ctx context.Context, fn func(repository.Tx) error) error {
	if b, ok := om.store.(repository.Batcher); ok {
		return b.Batch(ctx, func(tx repository.Tx) error { return fn(writeTx{tx}) })
	}
	return om.update(ctx, false, fn)
}

// update runs fn in one write transaction; when schema is true (the write can
// change classes or namespaces) the class cache is invalidated afterwards.
func (om *ObjectManager) update(ctx context.Context, schema bool, fn func(repository.Tx) error) error {
	if schema {
		defer om.cache.invalidate()
	}
	return om.store.Update(ctx, func(tx repository.Tx) error { return fn(writeTx{tx}) })
}
