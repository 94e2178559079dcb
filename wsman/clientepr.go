package wsman

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// The client asks for references where it needs an object's path and not
// (or not only) the object: wsman:EnumerationMode EnumerateEPR answers
// with one wsa:EndpointReference per object, EnumerateObjectAndEPR with a
// wsman:Item holding the object and its reference. An endpoint reference
// names an object as Get would: the class in wsman:ResourceURI (WMI's form
// with the namespace, DMTF's or a vendor's ending in the class name), the
// keys as wsman:Selector elements (a reference key as a nested endpoint
// reference), the namespace in the __cimnamespace selector where the URI
// does not carry it, and otherwise the namespace of the request (OMI sends
// no __cimnamespace in its references).

// Enumeration modes (DSP0226 8.7).
const (
	modeNameEPR          = "EnumerateEPR"
	modeNameObjectAndEPR = "EnumerateObjectAndEPR"
)

// badEPR is the error of an endpoint reference from the server that names
// no object.
func badEPR(line int, why string) error {
	if strings.HasPrefix(why, "line ") {
		// the reason says where
		return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT_PATH,
			Description: "the server sent an endpoint reference that names no object: " + why}
	}
	return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT_PATH,
		Description: fmt.Sprintf("line %d: the server sent an endpoint reference that names no object: %s", line, why)}
}

// parseEPRPath reads an endpoint reference from a server (wsa:EndpointReference,
// or any element holding wsa:Address and wsa:ReferenceParameters) as the path of
// the object it names, in namespace ns unless it says another: relative
// (no namespace) when in ns. lookup, when not nil, types the keys by the
// class's definition. The path is one that ParsePath reads back; anything
// else is WBEM_E_INVALID_OBJECT_PATH saying what is wrong.
func parseEPRPath(n *node, ns string, lookup func(ns, name string) (*cim.Class, error)) (cim.ObjectPath, error) {
	if n == nil {
		return cim.ObjectPath{}, badEPR(0, "it is missing")
	}
	e, err := readEPR(n)
	if err != nil {
		var f *fault
		if errors.As(err, &f) {
			return cim.ObjectPath{}, badEPR(n.Line, f.reason)
		}
		return cim.ObjectPath{}, badEPR(n.Line, err.Error())
	}
	if e.ResourceURI == "" {
		return cim.ObjectPath{}, badEPR(n.Line, "it has no wsman:ResourceURI")
	}
	rd := &reader{ns: ns}
	p, err := rd.eprPath(e)
	if err != nil {
		return cim.ObjectPath{}, badEPR(n.Line, cim.AsError(err).Description)
	}
	if lookup != nil {
		// Again with the class of the path's namespace, which types the
		// keys (and drops DMTF's CIM_Key selectors, as WinRM sends them).
		pns := ns
		if p.Namespace != "" {
			pns = p.Namespace
		}
		rd.lookup = func(name string) (*cim.Class, error) { return lookup(pns, name) }
		if q, err := rd.eprPath(e); err == nil {
			p = q
		}
	}
	// What a hostile server could make of a path (a selector named
	// "a=1,b", a namespace with a colon) does not read back as the same
	// path: refused here rather than handed to the caller.
	s := p.String()
	back, err := cim.ParsePath(s)
	if err != nil || !back.Equal(p) || back.String() != s {
		why := "its class, selectors or namespace do not make an object path"
		if err != nil {
			why += " (" + cim.AsError(err).Description + ")"
		}
		return cim.ObjectPath{}, badEPR(n.Line, why)
	}
	return p, nil
}

