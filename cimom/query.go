package cimom

import (
	"context"
	"errors"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// schemaOf lets the WQL compiler look classes up in ns.
func (om *ObjectManager) schemaOf(ctx context.Context, ns string) wql.Schema {
	return wql.SchemaFunc(func(name string) (*cim.Class, error) {
		var c *cim.Class
		err := om.view(ctx, func(tx repository.Tx) error {
			var err error
			c, err = om.class(tx, ns, name)
			return err
		})
		return c, err
	})
}

// execQuery runs a WQL query: a data query over the class hierarchy with the
// WHERE clause pushed to providers that take it and checked on every result,
// a schema query, or ASSOCIATORS OF / REFERENCES OF.
func (om *ObjectManager) execQuery(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if err := wql.CheckLanguage(op.Language); err != nil {
		return err
	}
	q, err := wql.Parse(op.Query)
	if err != nil {
		return err
	}
	switch q := q.(type) {
	case *wql.SelectQuery:
		return om.selectQuery(ctx, op, q, w)
	case *wql.SchemaQuery:
		return om.schemaQuery(ctx, op.Namespace, q, w)
	case *wql.AssociatorsQuery:
		return om.associators(ctx, op.Namespace, q, w)
	case *wql.ReferencesQuery:
		return om.references(ctx, op.Namespace, q, w)
	}
	return cim.Errorf(cim.WBEM_E_INVALID_QUERY, "unsupported query %s", op.Query)
}

func (om *ObjectManager) selectQuery(ctx context.Context, op *wbem.Op, q *wql.SelectQuery, w wbem.ResultWriter) error {
	if wql.IsIntrinsicEvent(q.Class) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_QUERY, Parameter: q.Class,
			Description: q.Class + " is an event class: use ExecNotificationQuery"}
	}
	var opts []wql.Option
	if op.Flags&wbem.WBEM_FLAG_ENSURE_LOCATABLE != 0 {
		opts = append(opts, wql.EnsureLocatable())
	}
	f, err := wql.Compile(q, nil, om.schemaOf(ctx, op.Namespace), opts...)
	if err != nil {
		return err
	}
	if op.Flags&wbem.WBEM_FLAG_PROTOTYPE != 0 {
		shape := f.Projection()
		if shape == nil {
			shape = f.Class()
		}
		return w.Write(shape.Located(om.server, op.Namespace))
	}
	hint := &provider.Hint{Query: op.Query, Properties: f.Needed(), Equal: f.Equalities()}
	e := &emitter{w: w, server: om.server, ns: op.Namespace, filter: func(inst *cim.Instance) (*cim.Instance, bool) {
		if !f.Match(inst) {
			return nil, false
		}
		return f.Project(inst), true
	}}
	deep := op.Flags&wbem.WBEM_FLAG_DIRECT_READ == 0
	return om.enumerate(ctx, op.Namespace, f.Class().Name, deep, hint, e)
}

func (om *ObjectManager) allClasses(ctx context.Context, ns string) ([]*cim.Class, error) {
	var classes []*cim.Class
	err := om.view(ctx, func(tx repository.Tx) error {
		var err error
		classes, err = om.descendants(tx, ns, "")
		return err
	})
	return classes, err
}

