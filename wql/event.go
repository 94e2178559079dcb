package wql

import (
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// EventQuery is a validated event query: what an event engine needs to set up
// a subscription.
type EventQuery struct {
	Query *SelectQuery
	// Class is the event class: from the schema, or a built-in definition of
	// an intrinsic instance event when the schema has none.
	Class *cim.Class
	// Intrinsic reports an __Instance…Event class.
	Intrinsic bool
	// TargetClass is the class named by "TargetInstance ISA 'X'" in the
	// top-level AND chain of the WHERE clause, or "".
	TargetClass string
	// Filter matches and projects event objects (of Class or a subclass).
	Filter *Filter

	having *Filter // HAVING over an __AggregateEvent
}

// builtinClasses are the event classes wql knows without a schema.
type builtinClasses struct {
	intrinsic map[string]*cim.Class // the __Instance…Event classes, by lower-case name
	aggregate *cim.Class            // __AggregateEvent
}

// builtins makes the built-in event classes on first use: a program that
// links wql but runs no event query (the wbem command) does not pay for
// them at its start.
var builtins = sync.OnceValue(func() builtinClasses {
	eventBase := mustDerive(nil, &cim.Class{Name: "__Event", Properties: []cim.Property{{Name: "TIME_CREATED", Type: cim.TypeUint64}, {Name: "SECURITY_DESCRIPTOR", Type: cim.TypeUint8.ArrayOf()}}})
	instanceOpEvt := mustDerive(eventBase, &cim.Class{Name: "__InstanceOperationEvent", Properties: []cim.Property{{Name: "TargetInstance", Type: cim.TypeObject}}})
	return builtinClasses{
		intrinsic: map[string]*cim.Class{
			"__instanceoperationevent":    instanceOpEvt,
			"__instancecreationevent":     mustDerive(instanceOpEvt, &cim.Class{Name: "__InstanceCreationEvent"}),
			"__instancedeletionevent":     mustDerive(instanceOpEvt, &cim.Class{Name: "__InstanceDeletionEvent"}),
			"__instancemodificationevent": mustDerive(instanceOpEvt, &cim.Class{Name: "__InstanceModificationEvent", Properties: []cim.Property{{Name: "PreviousInstance", Type: cim.TypeObject}}}),
		},
		aggregate: mustDerive(eventBase, &cim.Class{Name: "__AggregateEvent", Properties: []cim.Property{{Name: "NumberOfEvents", Type: cim.TypeUint32}, {Name: "Representative", Type: cim.TypeObject}}}),
	}
})

func mustDerive(parent, decl *cim.Class) *cim.Class {
	c, err := cim.Derive(parent, decl)
	if err != nil {
		panic(err)
	}
	return c
}

// ParseEvent parses and validates the query of ExecNotificationQuery (see
// CompileEvent). Syntax errors give WBEM_E_UNPARSABLE_QUERY, and so does a
// statement other than SELECT.
func ParseEvent(text string, schema Schema) (*EventQuery, error) {
	q, err := Parse(text)
	if err != nil {
		if e := cim.AsError(err); e.Status == cim.WBEM_E_INVALID_QUERY {
			u := *e
			u.Status = cim.WBEM_E_UNPARSABLE_QUERY
			return nil, &u
		}
		return nil, err
	}
	switch q := q.(type) {
	case *SelectQuery:
		return CompileEvent(q, schema)
	case *SchemaQuery:
		return nil, cim.Errorf(cim.WBEM_E_NOT_EVENT_CLASS, "meta_class is not an event class")
	}
	return nil, cim.Errorf(cim.WBEM_E_UNPARSABLE_QUERY, "an event query must be a SELECT statement")
}

// CompileEvent validates an event query against the schema:
//
//   - a FROM class the schema does not know gives WBEM_E_INVALID_CLASS (the
//     intrinsic __Instance…Event classes are always known);
//   - a FROM class not derived from __Event gives WBEM_E_NOT_EVENT_CLASS;
//   - a dot after a property that is not an object gives
//     WBEM_E_PROPERTY_NOT_AN_OBJECT;
//   - BY naming an embedded object without a member gives
//     WBEM_E_AGGREGATING_BY_OBJECT;
//   - HAVING may only test NumberOfEvents;
//   - the WHERE clause and SELECT list are checked as Compile checks them.
//
// BY or HAVING without GROUP WITHIN is refused by Parse already
// (WBEM_E_MISSING_GROUP_WITHIN).
func CompileEvent(q *SelectQuery, schema Schema) (*EventQuery, error) {
	if (len(q.By) > 0 || q.Having != nil) && q.GroupWithin <= 0 {
		return nil, cim.Errorf(cim.WBEM_E_MISSING_GROUP_WITHIN, "BY and HAVING need GROUP WITHIN")
	}
	ev := &EventQuery{Query: q, Intrinsic: IsIntrinsicEvent(q.Class)}
	var c *cim.Class
	if schema != nil {
		c, _ = schema.Class(q.Class)
	}
	if c == nil {
		c = builtins().intrinsic[strings.ToLower(q.Class)]
	}
	if c == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Description: "event class " + q.Class + " does not exist", Parameter: q.Class}
	}
	if !c.IsA("__Event") {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_EVENT_CLASS, Description: "class " + c.Name + " is not an event class (it does not derive from __Event)", Parameter: c.Name}
	}
	ev.Class = c
	f, err := compile(q, c, schema, nil)
	if err != nil {
		return nil, err
	}
	ev.Filter = f
	for _, p := range q.By {
		r, err := resolve(c, p, false)
		if err != nil {
			return nil, err
		}
		if r.typ == cim.TypeObject && r.path == nil {
			return nil, queryErr(cim.WBEM_E_AGGREGATING_BY_OBJECT, p, "BY %s names an embedded object; name one of its properties (%s.Name)", p.Name(), p.Name())
		}
	}
	if q.Having != nil {
		if err := checkHaving(q.Having); err != nil {
			return nil, err
		}
		agg := builtins().aggregate
		hq := &SelectQuery{All: true, Class: agg.Name, Where: q.Having}
		if ev.having, err = compile(hq, agg, nil, nil); err != nil {
			return nil, err
		}
	}
	ev.TargetClass = targetClass(q.Where)
	return ev, nil
}