// pathInstance makes the instance an EnumerateEPR item stands for: of the
// class of path p (in the reader's namespace unless p names another)
// projected to its keys (nil names: KeysOnly) or as a WQL SELECT of the
// system properties in names projects it, its keys set from p —
// what the object manager gives for KeysOnly or SELECT __PATH. Without
// the class's definition the class is made up from the path: its keys,
// strings (or references) as the selectors gave them.
func (o *objReader) pathInstance(p cim.ObjectPath, names []string) (*cim.Instance, error) {
	ns := o.ns
	if p.Namespace != "" {
		ns = cim.NormalNamespace(p.Namespace)
	}
	cl, err := o.c.class(o.ctx, ns, p.Class, false)
	if err != nil {
		if !canDoWithout(err) {
			return nil, err
		}
		if cl, err = pathClass(p); err != nil {
			return nil, err
		}
		cl = cl.Located(o.server, ns)
	}
	q, err := p.Resolve(cl)
	if err != nil {
		// The class may have changed since it was cached.
		if fresh, ferr := o.c.class(o.ctx, ns, p.Class, true); ferr == nil {
			cl = fresh
			q, err = p.Resolve(cl)
		}
		if err != nil {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT_PATH, Parameter: p.String(),
				Description: "the server sent a reference that does not fit its class's definition: " + cim.AsError(err).Description}
		}
	}
	proj := cl.Project(names, names == nil)
	inst := proj.NewInstance()
	for _, k := range q.Keys {
		if i := proj.PropertyIndex(k.Name); i >= 0 {
			inst.SetAt(i, k.Value)
		}
	}
	inst.SetLocation(o.server, ns)
	return inst, nil
}

// pathClass makes up the class of an object the server gives no
// definition of from its path: one key property per key, of the key
// value's type.
func pathClass(p cim.ObjectPath) (*cim.Class, error) {
	decl := &cim.Class{Name: p.Class}
	for _, k := range p.Keys {
		decl.Properties = append(decl.Properties, cim.Property{Name: k.Name, Type: k.Value.Type(),
			Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}})
	}
	if p.Singleton {
		decl.Qualifiers = cim.Qualifiers{{Name: "Singleton", Value: cim.Bool(true)}}
	}
	c, err := cim.Derive(nil, decl)
	if err != nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT_PATH, Parameter: p.String(),
			Description: "the server's reference to " + p.Class + " cannot be read without its class definition: " + cim.AsError(err).Description}
	}
	return c, nil
}

// itemParts splits an item of an enumeration: a wsman:Item of
// EnumerateObjectAndEPR holds the object and its wsa:EndpointReference
// (either first); an EnumerateEPR item is the reference alone (obj nil);
// any other element is an object alone (ref nil).
func itemParts(k *node) (obj, ref *node) {
	switch {
	case k.Space == nsWSA && k.Local == "EndpointReference":
		return nil, k
	case k.Space == nsWSMAN && k.Local == "Item":
		for _, c := range k.Kids {
			if c.Space == nsWSA && c.Local == "EndpointReference" {
				if ref == nil {
					ref = c
				}
			} else if obj == nil {
				obj = c
			}
		}
		return obj, ref
	}
	return k, nil
}

// withEPRKeys reads an instance the server gives no class definition of,
// in an item with its reference: the class made up from the element
// (adhocClass) has the reference's selectors as its keys, so the instance
// has the path the server gave it; a key the element leaves out is taken
// from the reference.
func (o *objReader) withEPRKeys(n *node, p cim.ObjectPath) (*cim.Instance, error) {
	cl, err := adhocClass(n, p.Keys)
	if err != nil {
		return nil, err
	}
	ns := o.ns
	if p.Namespace != "" {
		ns = cim.NormalNamespace(p.Namespace)
	}
	cl = cl.Located(o.server, ns)
	inst, err := o.rd.readInstance(n, cl)
	if err != nil {
		return nil, err
	}
	for _, k := range p.Keys {
		if i := cl.PropertyIndex(k.Name); i >= 0 && inst.At(i).IsNull() {
			v, err := k.Value.Convert(cl.Properties[i].Type)
			if err != nil {
				return nil, badValue(cl.Name, k.Name, "the reference's key "+strings.TrimSpace(k.Value.Text())+" does not fit the element's type")
			}
			inst.SetAt(i, v)
		}
	}
	inst.SetLocation(o.server, ns)
	return inst, nil
}

// item reads one item of an enumeration (see itemParts): an object, an
// object with its reference, or a reference, which stands for the
// instance of its keys (pathInstance). When the client asked for
// references (eprs) and the server sent an instance anyway, the instance
// is projected as its reference would have been.
func (o *objReader) item(k *node, eprs bool) (cim.Object, error) {
	obj, ref := itemParts(k)
	if obj == nil {
		if ref == nil {
			return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "line %d: the server sent an empty wsman:Item", k.Line)
		}
		p, err := parseEPRPath(ref, o.ns, o.lookupIn)
		if err != nil {
			return nil, err
		}
		return o.pathInstance(p, o.system)
	}
	o.ref = ref
	out, err := o.read(obj)
	o.ref = nil
	if inst, ok := out.(*cim.Instance); ok && eprs {
		out = inst.Project(inst.Class().Project(o.system, o.system == nil))
	}
	return out, err
}

