package wql

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The canonical form: keywords in upper case, names as written, one space
// between tokens, strings in double quotes with \\ and \" escaped, "!=" as
// "<>", the property first in comparisons, WITHIN before WHERE, parentheses
// only where AND/OR precedence needs them.

// String prints the query in canonical form.
func (q *SelectQuery) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.All {
		b.WriteString("*")
	} else {
		writeProps(&b, q.Props)
	}
	b.WriteString(" FROM ")
	b.WriteString(q.Class)
	if q.Within > 0 {
		b.WriteString(" WITHIN ")
		b.WriteString(formatSeconds(q.Within))
	}
	if q.Where != nil {
		b.WriteString(" WHERE ")
		writeExpr(&b, q.Where)
	}
	if q.GroupWithin > 0 {
		b.WriteString(" GROUP WITHIN ")
		b.WriteString(formatSeconds(q.GroupWithin))
		if len(q.By) > 0 {
			b.WriteString(" BY ")
			writeProps(&b, q.By)
		}
		if q.Having != nil {
			b.WriteString(" HAVING ")
			writeExpr(&b, q.Having)
		}
	}
	return b.String()
}

// String prints the query in canonical form.
func (q *SchemaQuery) String() string {
	if q.Where == nil {
		return "SELECT * FROM meta_class"
	}
	var b strings.Builder
	b.WriteString("SELECT * FROM meta_class WHERE ")
	writeExpr(&b, q.Where)
	return b.String()
}

// String prints the query in canonical form.
func (q *AssociatorsQuery) String() string {
	var b strings.Builder
	b.WriteString("ASSOCIATORS OF {")
	b.WriteString(q.Path)
	b.WriteString("}")
	kw := []struct {
		name, val string
	}{
		{"AssocClass", q.AssocClass}, {"ResultClass", q.ResultClass}, {"ResultRole", q.ResultRole},
		{"Role", q.Role}, {"RequiredQualifier", q.RequiredQualifier},
		{"RequiredAssocQualifier", q.RequiredAssocQualifier},
	}
	writeKeywords(&b, kw, q.ClassDefsOnly, q.KeysOnly, q.SchemaOnly)
	return b.String()
}

// String prints the query in canonical form.
func (q *ReferencesQuery) String() string {
	var b strings.Builder
	b.WriteString("REFERENCES OF {")
	b.WriteString(q.Path)
	b.WriteString("}")
	kw := []struct {
		name, val string
	}{
		{"ResultClass", q.ResultClass}, {"Role", q.Role}, {"RequiredQualifier", q.RequiredQualifier},
	}
	writeKeywords(&b, kw, q.ClassDefsOnly, q.KeysOnly, q.SchemaOnly)
	return b.String()
}

func writeKeywords(b *strings.Builder, kw []struct{ name, val string }, classDefs, keys, schema bool) {
	first := true
	sep := func() {
		if first {
			b.WriteString(" WHERE")
			first = false
		}
		b.WriteByte(' ')
	}
	for _, k := range kw {
		if k.val == "" {
			continue
		}
		sep()
		b.WriteString(k.name)
		b.WriteString(" = ")
		if isName(k.val) {
			b.WriteString(k.val)
		} else {
			writeString(b, k.val)
		}
	}
	for _, f := range []struct {
		name string
		on   bool
	}{{"ClassDefsOnly", classDefs}, {"KeysOnly", keys}, {"SchemaOnly", schema}} {
		if f.on {
			sep()
			b.WriteString(f.name)
		}
	}
}

// isName reports whether s scans as one name token.
func isName(s string) bool {
	if s == "" || isReserved(s) {
		return false
	}
	for i, r := range s {
		if i == 0 && !isIdentStart(r) || i > 0 && !isIdentPart(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func writeProps(b *strings.Builder, props []Prop) {
	for i, p := range props {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Name())
	}
}

func formatSeconds(s float64) string {
	if s == math.Trunc(s) && s < 1e15 {
		return strconv.FormatFloat(s, 'f', -1, 64)
	}
	return formatReal(s)
}

// formatReal prints a real so that it scans back as a real, not an integer.
func formatReal(f float64) string {
	t := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(t, ".eEn") { // "n": NaN and Inf cannot come from the parser
		t += ".0"
	}
	return t
}

func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// String prints the constant as WQL.
func (c Const) String() string {
	switch c.Kind {
	case ConstString:
		var b strings.Builder
		writeString(&b, c.Str)
		return b.String()
	case ConstInt:
		return strconv.FormatInt(c.Int, 10)
	case ConstUint:
		return strconv.FormatUint(c.Uint, 10)
	case ConstReal:
		return formatReal(c.Real)
	case ConstBool:
		if c.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return "NULL"
}

func writeExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *Logical:
		for i, x := range e.Operands {
			if i > 0 {
				b.WriteByte(' ')
				b.WriteString(e.Op.String())
				b.WriteByte(' ')
			}
			// OR inside AND needs parentheses (and a chain inside a chain of
			// the same operator, which only a hand-built tree has).
			if l, ok := x.(*Logical); ok && (e.Op == And || l.Op == e.Op) {
				b.WriteByte('(')
				writeExpr(b, x)
				b.WriteByte(')')
			} else {
				writeExpr(b, x)
			}
		}
	case *Not:
		b.WriteString("NOT ")
		if _, ok := e.X.(*Logical); ok {
			b.WriteByte('(')
			writeExpr(b, e.X)
			b.WriteByte(')')
		} else {
			writeExpr(b, e.X)
		}
	case *Comparison:
		b.WriteString(e.Prop.Name())
		b.WriteByte(' ')
		b.WriteString(e.Op.String())
		b.WriteByte(' ')
		b.WriteString(e.Value.String())
	case *IsNull:
		b.WriteString(e.Prop.Name())
		if e.Not {
			b.WriteString(" IS NOT NULL")
		} else {
			b.WriteString(" IS NULL")
		}
	case *Isa:
		b.WriteString(e.Prop.Name())
		b.WriteString(" ISA ")
		writeString(b, e.Class)
	case *Like:
		b.WriteString(e.Prop.Name())
		b.WriteString(" LIKE ")
		// A pattern is raw: pick the quote it does not contain (the parser
		// cannot produce a pattern holding both).
		q := byte('"')
		if strings.IndexByte(e.Pattern, '"') >= 0 {
			q = '\''
		}
		b.WriteByte(q)
		b.WriteString(e.Pattern)
		b.WriteByte(q)
	case nil:
		b.WriteString("<nil>")
	}
}
