package identity

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode"
)

// Limits of an access list's text.
const (
	// MaxACLEntries bounds the entries of one access list.
	MaxACLEntries = 1024
	// MaxACLBytes bounds its text.
	MaxACLBytes = 64 << 10
	// MaxTrusteeName bounds a user or group name in it.
	MaxTrusteeName = 256
)

// Trustee is whom an access list entry names: a user or a group.
type Trustee struct {
	Name  string
	Group bool
}

// String writes the trustee as "user:NAME" or "group:NAME".
func (t Trustee) String() string {
	if t.Group {
		return "group:" + t.Name
	}
	return "user:" + t.Name
}

// ParseTrustee reads "user:NAME", "group:NAME" or a bare NAME (a user).
func ParseTrustee(s string) (Trustee, error) {
	s = strings.TrimSpace(s)
	t := Trustee{Name: s}
	if n, ok := cutPrefixFold(s, "group:"); ok {
		t = Trustee{Name: n, Group: true}
	} else if n, ok := cutPrefixFold(s, "user:"); ok {
		t.Name = n
	}
	if t.Name == "" || len(t.Name) > MaxTrusteeName || strings.IndexFunc(t.Name, unicode.IsControl) >= 0 {
		return Trustee{}, fmt.Errorf("trustee %q: want user:NAME or group:NAME, 1 to %d characters without control characters", s, MaxTrusteeName)
	}
	return t, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Matches reports whether the trustee names the caller: its user name
// (compared exactly, as account names are) or one of its groups (compared
// without regard to case; see Caller.InGroup).
func (t Trustee) Matches(c *Caller) bool {
	if t.Group {
		return c.InGroup(t.Name)
	}
	return t.Name == c.Name
}

// ACE is one entry of an access list: it allows or denies rights to a
// trustee. A denial wins over any allowance.
type ACE struct {
	Deny    bool
	Rights  Rights
	Trustee Trustee
}

// ACL is a namespace's access list (the discretionary part of WMI's security
// descriptor). A namespace without one inherits its parent's; the root's
// default is DefaultACL.
type ACL []ACE

// DefaultACL is WMI's default: administrators hold every right; every other
// authenticated account may read, call methods and write through providers
// locally, but has no RemoteAccess until it is granted.
func DefaultACL() ACL {
	return ACL{
		{Rights: AllRights, Trustee: Trustee{Name: AdministratorsGroup, Group: true}},
		{Rights: Enable | MethodExecute | ProviderWrite, Trustee: Trustee{Name: EveryoneGroup, Group: true}},
	}
}

// Rights returns the rights the list gives c: the union of the rights of
// the entries that allow c less those of the entries that deny c. An
// administrator holds every right whatever the list says, so that no list
// can lock the administrators out.
func (l ACL) Rights(c *Caller) Rights {
	if c == nil || c.Admin {
		return AllRights
	}
	var allow, deny Rights
	for _, e := range l {
		if e.Trustee.Matches(c) {
			if e.Deny {
				deny |= e.Rights
			} else {
				allow |= e.Rights
			}
		}
	}
	return allow &^ deny
}

// Grant returns a copy of l in which t is allowed r (added to its allowing
// entry, or in a new one) and no longer denied r.
func (l ACL) Grant(t Trustee, r Rights) ACL {
	out := make(ACL, 0, len(l)+1)
	found := false
	for _, e := range l {
		if e.Trustee == t {
			if e.Deny {
				e.Rights &^= r
				if e.Rights == 0 {
					continue
				}
			} else {
				e.Rights |= r
				found = true
			}
		}
		out = append(out, e)
	}
	if !found {
		out = append(out, ACE{Rights: r, Trustee: t})
	}
	return out
}

// Revoke returns a copy of l in which no entry allows t any of r. (Rights t
// holds through a group stay; deny them to take them away.)
func (l ACL) Revoke(t Trustee, r Rights) ACL {
	out := make(ACL, 0, len(l))
	for _, e := range l {
		if e.Trustee == t && !e.Deny {
			e.Rights &^= r
			if e.Rights == 0 {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// Deny returns a copy of l in which t is denied r.
func (l ACL) Deny(t Trustee, r Rights) ACL {
	out := make(ACL, 0, len(l)+1)
	found := false
	for _, e := range l {
		if e.Trustee == t && e.Deny {
			e.Rights |= r
			found = true
		}
		out = append(out, e)
	}
	if !found {
		out = append(out, ACE{Deny: true, Rights: r, Trustee: t})
	}
	return out
}

// MarshalText writes the list one entry a line:
//
//	allow Enable|MethodExecute group:Everyone
//	deny MethodExecute user:eve
//
// The trustee comes last, so that a name may hold spaces.
func (l ACL) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	for _, e := range l {
		kind := "allow"
		if e.Deny {
			kind = "deny"
		}
		fmt.Fprintf(&b, "%s %s %s\n", kind, e.Rights, e.Trustee)
	}
	return b.Bytes(), nil
}

// ParseACL reads what MarshalText writes; blank lines and lines starting
// with # are ignored. An error names the line.
func ParseACL(text []byte) (ACL, error) {
	if len(text) > MaxACLBytes {
		return nil, fmt.Errorf("access list of %d bytes: the limit is %d", len(text), MaxACLBytes)
	}
	var l ACL
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 1024), MaxACLBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseACE(line)
		if err != nil {
			return nil, fmt.Errorf("access list line %d: %w", n, err)
		}
		if len(l) == MaxACLEntries {
			return nil, fmt.Errorf("access list line %d: more than %d entries", n, MaxACLEntries)
		}
		l = append(l, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("access list: %w", err)
	}
	return l, nil
}

func parseACE(line string) (ACE, error) {
	kind, rest, _ := strings.Cut(line, " ")
	rights, trustee, _ := strings.Cut(strings.TrimSpace(rest), " ")
	var e ACE
	switch strings.ToLower(kind) {
	case "allow":
	case "deny":
		e.Deny = true
	default:
		return e, fmt.Errorf("%q: an entry starts with allow or deny", line)
	}
	r, err := ParseRights(rights)
	if err != nil {
		return e, err
	}
	if r == 0 && !strings.EqualFold(rights, "none") {
		return e, fmt.Errorf("%q: no rights", line)
	}
	e.Rights = r
	if e.Trustee, err = ParseTrustee(trustee); err != nil {
		return e, err
	}
	return e, nil
}
