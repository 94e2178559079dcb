package wsman

import (
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// classCache keeps class definitions that typing objects needs (the client
// reading a response, the server reading a Put's or an Invoke's body), so
// that a batch of instances costs one class lookup, not one per object.
//
// Its rule is the object manager's (cimom's classCache): a class is served
// from the cache only while no schema write that could change it has been
// missed.
//
//   - Every schema write the cache can see empties it: the client's own
//     PutClass and DeleteClass (Client.forgetClasses).
//   - Where writes can happen that it cannot see, an entry is not trusted
//     past them. The client cannot see other clients' schema writes: it
//     reads an object that does not fit its cached class (a property the
//     class lacks, a value of another type) again with a fresh one, and
//     GetObject of a class always asks the server. The server's cache
//     lives for one request, whose class lookups come before the operation
//     they type; the backend checks the class again when it runs it.
//   - Nothing else expires an entry; a full cache (max entries) is emptied.
//
// Classes in the cache are shared and must not be changed; callers get
// clones (see cim.Class).
type classCache struct {
	max     int
	mu      sync.Mutex
	classes map[string]*cim.Class // classKey(namespace, name)
}

// The caches' sizes: the client's holds the classes of every namespace it
// reads; the server's, the classes of one request's body.
const (
	maxClientClasses  = 4096
	maxRequestClasses = 64
)

func newClassCache(max int) *classCache {
	return &classCache{max: max, classes: map[string]*cim.Class{}}
}

func classKey(ns, name string) string { return strings.ToLower(ns) + "\x00" + strings.ToLower(name) }

func (c *classCache) get(ns, name string) (*cim.Class, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.classes[classKey(ns, name)]
	return cl, ok
}

func (c *classCache) put(ns string, cl *cim.Class) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.classes) >= c.max {
		clear(c.classes)
	}
	c.classes[classKey(ns, cl.Name)] = cl
}

// forget empties the cache: a schema write it can see happened.
func (c *classCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.classes)
}
