package cimxml

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// The operations beside subscriptionCall's that reach the indication
// subscription objects (CIM_IndicationFilter, CIM_ListenerDestinationCIMXML,
// CIM_IndicationSubscription), which live in the server's table, not in the
// repository: the Open operations and ExecQuery enumerate the caller's own,
// as EnumerateInstances does; ModifyInstance, GetProperty and SetProperty
// find them as GetInstance does. All of them show an object as
// subTable.viewLocked makes it. A subscription's SubscriptionState may
// change between Enabled (2) and Disabled (4) (setState), and a listener
// destination's Destination (setDestination); the rest of a subscription
// object is fixed once made — a filter's query, language and source
// namespaces too, as SFCB and OpenPegasus refuse to modify a filter (its
// running subscriptions would otherwise have to switch queries without
// losing or doubling an event) — so a modification that changes another
// property is CIM_ERR_NOT_SUPPORTED naming it, never a write to the
// repository.

// namedInstance is a subscription object on its way through an
// enumeration: its instance as created (of a class made of its own
// properties, which may lack DSP1054's keys) and its path.
type namedInstance struct {
	*cim.Instance
	path cim.ObjectPath
}

// ObjectPath returns the object's path in the server's table.
func (n *namedInstance) ObjectPath() cim.ObjectPath { return n.path }

// instanceOf returns the instance an enumerated object is, if it is one;
// its path is obj.ObjectPath().
func instanceOf(obj cim.Object) (*cim.Instance, bool) {
	switch x := obj.(type) {
	case *cim.Instance:
		return x, true
	case *namedInstance:
		return x.Instance, true
	}
	return nil, false
}

// subscriptionKind returns the kind of subscription object the named class
// holds; 0 for other classes, or when the server serves no subscriptions.
func (c *call) subscriptionKind(class string) subKind {
	if c.s.subs == nil {
		return 0
	}
	return subKindOf(class)
}

// ownObjects returns the caller's subscription objects of kind in the
// request's namespace (as EnumerateInstances lists them), filtered by f
// when it is set.
func (c *call) ownObjects(kind subKind, f *wql.Filter) []cim.Object {
	t := c.s.subs
	var out []cim.Object
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.objs {
		if o.kind != kind || o.owner != c.user || !strings.EqualFold(o.path.Namespace, c.req.ns) {
			continue
		}
		inst := t.viewLocked(o)
		if f != nil {
			if !f.Match(inst) {
				continue
			}
			inst = f.Project(inst)
		}
		out = append(out, &namedInstance{Instance: inst, path: o.path})
	}
	return out
}

// subscriptionQuery returns the caller's subscription objects a WQL data
// query selects, and whether the query is one on a subscription class at
// all (other queries go to the object manager).
func (c *call) subscriptionQuery(lang, text string) ([]cim.Object, bool, error) {
	sq := c.subscriptionDataQuery(lang, text)
	if sq == nil || subKindOf(sq.Class) == 0 {
		return nil, false, nil
	}
	f, err := c.compileSelect(sq)
	if err != nil {
		return nil, true, err
	}
	return c.ownObjects(subKindOf(sq.Class), f), true, nil
}

// subscriptionDataQuery returns text parsed when the server keeps
// subscription objects and text is a WQL data query (a SELECT, not of
// events); else nil, and the object manager answers the query alone (and
// tells what is wrong with it).
func (c *call) subscriptionDataQuery(lang, text string) *wql.SelectQuery {
	if c.s.subs == nil || !strings.EqualFold(strings.TrimSpace(lang), "WQL") {
		return nil
	}
	q, err := wql.Parse(text)
	if err != nil {
		return nil
	}
	if sq, ok := q.(*wql.SelectQuery); ok && !sq.IsEvent() {
		return sq
	}
	return nil
}

// compileQuery compiles a WQL data query against the request's classes.
func (c *call) compileQuery(text string) (*wql.Filter, error) {
	q, err := wql.Parse(text)
	if err != nil {
		return nil, err
	}
	sq, ok := q.(*wql.SelectQuery)
	if !ok || sq.IsEvent() {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_QUERY, Description: "not a data query: " + text}
	}
	return c.compileSelect(sq)
}

// compileSelect compiles a parsed data query against the request's classes.
func (c *call) compileSelect(sq *wql.SelectQuery) (*wql.Filter, error) {
	class, err := c.lookupClass(sq.Class)
	if err != nil {
		return nil, err
	}
	return wql.Compile(sq, class, wql.SchemaFunc(c.lookupClass))
}

