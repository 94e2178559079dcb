package repository

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// Memory is a Store held in memory, for tests and for programs that want no
// files. Writers are serialized; a failed Update is rolled back.
type Memory struct {
	mu  sync.RWMutex
	nss map[string]*memNamespace // lower-case name → namespace
}

type memNamespace struct {
	name      string
	classes   map[string]*cim.Class
	instances map[string]map[string]*cim.Instance // lower-case class → key → instance
	// qualifiers are the qualifier declarations, by lower-case name.
	qualifiers map[string]*cim.QualifierDecl
}

// NewMemory returns an empty in-memory store holding the namespace root.
func NewMemory() *Memory {
	m := &Memory{nss: map[string]*memNamespace{}}
	m.nss["root"] = newMemNamespace("root")
	return m
}

func newMemNamespace(name string) *memNamespace {
	return &memNamespace{name: name, classes: map[string]*cim.Class{}, instances: map[string]map[string]*cim.Instance{}}
}

// View runs fn under a read lock.
func (m *Memory) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return fn(&memTx{m: m})
}

// Update runs fn under the write lock and undoes its changes if it fails.
func (m *Memory) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := &memTx{m: m, write: true}
	if err := fn(tx); err != nil {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
		return err
	}
	return nil
}

// Instances takes a snapshot of the class's instances and streams copies.
func (m *Memory) Instances(ctx context.Context, ns string, class *cim.Class, fn func(*cim.Instance) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	n := m.nss[strings.ToLower(ns)]
	if n == nil {
		m.mu.RUnlock()
		return cim.Errorf(cim.WBEM_E_INVALID_NAMESPACE, "namespace %s does not exist", ns)
	}
	set := n.instances[strings.ToLower(class.Name)]
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	snap := make([]*cim.Instance, len(keys))
	for i, k := range keys {
		snap[i] = set[k]
	}
	m.mu.RUnlock()
	for _, inst := range snap {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rebind(inst, class)); err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing.
func (m *Memory) Close() error { return nil }

// rebind returns a copy of inst laid out by class: values move by property
// name, a property the stored instance lacks (added to the class since) keeps
// its default.
func rebind(inst *cim.Instance, class *cim.Class) *cim.Instance {
	if inst.Class() == class {
		return inst.Clone()
	}
	out := class.NewInstance()
	for i := range class.Properties {
		if j := inst.Class().PropertyIndex(class.Properties[i].Name); j >= 0 {
			out.SetAt(i, inst.At(j))
		}
	}
	return out
}

type memTx struct {
	m     *Memory
	write bool
	undo  []func()

	lastName, lastLower string // lower's memo: a load puts one class many times
}

// lower returns strings.ToLower(s), from a memo of the last name asked.
func (t *memTx) lower(s string) string {
	if s != t.lastName {
		t.lastName, t.lastLower = s, strings.ToLower(s)
	}
	return t.lastLower
}

func (t *memTx) ns(name string) (*memNamespace, error) {
	n := t.m.nss[strings.ToLower(name)]
	if n == nil {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_NAMESPACE, "namespace %s does not exist", name)
	}
	return n, nil
}

// writeNS returns the namespace a write goes to: WBEM_E_READ_ONLY in a
// read-only transaction, WBEM_E_INVALID_NAMESPACE when there is none.
func (t *memTx) writeNS(ns string) (*memNamespace, error) {
	if err := t.mustWrite(); err != nil {
		return nil, err
	}
	return t.ns(ns)
}

func (t *memTx) mustWrite() error {
	if !t.write {
		return cim.Errorf(cim.WBEM_E_READ_ONLY, "write in a read-only transaction")
	}
	return nil
}

func (t *memTx) NamespaceExists(ns string) bool { return t.m.nss[strings.ToLower(ns)] != nil }