func checkHaving(e Expr) error {
	var err error
	walkProps(e, func(p Prop) {
		if err == nil && !strings.EqualFold(p.Name(), "NumberOfEvents") {
			err = queryErr(cim.WBEM_E_INVALID_QUERY, p, "HAVING can only test NumberOfEvents, not %s", p.Name())
		}
	})
	return err
}

func walkProps(e Expr, fn func(Prop)) {
	switch e := e.(type) {
	case *Logical:
		for _, x := range e.Operands {
			walkProps(x, fn)
		}
	case *Not:
		walkProps(e.X, fn)
	case *Comparison:
		fn(e.Prop)
	case *IsNull:
		fn(e.Prop)
	case *Isa:
		fn(e.Prop)
	case *Like:
		fn(e.Prop)
	}
}

// TargetClass is the class named by "TargetInstance ISA 'X'" in the
// top-level AND chain of q's WHERE clause, or "": the class whose instances an
// intrinsic event query watches (EventQuery.TargetClass without a schema).
func (q *SelectQuery) TargetClass() string { return targetClass(q.Where) }

func targetClass(e Expr) string {
	switch e := e.(type) {
	case *Isa:
		if len(e.Prop.Path) == 1 && strings.EqualFold(e.Prop.Path[0], "TargetInstance") {
			return e.Class
		}
	case *Logical:
		if e.Op == And {
			for _, x := range e.Operands {
				if c := targetClass(x); c != "" {
					return c
				}
			}
		}
	}
	return ""
}

// Having reports whether a group of numberOfEvents events passes the HAVING
// clause (true without one).
func (ev *EventQuery) Having(numberOfEvents uint32) bool {
	if ev.having == nil {
		return true
	}
	inst := builtins().aggregate.NewInstance()
	if err := inst.Set("NumberOfEvents", cim.Uint32(numberOfEvents)); err != nil {
		return false
	}
	return ev.having.Match(inst)
}

// GroupKey returns the key of the group an event belongs to under GROUP
// WITHIN … BY: the values of the BY properties in event, strings compared
// case-insensitively. Events with equal keys are aggregated together; without
// BY every event has the key "". A BY path that leads nowhere (a NULL
// embedded object) gives that property the NULL value.
func (ev *EventQuery) GroupKey(event *cim.Instance) string {
	by := ev.Query.By
	if len(by) == 0 {
		return ""
	}
	var b strings.Builder
	for i, p := range by {
		if i > 0 {
			b.WriteByte(0)
		}
		v := propValue(event, p.Path)
		switch {
		case v.IsNull():
			b.WriteString("\x01NULL")
		case v.Type() == cim.TypeString || v.Type() == cim.TypeChar16 || v.Type() == cim.TypeDatetime || v.Type() == cim.TypeReference:
			b.WriteString(strings.ToLower(v.Text()))
		default:
			b.WriteString(v.String())
		}
	}
	return b.String()
}

// propValue follows a property path through embedded objects.
func propValue(inst *cim.Instance, path []string) cim.Value {
	var obj cim.Object = inst
	var v cim.Value
	for _, name := range path {
		if obj == nil {
			return cim.Null
		}
		var err error
		if v, err = obj.Get(name); err != nil {
			return cim.Null
		}
		obj = v.Object()
	}
	return v
}