// listBackend is a wbem.Backend that writes a fixed list of objects: the
// subscription objects an Open enumerates, so that their pulls go as any
// other enumeration's (MaxObjectCount, contexts, expiry).
type listBackend []cim.Object

func (l listBackend) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	for _, o := range l {
		if err := w.Write(o); err != nil {
			return err
		}
	}
	return nil
}

// listStart returns an Open's start over objs, objects of class.
func listStart(class string, objs []cim.Object) func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error) {
	return func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error) {
		ls := wbem.NewServices(listBackend(objs), svc.Namespace())
		return ls.CreateInstanceEnum(ctx, class, semisync)
	}
}

// subscriptionWrite serves ModifyInstance, GetProperty and SetProperty on
// the subscription objects; handled is false for other classes.
func (c *call) subscriptionWrite(method string, ps *params) (handled bool, err error) {
	var name *node
	switch method {
	case "CreateInstance":
		return c.subscriptionUpdate(ps)
	case "ModifyInstance":
		if ni := ps.value("ModifiedInstance"); ni != nil && ni.Name == "VALUE.NAMEDINSTANCE" && len(ni.Kids) == 2 {
			name = ni.Kids[0]
		}
	case "GetProperty", "SetProperty":
		name = ps.value("InstanceName")
	default:
		return false, nil
	}
	if name == nil || name.Name != "INSTANCENAME" {
		return false, nil
	}
	class, _ := name.attr("CLASSNAME")
	kind := c.subscriptionKind(class)
	if kind == 0 {
		return false, nil
	}
	p, err := c.dec.instanceName(name)
	if err != nil {
		return true, err
	}
	o, err := c.s.subs.find(c, kind, p)
	if err != nil {
		return true, err
	}
	switch method {
	case "ModifyInstance":
		return true, c.modifySubscriptionObject(ps, o)
	case "GetProperty":
		prop, err := ps.name("PropertyName")
		if err != nil {
			return true, err
		}
		v, err := c.subscriptionProperty(o, prop)
		if err != nil {
			return true, err
		}
		c.returnValue()
		if !v.IsNull() {
			c.enc.value(c.resp.buf, v)
		}
		c.endReturnValue()
		return true, nil
	default: // SetProperty
		prop, err := ps.name("PropertyName")
		if err != nil {
			return true, err
		}
		cur, err := c.subscriptionProperty(o, prop)
		if err != nil {
			return true, err
		}
		t := cur.Type()
		if cur.IsNull() {
			t = cim.TypeString
			if cl, err := c.lookupClass(o.path.Class); err == nil {
				if i := cl.PropertyIndex(prop); i >= 0 {
					t = cl.Properties[i].Type
				}
			}
		}
		v := cim.Null
		if n := ps.value("NewValue"); n != nil {
			if v, err = c.dec.value(n, t, plainText); err != nil {
				return true, err
			}
		}
		return true, c.modifyBy(o, map[string]modValue{prop: {cur, v}})
	}
}

// subscriptionProperty reads a property of a subscription object: as
// created, else a key of its path, else its class's default when the class
// declares it; CIM_ERR_NO_SUCH_PROPERTY otherwise.
func (c *call) subscriptionProperty(o *subObject, prop string) (cim.Value, error) {
	if prop == "" {
		return cim.Null, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "PropertyName", Description: "a PropertyName is needed"}
	}
	if inst := c.s.subs.shown(o); inst.Class().PropertyIndex(prop) >= 0 {
		return inst.Value(prop), nil
	}
	for _, k := range o.path.Keys {
		if strings.EqualFold(k.Name, prop) {
			return k.Value, nil
		}
	}
	if cl, err := c.lookupClass(o.path.Class); err == nil {
		if i := cl.PropertyIndex(prop); i >= 0 {
			return cl.Properties[i].Default, nil
		}
	}
	return cim.Null, &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: prop, Description: "class " + o.path.Class + " has no property " + prop}
}

