package identity

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Rights is a set of WMI's namespace access rights (WBEM_SECURITY_FLAGS),
// with WMI's values.
type Rights uint32

// The rights, named as WMI's constants without their prefix.
const (
	// Enable (WBEM_ENABLE) lets the caller use the namespace at all: read
	// classes and instances, run queries, subscribe to events.
	Enable Rights = 0x1
	// MethodExecute (WBEM_METHOD_EXECUTE) lets the caller call methods; the
	// provider may check further with the caller's account.
	MethodExecute Rights = 0x2
	// FullWrite (WBEM_FULL_WRITE_REP) lets the caller write classes and
	// static instances in the repository, and create and delete
	// namespaces.
	FullWrite Rights = 0x4
	// PartialWrite (WBEM_PARTIAL_WRITE_REP) lets the caller write static
	// instances, not classes.
	PartialWrite Rights = 0x8
	// ProviderWrite (WBEM_WRITE_PROVIDER) lets the caller put and delete
	// instances that providers serve; the provider may check further.
	ProviderWrite Rights = 0x10
	// RemoteAccess (WBEM_REMOTE_ACCESS) lets the caller do any of the
	// above from another machine.
	RemoteAccess Rights = 0x20
	// ReadSecurity (READ_CONTROL) lets the caller read the namespace's
	// access list.
	ReadSecurity Rights = 0x20000
	// EditSecurity (WRITE_DAC) lets the caller change it.
	EditSecurity Rights = 0x40000

	// AllRights is every right above.
	AllRights = Enable | MethodExecute | FullWrite | PartialWrite | ProviderWrite | RemoteAccess | ReadSecurity | EditSecurity
)

var rightNames = []struct {
	r    Rights
	name string
}{
	{Enable, "Enable"}, {MethodExecute, "MethodExecute"}, {FullWrite, "FullWrite"},
	{PartialWrite, "PartialWrite"}, {ProviderWrite, "ProviderWrite"}, {RemoteAccess, "RemoteAccess"},
	{ReadSecurity, "ReadSecurity"}, {EditSecurity, "EditSecurity"},
}

// String names the rights joined by "|", e.g. "Enable|MethodExecute";
// "none" for the empty set; bits WMI does not define print in hex.
func (r Rights) String() string {
	if r == 0 {
		return "none"
	}
	var parts []string
	for _, n := range rightNames {
		if r&n.r != 0 {
			parts = append(parts, n.name)
			r &^= n.r
		}
	}
	if r != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(r)))
	}
	return strings.Join(parts, "|")
}

// Names returns the names of the rights in r, in WMI's order.
func (r Rights) Names() []string {
	var out []string
	for _, n := range rightNames {
		if r&n.r != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Count returns how many rights r holds.
func (r Rights) Count() int { return bits.OnesCount32(uint32(r)) }

// RightNames returns the names of every right, in WMI's order.
func RightNames() []string { return AllRights.Names() }

// ParseRights reads right names (case-insensitive; "All" for AllRights,
// "none" for none, 0x… for a mask in hex), each element holding one or more
// joined by "|" or ",".
func ParseRights(names ...string) (Rights, error) {
	var r Rights
	for _, s := range names {
		for _, f := range strings.FieldsFunc(s, func(c rune) bool { return c == '|' || c == ',' }) {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			one, ok := parseRight(f)
			if !ok {
				return 0, fmt.Errorf("%q is not a right (rights: %s, All)", f, strings.Join(RightNames(), ", "))
			}
			r |= one
		}
	}
	return r, nil
}

func parseRight(s string) (Rights, bool) {
	switch {
	case strings.EqualFold(s, "All"):
		return AllRights, true
	case strings.EqualFold(s, "none"):
		return 0, true
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		n, err := strconv.ParseUint(s[2:], 16, 32)
		return Rights(n), err == nil
	}
	for _, n := range rightNames {
		if strings.EqualFold(s, n.name) {
			return n.r, true
		}
	}
	return 0, false
}
