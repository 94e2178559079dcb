// Package repository stores namespaces, class definitions and static instances:
// one Store interface with an in-memory implementation for tests and an
// on-disk one as the default.
//
// The on-disk store, Bolt, documents its file layout, record encoding,
// versioning, durability, locking and state directory on its type.
package repository

import (
	"context"

	"github.com/gowbem/gowbem/cim"
)

// Store holds the repository. Reads see a consistent snapshot; every write is
// one transaction that commits whole or not at all.
type Store interface {
	// View runs fn in a read-only snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in one write transaction: if fn returns an error, nothing
	// it did is kept.
	Update(ctx context.Context, fn func(Tx) error) error
	// Instances streams the static instances of exactly the class className in
	// namespace ns, decoding each with class, without loading them all into
	// memory. It stops at the first error fn returns and returns that error.
	Instances(ctx context.Context, ns string, class *cim.Class, fn func(*cim.Instance) error) error
	// Close releases the store.
	Close() error
}

// Batcher is implemented by stores that let concurrent writers share one
// commit (Bolt does, through bbolt's Batch): when Batch returns nil the
// change is durable, as with Update, but fn may run more than once, so it must
// have no effect outside the transaction.
type Batcher interface {
	Batch(ctx context.Context, fn func(Tx) error) error
}

// Tx is a transaction over the store. Namespace names use backslashes
// (`root\cimv2`) and compare case-insensitively; so do class names. A Tx is
// used by one goroutine.
type Tx interface {
	// NamespaceExists reports whether ns exists.
	NamespaceExists(ns string) bool
	// Namespaces lists the direct children of ns (their full names).
	Namespaces(ns string) ([]string, error)
	// CreateNamespace creates ns; its parent must exist.
	CreateNamespace(ns string) error
	// DeleteNamespace deletes ns with its children, classes and instances.
	DeleteNamespace(ns string) error

	// Class returns a complete class, the caller's own copy;
	// WBEM_E_NOT_FOUND when absent.
	Class(ns, name string) (*cim.Class, error)
	// Subclasses lists the names of the direct subclasses of name ("" for the
	// top-level classes).
	Subclasses(ns, name string) ([]string, error)
	// PutClass stores a complete class (creating or replacing it); what the
	// caller does with c afterwards does not change the stored class.
	PutClass(ns string, c *cim.Class) error
	// DeleteClass deletes one class and its instances (not its subclasses).
	DeleteClass(ns, name string) error

	// Instance returns the instance of class with the canonical key string key;
	// WBEM_E_NOT_FOUND when absent.
	Instance(ns string, class *cim.Class, key string) (*cim.Instance, error)
	// PutInstance stores inst under its canonical key string.
	PutInstance(ns string, inst *cim.Instance) error
	// DeleteInstance deletes the instance of className with key.
	DeleteInstance(ns, className, key string) error
	// HasInstances reports whether className has any static instance.
	HasInstances(ns, className string) (bool, error)
	// ForEachInstance calls fn for each instance of exactly class within this
	// transaction.
	ForEachInstance(ns string, class *cim.Class, fn func(*cim.Instance) error) error

	// Qualifier returns the declaration of the qualifier called name, the
	// caller's own copy; WBEM_E_NOT_FOUND when ns declares none.
	Qualifier(ns, name string) (*cim.QualifierDecl, error)
	// Qualifiers lists the qualifier declarations of ns, ordered by their
	// lower-cased names.
	Qualifiers(ns string) ([]*cim.QualifierDecl, error)
	// PutQualifier stores a qualifier declaration (creating or replacing
	// it) after checking it (cim.QualifierDecl.Check).
	PutQualifier(ns string, q *cim.QualifierDecl) error
	// DeleteQualifier deletes a qualifier declaration; WBEM_E_NOT_FOUND when
	// there is none.
	DeleteQualifier(ns, name string) error
}

// KeyedPutter is implemented by transactions that store an instance under a
// key the caller has worked out already: PutInstanceKeyed(ns, inst, key) is
// PutInstance(ns, inst) for key == InstanceKey(inst), without working the
// key out again (the object manager does, to check whether the instance
// exists, for each of a load's instances).
type KeyedPutter interface {
	PutInstanceKeyed(ns string, inst *cim.Instance, key string) error
}

// InstanceKey returns the key under which inst is stored: its path's canonical
// key string.
func InstanceKey(inst *cim.Instance) string { return inst.ObjectPath().KeyString() }