// subscriptionUpdate serves CreateInstance of a subscription object with
// the "flags" extension's update (WBEM_FLAG_UPDATE_ONLY, or create-or-update
// of one that exists: gowbem's client sends its PutInstance so) as
// ModifyInstance; other creations are subscriptionCall's.
func (c *call) subscriptionUpdate(ps *params) (handled bool, err error) {
	n := ps.value("NewInstance")
	if n == nil || n.Name != "INSTANCE" {
		return false, nil
	}
	class, _ := n.attr("CLASSNAME")
	kind := c.subscriptionKind(class)
	if kind == 0 {
		return false, nil
	}
	flags, err := flagsParam(ps, wbem.WBEM_FLAG_CREATE_ONLY)
	if err != nil {
		return true, err
	}
	if flags&wbem.WBEM_FLAG_CREATE_ONLY != 0 {
		return false, nil
	}
	cl, err := adhocClass(n)
	if err != nil {
		return true, err
	}
	mod, _, err := c.dec.instance(n, cl)
	if err != nil {
		return true, err
	}
	p := cim.ObjectPath{Class: class}
	keys := []string{"Name"}
	if kind == kindSub {
		keys = []string{"Filter", "Handler"}
	}
	for _, k := range keys {
		if v := mod.Value(k); !v.IsNull() {
			p.Keys = append(p.Keys, cim.KeyBinding{Name: k, Value: v})
		}
	}
	o, err := c.s.subs.find(c, kind, p)
	if err != nil {
		if flags&wbem.WBEM_FLAG_UPDATE_ONLY != 0 {
			return true, err
		}
		return false, nil // create or update of a new one: a creation
	}
	if err := c.unchangedBy(o, mod, nil); err != nil {
		return true, err
	}
	c.returnValue()
	c.enc.instanceName(c.resp.buf, o.path)
	c.endReturnValue()
	return true, nil
}

// modifySubscriptionObject serves ModifyInstance of a subscription object.
func (c *call) modifySubscriptionObject(ps *params, o *subObject) error {
	if _, err := ps.boolean("IncludeQualifiers", true); err != nil {
		return err
	}
	props, err := ps.propertyList("PropertyList")
	if err != nil {
		return err
	}
	n := ps.value("ModifiedInstance").Kids[1]
	if n.Name != "INSTANCE" {
		return ps.bad("ModifiedInstance", "expected <INSTANCE>, found <%s>", n.Name)
	}
	if class, _ := n.attr("CLASSNAME"); subKindOf(class) != o.kind {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "ModifiedInstance",
			Description: "the instance is of class " + class + " but its name is of " + o.path.Class}
	}
	cl, err := adhocClass(n)
	if err != nil {
		return err
	}
	mod, _, err := c.dec.instance(n, cl)
	if err != nil {
		return err
	}
	return c.unchangedBy(o, mod, props)
}

// unchangedBy serves a modification of a subscription object: the
// properties it sets (those mod holds, or those of props when it is not
// nil) must keep their values, but for a subscription's SubscriptionState.
func (c *call) unchangedBy(o *subObject, mod *cim.Instance, props map[string]bool) error {
	cl := mod.Class()
	made := c.s.subs.current(o).Class()
	vals := map[string]modValue{}
	for i := range cl.Properties {
		name := cl.Properties[i].Name
		if props != nil && !props[strings.ToLower(name)] {
			continue
		}
		if mod.At(i).IsNull() && (isKey(o.path, name) || made.PropertyIndex(name) < 0) {
			continue // a key, or a property the object was made without, left out
		}
		cur, err := c.subscriptionProperty(o, name)
		if err != nil {
			return err
		}
		vals[name] = modValue{cur, mod.At(i)}
	}
	return c.modifyBy(o, vals)
}

// modValue is a property's value now and the one a modification gives it.
type modValue struct{ cur, v cim.Value }