// lookupIn finds a class definition in a namespace (the client's cache).
func (o *objReader) lookupIn(ns, name string) (*cim.Class, error) {
	return o.c.class(o.ctx, ns, name, false)
}

// withoutDefinition reports whether the client reads the instances of
// class with no definition of it: a server other than gowbem, that has
// answered Identify, gives none (the failure is remembered: asking costs
// one request per class). The error is that of a server that could not
// be reached or refused the credentials (see refused), or of ctx.
func (c *Client) withoutDefinition(ctx context.Context, ns, class string) (bool, error) {
	si, failed, err := c.identify(ctx)
	if err == nil && cim.StatusOf(failed) == cim.WBEM_E_ACCESS_DENIED {
		err = failed
	}
	if err != nil || failed != nil || si.gowbem || class == "" {
		return false, err
	}
	_, err = c.class(ctx, ns, class, false)
	if err != nil && !canDoWithout(err) {
		return false, ctx.Err() // the enumeration says what is wrong, if it still is
	}
	return err != nil, nil
}

// refused returns the failure of a server that refused the client's
// credentials when asked who it is (Identify), or could not be reached:
// an enumeration that would ask it first (pathQuery, withoutDefinition,
// queryURI) fails with it at once, after one failed login rather than
// one more for each question.
func (c *Client) refused(ctx context.Context) error {
	_, failed, err := c.identify(ctx)
	if err == nil && cim.StatusOf(failed) == cim.WBEM_E_ACCESS_DENIED {
		err = failed
	}
	return err
}

// selectAllClass returns the FROM class of a WQL data query that selects
// whole objects (SELECT * FROM Class [WHERE …]), "" for any other.
func selectAllClass(op *wbem.Op) string {
	if op.Kind != wbem.OpExecQuery || op.Language != "WQL" {
		return ""
	}
	q, err := wql.Parse(op.Query)
	sq, ok := q.(*wql.SelectQuery)
	if err != nil || !ok || !sq.All || sq.Within > 0 || sq.GroupWithin > 0 {
		return ""
	}
	return sq.Class
}

// pathSystem reports whether a system property comes from an object's
// path alone.
func pathSystem(name string) bool {
	switch strings.ToUpper(name) {
	case "__PATH", "__RELPATH", "__CLASS", "__NAMESPACE", "__SERVER", "__GENUS":
		return true
	}
	return false
}

// pathQuery tells whether a WQL query asks only for what objects' paths
// say (SELECT __PATH, __RELPATH … FROM Class [WHERE …]) of a server that is
// not gowbem, which may not know those system properties: the client then
// enumerates references (EnumerateEPR) and makes the rows from them. It
// returns the filter to send with them — "" without a WHERE clause, else
// the query with SELECT * for its list, its WHERE as the caller wrote it.
// A gowbem server gets the query itself.
func (c *Client) pathQuery(ctx context.Context, op *wbem.Op) (string, bool) {
	if op.Kind != wbem.OpExecQuery || op.Language != "WQL" {
		return "", false
	}
	q, err := wql.Parse(op.Query)
	sq, ok := q.(*wql.SelectQuery)
	if err != nil || !ok || sq.All || sq.Class == "" || sq.Within > 0 || sq.GroupWithin > 0 || len(sq.Props) == 0 {
		return "", false
	}
	for _, p := range sq.Props {
		if len(p.Path) != 1 || !pathSystem(p.Path[0]) {
			return "", false
		}
	}
	if si, err := c.info(ctx); err != nil || si.gowbem {
		return "", false
	}
	if sq.Where == nil {
		return "", true
	}
	// The SELECT list holds names and commas only: its end is the first
	// word FROM.
	s := op.Query
	for i := 0; i+4 <= len(s); i++ {
		if strings.EqualFold(s[i:i+4], "FROM") && (i == 0 || !nameByte(s[i-1])) && (i+4 == len(s) || !nameByte(s[i+4])) {
			return "SELECT * " + s[i:], true
		}
	}
	return "", false
}

func nameByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}
