// Package classcache keeps the class definitions that the protocol clients
// and servers need to type the objects they read (a response's instances,
// a Put's or an Invoke's body), so that a batch of instances costs one class
// lookup, not one per object.
//
// Its rule is the object manager's (cimom's classCache): a class is served
// from a cache only while no schema write that could change it has been
// missed.
//
//   - Every schema write a cache can see empties it: a client's own PutClass
//     and DeleteClass (Cache.Forget).
//   - Where writes can happen that a cache cannot see, an entry is not
//     trusted past them. A client cannot see other clients' schema writes:
//     it reads an object that does not fit its cached class (a property the
//     class lacks, a value of another type) again with a fresh one, and
//     GetObject of a class always asks the server. A server's cache lives
//     for one request, whose class lookups come before the operation they
//     type; the backend checks the class again when it runs it.
//   - Nothing else expires an entry; a full cache (its size given to New)
//     is emptied.
//
// Classes in a cache are shared and must not be changed: what a caller of a
// client gets is a clone (see cim.Class.Clone).
package classcache

import (
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// The caches' sizes: a client's holds the classes of every namespace it
// reads; a server's, the classes of one request's body.
const (
	MaxClient  = 4096
	MaxRequest = 64
)

// Cache is a class cache, safe for concurrent use. Namespaces and class
// names are case-insensitive.
type Cache struct {
	max     int
	mu      sync.Mutex
	classes map[string]*cim.Class // key(namespace, name)
}

// New returns an empty cache that holds at most max classes.
func New(max int) *Cache {
	return &Cache{max: max, classes: map[string]*cim.Class{}}
}

func key(ns, name string) string { return strings.ToLower(ns) + "\x00" + strings.ToLower(name) }

// Get returns the class name of namespace ns, if the cache holds it.
func (c *Cache) Get(ns, name string) (*cim.Class, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.classes[key(ns, name)]
	return cl, ok
}

// Put keeps cl as the class cl.Name of namespace ns; a full cache is
// emptied first. The cache owns cl from then on.
func (c *Cache) Put(ns string, cl *cim.Class) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.classes) >= c.max {
		clear(c.classes)
	}
	c.classes[key(ns, cl.Name)] = cl
}

// Forget empties the cache: a schema write it can see happened.
func (c *Cache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.classes)
}

// Len returns how many classes the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.classes)
}