// modifyBy applies a modification of subscription object o, by property
// name: every property but a subscription's SubscriptionState and a
// listener destination's Destination keeps its value (else
// CIM_ERR_NOT_SUPPORTED naming the first that would change); a
// SubscriptionState of Enabled or Disabled enables or disables it (NULL:
// as it is); a new Destination is checked as a creation's and used from
// the next export on. Nothing changes unless all of it is allowed.
func (c *call) modifyBy(o *subObject, vals map[string]modValue) error {
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	sort.Strings(names)
	state, dest := -1, ""
	for _, name := range names {
		m := vals[name]
		if o.kind == kindDest && strings.EqualFold(name, "Destination") {
			if cim.Equal(m.cur, m.v) {
				continue
			}
			if m.v.IsNull() || m.v.Type() != cim.TypeString {
				return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: name, Description: o.path.Class + " needs a Destination, an http or https URL"}
			}
			dest = m.v.Str()
			continue
		}
		if o.kind == kindSub && (strings.EqualFold(name, "TimeOfLastStateChange") || strings.EqualFold(name, "SubscriptionStartTime")) {
			continue // the server's: a client sends back what it read, or nothing
		}
		if o.kind == kindSub && strings.EqualFold(name, "SubscriptionState") {
			if m.v.IsNull() {
				continue
			}
			v, err := m.v.Convert(cim.TypeUint16)
			if err != nil {
				return &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Parameter: name, Description: fmt.Sprintf("SubscriptionState %s is not a uint16", m.v)}
			}
			if n := v.Uint(); !stateSupported(n) {
				return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: name,
					Description: fmt.Sprintf("SubscriptionState %d is not supported: %s", n, stateSupport)}
			}
			state = int(v.Uint())
			continue
		}
		if o.kind != kindSub && isKey(o.path, name) && !m.v.IsNull() {
			// A key shows its path's value; the one its creator gave is
			// no change either.
			if given, err := c.s.subs.current(o).Get(name); err == nil && !given.IsNull() && unchanged(o, name, given, m.v) == nil {
				continue
			}
		}
		if o.kind == kindFilter && (strings.EqualFold(name, "SourceNamespaces") || strings.EqualFold(name, "SourceNamespace")) && sameNamespaces(m.cur, m.v) {
			continue // the same namespaces, spelt otherwise (root/cimv2, root\cimv2)
		}
		if err := unchanged(o, name, m.cur, m.v); err != nil {
			return err
		}
	}
	if dest != "" {
		return c.s.subs.setDestination(c, o, dest)
	}
	if state < 0 {
		return nil
	}
	return c.s.subs.setState(c, o, state == stateEnabled)
}

