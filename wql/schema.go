package wql

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// ClassFilter is a compiled schema query (SELECT * FROM meta_class WHERE …): a
// predicate over class definitions. It is safe for concurrent use.
type ClassFilter struct {
	query *SchemaQuery
	match func(*cim.Class) bool // nil: every class
}

// CompileSchema compiles a schema query. Its WHERE clause may test __CLASS,
// __SUPERCLASS and __DYNASTY (comparisons, LIKE, IS [NOT] NULL) and __THIS ISA
// "Class", combined with AND, OR and NOT; anything else gives
// WBEM_E_INVALID_QUERY. With a schema, an ISA class it does not know gives
// WBEM_E_INVALID_CLASS; schema may be nil.
func CompileSchema(q *SchemaQuery, schema Schema) (*ClassFilter, error) {
	f := &ClassFilter{query: q}
	if q.Where != nil {
		m, err := classExpr(q.Where, schema)
		if err != nil {
			return nil, err
		}
		f.match = m
	}
	return f, nil
}

// Query returns the compiled query.
func (f *ClassFilter) Query() *SchemaQuery { return f.query }

// Match reports whether the class c satisfies the query.
func (f *ClassFilter) Match(c *cim.Class) bool { return f.match == nil || f.match(c) }

func classValue(name string) (func(*cim.Class) string, bool) {
	switch strings.ToUpper(name) {
	case "__CLASS":
		return func(c *cim.Class) string { return c.Name }, true
	case "__SUPERCLASS":
		return func(c *cim.Class) string { return c.Superclass }, true
	case "__DYNASTY":
		return func(c *cim.Class) string { return c.Dynasty() }, true
	}
	return nil, false
}

func classExpr(e Expr, schema Schema) (func(*cim.Class) bool, error) {
	notSupported := func(p Prop) error {
		return queryErr(cim.WBEM_E_INVALID_QUERY, p, "a schema query can test __CLASS, __SUPERCLASS, __DYNASTY and __THIS ISA, not %s", p.Name())
	}
	switch e := e.(type) {
	case *Logical:
		ms := make([]func(*cim.Class) bool, len(e.Operands))
		for i, x := range e.Operands {
			m, err := classExpr(x, schema)
			if err != nil {
				return nil, err
			}
			ms[i] = m
		}
		and := e.Op == And
		return func(c *cim.Class) bool {
			for _, m := range ms {
				if m(c) != and {
					return !and
				}
			}
			return and
		}, nil
	case *Not:
		m, err := classExpr(e.X, schema)
		if err != nil {
			return nil, err
		}
		return func(c *cim.Class) bool { return !m(c) }, nil
	case *Comparison:
		get, ok := classValue(e.Prop.Name())
		if !ok {
			return nil, notSupported(e.Prop)
		}
		if e.Value.Kind != ConstString {
			return nil, queryErr(cim.WBEM_E_INVALID_QUERY, e.Prop, "%s compares with a class name string, not %s", e.Prop.Name(), e.Value)
		}
		m, want := maskOf(e.Op), e.Value.Str
		return func(c *cim.Class) bool {
			v := get(c)
			return v != "" && m.holds(cim.CompareFold(v, want))
		}, nil
	case *Like:
		get, ok := classValue(e.Prop.Name())
		if !ok {
			return nil, notSupported(e.Prop)
		}
		pat, err := compileLike(e.Pattern)
		if err != nil {
			ce := cim.AsError(err)
			return nil, queryErr(ce.Status, e.Prop, "%s", ce.Description)
		}
		return func(c *cim.Class) bool {
			v := get(c)
			return v != "" && pat.Match(v)
		}, nil
	case *IsNull:
		get, ok := classValue(e.Prop.Name())
		if !ok {
			return nil, notSupported(e.Prop)
		}
		want := !e.Not
		return func(c *cim.Class) bool { return (get(c) == "") == want }, nil
	case *Isa:
		if !strings.EqualFold(e.Prop.Name(), "__THIS") {
			return nil, queryErr(cim.WBEM_E_INVALID_QUERY, e.Prop, "a schema query can only use ISA on __THIS, not %s", e.Prop.Name())
		}
		if schema != nil {
			if _, err := lookupClass(schema, e.Class); err != nil {
				return nil, err
			}
		}
		name := e.Class
		return func(c *cim.Class) bool { return c.IsA(name) }, nil
	}
	return nil, cim.Errorf(cim.WBEM_E_INVALID_QUERY, "unsupported expression %T", e)
}
