package cim

// ObjectPath locates a class or an instance: an optional server and namespace, a
// class name, and either nothing (a class path), the singleton marker (Class=@)
// or key bindings.
type ObjectPath struct {
	Server    string       // "" when local (or when written as ".")
	Namespace string       // with backslashes, e.g. `root\cimv2`; "" when relative
	Class     string       //
	Keys      []KeyBinding // nil for a class path
	Singleton bool         // Class=@
}

// KeyBinding is one key of an instance path. Name is "" in the bare shorthand
// Class=value, until the class resolves it.
type KeyBinding struct {
	Name  string
	Value Value // a string, integer, boolean or reference value
}

// ParsePath parses an object path in WMI's form (\\server\root\cimv2:Class.K="v",
// Class=@, Class=value, single or double quotes) or DMTF's (//server/root/cimv2:Class.K="v").
// A malformed path gives WBEM_E_INVALID_OBJECT_PATH naming the position.
func ParsePath(s string) (ObjectPath, error) { panic("unimplemented") }

// String formats p in WMI's form.
func (p ObjectPath) String() string { panic("unimplemented") }

// RelPath formats p without server and namespace (what __RELPATH holds).
func (p ObjectPath) RelPath() string { panic("unimplemented") }

// DMTF formats p in DMTF's form with forward slashes.
func (p ObjectPath) DMTF() string { panic("unimplemented") }

// IsClass reports whether p names a class rather than an instance.
func (p ObjectPath) IsClass() bool { return len(p.Keys) == 0 && !p.Singleton }

// KeyString returns a canonical string for the instance's identity within its
// namespace: equal for paths that WMI considers equal (key order, quote style
// and case do not matter).
func (p ObjectPath) KeyString() string { panic("unimplemented") }

// Equal reports whether p and q locate the same object.
func (p ObjectPath) Equal(q ObjectPath) bool { panic("unimplemented") }