// sameNamespaces reports whether two values of SourceNamespaces (or
// SourceNamespace) name the same namespaces, whatever their separators,
// case and order.
func sameNamespaces(a, b cim.Value) bool {
	set := func(v cim.Value) map[string]bool {
		if v.IsNull() {
			return nil
		}
		vals := []cim.Value{v}
		if v.Type().IsArray() {
			vals = v.Array()
		}
		out := map[string]bool{}
		for _, e := range vals {
			if e.IsNull() || e.Type() != cim.TypeString {
				return nil
			}
			out[strings.ToLower(strings.Trim(strings.ReplaceAll(strings.TrimSpace(e.Str()), "/", `\`), `\`))] = true
		}
		return out
	}
	x, y := set(a), set(b)
	if x == nil || y == nil || len(x) != len(y) {
		return false
	}
	for k := range x {
		if !y[k] {
			return false
		}
	}
	return true
}

// unchanged refuses a new value of a subscription object's property.
func unchanged(o *subObject, prop string, cur, v cim.Value) error {
	if cim.Equal(cur, v) || (!cur.IsNull() && !v.IsNull() && cur.String() == v.String()) {
		return nil
	}
	what := map[subKind]string{kindFilter: "filter", kindDest: "listener destination", kindSub: "subscription"}[o.kind]
	but := ""
	switch o.kind {
	case kindSub:
		but = " but for its SubscriptionState"
	case kindDest:
		but = " but for its Destination"
	}
	return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: prop, Description: fmt.Sprintf(
		"%s.%s cannot be modified: an indication %s is fixed once created%s (delete it and create it again)", o.path.Class, prop, what, but)}
}

// isKey reports whether name is a key of p.
func isKey(p cim.ObjectPath, name string) bool {
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, name) {
			return true
		}
	}
	return false
}

// subClassIsA reports whether class is ancestor or derives from it among
// the subscription classes' declarations (IndicationClasses).
func subClassIsA(class, ancestor string) bool {
	cs, err := indicationClasses()
	if err != nil {
		return false
	}
	for n := 0; class != "" && n <= len(cs); n++ {
		if strings.EqualFold(class, ancestor) {
			return true
		}
		next := ""
		for _, c := range cs {
			if strings.EqualFold(c.Name, class) {
				next = c.Superclass
			}
		}
		class = next
	}
	return false
}

// subscriptionAssociations serves the association operations (References
// and Associators, their Names and Open forms) on the caller's filter,
// listener destination or subscription at obj, and reports whether obj
// is one (other objects, and class-level requests, are the object
// manager's). A CIM_IndicationSubscription refers to its filter by its
// Filter role and to its destination by Handler: the references of a
// filter are the subscriptions to it, its associators the destinations
// those subscriptions deliver to, and the other way round for a
// destination; nothing refers to a subscription. AssocClass, ResultClass,
// Role and ResultRole narrow them as DSP0200 says (a class matches itself
// and its subclasses). The objects are the caller's own, as
// EnumerateInstances lists them; another user's filter is not found.
func (c *call) subscriptionAssociations(ps *params, obj cim.ObjectPath, refs bool) ([]cim.Object, bool, error) {
	kind := c.subscriptionKind(obj.Class)
	if kind == 0 || obj.IsClass() {
		return nil, false, nil
	}
	var p [4]string // AssocClass, ResultClass, Role, ResultRole
	for i, name := range []string{"AssocClass", "ResultClass", "Role", "ResultRole"} {
		if refs && (i == 0 || i == 3) {
			continue
		}
		v, err := ps.name(name)
		if err != nil {
			return nil, true, err
		}
		p[i] = v
	}
	assocClass, resultClass, role, resultRole := p[0], p[1], p[2], p[3]
	t := c.s.subs
	o, err := t.find(c, kind, obj)
	if err != nil {
		return nil, true, err
	}
	if kind == kindSub {
		return nil, true, nil
	}
	myRole, otherRole := "Filter", "Handler"
	if kind == kindDest {
		myRole, otherRole = otherRole, myRole
	}
	if role != "" && !strings.EqualFold(role, myRole) {
		return nil, true, nil
	}
	if refs {
		if resultClass != "" && !subClassIsA("CIM_IndicationSubscription", resultClass) {
			return nil, true, nil
		}
	} else if (assocClass != "" && !subClassIsA("CIM_IndicationSubscription", assocClass)) ||
		(resultRole != "" && !strings.EqualFold(resultRole, otherRole)) {
		return nil, true, nil
	}
	var out []cim.Object
	seen := map[*subObject]bool{}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.objs {
		if s.kind != kindSub || s.owner != c.user || !s.ready {
			continue
		}
		mine, other := s.filter, s.handler
		if kind == kindDest {
			mine, other = other, mine
		}
		if t.objs[mine] != o {
			continue
		}
		if refs {
			out = append(out, &namedInstance{Instance: t.viewLocked(s), path: s.path})
			continue
		}
		end := t.objs[other]
		if end == nil || seen[end] || (resultClass != "" && !subClassIsA(end.path.Class, resultClass)) {
			continue
		}
		seen[end] = true
		out = append(out, &namedInstance{Instance: t.viewLocked(end), path: end.path})
	}
	return out, true, nil
}

// inheritedObjects returns the caller's subscription objects in the
// request's namespace whose class derives from class (an ancestor such
// as CIM_ManagedElement or CIM_ListenerDestination; the subscription
// classes themselves are served apart), matched by f when it is set: what
// an enumeration of class adds to the object manager's instances.
func (c *call) inheritedObjects(class string, f *wql.Filter) []cim.Object {
	t := c.s.subs
	if t == nil || subKindOf(class) != 0 {
		return nil
	}
	var out []cim.Object
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.objs {
		if o.owner != c.user || !o.ready || !strings.EqualFold(o.path.Namespace, c.req.ns) || !subClassIsA(o.path.Class, class) {
			continue
		}
		inst := t.viewLocked(o)
		if f != nil && !f.Match(inst) {
			continue
		}
		out = append(out, &namedInstance{Instance: inst, path: o.path})
	}
	return out
}

// inheritedQuery returns what a WQL data query on an ancestor of the
// subscription classes (CIM_ManagedElement, CIM_ListenerDestination) adds
// to the object manager's answer: the caller's filters and destinations
// of a class derived from it that its WHERE clause selects, shaped by its
// SELECT list. Other queries add nothing (nil).
func (c *call) inheritedQuery(lang, text string) ([]cim.Object, error) {
	sq := c.subscriptionDataQuery(lang, text)
	if sq == nil || subKindOf(sq.Class) != 0 || len(c.inheritedObjects(sq.Class, nil)) == 0 {
		return nil, nil
	}
	f, err := c.compileSelect(sq)
	if err != nil {
		return nil, err
	}
	objs := c.inheritedObjects(sq.Class, f)
	for i, o := range objs {
		n := o.(*namedInstance)
		objs[i] = &namedInstance{Instance: f.Project(n.Instance), path: n.path}
	}
	return objs, nil
}

// appendBackend is a wbem.Backend that answers as its Backend does, then
// writes extra: an enumeration of a superclass of the subscription
// classes, with the caller's subscription objects after the object
// manager's instances.
type appendBackend struct {
	wbem.Backend
	extra []cim.Object
}

func (b appendBackend) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if err := b.Backend.Do(ctx, op, w); err != nil {
		return err
	}
	for _, o := range b.extra {
		if err := w.Write(o); err != nil {
			return err
		}
	}
	return nil
}