func (t *memTx) Namespaces(ns string) ([]string, error) {
	if _, err := t.ns(ns); err != nil {
		return nil, err
	}
	prefix := strings.ToLower(ns) + `\`
	var out []string
	for k, n := range t.m.nss {
		if strings.HasPrefix(k, prefix) && !strings.Contains(k[len(prefix):], `\`) {
			out = append(out, n.name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (t *memTx) CreateNamespace(ns string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	k := strings.ToLower(ns)
	if t.m.nss[k] != nil {
		return cim.Errorf(cim.WBEM_E_ALREADY_EXISTS, "namespace %s already exists", ns)
	}
	i := strings.LastIndexByte(ns, '\\')
	if i < 0 || t.m.nss[strings.ToLower(ns[:i])] == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_NAMESPACE, "parent of namespace %s does not exist", ns)
	}
	t.m.nss[k] = newMemNamespace(ns)
	t.undo = append(t.undo, func() { delete(t.m.nss, k) })
	return nil
}

func (t *memTx) DeleteNamespace(ns string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	k := strings.ToLower(ns)
	if t.m.nss[k] == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_NAMESPACE, "namespace %s does not exist", ns)
	}
	for name, n := range t.m.nss {
		if name == k || strings.HasPrefix(name, k+`\`) {
			delete(t.m.nss, name)
			t.undo = append(t.undo, func() { t.m.nss[name] = n })
		}
	}
	return nil
}

func (t *memTx) Class(ns, name string) (*cim.Class, error) {
	n, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	c := n.classes[strings.ToLower(name)]
	if c == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: name, Description: "class " + name + " does not exist in " + ns}
	}
	return c.Clone(), nil // the caller's own, as bbolt's decoded copy is
}

func (t *memTx) Subclasses(ns, name string) ([]string, error) {
	n, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range n.classes {
		if cim.EqualFold(c.Superclass, name) {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (t *memTx) PutClass(ns string, c *cim.Class) error {
	n, err := t.writeNS(ns)
	if err != nil {
		return err
	}
	k := strings.ToLower(c.Name)
	setUndoable(t, n.classes, k, c.Clone())
	return nil
}

func (t *memTx) DeleteClass(ns, name string) error {
	n, err := t.writeNS(ns)
	if err != nil {
		return err
	}
	k := strings.ToLower(name)
	old, had := n.classes[k]
	if !had {
		return cim.Errorf(cim.WBEM_E_NOT_FOUND, "class %s does not exist in %s", name, ns)
	}
	insts := n.instances[k]
	delete(n.classes, k)
	delete(n.instances, k)
	t.undo = append(t.undo, func() {
		n.classes[k] = old
		if insts != nil {
			n.instances[k] = insts
		}
	})
	return nil
}

func (t *memTx) Instance(ns string, class *cim.Class, key string) (*cim.Instance, error) {
	n, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	inst := n.instances[t.lower(class.Name)][key]
	if inst == nil {
		// Not fmt: a put asks first, so a load of many new instances
		// makes this error for each.
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Description: "no instance " + key}
	}
	return rebind(inst, class), nil
}

func (t *memTx) PutInstance(ns string, inst *cim.Instance) error {
	return t.PutInstanceKeyed(ns, inst, InstanceKey(inst))
}

// PutInstanceKeyed implements KeyedPutter.
func (t *memTx) PutInstanceKeyed(ns string, inst *cim.Instance, key string) error {
	n, err := t.writeNS(ns)
	if err != nil {
		return err
	}
	ck := t.lower(inst.ClassName())
	set := n.instances[ck]
	if set == nil {
		set = map[string]*cim.Instance{}
		n.instances[ck] = set
	}
	setUndoable(t, set, key, inst.Clone())
	return nil
}

// setUndoable sets m[k] to v and records how the transaction's rollback puts
// back what was there before.
func setUndoable[V any](t *memTx, m map[string]V, k string, v V) {
	old, had := m[k]
	m[k] = v
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

func (t *memTx) DeleteInstance(ns, className, key string) error {
	n, err := t.writeNS(ns)
	if err != nil {
		return err
	}
	set := n.instances[strings.ToLower(className)]
	old, had := set[key]
	if !had {
		return cim.Errorf(cim.WBEM_E_NOT_FOUND, "no instance %s", key)
	}
	delete(set, key)
	t.undo = append(t.undo, func() { set[key] = old })
	return nil
}

func (t *memTx) HasInstances(ns, className string) (bool, error) {
	n, err := t.ns(ns)
	if err != nil {
		return false, err
	}
	return len(n.instances[strings.ToLower(className)]) > 0, nil
}

func (t *memTx) ForEachInstance(ns string, class *cim.Class, fn func(*cim.Instance) error) error {
	n, err := t.ns(ns)
	if err != nil {
		return err
	}
	set := n.instances[strings.ToLower(class.Name)]
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn(rebind(set[k], class)); err != nil {
			return err
		}
	}
	return nil
}