func (om *ObjectManager) schemaQuery(ctx context.Context, ns string, q *wql.SchemaQuery, w wbem.ResultWriter) error {
	f, err := wql.CompileSchema(q, om.schemaOf(ctx, ns))
	if err != nil {
		return err
	}
	classes, err := om.allClasses(ctx, ns)
	if err != nil {
		return err
	}
	for _, c := range classes {
		if f.Match(c) {
			if err := w.Write(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// source resolves the object of ASSOCIATORS OF / REFERENCES OF: a class with
// SchemaOnly, an existing instance otherwise.
func (om *ObjectManager) source(ctx context.Context, ns, text string, schemaOnly bool) (cim.ObjectPath, *cim.Class, error) {
	p, err := parsePath(text, ns)
	if err != nil {
		return p, nil, err
	}
	if schemaOnly {
		if !p.IsClass() {
			return p, nil, &cim.Error{Status: cim.WBEM_E_INVALID_QUERY, Parameter: text, Description: "SchemaOnly needs a class path, not " + text}
		}
		var c *cim.Class
		err := om.view(ctx, func(tx repository.Tx) error {
			c, err = om.class(tx, ns, p.Class)
			return err
		})
		return p, c, err
	}
	if p.IsClass() {
		return p, nil, &cim.Error{Status: cim.WBEM_E_INVALID_QUERY, Parameter: text, Description: "ASSOCIATORS OF and REFERENCES OF need an instance path (or SchemaOnly), not the class " + text}
	}
	inst, err := om.getInstance(ctx, ns, p)
	if err != nil {
		return p, nil, err
	}
	path := inst.ObjectPath()
	path.Server, path.Namespace = "", ""
	return path, inst.Class(), nil
}

// refersTo reports whether a reference value points at target.
func refersTo(v cim.Value, target cim.ObjectPath) bool {
	if v.IsNull() || v.Type() != cim.TypeReference {
		return false
	}
	p, err := v.Path()
	if err != nil {
		return false
	}
	p.Server = ""
	return cim.EqualFold(p.Class, target.Class) && p.KeyString() == target.KeyString() ||
		p.Equal(target)
}

// refProps lists the positions of a class's reference properties.
func refProps(c *cim.Class) []int {
	var out []int
	for i := range c.Properties {
		if c.Properties[i].Type == cim.TypeReference {
			out = append(out, i)
		}
	}
	return out
}

// associations emits, for every association class passing keep, the
// association instances that refer to target through a reference property
// allowed by role ("" = any); fn gets each with the position of the
// property that refers to target.
func (om *ObjectManager) associations(ctx context.Context, ns string, target cim.ObjectPath, keep func(*cim.Class) bool, role string, fn func(assoc *cim.Instance, via int) error) error {
	classes, err := om.allClasses(ctx, ns)
	if err != nil {
		return err
	}
	for _, ac := range classes {
		if !ac.IsAssociation() || ac.IsAbstract() && !ac.IsDynamic() || !keep(ac) {
			continue
		}
		refs := refProps(ac)
		e := &emitter{server: om.server, ns: ns}
		e.w = writerFunc(func(obj cim.Object) error {
			inst := obj.(*cim.Instance)
			for _, r := range refs {
				if role != "" && !cim.EqualFold(ac.Properties[r].Name, role) {
					continue
				}
				if refersTo(inst.At(r), target) {
					return fn(inst, r)
				}
			}
			return nil
		})
		var p any
		if ac.IsDynamic() {
			if p, err = om.lookup(ctx, ns, ac.ProviderName()); err != nil {
				return err
			}
		}
		if ap, ok := p.(provider.AssociationProvider); ok && ac.IsDynamic() {
			err = om.guard(ac.ProviderName(), func() error { return ap.References(ctx, ac, target, role, e) })
		} else {
			err = om.enumerateClass(ctx, ns, ac, nil, e)
		}
		if err != nil {
			if errors.Is(err, errConsumerGone) && e.cause != nil {
				return e.cause
			}
			return err
		}
	}
	return nil
}

// writerFunc adapts a function to wbem.ResultWriter for internal fan-out.
type writerFunc func(cim.Object) error

func (f writerFunc) Write(obj cim.Object) error { return f(obj) }
func (writerFunc) SetResultString(string)       {}
func (writerFunc) Progress(int, int)            {}

// isA reports whether c is name or derives from it; "" matches any class.
func isA(c *cim.Class, name string) bool { return name == "" || c.IsA(name) }

func keysOnly(inst *cim.Instance) *cim.Instance {
	return inst.Project(inst.Class().Project(nil, true))
}

func (om *ObjectManager) references(ctx context.Context, ns string, q *wql.ReferencesQuery, w wbem.ResultWriter) error {
	target, tc, err := om.source(ctx, ns, q.Path, q.SchemaOnly)
	if err != nil {
		return err
	}
	keep := func(ac *cim.Class) bool {
		return isA(ac, q.ResultClass) && (q.RequiredQualifier == "" || ac.Qualifiers.Has(q.RequiredQualifier))
	}
	if q.SchemaOnly {
		return om.schemaAssociations(ctx, ns, tc, keep, q.Role, "", false, w)
	}
	seen := map[string]bool{}
	return om.associations(ctx, ns, target, keep, q.Role, func(assoc *cim.Instance, _ int) error {
		switch {
		case q.ClassDefsOnly:
			if seen[strings.ToLower(assoc.ClassName())] {
				return nil
			}
			seen[strings.ToLower(assoc.ClassName())] = true
			return w.Write(assoc.Class())
		case q.KeysOnly:
			return w.Write(keysOnly(assoc))
		}
		return w.Write(assoc)
	})
}

func (om *ObjectManager) associators(ctx context.Context, ns string, q *wql.AssociatorsQuery, w wbem.ResultWriter) error {
	target, tc, err := om.source(ctx, ns, q.Path, q.SchemaOnly)
	if err != nil {
		return err
	}
	keep := func(ac *cim.Class) bool {
		return isA(ac, q.AssocClass) && (q.RequiredAssocQualifier == "" || ac.Qualifiers.Has(q.RequiredAssocQualifier))
	}
	if q.SchemaOnly {
		return om.schemaAssociations(ctx, ns, tc, keep, q.Role, q.ResultRole, true, w, func(c *cim.Class) bool {
			return isA(c, q.ResultClass) && (q.RequiredQualifier == "" || c.Qualifiers.Has(q.RequiredQualifier))
		})
	}
	seen := map[string]bool{}
	return om.associations(ctx, ns, target, keep, q.Role, func(assoc *cim.Instance, via int) error {
		ac := assoc.Class()
		for _, r := range refProps(ac) {
			if r == via || q.ResultRole != "" && !cim.EqualFold(ac.Properties[r].Name, q.ResultRole) {
				continue
			}
			p, err := assoc.At(r).Path()
			if err != nil {
				continue
			}
			p.Server, p.Namespace = "", ""
			end, err := om.getInstance(ctx, ns, p)
			if err != nil {
				if errors.Is(err, cim.ErrNotFound) || errors.Is(err, cim.ErrInvalidClass) {
					continue // a dangling reference names nothing
				}
				return err
			}
			ec := end.Class()
			if !isA(ec, q.ResultClass) || q.RequiredQualifier != "" && !ec.Qualifiers.Has(q.RequiredQualifier) {
				continue
			}
			switch {
			case q.ClassDefsOnly:
				if seen[strings.ToLower(ec.Name)] {
					continue
				}
				seen[strings.ToLower(ec.Name)] = true
				err = w.Write(ec)
			case q.KeysOnly:
				err = w.Write(keysOnly(end))
			default:
				err = w.Write(end)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// schemaAssociations answers the SchemaOnly forms from class definitions:
// the association classes with a reference (allowed by role) to source's
// class or an ancestor of it, and, for ASSOCIATORS, the classes at their
// other ends (allowed by resultRole and result).
func (om *ObjectManager) schemaAssociations(ctx context.Context, ns string, source *cim.Class, keep func(*cim.Class) bool, role, resultRole string, endpoints bool, w wbem.ResultWriter, result ...func(*cim.Class) bool) error {
	classes, err := om.allClasses(ctx, ns)
	if err != nil {
		return err
	}
	byName := map[string]*cim.Class{}
	for _, c := range classes {
		byName[strings.ToLower(c.Name)] = c
	}
	for _, ac := range classes {
		if !ac.IsAssociation() || !keep(ac) {
			continue
		}
		refs := refProps(ac)
		var vias []int
		for _, r := range refs {
			p := &ac.Properties[r]
			if (role == "" || cim.EqualFold(p.Name, role)) && p.RefClass != "" && source.IsA(p.RefClass) {
				vias = append(vias, r)
			}
		}
		if len(vias) == 0 {
			continue
		}
		if !endpoints {
			if err := w.Write(ac); err != nil {
				return err
			}
			continue
		}
		// One result per way the source can take part: duplicates are normal.
		for _, via := range vias {
			for _, r := range refs {
				p := &ac.Properties[r]
				if r == via || resultRole != "" && !cim.EqualFold(p.Name, resultRole) {
					continue
				}
				ec := byName[strings.ToLower(p.RefClass)]
				if ec == nil || len(result) > 0 && !result[0](ec) {
					continue
				}
				if err := w.Write(ec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
